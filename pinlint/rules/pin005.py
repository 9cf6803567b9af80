"""PIN005 digest-without-tag: `name@sha256:…` with no tag to tell readers the version."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import shown
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN005"
NAME = "digest-without-tag"
SEVERITY = Severity.INFO
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "Image is pinned to a digest but has no tag, so readers cannot tell the version"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    ref = item.ref
    if ref is None or ref.digest is None or ref.tag is not None:
        return
    yield Finding(item.span, f"Image '{shown(item)}' is pinned to a digest without a tag", use=item)
