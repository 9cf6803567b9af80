FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.4.0 AS xx
FROM --platform=${BUILDPLATFORM} golang:1.22-alpine AS build
COPY --from=xx / /
ARG TARGETPLATFORM
ARG TARGETOS TARGETARCH TARGETVARIANT
RUN xx-go --wrap && echo "$TARGETPLATFORM $BUILDOS/$BUILDARCH"
FROM --platform=$TARGETPLATFORM alpine:3.19
FROM example/base-$TARGETARCH:1.0 AS per-arch
