"""Making text from a repository or a registry safe to print: the one escaping every output uses.

A Dockerfile, a lock entry, a file name or a registry's error body may hold terminal control
sequences (ESC, CSI, a bare CR), newlines or Unicode format characters (bidirectional overrides,
zero-width characters, line separators). Printed raw they can redraw the terminal ("All checks
passed!" over two findings) or, on stderr under GitHub Actions, start a `::warning`/`::set-output`
workflow command line. `printable` turns each such character into a visible escape (`\\x1b`,
`\\n`, `\\u202e`); plain text, including every printable non-ASCII character, is unchanged.
Lone surrogates (undecodable bytes in a file name) are escaped too, so printing never raises.

`json_safe` does the same for serialized JSON without changing what it decodes to: JSON escapes
C0 characters itself but passes C1 controls, format characters and surrogates through.

Cheap to import (only `re`; `unicodedata` when a non-ASCII character is met), for the check path.
"""

from __future__ import annotations

import re

MAX_ECHO = 200
"""Characters of text from elsewhere (a registry's error body) echoed in one message."""

# Anything but printable ASCII; the callback decides for non-ASCII characters.
_SUSPECT = re.compile(r"[^\x20-\x7e]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _unsafe(ch: str) -> bool:
    code = ord(ch)
    if code < 0x80:
        return True  # the pattern only lets ASCII controls through
    if code <= 0x9F:
        return True  # C1 controls (0x9b is a one-byte CSI)
    import unicodedata

    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape_char(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _replace(match: re.Match[str]) -> str:
    ch = match.group()
    return _escape_char(ch) if _unsafe(ch) else ch


def printable(text: str, keep: str = "") -> str:
    """`text` with control, format and line-separator characters written as visible escapes,
    except those in `keep` (for a format that escapes them its own way, as GitHub's `%0A`)."""
    if _SUSPECT.search(text) is None:
        return text
    if keep:
        return _SUSPECT.sub(lambda m: m.group() if m.group() in keep else _replace(m), text)
    return _SUSPECT.sub(_replace, text)


def truncate(text: str, limit: int = MAX_ECHO) -> str:
    """At most `limit` characters of `text`, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def echo(text: str, limit: int = MAX_ECHO) -> str:
    """Text from outside (a registry body, a server's message) for one line of output: truncated
    first, so the escapes cannot be cut in half, then made printable."""
    return printable(truncate(text, limit))


def error_line(message: object) -> str:
    """The line `pinlint: error: …` the CLI prints on stderr, made printable."""
    return f"pinlint: error: {printable(str(message))}"


def _json_replace(match: re.Match[str]) -> str:
    ch = match.group()
    if not _unsafe(ch):
        return ch
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)  # JSON has no \U: a surrogate pair
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


_JSON_SUSPECT = re.compile(r"[^\x00-\x7f]")


def json_safe(serialized: str) -> str:
    """Serialized JSON (from json.dumps with ensure_ascii=False) with the non-ASCII control,
    format and separator characters written as `\\uXXXX`: the same document once decoded.
    Valid because such characters can only occur inside JSON strings."""
    if _JSON_SUSPECT.search(serialized) is None:
        return serialized
    return _JSON_SUSPECT.sub(_json_replace, serialized)
