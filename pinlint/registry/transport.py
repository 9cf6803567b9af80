"""HTTP transport: which scheme and trust store each host gets, keep-alive clients, one bounded
exchange per request.

https with the system trust store (plus a configured `ca-file`), plain http only for loopback
registries and those configured `insecure` — and never by following a redirect elsewhere. The
system trust store is read when the first https request is about to be sent, not before: a run
that only talks plain http to a loopback registry never pays for parsing it.
Requests are sent with httpx's synchronous client from the caller's thread (the registry client
runs references on a thread pool: no event loop to import or start). Every exchange has one
deadline, enforced below httpx by the network backend (`_DeadlineBackend`: each connect, TLS
handshake, read and write may wait only until the exchange's deadline, so a trickling body or
trickling headers cannot outlast it), and a size cap; a
`Content-Encoding` other than one layer of gzip or deflate is refused, and that one layer is
decoded with the same output cap (pinlint asks for identity; a compression bomb cannot grow).
Failures come back as `Retryable` (no answer: refused, reset, timed out) or `ResolveError`
(TLS, redirects, unreadable answers), never as an httpx exception.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import httpcore
import httpx
from httpcore._backends.sync import SyncStream  # what httpcore's SyncBackend wraps its sockets in

from pinlint.config import Config, RegistryHost
from pinlint.errors import ConfigError
from pinlint.registry.auth import is_loopback_host
from pinlint.registry.manifest import Log, ResolveError
from pinlint.registry.retry import Retryable

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_TOO_BIG = f"response larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB; refused"
MAX_REDIRECTS = 5
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


_current = threading.local()  # `deadline`: when the current thread's exchange must be over;
# `cancelled`: the run's Event, set when it stops early (^C): every wait then ends within _POLL
_POLL = 0.25


class Cancelled(ResolveError):
    """The run stopped (^C) while this exchange was under way."""


def _check_cancelled() -> None:
    cancelled: threading.Event | None = getattr(_current, "cancelled", None)
    if cancelled is not None and cancelled.is_set():
        raise Cancelled("the run was interrupted")


def _remaining(timeout: float | None, expired: type[Exception]) -> float:
    """The wait allowed for one socket operation: its own timeout, cut to what is left of the
    current exchange's deadline (`expired` is raised once nothing is left)."""
    _check_cancelled()
    deadline: float | None = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout if timeout is not None else 60.0
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the exchange's deadline passed")
    return left if timeout is None else min(timeout, left)


def _connect(host: str, port: int, end: float, local_address: str | None) -> socket.socket:
    """A connected blocking socket to the first of `host`'s addresses that accepts by `end`."""
    error: OSError | None = None
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            if local_address is not None:
                sock.bind((local_address, 0))
            sock.setblocking(False)
            code = sock.connect_ex(address)
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_WRITE)
                while code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                    left = end - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("timed out")
                    if selector.select(min(left, _POLL)):
                        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    else:
                        _check_cancelled()
            if code:
                raise OSError(code, os.strerror(code))
            sock.setblocking(True)
            return sock
        except BaseException as exc:
            sock.close()
            if isinstance(exc, TimeoutError) or not isinstance(exc, OSError):
                raise
            error = exc
    raise error or OSError(f"no address for {host}")


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait ends by the current exchange's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Waits in slices of `_POLL` (a timed-out `recv` consumed nothing: it is simply tried
        again), so that a cancelled run is noticed while a registry keeps a read waiting."""
        wait = _remaining(timeout, httpcore.ReadTimeout)
        end = time.monotonic() + wait
        while True:
            try:
                return self._inner.read(max_bytes, min(wait, _POLL))
            except httpcore.ReadTimeout:
                wait = end - time.monotonic()
                if wait <= 0:
                    raise
                _check_cancelled()

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wait = _remaining(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, its connections wrapped in `_DeadlineStream`."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """`socket.create_connection`, but waiting in slices of `_POLL` (a cancelled run is noticed
        while a host drops SYNs) and with one deadline over all the host's addresses."""
        end = time.monotonic() + _remaining(timeout, httpcore.ConnectTimeout)
        try:
            sock = _connect(host, port, end, local_address)
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except BaseException:
                sock.close()
                raise
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _DeadlineStream(SyncStream(sock))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _HTTPTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that uses `_DeadlineBackend` (the pool is built
    here rather than by `HTTPTransport.__init__`, which has no parameter for a network backend)."""

    def __init__(self, context: ssl.SSLContext, limits: httpx.Limits) -> None:
        # not calling super().__init__: it would build a pool without the backend (and import certifi)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


class Transport:
    """Keep-alive clients per trust store, the scheme of every host, and `send` (safe to call
    from several threads at once)."""

    def __init__(self, config: Config, log: Log, log_level: int = 2) -> None:
        self.config = config
        self.log = log
        self.log_level = log_level  # the most detailed level `log` shows: the per-request lines need 2
        self.requests = 0
        self._lock = threading.Lock()  # guards the counter, the clients and the trust store loading
        self.cancelled = threading.Event()  # set by `cancel`: exchanges under way end, none starts
        self._clients: dict[tuple[int, int], httpx.Client] = {}
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

    def load_trust_store(self, request: httpx.Request) -> None:
        """Every request, redirects included: before the first https one, read the system trust
        store into the context made for it (what `create_default_context` does at once)."""
        if request.url.scheme == "https" and self._unloaded:
            with self._lock:
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

    def _client(self, verify: ssl.SSLContext | bool, shard: int) -> httpx.Client:
        """A keep-alive client per TLS setting and shard. Requests are spread over shards of about
        eight connections each: httpcore's pool does work proportional to its connections on every
        request, so one big pool costs more CPU than the network saves."""
        key = (id(verify) if not isinstance(verify, bool) else int(verify), shard)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._new_client(verify)
        return client

    def _new_client(self, verify: ssl.SSLContext | bool) -> httpx.Client:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        return httpx.Client(
            transport=_HTTPTransport(context, limits),
            timeout=self._timeout,
            limits=limits,
            follow_redirects=False,  # `_exchange` follows them, reading each body within the cap
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [self.check_plain_http, self.load_trust_store]},
        )

    def check_plain_http(self, request: httpx.Request) -> None:
        """Every request, redirects included: plain http only where pinlint chose it (loopback,
        `insecure` registries, their validated realms), never by following a redirect."""
        if request.url.scheme != "http":
            return
        host = origin_of(request.url)[1]
        if host in self._plain_http or is_loopback_host(host) or self.host_config(host).insecure:
            return
        raise ResolveError(f"refusing to follow a redirect to plain http at {host}")

    def cancel(self) -> None:
        """Stop: every exchange under way ends at its next wait (within `_POLL`), with `Cancelled`."""
        self.cancelled.set()

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    def _exchange(self, client: httpx.Client, request: httpx.Request, follow: bool) -> tuple[Answer, str]:
        """Redirects are followed here, not by httpx: httpx reads (and decodes) the body of every
        redirect it follows without any cap, so a 302 could carry a compression bomb."""
        redirects = 0
        while True:
            response = client.send(request, stream=True, follow_redirects=False)
            redirect = response.next_request if follow else None
            body = self._body(request, response, decode=redirect is None)
            if redirect is None:
                break
            if redirects == MAX_REDIRECTS:
                raise ResolveError("too many redirects")
            redirects += 1
            request = redirect
        via = f" (redirected to {shown_url(response.url)})" if redirects else ""
        headers = response.headers
        if response.status_code == 401:  # only a challenge needs its origin and its header list
            return Answer(401, headers, body, origin_of(response.url), headers.get_list("www-authenticate")), via
        return Answer(response.status_code, headers, body, ("", ""), []), via

    @staticmethod
    def _body(request: httpx.Request, response: httpx.Response, *, decode: bool) -> bytes:
        """The body read to the end, within the size cap (decoded within it, unless it is the
        body of a redirect that is followed: nothing reads that)."""
        try:
            declared = response.headers.get("content-length", "")
            if request.method != "HEAD" and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise ResolveError(_TOO_BIG)
            decode = decode and request.method != "HEAD"
            decoder = _decoder(response.headers.get("content-encoding")) if decode else None
            # read to the end even for HEAD (an empty body): a stream closed unread also closes
            # its connection, and every request would then pay for a new one
            body = bytearray()
            for chunk in response.iter_raw():
                body += chunk if decoder is None else decoder.feed(chunk, MAX_RESPONSE_BYTES - len(body))
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ResolveError(_TOO_BIG)
                _remaining(None, httpx.ReadTimeout)  # also through a proxy from the environment
        finally:
            response.close()
        return bytes(body)

    def send(self, endpoint: Endpoint, outgoing: Outgoing) -> Answer:
        """One request with a deadline for the whole exchange (redirects included)."""
        with self._lock:
            self.requests += 1
            shard = self.requests % self._shards
        client = self._client(endpoint.verify, shard)
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
        _current.deadline = started + self.config.registry.timeout
        _current.cancelled = self.cancelled
        try:
            _check_cancelled()
            answer, via = self._exchange(client, request, not outgoing.token)
        except httpx.TimeoutException:
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
        finally:
            _current.deadline = _current.cancelled = None
        if self.log_level >= 2:  # the line costs a URL copy per request: only when it is shown
            elapsed = (time.monotonic() - started) * 1000
            self.log(2, f"{request.method} {shown_url(request.url)}{via} -> {answer.status} ({elapsed:.0f} ms)")
        return answer
