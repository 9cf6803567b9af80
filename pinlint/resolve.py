"""One batched pass from references to digests: deduplicated, cached, concurrent.

Every reference of a run goes through `resolve_digests` once: duplicates (the same canonical
reference in many files) are resolved once, answers younger than `cache-ttl` come from the
on-disk cache, and the rest are fetched concurrently (bounded per registry host) by the
registry client. Failures are collected per reference as one-line reasons.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from pinlint.config import Config
from pinlint.reference import ImageRef
from pinlint.registry.cache import DigestCache, cache_dir
from pinlint.registry.client import Log, Manifest, RegistryClient, ResolveError

CACHE_KEY_VERSION = "v1"


@dataclass
class ResolveReport:
    manifests: dict[str, Manifest] = field(default_factory=dict)  # str(ref) → answer
    errors: dict[str, str] = field(default_factory=dict)  # str(ref) → one-line reason
    requests: int = 0
    cached: int = 0


def _cache_key(ref: ImageRef) -> str:
    return f"{CACHE_KEY_VERSION}|{ref.name}:{ref.tag or 'latest'}"


class _Progress:
    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None and total >= 10 and stream.isatty() else None

    def step(self) -> None:
        self.done += 1
        if self.stream is not None:
            width = 30
            filled = width * self.done // self.total
            self.stream.write(f"\rResolving [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


async def _resolve_all(
    refs: list[ImageRef],
    config: Config,
    *,
    use_cache: bool,
    read_cache: bool,
    want_platforms: bool,
    env: Mapping[str, str] | None,
    log: Log,
    progress: _Progress,
) -> ResolveReport:
    report = ResolveReport()
    cache = DigestCache(cache_dir(env), config.registry.cache_ttl) if use_cache else None
    pending: list[ImageRef] = []
    for ref in refs:
        readable = cache is not None and read_cache and ref.digest is None and not want_platforms
        cached = cache.get(_cache_key(ref)) if cache is not None and readable else None
        if cached is not None:
            report.manifests[str(ref)] = Manifest(cached.digest, cached.media_type, cached.size)
            report.cached += 1
            progress.step()
        else:
            pending.append(ref)
    if not pending:
        return report
    client = RegistryClient(config, env=env, log=log)
    client.plan(pending)

    async def one(ref: ImageRef) -> None:
        try:
            manifest = await client.manifest(ref, want_platforms=want_platforms)
        except ResolveError as exc:
            report.errors[str(ref)] = str(exc)
        else:
            report.manifests[str(ref)] = manifest
            if cache is not None and ref.digest is None:
                cache.put(_cache_key(ref), manifest.digest, manifest.media_type, manifest.size)
        finally:
            progress.step()

    try:
        await asyncio.gather(*(one(ref) for ref in pending))
    finally:
        await client.close()
        report.requests = client.requests
        if cache is not None:
            cache.save()
    return report


def resolve_digests(
    refs: Iterable[ImageRef],
    config: Config,
    *,
    use_cache: bool = True,
    read_cache: bool = True,
    want_platforms: bool = False,
    env: Mapping[str, str] | None = None,
    log: Log | None = None,
    progress: TextIO | None = None,
) -> ResolveReport:
    """Resolve each distinct reference once; the report is keyed by `str(ref)`.
    `read_cache=False` asks the registry even for fresh cached answers (and still records them)."""
    unique = list({str(ref): ref for ref in refs}.values())
    bar = _Progress(len(unique), progress)
    try:
        return asyncio.run(
            _resolve_all(
                unique,
                config,
                use_cache=use_cache,
                read_cache=read_cache,
                want_platforms=want_platforms,
                env=env,
                log=log or (lambda level, message: None),
                progress=bar,
            )
        )
    finally:
        bar.close()


def stderr_log(verbosity: int) -> Callable[[int, str], None]:
    def log(level: int, message: str) -> None:
        if level <= verbosity:
            print(f"pinlint: {message}", file=sys.stderr)

    return log
