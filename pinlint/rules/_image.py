"""Helpers shared by the image rules: how a reference is named in a message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pinlint.model import ImageUse

if TYPE_CHECKING:
    from pinlint.rules.base import RuleContext


def shown(use: ImageUse) -> str:
    """The reference as a reader should see it: the expanded value, or the text as written
    (also when the value depends on the build platform, so no stand-in value is shown)."""
    return use.value if use.value is not None and not use.platform_dependent else use.text


def covered_by_lock(use: ImageUse, ctx: RuleContext) -> bool:
    """A reference that cannot be pinned inline (composed, platform-dependent) counts as pinned
    when the lock file records it: the lock is how such references are pinned."""
    ref = use.ref
    return use.pin_span is None and ref is not None and ctx.lock is not None and ref.canonical_tagged in ctx.lock


def unpinned_suffix(use: ImageUse) -> str:
    """Why an unpinned reference cannot be fixed in place, if it cannot."""
    if use.pin_span is not None:
        return ""
    if use.platform_dependent:
        return " (depends on a platform argument; cover it with `pinlint lock`)"
    return " (composed from several parts; cover it with `pinlint lock`)"
