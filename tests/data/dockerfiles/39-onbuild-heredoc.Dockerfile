# syntax=docker/dockerfile:1
FROM alpine:3.19
ONBUILD RUN <<EOF
echo runs in the downstream build
FROM evil:1
EOF
ONBUILD COPY <<EOF /etc/onbuild.txt
copied downstream
EOF
onbuild run <<-X
	echo lower-case onbuild
	X
RUN echo after
