"""Runs one corpus case of a CI-configuration source end to end (tests/data/<kind>/NN-name/).

A case is a folder of files as they sit in a repository and `expected.txt`, the exact lines
`pinlint check --no-config .` prints inside that folder (summary lines left out), less the
severity word the text output prints after each code, which the runner adds from the rule. The
environment is emptied first, so nothing from the machine running the tests leaks in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pinlint.cli import main

SUMMARY_PREFIXES = ("Found ", "[*] ", "All checks passed!")
NO_FILES_WARNING = "pinlint: warning: no container files found under the given paths\n"
KEEP_ENV = frozenset({"PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP"})


def cases(corpus: Path) -> list[str]:
    return sorted(p.name for p in corpus.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))


def run_case(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in list(os.environ):
        if name not in KEEP_ENV:
            monkeypatch.delenv(name)
    monkeypatch.chdir(folder)
    capsys.readouterr()
    code = main(["check", "--no-config", "."])
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if not line.startswith(SUMMARY_PREFIXES)]
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert lines == [with_severity(line) for line in expected]
    # a case with no file of the kind (e.g. github/21-not-a-workflow-name) prints nothing, not
    # even a summary, and says so on stderr; any other case prints a summary and nothing on stderr
    assert err == (NO_FILES_WARNING if out == "" else "")
    assert code == (1 if any(" PIN0" in line or " PIN9" in line for line in expected) else 0)


def with_severity(line: str) -> str:
    """An `expected.txt` line (`path:line:col: CODE [*] message`) as the text output prints it,
    with the rule's severity after the code."""
    from pinlint.rules import BY_CODE

    return re.sub(
        r": (PIN\d{3})( \[\*\])? ", lambda m: f": {m[1]}{m[2] or ''} {BY_CODE[m[1]].SEVERITY.label}: ", line, count=1
    )


def cites_documentation(folder: Path) -> bool:
    """Every case names the documentation page of the syntax it exercises."""
    texts = [p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "expected.txt"]
    return any(b"https://" in text for text in texts)


def check_corpus(corpus: Path, names: list[str], crlf_file: str, minimum: int = 15) -> None:
    """A kind's corpus: at least `minimum` cases, each with its expected output and citing the
    documentation, and `crlf_file` (relative to the corpus) written with CRLF line ends only."""
    assert len(names) >= minimum, names
    for name in names:
        assert (corpus / name / "expected.txt").is_file(), name
        assert cites_documentation(corpus / name), name
    crlf = (corpus / crlf_file).read_bytes()
    assert crlf.count(b"\r\n") == crlf.count(b"\n") > 0
