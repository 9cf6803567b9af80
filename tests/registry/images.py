"""Small deterministic images: blobs, OCI and Docker manifests, indexes, attestations."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .common import (
    DEFAULT_PLATFORMS,
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    IMAGE_KINDS,
    IN_TOTO,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    ImageKind,
    sha256_digest,
)

# --------------------------------------------------------------------------------------------
# Images: deterministic builders
# --------------------------------------------------------------------------------------------


def _dump(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, indent=2).encode()


def _seeded_bytes(seed: str, size: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _platform_fields(platform: str) -> dict[str, str]:
    parts = platform.split("/")
    fields = {"architecture": parts[1], "os": parts[0]}
    if len(parts) > 2:
        fields["variant"] = parts[2]
    return fields


@dataclass(frozen=True)
class Blob:
    """Blob content with its media type."""

    data: bytes
    media_type: str
    annotations: Mapping[str, str] | None = None

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    def descriptor(self) -> dict[str, Any]:
        descriptor: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}
        if self.annotations:
            descriptor["annotations"] = dict(self.annotations)
        return descriptor


@dataclass(frozen=True)
class Manifest:
    """A manifest's exact bytes plus what must be pushed before it (blobs, child manifests)."""

    media_type: str
    body: bytes
    blobs: tuple[Blob, ...] = ()
    children: tuple[Manifest, ...] = ()
    platform: str | None = None  # for image manifests: "linux/arm64/v8"; "unknown/unknown" for attestations
    attests: str | None = None  # for attestation manifests: the digest of the image they describe

    @property
    def digest(self) -> str:
        return sha256_digest(self.body)

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def is_index(self) -> bool:
        return self.media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST)

    @property
    def platforms(self) -> dict[str, str]:
        """platform → image manifest digest (a single manifest maps its own platform to itself)."""
        if not self.is_index:
            return {self.platform or "linux/amd64": self.digest}
        return {c.platform or "": c.digest for c in self.children if c.attests is None}

    @property
    def attestations(self) -> dict[str, str]:
        """attested image digest → attestation manifest digest."""
        return {c.attests: c.digest for c in self.children if c.attests is not None}

    def json(self) -> Any:
        return json.loads(self.body)


def layer_blob(seed: str, *, docker: bool = False) -> tuple[Blob, str]:
    """A small, reproducible gzipped tar layer and its diff_id (sha256 of the uncompressed tar)."""
    raw = io.BytesIO()
    data = _seeded_bytes(seed, 256)
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("pinlint-test/seed.bin")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    return Blob(gzip.compress(raw.getvalue(), mtime=0), DOCKER_LAYER if docker else OCI_LAYER), sha256_digest(
        raw.getvalue()
    )


def config_blob(platform: str, diff_ids: Iterable[str], *, seed: str, docker: bool = False) -> Blob:
    config = {
        **_platform_fields(platform),
        "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Labels": {"org.pinlint.test.seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "pinlint test fixture"}],
    }
    return Blob(_dump(config), DOCKER_CONFIG if docker else OCI_CONFIG)


def image_manifest(platform: str = "linux/amd64", *, seed: str = "", docker: bool = False) -> Manifest:
    """An OCI image manifest (or Docker schema2 with `docker=True`) with its own config and layer."""
    layer, diff_id = layer_blob(f"{seed}|{platform}|layer", docker=docker)
    config = config_blob(platform, [diff_id], seed=f"{seed}|{platform}", docker=docker)
    media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
    document = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
    }
    return Manifest(media_type, _dump(document), blobs=(config, layer), platform=platform)


def oci_manifest(platform: str = "linux/amd64", *, seed: str = "") -> Manifest:
    return image_manifest(platform, seed=seed)


def docker_manifest(platform: str = "linux/amd64", *, seed: str = "") -> Manifest:
    return image_manifest(platform, seed=seed, docker=True)


def attestation_manifest(subject: Manifest, *, seed: str = "") -> Manifest:
    """A BuildKit-style attestation manifest (in-toto layer, unknown/unknown) for `subject`."""
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": "pinlint-test", "digest": {"sha256": subject.digest.split(":", 1)[1]}}],
        "predicate": {"seed": seed},
    }
    layer = Blob(_dump(statement), IN_TOTO, {"in-toto.io/predicate-type": "https://spdx.dev/Document"})
    config = Blob(
        _dump(
            {
                "architecture": "unknown",
                "os": "unknown",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
            }
        ),
        OCI_CONFIG,
    )
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
    }
    return Manifest(
        OCI_MANIFEST, _dump(document), blobs=(config, layer), platform="unknown/unknown", attests=subject.digest
    )


def _index(media_type: str, children: Iterable[Manifest]) -> Manifest:
    entries = []
    for child in children:
        entry: dict[str, Any] = {"mediaType": child.media_type, "digest": child.digest, "size": child.size}
        entry["platform"] = _platform_fields(child.platform or "unknown/unknown")
        if child.attests is not None:
            entry["annotations"] = {
                "vnd.docker.reference.digest": child.attests,
                "vnd.docker.reference.type": "attestation-manifest",
            }
        entries.append(entry)
    document = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
    return Manifest(media_type, _dump(document), children=tuple(children))


def oci_index(platforms: Iterable[str] = DEFAULT_PLATFORMS, *, seed: str = "", attestations: bool = False) -> Manifest:
    """An OCI index of one OCI image manifest per platform (+ one attestation manifest each)."""
    images = [oci_manifest(p, seed=seed) for p in platforms]
    children = list(images)
    if attestations:
        children += [attestation_manifest(image, seed=seed) for image in images]
    return _index(OCI_INDEX, children)


def docker_manifest_list(platforms: Iterable[str] = DEFAULT_PLATFORMS, *, seed: str = "") -> Manifest:
    """A Docker manifest list of one schema2 manifest per platform."""
    return _index(DOCKER_MANIFEST_LIST, [docker_manifest(p, seed=seed) for p in platforms])


def build_image(kind: ImageKind, *, seed: str) -> Manifest:
    """The manifest tree for one of `IMAGE_KINDS`; the same seed always gives the same digests."""
    if kind == "single-oci":
        return oci_manifest(seed=seed)
    if kind == "single-docker":
        return docker_manifest(seed=seed)
    if kind == "multi-oci":
        return oci_index(seed=seed)
    if kind == "multi-docker":
        return docker_manifest_list(seed=seed)
    if kind == "multi-attest":
        return oci_index(seed=seed, attestations=True)
    raise ValueError(f"unknown image kind {kind!r}; expected one of {IMAGE_KINDS}")
