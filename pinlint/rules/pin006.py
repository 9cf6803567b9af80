"""PIN006 variable-tag-with-digest: a literal digest next to a name or tag from a variable.

The source says what the reference would read with other values for its variables
(`ImageUse.varied_value`); the digest is literal when it stays, the tag variable when it moves.
"""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules.base import Finding, RuleContext
from pinlint.sources.expand import digest_part, tag_part

CODE = "PIN006"
NAME = "variable-tag-with-digest"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "Digest written next to a tag that comes from a variable"
TARGET = "image"


def literal_digest_with_variable_tag(use: ImageUse) -> bool:
    """Whether other variable values would change the tag but keep the written digest."""
    other, value = use.varied_value, use.value
    if other is None or value is None or use.ref is None or use.ref.digest is None:
        return False
    return digest_part(other) == digest_part(value) and tag_part(other) != tag_part(value)


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    if not literal_digest_with_variable_tag(item):
        return
    yield Finding(
        item.span,
        f"Image '{item.text}' has a literal digest but its tag comes from a variable; "
        "changing the variable silently keeps the old image",
        use=item,
    )
