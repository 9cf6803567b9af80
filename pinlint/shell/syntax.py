"""What the shell reader produces: words with their offsets, redirections, simple commands.

Also the small lexical facts every other part of the package shares: what an assignment
word looks like, which characters separate words, and what a full Git commit name is.
"""

from __future__ import annotations

import re
from typing import NamedTuple

ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
SPACE = " \t\r\v\f"
_COMMIT_SHA = re.compile(r"[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?")


class ShellWord(NamedTuple):
    """One shell word: `value` with quotes and escapes removed, `[start, end)` in the input.

    Expansions (`$VAR`, `${…}`, `$(…)`, backticks) stay in `value` as written and set
    `dynamic`: the word's run-time value cannot be known from the text.
    """

    value: str
    start: int
    end: int
    dynamic: bool = False
    quoted: bool = False


class Redirect(NamedTuple):
    op: str  # "<", ">>", "<<", "<<-", "2>" is op ">" with start at the "2"
    start: int
    end: int  # end of the operator
    target: ShellWord | None
    body: tuple[int, int] | None = None  # a heredoc body found in the same text


class Command(NamedTuple):
    """One simple command.

    `words` is everything after assignments and redirections; `argv` starts at the program
    actually run, past wrappers such as `sudo -E` or `env X=1`. Commands joined by `|` share
    `pipeline` and count up `stage`. A command nested inside another one's word (`$(…)`,
    backticks, `<(…)`), heredoc body (`<<`) or `sh -c` string (`-c`) names it by `parent`
    (an index into the same command tuple), `parent_word` and `via`.
    """

    words: tuple[ShellWord, ...]
    argv: tuple[ShellWord, ...]
    assignments: tuple[ShellWord, ...]
    redirects: tuple[Redirect, ...]
    pipeline: int
    stage: int
    parent: int | None = None
    parent_word: ShellWord | None = None
    via: str = ""

    @property
    def name(self) -> str:
        """The program's base name (`/usr/bin/pip3` → `pip3`), or "" for no command."""
        return basename(self.argv[0].value) if self.argv else ""


def basename(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def is_commit_sha(value: str) -> bool:
    """A full Git object name: 40 hex digits (SHA-1) or 64 (SHA-256 repositories)."""
    return _COMMIT_SHA.fullmatch(value) is not None
