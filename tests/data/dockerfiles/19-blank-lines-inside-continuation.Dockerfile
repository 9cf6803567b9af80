FROM alpine:3.19
RUN echo one \

    two
RUN echo three \
    
	
    four
RUN echo swallowed \


RUN echo this-line-is-part-of-the-previous-run
CMD ["sh"]
