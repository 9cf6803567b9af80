"""The source corpora of the deployment kinds (tests/data/<kind>/): each file cites where its
case comes from, and `expected.txt` lists what pinlint reads from every file — each image use
with its exact span, kind and value, and each error — one line each, compared as a whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pinlint.model import FileFacts

DATA = Path(__file__).parent / "data"


def describe(facts: FileFacts, name: str) -> list[str]:
    """One line per image use and per error, in file order."""
    lines = []
    for use in sorted(facts.images, key=lambda u: u.span.start):
        s = use.span
        if use.value is None:
            what = "unresolved " + ",".join(use.unresolved)
        else:
            what = use.value + (f" (error: {use.error})" if use.error else "")
        unpinned = use.ref is not None and use.ref.digest is None
        pin = " [fixable]" if unpinned and use.pin_span is not None else ""
        lines.append(f"{name}:{s.line}:{s.column}-{s.end_line}:{s.end_column} {use.kind} {what}{pin}")
    for span, message in facts.errors:
        code = getattr(message, "code", "PIN900")
        lines.append(f"{name}:{span.line}:{span.column} {code} {message}")
    return lines


def expected(kind: str) -> list[str]:
    text = (DATA / kind / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def cited(path: Path) -> bool:
    """Whether a corpus file says where its case comes from, in its first comment lines."""
    head = path.read_text(encoding="utf-8").splitlines()[:3]
    return any(line.lstrip("# ").startswith("Source: ") for line in head)


def report_lines(report: dict[str, Any]) -> list[str]:
    """A JSON report as `path:line:col-endline:endcol CODE kind image -> expanded` lines."""
    lines = []
    for d in report["diagnostics"]:
        where = f"{d['path']}:{d['line']}:{d['column']}-{d['end_line']}:{d['end_column']}"
        what = f" {d['kind']} {d['image']} -> {d['expanded']}" if "kind" in d else f" {d['message']}"
        lines.append(f"{where} {d['code']}{what}")
    return lines
