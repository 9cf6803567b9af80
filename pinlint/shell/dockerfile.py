"""Glue between RUN instructions and the shell reader: the scripts a RUN runs, parsed once.

A RUN runs its command text, the heredoc bodies a shell reads (`RUN <<EOF`, `RUN bash <<EOF`),
or, in exec form, the `sh -c` string of its arguments. `run_scripts` parses each of them once;
the engine hands the result to every rule whose TARGET is "run". Each script keeps a way back
to source spans, so a finding points at the word as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pinlint.model import Heredoc, Instruction, Span
from pinlint.shell.commands import heredoc_runs_as_shell, interpreter_invocation, strip_wrappers
from pinlint.shell.parser import parse_script
from pinlint.shell.syntax import SPACE, Command, Redirect, ShellWord


class ShellSource(NamedTuple):
    """One shell script a RUN instruction runs, with its commands and a way back to the source."""

    text: str
    commands: tuple[Command, ...]
    locate: Callable[[int, int], Span]  # source span of text[start:end]

    def span(self, word: ShellWord) -> Span:
        return self.locate(word.start, word.end)


class RunScripts(NamedTuple):
    """What a "run" rule receives: one RUN instruction and its shell scripts, in the order they run."""

    instruction: Instruction
    scripts: tuple[ShellSource, ...]


def _body_locator(item: Instruction, base: int, offsets: tuple[int, ...] | None = None) -> Callable[[int, int], Span]:
    def locate(start: int, end: int) -> Span:
        try:
            if offsets is not None:
                start, end = offsets[start], offsets[end]
            return item.span_of(base + start, base + max(end, start + 1))
        except (IndexError, ValueError):
            return item.span

    return locate


def _heredoc_locator(item: Instruction, heredoc: Heredoc) -> Callable[[int, int], Span]:
    def locate(start: int, end: int) -> Span:
        try:
            return item.heredoc_span(heredoc, start, end)
        except (IndexError, ValueError):
            return item.span

    return locate


def _dockerfile_heredoc(text: str, redirect: Redirect) -> bool:
    """Whether BuildKit reads this `<<` as a heredoc: a whole word `<<NAME` (`2<<NAME`)."""
    before = text[redirect.start - 1] if redirect.start > 0 else " "
    return (
        redirect.op in ("<<", "<<-")
        and redirect.body is None
        and before in SPACE + "\n"
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
        strings = item.exec_args
        if not strings:
            return ()
        words = tuple(ShellWord(s.value, s.start, s.end, quoted=True) for s in strings)
        invocation = interpreter_invocation(strip_wrappers(words))
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


def run_scripts(item: Instruction) -> RunScripts:
    """A RUN instruction with its scripts parsed (none for any other instruction)."""
    return RunScripts(item, run_sources(item))
