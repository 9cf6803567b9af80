# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<EOF
EOF 
 EOF
	EOF
EOFX
eof
"EOF"
EOF
RUN echo done
