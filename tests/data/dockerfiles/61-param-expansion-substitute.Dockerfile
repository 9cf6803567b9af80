# syntax=docker/dockerfile:1.7
ARG TAG=3_19
ARG IMG=library/alpine
FROM alpine:${TAG/_/.} AS a
FROM alpine:${TAG//_/.} AS b
FROM docker.io/${IMG/library\//}:3.19 AS c
FROM alpine:${TAG/_/-} AS d
