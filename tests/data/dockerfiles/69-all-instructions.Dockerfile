FROM ubuntu:22.04 AS base
MAINTAINER someone@example.com
LABEL a=b "c d"="e f"
ENV PATH=/opt/bin:$PATH HOME=/root
ENV OLD_STYLE value with spaces
ARG BUILD_DATE
WORKDIR /opt
USER 1000:1000
EXPOSE 80 443/tcp 53/udp
VOLUME /var/lib/data
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-c"]
HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1
HEALTHCHECK NONE
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/file /file
ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.12.5 /buildkit
COPY --chown=1000 . /opt/app
RUN true
CMD ["true"]
ENTRYPOINT ["/bin/sh"]
ONBUILD RUN true
