"""PIN203 unpinned-pip-package: `pip install` of a requirement without `==version`.

Covers `pip`, `pip3`, `pip3.12`, `python -m pip` and `uv pip`. Requirement files (`-r`),
constraints (`-c`), editable installs (`-e`), local paths and wheel/sdist files are not
checked, nor is `pip install --upgrade pip` (the installer upgrading itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, is_commit_sha, parse_args, subcommand

CODE = "PIN203"
NAME = "unpinned-pip-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "pip install of a package without an exact == version"
TARGET = "run"

_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
        "--extra-index-url", "--index", "--default-index", "-f", "--find-links", "-t", "--target",
        "--prefix", "--root", "--src", "--platform", "--python-version", "--python-platform",
        "--implementation", "--abi", "--upgrade-strategy", "--progress-bar", "--trusted-host",
        "--cache-dir", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action",
        "--cert", "--client-cert", "--global-option", "--install-option", "-C", "--config-settings",
        "--config-setting", "--only-binary", "--no-binary", "--python", "-p", "--report",
        "--root-user-action", "--group", "--keyring-provider", "--use-feature", "--use-deprecated",
        "--override", "--index-strategy", "--resolution", "--prerelease", "--exclude-newer",
        "--link-mode", "--directory", "--project", "--config-file", "--color", "--extra", "-P",
        "--upgrade-package", "--reinstall-package", "--no-build-package", "--allow-insecure-host",
        "--torch-backend", "--build-constraints", "-b",
    }
)  # fmt: skip
_PIP = re.compile(r"pip(?:\d+(?:\.\d+)*)?")
_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?")
_REQUIREMENT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)", re.DOTALL)
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".egg")
_VCS = ("git+", "hg+", "svn+", "bzr+")


def _pip_words(command: Command) -> tuple[str, Sequence[ShellWord]] | None:
    """The tool as written (`pip3`, `python3 -m pip`, `uv pip`) and the words after it."""
    argv = command.argv
    name = command.name
    if _PIP.fullmatch(name):
        return name, argv[1:]
    if _PYTHON.fullmatch(name):
        for i, word in enumerate(argv[1:-1], start=1):
            if word.value == "-m":
                return (f"{name} -m pip", argv[i + 2 :]) if argv[i + 1].value == "pip" else None
            if not word.value.startswith("-"):
                return None
        return None
    if name == "uv":
        sub, _, rest = subcommand(argv[1:], _OPTIONS)
        if sub is not None and sub.value == "pip":
            return "uv pip", rest
    return None


def _vcs_problem(url: str) -> str | None:
    """A VCS URL must end in `@<full commit SHA>` (before any `#egg=` fragment)."""
    path = url.split("#", 1)[0].split("://", 1)[-1].partition("/")[2]
    ref = path.rpartition("@")[2] if "@" in path else ""
    return None if is_commit_sha(ref) else "without a commit SHA"


def _problem(value: str) -> str | None:
    """Why a requirement is not pinned ("without a version", …), or None when it is."""
    lower = value.lower()
    if lower.startswith(_VCS):
        return _vcs_problem(value)
    match = _REQUIREMENT.fullmatch(value)
    spec = match.group(3).split(";", 1)[0].strip() if match else ""
    if spec.startswith("@"):  # `name @ url`, a direct reference
        url = spec[1:].strip()
        return _vcs_problem(url) if url.lower().startswith(_VCS) else None
    if match is None or value.startswith((".", "/", "~")) or "://" in value or lower.endswith(_ARCHIVES):
        return None  # a local project, a file or a URL to an archive
    if "===" in spec:
        return None
    if "==" in spec:
        exact = spec.split("==", 1)[1].split(",", 1)[0]
        return "without an exact version" if "*" in exact else None
    return "without an exact version" if spec else "without a version"


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    for command in commands:
        found = _pip_words(command)
        if found is None:
            continue
        tool, words = found
        sub, _, rest = subcommand(words, _OPTIONS)
        if sub is None or sub.value != "install":
            continue
        args = parse_args(rest, _OPTIONS)
        upgrade = args.has("-U", "--upgrade")
        for word in args.operands:
            problem = _problem(word.value)
            if problem is None or word.dynamic:
                continue
            if upgrade and word.value.lower() == "pip":
                continue
            yield word, f"Package '{word.value}' is installed {problem} ({tool} install)"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
