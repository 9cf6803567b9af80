"""One `check` pass: read each file, parse it by kind, lint it, collect the results.

Compose files come first: they name further Compose files (`include:`, `extends.file`) and
the Dockerfiles they build, with build arguments. A Dockerfile built by a Compose file is
parsed once per distinct set of build arguments (instead of once without any), and its
findings are reported at the Dockerfile's own path, once. A file that cannot be read or
decoded becomes a PIN900 diagnostic and the run goes on.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from pinlint import engine
from pinlint.config import Config
from pinlint.discover import COMPOSE, DOCKERFILE, SourceFile, display_path, relative_to_root
from pinlint.model import CodedMessage, Diagnostic, FileFacts, PinIntent, Span, TextIndex
from pinlint.report import RunResult
from pinlint.sources import text as source_text
from pinlint.sources.dockerfile import parse_dockerfile
from pinlint.sources.expand import Value
from pinlint.sources.project import ProjectBuilds, local_build, read_project

Loader = Callable[[], source_text.SourceText]
NOT_READ = CodedMessage("not a file kind pinlint reads: YAML without Compose services (nothing checked)", "PIN902")
Variant = tuple[dict[str, Value], frozenset[str]]  # build arguments, named contexts


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


def _error_facts(display: str, message: str, line: int = 1, column: int = 1, kind: str = DOCKERFILE) -> FileFacts:
    facts = FileFacts(path=display, text="", index=TextIndex(""), kind=kind)
    facts.errors.append((Span(line, column, line, column, 0, 0), message))
    return facts


def _load(display: str, kind: str, load: Loader) -> source_text.SourceText | FileFacts:
    try:
        return load()
    except source_text.DecodeError as exc:
        return _error_facts(display, str(exc), exc.line, exc.column, kind)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _error_facts(display, f"cannot read file: {reason}", kind=kind)


class _Run:
    def __init__(self, config: Config, selection: engine.Selection, lock: Mapping[str, str] | None) -> None:
        self.config = config
        self.lock = lock
        self.selection = selection
        self.outcome = CheckOutcome()
        self.cwd = Path(os.getcwd()).absolute()
        self.seen: set[tuple[str, Path]] = set()
        self.reported: set[tuple[str, int, int, str, str]] = set()
        self.builds: dict[Path, list[Variant]] = {}
        self._shell: dict[str, Value] | None = None
        self._project: ProjectBuilds | None = None

    def project(self) -> ProjectBuilds:
        """What the Compose files under the project root build (read once, whatever the paths)."""
        if self._project is None:
            self._project = read_project(self.config, self.shell(), self.cwd)
        return self._project

    def shell(self) -> dict[str, Value]:
        if self._shell is None:
            from pinlint.sources.compose import shell_environment

            self._shell = shell_environment()
        return self._shell

    def lint(self, facts: FileFacts, path: Path) -> None:
        codes = self.selection.for_file(_relative(path, self.config.root))
        local = self.project().local_images  # FROM/COPY --from a local build output: not a registry image
        facts.images[:] = [u for u in facts.images if u.kind.startswith("compose-") or local_build(u, local) is None]
        diagnostics, _ = engine.lint(facts, self.config, codes, lock=self.lock)
        fresh: list[Diagnostic] = []
        for d in diagnostics:
            key = (d.path, d.span.start, d.span.end, d.code, d.message)
            if key not in self.reported:
                self.reported.add(key)
                fresh.append(d)
        self.outcome.result.diagnostics.extend(fresh)
        self.outcome.intents.extend(PinIntent(d.use) for d in fresh if d.fixable and d.use is not None)
        self.outcome.facts.append(facts)

    def compose(
        self,
        source: SourceFile,
        load: Loader,
        inherited: Mapping[str, Value] | None = None,
        working_dir: Path | None = None,
    ) -> None:
        """Check a Compose file; `inherited` is the whole environment the file that includes or
        extends it gives it (see ComposeParser._related); otherwise its own `.env` and the shell."""
        from pinlint.sources.compose import parse_compose, project_environment

        key = (COMPOSE, Path(os.path.realpath(source.path)))
        if key in self.seen:
            return
        self.seen.add(key)
        loaded = _load(source.display, COMPOSE, load)
        if isinstance(loaded, FileFacts):
            self.outcome.result.files_checked += 1
            self.lint(loaded, source.path)
            return
        self.outcome.sources[source.display] = SourceRecord(source.path, COMPOSE, loaded.text, loaded.bom)
        location = source.path if source.display != "-" else None
        directory = source.path.absolute().parent
        if inherited is None and location is not None:  # included or extended by a project file
            inherited, working_dir = self.project().related.get(location.resolve(), (None, None))
        env = dict(inherited) if inherited is not None else project_environment(directory, self.shell())
        result = parse_compose(loaded.text, source.display, location, env, working_dir)
        if not result.is_compose and not result.facts.errors:
            if source.explicit:  # named on the command line: say why nothing was checked
                self.outcome.result.files_checked += 1
                self.lint(_error_facts(source.display, NOT_READ, kind=COMPOSE), source.path)
            return
        self.outcome.result.files_checked += 1
        for name, service in result.local_images.items():  # a Compose file outside the project root
            self.project().local_images.setdefault(name, f"{service} ({source.display})")
        local = self.project().local_images
        images = result.facts.images
        images[:] = [u for u in images if id(u) not in result.never_pulled or local_build(u, local) is None]
        self.lint(result.facts, source.path)
        for build in result.builds:
            self.builds.setdefault(build.dockerfile.resolve(), []).append((dict(build.args), build.contexts))
        for related, variables in result.related:
            shown = SourceFile(related, display_path(related, self.cwd), COMPOSE)
            working_dir = result.working_dirs.get(related.resolve())
            self.compose(shown, functools.partial(source_text.read, related), variables, working_dir)

    def dockerfile(self, source: SourceFile, load: Loader, variants: list[Variant]) -> None:
        loaded = _load(source.display, DOCKERFILE, load)
        self.outcome.result.files_checked += 1
        if isinstance(loaded, FileFacts):
            self.lint(loaded, source.path)
            return
        self.outcome.sources[source.display] = SourceRecord(source.path, DOCKERFILE, loaded.text, loaded.bom)
        for args, contexts in variants or [({}, frozenset())]:
            self.lint(parse_dockerfile(loaded.text, source.display, args, contexts), source.path)


def _distinct(variants: list[Variant]) -> list[Variant]:
    """Build variants with the same argument values and contexts once each, in first-seen order."""
    seen: dict[tuple[tuple[tuple[str, str], ...], frozenset[str]], Variant] = {}
    for args, contexts in variants:
        seen.setdefault((tuple(sorted((k, v.text) for k, v in args.items())), contexts), (args, contexts))
    return list(seen.values())


def check_files(
    items: Iterable[tuple[SourceFile, Loader]],
    config: Config,
    selection: engine.Selection,
    lock: Mapping[str, str] | None = None,
) -> CheckOutcome:
    """Check every file; `lock` (canonical name:tag → digest) feeds PIN008."""
    run = _Run(config, selection, lock)
    dockerfiles: list[tuple[SourceFile, Loader]] = []
    for source, load in items:
        if source.kind == COMPOSE:
            run.compose(source, load)
        else:
            dockerfiles.append((source, load))
    for source, load in dockerfiles:
        variants = run.builds.pop(source.path.resolve(), []) if source.display != "-" else []
        if not variants and source.display != "-":  # checked without the Compose file that builds it
            variants = run.project().builds.get(source.path.resolve(), [])
        run.dockerfile(source, load, _distinct(variants))
    for path, variants in run.builds.items():  # built by a Compose file, not found by discovery
        shown = SourceFile(path, display_path(path, run.cwd), DOCKERFILE)
        run.dockerfile(shown, functools.partial(source_text.read, path), _distinct(variants))
    run.outcome.result.diagnostics.sort(key=lambda d: (d.path, d.span.line, d.span.column, d.code))
    return run.outcome
