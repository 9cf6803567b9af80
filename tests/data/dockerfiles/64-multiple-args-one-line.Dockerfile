ARG OS=debian VERSION=bookworm VARIANT="-slim"
ARG A B=2 C="three"
FROM ${OS}:${VERSION}${VARIANT}
ARG A \
    D=4
RUN echo "$A $B $C $D"
