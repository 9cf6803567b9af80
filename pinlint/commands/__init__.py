"""The commands, one module each: check, fix, update, lock, resolve, rule.

Each offers `run(options) -> Outcome`: it takes a typed options object (what the command
line gave, converted by `pinlint.cli`), does its work in one pass in one direction —
discover → parse → rules (offline) → [resolve once, deduplicated] → edits | lock | report —
and returns what happened. Commands print nothing and never exit; the CLI prints the
outcome and maps it to the exit code (live resolver progress on stderr is the exception).
`common` holds the pass that check, fix, update and lock share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pinlint.fix import Plan
    from pinlint.model import RunResult


class Outcome(NamedTuple):
    """What a command found and did, for the CLI to print and turn into an exit code."""

    findings: bool = False  # diagnostics at or above the fail level remain, or --diff would change something
    registry_failed: bool = False  # a registry could not answer for some reference
    usage_failed: bool = False  # a path given does not exist (the run went on with the others)
    errors: tuple[str, ...] = ()  # one line each (path errors first)
    report: RunResult | None = None  # diagnostics to report
    plan: Plan | None = None  # fix/update: the changes written (or shown with --diff) and the failures
    notes: tuple[str, ...] = ()  # summary lines
    output: str = ""  # the command's answer on stdout (resolve, rule, `fix -`)
    files_checked: int | None = None  # check, fix, update, lock: how many files the run found (0: warn)
    unfixed: bool = False  # fix: something could not be pinned (fails even with --exit-zero)
