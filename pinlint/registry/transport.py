"""HTTP transport: which scheme and trust store each host gets, keep-alive clients, one bounded
exchange per request.

https with the system trust store (plus a configured `ca-file`), plain http only for loopback
registries and those configured `insecure` — and never by following a redirect elsewhere. The
system trust store is read when the first https request is about to be sent, not before: a run
that only talks plain http to a loopback registry never pays for parsing it.
Every exchange has one deadline (a trickling body cannot outlast it) and a size cap; a
`Content-Encoding` other than one layer of gzip or deflate is refused, and that one layer is
decoded with the same output cap (pinlint asks for identity; a compression bomb cannot grow).
Failures come back as `Retryable` (no answer: refused, reset, timed out) or `ResolveError`
(TLS, redirects, unreadable answers), never as an httpx exception.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import httpx

from pinlint.config import Config, RegistryHost
from pinlint.errors import ConfigError
from pinlint.registry.auth import is_loopback_host
from pinlint.registry.manifest import Log, ResolveError
from pinlint.registry.retry import Retryable

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_TOO_BIG = f"response larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB; refused"
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def may_send_credentials(scheme: str, host: str, insecure: bool) -> bool:
    """Credentials go over https, to loopback (as `docker login` does) and to `insecure` registries."""
    return scheme == "https" or insecure or is_loopback_host(host)


@dataclass(frozen=True)
class Endpoint:
    """How to reach one API host (a registry, or the mirror standing in for it)."""

    host: str
    scheme: str
    verify: ssl.SSLContext | bool
    insecure: bool
    credentials_host: str  # whose credentials may be sent here: the registry, or its mirror

    @property
    def origin(self) -> tuple[str, str]:
        return self.scheme, self.host

    @property
    def allow_credentials(self) -> bool:
        return may_send_credentials(self.scheme, self.host, self.insecure)


class Outgoing(NamedTuple):
    """A request to send. Token requests (`token`) never follow redirects: one could carry the
    credentials (a POST body survives a 307) to a host that was never checked."""

    method: str
    url: str
    headers: Mapping[str, str]
    params: tuple[tuple[str, str], ...] = ()
    form: Mapping[str, str] | None = None
    token: bool = False


class Answer(NamedTuple):
    """A response read to the end (and decoded, within the cap)."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    origin: tuple[str, str]  # of a 401: (scheme, host[:port]) after any redirect; else ("", "")
    challenges: list[str]  # of a 401: the WWW-Authenticate values


def origin_of(url: httpx.URL) -> tuple[str, str]:
    netloc = url.netloc.decode("ascii", "replace").rpartition("@")[2].lower()
    return url.scheme, netloc


def shown_url(url: httpx.URL) -> str:
    """A URL for messages and logs: no query, no user information."""
    return str(url.copy_with(query=None, userinfo=b""))


def tls_failure(exc: BaseException) -> str | None:
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
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "TLS certificate verification failed"
    return None


class _Decoder:
    """One layer of gzip or deflate, never producing more than the cap."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.inflate = zlib.decompressobj(_ENCODINGS[coding])
        self.started = False

    def feed(self, chunk: bytes, room: int) -> bytes:
        try:
            out = self.inflate.decompress(chunk, room + 1)
        except zlib.error:
            if self.coding != "deflate" or self.started:
                raise ResolveError(f"the registry's answer could not be decoded ({self.coding})") from None
            self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send it
            self.coding = "raw deflate"
            return self.feed(chunk, room)
        self.started = True
        if len(out) > room or self.inflate.unconsumed_tail:
            raise ResolveError(_TOO_BIG)
        return out


def _decoder(header: str | None) -> _Decoder | None:
    codings = [c.strip().lower() for c in (header or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _ENCODINGS:
        return _Decoder(codings[0])
    raise ResolveError("refusing a response with several or unknown content encodings (pinlint asks for identity)")


class Transport:
    """Keep-alive clients per trust store, the scheme of every host, and `send`."""

    def __init__(self, config: Config, log: Log, log_level: int = 2) -> None:
        self.config = config
        self.log = log
        self.log_level = log_level  # the most detailed level `log` shows: the per-request lines need 2
        self.requests = 0
        self._clients: dict[tuple[int, int], httpx.AsyncClient] = {}
        self._shards = max(1, -(-config.registry.concurrency // 8))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._unloaded: list[ssl.SSLContext] = []  # system trust store not read yet (see _system_context)
        self._plain_http: set[str] = set()  # hosts pinlint chose to reach over http (or validated realms)
        timeout = config.registry.timeout
        # no pool timeout: concurrency is bounded per host by semaphores, not by the pool
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0), pool=None)

    def host_config(self, host: str) -> RegistryHost:
        return self.config.registries.get(host.lower()) or RegistryHost()

    def _context(self, ca_file: str | None, host: str) -> ssl.SSLContext:
        """The system trust store, plus `ca_file` (relative to the project root) when configured."""
        path = os.path.join(self.config.root, os.path.expanduser(ca_file)) if ca_file else ""
        context = self._contexts.get(path)
        if context is None:
            context = ssl.create_default_context() if path else self._system_context()
            if path:
                try:
                    context.load_verify_locations(cafile=path)
                except (OSError, ssl.SSLError) as exc:
                    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a PEM certificate file"
                    where = self.config.path or "configuration"
                    raise ConfigError(f'{where}: registries."{host}".ca-file: cannot load {path}: {reason}') from None
            self._contexts[path] = context
        return context

    def _system_context(self) -> ssl.SSLContext:
        """`ssl.create_default_context()` without reading the certificates yet: the
        `load_trust_store` hook reads them before the first https request of the run."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname
        keylog = os.environ.get("SSLKEYLOGFILE")  # as create_default_context does
        if keylog and not sys.flags.ignore_environment and hasattr(context, "keylog_filename"):
            context.keylog_filename = keylog
        self._unloaded.append(context)
        return context

    async def load_trust_store(self, request: httpx.Request) -> None:
        """Every request, redirects included: before the first https one, read the system trust
        store into the context made for it (what `create_default_context` does at once)."""
        if request.url.scheme == "https" and self._unloaded:
            for context in self._unloaded:
                context.load_default_certs(ssl.Purpose.SERVER_AUTH)
            self._unloaded.clear()

    def endpoint(self, api_host: str, registry: str) -> Endpoint:
        """How to reach `api_host`, which answers for `registry` (itself, or its mirror)."""
        mirrored = bool(self.host_config(registry).mirror)
        own = self.config.registries.get(api_host) if api_host != registry else None
        settings = own or self.host_config(registry)
        if settings.ca_file:
            verify = self._context(settings.ca_file, api_host if own else registry)
            scheme = "https"
        else:
            # for plain http too: an https token realm needs it (shared, loaded once)
            verify = self._context(None, api_host)
            scheme = "http" if settings.insecure or is_loopback_host(api_host) else "https"
        if scheme == "http":
            self._plain_http.add(api_host)
        return Endpoint(
            host=api_host,
            scheme=scheme,
            verify=verify,
            insecure=settings.insecure,
            # never send a registry's credentials to a mirror standing in for it
            credentials_host=api_host if mirrored else registry,
        )

    def allow_plain_http(self, host: str) -> None:
        """A validated plain-http token realm (loopback, or its registry is `insecure`)."""
        self._plain_http.add(host.lower())

    def _client(self, verify: ssl.SSLContext | bool, shard: int) -> httpx.AsyncClient:
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
                event_hooks={"request": [self.check_plain_http, self.load_trust_store]},
            )
            self._clients[key] = client
        return client

    async def check_plain_http(self, request: httpx.Request) -> None:
        """Every request, redirects included: plain http only where pinlint chose it (loopback,
        `insecure` registries, their validated realms), never by following a redirect."""
        if request.url.scheme != "http":
            return
        host = origin_of(request.url)[1]
        if host in self._plain_http or is_loopback_host(host) or self.host_config(host).insecure:
            return
        raise ResolveError(f"refusing to follow a redirect to plain http at {host}")

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def _exchange(self, client: httpx.AsyncClient, request: httpx.Request, follow: bool) -> tuple[Answer, str]:
        response = await client.send(request, stream=True, follow_redirects=follow)
        try:
            declared = response.headers.get("content-length", "")
            if request.method != "HEAD" and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise ResolveError(_TOO_BIG)
            decoder = _decoder(response.headers.get("content-encoding")) if request.method != "HEAD" else None
            # read to the end even for HEAD (an empty body): a stream closed unread also closes
            # its connection, and every request would then pay for a new one
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk if decoder is None else decoder.feed(chunk, MAX_RESPONSE_BYTES - len(body))
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ResolveError(_TOO_BIG)
        finally:
            await response.aclose()
        via = f" (redirected to {shown_url(response.url)})" if response.history else ""
        headers = response.headers
        if response.status_code == 401:  # only a challenge needs its origin and its header list
            return Answer(401, headers, bytes(body), origin_of(response.url), headers.get_list("www-authenticate")), via
        return Answer(response.status_code, headers, bytes(body), ("", ""), []), via

    async def send(self, endpoint: Endpoint, outgoing: Outgoing) -> Answer:
        """One request with a deadline for the whole exchange."""
        self.requests += 1
        client = self._client(endpoint.verify, self.requests % self._shards)
        try:
            request = httpx.Request(
                outgoing.method,
                outgoing.url,
                params=outgoing.params or None,
                headers=outgoing.headers,
                data=outgoing.form,
            )
        except httpx.InvalidURL:
            what = "the token realm the registry named" if outgoing.token else "the request URL"
            raise ResolveError(f"{what} is not a valid URL") from None
        started = time.monotonic()
        try:
            answer, via = await asyncio.wait_for(
                self._exchange(client, request, not outgoing.token), self.config.registry.timeout
            )
        except (asyncio.TimeoutError, httpx.TimeoutException):
            if self.log_level >= 2:
                self.log(2, f"{request.method} {shown_url(request.url)} -> timed out")
            raise Retryable("timed out", transport=True) from None
        except httpx.TransportError as exc:
            tls = tls_failure(exc)
            if tls is not None:
                raise ResolveError(f"{tls} for {endpoint.host}") from None
            detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
            reason = f"connection failed ({exc.__class__.__name__}{': ' + detail if detail else ''})"
            raise Retryable(reason, transport=True) from None
        except httpx.TooManyRedirects:
            raise ResolveError("too many redirects") from None
        except httpx.HTTPError as exc:
            raise ResolveError(f"the registry's answer could not be read ({exc.__class__.__name__})") from None
        if self.log_level >= 2:  # the line costs a URL copy per request: only when it is shown
            elapsed = (time.monotonic() - started) * 1000
            self.log(2, f"{request.method} {shown_url(request.url)}{via} -> {answer.status} ({elapsed:.0f} ms)")
        return answer
