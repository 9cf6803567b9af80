# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<FILE1 cat > /file1 && <<FILE2 cat > /file2
I am
first
FILE1
I am
second
FILE2
COPY <<A <<B /dest/
a
A
b
B
RUN cat /file1 /file2 /dest/A /dest/B
