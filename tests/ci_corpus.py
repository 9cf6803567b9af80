"""Runs one corpus case of a CI-configuration source end to end (tests/data/<kind>/NN-name/).

A case is a folder of files as they sit in a repository and `expected.txt`, the exact lines
`pinlint check --no-config .` prints inside that folder (summary lines left out). The
environment is emptied first, so nothing from the machine running the tests leaks in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pinlint.cli import main

SUMMARY_PREFIXES = ("Found ", "[*] ", "All checks passed!")
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
    assert lines == expected
    assert err == ""
    assert code == (1 if any(" PIN0" in line or " PIN9" in line for line in expected) else 0)


def cites_documentation(folder: Path) -> bool:
    """Every case names the documentation page of the syntax it exercises."""
    texts = [p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "expected.txt"]
    return any(b"https://" in text for text in texts)
