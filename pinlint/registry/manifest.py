"""What a registry answer means, on bytes and headers only (no HTTP client, no I/O).

`Manifest` is a resolved answer and `ResolveError` the one-line reason a reference failed.
`from_head` decides whether a HEAD answer can be trusted as it is; `from_body` reads a GET
answer: error bodies explained, the exact bytes hashed and checked against the announced and
requested digests, the media type taken from the header or inferred from the document, schema 1
refused, an index's platforms listed. Kept apart so that cache hits never import httpx, and so
that all of it is testable on bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

from pinlint.platforms import platform_key
from pinlint.reference import ImageRef
from pinlint.registry.media import (
    DOCKER_LIST,
    DOCKER_V2,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    SCHEMA1_TYPES,
)
from pinlint.report.escape import echo

__all__ = [
    "DOCKER_LIST",
    "DOCKER_V2",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "Log",
    "Manifest",
    "ResolveError",
    "error_detail",
    "from_body",
    "from_head",
    "index_platforms",
]

Log = Callable[[int, str], None]
DIGEST = re.compile(r"(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})", re.ASCII)
_SCHEMA1 = "the registry only serves a schema 1 manifest, which is not supported"


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


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip()


def from_head(headers: Mapping[str, str], ref: ImageRef, want_platforms: bool) -> Manifest | None:
    """The answer of a 200 to HEAD when its headers are enough (a valid digest, the one asked for,
    a known media type and a length, and no platform list wanted from an index); None: GET it."""
    media_type = _media_type(headers)
    if media_type in SCHEMA1_TYPES:
        raise ResolveError(_SCHEMA1)
    header = headers.get("docker-content-digest", "").strip()
    length = headers.get("content-length")
    if (
        DIGEST.fullmatch(header)
        and (ref.digest is None or header == ref.digest)
        and media_type in MANIFEST_TYPES
        and length
        and not (want_platforms and media_type in INDEX_TYPES)
    ):
        return Manifest(header, media_type, int(length) if length.isdigit() else None)
    return None


def error_detail(body: bytes) -> str:
    """`code: message` of the first entry of a distribution error body, or ""."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = str(errors[0].get("code", "")).lower().replace("_", " ")
        message = str(errors[0].get("message", ""))
        detail = f"{code}: {message}" if code and message and code not in message.lower() else message or code
        return echo(detail)  # the registry's words: truncated, control characters escaped
    return ""


def index_platforms(body: bytes) -> dict[str, str]:
    """`os/arch[/variant]` → child digest of an index; attestations and `unknown` platforms left out."""
    data = json.loads(body)
    result: dict[str, str] = {}
    for entry in data.get("manifests", []) if isinstance(data, dict) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            continue
        annotations = entry.get("annotations") or {}
        if isinstance(annotations, dict) and annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            continue
        platform = entry.get("platform")
        if not isinstance(platform, dict) or platform.get("os") == "unknown":
            continue
        result.setdefault(platform_key(platform), entry["digest"])
    return result


def _refusal(status: int, body: bytes, ref: ImageRef) -> ResolveError:
    detail = error_detail(body)
    if status == 404:
        where = f"{ref.registry_host}/{ref.path}"
        if "name unknown" in detail or "repository name not known" in detail:
            return ResolveError(f"not found: repository {where} does not exist ({detail})")
        target = f"digest {ref.digest}" if ref.digest else f"tag '{ref.tag or 'latest'}'"
        return ResolveError(f"not found: no {target} in {where}{f' ({detail})' if detail else ''}")
    if status == 403:
        return ResolveError(f"403 denied{': ' + detail if detail else ''}")
    return ResolveError(f"registry answered {status}{': ' + detail if detail else ''}")


def from_body(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    ref: ImageRef,
    want_platforms: bool,
    log: Log | None = None,
) -> Manifest:
    """The answer of a GET (any status but the retryable ones), or ResolveError."""
    if status != 200:
        raise _refusal(status, body, ref)
    header = headers.get("docker-content-digest", "").strip()
    announced = header.lower() if DIGEST.fullmatch(header.lower()) else None
    if header and announced is None and log is not None:
        log(1, f"{ref}: ignoring an unusable Docker-Content-Digest header")
    expected = announced or (ref.digest.lower() if ref.digest else None)
    algorithm = expected.split(":", 1)[0] if expected and DIGEST.fullmatch(expected) else "sha256"
    computed = f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"
    media_type = _media_type(headers)
    try:
        document = json.loads(body)
    except ValueError:
        raise ResolveError("the registry sent a manifest that is not JSON") from None
    if not isinstance(document, dict):
        raise ResolveError("the registry sent a manifest that is not a JSON object")
    if document.get("schemaVersion") == 1 or media_type in SCHEMA1_TYPES:
        raise ResolveError(_SCHEMA1)
    if media_type not in MANIFEST_TYPES:
        declared = document.get("mediaType")
        if isinstance(declared, str) and declared in MANIFEST_TYPES:
            media_type = declared
        elif isinstance(document.get("manifests"), list):
            media_type = OCI_INDEX
        elif "config" in document and "layers" in document:
            media_type = OCI_MANIFEST
        else:
            raise ResolveError(f"the registry sent an unknown manifest type {media_type or '(none)'}")
    if announced and announced != computed:
        raise ResolveError(
            f"digest mismatch: the registry announced {announced} but the manifest it sent hashes to {computed}"
        )
    if ref.digest and ref.digest.lower() != computed:
        raise ResolveError(f"digest mismatch: asked for {ref.digest} but the manifest sent hashes to {computed}")
    platforms = index_platforms(body) if want_platforms and media_type in INDEX_TYPES else None
    return Manifest(computed, media_type, len(body), platforms)
