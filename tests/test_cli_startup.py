"""The parser machinery's start-up costs: only the subcommand named first is built, the
terminal width is read once per run, and the help and errors read as before."""

from __future__ import annotations

import argparse
import shutil

import pytest

from pinlint import cli

COMMANDS = ("check", "fix", "update", "lock", "resolve", "rule")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


@pytest.mark.parametrize("command", COMMANDS)
def test_only_the_named_subcommand_is_built_and_its_help_is_unchanged(command: str) -> None:
    only = _subparsers(cli._parser(command))
    full = _subparsers(cli._parser())
    assert list(only) == [command] and list(full) == list(COMMANDS)
    assert only[command].format_help() == full[command].format_help()
    assert only[command].format_usage() == full[command].format_usage()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check", "."], "check"),
        (["resolve", "alpine"], "resolve"),
        (["--version"], None),
        (["-h", "check"], None),
        ([], None),
        (["chek"], None),
        ([".", "check"], None),
    ],
)
def test_the_subcommand_is_taken_only_from_the_first_argument(argv: list[str], expected: str | None) -> None:
    assert cli._requested(argv) == expected


def test_the_terminal_width_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = shutil.get_terminal_size

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real()

    monkeypatch.setattr(cli._Formatter, "_terminal_width", None)
    monkeypatch.setattr(shutil, "get_terminal_size", counting)
    parser = cli._parser()
    parser.format_help()
    for sub in _subparsers(parser).values():
        sub.format_help()
    assert len(calls) == 1


@pytest.mark.parametrize("columns", ["50", "200"])
def test_the_help_reads_as_with_argparse_own_formatter(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli._Formatter, "_terminal_width", None)
    monkeypatch.setenv("COLUMNS", columns)
    parser = cli._parser()
    for sub in [parser, *_subparsers(parser).values()]:
        ours = sub.format_help()
        sub.formatter_class = argparse.HelpFormatter
        assert ours == sub.format_help()


def test_errors_and_help_of_the_top_level(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chek"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid choice: 'chek' (choose from 'check', 'fix', 'update', 'lock', 'resolve', 'rule')" in err
    assert cli.main(["check", "--bogus"]) == cli.EXIT_USAGE
    assert "pinlint check: error: unrecognized arguments: --bogus" in capsys.readouterr().err
    assert cli.main(["--help"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert all(f"    {command} " in out for command in COMMANDS)
