# buildMetaArgs processes meta ARGs in order: a later value replaces the earlier one, a later
# bare declaration does not remove it; an ARG inside a stage does not feed FROM lines.
ARG BASE=alpine:3.19
ARG BASE
ARG BASE=alpine:3.20
ARG BASE
FROM $BASE AS build
ARG BASE=debian:12
FROM $BASE
