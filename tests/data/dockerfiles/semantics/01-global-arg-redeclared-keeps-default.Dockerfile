# BuildKit frontend/dockerfile/dockerfile2llb/convert.go buildMetaArgs: a meta ARG without a
# value (`ARG BASE` again) keeps the value an earlier `ARG BASE=…` gave it.
ARG BASE=alpine:3.19
ARG TAG=1.25
ARG BASE
ARG TAG
FROM $BASE
FROM nginx:${TAG}
