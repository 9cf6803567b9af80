"""Deterministic generator of realistic Dockerfiles for the benchmarks in this folder.

`generate(root, count, seed)` writes `count` files named `<root>/<NNNN>-<service>/Dockerfile`
and returns a `Corpus` describing them. The same (count, seed) always yields byte-identical
files on any machine and Python >= 3.10: only `random.Random(seed)` (whose integer, choice
and shuffle methods are stable across versions) and `hashlib` feed the output.

The mix follows what real repositories contain: single- and multi-stage builds, optional
`# syntax=` directives, global ARGs feeding FROM (`ARG PY=3.12` / `FROM python:${PY}-slim`),
`FROM --platform=$BUILDPLATFORM`, stage aliases and `COPY --from=<stage|image>`,
`RUN --mount=type=cache`, long `apt-get`/`apk` continuations with comment lines inside them,
heredocs, `ADD https://...` with and without `--checksum`, the usual metadata instructions,
and image references that are digest-pinned, `:latest`, tagged or untagged, drawn from a
fixed pool (81 references to 45 repositories). Every file has 20 to 120
lines.

A heredoc terminator is always followed by a blank line: hadolint 2.x cannot parse an
instruction that directly follows one and would then report a single parse error (DL1000)
for the whole file instead of linting it, which would make its timings meaningless.

Run it alone to look at the output: `python bench/corpus.py --files 5 --out /tmp/corpus`.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MIN_LINES = 20
MAX_LINES = 120

def digest_of(ref: str) -> str:
    """A stable, realistic-looking `sha256:<64 hex>` digest for an image reference."""
    return "sha256:" + hashlib.sha256(f"pinlint-bench:{ref}".encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The image pool. Each stack lists the references its build and runtime stages draw from.
# Entries with `${VAR}` need a global ARG; `Stack.args` gives its name and default value.


@dataclass(frozen=True)
class Stack:
    name: str
    build: tuple[str, ...]
    run: tuple[str, ...]
    pkg: str  # "apt" or "apk": the package manager of the build images
    args: tuple[tuple[str, str], ...] = ()  # global ARGs the `${VAR}` references use
    cross: bool = False  # builds use FROM --platform=$BUILDPLATFORM


STACKS: tuple[Stack, ...] = (
    Stack(
        "python",
        build=(
            "python:3.12",
            "python:3.12-slim",
            "python:3.11-slim-bookworm",
            "python:${PY}-slim",
            "python:latest",
            "docker.io/library/python:3.12-slim",
        ),
        run=(
            "python:3.12-slim",
            "python:3.12-alpine",
            "python:${PY}-slim",
            "gcr.io/distroless/python3-debian12",
            "public.ecr.aws/lambda/python:3.12",
        ),
        pkg="apt",
        args=(("PY", "3.12"),),
    ),
    Stack(
        "node",
        build=(
            "node:20",
            "node:20-alpine",
            "node:18-bullseye-slim",
            "node:${NODE_VERSION}",
            "node:lts",
            "library/node:20",
        ),
        run=(
            "node:20-alpine",
            "node:${NODE_VERSION}-slim",
            "nginx:1.25-alpine",
            "gcr.io/distroless/nodejs20-debian12",
        ),
        pkg="apt",
        args=(("NODE_VERSION", "20"),),
    ),
    Stack(
        "go",
        build=(
            "golang:1.22",
            "golang:1.21-alpine",
            "golang:${GO_VERSION}-bookworm",
            "golang:latest",
        ),
        run=(
            "gcr.io/distroless/static-debian12",
            "gcr.io/distroless/base-debian12:nonroot",
            "alpine:3.19",
            "scratch",
            "busybox:1.36",
        ),
        pkg="apt",
        args=(("GO_VERSION", "1.22"),),
        cross=True,
    ),
    Stack(
        "rust",
        build=("rust:1.77", "rust:1.77-slim", "rust:latest"),
        run=("debian:bookworm-slim", "gcr.io/distroless/cc-debian12", "alpine:3.19"),
        pkg="apt",
        cross=True,
    ),
    Stack(
        "java",
        build=("maven:3.9-eclipse-temurin-21", "gradle:8-jdk21", "eclipse-temurin:21-jdk"),
        run=("eclipse-temurin:21-jre", "openjdk:21-jdk-slim", "eclipse-temurin:21-jre-alpine"),
        pkg="apt",
    ),
    Stack(
        "ruby",
        build=("ruby:3.3", "ruby:3.3-slim"),
        run=("ruby:3.3-slim", "ruby:3.3-alpine"),
        pkg="apt",
    ),
    Stack(
        "php",
        build=("composer:2", "php:8.3-cli"),
        run=("php:8.3-fpm", "php:8.3-apache", "php:8.3-fpm-alpine"),
        pkg="apt",
    ),
    Stack(
        "dotnet",
        build=("mcr.microsoft.com/dotnet/sdk:8.0",),
        run=("mcr.microsoft.com/dotnet/aspnet:8.0", "mcr.microsoft.com/dotnet/runtime:8.0"),
        pkg="apt",
        cross=True,
    ),
    Stack(
        "internal",
        build=(
            "registry.example.com:5000/team/app:2024.03",
            "ghcr.io/org/builder:latest",
            "quay.io/y/z:v2",
            "ghcr.io/org/x:1.4.2",
        ),
        run=(
            "registry.example.com:5000/team/base",
            "ghcr.io/org/x:1.4.2",
            "${BASE_IMAGE}",
            "quay.io/y/z",
        ),
        pkg="apt",
        args=(("BASE_IMAGE", "registry.example.com:5000/team/base:1.0"),),
    ),
    Stack(
        "tools",
        build=("alpine:3.19", "alpine:3.18", "alpine", "alpine:${ALPINE_VERSION}"),
        run=("alpine:3.19", "alpine:latest", "busybox:latest"),
        pkg="apk",
        args=(("ALPINE_VERSION", "3.19"),),
    ),
    Stack(
        "ops",
        build=("debian:bookworm-slim", "debian:12", "ubuntu:22.04", "ubuntu:24.04", "ubuntu"),
        run=(
            "debian:bookworm-slim",
            "ubuntu:24.04",
            "hashicorp/terraform:1.7",
            "bitnami/kubectl:1.29",
            "amazon/aws-cli:2.15.0",
        ),
        pkg="apt",
    ),
)
STACK_WEIGHTS: tuple[int, ...] = (22, 18, 14, 5, 7, 4, 5, 4, 6, 7, 8)

# Images copied from with `COPY --from=<image>` and images of service-like single stages.
COPY_FROM_IMAGES: tuple[tuple[str, str, str], ...] = (
    ("nginx:1.25", "/etc/nginx/nginx.conf", "/etc/nginx/nginx.conf"),
    ("ghcr.io/astral-sh/uv:0.4.0", "/uv", "/usr/local/bin/uv"),
    ("tonistiigi/xx:1.4.0", "/", "/"),
    ("busybox:1.36", "/bin/busybox", "/busybox"),
    ("docker:26-cli", "/usr/local/bin/docker", "/usr/local/bin/docker"),
    ("quay.io/prometheus/node-exporter:v1.7.0", "/bin/node_exporter", "/usr/bin/"),
    ("redis:7", "/usr/local/bin/redis-cli", "/usr/local/bin/"),
    ("postgres:16", "/usr/lib/postgresql/16/bin/pg_dump", "/usr/local/bin/"),
)
SERVICE_IMAGES: tuple[str, ...] = (
    "nginx:1.25",
    "nginx:latest",
    "redis:7.2-alpine",
    "postgres:16",
    "postgres:15-alpine",
    "mysql:8.0",
    "mongo:7",
    "nginx",
)

APT_PACKAGES: tuple[str, ...] = (
    "ca-certificates",
    "curl",
    "git",
    "build-essential",
    "gcc",
    "g++",
    "make",
    "libpq-dev",
    "libssl-dev",
    "libffi-dev",
    "pkg-config",
    "unzip",
    "wget",
    "gnupg",
    "tzdata",
    "locales",
    "openssh-client",
    "jq",
    "tini",
    "dumb-init",
    "libxml2-dev",
    "zlib1g-dev",
    "netcat-openbsd",
)
APK_PACKAGES: tuple[str, ...] = (
    "ca-certificates",
    "curl",
    "git",
    "bash",
    "jq",
    "tzdata",
    "openssl",
    "tini",
    "make",
    "musl-dev",
    "gcc",
    "openssh-client",
    "yq",
    "coreutils",
    "findutils",
)
PACKAGE_COMMENTS: tuple[str, ...] = (
    "# needed by the healthcheck",
    "# build deps, removed below",
    "# TLS roots",
    "# TODO: drop once the wheel is published",
    "# for private git dependencies",
    "# pin the timezone data too",
)
TOOLS: tuple[tuple[str, str], ...] = (
    ("kubectl", "https://dl.k8s.io/release/v1.29.2/bin/linux/amd64/kubectl"),
    ("helm", "https://get.helm.sh/helm-v3.14.2-linux-amd64.tar.gz"),
    ("tini", "https://github.com/krallin/tini/releases/download/v0.19.0/tini"),
    ("yq", "https://github.com/mikefarah/yq/releases/download/v4.42.1/yq_linux_amd64"),
    (
        "grpc_health_probe",
        (
            "https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/v0.4.24/"
            "grpc_health_probe-linux-amd64"
        ),
    ),
    (
        "trivy",
        (
            "https://github.com/aquasecurity/trivy/releases/download/v0.50.0/"
            "trivy_0.50.0_Linux-64bit.tar.gz"
        ),
    ),
)
SERVICE_NAMES: tuple[str, ...] = (
    "api",
    "web",
    "worker",
    "billing",
    "auth",
    "gateway",
    "search",
    "ingest",
    "reports",
    "scheduler",
    "notifier",
    "frontend",
    "admin",
    "exporter",
    "cli",
    "proxy",
    "etl",
    "docs",
)


# --------------------------------------------------------------------------------------------
# Rendering


class FileBuilder:
    """Assembles the lines of one Dockerfile from randomly chosen blocks."""

    def __init__(self, rng: random.Random, service: str) -> None:
        self.rng = rng
        self.service = service
        self.lines: list[str] = []
        self.refs: Counter[str] = Counter()  # kinds of image references written

    # -- image references ---------------------------------------------------------------------

    def ref(self, image: str, pin_rate: float = 0.3) -> str:
        """`image`, digest-pinned with probability `pin_rate`; records what kind it is."""
        rng = self.rng
        f = self.refs
        if image == "scratch":
            f["scratch"] += 1
            return image
        if "${" in image:
            f["from ARG"] += 1
            if rng.random() < 0.03:  # a variable tag with a literal digest: unusual but seen
                f["pinned"] += 1
                return f"{image}@{digest_of(image)}"
            return image
        if rng.random() < pin_rate:
            f["pinned"] += 1
            if rng.random() < 0.15:  # digest only, tag dropped
                name = image.rsplit(":", 1)[0] if _has_tag(image) else image
                return f"{name}@{digest_of(image)}"
            return f"{image}@{digest_of(image)}"
        if image.endswith(":latest"):
            f[":latest"] += 1
        elif not _has_tag(image):
            f["untagged"] += 1
        else:
            f["tagged"] += 1
        return image

    # -- line helpers -------------------------------------------------------------------------

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def comment(self, text: str) -> None:
        self.lines.append(f"# {text}")

    # -- blocks -------------------------------------------------------------------------------

    def packages(self, pkg: str, *, last_continues: bool) -> list[str]:
        """One package per line, with the odd comment line inside the continuation."""
        rng = self.rng
        pool = APT_PACKAGES if pkg == "apt" else APK_PACKAGES
        names = sorted(rng.sample(pool, rng.randint(2, min(12, len(pool)))))
        lines: list[str] = []
        for i, name in enumerate(names):
            if rng.random() < 0.06:
                lines.append(f"        {rng.choice(PACKAGE_COMMENTS)}")
            more = last_continues or i < len(names) - 1
            lines.append(f"        {name}" + (" \\" if more else ""))
        return lines

    def install_block(self, pkg: str) -> list[str]:
        rng = self.rng
        if pkg == "apk":
            return ["RUN apk add --no-cache \\", *self.packages("apk", last_continues=False)]
        if rng.random() < 0.2:
            lines = [
                "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\",
                "    --mount=type=cache,target=/var/lib/apt,sharing=locked \\",
            ]
        else:
            lines = ["RUN set -eux; \\"]
        lines.append("    apt-get update \\")
        if rng.random() < 0.3:
            lines.append("    # keep the image small: no recommended packages")
        lines.append("    && apt-get install -y --no-install-recommends \\")
        lines.extend(self.packages("apt", last_continues=True))
        lines.append("    && rm -rf /var/lib/apt/lists/*")
        return lines

    def heredoc_block(self, stack: Stack) -> list[str]:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return [
                "RUN <<EOF",
                "set -eux",
                f"mkdir -p /srv/{self.service} /var/log/{self.service}",
                f"useradd --system --home /srv/{self.service} app || adduser -S app",
                f"chown -R app /srv/{self.service}",
                "EOF",
                "",
            ]
        if kind == 1:
            return [
                "RUN <<'EOF'",
                "#!/bin/sh",
                "set -e",
                'for f in /docker-entrypoint.d/*.sh; do [ -x "$f" ] && echo "found $f"; done',
                'echo "built for ${TARGETARCH:-unknown}" > /etc/build-info',
                "EOF",
                "",
            ]
        if kind == 2:
            return [
                f"COPY <<EOF /etc/{self.service}/config.yaml",
                f"service: {self.service}",
                "listen: 0.0.0.0:8080",
                "log_level: info",
                "# FROM lines inside a heredoc are data, not instructions:",
                "# FROM python:3.12",
                "EOF",
                "",
            ]
        interp = "python3" if stack.name == "python" else "sh"
        body = (
            ["import compileall", "compileall.compile_dir('/app', quiet=1)"]
            if interp == "python3"
            else ["echo 'precompiling'", "find /app -name '*.sh' -exec chmod +x {} +"]
        )
        return [f"RUN {interp} <<EOF", *body, "EOF", ""]

    def add_url_block(self) -> list[str]:
        rng = self.rng
        name, url = rng.choice(TOOLS)
        dest = f"/usr/local/bin/{name}" if not url.endswith(".tar.gz") else "/tmp/"
        if rng.random() < 0.4:
            return [f"ADD --checksum={digest_of(url)} {url} {dest}"]
        chmod = "--chmod=0755 " if not url.endswith(".tar.gz") and rng.random() < 0.5 else ""
        return [f"ADD {chmod}{url} {dest}"]

    def env_block(self, stack: Stack) -> list[str]:
        env = {
            "python": [
                "PYTHONDONTWRITEBYTECODE=1",
                "PYTHONUNBUFFERED=1",
                "PIP_NO_CACHE_DIR=1",
                "PIP_DISABLE_PIP_VERSION_CHECK=1",
            ],
            "node": ["NODE_ENV=production", "NPM_CONFIG_LOGLEVEL=warn"],
            "go": ["CGO_ENABLED=0", "GOFLAGS=-trimpath"],
            "java": ['JAVA_OPTS="-XX:MaxRAMPercentage=75"'],
        }.get(stack.name, ["LANG=C.UTF-8", "TZ=UTC"])
        if len(env) == 1 or self.rng.random() < 0.3:
            return [f"ENV {e}" for e in env]
        return [f"ENV {env[0]} \\", *(f"    {e} \\" for e in env[1:-1]), f"    {env[-1]}"]

    def label_block(self) -> list[str]:
        return [
            f'LABEL org.opencontainers.image.source="https://github.com/org/{self.service}" \\',
            '      org.opencontainers.image.licenses="Apache-2.0" \\',
            f'      org.opencontainers.image.title="{self.service}"',
        ]

    def build_steps(self, stack: Stack) -> list[list[str]]:
        """Stack-specific dependency and build steps of a build stage."""
        rng = self.rng
        cache = rng.random() < 0.5
        steps: dict[str, list[list[str]]] = {
            "python": [
                ["COPY requirements.txt pyproject.toml ./"],
                [
                    "RUN --mount=type=cache,target=/root/.cache/pip \\",
                    "    pip install --prefix=/install -r requirements.txt",
                ]
                if cache
                else [("RUN pip install --no-cache-dir --prefix=/install -r requirements.txt")],
                ["COPY src/ ./src/"],
                ["RUN python -m compileall -q src"],
            ],
            "node": [
                ["COPY package.json package-lock.json ./"],
                ["RUN --mount=type=cache,target=/root/.npm npm ci"]
                if cache
                else ["RUN npm ci --no-audit --no-fund"],
                ["COPY . ."],
                ["RUN npm run build \\", "    && npm prune --omit=dev"],
            ],
            "go": [
                ["ARG TARGETOS TARGETARCH"],
                ["COPY go.mod go.sum ./"],
                ["RUN --mount=type=cache,target=/go/pkg/mod go mod download"]
                if cache
                else ["RUN go mod download"],
                ["COPY . ."],
                [
                    "RUN --mount=type=cache,target=/go/pkg/mod \\",
                    "    --mount=type=cache,target=/root/.cache/go-build \\",
                    (
                        f"    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/{self.service} "
                        f"./cmd/{self.service}"
                    ),
                ]
                if cache
                else [
                    (
                        f"RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o "
                        f"/out/{self.service} ./cmd/{self.service}"
                    )
                ],
            ],
            "rust": [
                ["COPY Cargo.toml Cargo.lock ./"],
                ["COPY src ./src"],
                [
                    "RUN --mount=type=cache,target=/usr/local/cargo/registry \\",
                    "    cargo build --release --locked",
                ]
                if cache
                else ["RUN cargo build --release --locked"],
            ],
            "java": [
                ["COPY pom.xml ./"],
                ["RUN --mount=type=cache,target=/root/.m2 mvn -B dependency:go-offline"]
                if cache
                else ["RUN mvn -B dependency:go-offline"],
                ["COPY src ./src"],
                ["RUN mvn -B package -DskipTests"],
            ],
            "ruby": [
                ["COPY Gemfile Gemfile.lock ./"],
                [
                    "RUN bundle config set --local without 'development test' \\",
                    "    && bundle install --jobs 4",
                ],
                ["COPY . ."],
            ],
            "php": [
                ["COPY composer.json composer.lock ./"],
                ["RUN composer install --no-dev --no-scripts --prefer-dist"],
                ["COPY . ."],
            ],
            "dotnet": [
                ["COPY *.csproj ./"],
                ["RUN dotnet restore"],
                ["COPY . ."],
                ["RUN dotnet publish -c Release -o /out --no-restore"],
            ],
        }
        return steps.get(
            stack.name,
            [
                ["COPY scripts/ /opt/scripts/"],
                ["RUN chmod +x /opt/scripts/*.sh \\", "    && /opt/scripts/setup.sh"],
            ],
        )

    def filler(self, stack: Stack, pkg: str) -> list[str]:
        """One optional block for the middle of a stage."""
        rng = self.rng
        choices: list[tuple[int, Callable[[], list[str]]]] = [
            (3, lambda: self.install_block(pkg)),
            (1, lambda: self.heredoc_block(stack)),
            (1, self.add_url_block),
            (2, lambda: self.env_block(stack)),
            (1, self.label_block),
            (2, lambda: [f"# {rng.choice(FILLER_COMMENTS)}"]),
            (1, lambda: [f"COPY --chown=app:app config/ /etc/{self.service}/"]),
            (1, lambda: ['ENV PATH="/opt/venv/bin:$PATH"']),
            (
                1,
                lambda: (
                    [
                        "RUN groupadd --system app \\",
                        "    && useradd --system --gid app --no-create-home app",
                    ]
                    if pkg == "apt"
                    else ["RUN addgroup -S app && adduser -S -G app app"]
                ),
            ),
            (
                1,
                lambda: [
                    (
                        f"RUN curl -fsSL https://example.com/{self.service}/releases/1.2.0/"
                        f"{self.service}.tar.gz \\"
                    ),
                    "    | tar -xz -C /usr/local/bin",
                ],
            ),
            (1, lambda: [f"ARG {rng.choice(('VERSION', 'GIT_SHA', 'BUILD_DATE'))}"]),
            (
                1,
                lambda: [
                    f"RUN mkdir -p /var/lib/{self.service} \\",
                    f"    && chown -R 1000:1000 /var/lib/{self.service}",
                ],
            ),
            (1, lambda: self.copy_from_image()),
            (1, lambda: ['SHELL ["/bin/bash", "-o", "pipefail", "-c"]']),
        ]
        total = sum(w for w, _ in choices)
        pick = rng.randrange(total)
        for weight, make in choices:
            if pick < weight:
                return make()
            pick -= weight
        raise AssertionError("unreachable")

    def copy_from_image(self) -> list[str]:
        image, src, dst = self.rng.choice(COPY_FROM_IMAGES)
        return [f"COPY --from={self.ref(image)} {src} {dst}"]

    def tail(self, stack: Stack, *, final_from: str) -> list[str]:
        """Runtime metadata at the end of the last stage."""
        rng = self.rng
        port = rng.choice((80, 3000, 5000, 8000, 8080, 9090))
        lines: list[str] = []
        if final_from != "scratch" and "distroless" not in final_from:
            if rng.random() < 0.6:
                lines.append(rng.choice(("USER app", "USER 10001:10001", "USER nonroot")))
            if rng.random() < 0.5:
                lines.append(
                    "HEALTHCHECK --interval=30s --timeout=3s --retries=3 \\\n"
                    f"    CMD curl -fsS http://localhost:{port}/healthz || exit 1"
                    if rng.random() < 0.7
                    else "HEALTHCHECK NONE"
                )
        if rng.random() < 0.7:
            lines.append(f"EXPOSE {port}")
        if rng.random() < 0.15:
            lines.append(f"VOLUME /var/lib/{self.service}")
        if rng.random() < 0.1:
            lines.append("STOPSIGNAL SIGTERM")
        command = {
            "python": f'["python", "-m", "{self.service}"]',
            "node": '["node", "dist/server.js"]',
            "java": '["java", "-jar", "/app/app.jar"]',
            "ruby": '["bundle", "exec", "puma", "-C", "config/puma.rb"]',
            "php": '["php-fpm"]',
            "dotnet": f'["dotnet", "{self.service.title()}.dll"]',
        }.get(stack.name, f'["/usr/local/bin/{self.service}"]')
        if rng.random() < 0.4:
            lines.append(f"ENTRYPOINT {command}")
            if rng.random() < 0.5:
                lines.append('CMD ["--help"]' if rng.random() < 0.3 else 'CMD ["serve"]')
        elif rng.random() < 0.85:
            lines.append(f"CMD {command}")
        else:
            lines.append(f"CMD /usr/local/bin/{self.service} --port {port}")
        return "\n".join(lines).split("\n")


FILLER_COMMENTS: tuple[str, ...] = (
    "keep this layer separate so dependency changes do not bust the build cache",
    "see docs/build.md for the release process",
    "FROM ubuntu:20.04 was too old for glibc 2.35",
    "the base image is rebuilt nightly",
    "do not reorder: the next step depends on this one",
)


def _has_tag(image: str) -> bool:
    """Whether a reference without digest has a `:tag` (a registry port is not a tag)."""
    last = image.rsplit("/", 1)[-1]
    return ":" in last


def render(rng: random.Random, index: int) -> tuple[str, str, Counter[str]]:
    """One Dockerfile: (directory name, text, counts of its image reference kinds)."""
    service = rng.choice(SERVICE_NAMES)
    b = FileBuilder(rng, service)
    stack = rng.choices(STACKS, weights=STACK_WEIGHTS)[0]
    target = min(MAX_LINES, max(MIN_LINES, round(rng.triangular(MIN_LINES, MAX_LINES, 40))))
    multi = rng.random() < 0.6
    uses_heredoc = rng.random() < 0.25
    if multi:
        first_image = rng.choice(stack.build)
        final_image = rng.choice(stack.run)
        images = first_image + final_image
    else:
        pool = SERVICE_IMAGES if rng.random() < 0.15 else (*stack.build, *stack.run)
        first_image = final_image = rng.choice(pool)
        if first_image == "scratch":
            first_image = final_image = stack.build[0]
        images = first_image
    needed = [(name, value) for name, value in stack.args if f"${{{name}}}" in images]

    # Header: parser directive, comments, then the global ARGs that FROM lines use.
    if uses_heredoc or rng.random() < 0.35:
        b.emit(
            rng.choice(
                (
                    "# syntax=docker/dockerfile:1",
                    "# syntax=docker/dockerfile:1",
                    "# syntax=docker/dockerfile:1.7",
                    f"# syntax=docker/dockerfile:1@{digest_of('docker/dockerfile:1')}",
                )
            )
        )
    if rng.random() < 0.5:
        b.comment(f"{service}: {stack.name} service image")
    if needed:
        b.blank()
        for name, value in needed:
            b.emit(f"ARG {name}={value}")
    b.blank()

    def from_line(image: str, alias: str | None, *, platform: bool = False) -> str:
        as_kw = "as" if rng.random() < 0.1 else "AS"
        plat = "--platform=$BUILDPLATFORM " if platform else ""
        return f"FROM {plat}{b.ref(image)}" + (f" {as_kw} {alias}" if alias else "")

    tail_len = 8  # room reserved for the final metadata
    if multi:
        cross = stack.cross and rng.random() < 0.7
        stages = ["deps", "build"] if rng.random() < 0.3 else ["build"]
        b.emit(from_line(first_image, stages[0], platform=cross))
        b.emit("WORKDIR /src")
        steps = b.build_steps(stack)
        if stages[0] == "deps":
            split = max(1, len(steps) // 2)
            for step in steps[:split]:
                b.emit(*step)
            b.blank()
            b.emit(f"FROM deps {rng.choice(('AS', 'as'))} build")
            steps = steps[split:]
        for step in steps:
            b.emit(*step)
        if uses_heredoc:
            b.emit(*b.heredoc_block(stack))
        # Fill the build stage to roughly half the target.
        while len(b.lines) < target // 2 - 4:
            block = b.filler(stack, stack.pkg)
            if len(b.lines) + len(block) > MAX_LINES - tail_len - 12:
                break
            b.emit(*block)
        if rng.random() < 0.25:
            b.blank()
            b.emit("FROM build AS test")
            b.emit(
                {"python": "RUN python -m pytest -q", "node": "RUN npm test"}.get(
                    stack.name, "RUN make test"
                )
            )
        b.blank()
        b.emit(from_line(final_image, "runtime" if rng.random() < 0.4 else None))
        b.emit(f"WORKDIR /srv/{service}" if rng.random() < 0.5 else "WORKDIR /app")
        b.emit(
            "COPY --from=build /out/ /usr/local/bin/"
            if stack.name in ("go", "rust")
            else "COPY --from=build /src/ ./"
        )
        if rng.random() < 0.3:
            b.emit(*b.copy_from_image())
    else:
        b.emit(from_line(first_image, None))
        b.emit("WORKDIR /app")
        for step in b.build_steps(stack)[: rng.randint(1, 3)]:
            b.emit(*step)
        if uses_heredoc:
            b.emit(*b.heredoc_block(stack))
    small = final_image == "scratch" or "distroless" in final_image
    runtime_pkg = "apk" if any(s in final_image for s in ("alpine", "busybox")) else "apt"
    if rng.random() < 0.7 and not small:
        b.emit(*b.install_block(runtime_pkg))
    # Fill the final stage up to the target, leaving room for the tail.
    attempts = 0
    while len(b.lines) < target - tail_len and attempts < 50:
        attempts += 1
        block = b.filler(stack, runtime_pkg)
        if len(b.lines) + len(block) > MAX_LINES - tail_len:
            continue
        if rng.random() < 0.3:
            b.blank()
        b.emit(*block)
    b.blank()
    b.emit(*b.tail(stack, final_from=final_image))
    while len(b.lines) < MIN_LINES:
        b.emit(f'LABEL com.example.line{len(b.lines)}="{service}"')
    assert len(b.lines) <= MAX_LINES, (index, len(b.lines))
    return f"{index:04d}-{service}", "\n".join(b.lines) + "\n", b.refs


def file_features(text: str) -> set[str]:
    """The constructs a file uses, found by scanning its text."""
    lines = text.splitlines()
    found: set[str] = set()
    from_count = 0
    seen_from = False
    for i, line in enumerate(lines):
        word = line.split(" ", 1)[0].upper()
        if line.startswith("# syntax="):
            found.add("syntax directive")
        if word == "FROM":
            from_count += 1
            seen_from = True
            if "--platform=" in line:
                found.add("FROM --platform")
            if "${" in line:
                found.add("variable in FROM")
        if word == "ARG" and not seen_from:
            found.add("ARG before FROM")
        if "--mount=type=cache" in line:
            found.add("RUN --mount=type=cache")
        if "<<" in line and word in ("RUN", "COPY"):
            found.add("heredoc")
        if word == "ADD" and "https://" in line:
            found.add("ADD --checksum" if "--checksum=" in line else "ADD url without checksum")
        if word == "COPY" and "--from=" in line:
            source = line.split("--from=", 1)[1].split(" ", 1)[0]
            found.add(
                "COPY --from=<image>" if ":" in source or "/" in source else "COPY --from=<stage>"
            )
        if (
            line.lstrip().startswith("#")
            and line.startswith(" ")
            and i
            and lines[i - 1].endswith("\\")
        ):
            found.add("comment inside continuation")
        if word in ("HEALTHCHECK", "USER", "ENTRYPOINT", "LABEL", "ENV", "EXPOSE"):
            found.add(word)
    found.add("multi-stage" if from_count > 1 else "single-stage")
    return found


# --------------------------------------------------------------------------------------------
# The corpus on disk


@dataclass
class Corpus:
    root: Path
    files: list[Path]
    line_counts: list[int]
    features: Counter[str]  # construct -> number of files using it
    refs: Counter[str]  # kind of image reference -> number written
    total_bytes: int

    def typical_file(self) -> Path:
        """The file whose length is closest to the median (the first one on ties)."""
        median = statistics.median(self.line_counts)
        best = min(range(len(self.files)), key=lambda i: (abs(self.line_counts[i] - median), i))
        return self.files[best]


def generate(root: Path, count: int, seed: int) -> Corpus:
    """Write `count` Dockerfiles under `root` (created when missing)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files: list[Path] = []
    line_counts: list[int] = []
    features: Counter[str] = Counter()
    refs: Counter[str] = Counter()
    total = 0
    for i in range(count):
        dirname, text, file_refs = render(rng, i)
        path = root / dirname / "Dockerfile"
        path.parent.mkdir()
        data = text.encode()
        path.write_bytes(data)
        files.append(path)
        line_counts.append(text.count("\n"))
        features.update(file_features(text))
        refs.update(file_refs)
        total += len(data)
    return Corpus(root, files, line_counts, features, refs, total)


def describe(corpus: Corpus) -> list[str]:
    """A few lines summarising the corpus for a report."""
    n = len(corpus.files)
    counts = corpus.line_counts
    return [
        (
            f"{n} files, {sum(counts)} lines ({min(counts)}-{max(counts)} per file, "
            f"median {statistics.median(counts):g}), {corpus.total_bytes / 1024:.0f} KiB"
        ),
        "image references: " + ", ".join(f"{k} {v}" for k, v in corpus.refs.most_common()),
        "files using: " + ", ".join(f"{k} {v}" for k, v in sorted(corpus.features.items())),
    ]


# --------------------------------------------------------------------------------------------
# Compose projects (for the Compose part of bench/lint.py)
#
# Each project is a directory with one Compose file and, for the services it builds, the
# Dockerfiles (rendered by `render` above). The Compose files use what real ones use: `x-`
# fragments with anchors and `<<` merge keys, `${VAR:-default}` in image values (whole value,
# tag only, registry only), `.env` files, `build:` in short and long form with `args:` that
# override the Dockerfile's global ARGs, `image:` next to `build:` (the output name), quoted
# and unquoted values, comments, healthchecks, volumes and networks.

# (service name, image variants): an image variant may use ${VAR:-default}.
COMPOSE_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("db", ("postgres:16.4", "postgres:15-alpine", "${POSTGRES_IMAGE:-postgres:16}", "mysql:8.0",
            "postgres:${POSTGRES_TAG:-16.4}-bookworm", "mariadb:11")),
    ("cache", ("redis:7.2-alpine", "redis:${REDIS_TAG:-7.2}-alpine", "memcached:1.6", "valkey/valkey:7.2")),
    ("queue", ("rabbitmq:3.13-management", "nats:2.10-alpine", "bitnami/kafka:3.7")),
    ("search", ("opensearchproject/opensearch:2.13.0",
                "docker.elastic.co/elasticsearch/elasticsearch:8.13.4")),
    ("proxy", ("nginx:1.25-alpine", "traefik:v3.0", "caddy:2", "nginx:latest", "nginx")),
    ("mail", ("axllent/mailpit:v1.18", "mailhog/mailhog")),
    ("storage", ("minio/minio:RELEASE.2024-05-10T01-41-22Z", "quay.io/minio/minio:latest")),
    ("metrics", ("prom/prometheus:v2.52.0", "grafana/grafana:10.4.2", "grafana/loki:3.0.0")),
    ("tracing", ("jaegertracing/all-in-one:1.57", "otel/opentelemetry-collector-contrib:0.100.0")),
    ("tools", ("${REGISTRY:-ghcr.io}/org/devtools:2024.05", "ghcr.io/org/x:1.4.2",
               "registry.example.com:5000/team/base:1.0", "${TOOLS_IMAGE}")),
)  # fmt: skip
COMPOSE_ENV_VARS: tuple[tuple[str, str], ...] = (
    ("POSTGRES_IMAGE", "postgres:16.3"),
    ("POSTGRES_TAG", "16.3"),
    ("REDIS_TAG", "7.2.5"),
    ("REGISTRY", "registry.example.com:5000"),
    ("TOOLS_IMAGE", "ghcr.io/org/tools:3.1"),
    ("APP_VERSION", "1.8.2"),
)
COMPOSE_NAMES: tuple[str, ...] = ("compose.yaml", "compose.yaml", "docker-compose.yml", "compose.yml")


def _global_args(dockerfile: str) -> list[tuple[str, str]]:
    """The `ARG NAME=value` lines before the first FROM (what build args can override)."""
    found: list[tuple[str, str]] = []
    for line in dockerfile.splitlines():
        word = line.split(" ", 1)[0].upper()
        if word == "FROM":
            break
        if word == "ARG" and "=" in line:
            name, _, value = line.split(" ", 1)[1].partition("=")
            found.append((name, value))
    return found


def _quoted(rng: random.Random, value: str) -> str:
    """Quote a YAML scalar the way people do: mostly not, sometimes double, rarely single."""
    style = rng.random()
    if style < 0.55 and not value.startswith("$"):
        return value
    if style < 0.85:
        return f'"{value}"'
    return f"'{value}'"


def render_compose(rng: random.Random, index: int) -> tuple[str, str, dict[str, str], Counter[str]]:
    """One Compose project: (directory name, Compose file name, {relative path: text}, features).

    The dict holds the Compose file, the Dockerfiles its `build:` sections name and maybe a
    `.env`; every Dockerfile it holds is one the Compose file builds."""
    project = rng.choice(SERVICE_NAMES)
    compose_name = rng.choice(COMPOSE_NAMES)
    files: dict[str, str] = {}
    features: Counter[str] = Counter()
    lines: list[str] = []
    if rng.random() < 0.6:
        lines.append(f"# {project}: local development stack")
        features["comments"] += 1
    if rng.random() < 0.3:
        lines.append(f"name: {project}")
    lines.append("")

    anchors = rng.random() < 0.6
    shared_image = rng.random() < 0.3 and anchors
    if anchors:
        features["x- anchors and << merge keys"] += 1
        lines += [
            "x-logging: &default-logging",
            "  driver: json-file",
            "  options:",
            '    max-size: "10m"',
            '    max-file: "3"',
            "",
            "x-common: &common",
            "  restart: unless-stopped",
            "  logging: *default-logging",
        ]
        if shared_image:
            image = rng.choice(("ghcr.io/org/worker:1.8", "python:3.12-slim", "${REGISTRY:-ghcr.io}/org/worker:2.0"))
            lines.append(f"  image: {_quoted(rng, image)}  # shared by the workers")
            features["image in an anchor"] += 1
        lines.append("")

    lines.append("services:")
    used_env: set[str] = set()
    n_build = rng.choices((0, 1, 2), weights=(45, 45, 10))[0]
    for b in range(n_build):
        svc = ("app", "api", "web", "worker-build")[b] if b < 4 else f"app{b}"
        dirname = svc if b else rng.choice(("app", "api", "web", "src"))
        _, dockerfile, _ = render(rng, index * 10 + b)
        if not _global_args(dockerfile) and rng.random() < 0.6:  # favour builds with FROM ARGs
            _, dockerfile, _ = render(rng, index * 10 + b)
        long_form = rng.random() < 0.7
        df_name = "Dockerfile" if rng.random() < 0.8 else "Dockerfile.dev"
        files[f"{dirname}/{df_name}"] = dockerfile
        lines.append(f"  {svc}:")
        if anchors and rng.random() < 0.5:
            lines.append("    <<: *common")
        if long_form or df_name != "Dockerfile":
            features["build: long form"] += 1
            lines += ["    build:", f"      context: ./{dirname}"]
            if df_name != "Dockerfile" or rng.random() < 0.4:
                lines.append(f"      dockerfile: {df_name}")
            overridable = _global_args(dockerfile)
            if overridable and rng.random() < 0.8:
                features["build.args overriding a FROM ARG"] += 1
                lines.append("      args:")
                for name, value in overridable:
                    new = {"PY": "3.11", "NODE_VERSION": "18", "GO_VERSION": "1.21"}.get(name, value)
                    lines.append(f"        {name}: {_quoted(rng, new)}")
            elif rng.random() < 0.5:
                lines += ["      args:", "        - APP_VERSION=${APP_VERSION:-dev}"]
                used_env.add("APP_VERSION")
        else:
            features["build: short form"] += 1
            lines.append(f"    build: ./{dirname}")
        if rng.random() < 0.6:
            lines.append(f"    image: example/{project}-{svc}:dev  # the output of the build")
        port = rng.choice((3000, 8000, 8080))
        lines += ["    ports:", f'      - "{port}:{port}"']
        if rng.random() < 0.5:
            lines += ["    environment:", f"      DATABASE_URL: postgres://app:app@db:5432/{project}"]
        lines.append("")

    pool = list(COMPOSE_SERVICES)
    rng.shuffle(pool)
    for name, variants in pool[: rng.randint(2, 7)]:
        image = rng.choice(variants)
        if "${" in image:
            features["${VAR} in image"] += 1
            used_env.update(v for v, _ in COMPOSE_ENV_VARS if "${" + v in image)
        pinned = "${" not in image and rng.random() < 0.2
        if pinned:
            image = f"{image}@{digest_of(image)}"
            features["digest-pinned image"] += 1
        lines.append(f"  {name}:")
        if anchors and rng.random() < 0.3:
            lines.append("    <<: *common")
        comment = "  # pinned by CI" if pinned and rng.random() < 0.5 else ""
        lines.append(f"    image: {_quoted(rng, image)}{comment}")
        if name == "db":
            lines += [
                "    environment:",
                "      POSTGRES_USER: app",
                '      POSTGRES_PASSWORD: "app"',
                "    volumes:",
                "      - db-data:/var/lib/postgresql/data",
                "    healthcheck:",
                '      test: ["CMD-SHELL", "pg_isready -U app"]',
                "      interval: 10s",
                "      retries: 5",
            ]
        elif name == "proxy":
            lines += ["    ports:", '      - "80:80"', '      - "443:443"', "    depends_on:"]
            lines += ["      - app"] if n_build else ["      - db"]
        elif rng.random() < 0.4:
            lines += ["    command: ['--config', '/etc/config.yaml']", "    profiles: [debug]"]
        lines.append("")

    if shared_image:
        for q in ("default", "priority"):
            lines += [f"  queue-{q}:", "    <<: *common"]
            if q == "priority":
                lines += ["    environment:", "      QUEUE: priority"]
            lines.append("")

    lines += ["volumes:", "  db-data:", "", "networks:", "  default:", f"    name: {project}-net"]
    files[compose_name] = "\n".join(lines) + "\n"
    if used_env and rng.random() < 0.5:
        features[".env file"] += 1
        files[".env"] = "".join(f"{k}={v}\n" for k, v in COMPOSE_ENV_VARS if k in used_env)
    return f"{index:04d}-{project}", compose_name, files, features


@dataclass
class ComposeCorpus:
    root: Path
    files: list[Path]  # the Compose files
    dockerfiles: int  # Dockerfiles the Compose files build (checked with them)
    line_counts: list[int]  # of the Compose files
    features: Counter[str]  # construct -> number of Compose files using it
    total_bytes: int  # of the Compose files


def generate_compose(root: Path, count: int, seed: int) -> ComposeCorpus:
    """Write `count` Compose projects under `root` (created when missing)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed * 1_000_003 + 7)  # independent of the Dockerfile corpus' stream
    files: list[Path] = []
    line_counts: list[int] = []
    features: Counter[str] = Counter()
    dockerfiles = 0
    total = 0
    for i in range(count):
        dirname, compose_name, project_files, used = render_compose(rng, i)
        for rel, text in project_files.items():
            path = root / dirname / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        text = project_files[compose_name]
        files.append(root / dirname / compose_name)
        line_counts.append(text.count("\n"))
        total += len(text.encode())
        dockerfiles += sum(1 for rel in project_files if rel.rsplit("/", 1)[-1].startswith("Dockerfile"))
        features.update({k: 1 for k in used})
    return ComposeCorpus(root, files, dockerfiles, line_counts, features, total)


def describe_compose(corpus: ComposeCorpus) -> list[str]:
    counts = corpus.line_counts
    return [
        (
            f"{len(corpus.files)} Compose files, {sum(counts)} lines ({min(counts)}-{max(counts)} per file, "
            f"median {statistics.median(counts):g}), {corpus.total_bytes / 1024:.0f} KiB, building "
            f"{corpus.dockerfiles} Dockerfiles"
        ),
        "files using: " + ", ".join(f"{k} {v}" for k, v in sorted(corpus.features.items())),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compose-files", type=int, default=0, help="Compose projects to write into OUT-compose")
    parser.add_argument("--out", type=Path, required=True, help="a directory that does not exist yet")
    args = parser.parse_args()
    compose_out = args.out.with_name(args.out.name + "-compose")
    for path in (args.out, compose_out):
        if path.exists():
            parser.error(f"{path} exists; name a new directory")
    for line in describe(generate(args.out, args.files, args.seed)):
        print(line)
    if args.compose_files > 0:
        for line in describe_compose(generate_compose(compose_out, args.compose_files, args.seed)):
            print(line)


if __name__ == "__main__":
    main()
