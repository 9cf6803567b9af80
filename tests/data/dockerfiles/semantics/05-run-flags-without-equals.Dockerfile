# instructions/commands_runmount.go and commands_runnetwork.go register --mount and --network
# as string flags, so BFlags.Parse wants `=`; bool flags (COPY --link, --parents) need none.
FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
RUN --mount type=cache,target=/root/.cache true
RUN --network none true
COPY --link --parents a/ /b/
HEALTHCHECK --interval 5s CMD true
