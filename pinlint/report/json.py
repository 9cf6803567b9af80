"""JSON output, schema version 1 (design section 8)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pinlint.model import Diagnostic
from pinlint.report import RunResult
from pinlint.report.escape import json_safe

SCHEMA_VERSION = 1


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    item: dict[str, Any] = {
        "path": d.path,
        "line": d.span.line,
        "column": d.span.column,
        "end_line": d.span.end_line,
        "end_column": d.span.end_column,
        "code": d.code,
        "name": d.name,
        "severity": d.severity.label,
        "message": d.message,
    }
    if d.use is not None:
        item["kind"] = d.use.kind
        item["image"] = d.use.text
        item["expanded"] = str(d.use.ref) if d.use.ref is not None else None
    item["fixable"] = d.fixable
    return item


def document(result: RunResult) -> dict[str, Any]:
    """The whole report as one JSON value (what `write` streams)."""
    found: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "diagnostics": [diagnostic_dict(d) for d in result.diagnostics],
        "files_checked": result.files_checked,
    }
    if result.errors:  # what could not be checked: a missing path, a reference no registry answered for
        found["errors"] = [{"message": e} for e in result.errors]
    return found


def _nested(value: object, depth: int) -> str:
    """`value` as `json.dumps(..., indent=2)` writes it `depth` levels deep in a document."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)


def write(result: RunResult, out: TextIO) -> None:
    """The text of `json.dumps(document(result), indent=2)`, written a diagnostic at a time: ten
    thousand files' findings are never one dictionary and one string in memory at once (newlines
    inside strings are escaped, so only the document's own line breaks are re-indented)."""
    out.write(f'{{\n  "version": {SCHEMA_VERSION},\n  "diagnostics": [')
    last = len(result.diagnostics) - 1
    for i, d in enumerate(result.diagnostics):
        out.write(json_safe(f"\n    {_nested(diagnostic_dict(d), 2)}{',' if i < last else chr(10) + '  '}"))
    out.write(f'],\n  "files_checked": {result.files_checked}')
    if result.errors:
        out.write(json_safe(f',\n  "errors": {_nested([{"message": e} for e in result.errors], 1)}'))
    out.write("\n}\n")
