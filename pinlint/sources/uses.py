"""The one way an expanded value becomes an `ImageUse`, for every source kind.

A source finds where a file names an image (its span), expands the value as that file
format does, and hands both here. This module parses the reference and works out, from the
value's character-to-source mapping, where a fix may write: `pin_span` (the reference as
written, when it is one run of source text and a digest appended there stays attached),
`digest_span` (the digest as written, for `update`) and `default_span` (the pin span when
the reference came through a variable: an ARG default or `${VAR:-default}`); a format that
keeps the digest in a field of its own says where a new one is written (`pin_at`).
"""

from __future__ import annotations

from collections.abc import Callable

from pinlint import reference
from pinlint.model import ImageUse, MappedText, Span, TextIndex
from pinlint.sources.expand import Value, insertion_is_safe


def image_use(
    path: str,
    kind: str,
    index: TextIndex,
    span: Span,
    raw: MappedText,
    value: Value | None,
    *,
    unresolved: tuple[str, ...] = (),
    vary: Callable[[], str | None] | None = None,
    platform_dependent: bool = False,
    whole: tuple[int, int] | None = None,
    pin_at: tuple[int, str, str] | None = None,
) -> ImageUse:
    """The use of the image at `span`, written as `raw` and expanded to `value` (None when
    variables in `unresolved` have no value). `vary()` re-expands `raw` with other values for
    its variables (asked only for a reference with a digest that uses variables); `whole` is the
    region to pin at when the value does not map 1:1 to the source (escapes in a quoted scalar)
    but the scalar is the whole reference. `pin_at` (offset, text before, text after the digest)
    is where a fix writes the digest of a reference composed of fields (Kustomize `newName` and
    `newTag`, Helm `repository` and `tag`) when the format has a field for it."""
    text = index.text[span.start : span.end]
    if value is None:
        return ImageUse(path, kind, text, span, None, None, unresolved=unresolved)
    try:
        ref = reference.parse(value.text)
    except reference.ReferenceError as exc:
        return ImageUse(path, kind, text, span, value.text, None, error=str(exc), platform_dependent=platform_dependent)
    uses_variable = "$" in raw.text
    name_end = value.text.find("@")
    name_end = len(value.text) if name_end < 0 else name_end
    region = value.source_range(0, name_end)
    if region is None and whole is not None and not uses_variable and ref.digest is None:
        region = whole
    pin_span = index.span(*region) if region and insertion_is_safe(index.text, region[1]) else None
    pin_text = ("@", "")
    if pin_at is not None and ref.digest is None:
        pin_span, pin_text = index.span(pin_at[0], pin_at[0]), (pin_at[1], pin_at[2])
    digest_region = value.source_range(name_end + 1, len(value.text)) if ref.digest else None
    return ImageUse(
        path,
        kind,
        text,
        span,
        value.text,
        ref,
        default_span=pin_span if pin_span is not None and uses_variable else None,
        pin_span=pin_span,
        varied_value=vary() if vary is not None and ref.digest is not None and uses_variable else None,
        platform_dependent=platform_dependent,
        digest_span=index.span(*digest_region) if digest_region else None,
        pin_text=pin_text,
    )
