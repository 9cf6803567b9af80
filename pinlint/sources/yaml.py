"""YAML as the YAML-based sources read it: nodes with positions, merge keys, scalars as written.

Files are read with PyYAML's composer only (imported when first needed): scalars stay the text
written in the file (no YAML 1.1 coercion), every node keeps its position, aliases share their
anchor's node (so a value used many times is one node, and alias bombs cost nothing), and
custom tags such as `!reset`/`!override` need no constructor. `YamlReader` applies `<<` merge
keys (bounded depth), finds scalars' exact source spans (also inside quotes and block
scalars) and where a fix writes a value into a field (`field_insertion`: an empty field filled,
or a new field added beside another, in block or flow style, without re-emitting anything),
and `duplicate_key` finds what go-yaml rejects; `hash_comments` collects `#` comments for
suppressions; `parse_documents` reads a multi-document stream or says where it is broken.
"""

from __future__ import annotations

import re
from typing import Any

from pinlint.model import FileFacts, MappedText, TextIndex
from pinlint.sources.expand import literal

_COMMENT = re.compile(r"(?:^|\s)#(.*)$")
_MAX_MERGE_DEPTH = 64


def pyyaml() -> Any:
    import yaml

    return yaml


class YamlReader:
    """Reads the nodes of one YAML text; a source's parser builds on it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = TextIndex(text)
        self._merged: dict[int, list[tuple[Any, Any]]] = {}

    def first_document(self, facts: FileFacts) -> Any:
        """The text's first document, for a kind that reads only that one. A syntax error, or a
        duplicate key in it, goes to `facts.errors` at its position and gives None, as an empty
        text does; the comments go to `facts.comments`."""
        documents = parse_documents(self.text)
        if isinstance(documents, tuple):
            offset, message = documents
            facts.errors.append((self.index.span(offset, offset), message))
            return None
        facts.comments.extend(hash_comments(self.text))
        if not documents:
            return None
        duplicate = duplicate_key_error(documents[0])
        if duplicate is not None:
            offset, message = duplicate
            facts.errors.append((self.index.span(offset, offset), message))
            return None
        return documents[0]

    def mapping(self, node: Any, depth: int = 0) -> list[tuple[Any, Any]]:
        """(key node, value node) pairs of a mapping with `<<` merges applied (own keys win)."""
        yaml = pyyaml()
        if not isinstance(node, yaml.MappingNode):
            return []
        cached = self._merged.get(id(node))
        if cached is not None:
            return cached
        if depth > _MAX_MERGE_DEPTH:
            return []
        own: list[tuple[Any, Any]] = []
        inherited: list[tuple[Any, Any]] = []
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    inherited.extend(self.mapping(source, depth + 1))
            else:
                own.append((key, value))
        names = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        merged = list(own)
        for key, value in inherited:
            if isinstance(key, yaml.ScalarNode) and key.value not in names:
                names.add(key.value)
                merged.append((key, value))
        self._merged[id(node)] = merged
        return merged

    def get(self, node: Any, name: str) -> Any:
        for key, value in self.mapping(node):
            if getattr(key, "value", None) == name:
                return value
        return None

    def is_scalar(self, node: Any) -> bool:
        yaml = pyyaml()
        return isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null" and node.value != ""

    def scalar_text(self, node: Any) -> tuple[MappedText, int, int]:
        """The scalar's value with source offsets when it maps 1:1 to the source, and its bounds."""
        value: str = node.value
        start, end = node.start_mark.index, node.end_mark.index
        text = self.text
        if node.style in ('"', "'"):
            inner_end = end - 1
            if text[inner_end : inner_end + 1] == node.style and text[inner_end - len(value) : inner_end] == value:
                begin = inner_end - len(value)
                return literal(value, begin), begin, inner_end
            quote_start = text.find(node.style, start, inner_end)
            if text[inner_end : inner_end + 1] == node.style and quote_start >= 0:
                return literal(value), quote_start + 1, inner_end  # escapes: inside the quotes, not 1:1
            return literal(value), start, end
        if not node.style and text[end - len(value) : end] == value:
            return literal(value, end - len(value)), end - len(value), end
        return literal(value), start, end

    def block_text(self, node: Any) -> MappedText:
        """A block scalar's value with the source offset of each character, aligned greedily with
        the source (indentation, line folding and CR characters skipped); -1 where it cannot be."""
        value: str = node.value
        if node.style not in ("|", ">"):
            mapped, start, end = self.scalar_text(node)
            if any(offset >= 0 for offset in mapped.offsets) or not value:
                return mapped
            return _align(value, self.text, start, end)  # folded plain or escaped quoted scalar
        line_end = self.text.find("\n", node.start_mark.index)
        if line_end < 0:
            return literal(value)
        return _align(value, self.text, line_end + 1, node.end_mark.index)


def parse_documents(text: str) -> list[Any] | tuple[int, str]:
    """The documents of a YAML stream (empty ones dropped), or (offset, message) where it is broken."""
    yaml = pyyaml()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = list(yaml.compose_all(text, Loader=loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        offset = mark.index if mark is not None else 0
        return min(offset, len(text)), f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}"
    except (yaml.YAMLError, RecursionError) as exc:
        reason = "nesting too deep" if isinstance(exc, RecursionError) else str(exc).splitlines()[0]
        return 0, f"invalid YAML: {reason}"
    return [d for d in documents if d is not None]


def field_insertion(
    reader: YamlReader, mapping: Any, name: str, beside: tuple[Any, Any]
) -> tuple[int, str, str] | None:
    """Where and how to write a value into field `name` of `mapping`: (offset, text before, text
    after the value). An empty field (`name:` or `name: ""`) is filled; an absent one is added
    after the `beside` (key, value) pair, as a new line indented like that key (block style, the
    line ending the file uses there) or as `, name: …` after the value (flow style). None when
    the field holds something else or the place cannot be found safely."""
    yaml = pyyaml()
    text = reader.text
    for key, value in mapping.value:
        if getattr(key, "value", None) != name:
            continue
        if not isinstance(value, yaml.ScalarNode) or value.value != "":
            return None
        if value.style in ('"', "'"):
            _, start, end = reader.scalar_text(value)
            return (start, "", "") if start == end else None
        if (
            value.start_mark.index == value.end_mark.index
            and text[value.start_mark.index - 1 : value.start_mark.index] == ":"
        ):
            return value.start_mark.index, " ", ""
        return None
    key, value = beside
    if getattr(value, "style", None) in ("|", ">"):
        return None
    if mapping.flow_style:
        return value.end_mark.index, f", {name}: ", ""
    if not isinstance(value, yaml.ScalarNode):
        return None
    indent = " " * key.start_mark.column
    end = value.end_mark.index
    newline = text.find("\n", end)
    if newline < 0:
        eol = "\r\n" if "\r\n" in text else "\n"
        return len(text), f"{eol}{indent}{name}: ", ""
    eol = "\r\n" if text[newline - 1 : newline] == "\r" else "\n"
    return newline + 1, f"{indent}{name}: ", eol


def hash_comments(text: str) -> list[tuple[int, str]]:
    """`# …` comments that mention pinlint: (line, text after '#'), for suppressions. A `#` starts
    a comment at the start of a line or after white space (a `#` inside a word does not)."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        if "#" not in line:
            continue
        match = _COMMENT.search(line)
        if match is not None and "pinlint" in match.group(1):
            found.append((number, match.group(1)))
    return found


def duplicate_key_error(root: Any) -> tuple[int, str] | None:
    """(offset, PIN900 message) for the first key defined twice in one mapping, as every YAML
    kind reports it; None when there is none."""
    duplicate = duplicate_key(root)
    if duplicate is None:
        return None
    key, first_line = duplicate
    return key.start_mark.index, f'invalid YAML: mapping key "{key.value}" already defined at line {first_line}'


def duplicate_key(root: Any) -> tuple[Any, int] | None:
    """The first key defined twice in one mapping (go-yaml, and so Compose, rejects the file)."""
    yaml = pyyaml()
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in lines:
                        return key, lines[key.value]
                    lines[key.value] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _align(value: str, text: str, start: int, end: int) -> MappedText:
    """Map each character of `value` to the next equal character of text[start:end]; white space
    in the source that the value does not have (indentation, CR, folded line ends) is skipped."""
    offsets: list[int] = []
    j = start
    for ch in value:
        while j < end and text[j] != ch and text[j] in " \t\r\n":
            j += 1
        if j < end and text[j] == ch:
            offsets.append(j)
            j += 1
        elif ch in " \n" and j < end:
            offsets.append(-1)  # a folded line end: no single source character
        else:
            offsets.append(-1)
    return MappedText(value, tuple(offsets))
