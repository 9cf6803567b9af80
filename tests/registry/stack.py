"""`RegistryStack`: the servers of pytest's session fixtures, started lazily on one storage root."""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .common import missing_tools
from .push import ImagePusher, ImageSet
from .server import Registry
from .tokens import TokenServer

# --------------------------------------------------------------------------------------------
# RegistryStack: lazily started servers for pytest session fixtures
# --------------------------------------------------------------------------------------------


def require_tools(*names: str) -> None:
    """pytest.skip when a tool is missing — but fail under CI, where .ci/run must install it."""
    import pytest

    missing = missing_tools(*names)
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (Debian: apt-get install docker-registry apache2-utils openssl)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI installs these in .ci/run, so this is a real failure", pytrace=False)
    pytest.skip(message)


class RegistryStack:
    """The session's servers, started on first use, all on one storage root.

    `plain`, `basic`, `tls` and `token` registries serve the same images; `token_server` issues
    tokens for `token` (anonymous pull on `test/*`, everything for its user). `images()` pushes
    the `ImageSet` once into `test/app` through the plain registry.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.storage = workdir / "storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        self._servers: dict[str, Any] = {}
        self._lock = threading.RLock()

    def _get(self, name: str, tools: tuple[str, ...], start: Any) -> Any:
        with self._lock:
            if name not in self._servers:
                require_tools(*tools)
                self._servers[name] = start()
            return self._servers[name]

    @property
    def plain(self) -> Registry:
        result: Registry = self._get(
            "plain", ("docker-registry",), lambda: Registry(self.workdir / "plain", storage=self.storage)
        )
        return result

    @property
    def basic(self) -> Registry:
        credentials = ("pinlint", "pw-" + secrets.token_hex(6))
        result: Registry = self._get(
            "basic",
            ("docker-registry", "htpasswd"),
            lambda: Registry(self.workdir / "basic", storage=self.storage, basic_auth=credentials),
        )
        return result

    @property
    def tls(self) -> Registry:
        result: Registry = self._get(
            "tls",
            ("docker-registry", "openssl"),
            lambda: Registry(self.workdir / "tls", storage=self.storage, tls=True),
        )
        return result

    @property
    def token_server(self) -> TokenServer:
        result: TokenServer = self._get(
            "token_server", ("openssl",), lambda: TokenServer(self.workdir / "token-server", public=("test/*",))
        )
        return result

    @property
    def token(self) -> Registry:
        token_server = self.token_server
        result: Registry = self._get(
            "token",
            ("docker-registry", "openssl"),
            lambda: Registry(self.workdir / "token", storage=self.storage, token_server=token_server),
        )
        return result

    def images(self, repo: str = "test/app") -> ImageSet:
        key = f"images:{repo}"
        with self._lock:
            if key not in self._servers:
                with ImagePusher.for_registry(self.plain) as pusher:
                    self._servers[key] = ImageSet.push(pusher, repo)
            result: ImageSet = self._servers[key]
            return result

    def stop(self) -> None:
        with self._lock:
            servers = [s for s in self._servers.values() if hasattr(s, "stop")]
            self._servers.clear()
        for server in reversed(servers):
            server.stop()


def _iter_platform_children(index: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(platform, digest) for each entry of an index document, attestations as "unknown/unknown"."""
    for entry in index.get("manifests", []):
        platform = entry.get("platform", {})
        parts = [platform.get("os", ""), platform.get("architecture", "")]
        if platform.get("variant"):
            parts.append(platform["variant"])
        yield "/".join(parts), entry["digest"]


def index_platforms(body: bytes) -> dict[str, str]:
    """platform → digest of an index/manifest list body, attestation entries left out."""
    document = json.loads(body)
    attestations = {
        e["digest"]
        for e in document.get("manifests", [])
        if e.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"
    }
    return {p: d for p, d in _iter_platform_children(document) if d not in attestations}
