"""The contract between the engine and a rule module.

A rule module declares CODE, NAME, SEVERITY, DEFAULT_ENABLED, FIX (None when not auto-fixable),
SUMMARY (one line), TARGET and a pure `check(item, ctx)` that yields Findings. TARGET says what
`item` is: "image" (an ImageUse), "instruction" (an Instruction), "run" (a shell.RunScripts: a
RUN instruction with its shell scripts, which the engine parses once for all such rules),
"source" (a (Span, message) parse error), "online" (a RegistryView, only under
`check --online`) or "suppression" (a pin100.SuppressionUse: what a suppression comment
silenced, known once the other rules ran). The engine, not the rule, stamps code, name, severity and path;
tests/test_rule_catalogue.py checks every module declares all of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from pinlint.model import ImageUse, Span

if TYPE_CHECKING:
    from pinlint.config import Config


class Finding(NamedTuple):
    span: Span
    message: str
    fixable: bool = False
    use: ImageUse | None = None


class RuleContext(NamedTuple):
    path: str
    config: Config
    lock: Mapping[str, str] | None = None  # canonical name:tag → digest, when a lock file exists
    lock_name: str = "pinlint.lock"
