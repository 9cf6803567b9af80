"""Helm values: the image blocks and image strings of a chart's `values*.yaml`.

A values file is one beside a `Chart.yaml` (the source registry's `beside`). At any depth:

- an image block, the mapping under a key `image` (or `…Image`) with a `repository` (or a
  `registry` and an `image`, as ingress-nginx writes it): the reference
  `[registry/]repository[:tag][@digest]`. Bitnami charts take the registry from
  `global.imageRegistry` when it is set (only blocks that have a `registry` key do); a missing
  or empty `tag` is the chart's `appVersion` (Chart.yaml), as `{{ .Values.image.tag | default
  .Chart.AppVersion }}` renders it. Reported at the tag (else the repository).
- a plain string under a key `image`, `image: nginx:1.27`.

An empty or missing `digest` next to a tag is unpinned. `fix` writes the chart's own digest
field when the chart has one: an empty `digest:`/`digest: ""` is filled, and an absent one is
added beside `tag` when the chart uses digests (another block of the file has a `digest`
key, or a template under `templates/` mentions `digest`); otherwise it appends `@sha256:…` to
the tag value, which the usual `repository:tag` template renders into a pinned reference. A
tag that comes from `appVersion` with no digest field is left to the lock file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinlint.model import FileFacts, MappedText
from pinlint.sources.expand import literal
from pinlint.sources.registry import HELM_VALUES, Parsed, ParseRun
from pinlint.sources.uses import image_use
from pinlint.sources.yaml import (
    YamlReader,
    field_insertion,
    parse_documents,
    pyyaml,
)

KIND_BLOCK = "helm-image"
KIND_STRING = "helm-image-string"
_MAX_DEPTH = 64
_MAX_TEMPLATES = 500
_MAX_BYTES = 1024 * 1024
_DIGEST_IN_TEMPLATE = re.compile(r"\.[dD]igest\b")
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def _read_bounded(path: Path, within: Path) -> str | None:
    """The text of a file of the chart (None when it is a link out of `within`, or too big)."""
    real = Path(os.path.realpath(path))
    if real != within and Path(os.path.realpath(within)) not in real.parents:
        return None
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").lstrip("\ufeff") if len(data) <= _MAX_BYTES else None


def app_version(chart_dir: Path) -> str | None:
    """`appVersion` of the chart's Chart.yaml, read as written (never coerced)."""
    text = _read_bounded(chart_dir / "Chart.yaml", chart_dir)
    if text is None:
        return None
    documents = parse_documents(text)
    if isinstance(documents, tuple) or not documents:
        return None
    reader = YamlReader(text)
    node = reader.get(documents[0], "appVersion")
    return str(node.value) if reader.is_scalar(node) else None


def templates_use_digest(chart_dir: Path) -> bool:
    """Whether a template of the chart reads a `digest` value (bounded: a few hundred files)."""
    templates = chart_dir / "templates"
    if not templates.is_dir():
        return False
    seen = 0
    for directory, _, files in os.walk(templates):
        for name in sorted(files):
            seen += 1
            if seen > _MAX_TEMPLATES:
                return False
            text = _read_bounded(Path(directory) / name, chart_dir)
            if text is not None and _DIGEST_IN_TEMPLATE.search(text):
                return True
    return False


class ValuesReader(YamlReader):
    def __init__(self, text: str, display: str, app_version: str | None, chart_digest: bool) -> None:
        super().__init__(text)
        self.display = display
        self.app_version = app_version
        self.chart_digest = chart_digest
        self.facts = FileFacts(display, text, self.index, kind=HELM_VALUES)
        self.global_registry: Any = None
        self._seen: set[int] = set()

    def read(self) -> FileFacts:
        root = self.first_document(self.facts)
        if not isinstance(root, pyyaml().MappingNode):
            return self.facts
        registry = self.get(self.get(root, "global"), "imageRegistry")
        self.global_registry = registry if self.is_scalar(registry) else None
        blocks = list(self._blocks(root))
        self.chart_digest = self.chart_digest or any(self.get(b, "digest") is not None for _, b in blocks)
        self._walk(root, 0, "")
        return self.facts

    def _blocks(self, root: Any) -> list[tuple[Any, Any]]:
        found = []
        stack = [(root, 0)]
        seen: set[int] = set()
        yaml = pyyaml()
        while stack:
            node, depth = stack.pop()
            if id(node) in seen or depth > _MAX_DEPTH:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                stack.extend((item, depth + 1) for item in node.value)
            elif isinstance(node, yaml.MappingNode):
                for key, value in self.mapping(node):
                    if _image_key(key) and isinstance(value, yaml.MappingNode) and self._repository(value):
                        found.append((key, value))
                    stack.append((value, depth + 1))
        return found

    def _walk(self, node: Any, depth: int, where: str) -> None:
        """Every image block and string below `node`, which is at the values path `where`."""
        yaml = pyyaml()
        if depth > _MAX_DEPTH or id(node) in self._seen:
            return
        self._seen.add(id(node))
        prefix = f"{where}." if where else ""
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, depth + 1, f"{prefix}{i}")
            return
        for key, value in self.mapping(node):
            path = f"{prefix}{getattr(key, 'value', '')}"
            if _image_key(key) and isinstance(value, yaml.MappingNode) and self._repository(value):
                self.block(value, f"values:{path}")
            elif getattr(key, "value", None) == "image" and self.is_scalar(value):
                self.string(value, f"values:{path}")
            else:
                self._walk(value, depth + 1, path)

    def _repository(self, block: Any) -> bool:
        """An image block: a `repository`, or a `registry` with an `image` (ingress-nginx)."""
        if self.is_scalar(self.get(block, "repository")):
            return True
        return self.get(block, "registry") is not None and self.is_scalar(self.get(block, "image"))

    def _pair(self, node: Any, name: str) -> tuple[Any, Any] | None:
        for key, value in self.mapping(node):
            if getattr(key, "value", None) == name:
                return key, value
        return None

    def block(self, node: Any, field: str) -> None:
        repository_pair = self._pair(node, "repository") or self._pair(node, "image")
        assert repository_pair is not None
        repository = repository_pair[1]
        registry = self.get(node, "registry")
        if registry is not None and self.global_registry is not None:
            registry = self.global_registry
        tag_pair = self._pair(node, "tag")
        tag = tag_pair[1] if tag_pair is not None and self.is_scalar(tag_pair[1]) else None
        digest = self.get(node, "digest")
        digest = digest if self.is_scalar(digest) else None
        pieces: list[MappedText] = []
        if self.is_scalar(registry):
            pieces += [self.scalar_text(registry)[0], literal("/")]
        pieces.append(self.scalar_text(repository)[0])
        if tag is not None:
            pieces += [literal(":"), self.scalar_text(tag)[0]]
        elif self.app_version:
            pieces += [literal(":"), literal(self.app_version)]
        if digest is not None:
            pieces += [literal("@"), self.scalar_text(digest)[0]]
        raw = MappedText("".join(p.text for p in pieces), tuple(o for p in pieces for o in p.offsets))
        _, start, end = self.scalar_text(tag if tag is not None else repository)
        span = self.index.span(start, end)
        if any(_PLACEHOLDER.search(p.text) for p in pieces):
            self._unresolved(span, raw, field)
            return
        pin_at = None
        if digest is None:
            beside = tag_pair if tag_pair is not None else repository_pair
            if self.chart_digest or self.get(node, "digest") is not None:
                pin_at = field_insertion(self, node, "digest", beside)
            elif tag is not None:
                _, _, tag_end = self.scalar_text(tag)
                pin_at = (tag_end, "@", "")
        use = image_use(self.display, KIND_BLOCK, self.index, span, raw, raw, pin_at=pin_at)
        self.facts.images.append(use._replace(field=field))

    def string(self, node: Any, field: str) -> None:
        raw, start, end = self.scalar_text(node)
        span = self.index.span(start, end)
        if _PLACEHOLDER.search(raw.text):
            self._unresolved(span, raw, field, KIND_STRING)
            return
        whole = (start, end) if node.style in ('"', "'") else None
        use = image_use(self.display, KIND_STRING, self.index, span, raw, raw, whole=whole)
        self.facts.images.append(use._replace(field=field))

    def _unresolved(self, span: Any, raw: MappedText, field: str, kind: str = KIND_BLOCK) -> None:
        names = tuple(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(raw.text)))
        use = image_use(self.display, kind, self.index, span, raw, None, unresolved=names)
        self.facts.images.append(use._replace(field=field))


def _image_key(key: Any) -> bool:
    name = getattr(key, "value", None)
    return isinstance(name, str) and (name == "image" or name.endswith("Image"))


def read_values(text: str, display: str, chart_dir: Path | None, run: ParseRun | None = None) -> FileFacts:
    version, uses_digest = None, False
    if chart_dir is not None:
        if run is not None:
            version = run.memo(f"helm.appVersion:{chart_dir}", lambda: app_version(chart_dir))
            uses_digest = run.memo(f"helm.digest:{chart_dir}", lambda: templates_use_digest(chart_dir))
        else:
            version, uses_digest = app_version(chart_dir), templates_use_digest(chart_dir)
    return ValuesReader(text, display, version, uses_digest).read()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    chart_dir = path.absolute().parent if display != "-" else None
    return Parsed([read_values(text, display, chart_dir, run)])


def reparse(text: str, path: Path) -> FileFacts:
    return read_values(text, str(path), path.absolute().parent)
