#!/usr/bin/env -S docker build -f
# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN echo "shebang line is a comment for the parser"
ENTRYPOINT ["/bin/sh"]
