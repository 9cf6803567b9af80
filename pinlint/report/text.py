"""Text output, ruff style with the severity: `path:line:col: CODE [*] severity: message`, then
a summary counting findings per severity.

Colour (when on) marks each finding's code and severity word by severity: errors red, warnings
yellow, infos cyan. The severity word is printed with or without colour, so piped output says
as much as the terminal. `--quiet` keeps the diagnostic lines and drops the summary;
`--statistics` prints one `count<TAB>code<TAB>[*] name` row per rule instead, as
`ruff --statistics`. Paths and messages go through `escape.printable`: they carry text from
the files.
"""

from __future__ import annotations

from typing import TextIO

from pinlint.model import Diagnostic, Severity
from pinlint.report import RunResult, statistics
from pinlint.report.escape import printable

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_GREEN = "\x1b[32m"
_RESET = "\x1b[0m"
SEVERITY_COLORS = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.INFO: _CYAN}


def line(d: Diagnostic, *, color: bool = False) -> str:
    """One diagnostic as a text line (without the newline)."""
    mark = " [*]" if d.fixable else ""
    path, message = printable(d.path), printable(d.message)  # both come from the repository
    severity = d.severity.label
    if not color:
        return f"{path}:{d.span.line}:{d.span.column}: {d.code}{mark} {severity}: {message}"
    tint = SEVERITY_COLORS[d.severity]
    return (
        f"{_BOLD}{path}{_RESET}{_CYAN}:{_RESET}{d.span.line}{_CYAN}:{_RESET}{d.span.column}"
        f"{_CYAN}:{_RESET} {_BOLD}{tint}{d.code}{_RESET}{mark} {tint}{severity}{_RESET}: {message}"
    )


def write(
    result: RunResult, out: TextIO, *, color: bool, quiet: bool = False, errors: int = 0, fix_hint: bool = True
) -> None:
    """`errors`: how many paths could not be checked (their errors are on stderr): the summary
    then never says that all checks passed. `fix_hint`: offer `pinlint fix` for fixable findings."""
    for d in result.diagnostics:
        out.write(line(d, color=color) + "\n")
    if not quiet:
        summary(result, out, color=color, errors=errors, fix_hint=fix_hint)


def write_statistics(result: RunResult, out: TextIO, *, color: bool, quiet: bool = False, errors: int = 0) -> None:
    rows = statistics(result.diagnostics)
    severities = {d.code: d.severity for d in result.diagnostics}
    count_width = max((len(str(s.total)) for s in rows), default=0)
    code_width = max((len(s.code) for s in rows), default=0)
    any_fixable = any(s.fixable for s in rows)
    for s in rows:
        count = f"{s.total:>{count_width}}"
        code = f"{s.code:<{code_width}}"
        if color:
            count = f"{_BOLD}{count}{_RESET}"
            code = f"{_BOLD}{SEVERITY_COLORS[severities[s.code]]}{code}{_RESET}"
        mark = ("[*] " if s.fixable else "[ ] ") if any_fixable else ""
        out.write(f"{count}\t{code}\t{mark}{s.name}\n")
    if not quiet:
        summary(result, out, color=color, errors=errors)


def _plural(count: int, word: str) -> str:
    if count == 1 or word == "info":
        return f"{count} {word}"
    return f"{count} {word}s"


def severity_counts(diagnostics: list[Diagnostic], *, color: bool = False) -> str:
    """`2 errors, 1 warning and 3 info`: the findings counted per severity, most severe first."""
    parts = []
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        count = sum(1 for d in diagnostics if d.severity == severity)
        if count:
            text = _plural(count, severity.label)
            parts.append(f"{SEVERITY_COLORS[severity]}{text}{_RESET}" if color else text)
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else "nothing"


def summary(result: RunResult, out: TextIO, *, color: bool = False, errors: int = 0, fix_hint: bool = True) -> None:
    checked = _plural(result.files_checked, "file")
    # never "All checks passed!" when something was not checked: a path, a reference no registry answered for
    missing, what = (len(result.errors), "thing") if result.errors else (errors, "path")
    unchecked = f"; {_plural(missing, what)} could not be checked (see above)" if missing else ""
    if not result.diagnostics:
        if missing:
            out.write(f"No findings in {checked} checked{unchecked}.\n")
        elif result.files_checked:
            passed = f"{_GREEN}All checks passed!{_RESET}" if color else "All checks passed!"
            out.write(f"{passed} ({checked} checked)\n")
        return  # no files and no errors: the CLI has warned on stderr
    files = len({d.path for d in result.diagnostics})
    counts = severity_counts(result.diagnostics, color=color)
    out.write(f"Found {counts} in {files} of {checked} checked{unchecked}.\n")
    fixable = sum(d.fixable for d in result.diagnostics)
    if fixable and fix_hint:
        out.write(f"[*] {fixable} fixable with `pinlint fix`.\n")
