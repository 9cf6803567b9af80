# syntax=docker/dockerfile:1.8
# check=error=true;skip=JSONArgsRecommended,StageNameCasing
FROM alpine:3.19 AS build
RUN echo hi > /hi
FROM scratch
COPY --from=build /hi /hi
CMD /hi
