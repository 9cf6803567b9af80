"""Shared by every test server: media types, errors, digests, free ports, the atexit safety net and request counting."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import re
import shutil
import socket
import threading
from collections import Counter
from typing import Literal, Protocol, TypeVar

# --------------------------------------------------------------------------------------------
# Media types and constants
# --------------------------------------------------------------------------------------------

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IN_TOTO = "application/vnd.in-toto+json"

#: The Accept list a correct resolver sends (indexes first, then single manifests).
FULL_ACCEPT = ", ".join([OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

#: A syntactically valid digest that no content has.
WRONG_DIGEST = "sha256:" + "0" * 64

DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64/v8")

ImageKind = Literal["single-oci", "single-docker", "multi-oci", "multi-docker", "multi-attest"]
IMAGE_KINDS: tuple[ImageKind, ...] = ("single-oci", "single-docker", "multi-oci", "multi-docker", "multi-attest")

_SHARED_SECRET = "pinlint-test-upload-state-secret"  # same for all servers on one storage: uploads may cross


class RegistryTestError(Exception):
    """A test server could not start, or an operation against it failed."""


class PushError(RegistryTestError):
    """The registry refused or mangled something the pusher sent."""


def sha256_digest(data: bytes) -> str:
    """The OCI digest (`sha256:<hex>`) of exactly these bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (callers retry on a lost race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_tools(*names: str) -> list[str]:
    """The names among `names` that are not executables on PATH."""
    return [name for name in names if shutil.which(name) is None]


# --------------------------------------------------------------------------------------------
# Safety net: stop every server still running when the interpreter exits
# --------------------------------------------------------------------------------------------


class _Stoppable(Protocol):
    def stop(self) -> None: ...


_LIVE: dict[int, _Stoppable] = {}
_LIVE_LOCK = threading.Lock()


def _track(server: _Stoppable) -> None:
    with _LIVE_LOCK:
        _LIVE[id(server)] = server


def _untrack(server: _Stoppable) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(id(server), None)


@atexit.register
def _stop_all_servers() -> None:
    with _LIVE_LOCK:
        servers = list(_LIVE.values())
    for server in reversed(servers):
        with contextlib.suppress(Exception):
            server.stop()


_Server = TypeVar("_Server", bound="_RequestCounting")


class _RequestCounting:
    """`request_counts()` and `count()` over a server's `requests` ((method, path) pairs), and
    `with server:` calling its `stop()`."""

    @property
    def requests(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Server) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def request_counts(self) -> Counter[tuple[str, str]]:
        return Counter(self.requests)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched `method` (exact) and `path` (regex, searched)."""
        pattern = re.compile(path) if path is not None else None
        return sum(
            1
            for m, p in self.requests
            if (method is None or m == method.upper()) and (pattern is None or pattern.search(p))
        )
