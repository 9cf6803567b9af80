"""PIN004 unresolved-variable: a reference built from a variable that has no value."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN004"
NAME = "unresolved-variable"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "Image depends on a variable with no default or value, so it cannot be checked"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    if not item.unresolved:
        return
    names = ", ".join(f"'{name}'" for name in item.unresolved)
    plural = "s" if len(item.unresolved) > 1 else ""
    yield Finding(
        item.span,
        f"Image '{item.text}' depends on variable{plural} {names} with no default or value; it cannot be checked",
        use=item,
    )
