"""PIN013 missing-platform: the pinned index lacks a platform listed in `platforms` (online)."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity
from pinlint.platforms import platform_key_text
from pinlint.rules._image import shown
from pinlint.rules._online import RegistryView, short
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN013"
NAME = "missing-platform"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True  # only when `platforms` is set
FIX = None
SUMMARY = "The pinned image lacks a platform listed in `platforms` (checked with --online)"
TARGET = "online"


def check(item: RegistryView, ctx: RuleContext) -> Iterator[Finding]:
    wanted = ctx.config.platforms
    if not wanted or not item.pinned_exists or item.pinned_platforms is None:
        return
    missing = [p for p in wanted if platform_key_text(p) not in item.pinned_platforms]
    if not missing:
        return
    listed = ", ".join(missing)
    yield Finding(
        item.use.span,
        f"Image '{shown(item.use)}': the pinned {short(item.pinned)} has no {listed} image "
        f"(it has {', '.join(sorted(item.pinned_platforms)) or 'none'})",
        use=item.use,
    )
