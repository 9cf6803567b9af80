"""GitLab Code Quality report: a JSON array of Code Climate issues.

GitLab shows these in merge requests (`artifacts: reports: codequality:`) and matches the
findings of two pipelines by `fingerprint`. The fingerprint leaves line numbers out (see
`pinlint.report.fingerprints`), so a finding that only moved keeps its identity and is not
shown as fixed-and-new. `location.path` must be relative to the repository: paths are as
pinlint shows them (relative to the working directory), or relative to `CI_PROJECT_DIR`
when they are absolute and below it.
"""

from __future__ import annotations

import json
import os
from typing import Any, TextIO

from pinlint.model import Diagnostic, Severity
from pinlint.report import RunResult, fingerprints
from pinlint.report.escape import json_safe

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def repository_path(path: str) -> str:
    project_dir = os.environ.get("CI_PROJECT_DIR")
    if project_dir and os.path.isabs(path):
        relative = os.path.relpath(path, project_dir)
        if not relative.startswith(".."):
            return relative.replace(os.sep, "/")
    return path


def issue(d: Diagnostic, fingerprint: str) -> dict[str, Any]:
    return {
        "type": "issue",
        "description": f"{d.code} {d.message}",
        "check_name": d.code,
        "fingerprint": fingerprint,
        "severity": SEVERITIES[d.severity],
        "location": {
            "path": repository_path(d.path),
            "lines": {"begin": d.span.line, "end": d.span.end_line},
        },
    }


def error_issue(error: str) -> dict[str, Any]:
    """What could not be checked, as an issue of its own (Code Quality has no other place)."""
    import hashlib

    return {
        "type": "issue",
        "description": f"pinlint could not check: {error}",
        "check_name": "pinlint-error",
        "fingerprint": hashlib.sha256(f"pinlint-error\0{error}".encode()).hexdigest(),
        "severity": "critical",
        "location": {"path": ".", "lines": {"begin": 1, "end": 1}},
    }


def write(result: RunResult, out: TextIO) -> None:
    prints = fingerprints(result.diagnostics)
    issues = [issue(d, fp) for d, fp in zip(result.diagnostics, prints, strict=True)]
    issues += [error_issue(e) for e in result.errors]
    out.write(json_safe(json.dumps(issues, indent=2, ensure_ascii=False)))
    out.write("\n")
