# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS build
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go env
FROM --platform=linux/amd64 alpine:3.19 AS amd
FROM --platform=${TARGETPLATFORM} gcr.io/distroless/static-debian12:nonroot
COPY --from=build /go/bin /usr/local/bin
