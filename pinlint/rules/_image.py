"""Helpers shared by the image rules: how a reference is named in a message."""

from __future__ import annotations

from pinlint.model import ImageUse
from pinlint.reference import ImageRef


def ref_of(use: ImageUse) -> ImageRef | None:
    return use.ref if isinstance(use.ref, ImageRef) else None


def shown(use: ImageUse) -> str:
    """The reference as a reader should see it: the expanded value, or the text as written
    (also when the value depends on the build platform, so no stand-in value is shown)."""
    return use.value if use.value is not None and not use.platform_dependent else use.text


def unpinned_suffix(use: ImageUse) -> str:
    """Why an unpinned reference cannot be fixed in place, if it cannot."""
    if use.pin_span is not None:
        return ""
    if use.platform_dependent:
        return " (depends on a platform argument; cover it with `pinlint lock`)"
    return " (composed from several parts; cover it with `pinlint lock`)"
