FROM alpine:3.19
LABEL a="line separator" b="para graph" c="nextline"
# formfeed and verticaltab and fileseparator in a comment
LABEL d="carriagereturn" e="café 日本 🐳"
RUN echo "" \
    && echo continued
CMD ["sh"]
