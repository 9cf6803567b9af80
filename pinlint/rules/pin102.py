"""PIN102 unpinned-git-source: `ADD` of a Git repository at a branch or tag instead of a commit."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

from pinlint.model import Instruction, Severity
from pinlint.rules._add import flag_value, is_git_source
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import is_commit_sha

CODE = "PIN102"
NAME = "unpinned-git-source"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "ADD of a Git repository names a branch or tag, not a full commit SHA"
TARGET = "instruction"


def git_problem(url: str, checksum: str | None = None) -> str | None:
    """Why a Git source is not pinned to a commit, or None when it is (or when it is not Git).

    The ref comes from the fragment (`#ref:subdir`) or the query (`?ref=`, `?tag=`,
    `?branch=`); a full commit SHA there, in `?checksum=`/`?commit=`, or in the `--checksum`
    flag pins it. A ref or checksum held in a build argument is taken as pinned.
    """
    if not is_git_source(url):
        return None
    if checksum is not None and (is_commit_sha(checksum) or "$" in checksum):
        return None
    rest, _, fragment = url.partition("#")
    ref = fragment.split(":", 1)[0] or None
    for key, value in parse_qsl(rest.partition("?")[2], keep_blank_values=True):
        if key in ("ref", "tag", "branch") and value:
            ref = value
        elif key in ("checksum", "commit") and is_commit_sha(value):
            return None
    if ref is None:
        return f"Git source '{url}' is not pinned to a commit SHA"
    if is_commit_sha(ref) or "$" in ref:
        return None
    return f"Git source '{url}' uses ref '{ref}', not a full commit SHA"


def check(item: Instruction, ctx: RuleContext) -> Iterator[Finding]:
    if item.keyword != "ADD":
        return
    flag = item.flag("checksum")
    checksum = flag_value(flag) if flag is not None else None
    for url, span in item.sources:
        problem = git_problem(url, checksum)
        if problem is not None:
            yield Finding(span, problem)
