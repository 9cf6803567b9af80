# bflag.go BFlags.Parse refuses `--platform linux/amd64` (no `=`): the instruction is rejected,
# so neither `linux/amd64` nor the image after it is a reference; its stage name still counts.
FROM --platform linux/amd64 golang:1.22 AS build
FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
COPY --from=build /out /app
