"""Reporters: turn a run's diagnostics into text, JSON, SARIF, GitHub workflow commands or
GitLab Code Quality JSON.

Each format lives in its own module and is imported only when it is chosen, so a plain
`pinlint check` loads neither `json` nor `hashlib`. What several formats share is here: the
per-rule statistics, the rule documentation URL and the fingerprint (`RunResult`, what they
print, lives in `pinlint.model` and is re-exported here).
"""

from __future__ import annotations

from types import ModuleType
from typing import NamedTuple, TextIO

from pinlint.model import Diagnostic
from pinlint.model import RunResult as RunResult  # re-exported: the reporters take one

FORMATS = ("text", "json", "sarif", "github", "gitlab")
STATISTICS_FORMATS = ("text", "json")

# Where the rule documentation (rules/<CODE>-<name>/README.md) is published: SARIF help URIs
# and the README link here.
RULE_DOCS_URL = "https://github.com/pinlint/pinlint/blob/main/rules"


class Statistic(NamedTuple):
    """How often one rule fired (`--statistics`)."""

    code: str
    name: str
    total: int
    fixable_count: int

    @property
    def fixable(self) -> bool:
        return self.fixable_count > 0


def statistics(diagnostics: list[Diagnostic]) -> list[Statistic]:
    """One row per rule code, most frequent first (ties by code), as ruff's `--statistics`."""
    counts: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for d in diagnostics:
        row = counts.setdefault(d.code, [0, 0])
        row[0] += 1
        row[1] += d.fixable
        names[d.code] = d.name
    rows = [Statistic(code, names[code], count, fixable) for code, (count, fixable) in counts.items()]
    return sorted(rows, key=lambda s: (-s.total, s.code))


def rule_doc_url(rule: ModuleType) -> str:
    """The published documentation page of a rule module (CODE, NAME)."""
    return f"{RULE_DOCS_URL}/{rule.CODE}-{rule.NAME}/README.md"


def fingerprints(diagnostics: list[Diagnostic]) -> list[str]:
    """A stable identity for each diagnostic, in the same order (GitLab, SARIF).

    sha256 of the path, the rule code, what the finding is about (the image reference as
    written, else the message) and how many identical findings came before it in the file.
    No line or column goes in, so a finding keeps its fingerprint when unrelated lines are
    added above it; two identical findings in one file stay distinct through the counter.
    """
    import hashlib

    order = sorted(range(len(diagnostics)), key=lambda i: _position(diagnostics[i]))
    seen: dict[tuple[str, str, str], int] = {}
    result = [""] * len(diagnostics)
    for index in order:
        d = diagnostics[index]
        key = (d.path, d.code, d.use.text if d.use is not None else d.message)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        data = "\0".join((*key, str(occurrence))).encode("utf-8", "surrogateescape")  # undecodable file names
        result[index] = hashlib.sha256(data).hexdigest()
    return result


def _position(d: Diagnostic) -> tuple[str, int, int, int, str]:
    return d.path, d.span.line, d.span.column, d.span.start, d.code


def write(
    result: RunResult,
    fmt: str,
    out: TextIO,
    *,
    color: bool = False,
    quiet: bool = False,
    show_statistics: bool = False,
    errors: int = 0,
    fix_hint: bool = True,
) -> None:
    """Write `result` in format `fmt` (one of FORMATS); `quiet` drops text summary lines;
    `errors` (paths that could not be checked) keeps the text summary from saying all passed."""
    if show_statistics:
        if fmt == "json":
            _write_statistics_json(result, out)
        else:
            from pinlint.report import text as text_report

            text_report.write_statistics(result, out, color=color, quiet=quiet, errors=errors)
        return
    if fmt == "json":
        from pinlint.report import json as json_report

        json_report.write(result, out)
    elif fmt == "sarif":
        from pinlint.report import sarif

        sarif.write(result, out)
    elif fmt == "github":
        from pinlint.report import github

        github.write(result, out)
    elif fmt == "gitlab":
        from pinlint.report import gitlab

        gitlab.write(result, out)
    else:
        from pinlint.report import text as text_report

        text_report.write(result, out, color=color, quiet=quiet, errors=errors, fix_hint=fix_hint)


def _write_statistics_json(result: RunResult, out: TextIO) -> None:
    """`--statistics --format json`: one object per rule, with ruff's keys."""
    import json

    rows = [
        {"code": s.code, "name": s.name, "count": s.total, "fixable": s.fixable, "fixable_count": s.fixable_count}
        for s in statistics(result.diagnostics)
    ]
    json.dump(rows, out, indent=2, ensure_ascii=False)
    out.write("\n")
