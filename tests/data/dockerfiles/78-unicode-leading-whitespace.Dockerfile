FROM alpine:3.19
  RUN echo indented with no-break spaces pasted from a web page
 RUN echo em space
　# ideographic space before a comment
RUN echo a \
 
    b
RUN echo next-line control character
