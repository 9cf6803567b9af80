"""Shared pieces of the online benchmarks (`resolve.py`, `fix.py`).

* `Testbed`: a real registry (CNCF distribution, `docker-registry serve`) on a free loopback
  port with images pushed over the registry API, behind a latency proxy in a child process
  (`tests/registry.py`: `Registry`, `ImagePusher`, `FaultProxyProcess`), behind a relay that
  answers TLS handshakes the way distribution does (`TlsProbeFront`). Tools talk to the
  relay; the proxy adds the latency in each direction.
* `RequestMeter`: exact request counts per tool run, from the proxy's request list and from
  the registry's access log (both synchronised with marker requests, so nothing still in a
  pipe is missed or counted twice).
* Tool lookup, an environment that keeps the user's credentials, proxies and caches out of
  the measurement, subprocess timing, and table formatting.

Everything listens on and talks to 127.0.0.1 only. `tests/registry.py` needs httpx, which is
a dependency of pinlint, so run the benchmarks with the Python of pinlint's environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
try:
    from registry import (  # tests/ is on sys.path from here on
        IMAGE_KINDS,
        FaultProxyProcess,
        ImageKind,
        ImagePusher,
        Registry,
        RegistryTestError,
    )
except ImportError as _exc:  # httpx missing: the wrong Python
    print(
        f"error: cannot import tests/registry.py ({_exc}); run this with the Python of "
        "pinlint's environment, e.g. /work/venv/bin/python",
        file=sys.stderr,
    )
    raise SystemExit(2) from None

__all__ = [
    "IMAGE_KINDS",
    "REPO",
    "BenchError",
    "ImageKind",
    "Requests",
    "Run",
    "Testbed",
    "ToolFailure",
    "cpu_description",
    "find_executable",
    "find_pinlint",
    "format_table",
    "isolated_env",
    "load_average",
    "median",
    "progress",
    "run_timed",
    "short_command",
    "tail",
    "terminate_on_sigterm",
    "tool_version",
]


class BenchError(Exception):
    """The benchmark cannot run (bad argument, missing server binary...); exit status 2."""


class ToolFailure(Exception):
    """A tool did not do its job; the message says why, including its stderr."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


# --------------------------------------------------------------------------------------------
# Machine facts


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # not available on this platform
        return "unknown"


def cpu_description() -> str:
    total = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    text = f"{total} CPUs"
    return text + (f" ({usable} usable by this process)" if usable != total else "")


def python_description() -> str:
    return f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so `finally` blocks stop the servers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        progress("terminated: stopping the registry and the proxy")
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------------------------
# Tools


def find_pinlint(override: str | None) -> tuple[list[str], str]:
    """How to start pinlint: (argv prefix, how it was found)."""
    if override:
        return shlex.split(override), "--pinlint override"
    script = Path(sys.executable).parent / "pinlint"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)], "console script"
    return [sys.executable, "-m", "pinlint"], "python -m (from the repository root)"


def find_executable(name: str, override: str | None) -> str | None:
    """`override` (which must exist), else `name` next to sys.executable, else on PATH."""
    if override:
        found = shutil.which(override)
        if found is None:
            raise BenchError(f"--{name} {override}: no such executable")
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def tool_version(argv: list[str], env: dict[str, str] | None = None) -> str | None:
    try:
        done = subprocess.run(
            argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0].strip() if done.returncode == 0 and text else None


_PROXY_VARS = re.compile(r"(?i)^(http_proxy|https_proxy|all_proxy|no_proxy|ftp_proxy)$")


def isolated_env(workdir: Path) -> dict[str, str]:
    """os.environ without proxy settings and with empty credential stores.

    A proxy variable would route 127.0.0.1 elsewhere in some clients; the user's
    ~/.docker/config.json or containers auth file could add credential-helper calls or
    requests to the measurement. Each tool gets the same empty stores.
    """
    env = {k: v for k, v in os.environ.items() if not _PROXY_VARS.match(k)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    docker_config = workdir / "docker-config"
    docker_config.mkdir(parents=True, exist_ok=True)
    (docker_config / "config.json").write_text('{"auths": {}}\n')
    env["DOCKER_CONFIG"] = str(docker_config)
    env["REGISTRY_AUTH_FILE"] = str(docker_config / "config.json")  # skopeo/containers
    env["XDG_CACHE_HOME"] = str(workdir / "xdg-cache-unused")
    return env


@dataclass
class Run:
    seconds: float
    returncode: int
    stdout: bytes
    stderr: bytes


def tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()
    cut = len(kept) - lines
    return "\n".join(([f"[... {cut} earlier lines]"] if cut > 0 else []) + kept[-lines:])


def short_command(argv: Sequence[str], keep: int = 8) -> str:
    shown = shlex.join(list(argv[:keep]))
    return shown + (f" ... ({len(argv) - keep} more arguments)" if len(argv) > keep else "")


def run_timed(
    name: str,
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    ok: Iterable[int] = (0,),
) -> Run:
    """Run once, time the wall clock of subprocess.run (output captured), check the exit status."""
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolFailure(f"{name} did not finish within {timeout:g} s") from exc
    except OSError as exc:
        raise ToolFailure(f"{name} could not be started: {exc}") from exc
    seconds = time.perf_counter() - start
    if done.returncode not in tuple(ok):
        code = done.returncode
        how = f"was killed by signal {-code}" if code < 0 else f"exited {code}"
        err = (done.stderr or done.stdout).decode(errors="replace").strip()
        raise ToolFailure(
            f"{name} {how}\n  command: {short_command(argv)}\n  output:\n" + (tail(err) if err else "(empty)")
        )
    return Run(seconds, done.returncode, done.stdout, done.stderr)


# --------------------------------------------------------------------------------------------
# Registry, images, latency proxy, request counting

_SYNC_PREFIX = "/v2/_pinlint_bench_sync/"
_MANIFEST = re.compile(r"^/v2/.+/manifests/[^/]+$")
_BLOB = re.compile(r"^/v2/.+/blobs/[^/]+$")
_TAGS = re.compile(r"^/v2/.+/tags/list$")


def request_kind(method: str, path: str) -> str:
    if path in ("/v2/", "/v2"):
        return f"{method} /v2/ (ping)"
    if _MANIFEST.match(path):
        return f"{method} manifest"
    if _BLOB.match(path):
        return f"{method} blob"
    if _TAGS.match(path):
        return f"{method} tags/list"
    return f"{method} other"


@dataclass
class Requests:
    """Requests one tool run sent: as the proxy saw them and as the registry logged them."""

    proxy: int
    registry: int
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def agree(self) -> bool:
        return self.proxy == self.registry

    def describe(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.kinds.items())) or "none"


class RequestMeter:
    """Counts the requests that reach the proxy and the registry between `begin()` and `end()`."""

    def __init__(self, registry: Registry, proxy: FaultProxyProcess) -> None:
        self.registry = registry
        self.proxy = proxy
        self._seq = 0
        self._start = 0

    def _sync_proxy(self, timeout: float = 10.0) -> int:
        """Send a marker through the proxy; return the proxy's request count up to it."""
        self._seq += 1
        marker = f"{_SYNC_PREFIX}{os.getpid()}-{self._seq}"
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=timeout)
        try:
            conn.request("GET", marker)
            conn.getresponse().read()
        finally:
            conn.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.proxy.requests
            for i in range(len(seen) - 1, -1, -1):
                if seen[i][1] == marker:
                    return i + 1
            time.sleep(0.002)
        raise BenchError(f"the proxy never reported the marker request {marker}")

    def begin(self) -> None:
        self._start = self._sync_proxy()
        self.registry.clear_requests()

    def end(self) -> Requests:
        stop = self._sync_proxy()
        through_proxy = [
            (m, p) for m, p in self.proxy.requests[self._start : stop] if not p.startswith(_SYNC_PREFIX)
        ]
        logged = [(m, p) for m, p in self.registry.requests if not p.startswith(_SYNC_PREFIX)]
        return Requests(len(through_proxy), len(logged), Counter(request_kind(m, p) for m, p in through_proxy))


class Testbed:
    """A registry with images, behind a latency proxy; `close()` (or `with`) stops both."""

    def __init__(self, workdir: Path, latency_ms: float) -> None:
        self.workdir = workdir
        self.latency_ms = latency_ms
        self.registry: Registry | None = None
        self.proxy: FaultProxyProcess | None = None
        self.tls_front: TlsProbeFront | None = None
        self._meter: RequestMeter | None = None
        try:
            self.registry = Registry(workdir / "registry", access_log=True)
            self.proxy = FaultProxyProcess(self.registry, latency_ms=latency_ms)
            self.tls_front = TlsProbeFront(self.proxy.port, 2 * latency_ms)
        except RegistryTestError as exc:
            self.close()
            raise BenchError(f"cannot start the test registry or proxy: {exc}") from None
        except BaseException:
            self.close()
            raise
        self._meter = RequestMeter(self.registry, self.proxy)

    @property
    def host(self) -> str:
        """host:port the tools use (the TLS-probe relay in front of the proxy)."""
        assert self.tls_front is not None
        return self.tls_front.host

    @property
    def meter(self) -> RequestMeter:
        assert self._meter is not None
        return self._meter

    def describe(self) -> str:
        assert self.registry is not None and self.proxy is not None and self.tls_front is not None
        return (
            f"docker-registry at {self.registry.host}, behind a proxy at {self.proxy.host} adding "
            f"{self.latency_ms:g} ms per direction (child process), behind a relay at "
            f"{self.tls_front.host} that answers TLS probes like distribution (tools use this one)"
        )

    @property
    def tls_probes(self) -> int:
        return self.tls_front.tls_probes if self.tls_front is not None else 0

    def push(self, repos: dict[str, list[str]], kind: ImageKind) -> dict[str, str]:
        """Push one image of `kind` per tag (straight to the registry, not through the proxy).

        Returns "<repo>:<tag>" -> the digest the tag points to (computed locally, checked
        against the registry's answer by ImagePusher)."""
        assert self.registry is not None
        digests: dict[str, str] = {}
        try:
            with ImagePusher.for_registry(self.registry) as pusher:
                for repo, tags in repos.items():
                    for tag, pushed in pusher.push_many(repo, tags, kind).items():
                        digests[f"{repo}:{tag}"] = pushed.digest
        except RegistryTestError as exc:
            raise BenchError(f"pushing the images failed: {exc}") from None
        return digests

    def round_trip_ms(self, path: str, samples: int = 20) -> list[float]:
        """Keep-alive HEAD of `path` through relay and proxy from this process, in ms (after one warm-up)."""
        assert self.tls_front is not None
        accept = (
            "application/vnd.oci.image.index.v1+json, "
            "application/vnd.docker.distribution.manifest.list.v2+json, "
            "application/vnd.oci.image.manifest.v1+json, "
            "application/vnd.docker.distribution.manifest.v2+json"
        )
        conn = http.client.HTTPConnection("127.0.0.1", self.tls_front.port, timeout=10)
        times: list[float] = []
        try:
            for i in range(samples + 1):
                start = time.perf_counter()
                conn.request("HEAD", path, headers={"Accept": accept})
                conn.getresponse().read()
                if i:
                    times.append(1000 * (time.perf_counter() - start))
        finally:
            conn.close()
        return times

    def close(self) -> None:
        for server in (self.tls_front, self.proxy, self.registry):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()

    def __enter__(self) -> Testbed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TlsProbeFront:
    """A loopback TCP relay in front of the proxy that answers TLS handshakes like a plain registry.

    distribution answers a TLS ClientHello on its plain-HTTP port at once (Go's server:
    `HTTP/1.0 400`, close), so a client that tries HTTPS first falls back to HTTP at once. The
    test proxy instead waits for an HTTP request head that never comes:
    * skopeo (containers/image) always tries HTTPS first, even with `--tls-verify=false`, and
      gives up only after Go's 10 s TLS handshake timeout, twice per `skopeo inspect`;
    * go-containerregistry (pindock) pings HTTPS and HTTP in parallel for 127.0.0.1 but starts
      the HTTP ping only 300 ms later unless HTTPS has failed (its `pingParallel`), so every
      reference would cost 300 ms more than against a real registry.
    This relay gives the registry's answer after the proxy's round trip (`delay_ms`, both
    directions) and passes every other connection through to the proxy byte for byte. Every
    tool goes through it, so all pay the same (tiny) extra hop.
    """

    def __init__(self, upstream_port: int, delay_ms: float) -> None:
        self.upstream_port = upstream_port
        self.delay = delay_ms / 1000
        self.tls_probes = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tls-probe-front", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._server is None:
            self.stop()
            raise BenchError(f"the TLS-probe relay did not start: {self._error}")
        self.port: int = self._server.sockets[0].getsockname()[1]
        self.host: str = f"127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
        except BaseException as exc:  # reported by __init__
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.read(65536)
            if not first:
                return
            if first[0] == 0x16:  # a TLS record: handshake
                self.tls_probes += 1
                await asyncio.sleep(self.delay)
                writer.write(
                    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
                )
                await writer.drain()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            up_writer.write(first)

            async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
                try:
                    while chunk := await src.read(65536):
                        dst.write(chunk)
                        await dst.drain()
                finally:
                    with contextlib.suppress(Exception):
                        dst.close()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def write_pinlint_config(path: Path, host: str, concurrency: int | None) -> None:
    """A pinlint.toml for the benchmarks: the proxy host is plain HTTP; everything else default."""
    lines = [
        "# written by a pinlint benchmark (bench/); registry settings are pinlint's defaults",
        "# unless the benchmark was given --pinlint-concurrency",
    ]
    if concurrency is not None:
        lines += ["[registry]", f"concurrency = {concurrency}", ""]
    lines += [f'[registries."{host}"]', "insecure = true  # plain HTTP (loopback is HTTP anyway)", ""]
    path.write_text("\n".join(lines))


# --------------------------------------------------------------------------------------------
# Reporting


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Aligned text table: the first `left` columns left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def facts(args_load_before: str) -> list[str]:
    """The machine lines every report starts with."""
    return [
        f"python   {python_description()}",
        f"machine  {platform.system()} {platform.machine()}, {cpu_description()}",
        (
            f"load     {args_load_before} before the run, {load_average()} after "
            "(1/5/15-minute averages; other work on the machine skews timings)"
        ),
    ]


def json_facts(load_before: str) -> dict[str, Any]:
    return {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


@contextlib.contextmanager
def workdir_for(given: Path | None, name: str, marker: str) -> Iterator[Path]:
    """The scratch directory of one run.

    Not under the repository by default: bench/.work/ is git-ignored, and pinlint (like git)
    skips ignored paths even inside a directory named on its command line, so it would check
    nothing there. Without `--workdir`, a new temporary directory is used and deleted at the
    end; a given `--workdir` is recreated (see `prepare_workdir`) and kept.
    """
    if given is not None:
        root = given.resolve()
        prepare_workdir(root, marker)
        yield root
        return
    root = Path(tempfile.mkdtemp(prefix=f"pinlint-bench-{name}-"))
    (root / marker).write_text("created by a pinlint benchmark; deleted at its end\n")
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def prepare_workdir(root: Path, marker: str) -> None:
    """Create `root` empty; refuse to wipe a non-empty directory without our marker file."""
    if root.exists():
        if not root.is_dir():
            raise BenchError(f"{root} exists and is not a directory")
        if any(root.iterdir()) and not (root / marker).exists():
            raise BenchError(
                f"{root} is not empty and was not created by a pinlint benchmark; "
                "refusing to delete it (choose another --workdir)"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / marker).write_text("created by a pinlint benchmark; deleted and recreated each run\n")
