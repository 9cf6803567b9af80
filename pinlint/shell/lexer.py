"""The shell lexer: words (quotes and escapes removed from the value, [start, end) offsets of
each word in the input kept), operators, redirections with their heredoc bodies, and the
spans of the substitutions (`$(…)`, backticks, `<(…)`) nested inside a word.

It is forgiving and never raises: an unbalanced quote or bracket takes the rest of the text.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pinlint.shell.syntax import SPACE, ShellWord

_OPERATORS = (
    "&&", "||", ";;", "|&", "&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">&", ">>", ">|",
    ";", "|", "&", "(", ")", "<", ">",
)  # fmt: skip
REDIRECTS = frozenset({"<", ">", ">>", ">|", "<>", "<&", ">&", "&>", "&>>", "<<<", "<<", "<<-"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FD_REDIRECT = re.compile(r"\d+(?=[<>])")


class Sub(NamedTuple):
    kind: str  # "$(", "`", "<(", ">("
    start: int  # the nested text, without its delimiters
    end: int


class Token:
    """A lexer token; a heredoc operator learns its `body` (offsets in the text) later."""

    __slots__ = ("body", "end", "op", "start", "subs", "word")

    def __init__(
        self, op: str, start: int, end: int, word: ShellWord | None = None, subs: tuple[Sub, ...] = ()
    ) -> None:
        self.op = op  # "" for a word
        self.start = start
        self.end = end
        self.word = word
        self.subs = subs
        self.body: tuple[int, int] | None = None


class Lexer:
    """Tokens of text[lo:hi]; offsets are absolute positions in text."""

    def __init__(self, text: str, lo: int, hi: int) -> None:
        self.text = text
        self.lo = lo
        self.hi = hi

    def tokens(self) -> list[Token]:
        text, hi = self.text, self.hi
        toks: list[Token] = []
        pending: list[tuple[Token, str, bool]] = []  # heredocs waiting for the next newline
        awaiting: Token | None = None  # heredoc operator waiting for its delimiter word
        pos = self.lo
        while pos < hi:
            ch = text[pos]
            if ch in SPACE:
                pos += 1
            elif ch == "\\" and pos + 1 < hi and text[pos + 1] == "\n":
                pos += 2
            elif ch == "\n":
                toks.append(Token("\n", pos, pos + 1))
                pos += 1
                for op_token, delimiter, strip_tabs in pending:
                    pos = self._heredoc_body(pos, op_token, delimiter, strip_tabs)
                pending.clear()
            elif ch == "#":
                end = text.find("\n", pos, hi)
                pos = hi if end == -1 else end
            elif ch in "<>" and pos + 1 < hi and text[pos + 1] == "(":
                close = self._close_paren(pos + 2)
                end = min(close + 1, hi)
                word = ShellWord(text[pos:end], pos, end, dynamic=True)
                toks.append(Token("", pos, end, word, (Sub(ch + "(", pos + 2, close),)))
                pos = end
            else:
                op = self._operator(pos)
                if op is not None:
                    fd = _FD_REDIRECT.match(text, pos, hi)
                    length = (fd.end() - pos if fd else 0) + len(op)
                    token = Token(op, pos, pos + length)
                    toks.append(token)
                    awaiting = token if op in ("<<", "<<-") else None
                    pos += length
                    continue
                token = self._word(pos)
                toks.append(token)
                pos = token.end
                if awaiting is not None and token.word is not None:
                    pending.append((awaiting, token.word.value, awaiting.op == "<<-"))
                awaiting = None
        return toks

    def _operator(self, pos: int) -> str | None:
        text = self.text
        fd = _FD_REDIRECT.match(text, pos, self.hi)
        start = fd.end() if fd else pos
        for op in _OPERATORS:
            if text.startswith(op, start) and start + len(op) <= self.hi:
                if fd and op not in REDIRECTS:
                    return None
                return op
        return None

    def _heredoc_body(self, pos: int, token: Token, delimiter: str, strip_tabs: bool) -> int:
        text, hi = self.text, self.hi
        start = pos
        while pos < hi:
            eol = text.find("\n", pos, hi)
            eol = hi if eol == -1 else eol
            line = text[pos:eol].rstrip("\r")
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                token.body = (start, pos)
                return min(eol + 1, hi)
            pos = eol + 1
        token.body = (start, hi)
        return hi

    def _word(self, pos: int) -> Token:
        text, hi = self.text, self.hi
        start = pos
        value: list[str] = []
        subs: list[Sub] = []
        dynamic = quoted = False
        while pos < hi:
            ch = text[pos]
            if ch in SPACE or ch in "\n;&|()<>":
                break
            if ch == "\\":
                if pos + 1 < hi:
                    if text[pos + 1] != "\n":
                        value.append(text[pos + 1])
                    pos += 2
                else:
                    value.append("\\")
                    pos += 1
            elif ch == "'":
                quoted = True
                close = text.find("'", pos + 1, hi)
                close = hi if close == -1 else close
                value.append(text[pos + 1 : close])
                pos = min(close + 1, hi)
            elif ch == '"':
                quoted = True
                pos, dyn = self._double(pos + 1, value, subs)
                dynamic = dynamic or dyn
            elif ch == "$":
                pos, dyn, ansi = self._dollar(pos, value, subs, in_double=False)
                dynamic = dynamic or dyn
                quoted = quoted or ansi
            elif ch == "`":
                close = self._close_backtick(pos + 1)
                subs.append(Sub("`", pos + 1, close))
                value.append(text[pos : min(close + 1, hi)])
                dynamic = True
                pos = min(close + 1, hi)
            else:
                value.append(ch)
                pos += 1
        if pos == start:  # a lone character no rule above consumed; never loop forever
            pos += 1
            value.append(text[start])
        word = ShellWord("".join(value), start, pos, dynamic, quoted)
        return Token("", start, pos, word, tuple(subs))

    def _double(self, pos: int, value: list[str], subs: list[Sub]) -> tuple[int, bool]:
        """Read a double-quoted string from just after its opening quote."""
        text, hi = self.text, self.hi
        dynamic = False
        while pos < hi:
            ch = text[pos]
            if ch == '"':
                return pos + 1, dynamic
            if ch == "\\" and pos + 1 < hi and text[pos + 1] in '$`"\\\n':
                if text[pos + 1] != "\n":
                    value.append(text[pos + 1])
                pos += 2
            elif ch == "$":
                pos, dyn, _ = self._dollar(pos, value, subs, in_double=True)
                dynamic = dynamic or dyn
            elif ch == "`":
                close = self._close_backtick(pos + 1)
                subs.append(Sub("`", pos + 1, close))
                value.append(text[pos : min(close + 1, hi)])
                dynamic = True
                pos = min(close + 1, hi)
            else:
                value.append(ch)
                pos += 1
        return hi, dynamic

    def _dollar(self, pos: int, value: list[str], subs: list[Sub], *, in_double: bool) -> tuple[int, bool, bool]:
        """Read an expansion at a `$`; returns (next position, dynamic, ANSI-C quoted)."""
        text, hi = self.text, self.hi
        nxt = text[pos + 1] if pos + 1 < hi else ""
        if nxt == "(":
            close = self._close_paren(pos + 2)
            if not text.startswith("((", pos + 1):
                subs.append(Sub("$(", pos + 2, close))
            end = min(close + 1, hi)
        elif nxt == "{":
            end = min(self._close_brace(pos + 2) + 1, hi)
        elif nxt == "'" and not in_double:
            end = pos + 2
            chars: list[str] = []
            while end < hi and text[end] != "'":
                if text[end] == "\\" and end + 1 < hi:
                    chars.append({"n": "\n", "t": "\t"}.get(text[end + 1], text[end + 1]))
                    end += 2
                else:
                    chars.append(text[end])
                    end += 1
            value.append("".join(chars))
            return min(end + 1, hi), False, True
        elif nxt == '"' and not in_double:
            return pos + 1, False, False  # $"…" (locale string) reads as "…"
        elif nxt and (_NAME.match(nxt) or nxt in "0123456789@*#?-$!"):
            match = _NAME.match(text, pos + 1, hi)
            end = match.end() if match else pos + 2
        else:
            value.append("$")
            return pos + 1, False, False
        value.append(text[pos:end])
        return end, True, False

    def _close_paren(self, pos: int) -> int:
        """Index of the `)` closing a `(` just before pos, or hi when unbalanced."""
        return self._close(pos, "(", ")", backticks=True)

    def _close_brace(self, pos: int) -> int:
        """Index of the `}` closing a `${` just before pos, or hi when unbalanced."""
        return self._close(pos, "{", "}", backticks=False)

    def _close(self, pos: int, opening: str, closing: str, *, backticks: bool) -> int:
        """Index of the `closing` that balances an `opening` just before pos, skipping quoted text
        and escapes (and backtick substitutions when `backticks`), or hi when unbalanced."""
        text, hi = self.text, self.hi
        depth = 1
        while pos < hi:
            ch = text[pos]
            if ch == "\\":
                pos += 2
                continue
            if ch == "'":
                close = text.find("'", pos + 1, hi)
                pos = hi if close == -1 else close + 1
                continue
            if ch == '"':
                pos = self._skip_double(pos + 1)
                continue
            if backticks and ch == "`":
                pos = self._close_backtick(pos + 1) + 1
                continue
            if ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    return pos
            pos += 1
        return hi

    def _skip_double(self, pos: int) -> int:
        """Position just past the `"` closing a string that starts at pos."""
        text, hi = self.text, self.hi
        while pos < hi:
            ch = text[pos]
            if ch == "\\":
                pos += 2
                continue
            if ch == '"':
                return pos + 1
            if ch == "$" and text.startswith("$(", pos):
                pos = self._close_paren(pos + 2) + 1
                continue
            pos += 1
        return hi

    def _close_backtick(self, pos: int) -> int:
        text, hi = self.text, self.hi
        while pos < hi:
            if text[pos] == "\\":
                pos += 2
                continue
            if text[pos] == "`":
                return pos
            pos += 1
        return hi
