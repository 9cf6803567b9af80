"""PIN900 parse-error: a file, or a reference in it, that could not be read or parsed."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity, Span
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN900"
NAME = "parse-error"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "File or reference could not be decoded or parsed"
TARGET = "source"


def check(item: tuple[Span, str], ctx: RuleContext) -> Iterator[Finding]:
    span, message = item
    if getattr(message, "code", CODE) == CODE:  # PIN901/PIN902 messages are theirs
        yield Finding(span, message)
