"""PIN902 not-checked: a file named on the command line is not a kind pinlint reads."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity, Span
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN902"
NAME = "not-checked"
SEVERITY = Severity.INFO
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "A file named on the command line is not a kind pinlint reads"
TARGET = "source"


def check(item: tuple[Span, str], ctx: RuleContext) -> Iterator[Finding]:
    span, message = item
    if getattr(message, "code", None) == CODE:
        yield Finding(span, message)
