FROM node:20-alpine
CMD [ \
    "node", \
    "server.js" \
]
ENTRYPOINT ["docker-entrypoint.sh", \
# comment inside JSON continuation
            "--flag"]
RUN ["sh", "-c", \
     "echo multi"]
