# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN ["sh", "-c", "cat <<EOF"]
ENV MARKER=<<EOF
LABEL heredoc="<<EOF"
CMD cat <<EOF
ENTRYPOINT ["sh", "-c", "<<EOF"]
COPY ["a.txt", "/b.txt"]
RUN echo not swallowed
