"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF consumers.

One run; `tool.driver.rules` lists every rule (id, name, SUMMARY as short description, the
README's "What it does" as full description, the README as help, a help URI at the published
catalogue). Positions are pinlint's own: 1-based lines and columns counted in code points
(`columnKind: unicodeCodePoints`), end column exclusive, which is what SARIF means by
`endColumn`. Paths are relative to the working directory, given as `%SRCROOT%`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO
from urllib.parse import quote

from pinlint import __version__, catalogue
from pinlint.model import Diagnostic, Severity
from pinlint.report import RunResult, fingerprints, rule_doc_url
from pinlint.report.escape import json_safe
from pinlint.rules import RULES

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/pinlint/pinlint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pinlint/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def what_it_does(documentation: str) -> str | None:
    """The text of the README's `## What it does` section, or None when it has none."""
    lines: list[str] = []
    inside = False
    for line in documentation.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip() == "What it does"
            continue
        if inside:
            lines.append(line)
    text = "\n".join(lines).strip()
    return text or None


def rule_descriptor(rule: ModuleType) -> dict[str, Any]:
    documentation = catalogue.documentation(rule)
    summary = f"{rule.SUMMARY}."
    return {
        "id": rule.CODE,
        "name": rule.NAME,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": what_it_does(documentation) or summary},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": rule_doc_url(rule),
        "defaultConfiguration": {"level": LEVELS[rule.SEVERITY]},
    }


def artifact_location(path: str) -> dict[str, str]:
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(Path(path).as_posix(), safe="/"), "uriBaseId": SRCROOT}


def result_object(d: Diagnostic, rule_index: dict[str, int], fingerprint: str) -> dict[str, Any]:
    item: dict[str, Any] = {"ruleId": d.code}
    if d.code in rule_index:
        item["ruleIndex"] = rule_index[d.code]
    item["level"] = LEVELS[d.severity]
    item["message"] = {"text": d.message}
    item["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": artifact_location(d.path),
                "region": {
                    "startLine": d.span.line,
                    "startColumn": d.span.column,
                    "endLine": d.span.end_line,
                    "endColumn": d.span.end_column,
                },
            }
        }
    ]
    item["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    properties: dict[str, Any] = {"fixable": d.fixable}
    if d.use is not None:
        properties["kind"] = d.use.kind
        properties["image"] = d.use.text
    item["properties"] = properties
    return item


def document(result: RunResult) -> dict[str, Any]:
    rule_index = {rule.CODE: i for i, rule in enumerate(RULES)}
    prints = fingerprints(result.diagnostics)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pinlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in RULES],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {
                "executionSuccessful": not result.errors,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": e}, "descriptor": {"id": "pinlint-error"}}
                    for e in result.errors
                ],
            }
        ],
        "results": [result_object(d, rule_index, fp) for d, fp in zip(result.diagnostics, prints, strict=True)],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write(result: RunResult, out: TextIO) -> None:
    out.write(json_safe(json.dumps(document(result), indent=2, ensure_ascii=False)))
    out.write("\n")
