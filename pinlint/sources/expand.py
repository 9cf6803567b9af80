"""Variable expansion of one Dockerfile word, as BuildKit's shell lexer does it, keeping origins.

Every output character remembers the source offset it was copied from (or -1 when it came
from outside the file, such as a build argument given on the command line or an automatic
platform argument), so callers can tell where a reference "lives": in the instruction
itself, in an ARG default, or in a `${VAR:-default}`.

Forms: `$VAR`, `${VAR}`, `${VAR:-w}` `${VAR-w}` `${VAR:+w}` `${VAR+w}` `${VAR:?w}` `${VAR?w}`,
`${VAR#p}` `${VAR##p}` `${VAR%p}` `${VAR%%p}` `${VAR/p/r}` `${VAR//p/r}`; single quotes are
literal, double quotes expand, the escape character (`\\` or a backtick) escapes.

Expansion is bounded, for Compose interpolation too (it shares `extend_bounded` and
`enter_nesting`): a value may grow past `MAX_EXPANDED` characters only as far as the text it is
expanded from or as one whole copy of one value (a long literal ARG default and `ARG B=$A` are
fine; `ARG A2=${A1}${A1}` doubling 27 times is not), `${…}` nest at most `MAX_NESTING` deep, and
with an `ExpansionBudget` all the expansions of one file add at most `FILE_BUDGET` characters.
Each raises `ExpansionLimitError`, which callers report as a parse error at the word, instead of
exhausting memory or the Python stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pinlint.model import MappedText


class ExpansionError(ValueError):
    """The word is malformed (unterminated quote, bad substitution)."""


class ExpansionLimitError(ExpansionError):
    """The expansion would grow past `MAX_EXPANDED` characters or nest past `MAX_NESTING`."""


MAX_EXPANDED = 4096
"""Characters an expanded value may have beyond its source's length. An image reference is at most
a few hundred characters (distribution/reference: 255 for the name, 128 for the tag, a digest), and
reference.parse refuses more than 4096; ARG defaults and Compose values that matter here are the
same size."""

MAX_NESTING = 64
"""How deep `${A:-${B:-…}}` may nest; real files nest two or three levels."""


FILE_BUDGET = 1024 * 1024
"""Characters all the expansions of one file may add to their sources, together: a per-value cap
alone still lets 60 000 lines of `ARG Bn=${A}` copy a 4 KB value each (2.2 GB, 35 s)."""


class ExpansionBudget:
    """What is left of one file's `FILE_BUDGET`; parsers make one per file and pass it to every
    `expand` / `interpolate` of that file."""

    __slots__ = ("remaining",)

    def __init__(self, total: int = FILE_BUDGET) -> None:
        self.remaining = total

    @property
    def spent(self) -> bool:
        """Whether an expansion has already been refused (callers may report that only once)."""
        return self.remaining < 0

    def check(self) -> None:
        """ExpansionLimitError when the budget is spent: refuse before doing any work."""
        if self.remaining < 0:
            raise ExpansionLimitError(
                f"variable expansions in this file add more than {FILE_BUDGET} characters in total"
            )

    def charge(self, source_length: int, expanded_length: int) -> None:
        """Count an expansion's growth; ExpansionLimitError once the file's budget is spent."""
        self.remaining -= max(0, expanded_length - source_length)
        self.check()


def expansion_limit(source_length: int) -> int:
    """How many characters the expansion of a text of `source_length` characters may produce."""
    return max(MAX_EXPANDED, source_length)


def extend_bounded(chars: list[str], offs: list[int], value: Value, limit: int) -> None:
    """Append `value` to an expansion being built, refusing to grow it past `limit` characters,
    checked before copying so memory stays bounded whatever the variables hold. A longer value may
    still be copied whole into an empty expansion (`ARG COPY=$PACKAGES`): that copies, it does not grow."""
    if len(chars) + len(value.text) > max(limit, len(value.text)):
        raise ExpansionLimitError(
            f"expansion longer than {limit} characters (variables repeated or nested to grow a value)"
        )
    chars.extend(value.text)
    offs.extend(value.offsets)


def enter_nesting(depth: int) -> int:
    """The nesting depth inside one more `${`, or ExpansionLimitError past `MAX_NESTING`."""
    if depth >= MAX_NESTING:
        raise ExpansionLimitError(f"variable references nested more than {MAX_NESTING} deep")
    return depth + 1


Value = MappedText
"""An expanded value: text plus the source offset of each character."""


def literal(text: str, start: int = -1) -> Value:
    """A value copied from the source at `start`, or from outside it when start < 0."""
    if start < 0:
        return MappedText(text, (-1,) * len(text))
    return MappedText(text, tuple(range(start, start + len(text))))


class Expansion:
    """An expanded word, the variables it referenced (in order) and those without a value."""

    __slots__ = ("missing", "used", "value")

    def __init__(self, value: Value, used: list[str] | None = None, missing: list[str] | None = None) -> None:
        self.value = value
        self.used = used if used is not None else []
        self.missing = missing if missing is not None else []


_SPECIAL = "@*#?-!$0123456789"
_EMPTY = MappedText("", ())


class _Lexer:
    def __init__(self, word: MappedText, env: Mapping[str, Value], escape: str) -> None:
        self.text = word.text
        self.offsets = word.offsets
        self.env = env
        self.escape = escape
        self.pos = 0
        self.used: list[str] = []
        self.missing: list[str] = []
        self.limit = expansion_limit(len(word.text))
        self.depth = 0

    def _emit(self, chars: list[str], offs: list[int], value: Value) -> None:
        extend_bounded(chars, offs, value, self.limit)

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def run(self, stop: str = "") -> tuple[list[str], list[int]]:
        """Process up to (not including) an unquoted `stop` character, or to the end."""
        chars: list[str] = []
        offs: list[int] = []
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if stop and ch == stop:
                return chars, offs
            if ch == self.escape:
                self.pos += 1
                if self.pos < len(text):
                    chars.append(text[self.pos])
                    offs.append(self.offsets[self.pos])
                    self.pos += 1
                continue
            if ch == "'":
                self._single_quote(chars, offs)
            elif ch == '"':
                self._double_quote(chars, offs)
            elif ch == "$":
                self._dollar(chars, offs)
            else:
                chars.append(ch)
                offs.append(self.offsets[self.pos])
                self.pos += 1
        if stop:
            raise ExpansionError(f"missing '{stop}' in substitution")
        return chars, offs

    def _single_quote(self, chars: list[str], offs: list[int]) -> None:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise ExpansionError("unexpected end of statement while looking for matching single-quote")
        for i in range(self.pos + 1, end):
            chars.append(self.text[i])
            offs.append(self.offsets[i])
        self.pos = end + 1

    def _double_quote(self, chars: list[str], offs: list[int]) -> None:
        self.pos += 1
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return
            if ch == "$":
                self._dollar(chars, offs)
                continue
            if ch == self.escape and self.pos + 1 < len(text) and text[self.pos + 1] in ('"', "$", self.escape):
                self.pos += 1
                ch = text[self.pos]
            chars.append(ch)
            offs.append(self.offsets[self.pos])
            self.pos += 1
        raise ExpansionError("unexpected end of statement while looking for matching double-quote")

    def _name(self) -> str:
        text = self.text
        start = self.pos
        if start < len(text) and text[start] in _SPECIAL:
            self.pos += 1
            return text[start]
        while self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] == "_"):
            self.pos += 1
        return text[start : self.pos]

    def _lookup(self, name: str) -> Value | None:
        self.used.append(name)
        return self.env.get(name)

    def _dollar(self, chars: list[str], offs: list[int]) -> None:
        dollar = self.pos
        self.pos += 1
        if self._peek() != "{":
            name = self._name()
            if not name:
                chars.append("$")
                offs.append(self.offsets[dollar])
                return
            value = self._lookup(name)
            if value is None:
                self.missing.append(name)
            else:
                self._emit(chars, offs, value)
            return
        self.pos += 1  # '{'
        self.depth = enter_nesting(self.depth)
        try:
            self._braced(chars, offs)
        finally:
            self.depth -= 1

    def _braced(self, chars: list[str], offs: list[int]) -> None:
        name = self._name()
        if not name:
            raise ExpansionError("bad substitution: missing variable name after '${'")
        value = self._lookup(name)
        op = self._peek()
        if op == "}":
            self.pos += 1
            if value is None:
                self.missing.append(name)
            else:
                self._emit(chars, offs, value)
            return
        if op == ":":
            self.pos += 1
            op2 = self._peek()
            if op2 not in ("-", "+", "?"):
                raise ExpansionError(f"unsupported modifier (:{op2}) in substitution of {name}")
            self.pos += 1
            self._conditional(name, value, op2, colon=True, chars=chars, offs=offs)
            return
        if op in ("-", "+", "?"):
            self.pos += 1
            self._conditional(name, value, op, colon=False, chars=chars, offs=offs)
            return
        if op in ("#", "%"):
            self.pos += 1
            longest = self._peek() == op
            if longest:
                self.pos += 1
            pattern, _ = self.run(stop="}")
            self.pos += 1
            base = value if value is not None else literal("")
            if value is None:
                self.missing.append(name)
            start, end = _trim(base.text, "".join(pattern), prefix=op == "#", longest=longest)
            self._emit(chars, offs, MappedText(base.text[start:end], base.offsets[start:end]))
            return
        if op == "/":
            self.pos += 1
            replace_all = self._peek() == "/"
            if replace_all:
                self.pos += 1
            pattern, _ = self.run(stop="/")
            self.pos += 1
            replacement, _ = self.run(stop="}")
            self.pos += 1
            base = value if value is not None else literal("")
            if value is None:
                self.missing.append(name)
            out, out_offs = _replace(base, "".join(pattern), "".join(replacement), replace_all, self.limit)
            self._emit(chars, offs, MappedText("".join(out), tuple(out_offs)))
            return
        raise ExpansionError(f"unsupported modifier ({op}) in substitution of {name}")

    def _conditional(
        self, name: str, value: Value | None, op: str, *, colon: bool, chars: list[str], offs: list[int]
    ) -> None:
        missing_before = len(self.missing)
        word_chars, word_offs = self.run(stop="}")
        self.pos += 1
        word_missing = self.missing[missing_before:]
        del self.missing[missing_before:]
        word = MappedText("".join(word_chars), tuple(word_offs))
        result = conditional(op, value, word, colon=colon)
        if result is None:  # '?': an error in BuildKit when unset (or empty with ':')
            self.missing.append(name)
            return
        self._emit(chars, offs, result)
        if result is word:
            self.missing.extend(word_missing)


def conditional(op: str, value: Value | None, word: Value, *, colon: bool) -> Value | None:
    """What `${VAR-word}`, `${VAR+word}` and `${VAR?word}` (with `:`: also when empty) give: the
    variable's value, the word, an empty value, or None for a `?` whose variable has no value.
    Shared by the Dockerfile lexer and Compose interpolation, which agree on these forms."""
    usable = value is not None and (not colon or value.text != "")
    if op == "-":
        return value if usable else word
    if op == "+":
        return word if usable else _EMPTY
    return value if usable else None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Regex for a shell pattern (`*`, `?`, `\\x`) whose matching time stays polynomial: each `*`
    but the last takes the shortest run that lets the next fixed part match, atomically (the
    leftmost place of a fixed-length part never loses a match), so `*a*a*a…` cannot backtrack
    exponentially over a value from the file."""
    groups: list[list[str]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            groups[-1].append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            groups.append([])
        else:
            groups[-1].append("." if ch == "?" else re.escape(ch))
        i += 1
    if len(groups) == 1:
        return re.compile("".join(groups[0]), re.DOTALL)
    middle = "".join(f"(?>.*?{''.join(group)})" for group in groups[1:-1] if group)
    return re.compile("".join(groups[0]) + middle + ".*" + "".join(groups[-1]), re.DOTALL)


def _trim(text: str, pattern: str, *, prefix: bool, longest: bool) -> tuple[int, int]:
    """Bounds of what remains of `text` after removing a matching prefix or suffix."""
    regex = _glob_regex(pattern)
    n = len(text)
    sizes = range(n, -1, -1) if longest else range(n + 1)
    for size in sizes:
        if prefix and regex.fullmatch(text, 0, size):
            return size, n
        if not prefix and regex.fullmatch(text, n - size, n):
            return 0, n - size
    return 0, n


def _replace(
    base: Value, pattern: str, replacement: str, replace_all: bool, limit: int
) -> tuple[list[str], list[int]]:
    regex = _glob_regex(pattern)
    chars: list[str] = []
    offs: list[int] = []
    pos = 0
    for match in regex.finditer(base.text):
        if match.end() == match.start():
            continue
        before = MappedText(base.text[pos : match.start()], base.offsets[pos : match.start()])
        extend_bounded(chars, offs, before, limit)
        extend_bounded(chars, offs, literal(replacement), limit)
        pos = match.end()
        if not replace_all:
            break
    chars.extend(base.text[pos:])
    offs.extend(base.offsets[pos:])
    return chars, offs


def expand(
    word: MappedText, env: Mapping[str, Value], escape: str = "\\", budget: ExpansionBudget | None = None
) -> Expansion:
    """Expand variables in `word` and remove its quotes; `env` holds the variables that are set.
    ExpansionLimitError (an ExpansionError) when the value grows too large or nests too deep, or
    when `budget`, the file's, is spent."""
    if budget is not None:
        budget.check()
    lexer = _Lexer(word, env, escape)
    chars, offs = lexer.run()
    if budget is not None:
        budget.charge(len(word.text), len(chars))
    return Expansion(MappedText("".join(chars), tuple(offs)), lexer.used, lexer.missing)


SENTINEL = "pinlintvariable"


def tag_part(text: str) -> str | None:
    """The tag of `name[:tag][@digest]` as written (no validation), or None."""
    name = text.split("@", 1)[0]
    colon = name.rfind(":")
    return name[colon + 1 :] if colon > name.rfind("/") else None


def digest_part(text: str) -> str | None:
    """The digest of `name[:tag]@digest` as written, or None."""
    _, at, digest = text.partition("@")
    return digest if at else None


def insertion_is_safe(text: str, pos: int) -> bool:
    """Whether a digest appended at text[pos] stays attached to the whole reference: only closing
    braces or quotes may come before the word ends (`${IMG:-nginx:1.25}` yes, `nginx:1.25${SUFFIX}`
    no, since the suffix would land after the digest once it has a value)."""
    i = pos
    while i < len(text) and text[i] in "}\"'":
        i += 1
    return i == len(text) or text[i] in " \t\r\n,]@"
