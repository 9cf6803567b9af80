"""The rule catalogue: each rule's documentation, from `rules/<CODE>-<name>/README.md`.

In a source checkout the catalogue is the top-level `rules/` folder; an installed wheel
carries the same folder as `pinlint/catalogue/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import TextIO

from pinlint.errors import UsageError
from pinlint.rules import BY_CODE, BY_NAME, RULES

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options")


def catalogue_dir() -> Path:
    packaged = Path(__file__).parent / "catalogue"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def rule_dir(rule: ModuleType) -> Path:
    return catalogue_dir() / f"{rule.CODE}-{rule.NAME}"


def documentation(rule: ModuleType) -> str:
    path = rule_dir(rule) / "README.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return f"# {rule.CODE} {rule.NAME}\n\n{rule.SUMMARY}.\n\n(documentation not found at {path})\n"


def find(selector: str) -> ModuleType:
    rule = BY_CODE.get(selector.upper()) or BY_NAME.get(selector.lower())
    if rule is None:
        raise UsageError(f"unknown rule '{selector}' (try `pinlint rule --all`)")
    return rule


def _metadata(rule: ModuleType) -> dict[str, object]:
    return {
        "code": rule.CODE,
        "name": rule.NAME,
        "severity": rule.SEVERITY.label,
        "default": rule.DEFAULT_ENABLED,
        "fix": rule.FIX,
        "summary": rule.SUMMARY,
    }


def print_rule(selector: str, out: TextIO, *, as_json: bool) -> None:
    rule = find(selector)
    if as_json:
        json.dump({**_metadata(rule), "documentation": documentation(rule)}, out, indent=2)
        out.write("\n")
    else:
        out.write(documentation(rule))


def print_all(out: TextIO, *, as_json: bool) -> None:
    if as_json:
        json.dump([_metadata(rule) for rule in RULES], out, indent=2)
        out.write("\n")
        return
    for rule in RULES:
        default = "on " if rule.DEFAULT_ENABLED else "off"
        fix = "[*]" if rule.FIX else "   "
        out.write(f"{rule.CODE}  {rule.NAME:<28} {default} {rule.SEVERITY.label:<8} {fix} {rule.SUMMARY}\n")
