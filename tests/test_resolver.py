"""The registry resolver against real registries (docker-registry 2.8), a token server and a fault proxy.

Protocol (HEAD with the full Accept list, GET fallbacks, digest checks, errors), every auth path,
throughput (dedup, bounded concurrency, keep-alive) and politeness (retries, backoff,
Retry-After, timeouts). Most tests call `resolve_digests` directly; CLI behaviour is at the end.
Every test runs with HOME, DOCKER_CONFIG, XDG_* and the auth variables pointing into tmp_path.
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from registry import (
    DOCKER_MANIFEST_LIST,
    IMAGE_KINDS,
    OCI_INDEX,
    OCI_MANIFEST,
    FaultProxy,
    ImagePusher,
    ImageSet,
    Registry,
    TokenServer,
    make_tls_files,
    oci_index,
    oci_manifest,
    sha256_digest,
)

from pinlint.cli import main
from pinlint.config import Config, RegistryHost, RegistrySettings
from pinlint.errors import ConfigError
from pinlint.reference import parse
from pinlint.registry.client import ACCEPT, MANIFEST_TYPES, RegistryClient
from pinlint.registry.credentials import HUB_KEY
from pinlint.resolve import ResolveReport, resolve_digests

MakeProxy = Callable[..., FaultProxy]
HEAD_MANIFEST = r"/v2/.+/manifests/"
HELPER = Path(__file__).parent / "data" / "credhelper" / "docker-credential-pinlint-test"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"


# --------------------------------------------------------------------------------------------
# Environment and helpers
# --------------------------------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class Env:
    root: Path

    @property
    def cache(self) -> Path:
        return Path(os.environ["XDG_CACHE_HOME"])

    def docker_config(self, document: dict[str, Any]) -> None:
        path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))

    def auths(self, host: str, **entry: str) -> None:
        self.docker_config({"auths": {host: entry}})

    def helper_store(self, entries: dict[str, dict[str, str]]) -> None:
        Path(os.environ["PINLINT_HELPER_STORE"]).write_text(json.dumps(entries))

    def helper_calls(self) -> list[dict[str, str]]:
        log = Path(os.environ["PINLINT_HELPER_LOG"])
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    """Point every place credentials or caches come from into tmp_path; the test helper first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    helper = bin_dir / HELPER.name
    helper.write_text(f"#!{sys.executable}\n" + HELPER.read_text().split("\n", 1)[1])
    helper.chmod(0o755)
    for name, sub in [
        ("HOME", "home"),
        ("DOCKER_CONFIG", "docker"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "run"),
        ("XDG_CONFIG_HOME", "config"),
    ]:
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}")
    monkeypatch.setenv("PINLINT_HELPER_STORE", str(tmp_path / "helper-store.json"))
    monkeypatch.setenv("PINLINT_HELPER_LOG", str(tmp_path / "helper-log.jsonl"))
    for name in ("REGISTRY_AUTH_FILE", "DOCKER_AUTH_CONFIG", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return Env(tmp_path)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return isolate(tmp_path, monkeypatch)


def config(
    root: Path,
    *,
    concurrency: int = 8,
    timeout: float = 5.0,
    retries: int = 2,
    cache_ttl: int = 3600,
    hosts: dict[str, RegistryHost] | None = None,
) -> Config:
    """A Config with small registry settings; `hosts` are the `[registries."HOST"]` tables."""
    settings = RegistrySettings(concurrency=concurrency, timeout=timeout, retries=retries, cache_ttl=cache_ttl)
    return Config(root=root, registry=settings, registries={k.lower(): v for k, v in (hosts or {}).items()})


def resolve(refs: list[str], cfg: Config, **options: Any) -> ResolveReport:
    options.setdefault("use_cache", False)
    return resolve_digests([parse(r) for r in refs], cfg, **options)


def one(ref: str, cfg: Config, **options: Any) -> tuple[str | None, str | None]:
    """(digest, error) for a single reference."""
    report = resolve([ref], cfg, **options)
    key = str(parse(ref))
    manifest = report.manifests.get(key)
    return (manifest.digest if manifest else None), report.errors.get(key)


@pytest.fixture(scope="module")
def pushed(registry: Registry) -> Iterator[ImagePusher]:
    with ImagePusher.for_registry(registry) as pusher:
        yield pusher


@pytest.fixture(scope="module")
def private_digest(token_registry: Registry) -> str:
    """`private/resolver:v1`, which anonymous tokens cannot pull."""
    with ImagePusher.for_registry(token_registry) as pusher:
        return pusher.push_image("private/resolver", "v1", "multi-oci").digest


# -- a scripted HTTP server, for behaviours a real registry does not have ---------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    peer: int


Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Scripted:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering `handler(seen) -> (status, headers, body)`."""

    handler: Callable[[Seen], Reply]
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    inflight: int = 0
    max_inflight: int = 0

    def __post_init__(self) -> None:
        owner = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen = Seen(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.client_address[1]
                )
                with owner._lock:
                    owner.seen.append(seen)
                    owner.inflight += 1
                    owner.max_inflight = max(owner.max_inflight, owner.inflight)
                try:
                    if owner.delay:
                        time.sleep(owner.delay)
                    status, headers, body = owner.handler(seen)
                finally:
                    with owner._lock:
                        owner.inflight -= 1
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def peers(self) -> set[int]:
        return {s.peer for s in self.seen}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    servers: list[Scripted] = []

    def make(handler: Callable[[Seen], Reply], **options: Any) -> Scripted:
        server = Scripted(handler, **options)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def manifest_reply(body: bytes, media_type: str, *, digest: bool = True) -> Reply:
    headers = {"Content-Type": media_type}
    if digest:
        headers["Docker-Content-Digest"] = sha256_digest(body)
    return 200, headers, body


# --------------------------------------------------------------------------------------------
# Protocol
# --------------------------------------------------------------------------------------------


def test_every_manifest_flavour_resolves_with_one_head_each(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    registry.clear_requests()
    report = resolve([images.reference(tag, registry.host) for tag in IMAGE_KINDS], config(tmp_path))
    assert report.errors == {}
    for tag in IMAGE_KINDS:
        manifest = report.manifests[images.reference(tag, registry.host)]
        assert manifest.digest == images[tag].digest, tag
        assert manifest.media_type == images[tag].media_type
        assert manifest.is_index == tag.startswith("multi")
        if manifest.is_index:  # the index's own digest, never a child's
            assert manifest.digest not in images[tag].platforms.values()
            assert manifest.digest not in images.manifests[tag].attestations.values()
    assert registry.request_counts() == {("HEAD", f"/v2/test/app/manifests/{tag}"): 1 for tag in IMAGE_KINDS}


def test_the_docker_manifest_list_digest_is_not_the_amd64_child(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    digest, error = one(images.reference("multi-docker", registry.host), config(tmp_path))
    assert error is None and digest == images["multi-docker"].digest
    assert digest != images["multi-docker"].platforms["linux/amd64"]
    assert images["multi-docker"].media_type == DOCKER_MANIFEST_LIST


def test_index_platforms_leave_attestations_out(env: Env, registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    ref = images.reference("multi-attest", registry.host)
    report = resolve([ref], config(tmp_path), want_platforms=True)
    manifest = report.manifests[ref]
    assert manifest.digest == images["multi-attest"].digest and manifest.media_type == OCI_INDEX
    assert manifest.platforms == {
        "linux/amd64": images["multi-attest"].platforms["linux/amd64"],
        "linux/arm64": images["multi-attest"].platforms["linux/arm64/v8"],
    }


def test_head_sends_the_full_accept_list_and_identity_encoding(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    image = oci_manifest(seed="accept")
    server = scripted(lambda seen: manifest_reply(image.body, OCI_MANIFEST))
    digest, error = one(f"{server.host}/some/app:v1", config(tmp_path))
    assert error is None and digest == image.digest
    [head] = server.seen
    assert head.method == "HEAD" and head.path == "/v2/some/app/manifests/v1"
    accepted = [t.strip() for t in head.headers["accept"].split(",")]
    assert accepted == list(MANIFEST_TYPES) and head.headers["accept"] == ACCEPT
    assert head.headers["accept-encoding"] == "identity"
    assert "authorization" not in head.headers


def test_missing_digest_header_means_get_and_hash_of_the_exact_body(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    proxy.inject("drop_digest", method="HEAD", path=HEAD_MANIFEST, count=None)
    report = resolve([images.reference("multi-oci", proxy.host)], config(tmp_path))
    manifest = report.manifests[images.reference("multi-oci", proxy.host)]
    assert manifest.digest == images["multi-oci"].digest == sha256_digest(images.manifests["multi-oci"].body)
    assert manifest.media_type == OCI_INDEX and manifest.size == images.manifests["multi-oci"].size
    assert proxy.request_counts() == {("HEAD", "/v2/test/app/manifests/multi-oci"): 1,
                                      ("GET", "/v2/test/app/manifests/multi-oci"): 1}  # fmt: skip


def test_a_wrong_digest_header_is_caught_when_the_body_is_fetched(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    proxy.inject("drop_digest", method="HEAD", path=HEAD_MANIFEST, count=None)
    proxy.inject("wrong_digest", method="GET", path=HEAD_MANIFEST, count=None)
    digest, error = one(images.reference("single-docker", proxy.host), config(tmp_path))
    assert digest is None
    assert error == (
        f"digest mismatch: the registry announced sha256:{'0' * 64} but the manifest it sent hashes to "
        f"{images['single-docker'].digest}"
    )


def test_head_405_falls_back_to_get(env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path) -> None:
    proxy = fault_proxy()
    proxy.inject("status", method="HEAD", path=HEAD_MANIFEST, status=405, count=None)
    digest, error = one(images.reference("multi-docker", proxy.host), config(tmp_path))
    assert error is None and digest == images["multi-docker"].digest
    assert proxy.count("HEAD") == 1 and proxy.count("GET") == 1


def test_not_found_is_explained_from_the_error_body(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    report = resolve(
        [f"{registry.host}/test/app:nope", f"{registry.host}/test/app@sha256:{'1' * 64}"], config(tmp_path)
    )
    assert report.errors == {
        f"{registry.host}/test/app:nope": f"not found: no tag 'nope' in {registry.host}/test/app (manifest unknown)",
        f"{registry.host}/test/app@sha256:{'1' * 64}": (
            f"not found: no digest sha256:{'1' * 64} in {registry.host}/test/app (manifest unknown)"
        ),
    }


def test_an_oci_index_the_registry_will_not_serve_is_explained(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    body = json.dumps(
        {
            "errors": [
                {
                    "code": "MANIFEST_UNKNOWN",
                    "message": "OCI index found, but accept header does not support OCI indexes",
                }
            ]
        }
    ).encode()
    server = scripted(lambda seen: (404, {"Content-Type": "application/json"}, body))
    _, error = one(f"{server.host}/a/b:c", config(tmp_path))
    assert error == (
        f"not found: no tag 'c' in {server.host}/a/b "
        "(manifest unknown: OCI index found, but accept header does not support OCI indexes)"
    )
    assert [s.method for s in server.seen] == ["HEAD", "GET"]


def test_resolving_by_digest_checks_the_manifest_exists(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    digest = images["multi-oci"].platforms["linux/amd64"]
    found, error = one(f"{registry.host}/test/app@{digest}", config(tmp_path))
    assert error is None and found == digest


def test_sha384_and_sha512_digest_references(env: Env, scripted: Callable[..., Scripted], tmp_path: Path) -> None:
    import hashlib

    body = oci_manifest(seed="long-digests").body
    digests = {name: f"{name}:{hashlib.new(name, body).hexdigest()}" for name in ("sha384", "sha512")}

    def handler(seen: Seen) -> Reply:  # no digest header: the body is hashed with the reference's algorithm
        return 200, {"Content-Type": OCI_MANIFEST}, body

    server = scripted(handler)
    report = resolve([f"{server.host}/x/y@{d}" for d in digests.values()], config(tmp_path))
    assert report.errors == {}
    assert {m.digest for m in report.manifests.values()} == set(digests.values())


def test_redirects_to_plain_http_are_refused_except_where_chosen(tmp_path: Path) -> None:
    import httpx

    from pinlint.registry.client import ResolveError

    client = RegistryClient(config(tmp_path, hosts={"corp.example:5000": RegistryHost(insecure=True)}))

    def check(url: str) -> str | None:
        try:
            client.transport.check_plain_http(httpx.Request("GET", url))
        except ResolveError as exc:
            return str(exc)
        return None

    results = {
        url: check(url)
        for url in (
            "https://storage.example.com/blob",
            "http://127.0.0.1:5000/v2/",
            "http://localhost/x",
            "http://corp.example:5000/v2/",
            "http://storage.example.com/blob",
            "http://user:pw@storage.example.com:8080/blob",
        )
    }
    assert results == {
        "https://storage.example.com/blob": None,
        "http://127.0.0.1:5000/v2/": None,
        "http://localhost/x": None,
        "http://corp.example:5000/v2/": None,
        "http://storage.example.com/blob": "refusing to follow a redirect to plain http at storage.example.com",
        "http://user:pw@storage.example.com:8080/blob": (
            "refusing to follow a redirect to plain http at storage.example.com:8080"
        ),
    }


def test_schema1_is_reported_as_unsupported(env: Env, scripted: Callable[..., Scripted], tmp_path: Path) -> None:
    body = json.dumps({"schemaVersion": 1, "name": "old/app", "tag": "v1", "fsLayers": []}).encode()
    server = scripted(lambda seen: manifest_reply(body, SCHEMA1))
    _, error = one(f"{server.host}/old/app:v1", config(tmp_path))
    assert error == "the registry only serves a schema 1 manifest, which is not supported"
    # served as text/plain (old Red Hat registries) it is recognised from the body
    server2 = scripted(lambda seen: manifest_reply(body, "text/plain", digest=False))
    _, error = one(f"{server2.host}/old/app:v1", config(tmp_path))
    assert error == "the registry only serves a schema 1 manifest, which is not supported"


def test_media_type_is_inferred_from_the_body_when_the_header_is_generic(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    document = json.loads(oci_index(seed="generic").body)
    del document["mediaType"]  # optional in OCI
    body = json.dumps(document).encode()
    server = scripted(lambda seen: manifest_reply(body, "application/octet-stream"))
    report = resolve([f"{server.host}/x/y:z"], config(tmp_path))
    manifest = report.manifests[f"{server.host}/x/y:z"]
    assert manifest.digest == sha256_digest(body) and manifest.media_type == OCI_INDEX
    assert [s.method for s in server.seen] == ["HEAD", "GET"]


def test_an_oversized_manifest_is_refused(env: Env, scripted: Callable[..., Scripted], tmp_path: Path) -> None:
    big = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    server = scripted(lambda seen: manifest_reply(big, OCI_MANIFEST, digest=False))
    _, error = one(f"{server.host}/big/app:v1", config(tmp_path))
    assert error == "response larger than 4 MiB; refused"


def test_host_mapping_and_transport_choices(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        hosts={
            "insecure.example:5000": RegistryHost(insecure=True),
            "127.0.0.1:6000": RegistryHost(ca_file=str(make_tls_files(tmp_path / "tls").ca_file)),
        },
    )
    client = RegistryClient(cfg)
    cases = {
        "alpine": ("registry-1.docker.io", "https", True),
        "index.docker.io/library/alpine": ("registry-1.docker.io", "https", True),
        "ghcr.io/org/app": ("ghcr.io", "https", True),
        "GHCR.io/org/app": ("ghcr.io", "https", True),
        "127.0.0.1:5000/app": ("127.0.0.1:5000", "http", True),
        "localhost:5000/app": ("localhost:5000", "http", True),
        "127.1:5000/app": ("127.1:5000", "http", True),
        "insecure.example:5000/app": ("insecure.example:5000", "http", True),
        "127.0.0.1:6000/app": ("127.0.0.1:6000", "https", True),
    }
    for text, (host, scheme, credentials) in cases.items():
        ref = parse(text)
        state = client._state(client.api_host(ref), ref.registry_host)
        assert (state.host, state.scheme, state.allow_credentials) == (host, scheme, credentials), text
        assert state.credentials_host == ref.registry_host
    # https uses the system trust store (not certifi), one context shared by every public host
    assert client.hosts["ghcr.io"].verify is client.hosts["registry-1.docker.io"].verify


def test_a_mirror_gets_ns_and_never_the_registrys_credentials(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    env.docker_config({"auths": {HUB_KEY: {"auth": b64("hubuser:hub-password")}}})
    cfg = config(tmp_path, hosts={"docker.io": RegistryHost(mirror=f"http://{registry.host}")})
    registry.clear_requests()
    client = RegistryClient(cfg)
    ref = parse("test/app:multi-oci")
    state = client._state(client.api_host(ref), ref.registry_host)
    assert state.host == registry.host and state.credentials_host == registry.host
    digest, error = one("test/app:multi-oci", cfg)
    assert error is None and digest == images["multi-oci"].digest
    [entry] = registry.access_log_entries
    assert entry.method == "HEAD" and entry.query == "ns=docker.io"


# --------------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------------


def test_https_with_a_configured_ca_file_relative_to_the_project(
    env: Env, tls_registry: Registry, ca_file: Path, images: ImageSet, tmp_path: Path
) -> None:
    root = ca_file.parent
    cfg = config(root, hosts={tls_registry.host: RegistryHost(ca_file=ca_file.name)})
    digest, error = one(images.reference("multi-oci", tls_registry.host), cfg)
    assert error is None and digest == images["multi-oci"].digest


def test_an_untrusted_certificate_fails_at_once_without_retries(
    env: Env, tls_registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    other_ca = make_tls_files(tmp_path / "other").ca_file
    cfg = config(tmp_path, retries=3, hosts={tls_registry.host: RegistryHost(ca_file=str(other_ca))})
    started = time.monotonic()
    report = resolve([images.reference("multi-oci", tls_registry.host)], cfg)
    assert time.monotonic() - started < 0.5  # not retried with backoff
    [error] = report.errors.values()
    assert error.startswith("TLS certificate verification failed") and tls_registry.host in error


def test_a_missing_ca_file_is_a_configuration_error(env: Env, tmp_path: Path) -> None:
    cfg = config(tmp_path, hosts={"127.0.0.1:6001": RegistryHost(ca_file="no-such-ca.pem")})
    with pytest.raises(ConfigError, match=r'registries."127.0.0.1:6001".ca-file: cannot load .*no-such-ca.pem'):
        resolve(["127.0.0.1:6001/app:v1"], cfg)


# --------------------------------------------------------------------------------------------
# Auth
# --------------------------------------------------------------------------------------------


def test_basic_auth_from_docker_config(env: Env, basic_registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    user, password = basic_registry.credentials or ("", "")
    env.auths(basic_registry.host, auth=b64(f"{user}:{password}"))
    cfg = config(tmp_path, hosts={basic_registry.host: RegistryHost(insecure=True)})
    basic_registry.clear_requests()
    refs = [images.reference(tag, basic_registry.host) for tag in ("multi-oci", "single-oci", "multi-docker")]
    report = resolve(refs, cfg)
    assert report.errors == {}
    assert {r: m.digest for r, m in report.manifests.items()} == {r: images[r.rsplit(":", 1)[1]].digest for r in refs}
    # one request learns the challenge; the others send Basic up front
    assert [e.status for e in basic_registry.access_log_entries].count(401) == 1
    assert report.requests == 4


def test_basic_auth_without_credentials_names_the_registry(
    env: Env, basic_registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    refs = [images.reference(tag, basic_registry.host) for tag in ("multi-oci", "single-oci")]
    report = resolve(refs, config(tmp_path, hosts={basic_registry.host: RegistryHost(insecure=True)}))
    assert report.errors == {r: f"401 unauthorized — no credentials found for {basic_registry.host}" for r in refs}


def test_basic_auth_with_a_wrong_password(env: Env, basic_registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    env.auths(basic_registry.host, username="pinlint", password="wrong-password")
    cfg = config(tmp_path, hosts={basic_registry.host: RegistryHost(insecure=True)})
    _, error = one(images.reference("multi-oci", basic_registry.host), cfg)
    config_json = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    assert error == f"401 unauthorized — credentials from {config_json} (auths) were not accepted"


def test_loopback_registries_get_credentials_over_plain_http_as_docker_login_does(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    image = oci_manifest(seed="loopback-credentials")

    def handler(seen: Seen) -> Reply:
        if seen.headers.get("authorization") == f"Basic {b64('user:loopback-password')}":
            return manifest_reply(image.body, OCI_MANIFEST)
        return 401, {"WWW-Authenticate": 'Basic realm="r"'}, b""

    server = scripted(handler)
    env.auths(server.host, username="user", password="loopback-password")
    digest, error = one(f"{server.host}/app:v1", config(tmp_path))
    assert error is None and digest == image.digest
    assert [s.method for s in server.seen] == ["HEAD", "HEAD"]


def test_other_plain_http_hosts_get_credentials_only_when_insecure() -> None:
    from pinlint.registry.transport import may_send_credentials

    assert may_send_credentials("https", "ghcr.io", False)
    assert may_send_credentials("http", "localhost:5000", False)
    assert may_send_credentials("http", "127.0.0.1:5000", False)
    assert may_send_credentials("http", "[::1]:5000", False)
    assert may_send_credentials("http", "127.1:5000", False)
    assert not may_send_credentials("http", "corp.example:5000", False)
    assert not may_send_credentials("http", "10.0.0.5:5000", False)
    assert may_send_credentials("http", "corp.example:5000", True)


def test_basic_auth_over_tls(env: Env, registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    with Registry(
        tmp_path / "basic-tls", storage=registry.storage, basic_auth=("tlsuser", "tls-pass"), tls=True, access_log=False
    ) as server:
        assert server.ca_file is not None
        env.auths(server.host, username="tlsuser", password="tls-pass")
        cfg = config(tmp_path, hosts={server.host: RegistryHost(ca_file=str(server.ca_file))})
        digest, error = one(images.reference("single-docker", server.host), cfg)
    assert error is None and digest == images["single-docker"].digest


def test_anonymous_tokens_one_request_for_several_repositories(
    env: Env, token_registry: Registry, tokens: TokenServer, pushed: ImagePusher, images: ImageSet, tmp_path: Path
) -> None:
    expected = {f"test/batch{i}": pushed.push_image(f"test/batch{i}", "v1", "single-oci").digest for i in range(3)}
    refs = [f"{token_registry.host}/{repo}:v1" for repo in expected] + [
        images.reference("multi-oci", token_registry.host)
    ]
    report = resolve(refs, config(tmp_path))
    assert report.errors == {}
    assert report.manifests[refs[-1]].digest == images["multi-oci"].digest
    for repo, digest in expected.items():
        assert report.manifests[f"{token_registry.host}/{repo}:v1"].digest == digest
    [request] = tokens.requests
    assert request.method == "GET" and not request.had_authorization
    assert set(request.scopes) == {f"repository:{r}:pull" for r in [*expected, "test/app"]}
    assert request.service == tokens.service
    assert report.requests == 1 + 1 + len(refs)  # the probe's 401, one token, one HEAD per reference


def test_many_repositories_share_few_token_requests_under_concurrency(
    env: Env, token_registry: Registry, tokens: TokenServer, tmp_path: Path
) -> None:
    refs = [f"{token_registry.host}/test/many{i}:v1" for i in range(30)]  # none exist: 404s are fine
    report = resolve(refs, config(tmp_path, concurrency=8))
    assert set(report.errors) == set(refs) and all(e.startswith("not found") for e in report.errors.values())
    # 25 scopes in the probe's request, the 5 others in one more: no stampede of 5 requests at once
    assert [len(r.scopes) for r in tokens.requests] == [25, 5]
    assert sorted({s for r in tokens.requests for s in r.scopes}) == sorted(
        f"repository:test/many{i}:pull" for i in range(30)
    )


def test_password_credentials_get_a_token_with_basic_auth(
    env: Env, token_registry: Registry, tokens: TokenServer, private_digest: str, tmp_path: Path
) -> None:
    user, password = tokens.credentials
    env.auths(token_registry.host, username=user, password=password)
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    digest, error = one(f"{token_registry.host}/private/resolver:v1", cfg)
    assert error is None and digest == private_digest
    [request] = tokens.requests
    assert (request.method, request.authorization, request.username, request.account) == ("GET", "basic", user, user)
    assert request.granted == ("repository:private/resolver:pull",)


def test_identity_token_uses_the_oauth2_refresh_token_grant(
    env: Env, token_registry: Registry, tokens: TokenServer, private_digest: str, tmp_path: Path
) -> None:
    refresh = tokens.add_refresh_token(tokens.credentials[0])
    env.auths(token_registry.host, auth=b64("<token>:"), identitytoken=refresh)
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    digest, error = one(f"{token_registry.host}/private/resolver:v1", cfg)
    assert error is None and digest == private_digest
    [request] = tokens.requests
    assert (request.method, request.grant_type, request.client_id) == ("POST", "refresh_token", "pinlint")
    assert request.scopes == ("repository:private/resolver:pull",) and request.service == tokens.service


def test_registry_token_is_sent_without_a_token_request(
    env: Env, token_registry: Registry, tokens: TokenServer, private_digest: str, tmp_path: Path
) -> None:
    env.auths(token_registry.host, registrytoken=tokens.issue(["repository:private/resolver:pull"]))
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    digest, error = one(f"{token_registry.host}/private/resolver:v1", cfg)
    assert error is None and digest == private_digest
    assert tokens.requests == []


def test_credential_helper_on_path(
    env: Env, token_registry: Registry, tokens: TokenServer, private_digest: str, pushed: ImagePusher, tmp_path: Path
) -> None:
    user, password = tokens.credentials
    env.docker_config({"credHelpers": {token_registry.host: "pinlint-test"}})
    env.helper_store({token_registry.host: {"Username": user, "Secret": password}})
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    refs = [f"{token_registry.host}/private/resolver:v1", f"{token_registry.host}/test/app:multi-oci"]
    report = resolve(refs, cfg)
    assert report.errors == {} and report.manifests[refs[0]].digest == private_digest
    assert env.helper_calls() == [{"action": "get", "server": token_registry.host}]  # once per run
    assert {r.username for r in tokens.requests} == {user}


def test_docker_auth_config_variable(
    env: Env,
    token_registry: Registry,
    tokens: TokenServer,
    private_digest: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, password = tokens.credentials
    monkeypatch.setenv(
        "DOCKER_AUTH_CONFIG", json.dumps({"auths": {token_registry.host: {"auth": b64(f"{user}:{password}")}}})
    )
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    digest, error = one(f"{token_registry.host}/private/resolver:v1", cfg)
    assert error is None and digest == private_digest


def test_containers_auth_json(
    env: Env,
    token_registry: Registry,
    tokens: TokenServer,
    private_digest: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, password = tokens.credentials
    path = tmp_path / "podman-auth.json"
    path.write_text(json.dumps({"auths": {f"{token_registry.host}/private": {"auth": b64(f"{user}:{password}")}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(path))
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    digest, error = one(f"{token_registry.host}/private/resolver:v1", cfg)
    assert error is None and digest == private_digest


def test_private_repository_without_credentials(
    env: Env, token_registry: Registry, tokens: TokenServer, private_digest: str, tmp_path: Path
) -> None:
    _, error = one(f"{token_registry.host}/private/resolver:v1", config(tmp_path))
    assert error == f"401 unauthorized — no credentials found for {token_registry.host}"


def test_wrong_password_at_the_token_server(
    env: Env, token_registry: Registry, tokens: TokenServer, private_digest: str, tmp_path: Path
) -> None:
    env.auths(token_registry.host, username=tokens.credentials[0], password="not-the-password")
    cfg = config(tmp_path, hosts={token_registry.host: RegistryHost(insecure=True)})
    _, error = one(f"{token_registry.host}/private/resolver:v1", cfg)
    config_json = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    assert error == f"401 unauthorized — credentials from {config_json} (auths) were not accepted"


def test_a_rejected_token_is_replaced_once(
    env: Env, token_registry: Registry, tokens: TokenServer, images: ImageSet, tmp_path: Path
) -> None:
    def run() -> tuple[str, str]:
        client = RegistryClient(config(tmp_path))
        ref = parse(images.reference("multi-oci", token_registry.host))
        try:
            first = client.manifest(ref).digest
            tokens.expired_tokens = True
            expired = tokens.issue(["repository:test/app:pull"])
            tokens.expired_tokens = False
            for key in list(client.tokens._tokens):
                client.tokens.put(key, expired, 300)  # the registry will answer 401 invalid_token
            second = client.manifest(ref).digest
        finally:
            client.close()
        return first, second

    assert run() == (images["multi-oci"].digest,) * 2
    assert len(tokens.requests) == 2


def test_token_server_errors_are_retried(
    env: Env, token_registry: Registry, tokens: TokenServer, images: ImageSet, tmp_path: Path
) -> None:
    tokens.fail_next(503)
    digest, error = one(images.reference("multi-oci", token_registry.host), config(tmp_path))
    assert error is None and digest == images["multi-oci"].digest
    assert [r.status for r in tokens.requests] == [503, 200]


@pytest.mark.parametrize(
    ("realm", "why"),
    [
        ("http://auth.example.invalid/token", "token realm http://auth.example.invalid is plain http"),
        ("https://169.254.169.254/latest/token", "token realm https://169.254.169.254 is an internal address"),
    ],
)
def test_unsafe_realms_are_refused(
    env: Env,
    fault_proxy: MakeProxy,
    token_registry: Registry,
    tokens: TokenServer,
    tmp_path: Path,
    realm: str,
    why: str,
) -> None:
    proxy = fault_proxy(token_registry)
    challenge = f'Bearer realm="{realm}",service="{tokens.service}",scope="repository:test/app:pull"'
    proxy.inject("headers", path=HEAD_MANIFEST, count=None, headers={"WWW-Authenticate": challenge})
    env.auths(proxy.host, username="user", password="pw")
    _, error = one(
        f"{proxy.host}/test/app:multi-oci", config(tmp_path, hosts={proxy.host: RegistryHost(insecure=False)})
    )
    assert error is not None and error.startswith(why)
    assert tokens.requests == []


def test_authorization_is_not_forwarded_on_a_redirect_to_another_host(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    image = oci_index(seed="redirected")
    storage = scripted(lambda seen: manifest_reply(image.body, OCI_INDEX))

    def front(seen: Seen) -> Reply:
        if "authorization" not in seen.headers:
            return 401, {"WWW-Authenticate": 'Basic realm="front"'}, b""
        return 307, {"Location": f"{storage.url}/blobs{seen.path}"}, b""

    server = scripted(front)
    env.auths(server.host, username="user", password="front-password")
    cfg = config(tmp_path, hosts={server.host: RegistryHost(insecure=True)})
    digest, error = one(f"{server.host}/app/x:v1", cfg)
    assert error is None and digest == image.digest
    assert [s.method for s in server.seen] == ["HEAD", "HEAD"] and "authorization" in server.seen[1].headers
    assert storage.seen and all("authorization" not in s.headers for s in storage.seen)


def test_token_requests_do_not_follow_redirects(env: Env, scripted: Callable[..., Scripted], tmp_path: Path) -> None:
    elsewhere = scripted(lambda seen: (200, {"Content-Type": "application/json"}, b'{"token": "t"}'))
    realm = scripted(lambda seen: (307, {"Location": f"{elsewhere.url}/token"}, b""))
    challenge = f'Bearer realm="{realm.url}/token",service="svc"'
    server = scripted(lambda seen: (401, {"WWW-Authenticate": challenge}, b""))
    env.auths(server.host, identitytoken="refresh-secret")
    cfg = config(tmp_path, hosts={server.host: RegistryHost(insecure=True)})
    _, error = one(f"{server.host}/app:v1", cfg)
    assert error == "token server answered 307 (a redirect), which pinlint does not follow"
    assert [s.method for s in realm.seen] == ["POST"] and elsewhere.seen == []


def test_a_401_without_a_challenge_uses_the_v2_challenge(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    image = oci_manifest(seed="v2-challenge")

    def handler(seen: Seen) -> Reply:
        if "authorization" in seen.headers:
            return manifest_reply(image.body, OCI_MANIFEST)
        if seen.path == "/v2/":
            return 401, {"WWW-Authenticate": 'Basic realm="v2"'}, b""
        return 401, {}, b""

    server = scripted(handler)
    env.auths(server.host, username="u", password="p")
    digest, error = one(f"{server.host}/old/gcr:v1", config(tmp_path, hosts={server.host: RegistryHost(insecure=True)}))
    assert error is None and digest == image.digest
    assert [s.path for s in server.seen] == ["/v2/old/gcr/manifests/v1", "/v2/", "/v2/old/gcr/manifests/v1"]


# --------------------------------------------------------------------------------------------
# Throughput
# --------------------------------------------------------------------------------------------


def test_references_are_deduplicated_across_spellings(
    env: Env, registry: Registry, pushed: ImagePusher, tmp_path: Path
) -> None:
    latest = pushed.push_image("test/dedup", "latest", "multi-oci").digest
    v1 = pushed.push_image("test/dedup", "v1", "single-oci").digest
    registry.clear_requests()
    refs = [f"{registry.host}/test/dedup", f"{registry.host}/test/dedup:latest", f"{registry.host}/test/dedup:v1"] * 3
    report = resolve(refs, config(tmp_path))
    assert {k: m.digest for k, m in report.manifests.items()} == {
        f"{registry.host}/test/dedup": latest,
        f"{registry.host}/test/dedup:latest": latest,
        f"{registry.host}/test/dedup:v1": v1,
    }
    assert registry.request_counts() == {
        ("HEAD", "/v2/test/dedup/manifests/latest"): 1,
        ("HEAD", "/v2/test/dedup/manifests/v1"): 1,
    }


def test_concurrency_is_bounded_per_registry_over_keep_alive_connections(
    env: Env, scripted: Callable[..., Scripted], tmp_path: Path
) -> None:
    image = oci_manifest(seed="bounded")
    server = scripted(lambda seen: manifest_reply(image.body, OCI_MANIFEST), delay=0.04)
    refs = [f"{server.host}/app:t{i}" for i in range(24)]
    started = time.monotonic()
    report = resolve(refs, config(tmp_path, concurrency=3))
    elapsed = time.monotonic() - started
    assert report.errors == {} and len(report.manifests) == 24
    assert server.max_inflight == 3
    assert len(server.peers) <= 3  # connections are reused
    assert elapsed >= 0.04 * 24 / 3


# --------------------------------------------------------------------------------------------
# Politeness: retries, backoff, Retry-After, timeouts
# --------------------------------------------------------------------------------------------


def test_429_with_retry_after_seconds(env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path) -> None:
    proxy = fault_proxy()
    proxy.inject("status", method="HEAD", path=HEAD_MANIFEST, status=429, retry_after=1)
    started = time.monotonic()
    digest, error = one(images.reference("multi-oci", proxy.host), config(tmp_path))
    waited = time.monotonic() - started
    assert error is None and digest == images["multi-oci"].digest
    assert 0.95 <= waited <= 1.6
    assert proxy.count("HEAD") == 2


def test_429_with_retry_after_as_an_http_date(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    when = email.utils.formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1 to 2 s from now
    proxy.inject("status", method="HEAD", path=HEAD_MANIFEST, status=429, retry_after=when)
    started = time.monotonic()
    digest, error = one(images.reference("multi-oci", proxy.host), config(tmp_path))
    waited = time.monotonic() - started
    assert error is None and digest == images["multi-oci"].digest
    assert 0.9 <= waited <= 2.6


def test_a_persisting_429_reports_the_rate_limit_headers(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    limits = {
        "ratelimit-limit": "100;w=21600",
        "ratelimit-remaining": "0;w=21600",
        "docker-ratelimit-source": "1.2.3.4",
    }
    proxy.inject("status", path=HEAD_MANIFEST, status=429, retry_after=0, count=None, headers=limits)
    _, error = one(images.reference("multi-oci", proxy.host), config(tmp_path, retries=2))
    assert error == (
        "429 rate limited (ratelimit-limit: 100;w=21600, ratelimit-remaining: 0;w=21600, "
        "docker-ratelimit-source: 1.2.3.4), retried 2 times"
    )
    assert proxy.count("HEAD") == 3


def test_a_500_is_retried(env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path) -> None:
    proxy = fault_proxy()
    proxy.inject("status", method="HEAD", path=HEAD_MANIFEST, status=500)
    digest, error = one(images.reference("single-oci", proxy.host), config(tmp_path))
    assert error is None and digest == images["single-oci"].digest
    assert proxy.count("HEAD") == 2


def test_a_persisting_503_backs_off_exponentially_then_gives_up(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    proxy.inject("status", path=HEAD_MANIFEST, status=503, count=None)
    started = time.monotonic()
    _, error = one(images.reference("single-oci", proxy.host), config(tmp_path, retries=2))
    elapsed = time.monotonic() - started
    assert error == "503 server error after 3 attempts"
    assert 0.75 <= elapsed <= 1.5  # 0.25 s + 0.5 s, plus jitter
    assert proxy.count("HEAD") == 3


def test_a_reset_connection_is_retried(env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path) -> None:
    proxy = fault_proxy()
    proxy.inject("reset", method="HEAD", path=HEAD_MANIFEST)
    digest, error = one(images.reference("multi-docker", proxy.host), config(tmp_path))
    assert error is None and digest == images["multi-docker"].digest
    assert proxy.count("HEAD") == 2


def test_connections_reset_every_time(env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path) -> None:
    proxy = fault_proxy()
    proxy.inject("reset", path=HEAD_MANIFEST, count=None)
    _, error = one(images.reference("multi-docker", proxy.host), config(tmp_path, retries=1))
    assert error is not None and error.startswith("connection failed (") and error.endswith(") after 2 attempts")


def test_a_registry_that_never_answers_times_out(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    proxy.inject("hang", path=HEAD_MANIFEST, count=None)
    started = time.monotonic()
    _, error = one(images.reference("multi-oci", proxy.host), config(tmp_path, timeout=0.3, retries=2))
    elapsed = time.monotonic() - started
    assert error == "timed out after 3 attempts"
    assert 0.9 + 0.75 <= elapsed <= 3.0
    assert proxy.count("HEAD") == 3


def test_a_trickling_body_cannot_outlast_the_timeout(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path
) -> None:
    proxy = fault_proxy()
    proxy.inject("drop_digest", method="HEAD", path=HEAD_MANIFEST, count=None)
    proxy.inject("trickle", method="GET", path=HEAD_MANIFEST, count=None, trickle_bytes=16, trickle_interval=0.05)
    started = time.monotonic()
    _, error = one(images.reference("multi-oci", proxy.host), config(tmp_path, timeout=0.5, retries=0))
    assert error == "timed out after 1 attempt"
    assert time.monotonic() - started < 1.5


def test_trickling_headers_cannot_outlast_the_timeout(env: Env, tmp_path: Path) -> None:
    """A server sending its status line and then one header byte every 50 ms never lets a read
    wait its whole timeout: only the exchange's deadline (enforced under httpx) ends it."""
    import socket
    import threading

    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        server.settimeout(5)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"X")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        _, error = one(f"127.0.0.1:{port}/app:v1", config(tmp_path, timeout=0.5, retries=0))
    finally:
        stop.set()
        server.close()
        thread.join(5)
    assert error == "timed out after 1 attempt"
    assert time.monotonic() - started < 1.5


def _interrupt_resolve(refs: list[str], cwd: Path, under_way: Callable[[], bool]) -> tuple[int, str, float]:
    """Run `pinlint resolve REFS`, send it ^C once `under_way()` holds: its exit status, its
    stderr and the seconds it took to end after the signal."""
    import os
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "pinlint", "resolve", "--no-cache", *refs],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ), cwd=cwd,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not under_way() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert under_way(), "pinlint never got under way"
        time.sleep(0.3)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
        return process.returncode, err.decode(), time.monotonic() - sent
    finally:
        process.kill()


def test_interrupting_a_resolve_stops_requests_under_way(env: Env, tmp_path: Path) -> None:
    """^C while registries keep reads waiting (and retries are left): the run ends at once with
    130, its worker threads stop at their next wait instead of finishing timeouts and retries."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []

    def serve() -> None:  # accept, read nothing, answer nothing
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    refs = [f"127.0.0.1:{port}/app-{i}:v1" for i in range(3)]
    try:
        code, err, took = _interrupt_resolve(refs, tmp_path, lambda: bool(accepted))  # a request is under way
    finally:
        server.close()
        for conn in accepted:
            conn.close()
    assert code == 130, err
    assert err.strip().endswith("interrupted") and "Traceback" not in err
    assert took < 2.0  # the default timeout is 10 s per attempt, with retries


def test_interrupt_while_connecting_to_a_silent_host_ends_the_run_at_once(tmp_path: Path) -> None:
    """^C while a connection is being opened to a host that drops SYNs (a full listen backlog
    on loopback): connecting waits in slices too, not for the whole connect timeout."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=2)  # the backlog is now full
    probe = socket.socket()
    probe.settimeout(0.5)
    with pytest.raises(OSError):  # the kernel drops further SYNs: connecting hangs
        probe.connect(("127.0.0.1", port))
    probe.close()
    connecting = time.monotonic() + 1.7  # (+0.3 s) started, and connecting
    try:
        ref = f"127.0.0.1:{port}/app:v1"
        code, err, took = _interrupt_resolve([ref], tmp_path, lambda: time.monotonic() > connecting)
    finally:
        filler.close()
        server.close()
    assert code == 130, err
    assert err.strip().endswith("interrupted") and "Traceback" not in err
    assert took < 2.0  # the connect timeout is 10 s


def test_an_unreachable_registry(env: Env, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        _, error = one(f"127.0.0.1:{port}/app:v1", config(tmp_path, retries=1))
    assert error is not None and error.startswith("connection failed (ConnectError") and "2 attempts" in error


# --------------------------------------------------------------------------------------------
# Progress and the CLI
# --------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(env: Env, registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    refs = [images.reference(tag, registry.host) for tag in IMAGE_KINDS]
    refs += [f"{registry.host}/test/app:missing{i}" for i in range(6)]
    terminal = _Terminal()
    resolve(refs, config(tmp_path), progress=terminal)
    text = terminal.getvalue()
    assert "Resolving [" in text and f"{len(refs)}/{len(refs)}" in text and text.endswith("\r")
    plain = io.StringIO()
    resolve(refs, config(tmp_path), progress=plain)
    assert plain.getvalue() == ""
    few = _Terminal()
    resolve(refs[:3], config(tmp_path), progress=few)
    assert few.getvalue() == ""


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_cli_resolve_prints_digests_and_exit_codes(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = images.reference("multi-oci", registry.host)
    toml = write_toml(tmp_path / "pinlint.toml", "[registry]\nretries = 0\n")
    assert main(["resolve", good, "--config", str(toml)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{good}@{images['multi-oci'].digest}\n" and err == ""

    missing = f"{registry.host}/test/app:nope"
    assert main(["resolve", good, missing, "--config", str(toml)]) == 3
    out, err = capsys.readouterr()
    assert out == f"{good}@{images['multi-oci'].digest}\n"
    assert (
        err == f"pinlint: error: {missing}: not found: no tag 'nope' in {registry.host}/test/app (manifest unknown)\n"
    )

    assert main(["resolve", "Not A Reference!", "--config", str(toml)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("pinlint: error: invalid image reference") and err.count("\n") == 1


def test_cli_never_prints_a_traceback(
    env: Env, fault_proxy: MakeProxy, images: ImageSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = fault_proxy()
    proxy.inject("hang", path=HEAD_MANIFEST, count=None)
    toml = write_toml(tmp_path / "pinlint.toml", "[registry]\ntimeout = 0.3\nretries = 1\n")
    refs = [images.reference("multi-oci", proxy.host), "127.0.0.1:1/app:v1"]
    assert main(["resolve", *refs, "--config", str(toml), "-vv", "--no-cache"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("pinlint: error:")]
    assert errors == [
        f"pinlint: error: {refs[0]}: timed out after 2 attempts",
        f"pinlint: error: {refs[1]}: " + errors[1].split(": ", 3)[3],
    ]
    assert errors[1].startswith(f"pinlint: error: {refs[1]}: connection failed (")


def test_log_lines_from_worker_threads_never_run_together(capsys: pytest.CaptureFixture[str]) -> None:
    """References resolve on a thread pool and each may log (retries, -vv requests): a line is
    written whole, never split between its text and its newline by another thread's line."""
    from pinlint.resolve import StderrLog

    log = StderrLog(1)

    def run(i: int) -> None:
        for n in range(2000):
            log(1, f"ref-{i}-{n}: retrying")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 8 * 2000
    assert all(line.startswith("pinlint: ref-") and line.endswith(": retrying") for line in lines)
