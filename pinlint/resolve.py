"""One batched pass from references to digests: deduplicated, cached, concurrent.

Every reference of a run goes through `resolve_digests` once: duplicates (the same canonical
reference in many files, or spelled differently: `alpine`, `alpine:latest`,
`docker.io/library/alpine`) are resolved once, answers younger than `cache-ttl` come from the
on-disk cache, and the rest are fetched concurrently by the registry client, one reference per
worker of a thread pool (bounded per registry host by the client; the answers are recorded, the
cache written and the progress bar drawn by the calling thread only). Failures are collected per
reference as one-line reasons, with any secret the client holds masked (also in log lines), and
never as a traceback. The report says how many answers came from the cache and how old the
oldest was, and which hosts did not answer (their other references were skipped, with one log
line per host instead of one timeout each).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TextIO

from pinlint.config import Config
from pinlint.errors import PinlintError
from pinlint.reference import ImageRef
from pinlint.registry.cache import DigestCache, cache_dir
from pinlint.registry.manifest import Log, Manifest, ResolveError

CACHE_KEY_VERSION = "v1"


class ResolveReport:
    """Answers and one-line failures, keyed by `str(ref)`; how many requests were sent, how many
    answers came from the cache and the age in seconds of the oldest of them (None: none did);
    `unanswered`: host → why it did not answer; `skipped`: the keys of the references not tried
    because of that (their errors say so; a command may print one line per host instead)."""

    __slots__ = ("cache_age", "cached", "errors", "manifests", "requests", "skipped", "unanswered")

    def __init__(self) -> None:
        self.manifests: dict[str, Manifest] = {}
        self.errors: dict[str, str] = {}
        self.requests = 0
        self.cached = 0
        self.cache_age: float | None = None
        self.unanswered: dict[str, str] = {}
        self.skipped: dict[str, str] = {}  # str(ref) → host

    def cache_summary(self) -> str:
        """`3 answers from the cache (the oldest 42 s old)`, for -v (the wording bench/resolve.py reads)."""
        age = f" (the oldest {self.cache_age:.0f} s old)" if self.cache_age is not None else ""
        return f"{self.cached} answers from the cache{age}"


def _cache_key(ref: ImageRef) -> str:
    return f"{CACHE_KEY_VERSION}|{ref.registry_host}/{ref.path}:{ref.tag or 'latest'}"


def _request_key(ref: ImageRef) -> str:
    """What is asked of the registry: references with the same key get the same answer."""
    if ref.digest is not None:
        return f"{ref.registry_host}/{ref.path}@{ref.digest}"
    return f"{ref.registry_host}/{ref.path}:{ref.tag or 'latest'}"


def _masker(secrets: Callable[[], list[str]]) -> Callable[[str], str]:
    def mask(text: str) -> str:
        for secret in secrets():
            if len(secret) >= 4 and secret in text:
                text = text.replace(secret, "***")
        return text

    return mask


class _Progress:
    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None and total >= 10 and stream.isatty() else None

    def draw(self) -> None:
        if self.stream is not None:
            width = 30
            filled = width * self.done // self.total
            self.stream.write(f"\rResolving [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
            self.stream.flush()

    def step(self) -> None:
        self.done += 1
        self.draw()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _from_cache(
    groups: list[list[ImageRef]],
    cache: DigestCache | None,
    *,
    read_cache: bool,
    want_platforms: bool,
    own_platform: bool = False,
    report: ResolveReport,
    progress: _Progress,
) -> list[list[ImageRef]]:
    """Fill the report from the cache; the groups still to fetch."""
    pending: list[list[ImageRef]] = []
    now = time.time()
    for group in groups:
        ref = group[0]
        readable = cache is not None and read_cache and ref.digest is None and not want_platforms and not own_platform
        cached = cache.get(_cache_key(ref)) if cache is not None and readable else None
        if cached is not None:
            for each in group:
                report.manifests[str(each)] = Manifest(cached.digest, cached.media_type, cached.size)
            report.cached += 1
            age = max(0.0, now - cached.stored_at)
            report.cache_age = age if report.cache_age is None else max(report.cache_age, age)
            progress.step()
        else:
            pending.append(group)
    return pending


MAX_WORKERS = 64  # threads resolving at once, whatever the hosts' concurrency adds up to


def _fetch(
    pending: list[list[ImageRef]],
    config: Config,
    *,
    cache: DigestCache | None,
    want_platforms: bool,
    own_platform: bool,
    env: Mapping[str, str] | None,
    log: Log,
    progress: _Progress,
    report: ResolveReport,
) -> None:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from pinlint.registry.client import HostDown, RegistryClient  # httpx: only when something is not cached

    holder: list[RegistryClient] = []
    mask = _masker(lambda: holder[0].secrets() if holder else [])
    # a log that shows less than every request (-vv) is not sent the per-request lines at all
    log_level = log.verbosity if isinstance(log, StderrLog) else 2
    client = RegistryClient(config, env=env, log=lambda level, message: log(level, mask(message)), log_level=log_level)
    holder.append(client)
    client.plan([group[0] for group in pending])

    def one(group: list[ImageRef]) -> Manifest | Exception:
        try:
            return client.manifest(group[0], want_platforms=want_platforms, own_platform=own_platform)
        except (ResolveError, PinlintError) as exc:
            return exc
        except Exception as exc:  # never a traceback: one line for this reference
            return ResolveError(f"internal error ({exc.__class__.__name__}: {exc})")

    def record(group: list[ImageRef], outcome: Manifest | Exception) -> None:
        if isinstance(outcome, PinlintError):
            raise outcome
        if isinstance(outcome, HostDown):
            report.unanswered[outcome.host] = mask(outcome.reason)
            for each in group:
                report.skipped[str(each)] = outcome.host
        if isinstance(outcome, Exception):
            for each in group:
                report.errors[str(each)] = mask(str(outcome))
            return
        for each in group:
            report.manifests[str(each)] = outcome
        ref = group[0]
        if cache is not None and ref.digest is None:
            cache.put(_cache_key(ref), outcome.digest, outcome.media_type, outcome.size)

    hosts = {client.api_host(group[0]) for group in pending}
    workers = min(len(pending), MAX_WORKERS, config.registry.concurrency * len(hosts))
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pinlint-resolve")
    try:
        futures = {pool.submit(one, group): i for i, group in enumerate(pending)}
        for future in as_completed(futures):
            record(pending[futures[future]], future.result())
            progress.step()
    except BaseException:  # ^C, or an error to report: what is under way stops at its next wait
        client.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # nothing new starts
        client.close()
        report.requests = client.requests


def resolve_digests(
    refs: Iterable[ImageRef],
    config: Config,
    *,
    use_cache: bool = True,
    read_cache: bool = True,
    want_platforms: bool = False,
    own_platform: bool = False,
    env: Mapping[str, str] | None = None,
    log: Log | None = None,
    progress: TextIO | None = None,
) -> ResolveReport:
    """Resolve each distinct reference once; the report is keyed by `str(ref)` of every reference given.
    `read_cache=False` asks the registry even for fresh cached answers (and still records them).
    `want_platforms`: the children of indexes; with `own_platform` also the platform of
    single-platform images (from their config blobs)."""
    groups: dict[str, list[ImageRef]] = {}
    seen: set[str] = set()
    for ref in refs:
        if str(ref) not in seen:
            seen.add(str(ref))
            groups.setdefault(_request_key(ref), []).append(ref)
    bar = _Progress(len(groups), progress)
    report = ResolveReport()
    cache = DigestCache(cache_dir(env), config.registry.cache_ttl) if use_cache else None
    bar.draw()  # at once, not at the first answer
    try:
        pending = _from_cache(
            list(groups.values()),
            cache,
            read_cache=read_cache,
            want_platforms=want_platforms,
            own_platform=own_platform,
            report=report,
            progress=bar,
        )
        if pending:  # the HTTP client is imported only now
            _fetch(
                pending,
                config,
                cache=cache,
                want_platforms=want_platforms,
                own_platform=own_platform,
                env=env,
                log=log or (lambda level, message: None),
                progress=bar,
                report=report,
            )
    finally:
        bar.close()
        if cache is not None:
            cache.save()
    for host, reason in sorted(report.unanswered.items()):  # after the progress bar is gone
        count = sum(1 for each in report.skipped.values() if each == host)
        (log or (lambda level, message: None))(
            0, f"{host} did not answer ({reason}); skipped {count} other reference{'s' if count != 1 else ''} to it"
        )
    return report


class StderrLog:
    """Log lines up to `verbosity` on stderr (1: -v, 2: -vv, every request)."""

    __slots__ = ("verbosity",)

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity

    def __call__(self, level: int, message: str) -> None:
        if level <= self.verbosity:
            from pinlint.report.escape import printable  # names and answers from outside: escaped

            # one write per line: worker threads log too, and print() writes the newline apart
            sys.stderr.write(f"pinlint: {printable(message)}\n")


def stderr_log(verbosity: int) -> Callable[[int, str], None]:
    return StderrLog(verbosity)
