#!/usr/bin/env -S docker build -f
# escape=`
FROM alpine:3.19
RUN echo "backtick is literal: the shebang line ended directive parsing" `
RUN echo second
COPY a.txt /tmp/
