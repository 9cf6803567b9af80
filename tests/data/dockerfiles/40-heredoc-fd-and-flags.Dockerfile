# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN 3<<EOF cat /dev/fd/3
fd three
EOF
RUN --mount=type=cache,target=/root/.cache/pip <<EOF
pip install requests==2.31.0
EOF
RUN --network=none python3 <<PY
print("hello")
PY
COPY --link --chmod=644 <<EOF /app/config.ini
[app]
EOF
