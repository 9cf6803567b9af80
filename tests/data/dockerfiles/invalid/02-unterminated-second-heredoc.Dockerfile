FROM alpine:3.19
RUN <<A <<B
a
A
b
