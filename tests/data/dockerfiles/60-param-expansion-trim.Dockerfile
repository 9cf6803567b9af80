# syntax=docker/dockerfile:1.7
ARG TAG=v3.19.1
ARG IMAGE=docker.io/library/alpine:3.19
FROM alpine:${TAG#v} AS a
FROM alpine:${TAG##v3.} AS b
FROM alpine:${TAG%.*} AS c
FROM ${IMAGE%%:*}:3.19 AS d
FROM ${IMAGE##*/} AS e
