"""Registries that attack or fail: each test reproduces one attack or failure on loopback servers.

Redirects to a host that challenges for credentials (issue 12.4), compression bombs (12.5),
`Retry-After` storms and many hosts at once (12.10), dead and hanging registries (14). The
servers are `Scripted` (test_resolver.py) and raw listening sockets; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import gzip
import io
import json
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from registry import OCI_MANIFEST, oci_manifest
from test_resolver import Env, Reply, Scripted, Seen, b64, config, env, manifest_reply, one, resolve, scripted

from pinlint.config import RegistryHost

__all__ = ["env", "scripted"]  # fixtures, re-used from test_resolver

MakeServer = Callable[..., Scripted]
REFUSED_ENCODING = "refusing a response with several or unknown content encodings (pinlint asks for identity)"


# -- 12.4: credentials stay with their registry across redirects --------------------------------


@pytest.mark.parametrize("insecure", [False, True])
def test_a_redirect_never_takes_credentials_to_another_hosts_realm(
    env: Env, scripted: MakeServer, tmp_path: Path, insecure: bool
) -> None:
    image = oci_manifest(seed="redirect-attack")

    def attacker(seen: Seen) -> Reply:
        if seen.path.startswith("/token"):
            return 200, {"Content-Type": "application/json"}, b'{"token": "attacker-token"}'
        if seen.headers.get("authorization") == "Bearer attacker-token":
            return manifest_reply(image.body, OCI_MANIFEST)
        return 401, {"WWW-Authenticate": f'Bearer realm="{b_server.url}/token",service="b"'}, b""

    b_server = scripted(attacker)
    a_server = scripted(lambda seen: (307, {"Location": f"{b_server.url}{seen.path}"}, b""))
    env.auths(a_server.host, username="a-user", password="a-password")
    hosts = {a_server.host: RegistryHost(insecure=True)} if insecure else {}
    digest, error = one(f"{a_server.host}/app:v1", config(tmp_path, hosts=hosts))
    assert digest is None
    assert error == (
        f"401 unauthorized from {b_server.host}, where {a_server.host} redirected the request; "
        f"pinlint answers challenges only from {a_server.host} itself"
    )
    assert not [s for s in b_server.seen if s.path.startswith("/token")]
    assert all("authorization" not in s.headers for s in b_server.seen)


def test_a_basic_challenge_after_a_redirect_is_not_answered(env: Env, scripted: MakeServer, tmp_path: Path) -> None:
    b_server = scripted(lambda seen: (401, {"WWW-Authenticate": 'Basic realm="b"'}, b""))
    a_server = scripted(lambda seen: (307, {"Location": f"{b_server.url}{seen.path}"}, b""))
    env.auths(a_server.host, username="a-user", password="a-password")
    _, error = one(f"{a_server.host}/app:v1", config(tmp_path))
    assert error is not None and error.startswith(f"401 unauthorized from {b_server.host}, where")
    assert all("authorization" not in s.headers for s in b_server.seen)
    assert b64("a-user:a-password") not in repr(b_server.seen)


def test_the_registrys_own_challenge_is_still_answered_after_a_redirect_elsewhere(
    env: Env, scripted: MakeServer, tmp_path: Path
) -> None:
    image = oci_manifest(seed="own-challenge")
    storage = scripted(lambda seen: manifest_reply(image.body, OCI_MANIFEST))

    def front(seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Basic {b64('u:p')}":
            return 401, {"WWW-Authenticate": 'Basic realm="front"'}, b""
        return 307, {"Location": f"{storage.url}/blobs{seen.path}"}, b""

    server = scripted(front)
    env.auths(server.host, username="u", password="p")
    digest, error = one(f"{server.host}/app:v1", config(tmp_path))
    assert error is None and digest == image.digest
    assert all("authorization" not in s.headers for s in storage.seen)


# -- 12.5: bounded decoding ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """gzip of 128 MiB of zeros (about 128 KiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(128)) + packer.flush()


def peak_while(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def encoded_server(scripted: MakeServer, body: bytes, encoding: str) -> Scripted:
    # no digest header: HEAD is not enough, the body is fetched
    return scripted(lambda seen: (200, {"Content-Type": OCI_MANIFEST, "Content-Encoding": encoding}, body))


def test_a_nested_gzip_bomb_is_refused_without_decoding_it(
    env: Env, scripted: MakeServer, tmp_path: Path, bomb: bytes
) -> None:
    twice = gzip.compress(bomb, 9)
    assert len(twice) < 8 * 1024
    server = encoded_server(scripted, twice, "gzip, gzip")
    result: list[tuple[str | None, str | None]] = []
    peak = peak_while(lambda: result.append(one(f"{server.host}/app:v1", config(tmp_path, retries=0))))
    assert result == [(None, REFUSED_ENCODING)]
    assert peak < 16 * 1024 * 1024


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, identity, deflate"])
def test_unknown_or_stacked_encodings_are_refused(
    env: Env, scripted: MakeServer, tmp_path: Path, encoding: str
) -> None:
    server = encoded_server(scripted, b"\x00" * 64, encoding)
    _, error = one(f"{server.host}/app:v1", config(tmp_path, retries=0))
    assert error == REFUSED_ENCODING


def test_one_gzip_layer_is_decoded_under_the_size_cap(
    env: Env, scripted: MakeServer, tmp_path: Path, bomb: bytes
) -> None:
    server = encoded_server(scripted, bomb, "gzip")
    result: list[tuple[str | None, str | None]] = []
    started = time.monotonic()
    peak = peak_while(lambda: result.append(one(f"{server.host}/app:v1", config(tmp_path, retries=0))))
    assert result == [(None, "response larger than 4 MiB; refused")]
    assert peak < 24 * 1024 * 1024  # httpx decoding a 64 KiB read of this alone needs 64 MiB
    assert time.monotonic() - started < 3.0


def test_a_redirects_body_is_not_decoded_or_kept_past_the_size_cap(
    env: Env, scripted: MakeServer, tmp_path: Path, bomb: bytes
) -> None:
    """httpx reads (and decodes) the body of every redirect it follows: a 302 carrying a gzip
    bomb must not grow past the cap either."""
    image = oci_manifest(seed="redirect-bomb")

    def handler(seen: Seen) -> Reply:
        if seen.path.endswith("/real"):
            return manifest_reply(image.body, OCI_MANIFEST, digest=False)
        if seen.method == "HEAD":
            return 200, {"Content-Type": OCI_MANIFEST}, b""  # no digest header: the body is fetched
        return 302, {"Location": "/v2/app/manifests/real", "Content-Encoding": "gzip"}, bomb

    server = scripted(handler)
    result: list[tuple[str | None, str | None]] = []
    peak = peak_while(lambda: result.append(one(f"{server.host}/app:v1", config(tmp_path, retries=0))))
    assert result[0][1] is None or "4 MiB" in result[0][1]
    assert peak < 24 * 1024 * 1024


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", lambda body: gzip.compress(body)),
        ("deflate", zlib.compress),
        ("deflate", lambda body: zlib.compress(body, wbits=-zlib.MAX_WBITS)),  # raw deflate, as some servers send
        ("identity", lambda body: body),
    ],
)
def test_an_honestly_compressed_manifest_still_resolves(
    env: Env, scripted: MakeServer, tmp_path: Path, encoding: str, pack: Callable[[bytes], bytes]
) -> None:
    image = oci_manifest(seed=f"compressed-{encoding}")
    server = encoded_server(scripted, pack(image.body), encoding)
    digest, error = one(f"{server.host}/app:v1", config(tmp_path))
    assert error is None and digest == image.digest  # the digest of the manifest, not of its encoding


def test_a_corrupt_gzip_body_is_one_line(env: Env, scripted: MakeServer, tmp_path: Path) -> None:
    server = encoded_server(scripted, b"\x1f\x8b not really gzip", "gzip")
    _, error = one(f"{server.host}/app:v1", config(tmp_path, retries=0))
    assert error == "the registry's answer could not be decoded (gzip)"


# -- 12.10: Retry-After storms, many hosts ------------------------------------------------------


def test_a_retry_after_storm_cannot_outlast_the_run_deadline(env: Env, scripted: MakeServer, tmp_path: Path) -> None:
    server = scripted(lambda seen: (429, {"Retry-After": "60"}, b""))
    started = time.monotonic()
    _, error = one(f"{server.host}/app:v1", config(tmp_path, timeout=0.3, retries=3))
    assert time.monotonic() - started < 2.0
    assert error is not None and error.startswith("429 rate limited; gave up: a wait of 6")
    assert error.endswith(" s would end past the run's retry deadline")
    assert len(server.seen) == 1


def test_retry_after_within_the_deadline_is_still_honoured(env: Env, scripted: MakeServer, tmp_path: Path) -> None:
    image = oci_manifest(seed="storm-over")
    calls: list[float] = []

    def handler(seen: Seen) -> Reply:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return 429, {"Retry-After": "1"}, b""
        return manifest_reply(image.body, OCI_MANIFEST)

    server = scripted(handler)
    digest, error = one(f"{server.host}/app:v1", config(tmp_path, timeout=0.5, retries=2))
    assert error is None and digest == image.digest
    assert calls[1] - calls[0] >= 0.95


def test_the_number_of_hosts_worked_on_at_once_is_capped(
    env: Env, scripted: MakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pinlint.registry import client

    monkeypatch.setattr(client, "MAX_ACTIVE_HOSTS", 2)
    image = oci_manifest(seed="many-hosts")
    lock = threading.Lock()
    active: dict[int, int] = {}
    most: list[int] = [0]

    def make_handler(index: int) -> Callable[[Seen], Reply]:
        def handler(seen: Seen) -> Reply:
            with lock:
                active[index] = active.get(index, 0) + 1
                most[0] = max(most[0], sum(1 for n in active.values() if n))
            time.sleep(0.05)
            with lock:
                active[index] -= 1
            return manifest_reply(image.body, OCI_MANIFEST)

        return handler

    servers = [scripted(make_handler(i)) for i in range(5)]
    refs = [f"{s.host}/app:t{t}" for s in servers for t in range(3)]
    report = resolve(refs, config(tmp_path, concurrency=4))
    assert report.errors == {} and len(report.manifests) == 15
    assert most[0] == 2


# -- 14: a dead or hanging registry costs one reference's attempts ------------------------------


@pytest.fixture
def hanging() -> Iterator[str]:
    """host:port of a listener that accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def refusing() -> Iterator[str]:
    """host:port where connections are refused (bound, not listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def collect_log() -> tuple[list[str], Callable[[int, str], None]]:
    lines: list[str] = []
    return lines, lambda level, message: lines.append(message) if level == 0 else None


def test_a_hanging_registry_costs_one_timeout_not_one_per_reference(env: Env, hanging: str, tmp_path: Path) -> None:
    refs = [f"{hanging}/app:t{i}" for i in range(40)]
    lines, log = collect_log()
    started = time.monotonic()
    report = resolve(refs, config(tmp_path, timeout=0.3, retries=1), log=log)
    elapsed = time.monotonic() - started
    assert elapsed < 1.8  # one reference: 0.3 s, a backoff of about 0.25 s, 0.3 s
    reasons = sorted(report.errors.values())
    assert reasons == [f"skipped: {hanging} did not answer (timed out after 2 attempts)"] * 39 + [
        "timed out after 2 attempts"
    ]
    assert report.unanswered == {hanging: "timed out after 2 attempts"}
    assert sorted(report.skipped) == sorted(k for k, e in report.errors.items() if e.startswith("skipped:"))
    assert set(report.skipped.values()) == {hanging} and len(report.skipped) == 39
    assert lines == [f"{hanging} did not answer (timed out after 2 attempts); skipped 39 other references to it"]


def test_a_refusing_registry_fails_fast_with_one_message(
    env: Env, refusing: str, scripted: MakeServer, tmp_path: Path
) -> None:
    image = oci_manifest(seed="healthy-neighbour")
    healthy = scripted(lambda seen: manifest_reply(image.body, OCI_MANIFEST))
    refs = [f"{refusing}/app:t{i}" for i in range(40)] + [f"{healthy.host}/app:t{i}" for i in range(5)]
    lines, log = collect_log()
    started = time.monotonic()
    report = resolve(refs, config(tmp_path, retries=2), log=log)
    assert time.monotonic() - started < 2.5  # one reference's backoff (0.25 + 0.5 s), not 40 of them
    assert len(report.manifests) == 5 and len(report.errors) == 40  # the other host is unaffected
    first = [e for e in report.errors.values() if not e.startswith("skipped:")]
    assert len(first) == 1 and first[0].startswith("connection failed (ConnectError")
    assert list(report.unanswered) == [refusing] and len(report.skipped) == 39
    assert len(lines) == 1 and lines[0].startswith(f"{refusing} did not answer (connection failed (ConnectError")
    assert lines[0].endswith("; skipped 39 other references to it")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_appears_before_the_first_answer(env: Env, hanging: str, tmp_path: Path) -> None:
    terminal = _Terminal()
    refs = [f"{hanging}/app:t{i}" for i in range(12)]

    def log(level: int, message: str) -> None:  # stderr_log(0), on the terminal
        if level == 0:
            terminal.write(f"pinlint: {message}\n")

    resolve(refs, config(tmp_path, timeout=0.2, retries=0), progress=terminal, log=log)
    text = terminal.getvalue()
    assert text.startswith(f"\rResolving [{'.' * 30}] 0/12\rResolving [")
    # the one line about the host comes after the bar is cleared, not on top of it
    cleared = "\r" + " " * 60 + "\r"
    line = f"pinlint: {hanging} did not answer (timed out after 1 attempt); skipped 11 other references to it\n"
    assert text.endswith(cleared + line), text


# -- issue 11: how fresh cached answers are -----------------------------------------------------


def test_the_report_says_how_old_the_oldest_cached_answer_is(
    env: Env, scripted: MakeServer, tmp_path: Path
) -> None:
    from pinlint.config import RegistrySettings
    from pinlint.reference import parse
    from pinlint.registry.cache import cache_dir
    from pinlint.resolve import resolve_digests

    image = oci_manifest(seed="cache-age")
    server = scripted(lambda seen: manifest_reply(image.body, OCI_MANIFEST))
    refs = [parse(f"{server.host}/app:new"), parse(f"{server.host}/app:old"), parse(f"{server.host}/app:stale")]
    cfg = config(tmp_path)._replace(registry=RegistrySettings(retries=0))  # the default cache-ttl
    first = resolve_digests(refs, cfg)
    assert first.cached == 0 and first.cache_age is None and first.requests == 3
    assert first.cache_summary() == "0 answers from the cache"
    path = cache_dir() / "digests.json"
    document = json.loads(path.read_text())
    now = time.time()
    for key, entry in document["entries"].items():
        entry["stored_at"] = now - (120 if key.endswith(":old") else 400 if key.endswith(":stale") else 0)
    path.write_text(json.dumps(document))
    second = resolve_digests(refs, cfg)
    assert second.cached == 2 and second.requests == 1  # 400 s is past the default of 5 minutes
    assert second.cache_age is not None and 120 <= second.cache_age < 130
    assert second.cache_summary() == f"2 answers from the cache (the oldest {second.cache_age:.0f} s old)"
    assert len(server.seen) == 4
