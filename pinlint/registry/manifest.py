"""What a registry answer is, without the HTTP client: manifest media types, a resolved
manifest, the one-line resolution error. Kept apart so that cache hits never import httpx."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_V2)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})

Log = Callable[[int, str], None]


class ResolveError(Exception):
    """One line: why a reference could not be resolved. Never contains a secret."""


class Manifest(NamedTuple):
    digest: str
    media_type: str
    size: int | None
    platforms: Mapping[str, str] | None = None  # "os/arch[/variant]" → child digest, for indexes

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES
