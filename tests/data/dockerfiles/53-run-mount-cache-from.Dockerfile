# syntax=docker/dockerfile:1
FROM node:20 AS deps
RUN mkdir -p /root/.npm
FROM node:20
WORKDIR /app
RUN --mount=type=cache,from=deps,source=/root/.npm,target=/root/.npm \
    npm --version
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,from=ghcr.io/example/cache-seed:1,target=/seed \
    true
RUN --mount="type=bind,from=deps,target=/d" ls /d
