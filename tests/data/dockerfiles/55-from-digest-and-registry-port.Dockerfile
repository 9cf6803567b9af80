FROM alpine:3.19@sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b AS pinned
FROM localhost:5000/team/app:1.2.3 AS local
FROM registry.example.com:8443/ns/sub/image@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
FROM docker.io/library/ubuntu
FROM index.docker.io/library/debian:bookworm
