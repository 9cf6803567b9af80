# syntax=docker/dockerfile:1.7
# The syntax directive names a frontend image that BuildKit pulls.
FROM alpine:3.19
RUN apk add --no-cache ca-certificates
CMD ["sh"]
