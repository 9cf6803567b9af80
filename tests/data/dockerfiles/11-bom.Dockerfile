# escape=`
FROM alpine:3.19 `
    AS bom
RUN echo "file starts with a UTF-8 byte order mark"
FROM bom
