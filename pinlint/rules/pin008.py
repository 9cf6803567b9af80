"""PIN008 lock-mismatch: a reference missing from the lock file, or pinned to another digest."""

from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import shown
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN008"
NAME = "lock-mismatch"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True  # only when a lock file exists; without one the rule has nothing to check
ACTIVE_WHEN = "a lock file exists"  # shown by `pinlint rule --all` and the README table
FIX = None
SUMMARY = "Image is missing from the lock file, or its inline digest differs from the locked one"
TARGET = "image"


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    ref = item.ref
    if ctx.lock is None or ref is None or (ref.digest is not None and ref.tag is None):
        return
    locked = ctx.lock.get(ref.canonical_tagged)
    if locked is None:
        yield Finding(item.span, f"Image '{shown(item)}' is not in {ctx.lock_name} (run `pinlint lock`)", use=item)
    elif ref.digest is not None and ref.digest != locked:
        yield Finding(
            item.span,
            f"Image '{shown(item)}' is pinned to {ref.digest[:19]}… but {ctx.lock_name} has {locked[:19]}…",
            use=item,
        )
