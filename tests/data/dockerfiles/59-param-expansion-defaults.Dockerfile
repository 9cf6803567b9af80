ARG SET=3.19
ARG EMPTY=""
ARG UNSET
FROM alpine:${SET:-3.18} AS a
FROM alpine:${UNSET-3.18} AS b
FROM alpine:${EMPTY:-3.17} AS c
FROM alpine${SET:+:}${SET:+3.19} AS d
FROM alpine${SET+:3.19} AS e
FROM alpine:${SET:?SET_must_be_set} AS f
FROM alpine:${SET?SET_must_be_declared} AS g
