"""PIN204 unpinned-npm-package: `npm install`/`yarn add`/`pnpm add` of a package without an exact version."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, is_commit_sha, parse_args, subcommand

CODE = "PIN204"
NAME = "unpinned-npm-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "npm, yarn or pnpm install of a package without an exact @version"
TARGET = "run"

_NPM_INSTALL = frozenset(
    {"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"}
)
_NPM_OPTIONS = frozenset(
    {
        "--prefix", "--registry", "--cache", "-w", "--workspace", "--omit", "--include",
        "--install-strategy", "--loglevel", "--userconfig", "--globalconfig", "--tag",
    }
)  # fmt: skip
_YARN_OPTIONS = frozenset(
    {
        "--cwd", "--registry", "--network-timeout", "--cache-folder", "--modules-folder",
        "--global-folder", "--mutex", "--network-concurrency",
    }
)  # fmt: skip
_PNPM_OPTIONS = frozenset(
    {"-C", "--dir", "--filter", "-F", "--store-dir", "--registry", "--config", "--virtual-store-dir"}
)
_EXACT = re.compile(r"[=v]?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_HOSTED = ("git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:")
_ARCHIVES = (".tgz", ".tar.gz", ".tar")


def _packages(command: Command) -> tuple[str, tuple[ShellWord, ...]] | None:
    """The install command as written (`npm install`, `yarn global add`) and its package words."""
    name = command.name
    if name == "npm":
        sub, _, rest = subcommand(command.argv[1:], _NPM_OPTIONS)
        if sub is not None and sub.value in _NPM_INSTALL:
            return f"npm {sub.value}", parse_args(rest, _NPM_OPTIONS).operands
    elif name in ("yarn", "pnpm"):
        options = _YARN_OPTIONS if name == "yarn" else _PNPM_OPTIONS
        sub, _, rest = subcommand(command.argv[1:], options)
        label = name
        if sub is not None and sub.value == "global" and name == "yarn":
            label = "yarn global"
            sub, _, rest = subcommand(rest, options)
        if sub is not None and sub.value == "add":
            return f"{label} add", parse_args(rest, options).operands
    return None


def _vcs_problem(spec: str) -> str | None:
    ref = spec.rpartition("#")[2] if "#" in spec else ""
    return None if is_commit_sha(ref) else "without a commit SHA"


def _problem(value: str) -> str | None:
    """Why a package spec is not pinned, or None when it is (or is a local path or tarball)."""
    if value.startswith((".", "/", "~", "file:")) or value.endswith(_ARCHIVES):
        return None
    if value.startswith(_HOSTED) or ("://" in value and "#" in value):
        return _vcs_problem(value)
    if "://" in value:
        return None  # a tarball URL
    at = value.find("@", 1)  # a leading @ is the scope
    if at == -1:
        if "/" in value and not value.startswith("@"):
            return _vcs_problem(value)  # GitHub shorthand `user/repo#ref`
        return "without a version"
    spec = value[at + 1 :]
    if spec.startswith("npm:"):  # an alias `name@npm:real@1.2.3`
        return _problem(spec[4:])
    return None if _EXACT.fullmatch(spec) else "without an exact version"


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    for command in commands:
        found = _packages(command)
        if found is None:
            continue
        tool, words = found
        for word in words:
            problem = _problem(word.value)
            if problem is not None and not word.dynamic:
                yield word, f"Package '{word.value}' is installed {problem} ({tool})"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
