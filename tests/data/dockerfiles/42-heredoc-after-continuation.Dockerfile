# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN --mount=type=tmpfs,target=/tmp \
    <<EOF \
    sh -e
echo body starts after the continued line
EOF
RUN <<EOF sh \
    -x
echo second
EOF
