"""Reporters: turn a run's diagnostics into text, JSON (and later SARIF, GitHub, GitLab)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pinlint.model import Diagnostic


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
