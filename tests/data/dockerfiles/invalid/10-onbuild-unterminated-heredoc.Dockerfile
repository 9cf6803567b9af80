FROM alpine:3.19
ONBUILD RUN <<EOF
echo downstream
EOF2
