# syntax=docker/dockerfile:1
FROM alpine:3.19 AS real
RUN <<EOF
FROM evil:1
COPY --from=evil:2 / /
# syntax=evil/frontend:1
ARG X=1 \
EOF
RUN <<SCRIPT
RUN echo not an instruction
ONBUILD FROM evil:3

   FROM evil:4 AS x
SCRIPT
FROM real
