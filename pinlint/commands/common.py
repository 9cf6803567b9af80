"""The pass that check, fix, update and lock share, and the one way commands ask registries.

`collect` loads the configuration's lock file, discovers the files (or reads stdin), parses and
lints them; path errors are returned, not raised (the run goes on). `resolve` / `resolver` go
through `pinlint.resolve` (imported only when called, so `check` never loads the HTTP client).
Discovery, the parsers and the rules are imported by `collect` only: `pinlint resolve`, which
reads no file, does not load them.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pinlint import config as config_mod
from pinlint import trust
from pinlint.config import Config
from pinlint.errors import ConfigError, UsageError
from pinlint.model import Diagnostic, ImageUse, Severity
from pinlint.reference import ImageRef
from pinlint.sources import text as source_text
from pinlint.trust import UserChoices

if TYPE_CHECKING:
    from pinlint import engine, lockfile, runner
    from pinlint.registry.manifest import Manifest
    from pinlint.resolve import ResolveReport



class Resolver(Protocol):
    """(refs, want_platforms, own_platform=…) → (str(ref) → Manifest, str(ref) → reason).
    `want_platforms`: an index's children; `own_platform`: a single image's own platform."""

    def __call__(
        self, refs: list[ImageRef], want_platforms: bool, *, own_platform: bool = False
    ) -> tuple[Mapping[str, Manifest], Mapping[str, str]]: ...


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
    config_file: str | None,
    use_config: bool,
    paths: Sequence[str] = (),
    *,
    stdin_filename: str | None = None,
    choices: UserChoices | None = None,
) -> Config:
    """The configuration found from the paths of the run (stdin: from --stdin-filename's place),
    as the user lets it apply (pinlint.trust)."""
    if "-" in paths and stdin_filename:
        paths = [stdin_filename]
    return trust.establish(config_mod.load(config_file, use_config=use_config, paths=paths), choices or UserChoices())


def split_codes(values: Sequence[str] | None) -> list[str] | None:
    """`--select A,B --select C` → [A, B, C]; None when the option was not given."""
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def project_root(config: Config) -> Path:
    """The directory the lock belongs to: the configuration file's, else the repository root
    (the nearest directory above the configuration root holding `.git`), else the configuration root."""
    if config.path is not None:
        return config.root
    directory = config.root
    while True:
        if (directory / ".git").exists():
            return directory
        if directory.parent == directory:
            return config.root
        directory = directory.parent


def lock_path(config: Config) -> Path:
    """The project's lock file, whatever the working directory."""
    return project_root(config) / config.lock_file


def lock_roots(config: Config, roots: Sequence[Path]) -> tuple[Path, ...]:
    """Where the lock may be written: the project (`roots`), or with the user's consent to the
    project's configuration, the `lock-file` it names wherever that is."""
    if config.trusted:
        return (*roots, Path(os.path.abspath(lock_path(config))))
    return tuple(roots)


def load_lock(config: Config) -> dict[str, lockfile.LockEntry] | None:
    """The lock file's entries; None when there is none. One the operating system refuses (a name
    too long, a loop) or one reached through a symlink leading out of the project is an error."""
    path = lock_path(config)
    state = source_text.file_kind(path)
    if not state.is_file:
        if state.reason:
            raise ConfigError(f"lock-file {path}: {state.reason}")
        return None
    if not config.trusted and not source_text.inside(path, (Path(os.path.realpath(project_root(config))),)):
        raise ConfigError(f"lock-file: {source_text.outside_message(path)}")
    from pinlint import lockfile  # only when there is one: it brings datetime, tempfile, tomllib

    return lockfile.read(path)


def collect(
    config: Config,
    selection: engine.Selection,
    paths: Sequence[str],
    *,
    stdin_filename: str | None = None,
    keep_files: bool = True,
    stdin_data: bytes | None = None,
) -> Collected:
    """Discover, parse and lint; path errors are returned, not raised (the run goes on).
    `keep_files=False`: the caller reads neither `outcome.facts` nor `outcome.sources`. With the
    path '-', the file is stdin (or `stdin_data`, already read), named `stdin_filename`."""
    from pinlint import discover, runner
    from pinlint.sources import text as source_text
    from pinlint.sources.registry import KINDS

    paths = list(paths) or ["."]
    config = config._replace(roots=trust.project_roots(config, paths))
    lock = load_lock(config)
    items: list[tuple[discover.SourceFile, runner.Loader]] = []
    errors: list[str] = []
    # the project's Compose files (runner) come from discovery's walk when it walked the project root
    with discover.reusing_project_walk():
        if "-" in paths:
            if len(paths) != 1:
                raise UsageError("'-' (stdin) cannot be combined with other paths")
            name = stdin_filename or "Dockerfile"
            data = sys.stdin.buffer.read() if stdin_data is None else stdin_data
            kind = KINDS.kind_for(Path(name), explicit=True, head=lambda: data)
            if kind is None:
                raise UsageError(f"--stdin-filename {name}: not a kind of file pinlint reads")
            source = discover.SourceFile(Path(name), name, kind, explicit=True)
            items.append((source, functools.partial(source_text.decode, data)))
        else:
            if stdin_filename:
                raise UsageError("--stdin-filename reads stdin: give '-' or no path")
            files, errors = discover.discover(paths, config)
            items = [(f, functools.partial(source_text.read_inside, f.path, config.roots)) for f in files]
        digests = {key: entry.digest for key, entry in lock.items()} if lock is not None else None
        outcome = runner.check_files(items, config, selection, digests, keep_files=keep_files)
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
    own_platform: bool = False,
    fresh: bool = False,
) -> ResolveReport:
    """Resolve through the cache (answers younger than `cache-ttl`, 5 minutes by default); `fresh`
    asks the registry anyway (update, lock, --online: is the tag still there?). Progress and -v
    logging go to stderr while it runs; with -v, how many answers came from the cache and how
    old the oldest was."""
    from pinlint.report.escape import printable
    from pinlint.resolve import resolve_digests, stderr_log

    for warning in config.warnings:  # settings the run ignored or capped: said before any request
        print(f"pinlint: warning: {printable(warning)}", file=sys.stderr)

    report = resolve_digests(
        refs,
        config,
        use_cache=use_cache,
        read_cache=not fresh,
        want_platforms=want_platforms,
        own_platform=own_platform,
        log=stderr_log(verbose),
        progress=sys.stderr,
    )
    if verbose and refs:  # every resolving command says where its answers came from
        print(f"pinlint: {report.requests} registry requests, {report.cache_summary()}", file=sys.stderr)
    return report


def resolver(config: Config, *, use_cache: bool, verbose: int) -> Resolver:
    """`resolve` with fresh answers, as the function `online.check_online` and `lock.build_lock` call."""

    def ask(
        refs: list[ImageRef], want_platforms: bool, *, own_platform: bool = False
    ) -> tuple[Mapping[str, Manifest], Mapping[str, str]]:
        report = resolve(
            config,
            refs,
            use_cache=use_cache,
            verbose=verbose,
            want_platforms=want_platforms,
            own_platform=own_platform,
            fresh=True,
        )
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
