"""`FaultProxy`: an asyncio HTTP/1.1 reverse proxy adding latency and injecting faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import threading
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from .common import WRONG_DIGEST, RegistryTestError, _RequestCounting, _track, _untrack
from .server import Registry
from .tokens import TokenServer

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
