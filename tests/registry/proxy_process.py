"""`FaultProxyProcess`: a latency-only `FaultProxy` in a child Python process (for benchmarks)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path

from .common import RegistryTestError, _RequestCounting, _track, _untrack
from .fault_proxy import FaultProxy
from .server import Registry
from .tokens import TokenServer


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
        tests_dir = str(Path(__file__).resolve().parent.parent)
        argv = [sys.executable, "-c", _CHILD, tests_dir, upstream_host, str(request_ms)]
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


# The child imports this package from the tests directory given as its first argument.
_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from registry.proxy_process import _fault_proxy_main; "
    "raise SystemExit(_fault_proxy_main(*sys.argv[2:]))"
)


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
