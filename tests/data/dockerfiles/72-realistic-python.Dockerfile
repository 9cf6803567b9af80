# syntax=docker/dockerfile:1
ARG PYTHON_VERSION=3.12.2
FROM python:${PYTHON_VERSION}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
COPY --from=ghcr.io/astral-sh/uv:0.4.0 /uv /bin/uv
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=requirements.txt,target=requirements.txt \
    uv pip install --system -r requirements.txt

FROM base AS test
RUN <<EOF
pip install pytest
pytest -q || true
EOF

FROM base
RUN useradd --create-home app
USER app
COPY . .
EXPOSE 8000
CMD ["gunicorn", "app:app", "--bind=0.0.0.0:8000"]
