"""PIN003 unpinned-tag: a tag other than `latest` but no digest."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import covered_by_lock, shown, unpinned_suffix
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN003"
NAME = "unpinned-tag"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True
FIX = "`pinlint fix` appends the digest the tag points to now, keeping the tag"
SUMMARY = "Image has a tag but no digest"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    ref = item.ref
    if ref is None or ref.digest is not None or ref.tag is None or ref.tag == "latest" or covered_by_lock(item, ctx):
        return
    yield Finding(
        item.span,
        f"Image '{shown(item)}' is not pinned to a digest{unpinned_suffix(item)}",
        fixable=item.pin_span is not None,
        use=item,
    )
