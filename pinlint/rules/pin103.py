"""PIN103 pipe-to-shell: a script downloaded by `curl`/`wget` and run in the same command."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, interpreter_invocation

CODE = "PIN103"
NAME = "pipe-to-shell"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "Output of curl or wget is run by a shell or interpreter without being verified"
TARGET = "run"

DOWNLOADERS = frozenset({"curl", "wget"})


def _same(a: ShellWord | None, b: ShellWord | None) -> bool:
    return a is not None and b is not None and a.start == b.start and a.end == b.end


def _piped_into(commands: Sequence[Command], download: Command) -> str | None:
    for command in commands:
        if command.pipeline == download.pipeline and command.stage > download.stage:
            invocation = interpreter_invocation(command.argv)
            if invocation is not None and invocation.reads_stdin:
                return command.name
    return None


def _run_by(commands: Sequence[Command], download: Command) -> str | None:
    """What runs the output of a download nested in another command's word, if anything:
    `sh -c "$(curl …)"`, `bash <(curl …)`, `$(curl …)` as the command, `eval "$(curl …)"`."""
    if download.parent is None:
        return None
    parent = commands[download.parent]
    word = download.parent_word
    invocation = interpreter_invocation(parent.argv)
    if download.via in ("$(", "`"):
        if parent.argv and _same(parent.argv[0], word):
            if parent.via == "-c" and parent.parent is not None:
                return commands[parent.parent].name
            return "the shell"
        if invocation is not None and _same(invocation.code, word):
            return parent.name
        if parent.name == "eval" and any(_same(w, word) for w in parent.argv[1:]):
            return "eval"
    elif download.via == "<(":
        if invocation is not None and not invocation.runs_code:
            if _same(invocation.script, word):
                return parent.name
            stdin = any(r.op == "<" and _same(r.target, word) for r in parent.redirects)
            if stdin and invocation.reads_stdin:
                return parent.name
        if parent.name in ("source", ".") and len(parent.argv) > 1 and _same(parent.argv[1], word):
            return parent.name
    return None


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The downloader word and message for each download whose output is run, in one script."""
    for command in commands:
        if command.name not in DOWNLOADERS:
            continue
        tool = command.name
        shell = _piped_into(commands, command)
        if shell is not None:
            yield command.argv[0], f"Output of '{tool}' is piped into '{shell}'"
            continue
        runner = _run_by(commands, command)
        if runner == "the shell":
            yield command.argv[0], f"Output of '{tool}' is run as a command"
        elif runner is not None:
            yield command.argv[0], f"Output of '{tool}' is run by '{runner}'"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
