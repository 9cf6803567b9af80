"""PIN901 build-error: a build a Compose file asks for cannot run (missing context or Dockerfile)."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity, Span
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN901"
NAME = "build-error"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "A build named by a Compose file cannot run: its context or Dockerfile is missing"
TARGET = "source"


def check(item: tuple[Span, str], ctx: RuleContext) -> Iterator[Finding]:
    span, message = item
    if getattr(message, "code", None) == CODE:
        yield Finding(span, message)
