"""The pass that check, fix, update and lock share, and the one way commands ask registries.

`collect` loads the configuration's lock file, discovers the files (or reads stdin), parses and
lints them; path errors are returned, not raised (the run goes on). `resolve` / `resolver` go
through `pinlint.resolve` (imported only when called, so `check` never loads the HTTP client).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pinlint import config as config_mod
from pinlint import discover, engine, runner
from pinlint.config import Config
from pinlint.errors import UsageError
from pinlint.model import Diagnostic, ImageUse, Severity
from pinlint.reference import ImageRef
from pinlint.sources import text as source_text
from pinlint.sources.registry import KINDS

if TYPE_CHECKING:
    from pinlint import lockfile
    from pinlint.registry.manifest import Manifest
    from pinlint.resolve import ResolveReport

# (refs, want_platforms) -> (str(ref) → Manifest, str(ref) → reason)
Resolver = Callable[[list[ImageRef], bool], tuple[Mapping[str, "Manifest"], Mapping[str, str]]]


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


def load_config(
    config_file: str | None, use_config: bool, paths: Sequence[str] = (), *, stdin_filename: str | None = None
) -> Config:
    """The configuration found from the paths of the run (stdin: from --stdin-filename's place)."""
    if "-" in paths and stdin_filename:
        paths = [stdin_filename]
    return config_mod.load(config_file, use_config=use_config, paths=paths)


def split_codes(values: Sequence[str] | None) -> list[str] | None:
    """`--select A,B --select C` → [A, B, C]; None when the option was not given."""
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


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
    paths: Sequence[str],
    *,
    stdin_filename: str | None = None,
    stdin_data: bytes | None = None,
) -> Collected:
    """Discover, parse and lint; path errors are returned, not raised (the run goes on).
    With the path '-', the file is stdin (or `stdin_data`, already read), named `stdin_filename`."""
    paths = list(paths) or ["."]
    lock = load_lock(config)
    items: list[tuple[discover.SourceFile, runner.Loader]] = []
    errors: list[str] = []
    if "-" in paths:
        if len(paths) != 1:
            raise UsageError("'-' (stdin) cannot be combined with other paths")
        name = stdin_filename or "Dockerfile"
        data = sys.stdin.buffer.read() if stdin_data is None else stdin_data
        kind = KINDS.kind_for(Path(name), explicit=True, head=lambda: data)
        if kind is None:
            raise UsageError(f"--stdin-filename {name}: not a kind of file pinlint reads")
        items.append((discover.SourceFile(Path(name), name, kind), functools.partial(source_text.decode, data)))
    else:
        if stdin_filename:
            raise UsageError("--stdin-filename reads stdin: give '-' or no path")
        files, errors = discover.discover(paths, config)
        items = [(f, functools.partial(source_text.read, f.path)) for f in files]
    digests = {key: entry.digest for key, entry in lock.items()} if lock is not None else None
    outcome = runner.check_files(items, config, selection, digests)
    return Collected(config, outcome, errors, lock)


def refuse_stdin(paths: Sequence[str], command: str) -> None:
    if "-" in paths:
        raise UsageError(f"{command} rewrites files in place; give paths, not '-'")


def all_uses(collected: Collected) -> list[ImageUse]:
    """Every image use of the run with a parsed reference, once per place and value (a
    Dockerfile built with different build arguments names different images at one place)."""
    seen: set[tuple[str, int, int, str]] = set()
    uses = []
    for facts in collected.outcome.facts:
        for use in facts.images:
            key = (use.path, use.span.start, use.span.end, str(use.ref))
            if use.ref is not None and key not in seen:
                seen.add(key)
                uses.append(use)
    return uses


def at_or_above(diagnostics: list[Diagnostic], fail_level: Severity) -> bool:
    return any(d.severity >= fail_level for d in diagnostics)


def fail_level(given: str | None, config: Config) -> Severity:
    return Severity.parse(given) if given else config.fail_level


def relative_source(record_path: Path, base: Path) -> str:
    full = Path(os.path.abspath(record_path))
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return Path(os.path.relpath(full, base)).as_posix()


def resolve(
    config: Config,
    refs: list[ImageRef],
    *,
    use_cache: bool,
    verbose: int,
    want_platforms: bool = False,
    fresh: bool = False,
) -> ResolveReport:
    """Resolve through the cache; `fresh` asks the registry anyway (update, lock, --online: is the
    tag still there?). Progress and -v logging go to stderr while it runs."""
    from pinlint.resolve import resolve_digests, stderr_log

    return resolve_digests(
        refs,
        config,
        use_cache=use_cache,
        read_cache=not fresh,
        want_platforms=want_platforms,
        log=stderr_log(verbose),
        progress=sys.stderr,
    )


def resolver(config: Config, *, use_cache: bool, verbose: int) -> Resolver:
    """`resolve` with fresh answers, as the function `online.check_online` and `lock.build_lock` call."""

    def ask(refs: list[ImageRef], want_platforms: bool) -> tuple[Mapping[str, Manifest], Mapping[str, str]]:
        report = resolve(config, refs, use_cache=use_cache, verbose=verbose, want_platforms=want_platforms, fresh=True)
        return report.manifests, report.errors

    return ask


def describe_run(collected: Collected) -> list[str]:
    """`-v`: the configuration used, the project root and how many files of each kind were checked."""
    config = collected.config
    used = f"configuration {config.path}" if config.path is not None else "no configuration file (defaults)"
    kinds: dict[str, int] = {}
    for record in collected.outcome.sources.values():
        kinds[record.kind] = kinds.get(record.kind, 0) + 1
    counted = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "none"
    lock = lock_path(config)
    checked = collected.outcome.result.files_checked
    return [
        f"pinlint: {used}; project root {config.root}",
        f"pinlint: lock file {lock}{'' if collected.lock is not None else ' (none)'}",
        f"pinlint: {checked} file{'' if checked == 1 else 's'} checked ({counted})",
    ]
