# syntax=docker/dockerfile:1
FROM python:3.12-slim AS base
RUN pip install --no-cache-dir \
    # comment inside a continuation
    requests==2.31.0 \
    flask==3.0.0
RUN <<EOF
set -e
echo "heredoc with CRLF line endings"
EOF
COPY <<-EOF /etc/motd
	hello
	EOF
CMD ["python3"]
