FROM alpine:3.19
# escape=`
RUN echo "this backtick is literal text" `
RUN echo "a new instruction"
# syntax=docker/dockerfile:1
# syntax=not-a-duplicate-error-here
RUN echo done
