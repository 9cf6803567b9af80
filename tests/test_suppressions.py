"""Suppression comments in Dockerfiles (design section 9), end to end through `pinlint check`.

`# pinlint: ignore=CODES` in the comment lines right above an instruction (or inside its
continuation lines) silences those codes on that instruction; `# pinlint: ignore` silences
every code there; `# pinlint: ignore-file[=CODES]` anywhere silences the whole file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]
Write = Callable[..., Path]


def check(cli: Cli, write: Write, text: str, *args: str) -> list[str]:
    """The diagnostic lines (without the summary) for one Dockerfile."""
    write("Dockerfile", text)
    run = cli("check", "--no-config", *args)
    assert run.err == ""
    return [line for line in run.lines if line.startswith("Dockerfile:")]


PIN003_PY = "Dockerfile:{line}:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest"
PIN002_UBUNTU = (
    "Dockerfile:{line}:6: PIN002 [*] error: Image 'ubuntu' has no tag (implicitly "
    "'latest') and is not pinned to a digest"
)


def test_ignore_code_on_the_line_above_silences_only_that_instruction(cli: Cli, write: Write) -> None:
    text = """\
# pinlint: ignore=PIN003
FROM python:3.12-slim AS build
RUN pip wheel -w /wheels -r requirements.txt

FROM python:3.12-slim
COPY --from=build /wheels /wheels
"""
    assert check(cli, write, text) == [PIN003_PY.format(line=5)]


def test_ignore_code_silences_only_that_code(cli: Cli, write: Write) -> None:
    text = """\
ARG PYTHON_TAG
# pinlint: ignore=PIN003
FROM python:${PYTHON_TAG}-slim
"""
    # PIN004 (unresolved variable) is not PIN003: it stays.
    assert check(cli, write, text) == [
        "Dockerfile:3:6: PIN004 warning: Image 'python:${PYTHON_TAG}-slim' depends on variable 'PYTHON_TAG' "
        "with no default or value; it cannot be checked"
    ]


def test_ignore_a_different_code_changes_nothing(cli: Cli, write: Write) -> None:
    text = "# pinlint: ignore=PIN002\nFROM python:3.12-slim\n"
    assert check(cli, write, text) == [PIN003_PY.format(line=2)]


def test_ignore_without_codes_silences_every_code_on_the_instruction(cli: Cli, write: Write) -> None:
    text = """\
FROM golang:1.22 AS build
RUN go build -o /out/server ./cmd/server

# pinlint: ignore
FROM ubuntu
COPY --from=build /out/server /usr/local/bin/server

FROM ubuntu
"""
    assert check(cli, write, text) == [
        "Dockerfile:1:6: PIN003 [*] error: Image 'golang:1.22' is not pinned to a digest",
        PIN002_UBUNTU.format(line=8),
    ]


def test_ignore_all_covers_several_codes_on_one_instruction(cli: Cli, write: Write) -> None:
    write("pinlint.toml", 'denied-tags = ["edge"]\n')
    write("Dockerfile", "# pinlint: ignore\nFROM alpine:edge\nFROM alpine:edge\n")
    run = cli("check")
    assert [line.split(": ")[1].split()[0] for line in run.lines if line.startswith("Dockerfile:")] == [
        "PIN003",
        "PIN009",
    ]
    assert all(line.startswith("Dockerfile:3:") for line in run.lines[:2])


@pytest.mark.parametrize(
    "codes",
    ["PIN003,PIN002", "PIN002, PIN003", "PIN002 PIN003", "pin003", "unpinned-tag", "PIN00", "PIN0", "ALL"],
)
def test_code_list_forms(cli: Cli, write: Write, codes: str) -> None:
    text = f"# pinlint: ignore={codes}\nFROM python:3.12-slim\nFROM python:3.12-slim\n"
    assert check(cli, write, text) == [PIN003_PY.format(line=3)]


@pytest.mark.parametrize(
    "comment",
    ["#pinlint:ignore=PIN003", "#   pinlint:   ignore = PIN003", "# pinlint: ignore=PIN003   "],
)
def test_spacing_forms(cli: Cli, write: Write, comment: str) -> None:
    assert check(cli, write, f"{comment}\nFROM python:3.12-slim\n") == []


@pytest.mark.parametrize(
    "comment",
    [
        "# pinlint: ignored=PIN003",  # not the keyword
        "# pinlint: ignore-line=PIN003",
        "# pinlint ignore=PIN003",  # no colon
        "# hadolint ignore=DL3006",
        "# TODO pinlint: ignore=PIN003",  # must start the comment
    ],
)
def test_not_a_suppression(cli: Cli, write: Write, comment: str) -> None:
    assert check(cli, write, f"{comment}\nFROM python:3.12-slim\n") == [PIN003_PY.format(line=2)]


def test_comment_block_above_the_instruction(cli: Cli, write: Write) -> None:
    text = """\
# The builder is rebuilt nightly on purpose.
# pinlint: ignore=PIN003
# See docs/build.md.
FROM python:3.12-slim
"""
    assert check(cli, write, text) == []


def test_blank_line_between_comment_and_instruction_breaks_it(cli: Cli, write: Write) -> None:
    # Like hadolint: the suppression belongs to the instruction right below its comment block.
    text = "# pinlint: ignore=PIN003\n\nFROM python:3.12-slim\n"
    assert check(cli, write, text) == [PIN003_PY.format(line=3)]


def test_suppression_only_reaches_the_next_instruction(cli: Cli, write: Write) -> None:
    text = """\
# pinlint: ignore=PIN003
WORKDIR /app
FROM python:3.12-slim
"""
    assert check(cli, write, text) == [PIN003_PY.format(line=3)]


def test_suppression_inside_a_continuation_applies_to_that_instruction(cli: Cli, write: Write) -> None:
    text = """\
FROM python:3.12-slim AS app
COPY \\
  # pinlint: ignore=PIN003
  --from=nginx:1.25-alpine \\
  /etc/nginx/nginx.conf /etc/nginx/nginx.conf
COPY --from=nginx:1.25-alpine /usr/share/nginx/html /srv/html
"""
    assert check(cli, write, text) == [
        PIN003_PY.format(line=1),
        "Dockerfile:6:13: PIN003 [*] error: Image 'nginx:1.25-alpine' is not pinned to a digest",
    ]


def test_suppression_inside_a_multiline_from(cli: Cli, write: Write) -> None:
    text = """\
FROM --platform=$BUILDPLATFORM \\
    # pinlint: ignore
    golang:1.22 AS build
FROM golang:1.22
"""
    assert check(cli, write, text) == [
        "Dockerfile:4:6: PIN003 [*] error: Image 'golang:1.22' is not pinned to a digest"
    ]


def test_suppression_above_a_multiline_instruction_covers_all_its_lines(cli: Cli, write: Write) -> None:
    text = """\
FROM python:3.12-slim AS app
# pinlint: ignore=PIN003
RUN --mount=type=cache,target=/root/.cache/pip \\
    --mount=type=bind,from=ghcr.io/acme/wheels:2024.05,source=/wheels,target=/wheels \\
    pip install --find-links /wheels -r requirements.txt
"""
    assert check(cli, write, text) == [PIN003_PY.format(line=1)]


def test_indented_comment_and_instruction(cli: Cli, write: Write) -> None:
    text = "FROM python:3.12-slim AS build\n  # pinlint: ignore\n\tFROM ubuntu\n"
    assert check(cli, write, text) == [PIN003_PY.format(line=1)]


def test_comment_lines_in_a_heredoc_body_are_not_suppressions(cli: Cli, write: Write) -> None:
    text = """\
FROM python:3.12-slim AS build
RUN <<EOF
# pinlint: ignore-file
# pinlint: ignore
pip install --no-cache-dir -r requirements.txt
EOF
FROM ubuntu
"""
    assert check(cli, write, text) == [PIN003_PY.format(line=1), PIN002_UBUNTU.format(line=7)]


def test_suppression_after_a_heredoc(cli: Cli, write: Write) -> None:
    text = """\
FROM python:3.12-slim AS build
RUN <<EOF
pip install --no-cache-dir -r requirements.txt
EOF
# pinlint: ignore=PIN002
FROM ubuntu
"""
    assert check(cli, write, text) == [PIN003_PY.format(line=1)]


def test_suppression_with_the_backtick_escape(cli: Cli, write: Write) -> None:
    text = """\
# escape=`
# pinlint: ignore
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
    Install-WindowsFeature Web-Server
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
"""
    assert check(cli, write, text) == [
        "Dockerfile:6:6: PIN003 [*] error: Image "
        "'mcr.microsoft.com/windows/nanoserver:ltsc2022' is not pinned to a digest"
    ]


def test_suppression_above_onbuild(cli: Cli, write: Write) -> None:
    text = f"""\
FROM python:3.12-slim@sha256:{"ab" * 32}
# pinlint: ignore=PIN003
ONBUILD COPY --from=nginx:1.25-alpine /etc/nginx /etc/nginx
ONBUILD COPY --from=nginx:1.25-alpine /usr/share/nginx /usr/share/nginx
"""
    assert check(cli, write, text) == [
        "Dockerfile:4:21: PIN003 [*] error: Image 'nginx:1.25-alpine' is not pinned to a digest"
    ]


def test_trailing_comment_on_an_instruction_line_is_not_a_comment(cli: Cli, write: Write) -> None:
    # In a Dockerfile, '#' only starts a comment at the beginning of a line: here it is two more
    # FROM arguments, which BuildKit rejects.
    lines = check(cli, write, "FROM python:3.12-slim # pinlint: ignore\n")
    assert "Dockerfile:1:1: PIN900 error: FROM requires either one or three arguments" in lines
    assert PIN003_PY.format(line=1) in lines


def test_ignore_file_anywhere(cli: Cli, write: Write) -> None:
    text = """\
FROM python:3.12-slim AS build
FROM ubuntu
COPY --from=build /app /app
# pinlint: ignore-file=PIN003
"""
    assert check(cli, write, text) == [PIN002_UBUNTU.format(line=2)]


def test_ignore_file_without_codes_silences_everything(cli: Cli, write: Write) -> None:
    text = """\
FROM python:3.12-slim AS build
RUN make
# pinlint: ignore-file
FROM ubuntu
ARG TAG
FROM debian:${TAG}
"""
    write("Dockerfile", text)
    run = cli("check", "--no-config")
    assert run.code == 0
    assert run.out == "All checks passed! (1 file checked)\n"


def test_ignore_file_with_prefix_and_several_comments(cli: Cli, write: Write) -> None:
    text = """\
# pinlint: ignore-file=PIN003
FROM python:3.12-slim AS build
FROM alpine:latest AS certs
FROM ubuntu
# pinlint: ignore-file=PIN001
"""
    assert check(cli, write, text) == [PIN002_UBUNTU.format(line=4)]
    assert check(cli, write, "# pinlint: ignore-file=PIN00\n" + text) == []


def test_ignore_file_all_is_not_narrowed_by_a_later_code_list(cli: Cli, write: Write) -> None:
    text = "# pinlint: ignore-file\nFROM ubuntu\n# pinlint: ignore-file=PIN003\nFROM python:3.12-slim\n"
    assert check(cli, write, text) == []


def test_ignore_file_does_not_silence_another_file(cli: Cli, write: Write) -> None:
    write("a/Dockerfile", "# pinlint: ignore-file\nFROM python:3.12-slim\n")
    write("b/Dockerfile", "FROM python:3.12-slim\n")
    run = cli("check", "--no-config")
    assert run.lines[0] == "b/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest"
    assert run.lines[1] == "Found 1 error in 1 of 2 files checked."


def test_suppressed_findings_do_not_fail_the_run(cli: Cli, write: Write) -> None:
    write("Dockerfile", "# pinlint: ignore=PIN003\nFROM python:3.12-slim\n")
    run = cli("check", "--no-config")
    assert run.code == 0
    assert run.out == "All checks passed! (1 file checked)\n"


def test_suppression_applies_to_the_syntax_directive_only_as_a_file_wide_ignore(cli: Cli, write: Write) -> None:
    # `# syntax=` must be the first line, so no comment can sit above it; ignore-file reaches it.
    text = "# syntax=docker/dockerfile:1.7\nFROM python:3.12-slim\n# pinlint: ignore-file=PIN003\n"
    assert check(cli, write, text) == []


def test_unknown_code_in_a_suppression_is_not_an_error(cli: Cli, write: Write) -> None:
    # PIN101 is in the catalogue but may not be implemented yet; DL3006 is hadolint's.
    text = "# pinlint: ignore=PIN003,PIN101,DL3006\nFROM python:3.12-slim\n"
    write("Dockerfile", text)
    run = cli("check", "--no-config")
    assert run.code == 0
    assert run.err == ""


def test_prefix_next_to_an_unknown_code(cli: Cli, write: Write) -> None:
    text = "# pinlint: ignore=PIN00,DL3006\nFROM python:3.12-slim\n"
    assert check(cli, write, text) == []


# -- hadolint's comments (a project moving from hadolint keeps its exceptions) ------------------


def test_hadolint_ignore_dl3006_and_dl3007_silence_pin002_and_pin001(cli: Cli, write: Write) -> None:
    text = """\
# hadolint ignore=DL3006
FROM ubuntu
# hadolint ignore=DL3008,DL3007
FROM alpine:latest
FROM nginx:latest
# hadolint ignore=DL3007
FROM ubuntu AS other
"""
    assert check(cli, write, text) == [
        "Dockerfile:5:6: PIN001 [*] error: Image 'nginx:latest' uses the mutable tag 'latest' and is not "
        "pinned to a digest",
        PIN002_UBUNTU.format(line=7),  # DL3007 is hadolint's latest-tag, not its missing-tag
    ]


def test_hadolint_codes_that_are_not_pinlint_rules_silence_nothing(cli: Cli, write: Write) -> None:
    text = "# hadolint ignore=DL3008\nFROM ubuntu\n"
    assert check(cli, write, text) == [PIN002_UBUNTU.format(line=2)]
