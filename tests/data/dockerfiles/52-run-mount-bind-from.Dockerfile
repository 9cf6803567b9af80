# syntax=docker/dockerfile:1
FROM golang:1.22 AS src
RUN mkdir -p /src && echo package main > /src/main.go
FROM golang:1.22
RUN --mount=type=bind,from=src,source=/src,target=/src \
    ls /src
RUN --mount=from=alpine:3.19,target=/alpine ls /alpine
RUN --mount=type=bind,from=busybox:1.36,source=/bin,target=/bb \
    --mount=type=secret,id=token \
    ls /bb
