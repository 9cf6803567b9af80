FROM alp\
ine:3.\
19 AS b\
uild
RUN ech\
o split-token
FROM alpine:3.19
COPY --fr\
om=build /etc/os-release /tmp/os-release
