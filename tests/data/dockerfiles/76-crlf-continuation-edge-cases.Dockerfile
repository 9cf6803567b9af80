FROM alpine:3.19
RUN echo a \  
    b
RUN echo c \
# comment
    d
RUN echo e\\
RUN <<-EOF
	echo f
	EOF
