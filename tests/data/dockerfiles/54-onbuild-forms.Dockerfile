FROM alpine:3.19
ONBUILD RUN echo downstream
ONBUILD COPY --from=nginx:1.25 /etc/nginx /etc/nginx
ONBUILD ADD https://example.com/file.tar.gz /tmp/
ONBUILD ADD . /app/src
onbuild copy --from=builder /out /out
ONBUILD RUN --mount=type=bind,from=golang:1.22,target=/go \
    ls /go
Onbuild Env A=1
