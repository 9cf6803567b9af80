FROM nginx:1.25
HEALTHCHECK --interval=5m \
    --timeout=3s \
    --start-period=10s \
  CMD curl -f http://localhost/ \
      || exit 1
LABEL maintainer="ops@example.com" \
      # comment line dropped
      version="2.0" \
      description="multi \
line"
ENV A=1 \
    B=2
