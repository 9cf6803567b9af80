"""Test infrastructure for the registry resolver, one module per job: real registries, a token
server, image pushing, a fault proxy.

Everything here talks to 127.0.0.1 only and never imports pinlint, so the resolver's tests and
benchmarks exercise the real client against real servers:

- `Registry` runs CNCF distribution (`docker-registry serve`, 2.8.2 on Debian) on a free loopback
  port: plain HTTP, htpasswd Basic auth, TLS with a throwaway CA, or token auth backed by
  `TokenServer`. Several registries may share one storage root. The access log (stdout in 2.8.2)
  is parsed, so a test can count the requests the registry really served.
- `TokenServer` issues ES256 JWTs the way Docker Hub does (GET with optional Basic credentials,
  OAuth2 POST with a refresh token or a password) and records every request, without secrets.
- `ImagePusher` pushes blobs and manifests over the registry API with httpx (no docker); the
  builders (`oci_manifest`, `docker_manifest`, `oci_index`, `docker_manifest_list`,
  `build_image`) make small deterministic images; `ImageSet` pushes a named set of tags.
- `FaultProxy` is an asyncio HTTP/1.1 reverse proxy (keep-alive, Content-Length and chunked
  bodies) that adds per-direction latency and injects faults (429, 5xx, resets, hangs, missing or
  wrong `Docker-Content-Digest`, truncated or trickled bodies).
- `RegistryStack` starts the above lazily for pytest's session fixtures (see conftest.py).

Every server is stopped by its owner; an atexit hook stops whatever is left as a safety net.

Modules: `common` (media types, errors, digests, ports, the safety net, request counting),
`tls` (openssl CA and certificates, the ES256 signer), `tokens` (`TokenServer`), `server`
(`Registry`), `images` (manifest builders), `push` (`ImagePusher`, `ImageSet`), `fault_proxy`
(`FaultProxy`), `proxy_process` (`FaultProxyProcess`), `stack` (`RegistryStack`). Import names
from the package: `from registry import Registry, ImagePusher`.
"""

from __future__ import annotations

from .common import (
    DEFAULT_PLATFORMS,
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    FULL_ACCEPT,
    IMAGE_KINDS,
    IN_TOTO,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    WRONG_DIGEST,
    ImageKind,
    PushError,
    RegistryTestError,
    free_port,
    missing_tools,
    sha256_digest,
)
from .fault_proxy import Fault, FaultAction, FaultProxy
from .images import (
    Blob,
    Manifest,
    attestation_manifest,
    build_image,
    config_blob,
    docker_manifest,
    docker_manifest_list,
    image_manifest,
    layer_blob,
    oci_index,
    oci_manifest,
)
from .proxy_process import FaultProxyProcess
from .push import ChallengeAuth, ImagePusher, ImageSet, PushedImage, parse_challenge
from .server import AccessLogEntry, Registry
from .stack import RegistryStack, index_platforms, require_tools
from .tls import ES256Signer, TLSFiles, make_tls_files
from .tokens import TokenRequest, TokenServer, parse_scope

__all__ = [
    "DEFAULT_PLATFORMS",
    "DOCKER_CONFIG",
    "DOCKER_LAYER",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "FULL_ACCEPT",
    "IMAGE_KINDS",
    "IN_TOTO",
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_LAYER",
    "OCI_MANIFEST",
    "WRONG_DIGEST",
    "AccessLogEntry",
    "Blob",
    "ChallengeAuth",
    "ES256Signer",
    "Fault",
    "FaultAction",
    "FaultProxy",
    "FaultProxyProcess",
    "ImageKind",
    "ImagePusher",
    "ImageSet",
    "Manifest",
    "PushError",
    "PushedImage",
    "Registry",
    "RegistryStack",
    "RegistryTestError",
    "TLSFiles",
    "TokenRequest",
    "TokenServer",
    "attestation_manifest",
    "build_image",
    "config_blob",
    "docker_manifest",
    "docker_manifest_list",
    "free_port",
    "image_manifest",
    "index_platforms",
    "layer_blob",
    "make_tls_files",
    "missing_tools",
    "oci_index",
    "oci_manifest",
    "parse_challenge",
    "parse_scope",
    "require_tools",
    "sha256_digest",
]
