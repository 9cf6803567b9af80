"""Test infrastructure for the registry resolver: real registries, a token server, image pushing, a fault proxy.

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
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import fnmatch
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

import httpx

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


# --------------------------------------------------------------------------------------------
# openssl: throwaway CA, server certificate, token signing key
# --------------------------------------------------------------------------------------------


def _run_tool(*argv: str, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(list(argv), input=stdin, capture_output=True, check=False, timeout=30)
    except FileNotFoundError as exc:
        raise RegistryTestError(f"{argv[0]} is not installed") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").strip()
        raise RegistryTestError(f"{' '.join(argv[:2])} failed ({result.returncode}): {output}")
    return result.stdout


def _new_ec_cert(directory: Path, stem: str, subject: str, *extensions: str) -> tuple[Path, Path]:
    key, cert = directory / f"{stem}.key", directory / f"{stem}.pem"
    args = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    args += ["-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", subject]
    for extension in extensions:
        args += ["-addext", extension]
    _run_tool(*args)
    return key, cert


@dataclass(frozen=True)
class TLSFiles:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost signed by it."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only the throwaway CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_tls_files(directory: Path, hosts: Iterable[str] = ("127.0.0.1", "localhost")) -> TLSFiles:
    """Create `ca.pem` (+ key) and `server.pem`/`server.key` for `hosts` in `directory` with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _new_ec_cert(
        directory,
        "ca",
        "/CN=pinlint test CA",
        "basicConstraints=critical,CA:TRUE",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    san = ",".join(f"IP:{h}" if re.fullmatch(r"[\d.]+|[0-9a-fA-F:]+", h) else f"DNS:{h}" for h in hosts)
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    _run_tool(
        "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    extfile = directory / "server.ext"
    extfile.write_text(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    _run_tool(
        "openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
        "-set_serial", str(secrets.randbits(63)), "-days", "7", "-extfile", str(extfile), "-out", str(cert),
    )  # fmt: skip
    return TLSFiles(ca_file=ca_cert, cert_file=cert, key_file=key)


def _pem_to_der(pem: str) -> bytes:
    body = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    if body is None:
        raise RegistryTestError("no certificate in PEM")
    return base64.b64decode("".join(body.group(1).split()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _der_ecdsa_to_raw(der: bytes) -> bytes:
    """ECDSA-Sig-Value (DER SEQUENCE of r, s) → the 64-byte r||s that JWS ES256 wants."""

    def read_len(pos: int) -> tuple[int, int]:
        first = der[pos]
        if first < 0x80:
            return first, pos + 1
        count = first & 0x7F
        return int.from_bytes(der[pos + 1 : pos + 1 + count], "big"), pos + 1 + count

    if der[0] != 0x30:
        raise RegistryTestError("not a DER ECDSA signature")
    _, pos = read_len(1)
    values = []
    for _ in range(2):
        if der[pos] != 0x02:
            raise RegistryTestError("not a DER ECDSA signature")
        length, pos = read_len(pos + 1)
        values.append(int.from_bytes(der[pos : pos + length], "big"))
        pos += length
    return values[0].to_bytes(32, "big") + values[1].to_bytes(32, "big")


class ES256Signer:
    """An EC P-256 key with a self-signed certificate, signing JWS ES256 (cryptography, else openssl)."""

    def __init__(self, directory: Path, *, use_cryptography: bool = True) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.key_file, self.cert_file = _new_ec_cert(directory, "token-signer", "/CN=pinlint test token signer")
        self.cert_der = _pem_to_der(self.cert_file.read_text())
        spki = _run_tool("openssl", "pkey", "-in", str(self.key_file), "-pubout", "-outform", "DER")
        # libtrust key id: base32 of the first 30 bytes of sha256(SPKI DER), 12 groups of 4.
        encoded = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode().rstrip("=")
        self.kid = ":".join(encoded[i : i + 4] for i in range(0, 48, 4))
        self._key: Any = None
        if use_cryptography:
            try:
                from cryptography.hazmat.primitives.serialization import load_pem_private_key
            except ImportError:  # fall back to the openssl CLI
                pass
            else:
                self._key = load_pem_private_key(self.key_file.read_bytes(), password=None)

    @property
    def backend(self) -> str:
        return "cryptography" if self._key is not None else "openssl"

    def sign(self, data: bytes) -> bytes:
        if self._key is not None:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec

            der: bytes = self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        else:
            der = _run_tool("openssl", "dgst", "-sha256", "-sign", str(self.key_file), stdin=data)
        return _der_ecdsa_to_raw(der)

    def jwt(self, claims: Mapping[str, Any], *, key_id: Literal["x5c", "kid"] = "x5c") -> str:
        header: dict[str, Any] = {"typ": "JWT", "alg": "ES256"}
        if key_id == "x5c":
            header["x5c"] = [base64.b64encode(self.cert_der).decode("ascii")]
        else:
            header["kid"] = self.kid
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + _b64url(self.sign(signing_input.encode("ascii")))


# --------------------------------------------------------------------------------------------
# TokenServer
# --------------------------------------------------------------------------------------------


def parse_scope(scope: str) -> tuple[str, str, tuple[str, ...]] | None:
    """`repository:host:5000/ns/app:pull,push` → ("repository", "host:5000/ns/app", ("pull", "push"))."""
    kind, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not name:
        return None
    kind = kind.split("(", 1)[0]  # legacy "repository(plugin)"
    return kind, name, tuple(a for a in actions.split(",") if a)


@dataclass(frozen=True)
class TokenRequest:
    """One request the token server received. Passwords and refresh tokens are never kept."""

    method: str
    path: str
    scopes: tuple[str, ...]
    service: str | None
    authorization: Literal["none", "basic", "bearer", "other"]
    username: str | None  # from Basic credentials or the POST form, valid or not
    grant_type: str | None
    client_id: str | None
    account: str | None
    offline_token: bool
    status: int
    granted: tuple[str, ...]  # scopes as granted: "repository:test/app:pull"
    params: tuple[tuple[str, str], ...] = ()  # every query/form parameter except the secret ones

    @property
    def had_authorization(self) -> bool:
        return self.authorization != "none"


_SECRET_PARAMS = frozenset({"password", "refresh_token", "client_secret"})


class _TokenHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: TokenServer


class _TokenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: _TokenHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner._answer(self, "GET")

    def do_POST(self) -> None:
        self.server.owner._answer(self, "POST")


class TokenServer:
    """A Docker-Hub-style token server on 127.0.0.1 issuing ES256 JWTs that distribution 2.8.2 accepts.

    - `GET <realm>?service=…&scope=…` (repeatable `scope`): anonymous requests get `pull` on
      repositories matching `public` (fnmatch patterns); valid Basic credentials get every action
      asked for; wrong credentials get 401.
    - `POST <realm>` (OAuth2 form): `grant_type=password` (username/password) or
      `grant_type=refresh_token` with a known refresh token; answers `access_token`.

    Knobs (plain attributes, change them between requests): `response_fields`
    ("both" | "token" | "access_token"), `expires_in` (seconds advertised and put in `exp`;
    distribution allows 60 s of leeway, so a short `expires_in` only tells the client to
    refresh), `expired_tokens` (sign tokens that expired an hour ago: the registry answers 401
    `invalid_token`), `post_status` (answer every POST with this status, e.g. 404/405 like
    registries without OAuth2), and `fail_next()`.
    `requests` lists what was asked, without any secret.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        users: Mapping[str, str] | None = None,
        refresh_tokens: Mapping[str, str] | None = None,
        public: Iterable[str] = (),
        service: str = "pinlint-test-registry",
        issuer: str = "pinlint-test-token-issuer",
        key_id: Literal["x5c", "kid"] = "x5c",
        response_fields: Literal["both", "token", "access_token"] = "both",
        expires_in: int = 300,
        use_cryptography: bool = True,
    ) -> None:
        self.workdir = workdir
        self.users: dict[str, str] = dict(users if users is not None else {"pinlint": secrets.token_hex(8)})
        self.refresh_tokens: dict[str, str] = dict(refresh_tokens or {})
        self.public = tuple(public)
        self.service = service
        self.issuer = issuer
        self.key_id: Literal["x5c", "kid"] = key_id
        self.response_fields: Literal["both", "token", "access_token"] = response_fields
        self.expires_in = expires_in
        self.expired_tokens = False
        self.post_status: int | None = None
        self._fail_status = 0
        self._fail_remaining = 0
        self._lock = threading.Lock()
        self._requests: list[TokenRequest] = []
        self.signer = ES256Signer(workdir, use_cryptography=use_cryptography)
        self._httpd = _TokenHTTPServer(("127.0.0.1", 0), _TokenHandler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.realm = f"{self.url}/token"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="token-server", daemon=True
        )
        self._thread.start()
        self._stopped = False
        _track(self)

    # -- public API ---------------------------------------------------------------------------

    @property
    def root_cert_file(self) -> Path:
        """The certificate bundle the registry's `auth.token.rootcertbundle` must point to."""
        return self.signer.cert_file

    @property
    def credentials(self) -> tuple[str, str]:
        """The first user's (username, password): enough to push."""
        user = next(iter(self.users))
        return user, self.users[user]

    def add_refresh_token(self, username: str) -> str:
        """A new refresh token (an identity token in Docker's config.json) for `username`."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self._lock:
            self.refresh_tokens[token] = username
        return token

    def fail_next(self, status: int = 401, count: int = 1) -> None:
        """Answer the next `count` token requests with `status` and a JSON error."""
        with self._lock:
            self._fail_status, self._fail_remaining = status, count

    @property
    def requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def issue(self, scopes: Iterable[str], subject: str = "", *, expires_in: int | None = None) -> str:
        """A token granting exactly `scopes` (e.g. `repository:test/app:push,pull`), bypassing checks."""
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is not None:
                access.append({"type": parsed[0], "name": parsed[1], "actions": list(parsed[2])})
        return self._mint(access, subject, self.expires_in if expires_in is None else expires_in)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        _untrack(self)

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------

    def _mint(self, access: list[dict[str, Any]], subject: str, expires_in: int) -> str:
        now = int(time.time())
        if self.expired_tokens:
            not_before, expires = now - 7200, now - 3600  # beyond distribution's 60 s leeway
        else:
            not_before, expires = now - 1, now + expires_in
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,  # a string: distribution 2.8.2 rejects a list here
            "exp": expires,
            "nbf": not_before,
            "iat": not_before,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        return self.signer.jwt(claims, key_id=self.key_id)

    def _grant(self, scopes: Iterable[str], user: str | None) -> list[dict[str, Any]]:
        access: list[dict[str, Any]] = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            kind, name, actions = parsed
            if user is not None:
                allowed = list(actions)
            elif kind == "repository" and any(fnmatch.fnmatchcase(name, p) for p in self.public):
                allowed = [a for a in actions if a == "pull"]
            else:
                allowed = []
            if allowed:
                access.append({"type": kind, "name": name, "actions": allowed})
        return access

    def _answer(self, handler: _TokenHandler, method: str) -> None:
        url = urllib.parse.urlsplit(handler.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        form: dict[str, list[str]] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(handler.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True)
        params = form if method == "POST" else query

        def first(name: str) -> str | None:
            values = params.get(name)
            return values[0] if values else None

        scopes = tuple(s for value in params.get("scope", []) for s in value.split() if s)
        header = handler.headers.get("Authorization") or ""
        scheme, _, credentials = header.partition(" ")
        authorization: Literal["none", "basic", "bearer", "other"] = "none"
        username: str | None = None
        password: str | None = None
        if header:
            authorization = {"basic": "basic", "bearer": "bearer"}.get(scheme.lower(), "other")  # type: ignore[assignment]
        if authorization == "basic":
            with contextlib.suppress(ValueError):
                username, _, password = base64.b64decode(credentials.strip()).decode("utf-8").partition(":")
        grant_type = first("grant_type") if method == "POST" else None

        status, payload, granted = self._decide(url.path, method, grant_type, username, password, first, scopes)
        with self._lock:
            self._requests.append(
                TokenRequest(
                    method=method,
                    path=url.path,
                    scopes=scopes,
                    service=first("service"),
                    authorization=authorization,
                    username=username if method == "GET" else first("username"),
                    grant_type=grant_type,
                    client_id=first("client_id"),
                    account=first("account"),
                    offline_token=first("offline_token") == "true" or first("access_type") == "offline",
                    status=status,
                    granted=granted,
                    params=tuple(
                        (name, value)
                        for name, values in params.items()
                        if name not in _SECRET_PARAMS
                        for value in values
                    ),
                )
            )
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if status == 401:
            handler.send_header("WWW-Authenticate", 'Basic realm="pinlint-test-token-server"')
        handler.end_headers()
        handler.wfile.write(body)

    def _decide(
        self,
        path: str,
        method: str,
        grant_type: str | None,
        username: str | None,
        password: str | None,
        first: Any,
        scopes: tuple[str, ...],
    ) -> tuple[int, dict[str, Any], tuple[str, ...]]:
        if path != urllib.parse.urlsplit(self.realm).path:
            return 404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]}, ()
        with self._lock:
            if self._fail_remaining > 0:
                self._fail_remaining -= 1
                return self._fail_status, {"errors": [{"code": "UNAUTHORIZED", "message": "injected failure"}]}, ()
        if method == "POST" and self.post_status is not None:
            return self.post_status, {"error": "unsupported"}, ()

        user: str | None = None
        if method == "GET":
            if username is not None:
                if self.users.get(username) != password:
                    return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}, ()
                user = username
        elif grant_type == "password":
            form_user, form_password = first("username"), first("password")
            if form_user is None or self.users.get(form_user) != form_password:
                return 401, {"error": "invalid_grant"}, ()
            user = form_user
        elif grant_type == "refresh_token":
            with self._lock:
                user = self.refresh_tokens.get(first("refresh_token") or "")
            if user is None:
                return 401, {"error": "invalid_grant"}, ()
        else:
            return 400, {"error": "unsupported_grant_type"}, ()

        access = self._grant(scopes, user)
        token = self._mint(access, user or "", self.expires_in)
        granted = tuple(f"{a['type']}:{a['name']}:{','.join(a['actions'])}" for a in access)
        payload: dict[str, Any] = {}
        if self.response_fields in ("both", "token"):
            payload["token"] = token
        if self.response_fields in ("both", "access_token"):
            payload["access_token"] = token
        payload["expires_in"] = self.expires_in
        payload["issued_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        if method == "POST":
            payload["scope"] = " ".join(granted)
        wants_refresh = first("offline_token") == "true" or first("access_type") == "offline"
        if user is not None and wants_refresh:
            payload["refresh_token"] = self.add_refresh_token(user)
        return 200, payload, granted


# --------------------------------------------------------------------------------------------
# Registry (docker-registry serve)
# --------------------------------------------------------------------------------------------

_ACCESS_LOG = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]*\] "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3}) (?P<size>\d+|-)'
)
_SYNC_PARAM = "pinlint-sync"


@dataclass(frozen=True)
class AccessLogEntry:
    """One line of the registry's access log (stdout in distribution 2.8.2, Apache combined format)."""

    method: str
    path: str
    query: str
    status: int


class _RequestCounting:
    """`request_counts()` and `count()` over a class's `requests`: (method, path) pairs."""

    @property
    def requests(self) -> list[tuple[str, str]]:
        raise NotImplementedError

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


class Registry(_RequestCounting):
    """A `docker-registry serve` process on a free 127.0.0.1 port with its own config.

    Auth is one of: none (default), Basic (`basic_auth=(user, password)`, htpasswd bcrypt) or
    token (`token_server=TokenServer(...)`); `tls=True` (or a `TLSFiles`) serves HTTPS with a
    throwaway CA (`.ca_file`). `storage` may be shared with other registries. The constructor
    returns once `GET /v2/` answers; use `.stop()` or a `with` block.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        storage: Path | None = None,
        basic_auth: tuple[str, str] | None = None,
        tls: bool | TLSFiles = False,
        token_server: TokenServer | None = None,
        token_realm: str | None = None,
        access_log: bool = True,
        start_timeout: float = 10.0,
        binary: str = "docker-registry",
    ) -> None:
        if basic_auth is not None and token_server is not None:
            raise ValueError("choose Basic or token auth, not both")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.storage = storage if storage is not None else workdir / "storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.basic_auth = basic_auth
        self.token_server = token_server
        self.token_realm = token_realm or (token_server.realm if token_server else None)
        self.tls: TLSFiles | None = make_tls_files(workdir / "tls") if tls is True else (tls or None)
        self.access_log = access_log
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._log: list[AccessLogEntry] = []
        self._log_start = 0
        self._synced: set[str] = set()
        self._sync_seq = 0
        self._output: deque[str] = deque(maxlen=400)
        self._cond = threading.Condition()
        self._readers: list[threading.Thread] = []
        self._stopped = False
        self._htpasswd: Path | None = None
        if basic_auth is not None:
            line = _run_tool("htpasswd", "-Bbn", basic_auth[0], basic_auth[1]).decode().strip()
            self._htpasswd = workdir / "htpasswd"
            self._htpasswd.write_text(line + "\n")
        _track(self)
        try:
            self._start(start_timeout)
        except BaseException:
            self.stop()
            raise

    # -- addresses ----------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def ca_file(self) -> Path | None:
        return self.tls.ca_file if self.tls else None

    @property
    def auth_mode(self) -> Literal["none", "basic", "token"]:
        return "basic" if self.basic_auth else "token" if self.token_server else "none"

    @property
    def credentials(self) -> tuple[str, str] | None:
        """Credentials that may push here: the htpasswd user, or the token server's first user."""
        if self.basic_auth is not None:
            return self.basic_auth
        if self.token_server is not None:
            return self.token_server.credentials
        return None

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client SSL context trusting this registry's CA (None for plain HTTP)."""
        return self.tls.ssl_context() if self.tls else None

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What to pass as httpx's `verify=`."""
        return self.ssl_context() or True

    @property
    def output(self) -> str:
        """The server's recent stdout/stderr lines (access log excluded)."""
        with self._cond:
            return "\n".join(self._output)

    # -- access log ---------------------------------------------------------------------------

    def sync(self, timeout: float = 5.0) -> None:
        """Wait until every request answered before this call is in the access log."""
        if not self.access_log:
            raise RegistryTestError("this registry was started with access_log=False")
        if self.process is None or self.process.poll() is not None or self._stopped:
            return  # stopped: the readers have drained everything it wrote
        with self._cond:
            self._sync_seq += 1
            marker = f"{os.getpid()}-{self._sync_seq}"
        self._probe(f"/v2/?{_SYNC_PARAM}={marker}", timeout)
        with self._cond:
            if not self._cond.wait_for(lambda: marker in self._synced, timeout):
                raise RegistryTestError(f"access log marker {marker} never appeared:\n{self.output}")
            self._synced.discard(marker)

    @property
    def access_log_entries(self) -> list[AccessLogEntry]:
        """Access-log entries since start or `clear_requests()`, in log order (synced first)."""
        self.sync()
        with self._cond:
            return self._log[self._log_start :]

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request the registry served (query strings dropped)."""
        return [(e.method, e.path) for e in self.access_log_entries]

    def clear_requests(self) -> None:
        self.sync()
        with self._cond:
            self._log_start = len(self._log)

    # -- lifecycle ----------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": "error", "formatter": "text", "accesslog": {"disabled": not self.access_log}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.host, "secret": _SHARED_SECRET},
        }
        if self.tls is not None:
            config["http"]["tls"] = {"certificate": str(self.tls.cert_file), "key": str(self.tls.key_file)}
        if self._htpasswd is not None:
            config["auth"] = {"htpasswd": {"realm": "basic-realm", "path": str(self._htpasswd)}}
        if self.token_server is not None:
            config["auth"] = {
                "token": {
                    "realm": self.token_realm,
                    "service": self.token_server.service,
                    "issuer": self.token_server.issuer,
                    "rootcertbundle": str(self.token_server.root_cert_file),
                }
            }
        return config

    def _start(self, timeout: float) -> None:
        for _attempt in range(5):
            self.port = free_port()
            config_path = self.workdir / f"config-{self.port}.yml"
            config_path.write_text(json.dumps(self._config(), indent=2))  # JSON is YAML
            try:
                self.process = subprocess.Popen(
                    [self.binary, "serve", str(config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which stops us
                )
            except FileNotFoundError as exc:
                raise RegistryTestError(f"{self.binary} is not installed (Debian package docker-registry)") from exc
            assert self.process.stdout is not None and self.process.stderr is not None
            self._readers = [
                threading.Thread(target=self._read_stdout, args=(self.process.stdout,), daemon=True),
                threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True),
            ]
            for reader in self._readers:
                reader.start()
            if self._wait_ready(timeout):
                return
            if "address already in use" not in self.output:
                break
            self._terminate()
        raise RegistryTestError(
            f"docker-registry did not start on {self.host} (exit code "
            f"{self.process.returncode if self.process else None}):\n{self.output}"
        )

    def _wait_ready(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                for reader in self._readers:
                    reader.join(timeout=2)
                return False
            try:
                self._probe("/v2/", 1.0)
                return True
            except OSError as exc:
                last_error = exc
                time.sleep(0.01)
        self._terminate()
        raise RegistryTestError(
            f"docker-registry on {self.host} not ready after {timeout}s ({last_error}):\n{self.output}"
        )

    def _probe(self, target: str, timeout: float) -> int:
        conn: http.client.HTTPConnection
        if self.tls is not None:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.ssl_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def _read_stdout(self, stream: io.BufferedReader) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            match = _ACCESS_LOG.match(line)
            with self._cond:
                if match is None:
                    self._output.append(line)
                    continue
                path, _, query = match["target"].partition("?")
                marker = urllib.parse.parse_qs(query).get(_SYNC_PARAM)
                if marker:
                    self._synced.add(marker[0])
                    self._cond.notify_all()
                else:
                    self._log.append(AccessLogEntry(match["method"], path, query, int(match["status"])))

    def _read_stderr(self, stream: io.BufferedReader) -> None:
        for raw in iter(stream.readline, b""):
            with self._cond:
                self._output.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        self.process = process  # keep it inspectable (returncode) after stop

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s). Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._terminate()
        _untrack(self)

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Registry({self.url}, auth={self.auth_mode}, storage={self.storage})"


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


# --------------------------------------------------------------------------------------------
# Pushing over the registry API
# --------------------------------------------------------------------------------------------


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="…",service="…"` → ("bearer", {"realm": …, "service": …}) (first challenge only)."""
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v1 if v1 or not v2 else v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', rest)}
    return scheme.lower(), params


class ChallengeAuth(httpx.Auth):
    """httpx auth for pushing: answers 401 challenges with Basic credentials or a Bearer token from the realm."""

    requires_response_body = True

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self._credentials = credentials
        self._basic = False
        self._tokens: dict[str, str] = {}

    def _basic_header(self) -> str:
        assert self._credentials is not None
        return "Basic " + base64.b64encode(":".join(self._credentials).encode()).decode()

    @staticmethod
    def _key(request: httpx.Request) -> str:
        match = re.match(r"/v2/(.+?)/(?:manifests|blobs|tags)/", request.url.path)
        return match.group(1) if match else ""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = self._key(request)
        if self._basic and self._credentials is not None:
            request.headers["Authorization"] = self._basic_header()
        elif key in self._tokens:
            request.headers["Authorization"] = f"Bearer {self._tokens[key]}"
        response = yield request
        if response.status_code != 401:
            return
        scheme, params = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic" and self._credentials is not None:
            self._basic = True
            request.headers["Authorization"] = self._basic_header()
            yield request
        elif scheme == "bearer" and "realm" in params:
            query: list[tuple[str, str | int | float | bool | None]] = [
                (k, params[k]) for k in ("service", "scope") if params.get(k)
            ]
            headers = {"Authorization": self._basic_header()} if self._credentials is not None else {}
            token_response = yield httpx.Request("GET", params["realm"], params=query, headers=headers)
            if token_response.status_code != 200:
                raise PushError(f"token server answered {token_response.status_code} for {query}")
            answer = token_response.json()
            self._tokens[key] = answer.get("token") or answer["access_token"]
            request.headers["Authorization"] = f"Bearer {self._tokens[key]}"
            yield request


class PushedImage(NamedTuple):
    """What a tag points to: the top digest, its media type, and platform → image manifest digest."""

    digest: str
    media_type: str
    platforms: dict[str, str]


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise PushError(f"{what}: expected {status}, got {response.status_code}: {response.text[:500]}")


class ImagePusher:
    """Pushes blobs and manifests with httpx: `POST uploads/` → `PUT ?digest=`, `PUT manifests/<ref>`.

    Every digest is computed locally and checked against the registry's `Docker-Content-Digest`.
    Works with Basic and token auth when given credentials (`ImagePusher.for_registry` picks them).
    """

    def __init__(
        self,
        base_url: str,
        *,
        credentials: tuple[str, str] | None = None,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.base_url, auth=ChallengeAuth(credentials), verify=verify, timeout=timeout, trust_env=False
        )

    @classmethod
    def for_registry(cls, registry: Registry, *, credentials: tuple[str, str] | None = None) -> ImagePusher:
        return cls(registry.url, credentials=credentials or registry.credentials, verify=registry.verify)

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256_digest(data)
        started = self.client.post(f"/v2/{repo}/blobs/uploads/")
        _expect(started, 202, f"start upload to {repo}")
        location = httpx.URL(self.base_url + "/").join(started.headers["Location"])
        done = self.client.put(
            location.copy_merge_params({"digest": digest}),
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _expect(done, 201, f"finish upload of {digest} to {repo}")
        if done.headers.get("Docker-Content-Digest") != digest:
            raise PushError(
                f"blob digest mismatch: sent {digest}, registry says {done.headers.get('Docker-Content-Digest')}"
            )
        return digest

    def push_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        digest = sha256_digest(body)
        response = self.client.put(
            f"/v2/{repo}/manifests/{reference}", content=body, headers={"Content-Type": media_type}
        )
        _expect(response, 201, f"push manifest {repo}:{reference}")
        answered = response.headers.get("Docker-Content-Digest")
        if answered != digest:
            raise PushError(f"manifest digest mismatch for {repo}:{reference}: sent {digest}, registry says {answered}")
        return digest

    def push(self, repo: str, manifest: Manifest, tag: str | None = None) -> str:
        """Push a manifest tree (blobs, children by digest, then the top under `tag` or its digest)."""
        for child in manifest.children:
            self.push(repo, child)
        for blob in manifest.blobs:
            self.push_blob(repo, blob.data)
        return self.push_manifest(repo, tag or manifest.digest, manifest.body, manifest.media_type)

    def push_image(self, repo: str, tag: str, kind: ImageKind = "multi-oci", *, seed: str | None = None) -> PushedImage:
        """Build and push one image of `kind` under `tag` (seed defaults to `repo:tag`)."""
        manifest = build_image(kind, seed=seed if seed is not None else f"{repo}:{tag}")
        digest = self.push(repo, manifest, tag)
        return PushedImage(digest, manifest.media_type, manifest.platforms)

    def push_many(
        self, repo: str, tags: Iterable[str], kind: ImageKind = "single-oci", *, workers: int = 8
    ) -> dict[str, PushedImage]:
        """Push one image of `kind` per tag (content seeded per tag) over `workers` threads."""
        wanted = list(tags)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            pushed = list(pool.map(lambda tag: self.push_image(repo, tag, kind), wanted))
        return dict(zip(wanted, pushed, strict=True))

    def retag(self, repo: str, tag: str, kind: ImageKind = "single-oci", *, salt: str | None = None) -> PushedImage:
        """Push new content under an existing tag (the tag "moves"; the old digest stays fetchable)."""
        return self.push_image(repo, tag, kind, seed=f"{repo}:{tag}:{salt or secrets.token_hex(8)}")

    def delete_manifest(self, repo: str, digest: str) -> None:
        response = self.client.delete(f"/v2/{repo}/manifests/{digest}")
        _expect(response, 202, f"delete {repo}@{digest}")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ImagePusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageSet(dict[str, PushedImage]):
    """tag → PushedImage for a set of tags pushed into one repository, plus the manifest trees."""

    def __init__(self, repo: str) -> None:
        super().__init__()
        self.repo = repo
        self.manifests: dict[str, Manifest] = {}

    @classmethod
    def push(
        cls,
        pusher: ImagePusher,
        repo: str = "test/app",
        tags: Iterable[str] | Mapping[str, ImageKind] = IMAGE_KINDS,
        *,
        salt: str = "",
    ) -> ImageSet:
        """Push `tags` (kind names, or a tag → kind mapping) into `repo`; `salt` changes every digest."""
        wanted: Mapping[str, str] = tags if isinstance(tags, Mapping) else {t: t for t in tags}
        images = cls(repo)
        for tag, kind in wanted.items():
            if kind not in IMAGE_KINDS:
                raise ValueError(f"unknown image kind {kind!r}; expected one of {IMAGE_KINDS}")
            manifest = build_image(kind, seed=f"{repo}:{tag}:{salt}")
            digest = pusher.push(repo, manifest, tag)
            images.manifests[tag] = manifest
            images[tag] = PushedImage(digest, manifest.media_type, manifest.platforms)
        return images

    def reference(self, tag: str, host: str) -> str:
        """`host/repo:tag` for the registry at `host`."""
        return f"{host}/{self.repo}:{tag}"


# --------------------------------------------------------------------------------------------
# FaultProxy
# --------------------------------------------------------------------------------------------

FaultAction = Literal[
    "status", "reset", "hang", "drop_digest", "wrong_digest", "headers", "truncate", "trickle", "delay"
]
_FAULT_ACTIONS: tuple[str, ...] = FaultAction.__args__  # type: ignore[attr-defined]


@dataclass
class Fault:
    """A programmed fault: applies to the next `count` requests matching `method` and `path`.

    `path` is a regex searched in the request target (path + query); `method` is exact (None:
    any); `count=None` means every matching request. Actions:

    - "status": answer `status` without contacting the registry (`headers`, `body`, `retry_after`);
    - "reset": close the client connection with a TCP RST as soon as the request is read;
    - "hang": never answer (until the client gives up or the proxy stops);
    - "drop_digest" / "wrong_digest": remove / replace (`digest`) `Docker-Content-Digest`;
    - "headers": set `headers` and remove `remove_headers` on the registry's response;
    - "truncate": send the response head, then `truncate_at` body bytes (default half), then close;
    - "trickle": send the body `trickle_bytes` at a time every `trickle_interval` seconds;
    - "delay": wait `delay` seconds more before answering.
    """

    action: FaultAction
    method: str | None = None
    path: str | None = None
    count: int | None = 1
    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    remove_headers: tuple[str, ...] = ()
    body: bytes | None = None
    retry_after: int | str | None = None
    digest: str = WRONG_DIGEST
    truncate_at: int | None = None
    trickle_bytes: int = 1
    trickle_interval: float = 0.05
    delay: float = 0.0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.action not in _FAULT_ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; expected one of {_FAULT_ACTIONS}")
        self._pattern = re.compile(self.path) if self.path is not None else None

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def matches(self, method: str, target: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self._pattern is None or self._pattern.search(target) is not None


_Headers = list[tuple[str, str]]


def _header(headers: _Headers, name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def _without(headers: _Headers, *names: str) -> _Headers:
    lowered = {n.lower() for n in names}
    return [(k, v) for k, v in headers if k.lower() not in lowered]


def _parse_head(head: bytes) -> tuple[str, _Headers]:
    lines = head.decode("latin-1").split("\r\n")
    headers: _Headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"malformed header line {line!r}")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


def _render_head(start_line: str, headers: _Headers) -> bytes:
    return (start_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise ConnectionError("connection closed inside a message head") from exc
        return None


async def _chunked_pieces(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The raw bytes of a chunked body (framing included), piece by piece, up to the final CRLF."""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        yield size_line
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:
                trailer = await reader.readuntil(b"\r\n")
                yield trailer
                if trailer == b"\r\n":
                    return
        remaining = size + 2  # data + CRLF
        while remaining:
            piece = await reader.readexactly(min(remaining, 65536))
            remaining -= len(piece)
            yield piece


async def _body_pieces(reader: asyncio.StreamReader, framing: str, length: int) -> AsyncIterator[bytes]:
    if framing == "chunked":
        async for piece in _chunked_pieces(reader):
            yield piece
    elif framing == "length":
        remaining = length
        while remaining:
            piece = await reader.read(min(remaining, 65536))
            if not piece:
                raise ConnectionError("upstream closed inside a body")
            remaining -= len(piece)
            yield piece
    elif framing == "eof":
        while piece := await reader.read(65536):
            yield piece


def _framing(headers: _Headers) -> tuple[str, int]:
    if "chunked" in (_header(headers, "Transfer-Encoding") or "").lower():
        return "chunked", 0
    length = _header(headers, "Content-Length")
    if length is not None:
        return "length", int(length)
    return "eof", 0


def _wants_close(version_line: str, headers: _Headers, *, request: bool) -> bool:
    connection = (_header(headers, "Connection") or "").lower()
    version = version_line.split()[-1] if request else version_line.split()[0]
    if "close" in connection:
        return True
    return version == "HTTP/1.0" and "keep-alive" not in connection


def _error_body(status: int) -> bytes:
    code = {401: "UNAUTHORIZED", 403: "DENIED", 404: "MANIFEST_UNKNOWN", 429: "TOOMANYREQUESTS"}.get(status, "UNKNOWN")
    try:
        message = HTTPStatus(status).phrase.lower()
    except ValueError:
        message = "injected failure"
    return json.dumps({"errors": [{"code": code, "message": message, "detail": "injected by FaultProxy"}]}).encode()


class FaultProxy(_RequestCounting):
    """An asyncio HTTP/1.1 reverse proxy in a background thread, in front of a registry (or any host:port).

    Adds `request_latency_ms` before forwarding each request and `response_latency_ms` before
    answering it (both mutable), injects `Fault`s, and records `(method, path)` of every request
    received. One upstream connection per client connection (keep-alive on both sides).
    Plain HTTP on both sides; the Host header is passed through, so Location headers and
    challenges the registry builds point back at the proxy.
    """

    def __init__(
        self,
        upstream: Registry | TokenServer | str,
        *,
        latency_ms: float = 0.0,
        request_latency_ms: float | None = None,
        response_latency_ms: float | None = None,
        on_request: Callable[[str, str], None] | None = None,
    ) -> None:
        upstream_host = upstream if isinstance(upstream, str) else upstream.host
        if isinstance(upstream, Registry) and upstream.tls is not None:
            raise ValueError("FaultProxy speaks plain HTTP to its upstream; put it in front of a plain registry")
        host, _, port = upstream_host.rpartition(":")
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
            raise ValueError(f"FaultProxy only forwards to loopback, not {upstream_host}")
        self.upstream = (host.strip("[]"), int(port))
        self.request_latency_ms = latency_ms if request_latency_ms is None else request_latency_ms
        self.response_latency_ms = latency_ms if response_latency_ms is None else response_latency_ms
        self.on_request = on_request  # called in the proxy's thread with (method, path)
        self.connections = 0  # client connections accepted
        self.upstream_connections = 0  # connections opened to the upstream
        self._faults: list[Fault] = []
        self._requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._stopped = False
        self._thread.start()
        self._ready.wait(10)
        if self._startup_error is not None or self._server is None:
            self.stop()
            raise RegistryTestError(f"FaultProxy did not start: {self._startup_error}")
        self.port: int = self._server.sockets[0].getsockname()[1]
        self.host: str = f"127.0.0.1:{self.port}"
        self.url: str = f"http://{self.host}"
        _track(self)

    # -- public API ---------------------------------------------------------------------------

    def inject(
        self,
        action: FaultAction,
        *,
        method: str | None = None,
        path: str | None = None,
        count: int | None = 1,
        **options: Any,
    ) -> Fault:
        """Program a fault (see `Fault`); returns it so a test can read `.hits`. First match wins."""
        fault = Fault(action, method=method, path=path, count=count, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_latency(
        self, ms: float | None = None, *, request_ms: float | None = None, response_ms: float | None = None
    ) -> None:
        if ms is not None:
            self.request_latency_ms = self.response_latency_ms = ms
        if request_ms is not None:
            self.request_latency_ms = request_ms
        if response_ms is not None:
            self.response_latency_ms = response_ms

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path without query) of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def stop(self) -> None:
        """Close the listener and every connection, stop the loop thread. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        _untrack(self)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- loop ---------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve_client, "127.0.0.1", 0, backlog=1024, limit=1 << 20)
            )
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _take_fault(self, method: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, target):
                    fault.hits += 1
                    return fault
        return None

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                keep_going, upstream = await self._exchange(reader, writer, upstream)
                if not keep_going:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, OSError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            for w in (writer, upstream[1] if upstream else None):
                if w is not None:
                    w.close()
            self._tasks.discard(task)

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
    ) -> tuple[bool, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
        """Relay one request/response. Returns (keep the client connection, upstream connection)."""
        head = await _read_head(reader)
        if head is None:
            return False, upstream
        request_line, headers = _parse_head(head)
        method, target, _version = request_line.split(" ", 2)
        path = urllib.parse.urlsplit(target).path
        with self._lock:
            self._requests.append((method, path))
        if self.on_request is not None:
            self.on_request(method, path)
        fault = self._take_fault(method, target)

        if (_header(headers, "Expect") or "").lower() == "100-continue":
            headers = _without(headers, "Expect")
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        framing, length = _framing(headers)
        if framing == "chunked":
            body = b"".join([piece async for piece in _chunked_pieces(reader)])
        else:
            body = await reader.readexactly(length) if framing == "length" else b""
        client_close = _wants_close(request_line, headers, request=True)

        if self.request_latency_ms > 0:
            await asyncio.sleep(self.request_latency_ms / 1000)
        if fault is not None and fault.action == "reset":
            self._reset(writer)
            return False, upstream
        if fault is not None and fault.action == "hang":
            while await reader.read(65536):
                pass
            return False, upstream
        if fault is not None and fault.action == "delay":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.action == "status":
            await self._respond_latency()
            writer.write(self._synthesized(fault, method))
            await writer.drain()
            return not client_close, upstream

        request_bytes = _render_head(request_line, headers) + body
        response_head: bytes | None = None
        for attempt in range(2):
            fresh = upstream is None
            if upstream is None:
                try:
                    upstream = await asyncio.open_connection(*self.upstream, limit=1 << 20)
                except OSError:
                    await self._respond_latency()
                    writer.write(self._synthesized(Fault("status", status=502), method))
                    await writer.drain()
                    return False, None
                self.upstream_connections += 1
            up_reader, up_writer = upstream
            try:
                up_writer.write(request_bytes)
                await up_writer.drain()
                response_head = await _read_head(up_reader)
                while response_head is not None and response_head[9:10] == b"1":  # interim 1xx
                    response_head = await _read_head(up_reader)
                if response_head is None:
                    raise ConnectionError("upstream closed before answering")
                break
            except (ConnectionError, OSError):
                up_writer.close()
                upstream = None
                if fresh or attempt == 1:
                    raise
        assert response_head is not None and upstream is not None
        status_line, response_headers = _parse_head(response_head)
        status = int(status_line.split()[1])
        if method == "HEAD" or status in (204, 304):
            response_framing, response_length = "none", 0
        else:
            response_framing, response_length = _framing(response_headers)
        upstream_close = response_framing == "eof" or _wants_close(status_line, response_headers, request=False)
        response_headers = self._rewrite_headers(fault, response_headers)

        await self._respond_latency()
        writer.write(_render_head(status_line, response_headers))
        limit: int | None = None
        if fault is not None and fault.action == "truncate":
            limit = fault.truncate_at if fault.truncate_at is not None else response_length // 2
        sent = 0
        async for piece in _body_pieces(up_reader, response_framing, response_length):
            if limit is not None:
                piece = piece[: max(0, limit - sent)]
            if fault is not None and fault.action == "trickle":
                step = max(1, fault.trickle_bytes)
                for start in range(0, len(piece), step):
                    writer.write(piece[start : start + step])
                    await writer.drain()
                    await asyncio.sleep(fault.trickle_interval)
            else:
                writer.write(piece)
                if writer.transport.get_write_buffer_size() > 1 << 16:
                    await writer.drain()
            sent += len(piece)
            if limit is not None and sent >= limit:
                break
        await writer.drain()
        if limit is not None:  # truncated: the rest of the body is still upstream; drop both sides
            up_writer.close()
            return False, None
        if upstream_close:
            up_writer.close()
            upstream = None
        return not (client_close or response_framing == "eof"), upstream

    async def _respond_latency(self) -> None:
        if self.response_latency_ms > 0:
            await asyncio.sleep(self.response_latency_ms / 1000)

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    @staticmethod
    def _rewrite_headers(fault: Fault | None, headers: _Headers) -> _Headers:
        if fault is None:
            return headers
        if fault.action == "drop_digest":
            return _without(headers, "Docker-Content-Digest")
        if fault.action == "wrong_digest":
            return [*_without(headers, "Docker-Content-Digest"), ("Docker-Content-Digest", fault.digest)]
        if fault.action == "headers":
            headers = _without(headers, *fault.remove_headers, *fault.headers)
            return headers + list(fault.headers.items())
        return headers

    @staticmethod
    def _synthesized(fault: Fault, method: str) -> bytes:
        body = fault.body if fault.body is not None else _error_body(fault.status)
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Injected"
        headers: _Headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Docker-Distribution-Api-Version", "registry/2.0"),
            ("Content-Length", str(len(body))),
        ]
        if fault.retry_after is not None:
            headers.append(("Retry-After", str(fault.retry_after)))
        headers = _without(headers, *fault.headers) + list(fault.headers.items())
        return _render_head(f"HTTP/1.1 {fault.status} {phrase}", headers) + (b"" if method == "HEAD" else body)


class FaultProxyProcess(_RequestCounting):
    """A latency-only `FaultProxy` in a child Python process, for benchmarks.

    The proxy then shares no GIL with the code being measured. Same `.url`, `.host`, `.port`,
    `.requests`, `.count()`, `.stop()`; faults are not available (use `FaultProxy` for those).
    The child exits when its stdin closes, so it cannot outlive this process even on SIGKILL.
    """

    def __init__(
        self,
        upstream: Registry | TokenServer | str,
        *,
        latency_ms: float = 0.0,
        request_latency_ms: float | None = None,
        response_latency_ms: float | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        upstream_host = upstream if isinstance(upstream, str) else upstream.host
        request_ms = latency_ms if request_latency_ms is None else request_latency_ms
        response_ms = latency_ms if response_latency_ms is None else response_latency_ms
        self._requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._errors: deque[str] = deque(maxlen=100)
        self._port_ready = threading.Event()
        self.port = 0
        argv = [sys.executable, str(Path(__file__).resolve()), "fault-proxy", upstream_host, str(request_ms)]
        self.process = subprocess.Popen(
            [*argv, str(response_ms)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._stopped = False
        _track(self)
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self.process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if not self._port_ready.wait(start_timeout) or not self.port:
            self.stop()
            raise RegistryTestError("fault proxy process did not start:\n" + "\n".join(self._errors))
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"

    def _read_stdout(self, stream: io.BufferedReader) -> None:
        for raw in iter(stream.readline, b""):
            kind, _, rest = raw.decode("utf-8", "replace").rstrip("\n").partition(" ")
            if kind == "LISTENING":
                self.port = int(rest)
                self._port_ready.set()
            elif kind == "REQ":
                method, _, path = rest.partition(" ")
                with self._lock:
                    self._requests.append((method, path))
        self._port_ready.set()

    def _read_stderr(self, stream: io.BufferedReader) -> None:
        for raw in iter(stream.readline, b""):
            self._errors.append(raw.decode("utf-8", "replace").rstrip("\n"))

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) received so far; lines arrive asynchronously, so allow a moment after a request."""
        with self._lock:
            return list(self._requests)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the child's signal to stop
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        _untrack(self)

    def __enter__(self) -> FaultProxyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _fault_proxy_main(upstream: str, request_ms: str, response_ms: str) -> int:
    """Child side of `FaultProxyProcess`: announce the port, report requests, stop at stdin EOF."""
    out = sys.stdout
    lock = threading.Lock()

    def report(method: str, path: str) -> None:
        with lock:
            out.write(f"REQ {method} {path}\n")
            out.flush()

    proxy = FaultProxy(
        upstream, request_latency_ms=float(request_ms), response_latency_ms=float(response_ms), on_request=report
    )
    with lock:
        out.write(f"LISTENING {proxy.port}\n")
        out.flush()
    try:
        sys.stdin.buffer.read()
    finally:
        proxy.stop()
    return 0


# --------------------------------------------------------------------------------------------
# RegistryStack: lazily started servers for pytest session fixtures
# --------------------------------------------------------------------------------------------


def require_tools(*names: str) -> None:
    """pytest.skip when a tool is missing — but fail under CI, where .ci/run must install it."""
    import pytest

    missing = missing_tools(*names)
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (Debian: apt-get install docker-registry apache2-utils openssl)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI installs these in .ci/run, so this is a real failure", pytrace=False)
    pytest.skip(message)


class RegistryStack:
    """The session's servers, started on first use, all on one storage root.

    `plain`, `basic`, `tls` and `token` registries serve the same images; `token_server` issues
    tokens for `token` (anonymous pull on `test/*`, everything for its user). `images()` pushes
    the `ImageSet` once into `test/app` through the plain registry.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.storage = workdir / "storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        self._servers: dict[str, Any] = {}
        self._lock = threading.RLock()

    def _get(self, name: str, tools: tuple[str, ...], start: Any) -> Any:
        with self._lock:
            if name not in self._servers:
                require_tools(*tools)
                self._servers[name] = start()
            return self._servers[name]

    @property
    def plain(self) -> Registry:
        result: Registry = self._get(
            "plain", ("docker-registry",), lambda: Registry(self.workdir / "plain", storage=self.storage)
        )
        return result

    @property
    def basic(self) -> Registry:
        credentials = ("pinlint", "pw-" + secrets.token_hex(6))
        result: Registry = self._get(
            "basic",
            ("docker-registry", "htpasswd"),
            lambda: Registry(self.workdir / "basic", storage=self.storage, basic_auth=credentials),
        )
        return result

    @property
    def tls(self) -> Registry:
        result: Registry = self._get(
            "tls",
            ("docker-registry", "openssl"),
            lambda: Registry(self.workdir / "tls", storage=self.storage, tls=True),
        )
        return result

    @property
    def token_server(self) -> TokenServer:
        result: TokenServer = self._get(
            "token_server", ("openssl",), lambda: TokenServer(self.workdir / "token-server", public=("test/*",))
        )
        return result

    @property
    def token(self) -> Registry:
        token_server = self.token_server
        result: Registry = self._get(
            "token",
            ("docker-registry", "openssl"),
            lambda: Registry(self.workdir / "token", storage=self.storage, token_server=token_server),
        )
        return result

    def images(self, repo: str = "test/app") -> ImageSet:
        key = f"images:{repo}"
        with self._lock:
            if key not in self._servers:
                with ImagePusher.for_registry(self.plain) as pusher:
                    self._servers[key] = ImageSet.push(pusher, repo)
            result: ImageSet = self._servers[key]
            return result

    def stop(self) -> None:
        with self._lock:
            servers = [s for s in self._servers.values() if hasattr(s, "stop")]
            self._servers.clear()
        for server in reversed(servers):
            server.stop()


def _iter_platform_children(index: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(platform, digest) for each entry of an index document, attestations as "unknown/unknown"."""
    for entry in index.get("manifests", []):
        platform = entry.get("platform", {})
        parts = [platform.get("os", ""), platform.get("architecture", "")]
        if platform.get("variant"):
            parts.append(platform["variant"])
        yield "/".join(parts), entry["digest"]


def index_platforms(body: bytes) -> dict[str, str]:
    """platform → digest of an index/manifest list body, attestation entries left out."""
    document = json.loads(body)
    attestations = {
        e["digest"]
        for e in document.get("manifests", [])
        if e.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest"
    }
    return {p: d for p, d in _iter_platform_children(document) if d not in attestations}


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


if __name__ == "__main__":  # used by FaultProxyProcess
    if len(sys.argv) == 5 and sys.argv[1] == "fault-proxy":
        raise SystemExit(_fault_proxy_main(*sys.argv[2:]))
    raise SystemExit("usage: registry.py fault-proxy HOST:PORT REQUEST_MS RESPONSE_MS")
