"""Arguments of Dockerfile instructions that several consumers read, parsed once by the source.

Two facts live here: the strings of an exec-form JSON array (`RUN ["sh", "-c", "…"]`, the
one JSON parser pinlint has for them, with the source offset of every character), and the
sources of an ADD or COPY (every argument but the destination, quotes removed, with spans).
The Dockerfile source stores both on the Instruction; rules read them from there.
"""

from __future__ import annotations

import re

from pinlint.model import ExecArg, Instruction, SourceArg

_JSON_SPACE = " \t\r\n"  # what JSON (and Go's encoding/json, which BuildKit uses) skips
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_LOW_SURROGATE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")  # `\uDC00`–`\uDFFF`


def parse_exec_form(text: str) -> tuple[ExecArg, ...] | None:
    """The strings of a JSON array of strings (exec form), or None when text is not exactly one.

    As strict as `json.loads`: only JSON white space around tokens, no raw control character
    inside a string, no trailing text.
    """
    n = len(text)
    pos = _skip_space(text, 0)
    if pos >= n or text[pos] != "[":
        return None
    pos = _skip_space(text, pos + 1)
    if pos < n and text[pos] == "]":
        return () if _skip_space(text, pos + 1) == n else None
    items: list[ExecArg] = []
    while True:
        item = _string(text, pos)
        if item is None:
            return None
        items.append(item)
        pos = _skip_space(text, item.end)
        if pos < n and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
            continue
        if pos < n and text[pos] == "]" and _skip_space(text, pos + 1) == n:
            return tuple(items)
        return None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _JSON_SPACE:
        pos += 1
    return pos


def _string(text: str, pos: int) -> ExecArg | None:
    n = len(text)
    if pos >= n or text[pos] != '"':
        return None
    start = pos
    pos += 1
    chars: list[str] = []
    offsets: list[int] = []
    while pos < n:
        ch = text[pos]
        offsets.append(pos)
        if ch == '"':
            return ExecArg("".join(chars), start, pos + 1, tuple(offsets))
        if ch < " ":
            return None
        if ch != "\\":
            chars.append(ch)
            pos += 1
            continue
        escape = text[pos + 1] if pos + 1 < n else ""
        if escape in _JSON_ESCAPES:
            chars.append(_JSON_ESCAPES[escape])
            pos += 2
        elif escape == "u" and _HEX4.fullmatch(text, pos + 2, pos + 6):
            code = int(text[pos + 2 : pos + 6], 16)
            pos += 6
            if 0xD800 <= code < 0xDC00 and _LOW_SURROGATE.match(text, pos):
                code = 0x10000 + ((code - 0xD800) << 10) + (int(text[pos + 2 : pos + 6], 16) - 0xDC00)
                pos += 6
            chars.append(chr(code))
        else:
            return None
    return None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def copy_sources(item: Instruction) -> tuple[SourceArg, ...]:
    """The sources of an ADD or COPY: every argument but the destination, quotes removed."""
    if item.exec_args is None:
        return tuple(SourceArg(_unquote(word.text), word.span) for word in item.args[:-1])
    base = item.command_start
    sources = []
    for arg in item.exec_args[:-1]:
        try:
            span = item.span_of(base + arg.start, base + arg.end)
        except (IndexError, ValueError):
            span = item.span
        sources.append(SourceArg(arg.value, span))
    return tuple(sources)
