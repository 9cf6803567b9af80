"""Text output, ruff style: `path:line:col: CODE [*] message`, then a summary line."""

from __future__ import annotations

from typing import TextIO

from pinlint.report import RunResult

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_RESET = "\x1b[0m"


def write(result: RunResult, out: TextIO, *, color: bool) -> None:
    fixable = 0
    files = set()
    for d in result.diagnostics:
        files.add(d.path)
        mark = " [*]" if d.fixable else ""
        fixable += d.fixable
        if color:
            out.write(
                f"{_BOLD}{d.path}{_RESET}{_CYAN}:{_RESET}{d.span.line}{_CYAN}:{_RESET}{d.span.column}"
                f"{_CYAN}:{_RESET} {_BOLD}{_RED}{d.code}{_RESET}{mark} {d.message}\n"
            )
        else:
            out.write(f"{d.path}:{d.span.line}:{d.span.column}: {d.code}{mark} {d.message}\n")
    count = len(result.diagnostics)
    if not count:
        files_word = "file" if result.files_checked == 1 else "files"
        out.write(f"All checks passed! ({result.files_checked} {files_word} checked)\n")
        return
    noun = "problem" if count == 1 else "problems"
    out.write(f"Found {count} {noun} in {len(files)} of {result.files_checked} files checked.\n")
    if fixable:
        out.write(f"[*] {fixable} fixable with `pinlint fix`.\n")
