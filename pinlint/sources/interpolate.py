"""Compose interpolation (compose-go's template package), keeping each character's origin.

`$VAR`, `${VAR}`, `${VAR:-d}` `${VAR-d}` `${VAR:?e}` `${VAR?e}` `${VAR:+a}` `${VAR+a}`, nested
defaults, and `$$` for a literal `$`. A `$` not followed by a name or `{` stays as it is.
Unlike the Dockerfile lexer there are no quotes or escapes: YAML has already removed them.
Also parses `.env` files the way Compose reads them.
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
    """Variables of a `.env` file: `KEY=VAL` or `KEY: VAL`, optional `export `, `#` comments,
    single quotes literal, double quotes with `\\n \\t \\\\ \\"` escapes and interpolation,
    unquoted values interpolated and cut at ` #`. Later keys see earlier ones."""
    result: dict[str, Value] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        match = re.match(r"([A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s?(.*)$", line)
        if match is None:
            continue
        key, raw = match.group(1), match.group(2).strip()
        scope: dict[str, Value] = {**(env or {}), **result}
        if raw[:1] in ("'", '"'):
            quote = raw[0]
            body = raw[1:]
            while quote not in _unescaped_tail(body, quote) and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            end = _closing_quote(body, quote)
            body = body[:end] if end >= 0 else body
            if quote == "'":
                result[key] = literal(body)
            else:
                body = (
                    body.replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')
                    .replace("\0", "\\")
                )
                result[key] = interpolate(literal(body), scope).value
            continue
        comment = re.search(r"\s#", raw)
        if comment is not None:
            raw = raw[: comment.start()].rstrip()
        result[key] = interpolate(literal(raw), scope).value
    return result


def _closing_quote(body: str, quote: str) -> int:
    i = 0
    while i < len(body):
        if body[i] == "\\" and quote == '"':
            i += 2
            continue
        if body[i] == quote:
            return i
        i += 1
    return -1


def _unescaped_tail(body: str, quote: str) -> str:
    return quote if _closing_quote(body, quote) >= 0 else ""
