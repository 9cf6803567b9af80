"""The rule catalogue: each rule's documentation, from `rules/<CODE>-<name>/README.md`, and
the one place that words a rule's default and fix from its module (`pinlint rule --all` and
the README's table, which a test compares with it).

In a source checkout the catalogue is the top-level `rules/` folder; an installed wheel
carries the same folder as `pinlint/catalogue/`.
"""

from __future__ import annotations

import json
import re
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


def default_text(rule: ModuleType) -> str:
    """When the rule acts without being selected: `on`, `off`, `always` (PIN900), `online`
    (`check --online`), `on when <setting>` (`ACTIVE_WHEN`: nothing to check without it)."""
    if rule.TARGET == "source":
        return "always"
    if not rule.DEFAULT_ENABLED:
        return "off"
    when = getattr(rule, "ACTIVE_WHEN", None)
    if rule.TARGET == "online":
        return f"online, when {when}" if when else "online"
    return f"on when {when}" if when else "on"


def fixed_by(rule: ModuleType) -> str | None:
    """The command that repairs the rule's findings (`fix`, `update`, …), from its FIX text."""
    match = re.match(r"`pinlint (\w+)", rule.FIX or "")
    return match.group(1) if match else None


def _metadata(rule: ModuleType) -> dict[str, object]:
    return {
        "code": rule.CODE,
        "name": rule.NAME,
        "severity": rule.SEVERITY.label,
        "default": rule.DEFAULT_ENABLED,
        "enabled": default_text(rule),
        "fixed_by": fixed_by(rule),
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
    # the command that repairs the findings (`fix`, `update`), as in the README's table
    default_width = max(len(default_text(rule)) for rule in RULES)
    for rule in RULES:
        default = default_text(rule)
        out.write(
            f"{rule.CODE}  {rule.NAME:<28} {default:<{default_width}}  {rule.SEVERITY.label:<8} "
            f"{fixed_by(rule) or '':<6}  {rule.SUMMARY}\n"
        )
