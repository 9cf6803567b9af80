FROM debian:bookworm
RUN apt-get update \
# a comment at column 1
    && apt-get install -y \
    # an indented comment
        curl \
    # a comment that ends with a backslash \
        wget \
#FROM evil:1
    && true
FROM \
# comment between keyword and image
    debian:bookworm-slim
