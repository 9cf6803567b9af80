"""Shared fixtures: a temporary project as the working directory, and the real CLI run in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pinlint.cli import main

# Variables that would change what `pinlint check` prints when inherited from the outer shell.
_OUTPUT_ENV = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM", "GITHUB_ACTIONS", "GITLAB_CI")


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that is the working directory for the test."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    for name in _OUTPUT_ENV:
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture
def write(project: Path) -> Callable[[str, str | bytes], Path]:
    """write("a/Dockerfile", text_or_bytes) -> the path, parents created, relative to `project`."""

    def write(relpath: str, content: str | bytes) -> Path:
        path = project / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
        return path

    return write


@pytest.fixture
def cli(project: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """cli("check", ...) runs `pinlint.cli.main` in `project` and returns code, stdout, stderr."""

    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run
