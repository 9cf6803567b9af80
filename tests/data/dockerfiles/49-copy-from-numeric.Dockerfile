FROM golang:1.22 AS build
RUN echo built > /out
FROM node:20-alpine
RUN echo second > /out2
FROM debian:bookworm-slim
COPY --from=0 /out /out
COPY --from=1 /out2 /out2
