"""Text output, ruff style: `path:line:col: CODE [*] message`, then a summary line.

`--quiet` keeps the diagnostic lines and drops the summary; `--statistics` prints one
`count<TAB>code<TAB>[*] name` row per rule instead of the diagnostics, as `ruff --statistics`.
Paths and messages go through `escape.printable`: they carry text from the files.
"""

from __future__ import annotations

from typing import TextIO

from pinlint.report import RunResult, statistics
from pinlint.report.escape import printable

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_RESET = "\x1b[0m"


def write(result: RunResult, out: TextIO, *, color: bool, quiet: bool = False) -> None:
    for d in result.diagnostics:
        mark = " [*]" if d.fixable else ""
        path, message = printable(d.path), printable(d.message)  # both come from the repository
        if color:
            out.write(
                f"{_BOLD}{path}{_RESET}{_CYAN}:{_RESET}{d.span.line}{_CYAN}:{_RESET}{d.span.column}"
                f"{_CYAN}:{_RESET} {_BOLD}{_RED}{d.code}{_RESET}{mark} {message}\n"
            )
        else:
            out.write(f"{path}:{d.span.line}:{d.span.column}: {d.code}{mark} {message}\n")
    if not quiet:
        _summary(result, out)


def write_statistics(result: RunResult, out: TextIO, *, color: bool, quiet: bool = False) -> None:
    rows = statistics(result.diagnostics)
    count_width = max((len(str(s.total)) for s in rows), default=0)
    code_width = max((len(s.code) for s in rows), default=0)
    any_fixable = any(s.fixable for s in rows)
    for s in rows:
        count = f"{s.total:>{count_width}}"
        code = f"{s.code:<{code_width}}"
        if color:
            count = f"{_BOLD}{count}{_RESET}"
            code = f"{_BOLD}{_RED}{code}{_RESET}"
        mark = ("[*] " if s.fixable else "[ ] ") if any_fixable else ""
        out.write(f"{count}\t{code}\t{mark}{s.name}\n")
    if not quiet:
        _summary(result, out)


def _summary(result: RunResult, out: TextIO) -> None:
    count = len(result.diagnostics)
    files_word = "file" if result.files_checked == 1 else "files"
    if not count and result.errors:  # never "All checks passed!" when something was not checked
        errors = len(result.errors)
        out.write(f"No problems found in {result.files_checked} {files_word} checked, ")
        out.write(f"but {errors} {'thing' if errors == 1 else 'things'} could not be checked (see the errors).\n")
        return
    if not count:
        out.write(f"All checks passed! ({result.files_checked} {files_word} checked)\n")
        return
    files = {d.path for d in result.diagnostics}
    fixable = sum(d.fixable for d in result.diagnostics)
    noun = "problem" if count == 1 else "problems"
    out.write(f"Found {count} {noun} in {len(files)} of {result.files_checked} files checked.\n")
    if fixable:
        out.write(f"[*] {fixable} fixable with `pinlint fix`.\n")
