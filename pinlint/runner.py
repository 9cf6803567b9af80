"""One `check` pass: read each file, parse it by kind, lint it, collect the results.

Which parser reads a file, and in which order kinds are read, is the source registry's
(`pinlint.sources.registry`). Kinds that name further files come first: a Compose file names
further Compose files (`include:`, `extends.file`), read at once, and the Dockerfiles it
builds, with build arguments. A file of a `per_context` kind (a Dockerfile) is parsed once per
distinct context it was named with (instead of once without any), and its findings are
reported at its own path, once. A file the run reads without a context is read with the
contexts the project's files name it with (the registry's project hooks: a Dockerfile checked
alone gets the build arguments of the Compose files that build it), and an image use that
names an image the project builds is no registry reference (dropped before the rules). A file
that cannot be read or decoded becomes a PIN900 diagnostic; a file named on the command line
that is not of its kind after all becomes PIN902; the run goes on.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from pinlint import engine
from pinlint.config import Config
from pinlint.discover import SourceFile, display_path, relative_to_root
from pinlint.model import CodedMessage, Diagnostic, FileFacts, PinIntent, RunResult, Span, TextIndex
from pinlint.sources import text as source_text
from pinlint.sources.registry import KINDS, Follow, ParseRun

Loader = Callable[[], source_text.SourceText]

# While files are checked the cyclic collector is paused: parsed data makes few or no cycles,
# and each automatic full collection rescans every object the run keeps (its diagnostics), so
# a run grew faster than its file count. A young-generation collection every this many files
# still bounds any cyclic garbage, at a cost proportional to what those files left alive.
COLLECT_EVERY = 500


class SourceRecord(NamedTuple):
    """A file as read: where it is on disk, its kind and decoded text (for `fix` to rewrite)."""

    path: Path
    kind: str
    text: str
    bom: bool


class CheckOutcome:
    """What a check pass found: the report, the pin intents, every file's facts and text."""

    __slots__ = ("facts", "intents", "result", "sources")

    def __init__(self) -> None:
        self.result = RunResult()
        self.intents: list[PinIntent] = []
        self.facts: list[FileFacts] = []
        self.sources: dict[str, SourceRecord] = {}  # by displayed path


def _relative(path: Path, root: Path) -> str:
    rel = relative_to_root(path, root)
    return rel if rel is not None else path.as_posix()


def reparse(text: str, record: SourceRecord) -> FileFacts:
    """Parse new text of a file the way the run read it (`fix` verifies its edits with it)."""
    return KINDS.reparse(text, record.kind, record.path)


def _error_facts(display: str, kind: str, message: str, line: int = 1, column: int = 1) -> FileFacts:
    facts = FileFacts(path=display, text="", index=TextIndex(""), kind=kind)
    facts.errors.append((Span(line, column, line, column, 0, 0), message))
    return facts


def _load(display: str, kind: str, load: Loader) -> source_text.SourceText | FileFacts:
    try:
        return load()
    except source_text.DecodeError as exc:
        return _error_facts(display, kind, str(exc), exc.line, exc.column)
    except source_text.OutsideProject as exc:
        return _error_facts(display, kind, str(exc.strerror))
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _error_facts(display, kind, f"cannot read file: {reason}")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Run:
    def __init__(
        self, config: Config, selection: engine.Selection, lock: Mapping[str, str] | None, keep_files: bool
    ) -> None:
        self.config = config
        self.lock = lock
        self.keep_files = keep_files
        self.selection = selection
        self.outcome = CheckOutcome()
        self.cwd = Path(os.getcwd()).absolute()
        self.seen: set[tuple[str, Path]] = set()
        self.reported: set[tuple[str, int, int, str, str]] = set()
        self.pending: dict[tuple[str, Path], list[object]] = {}  # per-context kinds: contexts named so far
        self.parsers = ParseRun(config, self.cwd)
        self.since_collect = 0

    def lint(self, facts: FileFacts, path: Path) -> None:
        codes = self.selection.for_file(_relative(path, self.config.root))
        facts.images[:] = [use for use in facts.images if not KINDS.built_locally(use, self.parsers)]
        diagnostics = engine.lint(facts, self.config, codes, lock=self.lock)
        fresh: list[Diagnostic] = []
        for d in diagnostics:
            key = (d.path, d.span.start, d.span.end, d.code, d.message)
            if key not in self.reported:
                self.reported.add(key)
                fresh.append(d)
        self.outcome.result.diagnostics.extend(fresh)
        self.outcome.intents.extend(PinIntent(d.use) for d in fresh if d.fixable and d.use is not None)
        if self.keep_files:
            self.outcome.facts.append(facts)

    def check(self, source: SourceFile, load: Loader, contexts: list[object]) -> None:
        """Read, parse and lint one file; follow the files it names."""
        kind = KINDS[source.kind]
        if not kind.per_context:
            key = (kind.name, Path(os.path.realpath(source.path)))
            if key in self.seen:
                return
            self.seen.add(key)
        self.since_collect += 1
        if self.since_collect >= COLLECT_EVERY:
            self.since_collect = 0
            gc.collect(1)
        loaded = _load(source.display, kind.name, load)
        if isinstance(loaded, FileFacts):
            self.outcome.result.files_checked += 1
            self.lint(loaded, source.path)
            return
        if self.keep_files:
            self.outcome.sources[source.display] = SourceRecord(source.path, kind.name, loaded.text, loaded.bom)
        parsed = KINDS.module(kind.name).parse(loaded.text, source.path, source.display, contexts, self.parsers)
        if not parsed.checked:
            if source.explicit:  # named on the command line: say why nothing was checked
                message = CodedMessage(f"not a file kind pinlint reads: {parsed.reason} (nothing checked)", "PIN902")
                self.outcome.result.files_checked += 1
                self.lint(_error_facts(source.display, kind.name, message), source.path)
            return
        self.outcome.result.files_checked += 1
        for facts in parsed.facts:
            self.lint(facts, source.path)
        for follow in parsed.follows:
            self.follow(follow)

    def follow(self, follow: Follow) -> None:
        if KINDS[follow.kind].per_context:
            self.pending.setdefault((follow.kind, follow.path.resolve()), []).append(follow.context)
            return
        shown = SourceFile(follow.path, display_path(follow.path, self.cwd), follow.kind)
        self.check(shown, functools.partial(source_text.read_inside, follow.path, self.config.roots), [follow.context])


def check_files(
    items: Iterable[tuple[SourceFile, Loader]],
    config: Config,
    selection: engine.Selection,
    lock: Mapping[str, str] | None = None,
    *,
    keep_files: bool = True,
) -> CheckOutcome:
    """Check every file, kind by kind in the registry's order; `lock` (canonical name:tag →
    digest) feeds PIN008. With `keep_files=False` (a plain `check`: nothing reads them after the
    pass) each file's parsed facts and text are dropped as soon as it is linted, instead of
    staying alive for the run (tens of kilobytes per file); `outcome.facts` and
    `outcome.sources` then stay empty."""
    run = _Run(config, selection, lock, keep_files)
    by_kind: dict[str, list[tuple[SourceFile, Loader]]] = {}
    for source, load in items:
        by_kind.setdefault(source.kind, []).append((source, load))
    with _collector_paused():
        for kind in KINDS.kinds:
            for source, load in by_kind.get(kind.name, []):
                named = source.display != "-"
                contexts = run.pending.pop((kind.name, source.path.resolve()), []) if named and kind.per_context else []
                if not contexts and named:  # checked without the file that names it: as the project names it
                    contexts = KINDS.project_contexts(kind.name, source.path, run.parsers)
                run.check(source, load, contexts)
            for (pending_kind, path), contexts in list(run.pending.items()):
                if pending_kind == kind.name:  # named by another file, not found by discovery
                    del run.pending[(pending_kind, path)]
                    shown = SourceFile(path, display_path(path, run.cwd), kind.name)
                    run.check(shown, functools.partial(source_text.read_inside, path, run.config.roots), contexts)
    run.outcome.result.diagnostics.sort(key=lambda d: (d.path, d.span.line, d.span.column, d.code))
    return run.outcome
