"""PIN205 unpinned-gem-package: `gem install` of a gem without `-v`/`--version` or `name:version`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, parse_args, subcommand

CODE = "PIN205"
NAME = "unpinned-gem-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "gem install of a gem without an exact version"
TARGET = "run"

_OPTIONS = frozenset(
    {
        "-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s", "--source", "--platform",
        "-P", "--trust-policy", "--build-root",
    }
)  # fmt: skip
_GEMDEPS = frozenset({"-g", "--file", "--gemdeps"})
_EXACT = re.compile(r"=?\s*\d+(?:\.[0-9A-Za-z]+)*")


def _version_problem(version: str) -> str | None:
    if "$" in version or _EXACT.fullmatch(version.strip()):
        return None
    return "without an exact version"


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    for command in commands:
        if command.name != "gem":
            continue
        sub, _, rest = subcommand(command.argv[1:], _OPTIONS)
        if sub is None or sub.value != "install":
            continue
        words = rest
        for i, word in enumerate(rest):  # what follows `--` is passed to the gem's build
            if word.value == "--":
                words = rest[:i]
                break
        if any(w.value in _GEMDEPS or w.value.startswith(("--file=", "--gemdeps=")) for w in words):
            continue  # installs what a Gemfile or gem.deps.rb lists
        args = parse_args(words, _OPTIONS)
        option = args.get("-v", "--version")
        for word in args.operands:
            value = word.value
            if word.dynamic or value.endswith(".gem") or value.startswith(("/", "./", "../")):
                continue
            _, colon, version = value.partition(":")
            if colon:
                problem = _version_problem(version)
            elif option is not None and option.value is not None:
                problem = _version_problem(option.value)
            else:
                problem = "without a version"
            if problem is not None:
                yield word, f"Package '{value}' is installed {problem} (gem install)"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
