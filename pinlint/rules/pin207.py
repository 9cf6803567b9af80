"""PIN207 unpinned-dnf-yum-package: `dnf`/`yum`/`microdnf`/`tdnf install` of a package without a version."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import install_findings, script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord

CODE = "PIN207"
NAME = "unpinned-dnf-yum-package"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "dnf, yum, microdnf or tdnf install of a package without a version"
TARGET = "run"

TOOLS = frozenset({"dnf", "dnf5", "yum", "microdnf", "tdnf"})
_OPTIONS = frozenset(
    {
        "-c", "--config", "--installroot", "--releasever", "--enablerepo", "--disablerepo", "--repo",
        "--repoid", "-x", "--exclude", "--setopt", "--forcearch", "-d", "--debuglevel", "-e",
        "--errorlevel", "--rpmverbosity", "--disableplugin", "--enableplugin", "--color", "--destdir",
        "--downloaddir", "--comment", "--advisory", "--advisories", "--bz", "--cve", "--sec-severity",
        "--secseverity", "--repofrompath", "--use-host-config",
    }
)  # fmt: skip
# `name-version` or `name-[epoch:]version-release[.arch]`: the version starts with a digit,
# and so does the release (`java-17-openjdk` is a name, `java-17-openjdk-17.0.9-3.el9` is
# pinned). A bare number with no release (`gcc-toolset-12`) is taken as part of the name.
_VERSIONED = re.compile(r"-(?:\d+:)?(\d[^-\s]*)(-\d[^-\s]*)?$")


def _unpinned(word: ShellWord) -> bool:
    value = word.value
    if not value or word.dynamic or value.startswith(("@", "/", "./", "../")) or value.endswith(".rpm"):
        return False  # a group or module, a file (or a path some package provides), a package file
    if "(" in value or "://" in value:
        return False  # a capability such as `pkgconfig(zlib)`, a URL
    match = _VERSIONED.search(value)
    return match is None or (match.group(2) is None and match.group(1).isdigit())


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The offending word and message for each unpinned package in one script's commands."""
    return install_findings(commands, TOOLS, _OPTIONS, _unpinned)


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
