"""The registry HTTP client: tag → digest over the distribution API, authenticated like `docker pull`.

HEAD `/v2/<name>/manifests/<tag>` with every manifest media type in Accept; the
`Docker-Content-Digest` header is used when it is a valid digest, otherwise the manifest is
fetched with GET and the exact body bytes are hashed (and compared with the header when there
is one). 405 → GET; 404 → GET once to read the registry's explanation; schema 1 → unsupported.
401 → the `WWW-Authenticate` challenges: Bearer (token from the realm: anonymous, Basic
credentials, or the OAuth2 refresh-token grant for identity tokens) or Basic. Connection
errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter, honouring
`Retry-After`. Per registry host: one request first to learn the auth scheme, then bounded
concurrency over keep-alive connections. Nothing secret is logged or put in an error.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import json
import os
import random
import re
import ssl
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from pinlint import __version__
from pinlint.config import Config, RegistryHost
from pinlint.errors import ConfigError
from pinlint.platforms import platform_key
from pinlint.reference import ImageRef
from pinlint.registry import credentials as creds
from pinlint.registry.auth import Challenge, RealmError, TokenCache, is_loopback_host, parse_challenges, validate_realm
from pinlint.registry.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    Log,
    Manifest,
    ResolveError,
)

SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    }
)
ACCEPT = ", ".join(MANIFEST_TYPES)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_RETRY_AFTER = 60.0
DOCKER_HUB_API = "registry-1.docker.io"
_DIGEST = re.compile(r"(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})", re.ASCII)
_RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source")
_RETRY_STATUSES = frozenset({408, 429})
MAX_TOKEN_SCOPES = 25  # scopes in one token request (they all go in the query string)

_T = TypeVar("_T")


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class _HostState:
    """What the client knows about one API host (a registry, or the mirror standing in for it)."""

    host: str
    scheme: str
    verify: ssl.SSLContext | bool
    allow_credentials: bool
    insecure: bool
    semaphore: asyncio.Semaphore
    credentials_host: str  # whose credentials may be sent here: the registry, or its mirror
    learned: asyncio.Event = field(default_factory=asyncio.Event)
    probing: bool = False
    challenge: Challenge | None = None
    lookups: dict[str, creds.Lookup] = field(default_factory=dict)  # by repository
    token_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    planned_scopes: list[str] = field(default_factory=list)


def _basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delay-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def _error_detail(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = str(errors[0].get("code", "")).lower().replace("_", " ")
        message = str(errors[0].get("message", ""))
        return f"{code}: {message}" if code and message and code not in message.lower() else message or code
    return ""


def _rate_reason(response: httpx.Response) -> str:
    """`429 rate limited (ratelimit-limit: …)` / `503 server error`: why a response is worth retrying."""
    status = response.status_code
    rate = ", ".join(f"{h}: {response.headers[h]}" for h in _RATE_HEADERS if h in response.headers)
    reason = {429: "rate limited", 408: "request timeout"}.get(status, "server error")
    return f"{status} {reason}{f' ({rate})' if rate else ''}"


def _tls_failure(exc: BaseException) -> str | None:
    """The reason when a connection failed on TLS (not worth retrying), else None."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"TLS certificate verification failed ({seen.verify_message or 'untrusted certificate'})"
        if isinstance(seen, ssl.SSLError):
            return f"TLS handshake failed ({seen.reason or seen.__class__.__name__})"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS certificate verification failed"
    return None


def _shown_url(url: httpx.URL) -> str:
    """A URL for messages and logs: no query, no user information."""
    return str(url.copy_with(query=None, userinfo=b""))


def index_platforms(body: bytes) -> dict[str, str]:
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


class RegistryClient:
    def __init__(
        self,
        config: Config,
        *,
        env: Mapping[str, str] | None = None,
        log: Log | None = None,
    ) -> None:
        self.config = config
        self.env = env
        self.log: Log = log or (lambda level, message: None)
        self.tokens = TokenCache()
        self.hosts: dict[str, _HostState] = {}
        self.requests = 0
        self._clients: dict[tuple[int, int], httpx.AsyncClient] = {}
        self._shards = max(1, -(-config.registry.concurrency // 8))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._helper_answers: creds.HelperCache = {}
        self._said: set[str] = set()
        self._plain_http: set[str] = set()  # hosts pinlint chose to reach over http (or validated realms)
        timeout = config.registry.timeout
        # no pool timeout: concurrency is bounded per host by semaphores, not by the pool
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0), pool=None)

    # -- plumbing ------------------------------------------------------------------------

    def _host_config(self, host: str) -> RegistryHost:
        return self.config.registries.get(host.lower()) or RegistryHost()

    def _api_host(self, ref: ImageRef) -> str:
        host = ref.registry_host
        mirror = self._host_config(host).mirror
        if mirror:
            return mirror.split("://", 1)[-1].rstrip("/").lower()
        return DOCKER_HUB_API if host == "docker.io" else host

    def _say_once(self, level: int, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.log(level, message)

    def _context(self, ca_file: str | None, host: str) -> ssl.SSLContext:
        """The system trust store, plus `ca_file` (relative to the project root) when configured."""
        path = os.path.join(self.config.root, os.path.expanduser(ca_file)) if ca_file else ""
        context = self._contexts.get(path)
        if context is None:
            context = ssl.create_default_context()
            if path:
                try:
                    context.load_verify_locations(cafile=path)
                except (OSError, ssl.SSLError) as exc:
                    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a PEM certificate file"
                    where = self.config.path or "configuration"
                    raise ConfigError(f'{where}: registries."{host}".ca-file: cannot load {path}: {reason}') from None
            self._contexts[path] = context
        return context

    def _state(self, api_host: str, registry: str) -> _HostState:
        state = self.hosts.get(api_host)
        if state is not None:
            return state
        mirrored = bool(self._host_config(registry).mirror)
        own = self.config.registries.get(api_host) if api_host != registry else None
        settings = own or self._host_config(registry)
        verify: ssl.SSLContext | bool = True
        if settings.ca_file:
            verify = self._context(settings.ca_file, api_host if own else registry)
            scheme = "https"
        elif settings.insecure or is_loopback_host(api_host):
            scheme = "http"
            verify = self._context(None, api_host)  # for an https token realm; shared, loaded once
        else:
            verify = self._context(None, api_host)
            scheme = "https"
        state = _HostState(
            host=api_host,
            scheme=scheme,
            verify=verify,
            allow_credentials=scheme == "https" or settings.insecure,
            insecure=settings.insecure,
            semaphore=asyncio.Semaphore(self.config.registry.concurrency),
            # never send a registry's credentials to a mirror standing in for it
            credentials_host=api_host if mirrored else registry,
        )
        self.hosts[api_host] = state
        if scheme == "http":
            self._plain_http.add(api_host)
        return state

    def _client(self, verify: ssl.SSLContext | bool, shard: int = 0) -> httpx.AsyncClient:
        """A keep-alive client per TLS setting and shard. Requests are spread over shards of about
        eight connections each: httpcore's pool does work proportional to its connections on every
        request, so one big pool costs more CPU than the network saves."""
        key = (id(verify) if not isinstance(verify, bool) else int(verify), shard)
        client = self._clients.get(key)
        if client is None:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
            client = httpx.AsyncClient(
                verify=verify,
                timeout=self._timeout,
                limits=limits,
                follow_redirects=True,
                max_redirects=5,
                event_hooks={"request": [self._check_plain_http]},
            )
            self._clients[key] = client
        return client

    async def _check_plain_http(self, request: httpx.Request) -> None:
        """Every request, redirects included: plain http only where pinlint chose it (loopback,
        `insecure` registries, their validated realms), never by following a redirect."""
        if request.url.scheme != "http":
            return
        host = request.url.netloc.decode("ascii", "replace").rpartition("@")[2].lower()
        if host in self._plain_http or is_loopback_host(host) or self._host_config(host).insecure:
            return
        raise ResolveError(f"refusing to follow a redirect to plain http at {host}")

    def plan(self, refs: list[ImageRef]) -> None:
        """Note every repository of the run, so one token request can cover several scopes."""
        for ref in refs:
            state = self._state(self._api_host(ref), ref.registry_host)
            scope = f"repository:{ref.path}:pull"
            if scope not in state.planned_scopes:
                state.planned_scopes.append(scope)

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def secrets(self) -> list[str]:
        """Every secret this client holds, for redaction and for checks in tests."""
        found = self.tokens.secrets()
        for state in self.hosts.values():
            for lookup in state.lookups.values():
                credential = lookup.credential
                if credential and credential.secret:
                    found.append(credential.secret)
                    found.append(_basic(credential.username, credential.secret).split(" ", 1)[1])
        return found

    async def _exchange(self, client: httpx.AsyncClient, request: httpx.Request, follow: bool) -> httpx.Response:
        response = await client.send(request, stream=True, follow_redirects=follow)
        try:
            declared = response.headers.get("content-length", "")
            too_big = f"response larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB; refused"
            if request.method != "HEAD" and declared.isdigit() and int(declared) > MAX_MANIFEST_BYTES:
                raise ResolveError(too_big)
            # read to the end even for HEAD (an empty body): a stream closed unread also closes
            # its connection, and every request would then pay for a new one
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_MANIFEST_BYTES:
                    raise ResolveError(too_big)
            response._content = bytes(body)
        finally:
            await response.aclose()
        return response

    async def _send(self, state: _HostState, request: httpx.Request, *, follow: bool = True) -> httpx.Response:
        """One request with a deadline for the whole exchange (a trickling body cannot outlast it)."""
        self.requests += 1
        client = self._client(state.verify, self.requests % self._shards)
        started = time.monotonic()
        try:
            response = await _deadline(self._exchange(client, request, follow), self.config.registry.timeout)
        except asyncio.TimeoutError:
            self.log(2, f"{request.method} {_shown_url(request.url)} -> timed out")
            raise _Retryable("timed out") from None
        elapsed = (time.monotonic() - started) * 1000
        via = f" (redirected to {_shown_url(response.url)})" if response.history else ""
        self.log(2, f"{request.method} {_shown_url(request.url)}{via} -> {response.status_code} ({elapsed:.0f} ms)")
        return response

    # -- auth ----------------------------------------------------------------------------

    def _lookup(self, state: _HostState, repository: str) -> creds.Lookup:
        found = state.lookups.get(repository)
        if found is None:
            host = state.credentials_host
            found = creds.lookup(host, repository, self.env, helper_cache=self._helper_answers)
            state.lookups[repository] = found
            for warning in found.warnings:
                self._say_once(0, f"warning: {warning}")
            credential = found.credential
            if credential is not None:
                self._say_once(1, f"credentials for {host}: {credential.kind} from {credential.source}")
        return found

    def _credentials(self, state: _HostState, repository: str) -> creds.Credential | None:
        """The credential to use here, or None (none found, or this host must not get it)."""
        credential = self._lookup(state, repository).credential
        return credential if state.allow_credentials else None

    def _denied(self, state: _HostState, repository: str, status: int, sent: creds.Credential | None) -> ResolveError:
        host = state.credentials_host
        word = "denied" if status == 403 else "unauthorized"
        if sent is not None:
            why = f"credentials from {sent.source} were not accepted"
        elif self._lookup(state, repository).credential is not None:
            why = (
                f"credentials for {host} were found but are only sent over https "
                f"(configure the registry `insecure = true` to allow plain http)"
            )
        else:
            why = f"no credentials found for {host}"
        return ResolveError(f"{status} {word} — {why}")

    @staticmethod
    def _identity(credential: creds.Credential | None) -> str:
        """Who a token was issued to (in memory only): kind, user and a fingerprint of the secret."""
        if credential is None:
            return "anonymous"
        fingerprint = hashlib.sha256(credential.secret.encode()).hexdigest()[:16]
        return f"{credential.kind}:{credential.username}:{fingerprint}"

    async def _authorization(self, state: _HostState, repository: str, *, stale: str | None = None) -> str | None:
        """The Authorization header for a request to `repository` (None: send none).
        `stale` is a header the registry just refused: never answer it again."""
        challenge = state.challenge
        if challenge is None:
            return None
        credential = self._credentials(state, repository)
        if challenge.scheme == "basic":
            if credential is None or credential.kind != "basic":
                return None
            return _basic(credential.username, credential.secret)
        if credential is not None and credential.kind == "registry-token":
            return f"Bearer {credential.secret}"
        scope = f"repository:{repository}:pull"
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        identity = self._identity(credential)

        def cached(each: str) -> str | None:
            return self.tokens.get(self.tokens.key(realm, service, [each], identity))

        token = cached(scope)
        if token is None or f"Bearer {token}" == stale:
            async with state.token_lock:  # one token request at a time per host: no stampede
                token = cached(scope)  # another task may have fetched it meanwhile
                if token is None or f"Bearer {token}" == stale:
                    others = [s for s in state.planned_scopes if s != scope and cached(s) is None]
                    scopes = [scope, *others[: MAX_TOKEN_SCOPES - 1]]
                    token, expires_in = await self._fetch_token(state, repository, challenge, scopes, credential)
                    for each in scopes:
                        self.tokens.put(self.tokens.key(realm, service, [each], identity), token, expires_in)
        return f"Bearer {token}"

    async def _fetch_token(
        self,
        state: _HostState,
        repository: str,
        challenge: Challenge,
        scopes: list[str],
        credential: creds.Credential | None,
    ) -> tuple[str, float]:
        try:
            realm = validate_realm(challenge.params.get("realm", ""), state.host, state.insecure)
        except RealmError as exc:
            raise ResolveError(str(exc)) from None
        service = challenge.params.get("service")
        send_secret = credential is not None and (realm.startswith("https://") or state.insecure)
        try:
            if realm.startswith("http://"):  # validated: loopback, or the registry is `insecure`
                self._plain_http.add(httpx.URL(realm).netloc.decode("ascii", "replace").rpartition("@")[2].lower())
            if send_secret and credential is not None and credential.kind == "identity":
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": credential.secret,
                    "client_id": "pinlint",
                    "scope": " ".join(scopes),
                }
                if service:
                    form["service"] = service
                request = httpx.Request("POST", realm, data=form)
            else:
                params: list[tuple[str, str | int | float | bool | None]] = []
                if service:
                    params.append(("service", service))
                params += [("scope", s) for s in scopes]
                headers = {}
                if send_secret and credential is not None:
                    if credential.username:
                        params.append(("account", credential.username))
                    headers["Authorization"] = _basic(credential.username, credential.secret)
                request = httpx.Request("GET", realm, params=params, headers=headers)
        except httpx.InvalidURL:
            raise ResolveError("the token realm the registry named is not a valid URL") from None
        self.log(1, f"token request to {_shown_url(request.url)} for {len(scopes)} scope(s)")
        # redirects are not followed: they could carry the credentials (a POST body survives a
        # 307) to a host that was never checked
        response = await self._send(state, request, follow=False)
        status = response.status_code
        if status in (401, 403):
            raise self._denied(state, repository, status, credential if send_secret else None)
        if status >= 500 or status in _RETRY_STATUSES:
            wait = _retry_after(response.headers.get("retry-after"))
            raise _Retryable(f"token server: {_rate_reason(response)}", wait)
        if 300 <= status < 400:
            raise ResolveError(f"token server answered {status} (a redirect), which pinlint does not follow")
        if status != 200:
            raise ResolveError(f"token server answered {status}")
        try:
            data = json.loads(response.content or b"{}")
        except ValueError:
            raise ResolveError("token server answered with something that is not JSON") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ResolveError("token server answered without a token")
        expires = data.get("expires_in", 60)
        valid = isinstance(expires, (int, float)) and not isinstance(expires, bool)
        return token, float(expires) if valid else 60.0

    async def _base_challenges(self, state: _HostState) -> list[Challenge]:
        """The challenges of `GET /v2/`, for registries whose 401s carry none (old gcr.io)."""
        response = await self._send(state, httpx.Request("GET", f"{state.scheme}://{state.host}/v2/"))
        return parse_challenges(response.headers.get_list("www-authenticate")) if response.status_code == 401 else []

    # -- manifests -------------------------------------------------------------------------

    async def _request(self, state: _HostState, ref: ImageRef, method: str, target: str) -> httpx.Response:
        repository = ref.path
        url = f"{state.scheme}://{state.host}/v2/{repository}/manifests/{target}"
        if self._host_config(ref.registry_host).mirror:
            url += f"?ns={ref.registry_host}"
        headers = {"Accept": ACCEPT, "Accept-Encoding": "identity", "User-Agent": f"pinlint/{__version__}"}
        authorization = await self._authorization(state, repository)
        if authorization:
            headers["Authorization"] = authorization
        response = await self._send(state, httpx.Request(method, url, headers=headers))
        if response.status_code != 401:
            return response
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        if not challenges:
            challenges = await self._base_challenges(state)
        chosen = next((c for c in challenges if c.scheme == "bearer" and c.params.get("realm")), None)
        chosen = chosen or next((c for c in challenges if c.scheme == "basic"), None)
        if chosen is None:
            raise ResolveError(f"401 unauthorized — {state.host} sent no usable challenge")
        state.challenge = chosen
        retry = await self._authorization(state, repository, stale=authorization)
        if retry is None or retry == authorization:
            raise self._denied(state, repository, 401, self._credentials(state, repository) if authorization else None)
        headers["Authorization"] = retry
        response = await self._send(state, httpx.Request(method, url, headers=headers))
        if response.status_code == 401:
            raise self._denied(state, repository, 401, self._credentials(state, repository))
        return response

    async def _attempt(self, ref: ImageRef, target: str, want_platforms: bool) -> Manifest:
        state = self._state(self._api_host(ref), ref.registry_host)
        try:
            response = await self._request(state, ref, "HEAD", target)
            status = response.status_code
            if status in _RETRY_STATUSES or status >= 500:
                raise _Retryable(_rate_reason(response), _retry_after(response.headers.get("retry-after")))
            if status == 200:
                header = response.headers.get("docker-content-digest", "").strip()
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if media_type in SCHEMA1_TYPES:
                    raise ResolveError("the registry only serves a schema 1 manifest, which is not supported")
                length = response.headers.get("content-length")
                if (
                    _DIGEST.fullmatch(header)
                    and (ref.digest is None or header == ref.digest)
                    and media_type in MANIFEST_TYPES
                    and length
                    and not (want_platforms and media_type in INDEX_TYPES)
                ):
                    return Manifest(header, media_type, int(length) if length.isdigit() else None)
            elif status not in (400, 403, 404, 405):
                raise ResolveError(f"registry answered {status}")
            response = await self._request(state, ref, "GET", target)
            return self._from_body(ref, response, want_platforms)
        except httpx.TimeoutException:
            raise _Retryable("timed out") from None
        except httpx.TransportError as exc:
            tls = _tls_failure(exc)
            if tls is not None:
                raise ResolveError(f"{tls} for {state.host}") from None
            detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
            raise _Retryable(f"connection failed ({exc.__class__.__name__}{': ' + detail if detail else ''})") from None
        except httpx.TooManyRedirects:
            raise ResolveError("too many redirects") from None
        except httpx.HTTPError as exc:
            raise ResolveError(f"the registry's answer could not be read ({exc.__class__.__name__})") from None

    def _from_body(self, ref: ImageRef, response: httpx.Response, want_platforms: bool) -> Manifest:
        status = response.status_code
        body = response.content
        if status in _RETRY_STATUSES or status >= 500:
            raise _Retryable(_rate_reason(response), _retry_after(response.headers.get("retry-after")))
        if status == 404:
            detail = _error_detail(body)
            where = f"{ref.registry_host}/{ref.path}"
            if "name unknown" in detail or "repository name not known" in detail:
                raise ResolveError(f"not found: repository {where} does not exist ({detail})")
            target = f"digest {ref.digest}" if ref.digest else f"tag '{ref.tag or 'latest'}'"
            raise ResolveError(f"not found: no {target} in {where}{f' ({detail})' if detail else ''}")
        if status == 403:
            detail = _error_detail(body)
            raise ResolveError(f"403 denied{': ' + detail if detail else ''}")
        if status != 200:
            detail = _error_detail(body)
            raise ResolveError(f"registry answered {status}{': ' + detail if detail else ''}")
        header = response.headers.get("docker-content-digest", "").strip()
        announced = header.lower() if _DIGEST.fullmatch(header.lower()) else None
        if header and announced is None:
            self.log(1, f"{ref}: ignoring an unusable Docker-Content-Digest header")
        expected = announced or (ref.digest.lower() if ref.digest else None)
        algorithm = expected.split(":", 1)[0] if expected and _DIGEST.fullmatch(expected) else "sha256"
        computed = f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        try:
            document = json.loads(body)
        except ValueError:
            raise ResolveError("the registry sent a manifest that is not JSON") from None
        if not isinstance(document, dict):
            raise ResolveError("the registry sent a manifest that is not a JSON object")
        if document.get("schemaVersion") == 1 or media_type in SCHEMA1_TYPES:
            raise ResolveError("the registry only serves a schema 1 manifest, which is not supported")
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

    async def manifest(self, ref: ImageRef, *, want_platforms: bool = False) -> Manifest:
        """Resolve `ref` (its digest when it has one, else its tag, else `latest`)."""
        target = ref.digest or ref.tag or "latest"
        state = self._state(self._api_host(ref), ref.registry_host)
        attempts = self.config.registry.retries + 1
        last = "failed"
        for attempt in range(attempts):
            # the first request to a host goes alone: it learns the auth scheme (and fetches one
            # token for the planned scopes) that every other request then uses up front
            if not state.learned.is_set():
                if state.probing:
                    await state.learned.wait()
                else:
                    state.probing = True
            try:
                async with state.semaphore:
                    return await self._attempt(ref, target, want_platforms)
            except _Retryable as exc:
                last = str(exc)
                if attempt + 1 == attempts:
                    break
                delay = exc.retry_after if exc.retry_after is not None else min(8.0, 0.25 * 2**attempt)
                delay += random.uniform(0, 0.1 + delay * 0.1)
                self.log(1, f"{ref}: {last}; retrying in {delay:.2f} s")
                await asyncio.sleep(delay)
            finally:
                state.learned.set()
        if " rate limited" in last:
            raise ResolveError(f"{last}, retried {attempts - 1} time{'s' if attempts != 2 else ''}")
        raise ResolveError(f"{last} after {attempts} attempt{'s' if attempts != 1 else ''}")


async def _deadline(awaitable: Awaitable[_T], seconds: float) -> _T:
    return await asyncio.wait_for(awaitable, seconds)
