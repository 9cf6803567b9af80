"""What the CI-configuration sources (GitHub Actions, GitLab CI, CircleCI, Bitbucket) share.

Each of those kinds is one YAML document whose images sit at known keys. `CiYamlParser`
loads the document (one PIN900 line with a position for invalid YAML, several documents or a
duplicate key), collects `#` suppression comments, and turns an image-bearing scalar into
`ImageUse`s: the scalar's exact span (after a `docker://` prefix when there is one), its
value expanded by the kind's own variable syntax (an `Expander`, one or several variants),
and the region a fix may write to — all through `pinlint.sources.uses.image_use`. A scalar
shared through an anchor is one node and is reported once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from pinlint.model import FileFacts, MappedText, Span
from pinlint.sources.expand import Value
from pinlint.sources.uses import image_use
from pinlint.sources.yaml import YamlReader, duplicate_key_error, hash_comments, pyyaml


class Variant(NamedTuple):
    """One way a written image expands: its value (None when `unresolved` names what has no
    value) and `vary`, the value with each variable replaced by a stand-in (for PIN006)."""

    value: Value | None
    unresolved: tuple[str, ...] = ()
    vary: Callable[[], str | None] | None = None


Expander = Callable[[MappedText], Iterable[Variant]]


def plain(raw: MappedText) -> Iterable[Variant]:
    """No variables: the value is the text as written."""
    return [Variant(raw)]


class CiYamlParser(YamlReader):
    """Loads one CI configuration file and records its image uses in `facts`."""

    def __init__(self, text: str, display: str, kind: str) -> None:
        super().__init__(text)
        self.display = display
        self.facts = FileFacts(display, text, self.index, kind=kind)
        self._reported: set[tuple[int, str | None, tuple[str, ...]]] = set()

    def error(self, message: str, start: int, end: int | None = None) -> None:
        self.facts.errors.append((self.index.span(start, start if end is None else end), message))

    def load(self, what: str, header: str | None = None) -> Any | None:
        """The document's root mapping; None (after recording why) when there is none. `what`
        names the file kind in messages ("a GitLab CI file"); a first document that is a mapping
        with the key `header` is a header before the configuration (GitLab's `spec:`)."""
        yaml = pyyaml()
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            documents = [d for d in yaml.compose_all(self.text, Loader=loader) if d is not None]
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            offset = mark.index if mark is not None else 0
            self.error(f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}", min(offset, len(self.text)))
            return None
        except (yaml.YAMLError, RecursionError) as exc:
            reason = "nesting too deep" if isinstance(exc, RecursionError) else str(exc).splitlines()[0]
            self.error(f"invalid YAML: {reason}", 0)
            return None
        self.facts.comments.extend(hash_comments(self.text))
        if not documents:
            return None
        if header is not None and len(documents) == 2 and self.get(documents[0], header) is not None:
            documents = documents[1:]
        if len(documents) > 1:
            self.error(f"{what} holds one YAML document; found several", documents[1].start_mark.index)
            return None
        root = documents[0]
        duplicate = duplicate_key_error(root)
        if duplicate is not None:
            offset, message = duplicate
            self.error(message, offset)
            return None
        if not isinstance(root, yaml.MappingNode):
            self.error(f"{what} must be a mapping at the top level", root.start_mark.index)
            return None
        return root

    def is_mapping(self, node: Any) -> bool:
        return isinstance(node, pyyaml().MappingNode)

    def is_sequence(self, node: Any) -> bool:
        return isinstance(node, pyyaml().SequenceNode)

    def items(self, node: Any) -> list[Any]:
        """The items of a sequence (a single node stands for a list of one)."""
        if node is None:
            return []
        return list(node.value) if self.is_sequence(node) else [node]

    def written(self, node: Any, prefix: str = "") -> tuple[MappedText, Span, tuple[int, int] | None] | None:
        """The scalar as written after `prefix` (None when it is not such a scalar): its text with
        source offsets, its span, and for a quoted scalar the region a pin may go to."""
        if not self.is_scalar(node):
            return None
        raw, start, end = self.scalar_text(node)
        if node.style in ("|", ">"):
            raw = self.block_text(node)  # each character's own position, where it has one
            known = [offset for offset in raw.offsets if offset >= 0]
            if known:
                start, end = known[0], known[-1] + 1
        if prefix:
            if not raw.text.startswith(prefix):
                return None
            raw = MappedText(raw.text[len(prefix) :], raw.offsets[len(prefix) :])
            if raw.offsets and raw.offsets[0] >= 0:
                start = raw.offsets[0]
        whole = (start, end) if node.style in ('"', "'") and not prefix else None
        return raw, self.index.span(start, end), whole

    def image(self, kind: str, node: Any, expand: Expander = plain, prefix: str = "") -> None:
        """Record the image written at `node` (after `prefix`), once per distinct expansion."""
        found = self.written(node, prefix)
        if found is None:
            return
        raw, span, whole = found
        if not raw.text.strip():
            return
        for variant in expand(raw):
            key = (span.start, variant.value.text if variant.value is not None else None, variant.unresolved)
            if key in self._reported:
                continue
            self._reported.add(key)
            self.facts.images.append(
                image_use(
                    self.display,
                    kind,
                    self.index,
                    span,
                    raw,
                    variant.value,
                    unresolved=variant.unresolved,
                    vary=variant.vary,
                    whole=whole,
                )
            )


_SHELL_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))", re.ASCII)


def environment_only(raw: MappedText) -> Iterable[Variant]:
    """`$VAR`/`${VAR}` that only the CI service's environment could fill: no value offline."""
    names = tuple(dict.fromkeys(m.group(1) or m.group(2) for m in _SHELL_VARIABLE.finditer(raw.text)))
    return [Variant(None, names)] if names else [Variant(raw)]
