"""`TokenServer`: a Docker-Hub-style token server (GET with Basic, OAuth2 POST) issuing ES256 JWTs."""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from .common import _track, _untrack
from .tls import ES256Signer

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
