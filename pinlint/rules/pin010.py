"""PIN010 stale-digest: the tag now points to another digest than the one pinned (online)."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity
from pinlint.rules._image import shown
from pinlint.rules._online import RegistryView, short
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN010"
NAME = "stale-digest"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = "`pinlint update` replaces the digest with the one the tag points to now"
SUMMARY = "The tag now points to another digest than the pinned one (checked with --online)"
TARGET = "online"


def check(item: RegistryView, ctx: RuleContext) -> Iterator[Finding]:
    if not item.pinned_exists or item.tag_digest is None or item.tag_digest == item.pinned:
        return
    if item.tag_platforms and item.pinned in item.tag_platforms.values():
        return  # a child of the tag's index: PIN012 says so
    yield Finding(
        item.use.span,
        f"Image '{shown(item.use)}': the tag now points to {short(item.tag_digest)}, "
        f"not the pinned {short(item.pinned)} (run `pinlint update`)",
        use=item.use,
    )
