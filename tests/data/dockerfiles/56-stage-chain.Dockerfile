FROM debian:bookworm-slim AS base
RUN echo base
FROM base AS deps
RUN echo deps
FROM deps AS test
RUN echo test
FROM base AS final
COPY --from=deps /etc/hostname /h
COPY --from=test /etc/hostname /t
