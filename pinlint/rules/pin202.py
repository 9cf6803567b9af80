"""PIN202 unpinned-apk-package: `apk add` of a package without `=version` or a constraint."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, parse_args, subcommand

CODE = "PIN202"
NAME = "unpinned-apk-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "apk add of a package without a version"
TARGET = "run"

_OPTIONS = frozenset(
    {
        "-t", "--virtual", "-X", "--repository", "--repositories-file", "-p", "--root", "--arch",
        "--keys-dir", "--cache-dir", "--cache-max-age", "--timeout",
    }
)  # fmt: skip


def _unpinned(word: ShellWord) -> bool:
    value = word.value
    if not value or word.dynamic or any(c in value[1:] for c in "=~<>"):
        return False
    return not (value.endswith(".apk") or value.startswith(("/", "./", "../")))


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    for command in commands:
        if command.name != "apk":
            continue
        sub, _, rest = subcommand(command.argv[1:], _OPTIONS)
        if sub is None or sub.value != "add":
            continue
        for word in parse_args(rest, _OPTIONS).operands:
            if _unpinned(word):
                yield word, f"Package '{word.value}' is installed without a version (apk add)"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
