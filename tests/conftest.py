"""Shared fixtures: a temporary project as the working directory, the real CLI run in it, an
environment isolated from the machine's caches and credentials, and the registry servers."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pinlint.cli import main

# Variables that would change what `pinlint check` prints when inherited from the outer shell.
_OUTPUT_ENV = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM", "GITHUB_ACTIONS", "GITLAB_CI")


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user configuration (pinlint.trust) of whoever runs the tests never changes them."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("user-config")))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that is the working directory for the test."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    for name in _OUTPUT_ENV:
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """No digest cache, credentials or auth files from the machine; returns the environment.

    Use it with `pytestmark = pytest.mark.usefixtures("isolated")`, or as an argument to get the
    environment for a subprocess."""
    for name, directory in (
        ("XDG_CACHE_HOME", "cache"),
        ("HOME", "home"),
        ("DOCKER_CONFIG", "docker"),
        ("XDG_CONFIG_HOME", "config"),
    ):
        monkeypatch.setenv(name, str(tmp_path / directory))
    for name in ("DOCKER_AUTH_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


@pytest.fixture
def write(project: Path) -> Callable[[str, str | bytes], Path]:
    """write("a/Dockerfile", text_or_bytes) -> the path, parents created, relative to `project`."""

    def write(relpath: str, content: str | bytes) -> Path:
        path = project / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
        return path

    return write


@pytest.fixture
def cli(project: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """cli("check", ...) runs `pinlint.cli.main` in `project` and returns code, stdout, stderr."""

    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


# ==== registry fixtures (helpers live in the tests/registry/ package; keep this block small) ====
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

from registry import FaultProxy, ImageSet, Registry, RegistryStack, TokenServer  # noqa: E402


@pytest.fixture(scope="session")
def registry_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryStack]:
    """Registries on one shared storage root, each started on first use, all stopped at session end."""
    stack = RegistryStack(tmp_path_factory.mktemp("registry"))
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def registry(registry_stack: RegistryStack) -> Registry:
    """A plain-HTTP registry (skipped when docker-registry is missing, failed under CI)."""
    return registry_stack.plain


@pytest.fixture(scope="session")
def basic_registry(registry_stack: RegistryStack) -> Registry:
    """htpasswd Basic auth; `basic_registry.credentials` is (user, password)."""
    return registry_stack.basic


@pytest.fixture(scope="session")
def tls_registry(registry_stack: RegistryStack) -> Registry:
    """HTTPS with a throwaway CA (`tls_registry.ca_file`, `tls_registry.ssl_context()`)."""
    return registry_stack.tls


@pytest.fixture(scope="session")
def ca_file(tls_registry: Registry) -> Path:
    assert tls_registry.ca_file is not None
    return tls_registry.ca_file


@pytest.fixture(scope="session")
def token_server(registry_stack: RegistryStack) -> TokenServer:
    """Token server of `token_registry`: anonymous pull on test/*, everything for `.credentials`."""
    return registry_stack.token_server


@pytest.fixture(scope="session")
def token_registry(registry_stack: RegistryStack) -> Registry:
    return registry_stack.token


@pytest.fixture(scope="session")
def images(registry_stack: RegistryStack) -> ImageSet:
    """IMAGE_KINDS pushed once into test/app on the shared storage (every registry above sees them)."""
    return registry_stack.images("test/app")


@pytest.fixture
def fault_proxy(registry: Registry) -> Iterator[Callable[..., FaultProxy]]:
    """fault_proxy(upstream=registry, latency_ms=0, ...) -> a FaultProxy stopped after the test."""
    proxies: list[FaultProxy] = []

    def make(upstream: Registry | TokenServer | str | None = None, **options: Any) -> FaultProxy:
        proxy = FaultProxy(upstream if upstream is not None else registry, **options)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


# ==== end of registry fixtures ====


@pytest.fixture
def tokens(token_server: TokenServer) -> Iterator[TokenServer]:
    """The session token server, its knobs restored and its request log cleared around the test."""
    token_server.clear_requests()
    yield token_server
    token_server.response_fields = "both"
    token_server.expires_in = 300
    token_server.expired_tokens = False
    token_server.post_status = None
    token_server.fail_next(401, 0)
    token_server.clear_requests()
