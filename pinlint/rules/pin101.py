"""PIN101 add-url-without-checksum: `ADD https://…` that BuildKit does not verify with `--checksum`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pinlint.model import Instruction, Severity
from pinlint.rules._add import flag_value, is_git_source
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN101"
NAME = "add-url-without-checksum"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "ADD downloads a remote file without --checksum, so its content may change between builds"
TARGET = "instruction"

_DIGEST = re.compile(r"sha256:[0-9a-fA-F]{64}|sha384:[0-9a-fA-F]{96}|sha512:[0-9a-fA-F]{128}")


def is_remote_file(source: str) -> bool:
    """An HTTP(S) URL that BuildKit downloads as a file (not a Git repository)."""
    return source.startswith(("http://", "https://")) and not is_git_source(source)


def checksum_problem(value: str) -> str | None:
    """Why a `--checksum` value cannot verify a download, or None when it can.

    A value from a build argument (`$SHA`) cannot be read here; BuildKit verifies it.
    """
    if "$" in value or _DIGEST.fullmatch(value):
        return None
    return f"Checksum '{value}' is not a full sha256 digest"


def check(item: Instruction, ctx: RuleContext) -> Iterator[Finding]:
    if item.keyword != "ADD":
        return
    urls = [(value, span) for value, span in item.sources if is_remote_file(value)]
    if not urls:
        return
    flag = item.flag("checksum")
    if flag is None:
        for value, span in urls:
            yield Finding(span, f"Remote file '{value}' is added without a checksum")
        return
    problem = checksum_problem(flag_value(flag))
    if problem is not None:
        yield Finding(flag.span, problem)
