FR\
OM golang:1.22 AS builder
RU\
N go version
fr\
om alpine:3.19
CO\
PY --from=builder /usr/local/go/VERSION /VERSION
