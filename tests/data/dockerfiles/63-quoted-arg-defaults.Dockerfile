ARG IMG="alpine:3.19"
ARG TAG='3.19'
ARG SPACED="a b"
ARG MIXED=al"pine":'3.19'
ARG ESC=alpine\:3.19
FROM $IMG AS base
FROM alpine:$TAG
FROM base
