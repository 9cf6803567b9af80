"""What the online rules look at: one pinned reference and what the registry says about it now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from pinlint.model import ImageUse
from pinlint.registry.media import INDEX_TYPES


class RegistryView(NamedTuple):
    """`tag_*` describe what the reference's tag points to now (None when it has no tag);
    `pinned_*` describe the pinned digest (`pinned_exists` False when the registry says it is gone);
    `tag_missing` is True when the registry says the tag does not exist (any more)."""

    use: ImageUse
    pinned: str
    pinned_exists: bool
    pinned_media_type: str | None = None
    pinned_platforms: Mapping[str, str] | None = None
    tag_digest: str | None = None
    tag_platforms: Mapping[str, str] | None = None
    tag_missing: bool = False
    pinned_platform: str | None = None  # a single-platform image's own, from its config (when asked)


INDEX_MEDIA_TYPES = INDEX_TYPES


def short(digest: str) -> str:
    return digest[:19] + "…"
