# syntax=docker/dockerfile:1
FROM alpine:3.19
ARG NAME=world
RUN <<"EOF"
echo "no expansion of $NAME here"
EOF
RUN <<EOF
echo "expanded: $NAME"
EOF
