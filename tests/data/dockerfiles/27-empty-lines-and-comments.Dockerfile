

# leading comments and blank lines

#

FROM alpine:3.19

# between instructions


RUN echo hello

#
# trailing comments

