"""PIN001 latest-tag: an explicit `:latest` with no digest."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import covered_by_lock, shown, unpinned_suffix
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN001"
NAME = "latest-tag"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True
FIX = "`pinlint fix` appends the digest the tag points to now"
SUMMARY = "Image uses the mutable tag `latest` and no digest"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    ref = item.ref
    if ref is None or ref.digest is not None or ref.tag != "latest" or covered_by_lock(item, ctx):
        return
    yield Finding(
        item.span,
        f"Image '{shown(item)}' uses the mutable tag 'latest' and is not pinned to a digest{unpinned_suffix(item)}",
        fixable=item.pin_span is not None,
        use=item,
    )
