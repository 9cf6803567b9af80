"""The shell parser: a script's simple commands, nested ones included.

It splits the lexer's tokens into simple commands on `&&`, `||`, `;`, `|`, `&`, newlines and
parentheses, records which commands form a pipeline, and follows `$(…)`, backticks, `<(…)`,
heredoc bodies fed to a shell and `sh -c '…'` strings into nested commands. It is not a full
POSIX parser and never raises; input nested absurdly deep is cut short, not an error.
"""

from __future__ import annotations

import contextlib

from pinlint.shell.commands import heredoc_runs_as_shell, interpreter_invocation, strip_wrappers
from pinlint.shell.lexer import REDIRECTS, Lexer, Token
from pinlint.shell.syntax import ASSIGNMENT, Command, Redirect, ShellWord

_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac"})
_HEADERS = frozenset({"for", "select", "case", "function"})  # their words are not a command


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
        words: list[Token] = []
        redirects: list[tuple[Token, Token | None]] = []
        pipe_pending = False
        last: tuple[int, int] | None = None
        toks = Lexer(self.text, lo, hi).tokens()
        i = 0
        while i < len(toks):
            tok = toks[i]
            if not tok.op:
                words.append(tok)
                i += 1
                continue
            if tok.op in REDIRECTS:
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
        tokens: list[Token],
        redirect_tokens: list[tuple[Token, Token | None]],
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
            elif ASSIGNMENT.match(raw):
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
        argv = strip_wrappers(rest)
        command = Command(tuple(rest), argv, tuple(assignments), redirects, pipeline, stage, parent, parent_word, via)
        self.commands.append(command)
        index = len(self.commands) - 1
        self._nested(index, command, tokens, redirect_tokens)
        return pipeline, stage

    def _nested(
        self,
        index: int,
        command: Command,
        tokens: list[Token],
        redirect_tokens: list[tuple[Token, Token | None]],
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
        tokens = Lexer(text, 0, len(text)).tokens()
    except RecursionError:
        return ()
    return tuple(t.word for t in tokens if t.word is not None)
