"""The check pass's memory behaviour: a plain `check` keeps no parsed file alive after linting
it, the cyclic collector is paused during the pass (and restored after), and cyclic garbage is
still collected every `COLLECT_EVERY` files."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pinlint import runner
from pinlint.commands import check, common
from pinlint.model import FileFacts

Write = Callable[..., Path]


def _tree(write: Write, count: int) -> None:
    for i in range(count):
        write(f"svc{i}/Dockerfile", f"FROM python:3.{i % 13}\nRUN pip install app=={i}\n")
    write("compose.yaml", "services:\n  a:\n    build: svc0\n  b:\n    image: redis:7\n")


def _collected(keep_files: bool) -> common.Collected:
    config = common.load_config(None, use_config=False)
    selection = check.Selection.build(config)
    return common.collect(config, selection, ["."], keep_files=keep_files)


def test_dropping_files_changes_no_finding(write: Write) -> None:
    _tree(write, 12)
    kept, dropped = _collected(True), _collected(False)
    assert len(kept.outcome.facts) == 13 and len(kept.outcome.sources) == 13
    assert dropped.outcome.facts == [] and dropped.outcome.sources == {}
    assert dropped.outcome.result.diagnostics == kept.outcome.result.diagnostics
    assert dropped.outcome.result.files_checked == kept.outcome.result.files_checked == 13
    assert dropped.outcome.intents == kept.outcome.intents


def _live_facts() -> int:
    return sum(1 for each in gc.get_objects() if isinstance(each, FileFacts))


def test_plain_check_lets_each_parsed_file_go(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(write, 5)
    seen: list[int] = []
    lint = runner._Run.lint

    def watch(self: runner._Run, facts: FileFacts, path: Path) -> None:
        seen.append(_live_facts())
        lint(self, facts, path)

    monkeypatch.setattr(runner._Run, "lint", watch)
    gc.collect()
    before = _live_facts()
    outcome = check.run(check.CheckOptions(paths=["."], use_config=False))
    assert outcome.report is not None and outcome.report.files_checked == 6
    # while the sixth file is linted, the five before it are gone already
    assert len(seen) == 6 and max(seen) <= before + 1
    # `--online` reads them again, so the pass it runs keeps them
    gc.collect()
    kept = _collected(True)
    assert _live_facts() >= before + 6 and len(kept.outcome.facts) == 6


def test_collector_paused_during_the_pass_and_restored(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(write, 3)
    states: list[bool] = []
    lint = runner._Run.lint

    def watch(self: runner._Run, facts: FileFacts, path: Path) -> None:
        states.append(gc.isenabled())
        lint(self, facts, path)

    monkeypatch.setattr(runner._Run, "lint", watch)
    assert gc.isenabled()
    _collected(False)
    assert states and not any(states)
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        _collected(False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cyclic_garbage_is_collected_during_a_long_pass(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "COLLECT_EVERY", 4)
    _tree(write, 12)
    cycles: list[weakref.ref[Any]] = []
    lint = runner._Run.lint

    class Node:
        pass

    def leak_a_cycle(self: runner._Run, facts: FileFacts, path: Path) -> None:
        node = Node()
        node.self = node  # type: ignore[attr-defined]
        cycles.append(weakref.ref(node))
        lint(self, facts, path)

    monkeypatch.setattr(runner._Run, "lint", leak_a_cycle)
    _collected(False)
    assert len(cycles) == 13
    assert all(ref() is None for ref in cycles[:8])  # collected during the pass, not only after
