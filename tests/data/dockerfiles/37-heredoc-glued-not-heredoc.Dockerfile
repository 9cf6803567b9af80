FROM alpine:3.19
RUN cat<<EOF >/tmp/x || true
FROM busybox:1.36 AS second
RUN echo EOF
RUN echo a<<EOF
COPY --from=0 /tmp /tmp
