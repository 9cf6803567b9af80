"""The CLI behaves like the tools people already run (issue 14): severity shown with and without
colour, `--color`/`NO_COLOR`/`FORCE_COLOR`, summaries that never contradict errors, configuration
found from the paths, `--show-settings`/`--show-files`/`-v`, "did you mean", `fix` as a
pre-commit fixer (`--exit-zero`, failing only for what it changed or could not pin), `fix -`,
one line per dead registry host."""

from __future__ import annotations

import io
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]
Write = Callable[..., Path]

DIGEST = "sha256:" + "ab" * 32
THREE = f"FROM python:3.12-slim\nARG BASE\nFROM $BASE\nFROM alpine@{DIGEST}\n"


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# -- severity and colour ------------------------------------------------------------------------


def test_plain_text_names_each_severity_and_counts_them(cli: Cli, write: Write) -> None:
    write("Dockerfile", THREE)
    run = cli("check", "--extend-select", "PIN005")
    assert run.lines == [
        "Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
        "Dockerfile:3:6: PIN004 warning: Image '$BASE' depends on variable 'BASE' with no default or value; "
        "it cannot be checked",
        f"Dockerfile:4:6: PIN005 info: Image 'alpine@{DIGEST}' is pinned to a digest without a tag",
        "Found 1 error, 1 warning and 1 info in 1 of 1 file checked.",
        "[*] 1 fixable with `pinlint fix`.",
    ]


def test_an_info_only_run_does_not_speak_of_problems(cli: Cli, write: Write) -> None:
    write("Dockerfile", f"FROM alpine@{DIGEST}\n")
    run = cli("check", "--extend-select", "PIN005")
    assert run.code == 0
    assert run.lines[-1] == "Found 1 info in 1 of 1 file checked."
    assert "problem" not in run.out


def test_colour_always_tints_each_severity(cli: Cli, write: Write) -> None:
    write("Dockerfile", THREE)
    out = cli("check", "--extend-select", "PIN005", "--color", "always").out
    assert "\x1b[1m\x1b[31mPIN003\x1b[0m [*] \x1b[31merror\x1b[0m: " in out
    assert "\x1b[1m\x1b[33mPIN004\x1b[0m \x1b[33mwarning\x1b[0m: " in out
    assert "\x1b[1m\x1b[36mPIN005\x1b[0m \x1b[36minfo\x1b[0m: " in out
    assert "\x1b[31m1 error\x1b[0m, \x1b[33m1 warning\x1b[0m and \x1b[36m1 info\x1b[0m" in out


@pytest.mark.parametrize(
    ("env", "argv", "coloured"),
    [
        ({}, [], False),  # not a terminal
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ],
)
def test_color_option_and_environment(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], argv: list[str], coloured: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    write("Dockerfile", "FROM python:3.12-slim\n")
    assert ("\x1b[" in cli("check", *argv).out) is coloured


# -- summaries that never contradict errors -----------------------------------------------------


def test_no_files_is_a_warning_on_stderr_and_exit_0(cli: Cli, write: Write) -> None:
    write("src/main.py", "print()\n")
    run = cli("check", "src")
    assert (run.code, run.out) == (0, "")
    assert run.err == "pinlint: warning: no container files found under the given paths\n"


def test_a_missing_path_never_comes_with_all_checks_passed(cli: Cli, write: Write) -> None:
    run = cli("check", "nope")
    assert run.code == 2
    assert "All checks passed" not in run.out
    assert run.err == "pinlint: error: nope: No such file or directory\n"


def test_lock_with_nothing_to_lock_says_so(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", "FROM scratch\n")
    run = cli("lock")
    assert run.code == 0
    assert run.err == "No image references to lock; pinlint.lock not written.\n"
    assert not (project / "pinlint.lock").exists()


# -- configuration found from the paths -----------------------------------------------------------


def test_config_and_lock_are_found_from_the_path_checked(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("proj/pinlint.toml", 'ignore = ["PIN003"]\n')
    write("proj/Dockerfile", "FROM python:3.12-slim\n")
    monkeypatch.chdir(project)
    run = cli("check", "proj")
    assert run.code == 0, run.out
    assert run.lines == ["All checks passed! (1 file checked)"]
    # and from a file given by name, from anywhere
    monkeypatch.chdir(project / "proj")
    assert cli("check", "--show-settings", str(project / "proj" / "Dockerfile")).lines[0] == (
        f"# configuration: {project / 'proj' / 'pinlint.toml'}"
    )


def test_the_search_stops_at_the_repository_root(cli: Cli, write: Write, project: Path) -> None:
    write("pinlint.toml", 'ignore = ["PIN003"]\n')
    write("repo/.git/HEAD", "ref: refs/heads/main\n")
    write("repo/Dockerfile", "FROM python:3.12-slim\n")
    run = cli("check", "repo")
    assert run.code == 1  # the configuration above the repository does not apply
    assert cli("check", "--show-settings", "repo").lines[:2] == [
        "# configuration: none (defaults)",
        f"# project root: {project / 'repo'}",
    ]


def test_paths_of_two_projects_are_an_error(cli: Cli, write: Write) -> None:
    write("a/pinlint.toml", "")
    write("b/pinlint.toml", "")
    write("a/Dockerfile", "FROM scratch\n")
    write("b/Dockerfile", "FROM scratch\n")
    run = cli("check", "a", "b")
    assert run.code == 2
    assert run.err.startswith("pinlint: error: the paths belong to different projects (a → ")


def test_show_settings_prints_the_effective_configuration(cli: Cli, write: Write, project: Path) -> None:
    write("pinlint.toml", 'fail-level = "error"\ndenied-tags = ["edge"]\n[registry]\ntimeout = 3\n')
    run = cli("check", "--show-settings")
    assert run.code == 0
    assert run.lines[0] == f"# configuration: {project / 'pinlint.toml'}"
    assert 'fail-level = "error"' in run.lines
    assert 'denied-tags = ["edge"]' in run.lines
    assert "timeout = 3.0" in run.lines
    assert "select = (the default rules)" in run.lines


def test_show_files_lists_files_and_their_kind(cli: Cli, write: Write) -> None:
    write("Dockerfile", "FROM scratch\n")
    write("deploy/compose.yaml", "services:\n  db:\n    image: postgres:16\n")
    write("notes.txt", "FROM scratch\n")
    run = cli("check", "--show-files")
    assert run.code == 0
    assert run.lines == ["Dockerfile (dockerfile)", "deploy/compose.yaml (compose)"]


def test_verbose_check_names_the_configuration_and_counts_the_files(cli: Cli, write: Write, project: Path) -> None:
    write("pinlint.toml", "")
    write("Dockerfile", "FROM scratch\n")
    run = cli("check", "-v")
    assert f"pinlint: configuration {project / 'pinlint.toml'}; project root {project}" in run.err
    assert "pinlint: 1 file checked (1 dockerfile)" in run.err


# -- messages ----------------------------------------------------------------------------------


def test_unknown_option_gets_a_suggestion(cli: Cli) -> None:
    run = cli("check", "--formt", "json")
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        "pinlint check: error: unrecognized arguments: --formt (did you mean --format?)"
    )


def test_output_format_is_an_alias_of_format(cli: Cli, write: Write) -> None:
    write("Dockerfile", "FROM python:3.12-slim\n")
    import json

    assert json.loads(cli("check", "--output-format", "json").out)["diagnostics"][0]["code"] == "PIN003"


def test_tool_pinlint_inside_pinlint_toml_gets_a_hint(cli: Cli, write: Write, project: Path) -> None:
    write("pinlint.toml", '[tool.pinlint]\nselect = ["PIN001"]\n')
    run = cli("check")
    assert run.code == 2
    assert run.err == (
        f"pinlint: error: {project / 'pinlint.toml'}: unknown key 'tool' "
        "(in pinlint.toml the settings go at the top level: drop the [tool.pinlint] header)\n"
    )


def test_unknown_code_in_select_names_the_file(cli: Cli, write: Write, project: Path) -> None:
    write("pinlint.toml", 'select = ["PIN999"]\n')
    write("Dockerfile", "FROM scratch\n")
    run = cli("check")
    assert run.code == 2
    assert run.err == f"pinlint: error: unknown rule selector 'PIN999' in 'select' of {project / 'pinlint.toml'}\n"


# -- stdin -------------------------------------------------------------------------------------


def test_stdin_filename_without_a_path_reads_stdin(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"FROM python:3.12-slim\n")
    run = cli("check", "--stdin-filename", "app/Containerfile")
    assert run.code == 1
    assert run.lines[0].startswith("app/Containerfile:1:6: PIN003 [*] error: ")


def test_fix_dash_prints_the_fixed_text(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, write: Write, project: Path, registry: Any, images: Any
) -> None:
    text = f"# keep\r\nFROM {registry.host}/test/app:single-oci AS base\r\nFROM {registry.host}/test/app:nope\r\n"
    _stdin(monkeypatch, text.encode())
    run = cli("fix", "-", "--stdin-filename", "Dockerfile", "--no-cache")
    digest = images["single-oci"].digest
    assert run.out == text.replace("single-oci AS", f"single-oci@{digest} AS")
    assert run.code == 3  # the tag that does not exist
    assert not (project / "Dockerfile").exists()
    # the report (on stderr) is the state of the fixed text: the pinned reference is gone from it
    assert "single-oci" not in "".join(line for line in run.err.splitlines() if ": PIN0" in line)


def test_fix_dash_without_changes_echoes_stdin_byte_for_byte(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.lock", "version = 1\n")
    data = "\ufeffFROM scratch\r\n# caf\u00e9\n".encode()
    _stdin(monkeypatch, data)
    run = cli("fix", "-", "--stdin-filename", "Dockerfile", "--from-lock")
    assert run.code == 0, run.err
    assert run.out.encode() == data


# -- fix as a pre-commit fixer -----------------------------------------------------------------


def test_fix_exit_zero_ignores_what_fix_cannot_repair(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    pinned = f"{registry.host}/test/app:single-oci@{images['single-oci'].digest}"
    write("Dockerfile", f"FROM {pinned}\nADD https://e.x/a /a\n")
    assert cli("fix", "--no-cache").code == 1  # a PIN101 remains at the fail level
    run = cli("fix", "--no-cache", "--exit-zero")
    assert run.code == 0
    assert "PIN101 warning: " in run.out
    assert cli("fix", "--no-cache", "--fail-level", "error").code == 0


def test_fix_reports_the_files_as_written(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    write("Dockerfile", f"FROM {registry.host}/test/app:single-oci\nFROM {registry.host}/test/app:nope\n")
    run = cli("fix", "--no-cache", "--exit-zero")
    assert run.code == 3
    assert [line.split(": ")[1] for line in run.lines if ": PIN" in line] == ["PIN003 [*] error"]
    # no "[*] fixable" after a fix; the reference no registry answered for is counted
    assert run.lines[-1] == "Found 1 error in 1 of 1 file checked; 1 thing could not be checked (see above)."
    # check right after fix agrees with it
    assert cli("check").lines[-2] == "Found 1 error in 1 of 1 file checked."


def test_fix_exits_1_when_it_could_not_pin_even_with_exit_zero(cli: Cli, write: Write, project: Path) -> None:
    write("pinlint.lock", "# Generated by `pinlint lock`. Do not edit by hand.\nversion = 1\n")
    write("Dockerfile", "FROM python:3.12-slim\n")
    run = cli("fix", "--from-lock", "--exit-zero")
    assert run.code == 1
    assert "could not pin 'python:3.12-slim'" in run.err


def test_fix_hook_passes_the_exit_zero_option() -> None:
    import yaml

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"]: hook["entry"] for hook in hooks}["pinlint-fix"] == "pinlint fix --exit-zero --ignore PIN902"


# -- a dead registry host ----------------------------------------------------------------------


def test_a_dead_host_is_one_line_not_one_per_reference(cli: Cli, isolated: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refs = [f"127.0.0.1:{port}/app:t{i}" for i in range(8)]
    run = cli("resolve", *refs)
    assert run.code == 3
    host, tried = run.err.splitlines()  # two lines, not eight
    assert host.startswith(f"pinlint: 127.0.0.1:{port} did not answer (")
    assert host.endswith("; skipped 7 other references to it")
    assert tried.startswith(f"pinlint: error: 127.0.0.1:{port}/app:t0: connection failed")


# -- the rule table: README, `rule --all` and the rule modules agree ----------------------------


def _readme_table() -> dict[str, tuple[str, str, str, str]]:
    """code → (name, default, severity, fix) from README's rule table; a range row (PIN201–PIN208)
    stands for each code in it."""
    import re

    from pinlint.rules import BY_CODE

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows: dict[str, tuple[str, str, str, str]] = {}
    row = re.compile(r"^\| (PIN\d{3})(?:–(PIN\d{3}))? \| ([^|]+) \| ([^|]+) \| ([^|]+) \| [^|]+ \|([^|]*)\|$", re.M)
    for match in row.finditer(readme):
        first, last, name, default, severity, fix = match.groups()
        codes = [c for c in BY_CODE if first <= c <= (last or first)]
        for code in codes:
            shown = name.strip() if last is None else BY_CODE[code].NAME
            rows[code] = (shown, default.strip(), severity.strip(), fix.strip().strip("`"))
    return rows


def test_readme_rule_table_is_the_rule_modules() -> None:
    from pinlint.catalogue import default_text, fixed_by
    from pinlint.rules import RULES

    table = _readme_table()
    assert sorted(table) == sorted(rule.CODE for rule in RULES)
    for rule in RULES:
        name, default, severity, fix = table[rule.CODE]
        if rule.CODE < "PIN201" or rule.CODE > "PIN208":
            assert name == rule.NAME
        assert (default, severity, fix) == (default_text(rule), rule.SEVERITY.label, fixed_by(rule) or ""), rule.CODE


def test_rule_all_shows_the_readme_defaults_and_fix_column(cli: Cli) -> None:
    import json

    table = _readme_table()
    listed = json.loads(cli("rule", "--all", "--format", "json").out)
    assert {r["code"]: (r["enabled"], r["severity"], r["fixed_by"] or "") for r in listed} == {
        code: row[1:] for code, row in table.items()
    }
    text = cli("rule", "--all").out
    assert "PIN007  untrusted-registry           on when `allowed-registries` is set" in text
    for line in text.splitlines():
        code = line.split()[0]
        default, _, fix = table[code][1:]
        assert f" {default} " in line and (f" {fix} " in line if fix else True), line
    pin010 = next(line for line in text.splitlines() if line.startswith("PIN010"))
    assert " online " in pin010 and " update " in pin010 and " fix " not in pin010


def test_without_configuration_the_project_root_is_the_repository_root(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(".git/HEAD", "ref: refs/heads/main\n")
    write("sub/Dockerfile", "FROM scratch\n")
    monkeypatch.chdir(project / "sub")
    for argv in ([], ["."], ["Dockerfile"]):  # with or without paths: the same project
        assert cli("check", "--show-settings", *argv).lines[1:3] == [
            f"# project root: {project}",
            f"# lock file: {project / 'pinlint.lock'}",
        ]
