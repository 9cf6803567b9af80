FROM alpine:3.19
RUN echo trailing-escaped-backslash \\
RUN echo next-instruction a\\
RUN echo buildkit-does-not-continue-here a\\\
RUN echo still-separate
RUN printf 'x\\y' \
    && echo continued
