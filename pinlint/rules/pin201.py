"""PIN201 unpinned-apt-package: `apt-get install` of a package without `=version`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import install_findings, script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord

CODE = "PIN201"
NAME = "unpinned-apt-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "apt-get install of a package without a version"
TARGET = "run"

TOOLS = frozenset({"apt-get", "apt", "aptitude"})
_OPTIONS = frozenset({"-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release"})


def _unpinned(word: ShellWord) -> bool:
    value = word.value
    if not value or "=" in value or word.dynamic:
        return False
    if value.endswith(".deb") or value.startswith(("/", "./", "../")):
        return False  # a package file
    return not value.endswith("-")  # `pkg-` removes pkg


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    return install_findings(commands, TOOLS, _OPTIONS, _unpinned)


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
