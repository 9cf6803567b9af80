FROM golang:1.22 AS build
RUN CGO_ENABLED=0 go install example.com/tool@v1.0.0 || true
FROM scratch
COPY --from=build /go/bin/ /
FROM scratch AS second
ENTRYPOINT ["/tool"]
