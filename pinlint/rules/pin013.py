"""PIN013 missing-platform: the pinned index lacks a platform listed in `platforms` (online)."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import Severity
from pinlint.platforms import platform_key_text
from pinlint.rules._image import shown
from pinlint.rules._online import INDEX_MEDIA_TYPES, RegistryView, short
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN013"
NAME = "missing-platform"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True  # only when `platforms` is set
ACTIVE_WHEN = "`platforms` is set"  # shown by `pinlint rule --all` and the README table
FIX = None
SUMMARY = "The pinned image lacks a platform listed in `platforms` (checked with --online)"
TARGET = "online"


def check(item: RegistryView, ctx: RuleContext) -> Iterator[Finding]:
    wanted = ctx.config.platforms
    if not wanted or not item.pinned_exists:
        return
    if item.pinned_platforms is None:
        # A single-platform image provides one platform at most (its config blob says which):
        # with two or more wanted, some are certainly missing; with one, it must be that one.
        child_of_tag = bool(item.tag_platforms) and item.pinned in (item.tag_platforms or {}).values()
        single = bool(item.pinned_media_type) and item.pinned_media_type not in INDEX_MEDIA_TYPES
        own = item.pinned_platform
        if len(wanted) == 1 and single and own and platform_key_text(wanted[0]) != own and not child_of_tag:
            yield Finding(
                item.use.span,
                f"Image '{shown(item.use)}': the pinned {short(item.pinned)} is a single-platform image "
                f"for {own}; it does not provide {wanted[0]}",
                use=item.use,
            )
        if len(wanted) > 1 and single and not child_of_tag:  # a child of the tag's index: PIN012 says so
            yield Finding(
                item.use.span,
                f"Image '{shown(item.use)}': the pinned {short(item.pinned)} is a single-platform image; "
                f"it cannot provide all of {', '.join(wanted)}",
                use=item.use,
            )
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
