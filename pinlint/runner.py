"""One `check` pass: read each file, parse it by kind, lint it, collect the results.

A file that cannot be read or decoded becomes a PIN900 diagnostic and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pinlint import engine
from pinlint.config import Config
from pinlint.discover import DOCKERFILE, SourceFile
from pinlint.model import FileFacts, PinIntent, Span, TextIndex
from pinlint.report import RunResult
from pinlint.sources import text as source_text
from pinlint.sources.dockerfile import parse_dockerfile

Parser = Callable[[str, str], FileFacts]
PARSERS: dict[str, Parser] = {DOCKERFILE: parse_dockerfile}


@dataclass
class CheckOutcome:
    result: RunResult = field(default_factory=RunResult)
    intents: list[PinIntent] = field(default_factory=list)
    facts: list[FileFacts] = field(default_factory=list)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _error_facts(display: str, message: str, line: int = 1, column: int = 1) -> FileFacts:
    facts = FileFacts(path=display, text="", index=TextIndex(""))
    facts.errors.append((Span(line, column, line, column, 0, 0), message))
    return facts


def parse_source(display: str, kind: str, load: Callable[[], source_text.SourceText]) -> FileFacts:
    try:
        source = load()
    except source_text.DecodeError as exc:
        return _error_facts(display, str(exc), exc.line, exc.column)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _error_facts(display, f"cannot read file: {reason}")
    return PARSERS[kind](source.text, display)


def check_files(
    files: Iterable[tuple[SourceFile, Callable[[], source_text.SourceText]]],
    config: Config,
    selection: engine.Selection,
) -> CheckOutcome:
    outcome = CheckOutcome()
    for source, load in files:
        if source.kind not in PARSERS:
            continue
        facts = parse_source(source.display, source.kind, load)
        codes = selection.for_file(_relative(source.path, config.root))
        diagnostics, intents = engine.lint(facts, config, codes)
        outcome.result.diagnostics.extend(diagnostics)
        outcome.result.files_checked += 1
        outcome.intents.extend(intents)
        outcome.facts.append(facts)
    return outcome
