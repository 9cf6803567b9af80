"""PIN009 denied-tag: the tag matches a pattern in `denied-tags` (such as `edge` or `nightly*`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import shown
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN009"
NAME = "denied-tag"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True  # only when `denied-tags` is set; without it the rule has nothing to check
ACTIVE_WHEN = "`denied-tags` is set"  # shown by `pinlint rule --all` and the README table
FIX = None
SUMMARY = "Image tag matches a pattern in `denied-tags`"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    ref = item.ref
    if ref is None or ref.tag is None:
        return
    for pattern in ctx.config.denied_tags:
        if fnmatch.fnmatchcase(ref.tag, pattern):
            message = f"Image '{shown(item)}' uses denied tag '{ref.tag}' (matches '{pattern}')"
            yield Finding(item.span, message, use=item)
            return
