"""PIN100 unused-suppression: a `# pinlint: ignore` comment that silences nothing, or names a
code that is not a rule (like ruff's RUF100). Off by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pinlint.model import Severity, Span
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN100"
NAME = "unused-suppression"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "A suppression comment silences nothing, or names a code that is not a pinlint rule"
TARGET = "suppression"


class SuppressionUse(NamedTuple):
    """One suppression comment and what it did in this run (the engine fills it in)."""

    span: Span  # the comment, from its '#'
    text: str  # as written, after '#'
    blanket: bool  # no codes: every code
    unknown: tuple[str, ...]  # named codes that are no rule
    unused: tuple[str, ...]  # enabled codes it names that silenced nothing here
    silenced: bool  # it silenced at least one diagnostic


def check(item: SuppressionUse, ctx: RuleContext) -> Iterator[Finding]:
    for code in item.unknown:
        yield Finding(item.span, f"Unknown rule code '{code}' in suppression comment")
    if item.blanket:
        if not item.silenced:
            yield Finding(item.span, "Unused suppression: nothing is reported here to silence")
    elif item.unused:
        listed = ", ".join(item.unused)
        yield Finding(item.span, f"Unused suppression of {listed}: nothing is reported here to silence")
