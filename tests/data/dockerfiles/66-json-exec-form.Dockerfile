FROM python:3.12-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN ["python3", "-c", "print('hi')"]
COPY ["requirements.txt", "/app/"]
ADD ["https://example.com/a.tar.gz", "/tmp/"]
VOLUME ["/data", "/logs"]
ENTRYPOINT ["python3", "-m", "app"]
CMD ["--port", "8080"]
HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]
