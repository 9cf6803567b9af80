# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
RUN <<EOF
apt-get update
apt-get install -y curl
EOF
RUN echo after-heredoc
