"""PIN011 missing-digest: the pinned digest no longer exists in the registry (online)."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity
from pinlint.rules._image import shown
from pinlint.rules._online import RegistryView, short
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN011"
NAME = "missing-digest"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "The pinned digest no longer exists in the registry (checked with --online)"
TARGET = "online"


def check(item: RegistryView, ctx: RuleContext) -> Iterator[Finding]:
    if item.pinned_exists:
        return
    if item.tag_digest:
        now = f"; the tag points to {short(item.tag_digest)} now (run `pinlint update`)"
    elif item.tag_missing:
        now = "; neither does the tag"
    else:
        now = ""
    yield Finding(
        item.use.span,
        f"Image '{shown(item.use)}': the pinned digest {short(item.pinned)} no longer exists in the registry{now}",
        use=item.use,
    )
