"""PIN903 template-not-checked: a Helm template is not YAML, so its images are not read."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity, Span
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN903"
NAME = "template-not-checked"
SEVERITY = Severity.INFO
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "A Helm template is not YAML: its images are not checked (its chart's values are)"
TARGET = "source"


def check(item: tuple[Span, str], ctx: RuleContext) -> Iterator[Finding]:
    span, message = item
    if getattr(message, "code", None) == CODE:
        yield Finding(span, message)
