"""PIN012 platform-digest: one platform's manifest is pinned although the tag is multi-platform (online)."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity
from pinlint.rules._image import shown
from pinlint.rules._online import RegistryView, short
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN012"
NAME = "platform-digest"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = "`pinlint update` replaces the platform digest with the index digest"
SUMMARY = "The pinned digest is one platform's manifest of a multi-platform tag (checked with --online)"
TARGET = "online"


def check(item: RegistryView, ctx: RuleContext) -> Iterator[Finding]:
    if not item.tag_platforms or item.tag_digest is None:
        return
    platform = next((p for p, d in sorted(item.tag_platforms.items()) if d == item.pinned), None)
    if platform is None:
        return
    yield Finding(
        item.use.span,
        f"Image '{shown(item.use)}': the pinned {short(item.pinned)} is the {platform} manifest of a "
        f"multi-platform tag; pin the index {short(item.tag_digest)} so every platform builds",
        use=item.use,
    )
