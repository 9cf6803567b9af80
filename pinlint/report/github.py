"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per diagnostic.

The runner turns each line into an annotation on the file and line. Chosen automatically when
`GITHUB_ACTIONS=true` and no `--format` is given. Escaping follows the runner's rules: `%`,
CR and LF in the message; those and `:` and `,` in property values. Before that, paths and
messages go through `escape.printable` (CR and LF left to the runner's `%0D`/`%0A`), so no
other control character from a file reaches the log.
"""

from __future__ import annotations

from typing import TextIO

from pinlint.model import Diagnostic, Severity
from pinlint.report import RunResult
from pinlint.report.escape import printable

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(d: Diagnostic) -> str:
    properties = {
        "file": printable(d.path, keep="\r\n"),
        "line": str(d.span.line),
        "col": str(d.span.column),
        "endLine": str(d.span.end_line),
        "endColumn": str(d.span.end_column),
        "title": d.code,
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    mark = " [*]" if d.fixable else ""
    # the runner shows the file and line itself: the text is the code and the message
    message = printable(f"{d.code}{mark} {d.message}", keep="\r\n")
    return f"::{COMMANDS[d.severity]} {props}::{escape_data(message)}"


def write(result: RunResult, out: TextIO) -> None:
    for d in result.diagnostics:
        out.write(command(d) + "\n")
    for error in result.errors:  # what could not be checked: an annotation without a file
        out.write(f"::error title=pinlint::{escape_data('pinlint: error: ' + error)}\n")
