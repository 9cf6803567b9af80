FROM alpine:3.19
RUN echo a # this is not a comment
ENV COLOR=#ff0000 URL=http://example.com/#frag
LABEL description="issue #42" tag=v1#x
RUN echo start # mid-line hash, trailing backslash still continues \
    && echo continued
RUN echo "#quoted" '#single' ; echo ok
