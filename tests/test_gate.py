"""The CI gate options of `pinlint check`: --exit-zero, --fail-level, --quiet, --statistics,
--output-file. End to end through the real CLI in a temporary project (conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]
Write = Callable[..., Path]

DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# PIN003 ×3 (two fixable, one composed), PIN001, PIN004 (warning), PIN103 (warning).
DOCKERFILE = """\
ARG PY=3.12
ARG BASE
FROM python:3.12-slim AS build
FROM python:${PY}-slim AS test
FROM node:20 AS assets
FROM alpine:latest
FROM $BASE
RUN curl -fsSL https://example.com/install.sh | sh
"""
LINES = [
    "Dockerfile:3:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
    "Dockerfile:4:6: PIN003 error: Image 'python:3.12-slim' is not pinned to a digest "
    "(composed from several parts; cover it with `pinlint lock`)",
    "Dockerfile:5:6: PIN003 [*] error: Image 'node:20' is not pinned to a digest",
    "Dockerfile:6:6: PIN001 [*] error: Image 'alpine:latest' uses the mutable tag "
    "'latest' and is not pinned to a digest",
    "Dockerfile:7:6: PIN004 warning: Image '$BASE' depends on variable 'BASE' with no "
    "default or value; it cannot be checked",
    "Dockerfile:8:5: PIN103 warning: Output of 'curl' is piped into 'sh'",
]
SUMMARY = ["Found 4 errors and 2 warnings in 1 of 1 file checked.", "[*] 3 fixable with `pinlint fix`."]
WARNING_ONLY = "ARG BASE\nFROM $BASE\n"
PINNED = f"FROM alpine:3.20@{DIGEST}\n"


# -- --exit-zero -------------------------------------------------------------------------


def test_findings_exit_1_without_exit_zero(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check")
    assert run.code == 1
    assert run.lines == LINES + SUMMARY


def test_exit_zero_exits_0_and_still_reports(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--exit-zero")
    assert run.code == 0
    assert run.lines == LINES + SUMMARY


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab"])
def test_exit_zero_with_every_format(cli: Cli, write: Write, fmt: str) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--exit-zero", "--format", fmt)
    assert run.code == 0
    assert "PIN003" in run.out


def test_exit_zero_beats_fail_level(cli: Cli, write: Write) -> None:
    write("Dockerfile", WARNING_ONLY)
    assert cli("check", "--fail-level", "info").code == 1
    assert cli("check", "--fail-level", "info", "--exit-zero").code == 0


def test_exit_zero_still_exits_2_for_a_missing_path(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--exit-zero", "Dockerfile", "missing/Dockerfile")
    assert run.code == 2
    assert run.err == "pinlint: error: missing/Dockerfile: No such file or directory\n"
    assert run.lines == [
        *LINES,
        "Found 4 errors and 2 warnings in 1 of 1 file checked; 1 thing could not be checked (see above).",
        SUMMARY[1],
    ]


def test_exit_zero_still_exits_2_for_a_bad_flag(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    assert cli("check", "--exit-zero", "--fail-level", "fatal").code == 2


def test_exit_zero_still_exits_2_for_a_bad_config(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    write("pinlint.toml", "no-such-key = 1\n")
    run = cli("check", "--exit-zero")
    assert run.code == 2
    assert "no-such-key" in run.err


def test_exit_zero_still_exits_3_when_a_registry_cannot_answer(cli: Cli, write: Write) -> None:
    # Nothing listens on 127.0.0.1:9 (discard): the connection is refused at once.
    write("Dockerfile", f"FROM 127.0.0.1:9/app:1.0@{DIGEST}\n")
    write("pinlint.toml", "[registry]\nretries = 0\ntimeout = 2\n")
    run = cli("check", "--online", "--no-cache", "--exit-zero")
    assert run.code == 3
    assert "127.0.0.1:9/app:1.0" in run.err


# -- --fail-level ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [("error", 0), ("warning", 1), ("info", 1)],
)
def test_fail_level_on_warnings(cli: Cli, write: Write, level: str, expected: int) -> None:
    write("Dockerfile", WARNING_ONLY)
    run = cli("check", "--fail-level", level)
    assert run.code == expected
    assert "PIN004" in run.out


@pytest.mark.parametrize(("level", "expected"), [("error", 0), ("warning", 0), ("info", 1)])
def test_fail_level_on_info(cli: Cli, write: Write, level: str, expected: int) -> None:
    write("Dockerfile", f"FROM alpine@{DIGEST}\n")
    run = cli("check", "--select", "PIN005", "--fail-level", level)
    assert run.code == expected


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab"])
def test_fail_level_applies_to_every_format(cli: Cli, write: Write, fmt: str) -> None:
    write("Dockerfile", WARNING_ONLY)
    assert cli("check", "--format", fmt, "--fail-level", "error").code == 0
    assert cli("check", "--format", fmt).code == 1


# -- --quiet -----------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_diagnostics_without_summary(cli: Cli, write: Write, flag: str) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", flag)
    assert run.code == 1
    assert run.lines == LINES


def test_quiet_clean_run_prints_nothing(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check", "--quiet")
    assert (run.code, run.out, run.err) == (0, "", "")


def test_quiet_keeps_errors_on_stderr(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check", "--quiet", "Dockerfile", "nope")
    assert (run.code, run.out) == (2, "")
    assert run.err == "pinlint: error: nope: No such file or directory\n"


def test_quiet_does_not_change_json(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    assert cli("check", "--quiet", "--format", "json").out == cli("check", "--format", "json").out


# -- --statistics ------------------------------------------------------------------------

STATISTICS = ["3\tPIN003\t[*] unpinned-tag", "1\tPIN001\t[*] latest-tag", "1\tPIN004\t[ ] unresolved-variable",
              "1\tPIN103\t[ ] pipe-to-shell"]  # fmt: skip


def test_statistics_counts_per_rule_like_ruff(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--statistics")
    assert run.code == 1
    assert run.lines == STATISTICS + SUMMARY


def test_statistics_aligns_counts_and_codes(cli: Cli, write: Write) -> None:
    write("Dockerfile", "".join(f"FROM app{i}:1 AS s{i}\n" for i in range(12)) + "ARG X\nFROM $X\n")
    run = cli("check", "--statistics", "--quiet")
    assert run.lines == ["12\tPIN003\t[*] unpinned-tag", " 1\tPIN004\t[ ] unresolved-variable"]


def test_statistics_without_anything_fixable_has_no_fix_column(cli: Cli, write: Write) -> None:
    write("Dockerfile", WARNING_ONLY)
    run = cli("check", "--statistics")
    assert run.lines == ["1\tPIN004\tunresolved-variable", "Found 1 warning in 1 of 1 file checked."]


def test_statistics_quiet_prints_only_the_table(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    assert cli("check", "--statistics", "--quiet").lines == STATISTICS


def test_statistics_clean_run(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check", "--statistics")
    assert (run.code, run.lines) == (0, ["All checks passed! (1 file checked)"])
    assert cli("check", "--statistics", "--quiet").out == ""


def test_statistics_keeps_the_exit_code_and_exit_zero(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    assert cli("check", "--statistics", "--exit-zero").code == 0
    assert cli("check", "--statistics", "--fail-level", "error").code == 1


def test_statistics_json(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--statistics", "--format", "json")
    assert run.code == 1
    assert json.loads(run.out) == [
        {"code": "PIN003", "name": "unpinned-tag", "count": 3, "fixable": True, "fixable_count": 2},
        {"code": "PIN001", "name": "latest-tag", "count": 1, "fixable": True, "fixable_count": 1},
        {"code": "PIN004", "name": "unresolved-variable", "count": 1, "fixable": False, "fixable_count": 0},
        {"code": "PIN103", "name": "pipe-to-shell", "count": 1, "fixable": False, "fixable_count": 0},
    ]


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab"])
def test_statistics_with_a_ci_format_is_a_usage_error(cli: Cli, write: Write, fmt: str) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--statistics", "--format", fmt)
    assert (run.code, run.out) == (2, "")
    assert run.err == f"pinlint: error: --statistics works with --format text or json, not {fmt}\n"


def test_statistics_stays_text_inside_github_actions(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", DOCKERFILE)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert cli("check", "--statistics").lines == STATISTICS + SUMMARY


def test_statistics_colour_on_a_tty(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", DOCKERFILE)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = cli("check", "--statistics")
    assert "\x1b[" in run.out
    assert ANSI.sub("", run.out).splitlines() == STATISTICS + SUMMARY


# -- --output-file -----------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--output-file", "-o"])
def test_output_file_gets_the_report_and_stdout_stays_empty(cli: Cli, write: Write, project: Path, flag: str) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", flag, "report.txt")
    assert (run.code, run.out, run.err) == (1, "", "")
    assert (project / "report.txt").read_text(encoding="utf-8").splitlines() == LINES + SUMMARY


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_output_file_with_json_formats(cli: Cli, write: Write, project: Path, fmt: str) -> None:
    write("Dockerfile", DOCKERFILE)
    stdout = cli("check", "--format", fmt).out
    run = cli("check", "--format", fmt, "--output-file", "report.json")
    assert run.out == ""
    assert json.loads((project / "report.json").read_text(encoding="utf-8")) == json.loads(stdout)


def test_output_file_keeps_errors_on_stderr(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--output-file", "report.txt", "Dockerfile", "nope")
    assert run.code == 2
    assert run.out == ""
    assert run.err == "pinlint: error: nope: No such file or directory\n"
    assert (project / "report.txt").read_text(encoding="utf-8").splitlines() == [
        *LINES,
        "Found 4 errors and 2 warnings in 1 of 1 file checked; 1 thing could not be checked (see above).",
        SUMMARY[1],
    ]


def test_output_file_replaces_an_existing_file_and_leaves_no_temporary(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", PINNED)
    report = write("reports/pinlint.txt", "old content that is longer than the new report\n" * 20)
    os.chmod(report, 0o640)
    run = cli("check", "--output-file", "reports/pinlint.txt")
    assert run.code == 0
    assert report.read_text(encoding="utf-8") == "All checks passed! (1 file checked)\n"
    assert os.listdir(project / "reports") == ["pinlint.txt"]
    assert report.stat().st_mode & 0o777 == 0o640


def test_output_file_new_file_follows_the_umask(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", PINNED)
    old = os.umask(0o027)
    try:
        cli("check", "--output-file", "report.txt")
    finally:
        os.umask(old)
    assert (project / "report.txt").stat().st_mode & 0o777 == 0o640


def test_output_file_has_no_colour_on_a_tty(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("Dockerfile", DOCKERFILE)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    cli("check", "--output-file", "report.txt")
    assert "\x1b" not in (project / "report.txt").read_text(encoding="utf-8")


def test_output_file_in_a_missing_directory_is_a_one_line_error(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--output-file", "no/such/dir/report.txt")
    assert run.code == 2
    assert run.out == ""
    assert run.err == "pinlint: error: cannot write no/such/dir/report.txt: No such file or directory\n"


def test_output_file_with_quiet_and_statistics(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--statistics", "--quiet", "--exit-zero", "-o", "stats.txt")
    assert (run.code, run.out) == (0, "")
    assert (project / "stats.txt").read_text(encoding="utf-8").splitlines() == STATISTICS


def test_output_file_keeps_non_ascii_as_utf8(cli: Cli, write: Write, project: Path) -> None:
    write("café/Dockerfile", "FROM nginx:1.27\n")
    cli("check", "--format", "json", "--output-file", "r.json")
    document = json.loads((project / "r.json").read_bytes().decode("utf-8"))
    assert document["diagnostics"][0]["path"] == "café/Dockerfile"


def test_help_lists_the_gate_options(cli: Cli) -> None:
    out = cli("check", "--help").out
    for option in ("--exit-zero", "--fail-level", "--quiet", "--statistics", "--output-file", "sarif", "gitlab"):
        assert option in out
