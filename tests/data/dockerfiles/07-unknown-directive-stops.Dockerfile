# syntax=docker/dockerfile:1
# foo=bar
# escape=`
# syntax=ignored-after-unknown-directive
FROM busybox:1.36
RUN echo "backtick is literal" `
RUN echo second
