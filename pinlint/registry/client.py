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
import random
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from pinlint.config import Config, RegistryHost
from pinlint.platforms import platform_key
from pinlint.reference import ImageRef
from pinlint.registry import credentials as creds
from pinlint.registry.auth import Challenge, RealmError, TokenCache, is_loopback_host, parse_challenges, validate_realm

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_V2)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
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
_DIGEST = re.compile(r"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})", re.ASCII)
_RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source")

Log = Callable[[int, str], None]


class ResolveError(Exception):
    """One line: why a reference could not be resolved. Never contains a secret."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    size: int | None
    platforms: Mapping[str, str] | None = None  # "os/arch[/variant]" → child digest, for indexes

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


@dataclass
class _HostState:
    scheme: str
    verify: ssl.SSLContext | bool
    allow_credentials: bool
    semaphore: asyncio.Semaphore
    learned: asyncio.Event = field(default_factory=asyncio.Event)
    probing: bool = False
    challenge: Challenge | None = None
    lookup: creds.Lookup | None = None
    planned_scopes: list[str] = field(default_factory=list)


def _basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def _retry_after(value: str | None) -> float | None:
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
        self._clients: dict[int, httpx.AsyncClient] = {}
        timeout = config.registry.timeout
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))

    # -- plumbing ------------------------------------------------------------------------

    def _host_config(self, host: str) -> RegistryHost:
        return self.config.registries.get(host.lower()) or RegistryHost()

    def _api_host(self, ref: ImageRef) -> str:
        host = ref.registry_host
        mirror = self._host_config(host).mirror
        if mirror:
            return mirror.split("://", 1)[-1].rstrip("/")
        return DOCKER_HUB_API if host == "docker.io" else ref.domain

    def _state(self, api_host: str, registry: str) -> _HostState:
        state = self.hosts.get(api_host)
        if state is not None:
            return state
        settings = self._host_config(registry)
        verify: ssl.SSLContext | bool = True
        if settings.ca_file:
            verify = ssl.create_default_context(cafile=settings.ca_file)
            scheme = "https"
        elif settings.insecure or is_loopback_host(api_host):
            scheme = "http"
        else:
            verify = ssl.create_default_context()
            scheme = "https"
        allow = scheme == "https" or settings.insecure
        state = _HostState(scheme, verify, allow, asyncio.Semaphore(self.config.registry.concurrency))
        self.hosts[api_host] = state
        return state

    def _client(self, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
        key = id(verify) if not isinstance(verify, bool) else int(verify)
        client = self._clients.get(key)
        if client is None:
            limits = httpx.Limits(
                max_connections=max(64, self.config.registry.concurrency * 4), max_keepalive_connections=64
            )
            client = httpx.AsyncClient(
                verify=verify, timeout=self._timeout, limits=limits, follow_redirects=True, max_redirects=5
            )
            self._clients[key] = client
        return client

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
        """Every secret this client holds, for redaction checks in tests."""
        found = self.tokens.secrets()
        for state in self.hosts.values():
            if state.lookup and state.lookup.credential:
                found.append(state.lookup.credential.secret)
        return found

    async def _send(self, state: _HostState, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        client = self._client(state.verify)
        started = time.monotonic()
        response = await client.send(request, stream=True)
        try:
            if request.method != "HEAD":
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_MANIFEST_BYTES:
                        raise ResolveError(f"manifest larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB; refused")
                response._content = bytes(body)
        finally:
            await response.aclose()
        elapsed = (time.monotonic() - started) * 1000
        self.log(
            2, f"{request.method} {request.url.copy_with(query=None)} -> {response.status_code} ({elapsed:.0f} ms)"
        )
        return response

    # -- auth ----------------------------------------------------------------------------

    def _credentials(self, state: _HostState, registry: str, repository: str) -> creds.Credential | None:
        if state.lookup is None:
            state.lookup = creds.lookup(registry, repository, self.env)
            for warning in state.lookup.warnings:
                self.log(0, f"warning: {warning}")
            credential = state.lookup.credential
            if credential is not None:
                self.log(1, f"credentials for {registry}: {credential.kind} from {credential.source}")
        if not state.allow_credentials:
            return None
        return state.lookup.credential

    async def _authorization(
        self, state: _HostState, registry: str, repository: str, *, force: bool = False
    ) -> str | None:
        challenge = state.challenge
        if challenge is None:
            return None
        credential = self._credentials(state, registry, repository)
        if challenge.scheme == "basic":
            if credential is None or credential.kind != "basic":
                return None
            return _basic(credential.username, credential.secret)
        if credential is not None and credential.kind == "registry-token":
            return f"Bearer {credential.secret}"
        scope = f"repository:{repository}:pull"
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        identity = f"{credential.kind}:{credential.username}" if credential else "anonymous"
        key = self.tokens.key(realm, service, [scope], identity)
        token = None if force else self.tokens.get(key)
        if token is None:
            scopes = [scope]
            for other in state.planned_scopes:
                if (
                    other != scope
                    and len(scopes) < 25
                    and self.tokens.get(self.tokens.key(realm, service, [other], identity)) is None
                ):
                    scopes.append(other)
            token, expires_in = await self._fetch_token(state, registry, challenge, scopes, credential)
            for each in scopes:
                self.tokens.put(self.tokens.key(realm, service, [each], identity), token, expires_in)
        return f"Bearer {token}"

    async def _fetch_token(
        self,
        state: _HostState,
        registry: str,
        challenge: Challenge,
        scopes: list[str],
        credential: creds.Credential | None,
    ) -> tuple[str, float]:
        settings = self._host_config(registry)
        try:
            realm = validate_realm(challenge.params.get("realm", ""), registry, settings.insecure)
        except RealmError as exc:
            raise ResolveError(str(exc)) from None
        service = challenge.params.get("service")
        send_secret = credential is not None and (realm.startswith("https://") or settings.insecure)
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
                params.append(("account", credential.username))
                headers["Authorization"] = _basic(credential.username, credential.secret)
            request = httpx.Request("GET", realm, params=params, headers=headers)
        self.log(1, f"token request to {httpx.URL(realm).copy_with(query=None)} for {len(scopes)} scope(s)")
        response = await self._send(state, request)
        if response.status_code in (401, 403):
            why = (
                f"credentials from {credential.source} were rejected"
                if send_secret and credential is not None
                else f"no credentials found for {registry}"
            )
            raise ResolveError(f"{response.status_code} unauthorized — {why}")
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(
                f"token server answered {response.status_code}", _retry_after(response.headers.get("retry-after"))
            )
        if response.status_code != 200:
            raise ResolveError(f"token server answered {response.status_code}")
        try:
            data = json.loads(response.content or b"{}")
        except ValueError:
            raise ResolveError("token server answered with something that is not JSON") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ResolveError("token server answered without a token")
        expires = data.get("expires_in", 60)
        return token, float(expires) if isinstance(expires, (int, float)) else 60.0

    # -- manifests -------------------------------------------------------------------------

    async def _request(
        self, state: _HostState, ref: ImageRef, api_host: str, method: str, target: str
    ) -> httpx.Response:
        registry = ref.registry_host
        url = f"{state.scheme}://{api_host}/v2/{ref.path}/manifests/{target}"
        if self._host_config(registry).mirror:
            url += f"?ns={registry}"
        headers = {"Accept": ACCEPT, "Accept-Encoding": "identity", "User-Agent": "pinlint"}
        authorization = await self._authorization(state, registry, ref.path)
        if authorization:
            headers["Authorization"] = authorization
        response = await self._send(state, httpx.Request(method, url, headers=headers))
        if response.status_code == 401:
            challenges = parse_challenges(response.headers.get_list("www-authenticate"))
            chosen = next((c for c in challenges if c.scheme == "bearer" and c.params.get("realm")), None)
            chosen = chosen or next((c for c in challenges if c.scheme == "basic"), None)
            if chosen is None:
                raise ResolveError(f"401 unauthorized — {registry} sent no usable challenge")
            retry = state.challenge is None or chosen != state.challenge or authorization is not None
            state.challenge = chosen
            if not retry:
                return response
            authorization = await self._authorization(state, registry, ref.path, force=authorization is not None)
            if authorization is None:
                raise ResolveError(f"401 unauthorized — no credentials found for {registry}")
            headers["Authorization"] = authorization
            response = await self._send(state, httpx.Request(method, url, headers=headers))
            if response.status_code == 401:
                credential = self._credentials(state, registry, ref.path)
                why = (
                    f"credentials from {credential.source} were not accepted"
                    if credential
                    else (f"no credentials found for {registry}")
                )
                raise ResolveError(f"401 unauthorized — {why}")
        return response

    async def _attempt(self, ref: ImageRef, target: str, want_platforms: bool) -> Manifest:
        api_host = self._api_host(ref)
        state = self._state(api_host, ref.registry_host)
        try:
            response = await self._request(state, ref, api_host, "HEAD", target)
            status = response.status_code
            if status in (429,) or status >= 500:
                rate = ", ".join(f"{h}: {response.headers[h]}" for h in _RATE_HEADERS if h in response.headers)
                reason = f"{status} {'rate limited' if status == 429 else 'server error'}"
                raise _Retryable(
                    f"{reason}{f' ({rate})' if rate else ''}", _retry_after(response.headers.get("retry-after"))
                )
            if status == 200:
                header = response.headers.get("docker-content-digest", "").strip()
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if media_type in SCHEMA1_TYPES:
                    raise ResolveError("the registry only serves a schema 1 manifest, which is not supported")
                length = response.headers.get("content-length")
                if (
                    _DIGEST.fullmatch(header)
                    and media_type in MANIFEST_TYPES
                    and length
                    and not (want_platforms and media_type in INDEX_TYPES)
                ):
                    return Manifest(header, media_type, int(length) if length.isdigit() else None)
            elif status not in (404, 405, 400, 403):
                raise ResolveError(f"registry answered {status}")
            response = await self._request(state, ref, api_host, "GET", target)
            return self._from_body(ref, response, want_platforms)
        except httpx.TimeoutException:
            raise _Retryable("timed out") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({exc.__class__.__name__})") from None

    def _from_body(self, ref: ImageRef, response: httpx.Response, want_platforms: bool) -> Manifest:
        status = response.status_code
        body = response.content
        if status == 429 or status >= 500:
            raise _Retryable(f"{status} from registry", _retry_after(response.headers.get("retry-after")))
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
        algorithm = header.split(":", 1)[0] if _DIGEST.fullmatch(header) else "sha256"
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
        if header and header != computed:
            raise ResolveError(
                f"digest mismatch: the registry announced {header} but the manifest it sent hashes to {computed}"
            )
        platforms = index_platforms(body) if want_platforms and media_type in INDEX_TYPES else None
        return Manifest(computed, media_type, len(body), platforms)

    async def manifest(self, ref: ImageRef, *, want_platforms: bool = False) -> Manifest:
        """Resolve `ref` (its digest when it has one, else its tag, else `latest`)."""
        target = ref.digest or ref.tag or "latest"
        api_host = self._api_host(ref)
        state = self._state(api_host, ref.registry_host)
        attempts = self.config.registry.retries + 1
        last = "failed"
        for attempt in range(attempts):
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
        if last.startswith("429"):
            raise ResolveError(f"{last}, retried {attempts - 1} times")
        raise ResolveError(f"{last} after {attempts} attempt{'s' if attempts != 1 else ''}")
