FROM alpine:3.19
CMD [not json]
RUN [ "echo", 'single quotes are not JSON' ]
ENTRYPOINT ["sh", "-c",]
RUN ["echo", "ok"] && true
CMD [ ]
