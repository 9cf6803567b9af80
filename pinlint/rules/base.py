"""The contract between the engine and a rule module.

A rule module declares CODE, NAME, SEVERITY, DEFAULT_ENABLED, FIX (None when not auto-fixable),
SUMMARY (one line), TARGET ("image" or "instruction") and a pure `check(item, ctx)` that
yields Findings. The engine, not the rule, stamps code, name, severity and path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol

from pinlint.model import ImageUse, Instruction, Severity, Span

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


class ImageRule(Protocol):
    CODE: str
    NAME: str
    SEVERITY: Severity
    DEFAULT_ENABLED: bool
    FIX: str | None
    SUMMARY: str
    TARGET: str

    def check(self, item: ImageUse, ctx: RuleContext) -> Iterator[Finding]: ...


class InstructionRule(Protocol):
    CODE: str
    NAME: str
    SEVERITY: Severity
    DEFAULT_ENABLED: bool
    FIX: str | None
    SUMMARY: str
    TARGET: str

    def check(self, item: Instruction, ctx: RuleContext) -> Iterator[Finding]: ...
