"""The source registry: how a file's kind is found (name, path, content, explicit naming), and
that the commands map their outcomes to exit codes in one place."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from pinlint.cli import exit_code
from pinlint.commands import Outcome
from pinlint.sources.registry import KINDS, SUPPRESS_INSTRUCTION, SUPPRESS_LINE, Registry, SourceKind

Cli = Callable[..., Any]
Write = Callable[..., Path]


@pytest.fixture
def fake_module() -> Iterator[str]:
    """A kind module that recognises YAML with both `apiVersion:` and `kind:` by content."""
    module = types.ModuleType("pinlint_test_fake_kind")
    module.detect = lambda head: "apiVersion:" in head and "\nkind:" in head  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


def _registry(fake: str) -> Registry:
    return Registry(
        [
            SourceKind("workflow", fake, paths=(".github/workflows/*.yml", ".github/workflows/*.yaml")),
            SourceKind("manifest", fake, paths=(), detect_in=("*.yaml", "*.yml")),
            *KINDS.kinds,
        ]
    )


def test_a_kind_is_found_by_the_end_of_its_path_at_any_depth(fake_module: str) -> None:
    registry = _registry(fake_module)
    assert registry.kind_for(PurePosixPath("repo/.github/workflows/ci.yml"), explicit=False) == "workflow"
    assert registry.kind_for(PurePosixPath(".GitHub/Workflows/CI.YAML"), explicit=False) == "workflow"
    assert registry.kind_for(PurePosixPath("repo/workflows/ci.yml"), explicit=False) is None
    assert registry.kind_for(PurePosixPath(".github/workflows/sub/ci.yml"), explicit=False) is None


def test_a_kind_is_found_by_content_only_when_no_name_matches(fake_module: str) -> None:
    registry = _registry(fake_module)
    manifest = b"apiVersion: v1\nkind: Pod\n"
    assert registry.kind_for(PurePosixPath("deploy/pod.yaml"), explicit=False, head=lambda: manifest) == "manifest"
    assert registry.kind_for(PurePosixPath("deploy/other.yaml"), explicit=False, head=lambda: b"a: 1\n") is None
    assert registry.kind_for(PurePosixPath("compose.yaml"), explicit=False, head=lambda: manifest) == "compose"
    # named on the command line: content first, then the kind that takes YAML explicitly
    assert registry.kind_for(PurePosixPath("x.yaml"), explicit=True, head=lambda: manifest) == "manifest"
    assert registry.kind_for(PurePosixPath("x.yaml"), explicit=True, head=lambda: b"a: 1\n") == "compose"
    assert registry.kind_for(PurePosixPath("x.txt"), explicit=True) == "dockerfile"


def test_content_is_not_read_for_names_no_kind_detects() -> None:
    def unreadable() -> bytes:
        raise AssertionError("read")

    assert KINDS.kind_for(PurePosixPath("deploy/pod.yaml"), explicit=False, head=unreadable) is None


def test_the_built_in_kinds_declare_their_suppression_scope() -> None:
    assert KINDS["dockerfile"].suppression == SUPPRESS_INSTRUCTION
    assert KINDS["compose"].suppression == SUPPRESS_LINE


@pytest.mark.parametrize(
    ("outcome", "exit_zero", "code"),
    [
        (Outcome(), False, 0),
        (Outcome(findings=True), False, 1),
        (Outcome(findings=True), True, 0),
        (Outcome(findings=True, registry_failed=True), True, 3),
        (Outcome(findings=True, registry_failed=True, usage_failed=True), False, 2),
        (Outcome(registry_failed=True), False, 3),
    ],
)
def test_exit_code_precedence(outcome: Outcome, exit_zero: bool, code: int) -> None:
    assert exit_code(outcome, exit_zero=exit_zero) == code


@pytest.mark.parametrize("command", ["lock", "update"])
@pytest.mark.parametrize("option", ["--select=PIN003", "--ignore=PIN003", "--fail-level=error"])
def test_options_that_change_nothing_are_not_offered(cli: Cli, command: str, option: str) -> None:
    run = cli(command, "--no-config", option)
    assert run.code == 2 and "unrecognized arguments" in run.err


def test_check_runs_from_python_without_the_cli(write: Write) -> None:
    from pinlint.commands import check

    write("Dockerfile", "FROM python:3.12\n")
    outcome = check.run(check.CheckOptions(paths=["."], use_config=False))
    assert outcome.findings and not outcome.registry_failed and not outcome.usage_failed
    assert outcome.report is not None and [d.code for d in outcome.report.diagnostics] == ["PIN003"]


def test_dash_named_compose_files_are_compose_by_name() -> None:
    for name in ("compose-staging.yaml", "deploy/compose-dev.yml", "docker-compose-prod.yml", "Docker-Compose-CI.YAML"):
        assert KINDS.kind_for(PurePosixPath(name), explicit=False) == "compose", name
    for name in ("my-compose-notes.yml", "compose-staging.json", "composer.yaml"):
        assert KINDS.kind_for(PurePosixPath(name), explicit=False) is None, name


def test_project_hooks_are_asked_of_project_kinds_only(tmp_path: Path) -> None:
    """`project_contexts` gathers what every `project` kind says names a file (by kind and
    resolved path); `built_locally` is true when any of them says so; other kinds are not asked."""
    from pinlint.model import ImageUse, Span
    from pinlint.sources.registry import ParseRun

    target = tmp_path / "app" / "Dockerfile"
    asked: list[str] = []

    def module(name: str, contexts: dict[tuple[str, Path], list[object]], local: str | None) -> types.ModuleType:
        fake = types.ModuleType(name)
        fake.project_contexts = lambda run: asked.append(name) or contexts  # type: ignore[attr-defined]
        fake.built_locally = lambda use, run: use.value == local  # type: ignore[attr-defined]
        sys.modules[name] = fake
        return fake

    try:
        module("pinlint_test_project_a", {("dockerfile", target): ["from-a"]}, "app:dev")
        module("pinlint_test_project_b", {("dockerfile", target): ["from-b"], ("other", target): ["no"]}, None)
        module("pinlint_test_not_project", {("dockerfile", target): ["never"]}, "base:1")
        registry = Registry(
            [
                SourceKind("a", "pinlint_test_project_a", paths=("*.a",), project=True),
                SourceKind("b", "pinlint_test_project_b", paths=("*.b",), project=True),
                SourceKind("c", "pinlint_test_not_project", paths=("*.c",)),
            ]
        )
        run = ParseRun()
        named = tmp_path / "app" / "." / "Dockerfile"
        assert registry.project_contexts("dockerfile", named, run) == ["from-a", "from-b"]
        assert registry.project_contexts("dockerfile", tmp_path / "Dockerfile", run) == []
        assert "pinlint_test_not_project" not in asked

        def use(value: str) -> ImageUse:
            return ImageUse("Dockerfile", "from", value, Span(1, 6, 1, 6 + len(value), 5, 5 + len(value)), value, None)

        assert registry.built_locally(use("app:dev"), run)
        assert not registry.built_locally(use("base:1"), run)
    finally:
        for name in ("pinlint_test_project_a", "pinlint_test_project_b", "pinlint_test_not_project"):
            sys.modules.pop(name, None)
