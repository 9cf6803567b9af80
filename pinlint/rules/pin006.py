"""PIN006 variable-tag-with-digest: a literal digest next to a name or tag from a variable."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN006"
NAME = "variable-tag-with-digest"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "Digest written next to a tag that comes from a variable"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    if not item.variable_tag_with_literal_digest:
        return
    yield Finding(
        item.span,
        f"Image '{item.text}' has a literal digest but its tag comes from a variable; "
        "changing the variable silently keeps the old image",
        use=item,
    )
