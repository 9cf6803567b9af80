FROM ubuntu:22.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && \
    apt-get install -y \
        build-essential \
        git \
        curl && \
    rm -rf /var/lib/apt/lists/*
LABEL org.opencontainers.image.title="demo" \
      org.opencontainers.image.version="1.0"
