"""PIN102 unpinned-git-source: `ADD` of a Git repository at a branch or tag instead of a commit.

Also owns how an ADD names its sources (`add_sources`) and which of them are Git
repositories (`is_git_source`, BuildKit's rules), which PIN101 shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

from pinlint.model import Instruction, Severity, Span, Word
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import is_commit_sha, parse_json_array

CODE = "PIN102"
NAME = "unpinned-git-source"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "ADD of a Git repository names a branch or tag, not a full commit SHA"
TARGET = "instruction"


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def flag_value(flag: Word) -> str:
    """The value of a `--name=value` flag word, quotes removed."""
    return _unquote(flag.text.partition("=")[2])


def add_sources(item: Instruction) -> list[tuple[str, Span]]:
    """The sources of an ADD (every argument but the destination), quotes removed, with spans."""
    if not item.json:
        return [(_unquote(word.text), word.span) for word in item.args[:-1]]
    strings = parse_json_array(item.command_text)
    sources = []
    for string in (strings or ())[:-1]:
        try:
            span = item.span_of(item.command_start + string.start, item.command_start + string.end)
        except (AssertionError, ValueError):
            span = item.span
        sources.append((string.value, span))
    return sources


def is_git_source(source: str) -> bool:
    """BuildKit's test: a git/ssh scheme, `user@host:path`, `github.com/…`, or an HTTP(S) URL
    whose path ends in `.git`."""
    if source.startswith(("git://", "ssh://", "github.com/")):
        return True
    if source.startswith(("http://", "https://")):
        return source.split("#", 1)[0].split("?", 1)[0].endswith(".git")
    head, colon, _ = source.partition(":")
    return bool(colon) and "@" in head and "/" not in head


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
    for url, span in add_sources(item):
        problem = git_problem(url, checksum)
        if problem is not None:
            yield Finding(span, problem)
