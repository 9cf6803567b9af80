"""Helpers shared by the ADD rules (PIN101, PIN102): which sources BuildKit fetches with Git,
and the value of a `--flag=value` word."""

from __future__ import annotations

from pinlint.model import Word


def flag_value(flag: Word) -> str:
    """The value of a `--name=value` flag word, quotes removed."""
    value = flag.text.partition("=")[2]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def is_git_source(source: str) -> bool:
    """BuildKit's test: a git/ssh scheme, `user@host:path`, `github.com/…`, or an HTTP(S) URL
    whose path ends in `.git`."""
    if source.startswith(("git://", "ssh://", "github.com/")):
        return True
    if source.startswith(("http://", "https://")):
        return source.split("#", 1)[0].split("?", 1)[0].endswith(".git")
    head, colon, _ = source.partition(":")
    return bool(colon) and "@" in head and "/" not in head
