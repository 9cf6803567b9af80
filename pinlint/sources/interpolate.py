"""Compose interpolation (compose-go's template package), keeping each character's origin.

`$VAR`, `${VAR}`, `${VAR:-d}` `${VAR-d}` `${VAR:?e}` `${VAR?e}` `${VAR:+a}` `${VAR+a}`, nested
defaults, and `$$` for a literal `$`. A `$` not followed by a name or `{` stays as it is.
Unlike the Dockerfile lexer there are no quotes or escapes: YAML has already removed them.
Also reads `.env` files the way compose-go's dotenv package reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pinlint.model import MappedText
from pinlint.sources.expand import (
    ExpansionBudget,
    ExpansionLimitError,
    Value,
    conditional,
    enter_nesting,
    expansion_limit,
    extend_bounded,
    literal,
)

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*", re.ASCII)


class TemplateError(ValueError):
    """An invalid template such as an unclosed `${`."""


@dataclass
class Interpolation:
    value: Value
    used: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # `${VAR:?message}` that fired


class _Template:
    def __init__(self, source: MappedText, env: Mapping[str, Value], keep_missing: bool = False) -> None:
        self.keep_missing = keep_missing
        self.text = source.text
        self.offsets = source.offsets
        self.env = env
        self.pos = 0
        self.used: list[str] = []
        self.missing: list[str] = []
        self.errors: list[str] = []
        self.limit = expansion_limit(len(source.text))
        self.depth = 0

    def run(self, *, in_braces: bool = False) -> tuple[list[str], list[int]]:
        chars: list[str] = []
        offs: list[int] = []
        text = self.text
        depth = 0
        while self.pos < len(text):
            ch = text[self.pos]
            if in_braces and ch == "}" and depth == 0:
                return chars, offs
            if ch == "$":
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt == "$":
                    chars.append("$")
                    offs.append(self.offsets[self.pos + 1])
                    self.pos += 2
                    continue
                if nxt == "{":
                    self._braced(chars, offs)
                    continue
                match = _NAME.match(text, self.pos + 1)
                if match is not None:
                    start = self.pos
                    self.pos = match.end()
                    if not self._emit(match.group(), chars, offs):
                        self._keep(start, chars, offs)
                    continue
            chars.append(ch)
            offs.append(self.offsets[self.pos])
            self.pos += 1
        if in_braces:
            raise TemplateError("invalid template: missing '}'")
        return chars, offs

    def _emit(self, name: str, chars: list[str], offs: list[int]) -> bool:
        self.used.append(name)
        value = self.env.get(name)
        if value is None:
            self.missing.append(name)
            return False
        extend_bounded(chars, offs, value, self.limit)
        return True

    def _keep(self, start: int, chars: list[str], offs: list[int]) -> None:
        """With keep_missing, an expression without a value stays as written (for a later parser)."""
        if self.keep_missing:
            chars.extend(self.text[start : self.pos])
            offs.extend(self.offsets[start : self.pos])

    def _braced(self, chars: list[str], offs: list[int]) -> None:
        start = self.pos
        self.pos += 2
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise TemplateError(f"invalid template: {self.text[start : start + 20]!r}")
        name = match.group()
        self.pos = match.end()
        op = self.text[self.pos : self.pos + 2]
        if op[:1] == "}":
            self.pos += 1
            if not self._emit(name, chars, offs):
                self._keep(start, chars, offs)
            return
        if op in (":-", ":?", ":+"):
            colon, kind = True, op[1]
            self.pos += 2
        elif op[:1] in ("-", "?", "+"):
            colon, kind = False, op[0]
            self.pos += 1
        else:
            raise TemplateError(f"invalid template: {self.text[start : self.pos + 1]!r}")
        missing_before = len(self.missing)
        self.depth = enter_nesting(self.depth)
        word_chars, word_offs = self.run(in_braces=True)
        self.depth -= 1
        self.pos += 1
        word_missing = self.missing[missing_before:]
        del self.missing[missing_before:]
        self.used.append(name)
        value = self.env.get(name)
        word = MappedText("".join(word_chars), tuple(word_offs))
        result = conditional(kind, value, word, colon=colon)
        if result is None:  # ':?' / '?' without a value: compose-go refuses the file
            message = word.text or f"required variable {name} is missing a value"
            self.errors.append(f"{name}: {message}")
            self.missing.append(name)
            self._keep(start, chars, offs)
            return
        extend_bounded(chars, offs, result, self.limit)
        if result is word:
            self.missing.extend(word_missing)
        elif kind == "+" and value is None:
            self._keep(start, chars, offs)


def interpolate(
    source: MappedText,
    env: Mapping[str, Value],
    *,
    keep_missing: bool = False,
    budget: ExpansionBudget | None = None,
) -> Interpolation:
    """Interpolate `source`; with `keep_missing`, expressions whose variable has no value are left
    as written (used for `dockerfile_inline`, so the Dockerfile parser reports them). Values that
    grow too large or nest too deep, or a spent `budget` (the file's), are a TemplateError."""
    template = _Template(source, env, keep_missing)
    try:
        if budget is not None:
            budget.check()
        chars, offs = template.run()
        if budget is not None:
            budget.charge(len(source.text), len(chars))
    except ExpansionLimitError as exc:
        raise TemplateError(str(exc)) from None
    return Interpolation(MappedText("".join(chars), tuple(offs)), template.used, template.missing, template.errors)


def parse_env_file(text: str, env: Mapping[str, Value] | None = None) -> dict[str, Value]:
    """Variables of a `.env` file, read as compose-go's dotenv package reads it (see
    `read_dotenv`); `env` (the shell environment) wins when a value is interpolated."""
    return read_dotenv(text, env or {})


class DotenvError(ValueError):
    """A `.env` file compose-go refuses (it then refuses the whole project)."""


_DOTENV_SPACE = frozenset("\t\v\f\r \x85\xa0")  # dotenv's isSpace: white space but not a line break
_DOTENV_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}


def read_dotenv(text: str, env: Mapping[str, Value], into: dict[str, Value] | None = None) -> dict[str, Value]:
    """compose-go dotenv/parser.go (`parser.parse`, `locateKeyName`, `extractVarValue`) and
    godotenv.go (`parseWithLookup`), reimplemented: a leading UTF-8 BOM is dropped; statements
    start at the next non-space character, `#` starts a comment line; `export NAME` is NAME;
    a name ends at `=`, `:` or a line end (then the value is inherited from `env`, if set);
    names are letters, digits and `_ . - [ ]`; an unquoted value runs to the line end, is cut at
    ` #` and right-trimmed (so CRLF loses its CR); single- and double-quoted values may span
    lines, `\\<quote>` is the quote; double-quoted values then get the escapes `\\a \\b \\f \\n
    \\r \\t \\v \\" \\\\ \\$ \\0ooo` and, like unquoted ones, interpolation, where `env` wins over
    the keys read so far (`GetEnvFromFile`'s lookup). `into` carries keys of earlier files."""
    out: dict[str, Value] = into if into is not None else {}
    budget = ExpansionBudget()  # all of this file's values together
    if text.startswith("\ufeff"):
        text = text[1:]
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return out
        if text[pos] == "#":
            newline = text.find("\n", pos)
            if newline < 0:
                return out
            pos = newline
            continue
        export = re.match(r"export\s+", text[pos : pos + 64])
        if export is not None:
            pos += len("export")
            while pos < n and text[pos] in _DOTENV_SPACE:
                pos += 1
        key_start, i, end_char = pos, pos, ""
        while i < n:
            ch = text[i]
            if ch in "=:\n":
                end_char = ch
                break
            if ch not in _DOTENV_SPACE and ch not in "_.-[]" and not ch.isalnum():
                line = text.count("\n", 0, i) + 1
                raise DotenvError(f"line {line}: unexpected character {ch!r} in variable name")
            i += 1
        if not end_char:
            return out  # a last name with no `=` and no line end: compose-go stores it under ""
        key = text[key_start:i].rstrip()
        if " " in key:
            raise DotenvError(f"line {text.count(chr(10), 0, i) + 1}: key cannot contain a space")
        pos = i + 1
        if end_char == "\n":
            if key in env:
                out[key] = env[key]
            continue
        while pos < n and text[pos] in _DOTENV_SPACE:
            pos += 1
        scope: dict[str, Value] = {**out, **env}
        quote = text[pos : pos + 1]
        if quote not in ("'", '"'):
            newline = text.find("\n", pos)
            raw = text[pos:] if newline < 0 else text[pos:newline]
            pos = n if newline < 0 else newline + 1
            raw = raw.split(" #", 1)[0].rstrip()
            out[key] = _dotenv_expand(raw, scope, budget)
            continue
        chars: list[str] = []
        j, escaped, closed = pos + 1, False, False
        while j < n:
            ch = text[j]
            j += 1
            if ch == quote:
                if escaped:
                    chars.append(ch)
                    escaped = False
                    continue
                closed = True
                break
            if ch == "\\" and not escaped:
                escaped = True
                continue
            if escaped:
                chars.append("\\")
                escaped = False
            chars.append(ch)
        if not closed:
            line = text.count("\n", 0, pos) + 1
            raise DotenvError(f"line {line}: unterminated quoted value")
        pos = j
        value = "".join(chars)
        if quote == "'":
            out[key] = literal(value)
        else:
            out[key] = _dotenv_expand(_DOTENV_ESCAPE.sub(_unescape, value), scope, budget)


def _unescape(match: re.Match[str]) -> str:
    sequence = match.group()
    if sequence == "\\$":
        return "$$"  # a literal `$` for the interpolation that follows
    if sequence[1] == "0":
        digits = sequence[2:]
        if len(digits) == 3 and all(d in "01234567" for d in digits) and int(digits, 8) < 256:
            return chr(int(digits, 8))
        return sequence  # not a valid Go octal escape: kept as written
    return _SIMPLE_ESCAPES[sequence[1]]


def _dotenv_expand(raw: str, scope: Mapping[str, Value], budget: ExpansionBudget) -> Value:
    try:
        return interpolate(literal(raw), scope, budget=budget).value
    except TemplateError as exc:
        raise DotenvError(str(exc)) from exc
