"""PIN002 missing-tag: no tag and no digest, so the implicit `latest` is used."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import covered_by_lock, shown, unpinned_suffix
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN002"
NAME = "missing-tag"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True
FIX = "`pinlint fix` appends the digest that `latest` points to now"
SUMMARY = "Image has neither a tag nor a digest (implicitly `latest`)"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    ref = item.ref
    if ref is None or ref.digest is not None or ref.tag is not None or covered_by_lock(item, ctx):
        return
    yield Finding(
        item.span,
        f"Image '{shown(item)}' has no tag (implicitly 'latest') and is not pinned to a digest{unpinned_suffix(item)}",
        fixable=item.pin_span is not None,
        use=item,
    )
