"""Helpers shared by the RUN rules (TARGET "run"): findings per parsed shell script of a RUN,
and the common `<tool> install <packages>` shape of package-manager rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from pinlint.rules.base import Finding
from pinlint.shell import Command, RunScripts, ShellWord, parse_args, subcommand

Findings = Callable[[Sequence[Command]], Iterable[tuple[ShellWord, str]]]


def script_findings(run: RunScripts, findings: Findings) -> Iterator[Finding]:
    """Run `findings` over every shell script of a RUN (its command line, heredocs run by a shell)."""
    for source in run.scripts:
        for word, message in findings(source.commands):
            yield Finding(source.span(word), message)


def install_findings(
    commands: Sequence[Command],
    tools: frozenset[str],
    options: frozenset[str],
    unpinned: Callable[[ShellWord], bool],
) -> Iterator[tuple[ShellWord, str]]:
    """`<tool> [options] install [options] <packages>`: each package word `unpinned` judges so."""
    for command in commands:
        if command.name not in tools:
            continue
        sub, _, rest = subcommand(command.argv[1:], options)
        if sub is None or sub.value != "install":
            continue
        for word in parse_args(rest, options).operands:
            if unpinned(word):
                yield word, f"Package '{word.value}' is installed without a version ({command.name} install)"
