"""PIN206 unpinned-go-package: `go install`/`go get` of a package without an exact `@version`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, is_commit_sha, parse_args, subcommand

CODE = "PIN206"
NAME = "unpinned-go-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "go install or go get of a package without an exact @version"
TARGET = "run"

_VALUE_FLAGS = (
    "o", "p", "C", "asmflags", "buildmode", "compiler", "gccgoflags", "gcflags", "installsuffix",
    "ldflags", "mod", "modfile", "overlay", "pgo", "pkgdir", "tags", "toolexec", "exec", "coverpkg",
    "covermode",
)  # fmt: skip
_OPTIONS = frozenset(f"-{flag}" for flag in _VALUE_FLAGS) | frozenset(f"--{flag}" for flag in _VALUE_FLAGS)
# A semantic version, pseudo-versions (v0.0.0-20240101000000-abcdef123456) included.
_EXACT = re.compile(r"v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _problem(value: str) -> str | None:
    path, at, version = value.partition("@")
    if not at:
        if path.startswith((".", "/")) or "." not in path.split("/", 1)[0]:
            return None  # a package of the current module, or of the standard library
        return "without a version"
    if version == "none" or _EXACT.fullmatch(version) or is_commit_sha(version):
        return None
    return "without an exact version"


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    for command in commands:
        if command.name != "go":
            continue
        sub, _, rest = subcommand(command.argv[1:], _OPTIONS, clusters=False)
        if sub is None or sub.value not in ("install", "get"):
            continue
        for word in parse_args(rest, _OPTIONS, clusters=False).operands:
            problem = _problem(word.value)
            if problem is not None and not word.dynamic:
                yield word, f"Package '{word.value}' is installed {problem} (go {sub.value})"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
