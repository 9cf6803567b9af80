"""JSON with comments and trailing commas (JSONC, as dev containers and VS Code read it), with positions.

`parse(text)` gives a tree of `Node`s: objects keep their members in order (a key given twice:
the last wins, as `JSON.parse` does), every string keeps its decoded value with the source
offset of each character (-1 for a character written as an escape), so a source can splice a
digest after a string without re-emitting the document. `//` and `/* */` comments are
collected with their line for suppressions. Nesting is bounded; errors are `JsoncError` with
the offset where the text stops being JSONC.
"""

from __future__ import annotations

from typing import NamedTuple

from pinlint.model import MappedText

MAX_DEPTH = 256
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WORDS = {"true": True, "false": False, "null": None}


class JsoncError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class Node(NamedTuple):
    """A value: `kind` is object, array, string, number, true, false or null. `members` holds an
    object's (key, value) pairs or an array's items as (None, value); `text` a string's value."""

    kind: str
    start: int
    end: int
    text: MappedText | None = None
    members: tuple[tuple[Node | None, Node], ...] = ()

    def get(self, name: str) -> Node | None:
        found = None
        for key, value in self.members:
            if key is not None and key.text is not None and key.text.text == name:
                found = value
        return found

    @property
    def items(self) -> list[Node]:
        return [value for _, value in self.members]


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.comments: list[tuple[int, str]] = []  # (offset, text after // or inside /* */)

    def fail(self, message: str, offset: int | None = None) -> JsoncError:
        return JsoncError(message, self.pos if offset is None else offset)

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                end = len(text) if end < 0 else end
                self.comments.append((self.pos, text[self.pos + 2 : end]))
                self.pos = end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.comments.append((self.pos, text[self.pos + 2 : end]))
                self.pos = end + 2
            else:
                return

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of text")
        ch = self.text[self.pos]
        if ch == "{":
            return self.container("object", "}", depth)
        if ch == "[":
            return self.container("array", "]", depth)
        if ch == '"':
            return self.string()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "+-."):
            self.pos += 1
        word = self.text[start : self.pos]
        if word in _WORDS:
            return Node(word, start, self.pos)
        try:
            float(word)
        except ValueError:
            raise self.fail(f"unexpected {self.text[start : start + 1]!r}", start) from None
        return Node("number", start, self.pos)

    def container(self, kind: str, close: str, depth: int) -> Node:
        start = self.pos
        self.pos += 1
        members: list[tuple[Node | None, Node]] = []
        while True:
            self.skip()
            if self.text.startswith(close, self.pos):
                self.pos += 1
                return Node(kind, start, self.pos, members=tuple(members))
            key = None
            if kind == "object":
                if not self.text.startswith('"', self.pos):
                    raise self.fail("expected a string key")
                key = self.string()
                self.skip()
                if not self.text.startswith(":", self.pos):
                    raise self.fail("expected ':'")
                self.pos += 1
            members.append((key, self.value(depth + 1)))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith(close, self.pos):
                raise self.fail(f"expected ',' or '{close}'")

    def string(self) -> Node:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        offsets: list[int] = []
        text = self.text
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                raise self.fail("unterminated string", start)
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return Node("string", start, self.pos, MappedText("".join(chars), tuple(offsets)))
            if ch == "\\":
                code = text[self.pos + 1 : self.pos + 2]
                if code == "u" and len(text[self.pos + 2 : self.pos + 6]) == 4:
                    try:
                        chars.append(chr(int(text[self.pos + 2 : self.pos + 6], 16)))
                    except ValueError:
                        raise self.fail("invalid \\u escape") from None
                    self.pos += 6
                elif code in _ESCAPES:
                    chars.append(_ESCAPES[code])
                    self.pos += 2
                else:
                    raise self.fail("invalid escape")
                offsets.append(-1)
                continue
            chars.append(ch)
            offsets.append(self.pos)
            self.pos += 1


class Document(NamedTuple):
    root: Node
    comments: list[tuple[int, str]]  # (offset, comment text)


def parse(text: str) -> Document:
    """The JSONC document in `text`; JsoncError (with an offset) when it is not one."""
    reader = _Reader(text)
    root = reader.value(0)
    reader.skip()
    if reader.pos < len(text):
        raise reader.fail("unexpected text after the document")
    return Document(root, reader.comments)
