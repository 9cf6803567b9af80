"""What a resolve pays before its first answer: the system trust store is read only when the
first https request is about to go out (a plain-http loopback registry never needs it), and
then before that request connects, so verification works as with `create_default_context`."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from registry import Registry
from test_resolver import Env, config, isolate, resolve

from pinlint.registry.client import RegistryClient

Loaded = list[ssl.SSLContext]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loaded:
    """Every SSLContext whose default certificates were loaded, in order."""
    seen: Loaded = []
    original: Callable[..., None] = ssl.SSLContext.load_default_certs

    def recording(self: ssl.SSLContext, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
        seen.append(self)
        original(self, purpose)

    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", recording)
    return seen


def test_plain_http_resolve_never_reads_the_trust_store(
    env: Env, registry: Registry, tmp_path: Path, loads: Loaded
) -> None:
    report = resolve([f"{registry.host}/no/such:tag"], config(tmp_path))
    assert report.requests >= 1 and loads == []


def test_the_store_is_read_once_before_the_first_https_request(
    env: Env, tls_registry: Registry, ca_file: Path, tmp_path: Path, loads: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the system store is what SSL_CERT_FILE names (OpenSSL's default paths): here the test CA
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    client = RegistryClient(config(tmp_path))
    endpoint = client.transport.endpoint("registry.example", "registry.example")
    assert isinstance(endpoint.verify, ssl.SSLContext) and endpoint.scheme == "https"
    assert loads == []

    def get(url: str) -> int:
        http = client.transport._client(endpoint.verify, 0)
        try:
            return http.get(url).status_code
        finally:
            client.close()

    assert get(f"https://{tls_registry.host}/v2/") in (200, 401)
    assert loads == [endpoint.verify]
    assert endpoint.verify.verify_mode == ssl.CERT_REQUIRED and endpoint.verify.check_hostname
    client.transport.load_trust_store(httpx.Request("GET", "https://again.example/"))
    assert loads == [endpoint.verify]  # once per run


def test_without_the_ca_an_https_registry_still_fails_verification(
    env: Env, tls_registry: Registry, tmp_path: Path, loads: Loaded
) -> None:
    client = RegistryClient(config(tmp_path))
    endpoint = client.transport.endpoint("registry.example", "registry.example")

    def get(url: str) -> str:
        http = client.transport._client(endpoint.verify, 0)
        try:
            http.get(url)
        except httpx.ConnectError as exc:
            return str(exc)
        finally:
            client.close()
        return "connected"

    assert "CERTIFICATE_VERIFY_FAILED" in get(f"https://{tls_registry.host}/v2/")
    assert loads == [endpoint.verify]


def test_resolve_loads_no_parser_and_no_rule(env: Env, registry: Registry, tmp_path: Path) -> None:
    """`pinlint resolve` reads no file: discovery, the source parsers, the shell parser and
    the rules are not imported (nor is ssl, with a plain-http loopback registry)."""
    import os
    import subprocess
    import sys

    toml = tmp_path / "pinlint.toml"
    toml.write_text("[registry]\nretries = 0\n")
    script = (
        "import sys\n"
        "from pinlint.cli import main\n"
        f"assert main(['resolve', '--no-cache', '{registry.host}/no/such:tag', '--config', {str(toml)!r}]) == 3\n"
        "parts = ('pinlint.rules', 'pinlint.shell', 'pinlint.sources', 'pinlint.engine', 'pinlint.runner',\n"
        "         'pinlint.discover')\n"
        "helpers = ('pinlint.sources', 'pinlint.sources.text')  # config reads paths with file_kind: no parser\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(parts) and m not in helpers)\n"
        "assert not loaded, loaded\n"
        "assert 'pinlint.registry.client' in sys.modules\n"
        "assert 'asyncio' not in sys.modules, 'an event loop imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("verbosity", "lines"), [(0, 0), (1, 0), (2, 1)])
def test_per_request_lines_are_built_only_when_shown(
    env: Env,
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    verbosity: int,
    lines: int,
) -> None:
    from pinlint.reference import parse
    from pinlint.registry import transport
    from pinlint.resolve import resolve_digests, stderr_log

    built: list[str] = []
    real = transport.shown_url

    def counting(url: httpx.URL) -> str:
        built.append(str(url))
        return real(url)

    monkeypatch.setattr(transport, "shown_url", counting)
    report = resolve_digests(
        [parse(f"{registry.host}/no/such:tag")], config(tmp_path), use_cache=False, log=stderr_log(verbosity)
    )
    assert report.requests == 2  # HEAD, then GET for the registry's explanation
    assert len(built) == 2 * lines
    err = capsys.readouterr().err
    assert err.count(f"pinlint: HEAD http://{registry.host}/v2/no/such/manifests/tag -> 404") == lines
