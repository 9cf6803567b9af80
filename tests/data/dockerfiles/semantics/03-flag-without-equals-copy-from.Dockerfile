# BuildKit frontend/dockerfile/instructions/bflag.go BFlags.Parse: a string flag written without
# `=` is "missing a value on flag: --from"; `nginx:1.25` is then a source path, not an image.
FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS base
COPY --from nginx:1.25 /etc/nginx /etc/nginx
COPY --from=base /etc/os-release /tmp/
