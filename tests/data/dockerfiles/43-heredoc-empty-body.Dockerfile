# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<EOF
EOF
COPY <<EMPTY /empty
EMPTY
RUN <<EOF

EOF
RUN echo ok
