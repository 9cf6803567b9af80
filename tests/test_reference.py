"""Table-driven tests for pinlint.reference: grammar, Docker normalisation, errors."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from pinlint.reference import ImageRef, ReferenceError, parse

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA384 = "sha384:" + "0123456789abcdef" * 6
SHA512 = "sha512:" + "0123456789abcdef" * 8
HEX64 = "a" * 64
LONG_PATH = "a" * 255  # the longest valid path: the limit excludes the domain
LONG_TAG = "t" * 128


class Valid(NamedTuple):
    text: str
    domain: str
    path: str
    tag: str | None
    digest: str | None
    canonical: str
    familiar: str


# fmt: off
VALID = [
    # --- every vector of reference section A8 ---
    Valid("alpine", "docker.io", "library/alpine", None, None,
          "docker.io/library/alpine", "alpine"),
    Valid("alpine:3.19", "docker.io", "library/alpine", "3.19", None,
          "docker.io/library/alpine:3.19", "alpine"),
    Valid("foo/bar", "docker.io", "foo/bar", None, None, "docker.io/foo/bar", "foo/bar"),
    # an uppercase first component cannot be a namespace, so it is a domain
    Valid("Foo/bar", "Foo", "bar", None, None, "Foo/bar", "Foo/bar"),
    Valid("localhost/x", "localhost", "x", None, None, "localhost/x", "localhost/x"),
    Valid("localhost:5000/x", "localhost:5000", "x", None, None,
          "localhost:5000/x", "localhost:5000/x"),
    Valid("[::1]:5000/x", "[::1]:5000", "x", None, None, "[::1]:5000/x", "[::1]:5000/x"),
    Valid("index.docker.io/alpine", "docker.io", "library/alpine", None, None,
          "docker.io/library/alpine", "alpine"),
    Valid("docker.io/alpine", "docker.io", "library/alpine", None, None,
          "docker.io/library/alpine", "alpine"),
    # library/ is added for docker.io only
    Valid("registry-1.docker.io/alpine", "registry-1.docker.io", "alpine", None, None,
          "registry-1.docker.io/alpine", "registry-1.docker.io/alpine"),
    Valid("localhost", "docker.io", "library/localhost", None, None,
          "docker.io/library/localhost", "localhost"),
    # no slash: Docker reads `localhost:5000` as image `localhost`, tag `5000`
    Valid("localhost:5000", "docker.io", "library/localhost", "5000", None,
          "docker.io/library/localhost:5000", "localhost"),
    Valid("a__b/c", "docker.io", "a__b/c", None, None, "docker.io/a__b/c", "a__b/c"),
    Valid("a--b", "docker.io", "library/a--b", None, None, "docker.io/library/a--b", "a--b"),
    Valid("alpine:Latest", "docker.io", "library/alpine", "Latest", None,
          "docker.io/library/alpine:Latest", "alpine"),
    # --- Docker Hub spellings ---
    Valid("docker.io/library/alpine", "docker.io", "library/alpine", None, None,
          "docker.io/library/alpine", "alpine"),
    Valid("index.docker.io/library/alpine:3.19", "docker.io", "library/alpine", "3.19", None,
          "docker.io/library/alpine:3.19", "alpine"),
    Valid("library/alpine", "docker.io", "library/alpine", None, None,
          "docker.io/library/alpine", "alpine"),
    Valid("docker.io/foo/bar:1", "docker.io", "foo/bar", "1", None,
          "docker.io/foo/bar:1", "foo/bar"),
    # library/ is only stripped when nothing nests below it (FamiliarName)
    Valid("docker.io/library/foo/bar", "docker.io", "library/foo/bar", None, None,
          "docker.io/library/foo/bar", "library/foo/bar"),
    Valid("a/b/c/d/e", "docker.io", "a/b/c/d/e", None, None, "docker.io/a/b/c/d/e",
          "a/b/c/d/e"),
    Valid("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", None,
          "docker.io/library/ubuntu:22.04", "ubuntu"),
    Valid("python:3.12-slim-bookworm", "docker.io", "library/python", "3.12-slim-bookworm",
          None, "docker.io/library/python:3.12-slim-bookworm", "python"),
    # only the exact spelling index.docker.io is rewritten; other case is another domain
    Valid("Docker.io/alpine", "Docker.io", "alpine", None, None, "Docker.io/alpine",
          "Docker.io/alpine"),
    # no slash means Docker Hub, even when the name looks like a host
    Valid("example.com", "docker.io", "library/example.com", None, None,
          "docker.io/library/example.com", "example.com"),
    Valid("example.com:5000", "docker.io", "library/example.com", "5000", None,
          "docker.io/library/example.com:5000", "example.com"),
    # the familiar name of a dotted Hub namespace reads back as a domain, as in Docker
    Valid("docker.io/foo.bar/baz", "docker.io", "foo.bar/baz", None, None,
          "docker.io/foo.bar/baz", "foo.bar/baz"),
    # --- other registries ---
    Valid("ghcr.io/owner/repo:v1.2.3", "ghcr.io", "owner/repo", "v1.2.3", None,
          "ghcr.io/owner/repo:v1.2.3", "ghcr.io/owner/repo"),
    Valid("gcr.io/distroless/static-debian12:nonroot", "gcr.io", "distroless/static-debian12",
          "nonroot", None, "gcr.io/distroless/static-debian12:nonroot",
          "gcr.io/distroless/static-debian12"),
    Valid("mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com", "dotnet/sdk", "8.0", None,
          "mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/sdk"),
    Valid("public.ecr.aws/docker/library/alpine:3.19", "public.ecr.aws",
          "docker/library/alpine", "3.19", None,
          "public.ecr.aws/docker/library/alpine:3.19", "public.ecr.aws/docker/library/alpine"),
    Valid("registry.example.com:443/team/app:1.0", "registry.example.com:443", "team/app",
          "1.0", None, "registry.example.com:443/team/app:1.0",
          "registry.example.com:443/team/app"),
    Valid("myregistry:5000/x", "myregistry:5000", "x", None, None, "myregistry:5000/x",
          "myregistry:5000/x"),
    Valid("Foo:5000/bar", "Foo:5000", "bar", None, None, "Foo:5000/bar", "Foo:5000/bar"),
    Valid("Registry.Example.COM/x", "Registry.Example.COM", "x", None, None,
          "Registry.Example.COM/x", "Registry.Example.COM/x"),
    Valid("LOCALHOST/x", "LOCALHOST", "x", None, None, "LOCALHOST/x", "LOCALHOST/x"),
    Valid("a.b/c", "a.b", "c", None, None, "a.b/c", "a.b/c"),
    Valid("xn--bcher-kva.example/x", "xn--bcher-kva.example", "x", None, None,
          "xn--bcher-kva.example/x", "xn--bcher-kva.example/x"),
    Valid("127.0.0.1/x", "127.0.0.1", "x", None, None, "127.0.0.1/x", "127.0.0.1/x"),
    Valid("127.0.0.1:5000/x:dev", "127.0.0.1:5000", "x", "dev", None,
          "127.0.0.1:5000/x:dev", "127.0.0.1:5000/x"),
    Valid("[2001:db8::1]/x", "[2001:db8::1]", "x", None, None, "[2001:db8::1]/x",
          "[2001:db8::1]/x"),
    Valid("[2001:DB8::1]:5000/ns/x:tag", "[2001:DB8::1]:5000", "ns/x", "tag", None,
          "[2001:DB8::1]:5000/ns/x:tag", "[2001:DB8::1]:5000/ns/x"),
    # --- path separators ---
    Valid("a_b/c", "docker.io", "a_b/c", None, None, "docker.io/a_b/c", "a_b/c"),
    Valid("a-----b/c", "docker.io", "a-----b/c", None, None, "docker.io/a-----b/c",
          "a-----b/c"),
    Valid("ns/a.b-c_d__e0", "docker.io", "ns/a.b-c_d__e0", None, None,
          "docker.io/ns/a.b-c_d__e0", "ns/a.b-c_d__e0"),
    Valid("0/9", "docker.io", "0/9", None, None, "docker.io/0/9", "0/9"),
    Valid("registry.example.com/" + LONG_PATH, "registry.example.com", LONG_PATH, None, None,
          "registry.example.com/" + LONG_PATH, "registry.example.com/" + LONG_PATH),
    # --- tags ---
    Valid("alpine:_", "docker.io", "library/alpine", "_", None,
          "docker.io/library/alpine:_", "alpine"),
    Valid("alpine:_x.y-Z", "docker.io", "library/alpine", "_x.y-Z", None,
          "docker.io/library/alpine:_x.y-Z", "alpine"),
    Valid("alpine:" + LONG_TAG, "docker.io", "library/alpine", LONG_TAG, None,
          "docker.io/library/alpine:" + LONG_TAG, "alpine"),
    # 63 hex characters are a name, only exactly 64 are an image ID
    Valid(HEX64[:63], "docker.io", "library/" + HEX64[:63], None, None,
          "docker.io/library/" + HEX64[:63], HEX64[:63]),
    Valid(HEX64 + ":v1", "docker.io", "library/" + HEX64, "v1", None,
          "docker.io/library/" + HEX64 + ":v1", HEX64),
    # as in Docker, `sha256:<hex>` alone is image `sha256` with a 64-character tag
    Valid(SHA256, "docker.io", "library/sha256", SHA256[7:], None,
          "docker.io/library/" + SHA256, "sha256"),
    # --- digests ---
    Valid("alpine@" + SHA256, "docker.io", "library/alpine", None, SHA256,
          "docker.io/library/alpine@" + SHA256, "alpine"),
    Valid("alpine:3.19@" + SHA256, "docker.io", "library/alpine", "3.19", SHA256,
          "docker.io/library/alpine:3.19@" + SHA256, "alpine"),
    Valid("quay.io/prometheus/node-exporter@" + SHA256, "quay.io", "prometheus/node-exporter",
          None, SHA256, "quay.io/prometheus/node-exporter@" + SHA256,
          "quay.io/prometheus/node-exporter"),
    Valid("ghcr.io/a/b:1@" + SHA384, "ghcr.io", "a/b", "1", SHA384,
          "ghcr.io/a/b:1@" + SHA384, "ghcr.io/a/b"),
    Valid("ghcr.io/a/b@" + SHA512, "ghcr.io", "a/b", None, SHA512,
          "ghcr.io/a/b@" + SHA512, "ghcr.io/a/b"),
    Valid("localhost:5000@" + SHA256, "docker.io", "library/localhost", "5000", SHA256,
          "docker.io/library/localhost:5000@" + SHA256, "localhost"),
    Valid("[::1]:5000/x:y@" + SHA256, "[::1]:5000", "x", "y", SHA256,
          "[::1]:5000/x:y@" + SHA256, "[::1]:5000/x"),
]

INVALID = [
    # --- A8 ---
    ("ALPINE", "repository name must be lowercase"),
    ("a___b/c", "invalid reference format"),
    # --- empty, whitespace, size ---
    ("", "invalid reference format"),
    (" alpine", "leading or trailing whitespace"),
    ("alpine ", "leading or trailing whitespace"),
    ("alpine\n", "leading or trailing whitespace"),
    ("alpine@" + SHA256 + "\n", "leading or trailing whitespace"),
    ("a" * 4097, "longer than 4096 characters"),
    ("foo/bar baz", "invalid reference format"),
    # --- image IDs ---
    (HEX64, "64-character hex image ID"),
    # --- case ---
    ("Foo", "repository name must be lowercase"),
    ("foo/Bar", "repository name must be lowercase"),
    ("docker.io/Alpine", "repository name must be lowercase"),
    ("localhost:5000/Foo", "repository name must be lowercase"),
    ("example.com/x/Y:tag", "repository name must be lowercase"),
    ("A" * 64, "repository name must be lowercase"),
    # --- paths ---
    ("/alpine", "invalid reference format"),
    ("alpine/", "invalid reference format"),
    ("foo//bar", "invalid reference format"),
    ("-foo/bar", "invalid reference format"),
    ("foo-/bar", "invalid reference format"),
    ("foo_/bar", "invalid reference format"),
    ("a..b", "invalid reference format"),
    ("a._b", "invalid reference format"),
    ("a__-b", "invalid reference format"),
    ("alp\u00efne", "invalid reference format"),
    (":tag", "missing repository name"),
    ("@" + SHA256, "missing repository name"),
    ("ghcr.io/", "missing repository name"),
    ("b" * 256, "repository name too long (264 > 255)"),  # library/ counts
    ("registry.example.com/" + "a" * 256, "repository name too long (256 > 255)"),
    # --- domains ---
    ("[fe80::1%eth0]:5000/x", "invalid registry host"),
    ("[::1:5000/x", "invalid registry host"),
    ("[::ffff:1.2.3.4]/x", "invalid registry host"),
    ("-example.com/x", "invalid registry host"),
    ("example-.com/x", "invalid registry host"),
    ("example..com/x", "invalid registry host"),
    ("example.com:/x", "invalid registry host"),
    ("example.com:abc/x", "invalid registry host"),
    ("http://example.com/x", "invalid registry host"),
    # Docker's regex would fall back to a domain-less path here; an empty domain is useless
    ("a_b.c/x", "invalid registry host"),
    ("a.b-c_d__e/f0", "invalid registry host"),
    # --- tags ---
    ("alpine:", "invalid tag"),
    ("alpine:-x", "invalid tag"),
    ("alpine:.x", "invalid tag"),
    ("alpine:a b", "invalid tag"),
    ("alpine:a:b", "invalid tag"),
    ("alpine:a/b", "invalid reference format"),  # `alpine:a` is read as a host
    ("alpine:\uff4c\uff41\uff54\uff45\uff53\uff54", "invalid tag"),  # fullwidth: Go \w is ASCII
    ("alpine:" + "t" * 129, "invalid tag: too long (129 > 128)"),
    ("localhost:5000/x:", "invalid tag"),
    # --- digests ---
    ("alpine@", "invalid digest"),
    ("alpine:3.19@", "invalid digest"),
    ("alpine@sha256", "invalid digest"),
    ("alpine@sha256:xyz", "invalid digest"),
    ("alpine@sha256:" + "0" * 31, "invalid digest"),
    ("alpine@sha256:" + "0" * 63, "sha256 needs 64 hex characters, got 63"),
    ("alpine@sha256:" + "0" * 65, "sha256 needs 64 hex characters, got 65"),
    ("alpine@sha512:" + "0" * 64, "sha512 needs 128 hex characters, got 64"),
    ("alpine@sha256:" + "ABCDEF0123456789" * 4, "hex must be lowercase"),
    ("alpine@md5:" + "0" * 32, "unsupported algorithm 'md5'"),
    ("alpine@SHA256:" + "0" * 64, "unsupported algorithm 'SHA256'"),
    ("alpine@" + SHA256 + "@" + SHA256, "invalid digest"),
    ("alpine@" + SHA256 + ":x", "invalid digest"),
]
# fmt: on


@pytest.mark.parametrize("vector", VALID, ids=[v.text[:60] for v in VALID])
def test_valid(vector: Valid) -> None:
    ref = parse(vector.text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (
        vector.domain,
        vector.path,
        vector.tag,
        vector.digest,
    )
    assert str(ref) == vector.canonical
    assert ref.familiar_name == vector.familiar
    assert ref.name == f"{vector.domain}/{vector.path}"


@pytest.mark.parametrize("vector", VALID, ids=[v.text[:60] for v in VALID])
def test_round_trip(vector: Valid) -> None:
    ref = parse(vector.text)
    assert parse(str(ref)) == ref


@pytest.mark.parametrize(("text", "reason"), INVALID, ids=[t[:60] for t, _ in INVALID])
def test_invalid(text: str, reason: str) -> None:
    with pytest.raises(ReferenceError) as info:
        parse(text)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message
    assert len(message) < 200


def test_vector_count() -> None:
    assert len(VALID) + len(INVALID) >= 70


def test_reference_error_is_value_error() -> None:
    with pytest.raises(ValueError, match="repository name must be lowercase"):
        parse("ALPINE")


def test_image_ref_is_frozen() -> None:
    ref = parse("alpine")
    with pytest.raises(AttributeError):
        ref.tag = "3"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpine", "docker.io/library/alpine:latest"),
        ("alpine:3.19", "docker.io/library/alpine:3.19"),
        ("alpine@" + SHA256, "docker.io/library/alpine:latest"),
        ("alpine:3.19@" + SHA256, "docker.io/library/alpine:3.19"),
        ("ghcr.io/o/r:Latest", "ghcr.io/o/r:Latest"),
        ("localhost:5000", "docker.io/library/localhost:5000"),
    ],
)
def test_canonical_tagged(text: str, expected: str) -> None:
    assert parse(text).canonical_tagged == expected


def test_parse_does_not_add_latest() -> None:
    ref = parse("alpine")
    assert ref.tag is None
    assert str(ref) == "docker.io/library/alpine"


def test_with_digest_keeps_tag() -> None:
    ref = parse("python:3.12")
    pinned = ref.with_digest(SHA256)
    assert pinned == ImageRef("docker.io", "library/python", "3.12", SHA256)
    assert str(pinned) == "docker.io/library/python:3.12@" + SHA256
    assert pinned.canonical_tagged == ref.canonical_tagged
    assert ref.digest is None  # the original is unchanged


def test_with_digest_replaces_digest() -> None:
    ref = parse("ghcr.io/o/r@" + SHA512)
    assert ref.with_digest(SHA256).digest == SHA256


@pytest.mark.parametrize(
    "digest",
    ["", "sha256:" + "A" * 64, "md5:" + "0" * 32, "sha256:" + "0" * 63, "latest"],
)
def test_with_digest_rejects_invalid(digest: str) -> None:
    with pytest.raises(ReferenceError, match="invalid digest"):
        parse("alpine").with_digest(digest)


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("alpine", "docker.io"),
        ("index.docker.io/alpine", "docker.io"),
        ("Registry.Example.COM:5000/x", "registry.example.com:5000"),
        ("[2001:DB8::1]:5000/x", "[2001:db8::1]:5000"),
        ("Foo/bar", "foo"),
    ],
)
def test_registry_host_is_lowercase(text: str, host: str) -> None:
    ref = parse(text)
    assert ref.registry_host == host


def test_input_cap_applies_before_matching() -> None:
    longest = "registry.example.com/" + "a/" * 127 + "a"
    assert len(parse(longest).path) == 255
    with pytest.raises(ReferenceError, match="4096"):
        parse("a" + ":" * 5000)
