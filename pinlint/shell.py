"""Shell analysis of RUN instructions, for the rules that look inside commands (PIN103–PIN208).

This module owns a small, forgiving reader of POSIX-like shell text: it tokenises words
(quotes and escapes removed from the value, the [start, end) offsets of each word in the
input kept), splits the text into simple commands on `&&`, `||`, `;`, `|`, `&`, newlines and
parentheses, follows `$(…)`, backticks, `<(…)`, heredoc bodies fed to a shell and `sh -c '…'`
strings into nested commands, and records which commands form a pipeline. It is not a full
POSIX parser and never raises: an unbalanced quote or parenthesis takes the rest of the text.

Around a command it knows the wrappers that run another command (`sudo`, `env`, `xargs`,
`nice`, `timeout`, …: `Command.argv` starts at the real program), how interpreters take their
program (stdin, `-c`, a script operand), and how to split options from operands.

`run_sources` is the glue to the Dockerfile model: the shell scripts a RUN instruction runs
(its command text, heredoc bodies run by a shell, the `sh -c` string of an exec form), each
with a way back to source spans. Everything else is a pure function over strings.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from pinlint.model import Heredoc, Instruction, Span

__all__ = [
    "Command",
    "Invocation",
    "JsonString",
    "Option",
    "ParsedArgs",
    "Redirect",
    "ShellSource",
    "ShellWord",
    "basename",
    "heredoc_runs_as_shell",
    "interpreter_invocation",
    "is_commit_sha",
    "parse_args",
    "parse_json_array",
    "parse_script",
    "run_sources",
    "shell_words",
    "subcommand",
]

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "yash"})

_OPERATORS = (
    "&&", "||", ";;", "|&", "&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">&", ">>", ">|",
    ";", "|", "&", "(", ")", "<", ">",
)  # fmt: skip
_REDIRECTS = frozenset({"<", ">", ">>", ">|", "<>", "<&", ">&", "&>", "&>>", "<<<", "<<", "<<-"})
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac"})
_HEADERS = frozenset({"for", "select", "case", "function"})  # their words are not a command
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FD_REDIRECT = re.compile(r"\d+(?=[<>])")
_SPACE = " \t\r\v\f"
_COMMIT_SHA = re.compile(r"[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?")


class ShellWord(NamedTuple):
    """One shell word: `value` with quotes and escapes removed, `[start, end)` in the input.

    Expansions (`$VAR`, `${…}`, `$(…)`, backticks) stay in `value` as written and set
    `dynamic`: the word's run-time value cannot be known from the text.
    """

    value: str
    start: int
    end: int
    dynamic: bool = False
    quoted: bool = False


class Redirect(NamedTuple):
    op: str  # "<", ">>", "<<", "<<-", "2>" is op ">" with start at the "2"
    start: int
    end: int  # end of the operator
    target: ShellWord | None
    body: tuple[int, int] | None = None  # a heredoc body found in the same text


class Command(NamedTuple):
    """One simple command.

    `words` is everything after assignments and redirections; `argv` starts at the program
    actually run, past wrappers such as `sudo -E` or `env X=1`. Commands joined by `|` share
    `pipeline` and count up `stage`. A command nested inside another one's word (`$(…)`,
    backticks, `<(…)`), heredoc body (`<<`) or `sh -c` string (`-c`) names it by `parent`
    (an index into the same command tuple), `parent_word` and `via`.
    """

    words: tuple[ShellWord, ...]
    argv: tuple[ShellWord, ...]
    assignments: tuple[ShellWord, ...]
    redirects: tuple[Redirect, ...]
    pipeline: int
    stage: int
    parent: int | None = None
    parent_word: ShellWord | None = None
    via: str = ""

    @property
    def name(self) -> str:
        """The program's base name (`/usr/bin/pip3` → `pip3`), or "" for no command."""
        return basename(self.argv[0].value) if self.argv else ""


def basename(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def is_commit_sha(value: str) -> bool:
    """A full Git object name: 40 hex digits (SHA-1) or 64 (SHA-256 repositories)."""
    return _COMMIT_SHA.fullmatch(value) is not None


# -- lexer ----------------------------------------------------------------------------------


class _Sub(NamedTuple):
    kind: str  # "$(", "`", "<(", ">("
    start: int  # the nested text, without its delimiters
    end: int


class _Token:
    """A lexer token; a heredoc operator learns its `body` (offsets in the text) later."""

    __slots__ = ("body", "end", "op", "start", "subs", "word")

    def __init__(
        self, op: str, start: int, end: int, word: ShellWord | None = None, subs: tuple[_Sub, ...] = ()
    ) -> None:
        self.op = op  # "" for a word
        self.start = start
        self.end = end
        self.word = word
        self.subs = subs
        self.body: tuple[int, int] | None = None


class _Lexer:
    """Tokens of text[lo:hi]; offsets are absolute positions in text."""

    def __init__(self, text: str, lo: int, hi: int) -> None:
        self.text = text
        self.lo = lo
        self.hi = hi

    def tokens(self) -> list[_Token]:
        text, hi = self.text, self.hi
        toks: list[_Token] = []
        pending: list[tuple[_Token, str, bool]] = []  # heredocs waiting for the next newline
        awaiting: _Token | None = None  # heredoc operator waiting for its delimiter word
        pos = self.lo
        while pos < hi:
            ch = text[pos]
            if ch in _SPACE:
                pos += 1
            elif ch == "\\" and pos + 1 < hi and text[pos + 1] == "\n":
                pos += 2
            elif ch == "\n":
                toks.append(_Token("\n", pos, pos + 1))
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
                toks.append(_Token("", pos, end, word, (_Sub(ch + "(", pos + 2, close),)))
                pos = end
            else:
                op = self._operator(pos)
                if op is not None:
                    fd = _FD_REDIRECT.match(text, pos, hi)
                    length = (fd.end() - pos if fd else 0) + len(op)
                    token = _Token(op, pos, pos + length)
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
                if fd and op not in _REDIRECTS:
                    return None
                return op
        return None

    def _heredoc_body(self, pos: int, token: _Token, delimiter: str, strip_tabs: bool) -> int:
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

    def _word(self, pos: int) -> _Token:
        text, hi = self.text, self.hi
        start = pos
        value: list[str] = []
        subs: list[_Sub] = []
        dynamic = quoted = False
        while pos < hi:
            ch = text[pos]
            if ch in _SPACE or ch in "\n;&|()<>":
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
                subs.append(_Sub("`", pos + 1, close))
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
        return _Token("", start, pos, word, tuple(subs))

    def _double(self, pos: int, value: list[str], subs: list[_Sub]) -> tuple[int, bool]:
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
                subs.append(_Sub("`", pos + 1, close))
                value.append(text[pos : min(close + 1, hi)])
                dynamic = True
                pos = min(close + 1, hi)
            else:
                value.append(ch)
                pos += 1
        return hi, dynamic

    def _dollar(self, pos: int, value: list[str], subs: list[_Sub], *, in_double: bool) -> tuple[int, bool, bool]:
        """Read an expansion at a `$`; returns (next position, dynamic, ANSI-C quoted)."""
        text, hi = self.text, self.hi
        nxt = text[pos + 1] if pos + 1 < hi else ""
        if nxt == "(":
            close = self._close_paren(pos + 2)
            if not text.startswith("((", pos + 1):
                subs.append(_Sub("$(", pos + 2, close))
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


# -- commands -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.commands: list[Command] = []
        self.pipelines = 0
        self.depth = 0

    def parse(self, lo: int, hi: int, parent: int | None, via: str, parent_word: ShellWord | None) -> None:
        if len(self.commands) > 10_000 or self.depth > 40:  # a pathological input; enough is enough
            return
        self.depth += 1
        try:
            self._parse(lo, hi, parent, via, parent_word)
        finally:
            self.depth -= 1

    def _parse(self, lo: int, hi: int, parent: int | None, via: str, parent_word: ShellWord | None) -> None:
        words: list[_Token] = []
        redirects: list[tuple[_Token, _Token | None]] = []
        pipe_pending = False
        last: tuple[int, int] | None = None
        toks = _Lexer(self.text, lo, hi).tokens()
        i = 0
        while i < len(toks):
            tok = toks[i]
            if not tok.op:
                words.append(tok)
                i += 1
                continue
            if tok.op in _REDIRECTS:
                target = toks[i + 1] if i + 1 < len(toks) and not toks[i + 1].op else None
                redirects.append((tok, target))
                i += 2 if target is not None else 1
                continue
            if words or redirects:
                last = self._finish(words, redirects, last, pipe_pending, parent, via, parent_word)
                pipe_pending = False
                words, redirects = [], []
            if tok.op in ("|", "|&"):
                pipe_pending = True
            elif tok.op != "(":
                pipe_pending = False
            i += 1
        if words or redirects:
            self._finish(words, redirects, last, pipe_pending, parent, via, parent_word)

    def _finish(
        self,
        tokens: list[_Token],
        redirect_tokens: list[tuple[_Token, _Token | None]],
        last: tuple[int, int] | None,
        piped: bool,
        parent: int | None,
        via: str,
        parent_word: ShellWord | None,
    ) -> tuple[int, int]:
        all_words = [t.word for t in tokens if t.word is not None]
        rest = all_words
        assignments: list[ShellWord] = []
        while rest:
            first = rest[0]
            raw = self.text[first.start : first.end]
            if not first.quoted and first.value in _RESERVED:
                rest = rest[1:]
            elif _ASSIGNMENT.match(raw):
                assignments.append(first)
                rest = rest[1:]
            else:
                break
        if rest and not rest[0].quoted and rest[0].value in _HEADERS:
            rest = []
        redirects = tuple(
            Redirect(op.op, op.start, op.end, target.word if target else None, op.body)
            for op, target in redirect_tokens
        )
        if piped and last is not None:
            pipeline, stage = last[0], last[1] + 1
        else:
            pipeline, stage = self.pipelines, 0
            self.pipelines += 1
        argv = _strip_wrappers(rest)
        command = Command(tuple(rest), argv, tuple(assignments), redirects, pipeline, stage, parent, parent_word, via)
        self.commands.append(command)
        index = len(self.commands) - 1
        self._nested(index, command, tokens, redirect_tokens)
        return pipeline, stage

    def _nested(
        self,
        index: int,
        command: Command,
        tokens: list[_Token],
        redirect_tokens: list[tuple[_Token, _Token | None]],
    ) -> None:
        script_word: ShellWord | None = None
        invocation = interpreter_invocation(command.argv)
        if invocation is not None and invocation.family == "shell" and invocation.code is not None:
            raw = self.text[invocation.code.start : invocation.code.end]
            if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
                script_word = invocation.code
        carriers = tokens + [target for _, target in redirect_tokens if target is not None]
        for tok in carriers:
            if tok.word is None:
                continue
            if script_word is not None and tok.word == script_word:
                self.parse(tok.start + 1, tok.end - 1, index, "-c", tok.word)
                continue
            for sub in tok.subs:
                self.parse(sub.start, sub.end, index, sub.kind, tok.word)
        for op, target in redirect_tokens:
            if op.body is None or op.op not in ("<<", "<<-"):
                continue
            start, end = op.body
            if heredoc_runs_as_shell(command.argv, self.text[start:end]):
                self.parse(start, end, index, "<<", target.word if target else None)


def parse_script(text: str) -> tuple[Command, ...]:
    """Every simple command in a shell script, nested ones included, in reading order of
    their parents (a parent always comes before the commands nested in it)."""
    parser = _Parser(text)
    with contextlib.suppress(RecursionError):  # quotes and substitutions nested thousands deep
        parser.parse(0, len(text), None, "", None)
    return tuple(parser.commands)


def shell_words(text: str) -> tuple[ShellWord, ...]:
    """The words of a shell text at its top level (operators and comments left out)."""
    try:
        tokens = _Lexer(text, 0, len(text)).tokens()
    except RecursionError:
        return ()
    return tuple(t.word for t in tokens if t.word is not None)


# -- wrappers and interpreters --------------------------------------------------------------


class _Wrapper(NamedTuple):
    takes_value: frozenset[str] = frozenset()
    positionals: int = 0  # operands before the command (`timeout 10 cmd`, `gosu user cmd`)
    assignments: bool = False  # `env X=1 cmd`
    lookup: frozenset[str] = frozenset()  # options that make it run nothing (`command -v`)


def _options(*names: str) -> frozenset[str]:
    return frozenset(names)


_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _Wrapper(
        _options(
            "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group",
            "--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--other-user",
            "--command-timeout",
        ),
        assignments=True,
    ),
    "doas": _Wrapper(_options("-u", "-C"), assignments=True),
    "env": _Wrapper(_options("-u", "--unset", "-C", "--chdir", "-S", "--split-string"), assignments=True),
    "nice": _Wrapper(_options("-n", "--adjustment")),
    "ionice": _Wrapper(_options("-c", "-n", "-p", "--class", "--classdata")),
    "nohup": _Wrapper(),
    "eatmydata": _Wrapper(),
    "busybox": _Wrapper(),
    "exec": _Wrapper(_options("-a")),
    "command": _Wrapper(lookup=_options("-v", "-V")),
    "builtin": _Wrapper(),
    "time": _Wrapper(_options("-f", "-o", "--format", "--output")),
    "stdbuf": _Wrapper(_options("-i", "-o", "-e", "--input", "--output", "--error")),
    "timeout": _Wrapper(_options("-s", "-k", "--signal", "--kill-after"), positionals=1),
    "xargs": _Wrapper(
        _options(
            "-I", "-n", "-L", "-P", "-d", "-E", "-s", "-a", "--max-args", "--max-lines",
            "--max-procs", "--delimiter", "--eof", "--max-chars", "--arg-file", "--replace",
            "--process-slot-var",
        )
    ),
    "gosu": _Wrapper(positionals=1),
    "su-exec": _Wrapper(positionals=1),
    "chroot": _Wrapper(_options("--userspec", "--groups"), positionals=1),
}  # fmt: skip


def _skip_options(words: Sequence[ShellWord], i: int, takes_value: frozenset[str]) -> int:
    """Index of the first word at or after i that is not an option (or an option's value)."""
    while i < len(words):
        value = words[i].value
        if value == "--":
            return i + 1
        if len(value) < 2 or value[0] != "-":
            return i
        if value.startswith("--"):
            i += 2 if value in takes_value else 1
            continue
        letters = value[1:]
        consumes = False
        for k, letter in enumerate(letters):
            if f"-{letter}" in takes_value:
                consumes = k == len(letters) - 1
                break
        i += 2 if consumes else 1
    return i


def _strip_wrappers(words: Sequence[ShellWord]) -> tuple[ShellWord, ...]:
    rest = tuple(words)
    for _ in range(8):
        if not rest:
            break
        wrapper = _WRAPPERS.get(basename(rest[0].value))
        if wrapper is None:
            break
        if any(w.value in wrapper.lookup for w in rest[1:2]):
            return ()
        i = _skip_options(rest, 1, wrapper.takes_value)
        if wrapper.assignments:
            while i < len(rest) and (_ASSIGNMENT.match(rest[i].value) or rest[i].value == "-"):
                i += 1
        rest = rest[min(i + wrapper.positionals, len(rest)) :]
    return rest


class _InterpreterSpec(NamedTuple):
    code: frozenset[str]  # option letters whose argument is program text (or a module)
    takes_value: frozenset[str] = frozenset()  # other option letters with an argument
    stdin: frozenset[str] = frozenset()  # option letters that make it read the program from stdin
    long_code: frozenset[str] = frozenset()
    long_value: frozenset[str] = frozenset()
    code_is_operand: bool = False  # `sh -c` takes the first operand as the program


_SHELL_SPEC = _InterpreterSpec(
    code=frozenset("c"),
    takes_value=frozenset("oO"),
    stdin=frozenset("s"),
    long_value=_options("--rcfile", "--init-file"),
    code_is_operand=True,
)
_SPECS: dict[str, _InterpreterSpec] = {
    "shell": _SHELL_SPEC,
    "python": _InterpreterSpec(code=frozenset("cm"), takes_value=frozenset("WX")),
    "perl": _InterpreterSpec(code=frozenset("eE")),
    "ruby": _InterpreterSpec(code=frozenset("e"), takes_value=frozenset("rI")),
    "node": _InterpreterSpec(
        code=frozenset("ep"),
        takes_value=frozenset("r"),
        long_code=_options("--eval", "--print"),
        long_value=_options("--require", "--import", "--loader"),
    ),
    "php": _InterpreterSpec(code=frozenset("r"), takes_value=frozenset("dc")),
}
_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?")


def interpreter_family(name: str) -> str | None:
    """The family ("shell", "python", "perl", "ruby", "node" or "php") of a program name, else None."""
    if name in SHELLS:
        return "shell"
    if _PYTHON.fullmatch(name):
        return "python"
    if name in ("perl", "ruby", "php"):
        return name
    if name in ("node", "nodejs"):
        return "node"
    return None


class Invocation(NamedTuple):
    """How an interpreter command gets its program.

    `code` is the word holding program text given on the command line (`sh -c CODE`,
    `python3 -c CODE`, `python3 -m MODULE`); `script` the first operand otherwise (a script
    file, or `-`); `reads_stdin` whether the program comes from standard input.
    """

    family: str
    code: ShellWord | None
    runs_code: bool
    script: ShellWord | None
    reads_stdin: bool


def interpreter_invocation(argv: Sequence[ShellWord]) -> Invocation | None:
    """How argv (wrappers already stripped) runs a program, or None when it is no interpreter."""
    if not argv:
        return None
    family = interpreter_family(basename(argv[0].value))
    if family is None:
        return None
    spec = _SPECS[family]
    code: ShellWord | None = None
    runs_code = stdin = False
    operands: list[ShellWord] = []
    i = 1
    while i < len(argv):
        value = argv[i].value
        if operands or value == "-" or value[:1] not in "-+" or len(value) < 2:
            operands.append(argv[i])
        elif value == "--":
            operands.extend(argv[i + 1 :])
            break
        elif value.startswith("--"):
            name, eq, _ = value.partition("=")
            if name in spec.long_code:
                runs_code = True
                if not eq and i + 1 < len(argv):
                    code = argv[i + 1]
                    i += 1
                elif eq:
                    code = argv[i]
            elif name in spec.long_value and not eq:
                i += 1
        else:
            letters = value[1:]
            for k, letter in enumerate(letters):
                if letter in spec.stdin:
                    stdin = True
                elif letter in spec.code:
                    runs_code = True
                    if spec.code_is_operand:
                        continue
                    if k + 1 < len(letters):
                        code = argv[i]
                    elif i + 1 < len(argv):
                        code = argv[i + 1]
                        i += 1
                    break
                elif letter in spec.takes_value:
                    if k + 1 == len(letters):
                        i += 1
                    break
        i += 1
    if runs_code and spec.code_is_operand:
        code = operands[0] if operands else None
        operands = operands[1:]
    script = None if runs_code or stdin or not operands else operands[0]
    reads_stdin = not runs_code and (stdin or script is None or script.value == "-")
    return Invocation(family, code, runs_code, script, reads_stdin)


def heredoc_runs_as_shell(argv: Sequence[ShellWord], body: str) -> bool:
    """Whether a heredoc given to the command argv is run as a shell script.

    A heredoc with no command around it (`RUN <<EOF`) is a script for the default shell,
    unless its first line is a `#!` naming another interpreter; `bash <<EOF` and
    `sh -s -- args <<EOF` read it as a script; anything else (`cat`, `python3`) gets data.
    """
    if not argv:
        if body.startswith("#!"):
            parts = body[2:].split("\n", 1)[0].split()
            if not parts:
                return True
            program = basename(parts[0])
            if program == "env":
                program = next((basename(p) for p in parts[1:] if not p.startswith("-")), "")
            return interpreter_family(program) == "shell"
        return True
    invocation = interpreter_invocation(argv)
    return invocation is not None and invocation.family == "shell" and invocation.reads_stdin


# -- options and operands -------------------------------------------------------------------


class Option(NamedTuple):
    name: str  # "-v", "--version" (as written, value removed)
    value: str | None
    word: ShellWord  # the word holding the option
    value_word: ShellWord | None = None  # a separate word holding the value


class ParsedArgs(NamedTuple):
    operands: tuple[ShellWord, ...]
    options: tuple[Option, ...]

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)

    def get(self, *names: str) -> Option | None:
        """The last option with one of the names."""
        found = None
        for option in self.options:
            if option.name in names:
                found = option
        return found


def parse_args(
    words: Sequence[ShellWord], takes_value: frozenset[str] = frozenset(), *, clusters: bool = True
) -> ParsedArgs:
    """Split words into options and operands, getopt-style (options may follow operands).

    `takes_value` names the options that take an argument (`-o`, `--target`); `--name=value`
    and (with `clusters`) `-ovalue`, `-yqo value` are understood. Without `clusters`, a
    single dash starts a long option, as Go tools write them (`-ldflags=…`). `--` ends options.
    """
    operands: list[ShellWord] = []
    options: list[Option] = []
    i = 0
    while i < len(words):
        word = words[i]
        value = word.value
        following = words[i + 1] if i + 1 < len(words) else None
        if value == "--":
            operands.extend(words[i + 1 :])
            break
        if len(value) < 2 or value[0] != "-":
            operands.append(word)
        elif value.startswith("--") or not clusters:
            name, eq, rest = value.partition("=")
            if eq:
                options.append(Option(name, rest, word))
            elif name in takes_value and following is not None:
                options.append(Option(name, following.value, word, following))
                i += 1
            else:
                options.append(Option(name, None, word))
        else:
            letters = value[1:]
            for k, letter in enumerate(letters):
                name = f"-{letter}"
                if name not in takes_value:
                    options.append(Option(name, None, word))
                    continue
                rest = letters[k + 1 :]
                if rest:
                    options.append(Option(name, rest.removeprefix("="), word))
                elif following is not None:
                    options.append(Option(name, following.value, word, following))
                    i += 1
                else:
                    options.append(Option(name, None, word))
                break
        i += 1
    return ParsedArgs(tuple(operands), tuple(options))


def subcommand(
    words: Sequence[ShellWord], takes_value: frozenset[str] = frozenset(), *, clusters: bool = True
) -> tuple[ShellWord | None, tuple[ShellWord, ...], tuple[ShellWord, ...]]:
    """The first operand of words (a tool's subcommand), the words before it and after it."""
    i = 0
    while i < len(words):
        value = words[i].value
        if value.startswith("+"):  # `cargo +nightly install`
            i += 1
        elif len(value) >= 2 and value[0] == "-" and value != "--":
            name = value.partition("=")[0] if (value.startswith("--") or not clusters) else value[:2]
            attached = "=" in value if (value.startswith("--") or not clusters) else len(value) > 2
            i += 2 if name in takes_value and not attached else 1
        else:
            break
    if i >= len(words):
        return None, tuple(words), ()
    return words[i], tuple(words[:i]), tuple(words[i + 1 :])


# -- exec form (JSON) -----------------------------------------------------------------------


class JsonString(NamedTuple):
    """A string of a JSON array: its decoded value and where each character came from.

    `start`/`end` cover the string with its quotes; `offsets[i]` is the input offset of the
    raw text of value[i], and offsets[len(value)] that of the closing quote.
    """

    value: str
    start: int
    end: int
    offsets: tuple[int, ...]


_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def parse_json_array(text: str) -> tuple[JsonString, ...] | None:
    """The strings of a JSON array of strings (exec form), or None when text is not one."""
    n = len(text)
    pos = _skip_json_space(text, 0)
    if pos >= n or text[pos] != "[":
        return None
    pos = _skip_json_space(text, pos + 1)
    items: list[JsonString] = []
    if pos < n and text[pos] == "]":
        return () if not text[pos + 1 :].strip() else None
    while True:
        item = _json_string(text, pos)
        if item is None:
            return None
        items.append(item)
        pos = _skip_json_space(text, item.end)
        if pos < n and text[pos] == ",":
            pos = _skip_json_space(text, pos + 1)
            continue
        if pos < n and text[pos] == "]" and not text[pos + 1 :].strip():
            return tuple(items)
        return None


def _skip_json_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _json_string(text: str, pos: int) -> JsonString | None:
    n = len(text)
    if pos >= n or text[pos] != '"':
        return None
    start = pos
    pos += 1
    chars: list[str] = []
    offsets: list[int] = []
    while pos < n:
        ch = text[pos]
        if ch == '"':
            offsets.append(pos)
            return JsonString("".join(chars), start, pos + 1, tuple(offsets))
        offsets.append(pos)
        if ch != "\\":
            chars.append(ch)
            pos += 1
            continue
        escape = text[pos + 1] if pos + 1 < n else ""
        if escape in _JSON_ESCAPES:
            chars.append(_JSON_ESCAPES[escape])
            pos += 2
        elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[pos + 2 : pos + 6]):
            code = int(text[pos + 2 : pos + 6], 16)
            pos += 6
            low = text[pos + 2 : pos + 6] if text.startswith("\\u", pos) else ""
            if 0xD800 <= code < 0xDC00 and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low):
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                pos += 6
            chars.append(chr(code))
        else:
            return None
    return None


# -- RUN instructions -----------------------------------------------------------------------


class ShellSource(NamedTuple):
    """One shell script a RUN instruction runs, with its commands and a way back to the source."""

    text: str
    commands: tuple[Command, ...]
    locate: Callable[[int, int], Span]  # source span of text[start:end]

    def span(self, word: ShellWord) -> Span:
        return self.locate(word.start, word.end)


def _body_locator(item: Instruction, base: int, offsets: tuple[int, ...] | None = None) -> Callable[[int, int], Span]:
    def locate(start: int, end: int) -> Span:
        try:
            if offsets is not None:
                start, end = offsets[start], offsets[end]
            return item.span_of(base + start, base + max(end, start + 1))
        except (AssertionError, IndexError, ValueError):
            return item.span

    return locate


def _heredoc_locator(item: Instruction, heredoc: Heredoc) -> Callable[[int, int], Span]:
    def locate(start: int, end: int) -> Span:
        try:
            return item.heredoc_span(heredoc, start, end)
        except (AssertionError, IndexError, ValueError):
            return item.span

    return locate


def _dockerfile_heredoc(text: str, redirect: Redirect) -> bool:
    """Whether BuildKit reads this `<<` as a heredoc: a whole word `<<NAME` (`2<<NAME`)."""
    before = text[redirect.start - 1] if redirect.start > 0 else " "
    return (
        redirect.op in ("<<", "<<-")
        and redirect.body is None
        and before in _SPACE + "\n"
        and redirect.target is not None
        and redirect.target.start == redirect.end
    )


def run_sources(item: Instruction) -> tuple[ShellSource, ...]:
    """The shell scripts a RUN instruction runs: its command text, the heredoc bodies a shell
    runs (`RUN <<EOF`, `RUN bash <<EOF`), or the `sh -c` string of an exec form. Never raises."""
    if item.keyword != "RUN":
        return ()
    text = item.command_text
    base = item.command_start
    if item.json:
        strings = parse_json_array(text)
        if not strings:
            return ()
        words = tuple(ShellWord(s.value, s.start, s.end, quoted=True) for s in strings)
        invocation = interpreter_invocation(_strip_wrappers(words))
        if invocation is None or invocation.family != "shell" or invocation.code is None:
            return ()
        script = strings[words.index(invocation.code)]
        return (ShellSource(script.value, parse_script(script.value), _body_locator(item, base, script.offsets)),)
    commands = parse_script(text)
    sources = [ShellSource(text, commands, _body_locator(item, base))]
    owners = sorted(
        ((r.start, c) for c in commands if not c.via for r in c.redirects if _dockerfile_heredoc(text, r)),
        key=lambda pair: pair[0],
    )
    for (_, command), heredoc in zip(owners, item.heredocs, strict=False):
        if heredoc_runs_as_shell(command.argv, heredoc.body):
            body = heredoc.body
            sources.append(ShellSource(body, parse_script(body), _heredoc_locator(item, heredoc)))
    return tuple(sources)
