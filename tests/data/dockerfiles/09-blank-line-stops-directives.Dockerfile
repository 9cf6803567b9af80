# syntax=docker/dockerfile:1

# escape=`
FROM busybox:1.36
RUN echo a `
RUN echo b \
    c
