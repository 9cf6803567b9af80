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


def write(result: RunResult, out: TextIO) -> None:
    document: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "diagnostics": [diagnostic_dict(d) for d in result.diagnostics],
        "files_checked": result.files_checked,
    }
    if result.errors:  # what could not be checked: a missing path, a reference no registry answered for
        document["errors"] = [{"message": e} for e in result.errors]
    out.write(json_safe(json.dumps(document, indent=2, ensure_ascii=False)))
    out.write("\n")
