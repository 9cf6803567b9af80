"""PIN208 unpinned-cargo-package: `cargo install` of a crate without an exact version."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, is_commit_sha, parse_args, subcommand

CODE = "PIN208"
NAME = "unpinned-cargo-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "cargo install of a crate without an exact version"
TARGET = "run"

_OPTIONS = frozenset(
    {
        "--version", "--vers", "--git", "--branch", "--tag", "--rev", "--path", "--root", "--index",
        "--registry", "-j", "--jobs", "--target", "--target-dir", "-F", "--features", "--profile",
        "--config", "-Z", "--bin", "--example", "--color", "--message-format", "--lockfile-path",
    }
)  # fmt: skip
# Cargo installs exactly MAJOR.MINOR.PATCH (or `=…`); anything else is a requirement.
_EXACT = re.compile(r"=?\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _version_problem(version: str | None) -> str | None:
    if version is None:
        return "without a version"
    if "$" in version or _EXACT.fullmatch(version.strip()):
        return None
    return "without an exact version"


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    for command in commands:
        if command.name != "cargo":
            continue
        sub, _, rest = subcommand(command.argv[1:], _OPTIONS)
        if sub is None or sub.value != "install":
            continue
        args = parse_args(rest, _OPTIONS)
        if args.has("--path"):
            continue  # a local crate
        git = args.get("--git")
        if git is not None:
            rev = args.get("--rev")
            revision = rev.value if rev is not None and rev.value is not None else ""
            if not (is_commit_sha(revision) or "$" in revision):
                word = git.value_word or git.word
                message = f"Git source '{git.value}' is installed without a commit SHA (cargo install)"
                yield word, message
            continue
        option = args.get("--version", "--vers")
        for word in args.operands:
            if word.dynamic:
                continue
            _, at, version = word.value.partition("@")
            problem = _version_problem(version if at else (option.value if option is not None else None))
            if problem is not None:
                yield word, f"Package '{word.value}' is installed {problem} (cargo install)"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
