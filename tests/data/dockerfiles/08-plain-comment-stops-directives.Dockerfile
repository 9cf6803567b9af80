# Build the thing.
# escape=`
FROM busybox:1.36 AS first
RUN echo a `
RUN echo b
FROM first
