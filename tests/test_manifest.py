"""Manifest parsing on bytes and headers (pinlint.registry.manifest): no server, no HTTP client.

What a HEAD answer is trusted for, how a GET body is hashed, typed and checked, how error bodies
are explained, and which platforms an index lists. The same cases run against real registries in
test_resolver.py; here each rule is pinned down on its own.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from pinlint.reference import parse
from pinlint.registry.manifest import (
    DOCKER_LIST,
    DOCKER_V2,
    OCI_INDEX,
    OCI_MANIFEST,
    Manifest,
    ResolveError,
    error_detail,
    from_body,
    from_head,
    index_platforms,
)
from pinlint.registry.media import ACCEPT, INDEX_TYPES, MANIFEST_TYPES

REF = parse("registry.example/team/app:v1")


def digest(body: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"


def dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


IMAGE = dump({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}, "layers": []})
INDEX = dump(
    {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"digest": "sha256:" + "a" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": "sha256:" + "b" * 64, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"digest": "sha256:" + "c" * 64, "platform": {"os": "linux", "architecture": "amd64"}},  # first wins
            {
                "digest": "sha256:" + "d" * 64,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
            },
            {"digest": "sha256:" + "e" * 64},  # no platform
            "not an object",
        ],
    }
)


def test_media_types_are_one_list_in_preference_order() -> None:
    assert MANIFEST_TYPES == (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_V2)
    assert ", ".join(MANIFEST_TYPES) == ACCEPT
    assert {OCI_INDEX, DOCKER_LIST} == INDEX_TYPES


def test_the_online_rules_share_the_index_types() -> None:
    from pinlint.rules._online import INDEX_MEDIA_TYPES

    assert INDEX_MEDIA_TYPES is INDEX_TYPES


# -- HEAD -------------------------------------------------------------------------------------


def head(**headers: str) -> dict[str, str]:
    base = {"docker-content-digest": digest(IMAGE), "content-type": OCI_MANIFEST, "content-length": str(len(IMAGE))}
    base.update({k.replace("_", "-"): v for k, v in headers.items()})
    return {k: v for k, v in base.items() if v}


def test_a_complete_head_answer_is_enough() -> None:
    assert from_head(head(), REF, False) == Manifest(digest(IMAGE), OCI_MANIFEST, len(IMAGE))
    assert from_head(head(content_type=f"{OCI_MANIFEST}; charset=utf-8"), REF, False) is not None


@pytest.mark.parametrize(
    "headers",
    [
        {"docker_content_digest": ""},  # no digest
        {"docker_content_digest": "sha256:abc"},  # not a digest
        {"docker_content_digest": "SHA256:" + "a" * 64},  # not canonical
        {"content_type": "application/json"},  # unknown type: the body says what it is
        {"content_length": ""},  # no length
    ],
)
def test_an_incomplete_head_answer_means_get(headers: dict[str, str]) -> None:
    assert from_head(head(**headers), REF, False) is None


def test_head_is_not_enough_for_another_digest_or_for_platforms() -> None:
    pinned = parse(f"registry.example/team/app@{'sha256:' + 'f' * 64}")
    assert from_head(head(), pinned, False) is None
    index = head(docker_content_digest=digest(INDEX), content_type=OCI_INDEX, content_length=str(len(INDEX)))
    assert from_head(index, REF, False) is not None
    assert from_head(index, REF, True) is None  # the child digests are only in the body


def test_schema1_on_head_is_refused() -> None:
    with pytest.raises(ResolveError, match="schema 1"):
        from_head(head(content_type="application/vnd.docker.distribution.manifest.v1+prettyjws"), REF, False)


# -- GET --------------------------------------------------------------------------------------


def test_the_digest_is_the_hash_of_the_exact_bytes() -> None:
    spaced = IMAGE.replace(b",", b", ")
    manifest = from_body(200, {"content-type": OCI_MANIFEST}, spaced, REF, False)
    assert manifest == Manifest(digest(spaced), OCI_MANIFEST, len(spaced))
    assert manifest.digest != digest(IMAGE)


def test_an_announced_digest_must_match_the_body() -> None:
    wrong = "sha256:" + "0" * 64
    with pytest.raises(ResolveError, match=f"announced {wrong} but the manifest it sent hashes to {digest(IMAGE)}"):
        from_body(200, {"content-type": OCI_MANIFEST, "docker-content-digest": wrong}, IMAGE, REF, False)


def test_an_unusable_digest_header_is_ignored_and_logged() -> None:
    said: list[tuple[int, str]] = []
    headers = {"content-type": OCI_MANIFEST, "docker-content-digest": "md5:xyz"}
    manifest = from_body(200, headers, IMAGE, REF, False, lambda level, message: said.append((level, message)))
    assert manifest.digest == digest(IMAGE)
    assert said == [(1, f"{REF}: ignoring an unusable Docker-Content-Digest header")]


@pytest.mark.parametrize("algorithm", ["sha384", "sha512"])
def test_a_requested_digest_chooses_the_algorithm(algorithm: str) -> None:
    ref = parse(f"registry.example/team/app@{digest(IMAGE, algorithm)}")
    assert from_body(200, {"content-type": OCI_MANIFEST}, IMAGE, ref, False).digest == digest(IMAGE, algorithm)
    other = parse(f"registry.example/team/app@{digest(b'other', algorithm)}")
    with pytest.raises(ResolveError, match="digest mismatch: asked for"):
        from_body(200, {"content-type": OCI_MANIFEST}, IMAGE, other, False)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"mediaType": DOCKER_V2, "config": {}, "layers": []}, DOCKER_V2),
        ({"manifests": []}, OCI_INDEX),
        ({"config": {}, "layers": []}, OCI_MANIFEST),
    ],
)
def test_the_media_type_is_inferred_when_the_header_is_generic(document: dict[str, Any], expected: str) -> None:
    body = dump({"schemaVersion": 2, **document})
    assert from_body(200, {"content-type": "application/octet-stream"}, body, REF, False).media_type == expected


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html>", OCI_MANIFEST, "the registry sent a manifest that is not JSON"),
        (b"[1, 2]", OCI_MANIFEST, "the registry sent a manifest that is not a JSON object"),
        (b'{"schemaVersion": 1, "fsLayers": []}', "text/plain", "schema 1 manifest, which is not supported"),
        (b'{"schemaVersion": 2}', "application/json", "unknown manifest type application/json"),
        (b'{"schemaVersion": 2}', "", r"unknown manifest type \(none\)"),
    ],
)
def test_bodies_that_are_not_manifests(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ResolveError, match=message):
        from_body(200, {"content-type": content_type}, body, REF, False)


def test_platforms_of_an_index_only_when_asked() -> None:
    assert from_body(200, {"content-type": OCI_INDEX}, INDEX, REF, False).platforms is None
    manifest = from_body(200, {"content-type": OCI_INDEX}, INDEX, REF, True)
    assert manifest.is_index and manifest.platforms == {
        "linux/amd64": "sha256:" + "a" * 64,
        "linux/arm64": "sha256:" + "b" * 64,  # arm64/v8 is arm64, as containerd normalises it
    }
    assert index_platforms(INDEX) == manifest.platforms
    assert index_platforms(b"[]") == {}


# -- errors -----------------------------------------------------------------------------------


def errors(code: str, message: str) -> bytes:
    return dump({"errors": [{"code": code, "message": message}]})


def test_error_details_from_distribution_error_bodies() -> None:
    assert error_detail(errors("MANIFEST_UNKNOWN", "manifest unknown")) == "manifest unknown"
    assert error_detail(errors("DENIED", "requested access is refused")) == "denied: requested access is refused"
    assert error_detail(errors("", "only a message")) == "only a message"
    assert error_detail(b"not json") == "" and error_detail(b'{"errors": []}') == ""


@pytest.mark.parametrize(
    ("status", "body", "ref", "message"),
    [
        (404, errors("MANIFEST_UNKNOWN", "manifest unknown"), "registry.example/team/app:v1",
         "not found: no tag 'v1' in registry.example/team/app (manifest unknown)"),
        (404, errors("NAME_UNKNOWN", "repository name not known to registry"), "registry.example/team/app:v1",
         "not found: repository registry.example/team/app does not exist "
         "(name unknown: repository name not known to registry)"),
        (404, b"", "registry.example/team/app", "not found: no tag 'latest' in registry.example/team/app"),
        (404, b"", f"registry.example/team/app@sha256:{'a' * 64}",
         f"not found: no digest sha256:{'a' * 64} in registry.example/team/app"),
        (403, errors("DENIED", "no"), "registry.example/team/app:v1", "403 denied: denied: no"),
        (400, b"", "registry.example/team/app:v1", "registry answered 400"),
    ],
)  # fmt: skip
def test_refusals_are_one_line(status: int, body: bytes, ref: str, message: str) -> None:
    with pytest.raises(ResolveError) as caught:
        from_body(status, {}, body, parse(ref), False)
    assert str(caught.value) == message
