"""End-to-end tests of `pinlint check` (and the entry points) through `pinlint.cli.main`.

Every test runs the real CLI in a temporary project (see conftest.py) on real files, and
asserts what design.md sections 2, 8 and 10 promise: exit codes, the exact text and JSON
output, stdin, and that bad input never produces a traceback.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pinlint

Cli = Callable[..., Any]
Write = Callable[..., Path]

DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# A two-stage build: the builder stage is unpinned, the runtime stage is pinned.
APP = f"""\
FROM python:3.12-slim AS build
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.12-slim@{DIGEST}
COPY --from=build /wheels /wheels
RUN pip install --no-index /wheels/*
CMD ["python", "-m", "app"]
"""

PINNED = f"""\
FROM python:3.12-slim@{DIGEST}
RUN pip install --no-cache-dir flask==3.0.3
CMD ["flask", "run"]
"""

# PIN001, PIN002, PIN003 (fixable) and PIN004 (a warning, not fixable).
MIXED = """\
ARG BASE_REGISTRY
FROM node:20-alpine AS assets
RUN npm ci && npm run build

FROM alpine:latest AS certs
RUN apk add --no-cache ca-certificates

FROM ubuntu
COPY --from=assets /app/dist /srv/www

FROM ${BASE_REGISTRY}/nginx:1.25
"""

MIXED_LINES = [
    "Dockerfile:2:6: PIN003 [*] error: Image 'node:20-alpine' is not pinned to a digest",
    "Dockerfile:5:6: PIN001 [*] error: Image 'alpine:latest' uses the mutable tag "
    "'latest' and is not pinned to a digest",
    "Dockerfile:8:6: PIN002 [*] error: Image 'ubuntu' has no tag (implicitly 'latest') and is not pinned to a digest",
    "Dockerfile:11:6: PIN004 warning: Image '${BASE_REGISTRY}/nginx:1.25' depends on variable 'BASE_REGISTRY' "
    "with no default or value; it cannot be checked",
]

# Only a warning-severity finding (PIN004).
ONLY_WARNING = """\
ARG BASE_IMAGE
FROM $BASE_IMAGE
RUN make install
"""


# -- exit codes --------------------------------------------------------------------------


def test_clean_run_exits_0_and_says_all_checks_passed(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check")
    assert run.code == 0
    assert run.out == "All checks passed! (1 file checked)\n"
    assert run.err == ""


def test_clean_run_counts_files_in_plural(cli: Cli, write: Write) -> None:
    write("api/Dockerfile", PINNED)
    write("worker/Dockerfile", PINNED)
    run = cli("check")
    assert run.code == 0
    assert run.out == "All checks passed! (2 files checked)\n"


def test_findings_exit_1_with_exact_lines_and_summary(cli: Cli, write: Write) -> None:
    write("Dockerfile", MIXED)
    run = cli("check")
    assert run.code == 1
    assert run.lines == [
        *MIXED_LINES,
        "Found 3 errors and 1 warning in 1 of 1 file checked.",
        "[*] 3 fixable with `pinlint fix`.",
    ]
    assert run.err == ""


def test_single_problem_summary_is_singular(cli: Cli, write: Write) -> None:
    write("Dockerfile", APP)
    run = cli("check")
    assert run.code == 1
    assert run.lines == [
        "Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
        "Found 1 error in 1 of 1 file checked.",
        "[*] 1 fixable with `pinlint fix`.",
    ]


def test_summary_counts_files_with_problems_and_files_checked(cli: Cli, write: Write) -> None:
    write("api/Dockerfile", APP)
    write("web/Dockerfile", PINNED)
    write("worker/Containerfile", "FROM docker.io/library/golang:1.22\nRUN go build ./...\n")
    run = cli("check")
    assert run.code == 1
    assert run.lines == [
        "api/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
        "worker/Containerfile:1:6: PIN003 [*] error: Image 'docker.io/library/golang:1.22' is not pinned to a digest",
        "Found 2 errors in 2 of 3 files checked.",
        "[*] 2 fixable with `pinlint fix`.",
    ]


def test_no_fixable_line_when_nothing_is_fixable(cli: Cli, write: Write) -> None:
    write("Dockerfile", ONLY_WARNING)
    run = cli("check")
    assert run.lines == [
        "Dockerfile:2:6: PIN004 warning: Image '$BASE_IMAGE' depends on variable 'BASE_IMAGE' "
        "with no default or value; "
        "it cannot be checked",
        "Found 1 warning in 1 of 1 file checked.",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--frobnicate"],
        ["check", "--format", "yaml"],
        ["check", "--fail-level", "fatal"],
        ["lint"],
    ],
)
def test_bad_flag_exits_2_with_usage_on_stderr(cli: Cli, write: Write, argv: list[str]) -> None:
    write("Dockerfile", MIXED)
    run = cli(*argv)
    assert run.code == 2
    assert run.out == ""
    assert "usage: pinlint" in run.err
    assert "error:" in run.err


def test_no_command_exits_2(cli: Cli) -> None:
    run = cli()
    assert run.code == 2
    assert "check" in run.out + run.err


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_selector_exits_2_naming_it(cli: Cli, write: Write, flag: str) -> None:
    write("Dockerfile", MIXED)
    run = cli("check", flag, "PIN99X")
    assert run.code == 2
    assert run.out == ""
    assert run.err == f"pinlint: error: unknown rule selector 'PIN99X' in {flag}\n"


def test_unknown_selector_among_known_ones_is_still_an_error(cli: Cli, write: Write) -> None:
    write("Dockerfile", MIXED)
    run = cli("check", "--select", "PIN001,PIN99X")
    assert run.code == 2
    assert "'PIN99X'" in run.err


def test_unknown_config_key_exits_2_naming_the_key(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", MIXED)
    write("pinlint.toml", 'select = ["PIN001"]\nfail_level = "error"\n')
    run = cli("check")
    assert run.code == 2
    assert run.out == ""
    assert run.err == (
        f"pinlint: error: {project / 'pinlint.toml'}: unknown key 'fail_level' (did you mean 'fail-level'?)\n"
    )


def test_invalid_toml_exits_2_with_one_line(cli: Cli, write: Write) -> None:
    write("Dockerfile", MIXED)
    write("pinlint.toml", 'select = ["PIN001"\n')
    run = cli("check")
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert run.err.startswith("pinlint: error: ")
    assert "pinlint.toml" in run.err
    assert "invalid TOML" in run.err


def test_missing_path_is_one_line_error_and_other_paths_are_still_checked(cli: Cli, write: Write) -> None:
    write("services/api/Dockerfile", APP)
    run = cli("check", "services/api/Dockerfile", "services/billing/Dockerfile")
    assert run.code == 2
    assert run.err == "pinlint: error: services/billing/Dockerfile: No such file or directory\n"
    assert run.lines[0] == (
        "services/api/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest"
    )
    assert run.lines[1:] == [
        "Found 1 error in 1 of 1 file checked; 1 thing could not be checked (see above).",
        "[*] 1 fixable with `pinlint fix`.",
    ]


def test_missing_path_wins_over_a_clean_result(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check", "Dockerfile", "Containerfile")
    assert run.code == 2
    assert run.err == "pinlint: error: Containerfile: No such file or directory\n"
    # the summary does not contradict the error
    assert run.lines == ["No findings in 1 file checked; 1 thing could not be checked (see above)."]


def test_each_missing_path_gets_its_own_line(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check", "missing-a", "Dockerfile", "missing-b")
    assert run.code == 2
    assert run.err.splitlines() == [
        "pinlint: error: missing-a: No such file or directory",
        "pinlint: error: missing-b: No such file or directory",
    ]


# -- fail level ----------------------------------------------------------------------------


def test_warning_fails_at_the_default_fail_level(cli: Cli, write: Write) -> None:
    write("Dockerfile", ONLY_WARNING)
    assert cli("check").code == 1


def test_fail_level_error_lets_warnings_pass_but_still_prints_them(cli: Cli, write: Write) -> None:
    write("Dockerfile", ONLY_WARNING)
    run = cli("check", "--fail-level", "error")
    assert run.code == 0
    assert run.lines[0].startswith("Dockerfile:2:6: PIN004 ")


def test_fail_level_error_still_fails_on_errors(cli: Cli, write: Write) -> None:
    write("Dockerfile", MIXED)
    assert cli("check", "--fail-level", "error").code == 1


def test_fail_level_from_config(cli: Cli, write: Write) -> None:
    write("Dockerfile", ONLY_WARNING)
    write("pinlint.toml", 'fail-level = "error"\n')
    assert cli("check").code == 0


def test_fail_level_flag_overrides_config(cli: Cli, write: Write) -> None:
    write("Dockerfile", ONLY_WARNING)
    write("pinlint.toml", 'fail-level = "error"\n')
    assert cli("check", "--fail-level", "warning").code == 1


def test_info_findings_pass_by_default_and_fail_at_info(cli: Cli, write: Write) -> None:
    # PIN005 (off by default, severity info): a digest without a tag.
    write("Dockerfile", f"FROM gcr.io/distroless/static-debian12@{DIGEST}\nCOPY app /app\n")
    run = cli("check", "--extend-select", "PIN005")
    assert run.code == 0
    assert run.lines[0] == (
        f"Dockerfile:1:6: PIN005 info: Image 'gcr.io/distroless/static-debian12@{DIGEST}' is "
        "pinned to a digest without a tag"
    )
    assert cli("check", "--extend-select", "PIN005", "--fail-level", "info").code == 1


# -- colour ------------------------------------------------------------------------------


def test_no_ansi_escapes_when_stdout_is_not_a_tty(cli: Cli, write: Write) -> None:
    write("Dockerfile", MIXED)
    run = cli("check")
    assert "\x1b" not in run.out
    assert "\x1b" not in run.err


def test_colour_on_a_tty_with_the_same_text(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", MIXED)
    plain = cli("check").out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = cli("check")
    assert run.code == 1
    assert "\x1b[" in run.out
    assert ANSI.sub("", run.out) == plain


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_colour_on_a_tty_when_disabled(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    write("Dockerfile", MIXED)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv(name, value)
    run = cli("check")
    assert "\x1b" not in run.out
    assert run.lines[0] == MIXED_LINES[0]


def test_json_has_no_colour_on_a_tty(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", MIXED)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run = cli("check", "--format", "json")
    assert "\x1b" not in run.out
    assert len(json.loads(run.out)["diagnostics"]) == 4


def test_empty_no_color_does_not_disable_colour(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    # no-color.org: "when present and not an empty string".
    write("Dockerfile", MIXED)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "")
    assert "\x1b[" in cli("check").out


# -- JSON ----------------------------------------------------------------------------------

JSON_DOCKERFILE = """\
# syntax=docker/dockerfile:1.7
ARG REGISTRY
FROM python:3.12 AS build
RUN --mount=type=bind,from=ghcr.io/acme/wheels:2024.05,source=/wheels,target=/wheels \\
    pip install --find-links /wheels -r requirements.txt

FROM ${REGISTRY}/runtime:1.0
COPY --from=build /app /app
COPY --from=nginx:1.25-alpine /etc/nginx/nginx.conf /etc/nginx/nginx.conf
"""


def test_json_document_exactly(cli: Cli, write: Write) -> None:
    write("app/Dockerfile", JSON_DOCKERFILE)
    write("web/Dockerfile", PINNED)
    run = cli("check", "--format", "json")
    assert run.code == 1
    assert run.err == ""

    def diag(line: int, column: int, end_column: int, code: str, **rest: Any) -> dict[str, Any]:
        names = {"PIN003": ("unpinned-tag", "error"), "PIN004": ("unresolved-variable", "warning")}
        name, severity = names[code]
        return {
            "path": "app/Dockerfile",
            "line": line,
            "column": column,
            "end_line": line,
            "end_column": end_column,
            "code": code,
            "name": name,
            "severity": severity,
            **rest,
        }

    assert json.loads(run.out) == {
        "version": 1,
        "diagnostics": [
            diag(
                1, 10, 31, "PIN003",
                message="Image 'docker/dockerfile:1.7' is not pinned to a digest",
                kind="syntax", image="docker/dockerfile:1.7", expanded="docker.io/docker/dockerfile:1.7", fixable=True,
            ),
            diag(
                3, 6, 17, "PIN003",
                message="Image 'python:3.12' is not pinned to a digest",
                kind="from", image="python:3.12", expanded="docker.io/library/python:3.12", fixable=True,
            ),
            diag(
                4, 28, 55, "PIN003",
                message="Image 'ghcr.io/acme/wheels:2024.05' is not pinned to a digest",
                kind="mount-from", image="ghcr.io/acme/wheels:2024.05", expanded="ghcr.io/acme/wheels:2024.05",
                fixable=True,
            ),
            diag(
                7, 6, 29, "PIN004",
                message="Image '${REGISTRY}/runtime:1.0' depends on variable 'REGISTRY' with no default or value; "
                "it cannot be checked",
                kind="from", image="${REGISTRY}/runtime:1.0", expanded=None, fixable=False,
            ),
            diag(
                9, 13, 30, "PIN003",
                message="Image 'nginx:1.25-alpine' is not pinned to a digest",
                kind="copy-from", image="nginx:1.25-alpine", expanded="docker.io/library/nginx:1.25-alpine",
                fixable=True,
            ),
        ],
        "files_checked": 2,
    }  # fmt: skip


def test_json_top_level_keys_and_value_types(cli: Cli, write: Write) -> None:
    write("Dockerfile", MIXED)
    document = json.loads(cli("check", "--format", "json").out)
    assert list(document) == ["version", "diagnostics", "files_checked"]
    assert document["version"] == 1
    assert document["files_checked"] == 1
    types = {
        "path": str, "line": int, "column": int, "end_line": int, "end_column": int, "code": str, "name": str,
        "severity": str, "message": str, "kind": str, "image": str, "fixable": bool,
    }  # fmt: skip
    assert len(document["diagnostics"]) == 4
    for item in document["diagnostics"]:
        assert set(item) == {*types, "expanded"}
        for key, kind in types.items():
            assert type(item[key]) is kind, key
        assert item["expanded"] is None or isinstance(item["expanded"], str)
        assert item["severity"] in ("error", "warning", "info")
        assert re.fullmatch(r"PIN\d{3}", item["code"])


def test_json_image_is_as_written_and_expanded_is_canonical(cli: Cli, write: Write) -> None:
    write(
        "Dockerfile",
        "ARG PYTHON=3.12\n"
        "FROM python:${PYTHON}-slim\n"
        "FROM index.docker.io/library/redis:7\n"
        "FROM quay.io/prometheus/node-exporter\n",
    )
    diagnostics = json.loads(cli("check", "--format", "json").out)["diagnostics"]
    assert [(d["image"], d["expanded"]) for d in diagnostics] == [
        ("python:${PYTHON}-slim", "docker.io/library/python:3.12-slim"),
        ("index.docker.io/library/redis:7", "docker.io/library/redis:7"),
        ("quay.io/prometheus/node-exporter", "quay.io/prometheus/node-exporter"),
    ]
    # A reference composed of several parts cannot be pinned in place: not fixable.
    assert [d["fixable"] for d in diagnostics] == [False, True, True]


def test_json_non_image_diagnostic_has_no_image_keys(cli: Cli, write: Write) -> None:
    write("Dockerfile", b'FROM python:3.12\nLABEL maintainer="Jos\xe9"\n')
    run = cli("check", "--format", "json")
    assert run.code == 1
    (item,) = json.loads(run.out)["diagnostics"]
    assert item == {
        "path": "Dockerfile",
        "line": 2,
        "column": 22,
        "end_line": 2,
        "end_column": 22,
        "code": "PIN900",
        "name": "parse-error",
        "severity": "error",
        "message": "invalid UTF-8 (byte 0xe9)",
        "fixable": False,
    }


def test_json_clean_run(cli: Cli, write: Write) -> None:
    write("Dockerfile", PINNED)
    run = cli("check", "--format", "json")
    assert run.code == 0
    assert json.loads(run.out) == {"version": 1, "diagnostics": [], "files_checked": 1}


def test_json_is_still_written_with_a_missing_path(cli: Cli, write: Write) -> None:
    write("Dockerfile", APP)
    run = cli("check", "--format", "json", "Dockerfile", "nope.Dockerfile")
    assert run.code == 2
    assert run.err == "pinlint: error: nope.Dockerfile: No such file or directory\n"
    assert [d["code"] for d in json.loads(run.out)["diagnostics"]] == ["PIN003"]


# -- stdin ---------------------------------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin_path_is_shown_as_given(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, MIXED.encode())
    run = cli("check", "-", "--stdin-filename", "sub/Dockerfile")
    assert run.code == 1
    assert run.lines[:4] == [line.replace("Dockerfile:", "sub/Dockerfile:", 1) for line in MIXED_LINES]
    assert run.lines[4] == "Found 3 errors and 1 warning in 1 of 1 file checked."


def test_stdin_json(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, APP.encode())
    run = cli("check", "--format", "json", "-", "--stdin-filename", "deploy/api.Dockerfile")
    document = json.loads(run.out)
    assert document["files_checked"] == 1
    assert [(d["path"], d["line"], d["code"]) for d in document["diagnostics"]] == [
        ("deploy/api.Dockerfile", 1, "PIN003")
    ]


def test_stdin_clean(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, PINNED.encode())
    run = cli("check", "-", "--stdin-filename", "Dockerfile")
    assert run.code == 0
    assert run.out == "All checks passed! (1 file checked)\n"


def test_stdin_does_not_need_the_file_to_exist(cli: Cli, monkeypatch: pytest.MonkeyPatch, project: Path) -> None:
    _stdin(monkeypatch, APP.encode())
    run = cli("check", "-", "--stdin-filename", "not/yet/written/Containerfile")
    assert run.code == 1
    assert run.lines[0].startswith("not/yet/written/Containerfile:1:6: PIN003 ")
    assert not (project / "not").exists()


def test_stdin_undecodable_gives_pin900(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"FROM python:3.12\n\xc3\x28\n")
    run = cli("check", "-", "--stdin-filename", "Dockerfile")
    assert run.code == 1
    assert run.lines[0] == "Dockerfile:2:1: PIN900 error: invalid UTF-8 (byte 0xc3)"


def test_stdin_honours_per_file_ignores_by_its_name(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"legacy/*" = ["PIN003"]\n')
    _stdin(monkeypatch, APP.encode())
    assert cli("check", "-", "--stdin-filename", "legacy/Dockerfile").code == 0
    _stdin(monkeypatch, APP.encode())
    assert cli("check", "-", "--stdin-filename", "current/Dockerfile").code == 1


def test_stdin_mixed_with_paths_exits_2(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", APP)
    _stdin(monkeypatch, APP.encode())
    run = cli("check", "-", "Dockerfile", "--stdin-filename", "Dockerfile")
    assert run.code == 2
    assert run.out == ""
    assert run.err == "pinlint: error: '-' (stdin) cannot be combined with other paths\n"


def test_stdin_filename_with_a_path_other_than_dash_exits_2(cli: Cli, write: Write) -> None:
    write("Dockerfile", APP)
    run = cli("check", "--stdin-filename", "Dockerfile", "Dockerfile")
    assert run.code == 2
    assert run.err == "pinlint: error: --stdin-filename reads stdin: give '-' or no path\n"


# -- paths -----------------------------------------------------------------------------------


def test_same_file_given_twice_is_checked_once(cli: Cli, write: Write) -> None:
    write("Dockerfile", APP)
    run = cli("check", "Dockerfile", "./Dockerfile", ".")
    assert run.lines == [
        "Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
        "Found 1 error in 1 of 1 file checked.",
        "[*] 1 fixable with `pinlint fix`.",
    ]


def test_paths_are_shown_relative_to_the_working_directory(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("services/api/Dockerfile", APP)
    monkeypatch.chdir(project / "services")
    run = cli("check", str(project / "services"))
    assert run.lines[0].startswith("api/Dockerfile:1:6: PIN003 ")


# -- bad input never tracebacks ------------------------------------------------------------


def test_binary_file_named_dockerfile(cli: Cli, write: Write) -> None:
    write("Dockerfile", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00")
    write("ok/Dockerfile", APP)
    run = cli("check")
    assert run.code == 1
    assert run.lines[:2] == [
        "Dockerfile:1:8: PIN900 error: binary file (NUL byte); not a text file",
        "ok/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
    ]
    assert run.err == ""


def test_invalid_utf8_points_at_the_bad_byte(cli: Cli, write: Write) -> None:
    # Line 3, after "LABEL org.opencontainers.image.authors=" and "Ren" (é in Latin-1).
    write(
        "Dockerfile",
        b"FROM python:3.12@" + DIGEST.encode() + b"\n"
        b"WORKDIR /app\n"
        b'LABEL org.opencontainers.image.authors="Ren\xe9 Dupont"\n',
    )
    run = cli("check")
    assert run.code == 1
    assert run.lines[0] == "Dockerfile:3:44: PIN900 error: invalid UTF-8 (byte 0xe9)"


def test_invalid_utf8_column_counts_characters_not_bytes(cli: Cli, write: Write) -> None:
    write("Dockerfile", 'LABEL description="café ☕"\n'.encode() + b'LABEL x="\xff"\n')
    line = cli("check").lines[0]
    assert line == "Dockerfile:2:10: PIN900 error: invalid UTF-8 (byte 0xff)"
    write("Dockerfile", 'LABEL d="☕ '.encode() + b'\xff"\n')
    assert cli("check").lines[0] == "Dockerfile:1:12: PIN900 error: invalid UTF-8 (byte 0xff)"


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_with_bom_gives_pin900(cli: Cli, write: Write, bom: bytes, codec: str) -> None:
    write("Dockerfile", bom + APP.encode(codec))
    run = cli("check")
    assert run.code == 1
    assert run.lines[0] == "Dockerfile:1:1: PIN900 error: file is UTF-16 encoded; only UTF-8 is supported"


def test_utf8_bom_does_not_shift_columns(cli: Cli, write: Write) -> None:
    write("Dockerfile", b"\xef\xbb\xbf" + MIXED.encode())
    run = cli("check")
    assert run.code == 1
    assert run.lines[:4] == MIXED_LINES
    document = json.loads(cli("check", "--format", "json").out)
    first = document["diagnostics"][0]
    assert (first["line"], first["column"], first["end_column"]) == (2, 6, 20)


def test_crlf_gives_the_same_positions_as_lf(cli: Cli, write: Write) -> None:
    text = MIXED.replace("RUN npm ci && npm run build", "RUN npm ci \\\n && npm run build")
    write("lf/Dockerfile", text)
    write("crlf/Dockerfile", text.replace("\n", "\r\n"))
    lf = json.loads(cli("check", "--format", "json", "lf").out)["diagnostics"]
    crlf = json.loads(cli("check", "--format", "json", "crlf").out)["diagnostics"]
    assert len(lf) == 4
    for d in lf + crlf:
        d.pop("path")
    assert crlf == lf


def test_unparsable_instructions_give_pin900_with_positions(cli: Cli, write: Write) -> None:
    write("a/Dockerfile", "FROM Python:3.12\nFORM debian:12\n")
    write("b/Dockerfile", APP)
    run = cli("check")
    assert run.code == 1
    assert run.lines[:3] == [
        "a/Dockerfile:1:6: PIN900 error: Invalid image reference 'Python:3.12': repository "
        "name must be lowercase: 'Python'",
        "a/Dockerfile:2:1: PIN900 error: unknown instruction: FORM",
        "b/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
    ]


def test_empty_file(cli: Cli, write: Write) -> None:
    write("Dockerfile", b"")
    run = cli("check")
    # BuildKit refuses an empty Dockerfile ("file with no instructions"); pinlint says so too.
    assert run.lines[0] == "Dockerfile:1:1: PIN900 error: file with no instructions"
    assert run.err == ""


def test_dangling_symlink_given_explicitly(cli: Cli, write: Write, project: Path) -> None:
    (project / "Dockerfile").symlink_to("docker/Dockerfile.base")
    run = cli("check", "Dockerfile")
    # a link to nothing is a missing path: a one-line error and exit 2, like any missing file
    assert run.code == 2
    assert run.err == "pinlint: error: Dockerfile: No such file or directory\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_gives_pin900_and_the_run_goes_on(cli: Cli, write: Write) -> None:
    secret = write("secret/Dockerfile", APP)
    write("public/Dockerfile", APP)
    secret.chmod(0)
    try:
        run = cli("check")
    finally:
        secret.chmod(0o644)
    assert run.code == 1
    assert run.lines[:2] == [
        "public/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
        "secret/Dockerfile:1:1: PIN900 error: cannot read file: Permission denied",
    ]


def test_parse_errors_are_reported_whatever_is_selected(cli: Cli, write: Write) -> None:
    write("Dockerfile", b'FROM python:3.12\nLABEL vendor="Soci\xe9t\xe9"\n')
    run = cli("check", "--select", "PIN003")
    assert run.code == 1
    assert run.lines[0] == "Dockerfile:2:19: PIN900 error: invalid UTF-8 (byte 0xe9)"


# -- entry points in a fresh interpreter -------------------------------------------------


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS")}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60, env=env
    )


def test_check_does_not_import_httpx(write: Write, project: Path) -> None:
    write("Dockerfile", MIXED)
    write("deploy/Containerfile", APP)
    script = (
        "import sys\n"
        "from pinlint.cli import main\n"
        f"code = main(['check', '--no-config', {str(project)!r}])\n"
        "assert code == 1, code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore', 'h11', 'anyio'))\n"
        "assert not loaded, loaded\n"
    )
    result = _python("-c", script, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "PIN003" in result.stdout


def test_python_m_pinlint_version(project: Path) -> None:
    result = _python("-m", "pinlint", "--version", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"pinlint {pinlint.__version__}\n"


def test_python_m_pinlint_check_exit_code(write: Write, project: Path) -> None:
    write("Dockerfile", MIXED)
    result = _python("-m", "pinlint", "check", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines()[:4] == MIXED_LINES
    assert "\x1b" not in result.stdout


def test_rule_command_in_a_subprocess(project: Path) -> None:
    result = _python("-m", "pinlint", "rule", "PIN003", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "PIN003" in result.stdout
    assert "unpinned-tag" in result.stdout


def test_rule_command_by_name_and_unknown(cli: Cli) -> None:
    by_name = cli("rule", "unpinned-tag")
    assert by_name.code == 0
    assert by_name.out == cli("rule", "PIN003").out
    unknown = cli("rule", "PIN99X")
    assert unknown.code == 2
    assert unknown.err.startswith("pinlint: error: unknown rule 'PIN99X'")


def test_console_script_rule(project: Path) -> None:
    script = Path(sys.executable).parent / "pinlint"
    if not script.exists():
        pytest.skip("no pinlint console script next to this interpreter")
    result = subprocess.run(
        [str(script), "rule", "PIN003"], cwd=project, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "PIN003" in result.stdout
