# A final line continuation with no newline after it.
FROM alpine:3.19
RUN echo first
RUN echo last \
    more \