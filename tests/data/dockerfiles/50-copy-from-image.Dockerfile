FROM alpine:3.19
COPY --from=nginx:1.25 /etc/nginx/nginx.conf /nginx.conf
COPY --from=docker.io/library/busybox:1.36@sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74 /bin/busybox /busybox
COPY --from=ghcr.io/astral-sh/uv:0.4.0 /uv /bin/uv
COPY --link --from=localhost:5000/tools /t /t
COPY --chown=1000:1000 --from=quay.io/prometheus/busybox:latest /bin/sh /sh
