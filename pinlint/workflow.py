"""The commands behind the CLI: check, fix, update, lock — each one pass in one direction.

discover → parse → rules (offline) → [resolve once, deduplicated] → edits | lock | report.
The CLI parses arguments and prints; everything it needs to run a command is here.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pinlint import discover, engine, runner
from pinlint.config import Config
from pinlint.model import Diagnostic, FileFacts, ImageUse
from pinlint.platforms import platform_key_text
from pinlint.reference import ImageRef
from pinlint.sources import text as source_text

if TYPE_CHECKING:
    from pinlint import lockfile


class Collected:
    """A check pass with its configuration, path errors and lock file (None when there is none)."""

    __slots__ = ("config", "lock", "outcome", "path_errors")

    def __init__(
        self,
        config: Config,
        outcome: runner.CheckOutcome,
        path_errors: list[str] | None = None,
        lock: dict[str, lockfile.LockEntry] | None = None,
    ) -> None:
        self.config = config
        self.outcome = outcome
        self.path_errors = path_errors if path_errors is not None else []
        self.lock = lock


def lock_path(config: Config) -> Path:
    return config.root / config.lock_file


def load_lock(config: Config) -> dict[str, lockfile.LockEntry] | None:
    path = lock_path(config)
    if not path.is_file():
        return None
    from pinlint import lockfile  # only when there is one: it brings datetime, tempfile, tomllib

    return lockfile.read(path)


def collect(
    config: Config,
    selection: engine.Selection,
    paths: list[str],
    *,
    stdin_filename: str | None = None,
    stdin: TextIO | None = None,
) -> Collected:
    """Discover, parse and lint; path errors are returned, not raised (the run goes on)."""
    from pinlint.errors import UsageError

    lock = load_lock(config)
    items: list[tuple[discover.SourceFile, runner.Loader]] = []
    errors: list[str] = []
    if "-" in paths:
        if len(paths) != 1:
            raise UsageError("'-' (stdin) cannot be combined with other paths")
        name = stdin_filename or "Dockerfile"
        kind = discover.kind_of(Path(name).name, explicit=True) or discover.DOCKERFILE
        data = (stdin or sys.stdin).buffer.read()
        source = discover.SourceFile(Path(name), name, kind, explicit=True)
        items.append((source, functools.partial(source_text.decode, data)))
    else:
        if stdin_filename:
            raise UsageError("--stdin-filename needs '-' as the path")
        files, errors = discover.discover(paths, config)
        items = [(f, functools.partial(source_text.read, f.path)) for f in files]
    digests = {key: entry.digest for key, entry in lock.items()} if lock is not None else None
    outcome = runner.check_files(items, config, selection, digests)
    return Collected(config, outcome, errors, lock)


def reparse(text: str, record: runner.SourceRecord) -> FileFacts:
    """Parse new text of a file the way the run read it."""
    if record.kind == discover.COMPOSE:
        from pinlint.sources.compose import parse_compose, project_environment, shell_environment

        env = project_environment(record.path.absolute().parent, shell_environment())
        return parse_compose(text, str(record.path), record.path, env).facts
    from pinlint.sources.dockerfile import parse_dockerfile

    return parse_dockerfile(text, str(record.path))


def all_uses(collected: Collected) -> list[ImageUse]:
    """Every image use of the run with a parsed reference, once per place and value (a
    Dockerfile built with different build arguments names different images at one place)."""
    seen: set[tuple[str, int, int, str]] = set()
    uses = []
    for facts in collected.outcome.facts:
        for use in facts.images:
            key = (use.path, use.span.start, use.span.end, str(use.ref))
            if isinstance(use.ref, ImageRef) and key not in seen:
                seen.add(key)
                uses.append(use)
    return uses


def fixed_positions(uses: list[ImageUse]) -> set[tuple[str, int, int]]:
    return {(u.path, u.span.start, u.span.end) for u in uses}


def remaining(diagnostics: list[Diagnostic], fixed: set[tuple[str, int, int]]) -> list[Diagnostic]:
    return [
        d
        for d in diagnostics
        if not (d.fixable and d.use is not None and (d.use.path, d.use.span.start, d.use.span.end) in fixed)
    ]


def relative_source(record_path: Path, base: Path) -> str:
    full = Path(os.path.abspath(record_path))
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return Path(os.path.relpath(full, base)).as_posix()


class LockOutcome:
    """The lock entries a `lock` run arrived at, and one line per reference it could not lock."""

    __slots__ = ("entries", "errors", "written")

    def __init__(self, entries: dict[str, lockfile.LockEntry]) -> None:
        self.entries = entries
        self.errors: list[str] = []
        self.written = False


def build_lock(
    collected: Collected,
    platforms: list[str],
    resolve: Callable[[list[ImageRef], bool], tuple[Mapping[str, object], Mapping[str, str]]],
) -> LockOutcome:
    """Lock entries for every tagged reference of the run; `resolve(refs, want_platforms)`
    returns (str(ref) → Manifest, str(ref) → reason)."""
    from pinlint import lockfile
    from pinlint.engine import _image_ignored
    from pinlint.registry.manifest import Manifest

    config = collected.config
    base = lock_path(config).parent
    existing = collected.lock or {}
    sources: dict[str, set[str]] = {}
    inline: dict[str, set[str]] = {}
    refs: dict[str, ImageRef] = {}
    for use in all_uses(collected):
        ref = use.ref
        assert isinstance(ref, ImageRef)
        if (ref.digest is not None and ref.tag is None) or _image_ignored(use, config.ignore_images):
            continue
        key = ref.canonical_tagged
        record = collected.outcome.sources.get(use.path)
        sources.setdefault(key, set()).add(relative_source(record.path, base) if record else use.path)
        refs.setdefault(key, ImageRef(ref.domain, ref.path, ref.tag or "latest", None))
        if ref.digest is not None:
            inline.setdefault(key, set()).add(ref.digest)
    outcome = LockOutcome({})
    to_resolve: dict[str, ImageRef] = {}
    for key, ref in refs.items():
        digests = inline.get(key, set())
        if len(digests) > 1:
            listed = ", ".join(sorted(digests))
            outcome.errors.append(f"{key}: pinned to different digests in different places ({listed})")
            continue
        if digests:
            to_resolve[key] = ImageRef(ref.domain, ref.path, ref.tag, next(iter(digests)))
        else:
            to_resolve[key] = ref
    manifests, errors = resolve(list(to_resolve.values()), bool(platforms))
    for key, ref in sorted(to_resolve.items()):
        answer = manifests.get(str(ref))
        if not isinstance(answer, Manifest):
            outcome.errors.append(f"{key}: {errors.get(str(ref), 'not resolved')}")
            if key in existing:
                outcome.entries[key] = existing[key]
            continue
        digest = ref.digest or answer.digest
        found: dict[str, str] = {}
        if platforms and not answer.is_index:
            # which platform a single manifest is for is in its config blob, which is not fetched
            listed = ", ".join(platforms)
            outcome.errors.append(f"{key}: a single-platform image, not an index; cannot record {listed}")
        elif platforms:
            available = dict(answer.platforms or {})
            for platform in platforms:
                wanted = platform_key_text(platform)
                if wanted not in available:
                    have = ", ".join(sorted(available)) or "none"
                    outcome.errors.append(f"{key}: platform {platform} is missing from the index (it has {have})")
                else:
                    found[platform] = available[wanted]
        previous = existing.get(key)
        resolved_at = previous.resolved_at if previous is not None and previous.digest == digest else lockfile.now()
        outcome.entries[key] = lockfile.LockEntry(
            reference=key,
            digest=digest,
            media_type=answer.media_type,
            resolved_at=resolved_at,
            sources=tuple(sorted(sources[key])),
            platforms=found,
        )
    return outcome


def _lock_tag(key: str) -> ImageRef | None:
    from pinlint import reference

    try:
        ref = reference.parse(key)
    except reference.ReferenceError:
        return None
    return ImageRef(ref.domain, ref.path, ref.tag or "latest", None)


def lock_tags(lock: Mapping[str, lockfile.LockEntry]) -> list[ImageRef]:
    """The tag of every lock entry, to re-resolve (`update`)."""
    return [tag for key in lock if (tag := _lock_tag(key)) is not None]


def refresh_lock(
    lock: Mapping[str, lockfile.LockEntry], manifests: Mapping[str, object]
) -> dict[str, lockfile.LockEntry]:
    """The lock after `update`: an entry whose tag now points to another digest (`manifests`:
    str(tag ref) → Manifest) takes that digest, its media type, a new resolved-at and, for
    the platforms it recorded, the new index's children (when the answer lists them).
    Every other entry stays as it is."""
    from pinlint import lockfile
    from pinlint.registry.manifest import Manifest

    refreshed = dict(lock)
    for key, entry in lock.items():
        answer = manifests.get(str(_lock_tag(key)))
        if not isinstance(answer, Manifest) or answer.digest == entry.digest:
            continue
        children = dict(answer.platforms or {})
        platforms = {p: children[platform_key_text(p)] for p in entry.platforms if platform_key_text(p) in children}
        refreshed[key] = lockfile.LockEntry(
            key, answer.digest, answer.media_type, lockfile.now(), entry.sources, platforms
        )
    return refreshed
