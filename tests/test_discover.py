"""Which files `pinlint check` looks at: name forms, walking, excludes, .gitignore, symlinks.

End to end through `pinlint.cli.main` in a temporary project; a project is a Git working
tree when the test creates `.git/` (no git command is run: an empty `.git` directory is what
marks a repository root for the walker, as for ruff).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pinlint.config import Config
from pinlint.discover import discover, kind_of
from pinlint.sources.registry import COMPOSE, DOCKERFILE

Cli = Callable[..., Any]
Write = Callable[..., Path]

DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
APP = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["gunicorn", "app:create_app()"]
"""
PINNED = f'FROM python:3.12-slim@{DIGEST}\nCMD ["python"]\n'


def checked(run: Any) -> list[str]:
    """The paths that got a diagnostic, in output order."""
    return [line.split(":")[0] for line in run.lines if ": PIN" in line]


@pytest.fixture
def repo(project: Path) -> Path:
    (project / ".git").mkdir()
    return project


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dockerfile", True),
        ("dockerfile", True),
        ("DOCKERFILE", True),
        ("Dockerfile.dev", True),
        ("Dockerfile.prod.arm64", True),
        ("api.Dockerfile", True),
        ("x.dockerfile", True),
        ("Containerfile", True),
        ("containerfile", True),
        ("Containerfile.prod", True),
        ("worker.Containerfile", True),
        ("Dockerfile.dockerignore", False),
        ("Containerfile.containerignore", False),
        (".dockerignore", False),
        ("README.md", False),
        ("docker-compose.yml", False),
        ("Dockerfiles", False),
        ("MyDockerfile", False),
        ("dockerfile.py", True),  # Dockerfile.* is a Dockerfile, whatever the suffix
    ],
)
def test_dockerfile_names(name: str, expected: bool) -> None:
    assert (kind_of(name, explicit=False) == DOCKERFILE) is expected


@pytest.mark.parametrize(
    ("name", "explicit", "kind"),
    [
        ("Dockerfile", False, DOCKERFILE),
        ("compose.yaml", False, COMPOSE),
        ("docker-compose.override.yml", False, COMPOSE),
        ("docker-compose-prod.yml", False, COMPOSE),
        ("compose-dev.yaml", False, COMPOSE),
        ("README.md", False, None),
        ("base-image.txt", True, DOCKERFILE),
        ("stack.yml", True, COMPOSE),
        ("stack.yml", False, None),
    ],
)
def test_kind_of(name: str, explicit: bool, kind: str | None) -> None:
    assert kind_of(name, explicit=explicit) == kind


def test_walk_finds_every_name_form_and_skips_the_rest(cli: Cli, write: Write) -> None:
    for name in [
        "Dockerfile",
        "Dockerfile.dev",
        "api.Dockerfile",
        "x.dockerfile",
        "Containerfile",
        "Containerfile.prod",
        "tools/dockerfile",
    ]:
        write(name, APP)
    write("Dockerfile.dockerignore", "node_modules\n.git\n")
    write("README.md", "FROM python:3.12-slim\n")
    write("notes.txt", APP)
    write("docker/base.image", APP)
    run = cli("check")
    assert run.code == 1
    assert checked(run) == [
        "Containerfile",
        "Containerfile.prod",
        "Dockerfile",
        "Dockerfile.dev",
        "api.Dockerfile",
        "tools/dockerfile",
        "x.dockerfile",
    ]
    assert run.lines[-2] == "Found 7 errors in 7 of 7 files checked."


def test_walk_finds_dash_named_compose_files(cli: Cli, write: Write) -> None:
    # docker-compose-<name>.yml and compose-<name>.yaml are per-environment Compose files
    # (`docker compose -f docker-compose-prod.yml`); the walk used to skip them silently.
    service = "services:\n  web:\n    image: nginx:1.25\n"
    for name in ["docker-compose-prod.yml", "compose-dev.yaml", "deploy/docker-compose-ci.yaml", "compose-x.yml"]:
        write(name, service)
    write("compose-notes.txt", service)
    write("my-compose-prod.yml", service)
    run = cli("check")
    found = ["compose-dev.yaml", "compose-x.yml", "deploy/docker-compose-ci.yaml", "docker-compose-prod.yml"]
    assert checked(run) == found
    assert run.lines[-2] == "Found 4 errors in 4 of 4 files checked."


def test_output_order_is_sorted_and_stable(cli: Cli, write: Write) -> None:
    for name in ["zeta/Dockerfile", "alpha/Dockerfile", "mid/b/Dockerfile", "mid/a/Dockerfile", "mid/Dockerfile"]:
        write(name, APP)
    first = cli("check")
    assert checked(first) == [
        "alpha/Dockerfile",
        "mid/Dockerfile",
        "mid/a/Dockerfile",
        "mid/b/Dockerfile",
        "zeta/Dockerfile",
    ]
    assert cli("check").out == first.out
    assert cli("check", "zeta", "alpha", "mid").out == first.out


def test_explicit_files_are_checked_whatever_their_name(cli: Cli, write: Write) -> None:
    write("docker/base.image", APP)
    write("README.md", PINNED)
    run = cli("check", "docker/base.image", "README.md")
    assert checked(run) == ["docker/base.image"]
    assert run.lines[-2] == "Found 1 error in 1 of 2 files checked."


def test_a_named_yaml_file_that_is_not_compose_is_reported_not_skipped(cli: Cli, write: Write) -> None:
    # `pinlint check values.yaml` used to say "All checks passed! (0 files checked)"
    write("deploy/values.yaml", "image:\n  repository: nginx\n  tag: '1.25'\n")
    write("deploy/stack.yaml", "services:\n  web:\n    image: nginx:1.25\n")
    run = cli("check", "deploy/values.yaml")
    assert run.code == 0  # info: below the default fail level
    assert run.lines[0] == (
        "deploy/values.yaml:1:1: PIN902 info: not a file kind pinlint reads:"
        " YAML without Compose services (nothing checked)"
    )
    assert run.lines[-1] == "Found 1 info in 1 of 1 file checked."
    report = json.loads(cli("check", "--format", "json", "deploy/values.yaml").out)
    assert report["files_checked"] == 1
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [("PIN902", "info")]
    github = cli("check", "--format", "github", "deploy/values.yaml").out
    assert github.startswith("::notice file=deploy/values.yaml,line=1,col=1,")
    # walking the directory: values.yaml is not looked at, stack.yaml has no Compose name either
    walked = cli("check", "deploy")
    assert (walked.code, walked.out) == (0, "")  # no files: no summary on stdout, a warning on stderr
    assert walked.err == "pinlint: warning: no container files found under the given paths\n"
    assert checked(cli("check", "deploy/stack.yaml")) == ["deploy/stack.yaml"]


def test_a_directory_named_dockerfile_is_walked_not_read(cli: Cli, write: Write) -> None:
    write("images/Dockerfile/Dockerfile", APP)
    write("images/Dockerfile.d/base.Dockerfile", APP)
    run = cli("check")
    assert run.err == ""
    assert checked(run) == ["images/Dockerfile.d/base.Dockerfile", "images/Dockerfile/Dockerfile"]
    assert cli("check", "images/Dockerfile").lines[0].startswith("images/Dockerfile/Dockerfile:1:6: PIN003")


def test_empty_tree(cli: Cli, write: Write) -> None:
    write("src/app.py", "print('hello')\n")
    run = cli("check")
    assert run.code == 0
    # not a silent pass: a warning on stderr, as ruff's "No Python files found"
    assert run.out == ""
    assert run.err == "pinlint: warning: no container files found under the given paths\n"


# -- excludes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", ["node_modules", ".venv", "venv", ".tox", "__pycache__", ".git"])
def test_default_excludes(cli: Cli, write: Write, directory: str) -> None:
    write(f"{directory}/pkg/Dockerfile", APP)
    write("Dockerfile", PINNED)
    run = cli("check")
    assert run.code == 0
    assert run.out == "All checks passed! (1 file checked)\n"


def test_dot_git_is_skipped_even_with_exclude_overridden(cli: Cli, write: Write) -> None:
    write("pinlint.toml", "exclude = []\n")
    write(".git/modules/base/Dockerfile", APP)
    write("node_modules/pkg/Dockerfile", APP)
    assert checked(cli("check")) == ["node_modules/pkg/Dockerfile"]


def test_explicit_files_are_checked_even_when_excluded(cli: Cli, write: Write) -> None:
    write("node_modules/pkg/Dockerfile", APP)
    write("pinlint.toml", 'extend-exclude = ["*.generated.Dockerfile"]\n')
    write("api.generated.Dockerfile", APP)
    run = cli("check", "node_modules/pkg/Dockerfile", "api.generated.Dockerfile")
    assert checked(run) == ["api.generated.Dockerfile", "node_modules/pkg/Dockerfile"]


# -- .gitignore --------------------------------------------------------------------------------


def test_gitignore_patterns(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "# build output\nbuild/\n/logs\n**/tmp/**\n*.local.Dockerfile\n")
    write("build/Dockerfile", APP)  # build/ at any depth
    write("services/api/build/Dockerfile", APP)
    write("logs/Dockerfile", APP)  # /logs is anchored to the root
    write("services/logs/Dockerfile", APP)
    write("services/tmp/x/Dockerfile", APP)  # **/tmp/**
    write("dev.local.Dockerfile", APP)
    write("services/api/Dockerfile", APP)
    assert checked(cli("check")) == ["services/api/Dockerfile", "services/logs/Dockerfile"]


def test_directory_pattern_does_not_match_a_file(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "Dockerfile.ci/\n")
    write("Dockerfile.ci", APP)
    write("old/Dockerfile.ci/Dockerfile", APP)
    assert checked(cli("check")) == ["Dockerfile.ci"]


def test_nested_gitignore_and_negation(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "*.Dockerfile\n")
    write("services/.gitignore", "!keep.Dockerfile\n/generated\n")
    write("drop.Dockerfile", APP)
    write("services/keep.Dockerfile", APP)
    write("services/other.Dockerfile", APP)
    write("services/generated/Dockerfile", APP)  # /generated is relative to services/
    write("generated/Dockerfile", APP)  # ... so this one is not ignored
    write("services/api/keep.Dockerfile", APP)  # the negation has no slash: any depth below services/
    assert checked(cli("check")) == [
        "generated/Dockerfile",
        "services/api/keep.Dockerfile",
        "services/keep.Dockerfile",
    ]


def test_negation_cannot_reinclude_a_file_in_an_ignored_directory(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "dist/\n!dist/Dockerfile\nout/*\n!out/Dockerfile\n")
    write("dist/Dockerfile", APP)
    write("out/Dockerfile", APP)
    write("out/extra.Dockerfile", APP)
    # gitignore(5): "It is not possible to re-include a file if a parent directory of that file is excluded."
    assert checked(cli("check")) == ["out/Dockerfile"]


def test_later_patterns_win(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "!Dockerfile.dev\nDockerfile.*\n!Dockerfile.prod\n")
    write("Dockerfile.dev", APP)
    write("Dockerfile.prod", APP)
    write("Dockerfile.test", APP)
    assert checked(cli("check")) == ["Dockerfile.prod"]


def test_git_info_exclude(cli: Cli, write: Write, repo: Path) -> None:
    write(".git/info/exclude", "scratch/\n")
    write("scratch/Dockerfile", APP)
    write("Dockerfile", APP)
    assert checked(cli("check")) == ["Dockerfile"]


def test_gitignore_applies_when_walking_a_subdirectory(
    cli: Cli, write: Write, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(".gitignore", "generated/\n")
    write("services/generated/Dockerfile", APP)
    write("services/api/Dockerfile", APP)
    assert checked(cli("check", "services")) == ["services/api/Dockerfile"]
    monkeypatch.chdir(repo / "services")
    assert checked(cli("check")) == ["api/Dockerfile"]


def test_gitignored_file_given_explicitly_is_checked(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "build/\n*.local.Dockerfile\n")
    write("build/Dockerfile", APP)
    write("dev.local.Dockerfile", APP)
    assert checked(cli("check")) == []
    assert checked(cli("check", "build/Dockerfile", "dev.local.Dockerfile")) == [
        "build/Dockerfile",
        "dev.local.Dockerfile",
    ]


def test_gitignore_outside_a_repository_is_not_read(cli: Cli, write: Write) -> None:
    # As git (and ruff) do: .gitignore only means something inside a Git working tree.
    write(".gitignore", "build/\n")
    write("build/Dockerfile", APP)
    assert checked(cli("check")) == ["build/Dockerfile"]


def test_invalid_gitignore_pattern_does_not_stop_the_run(cli: Cli, write: Write, repo: Path) -> None:
    write(".gitignore", "*.log\nbackup-[z-a]\n")
    write("Dockerfile", APP)
    run = cli("check")
    assert run.code == 1
    assert checked(run) == ["Dockerfile"]


# -- symlinks and special files ------------------------------------------------------------


def test_symlinked_directories_are_not_followed(cli: Cli, write: Write, project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared-images"
    (outside / "base").mkdir(parents=True)
    (outside / "base" / "Dockerfile").write_text(APP)
    (project / "vendor").symlink_to(outside)
    write("Dockerfile", PINNED)
    run = cli("check")
    assert run.out == "All checks passed! (1 file checked)\n"
    # Given explicitly, the link is a directory to walk like any other.
    assert checked(cli("check", "vendor")) == ["vendor/base/Dockerfile"]


def test_symlinked_file_is_checked_at_the_link(cli: Cli, write: Write, project: Path) -> None:
    write("images/python.Dockerfile", APP)
    (project / "Dockerfile").symlink_to("images/python.Dockerfile")
    assert checked(cli("check")) == ["Dockerfile", "images/python.Dockerfile"]


def test_dangling_symlink_gives_pin900_and_the_run_goes_on(cli: Cli, write: Write, project: Path) -> None:
    (project / "Containerfile").symlink_to("images/missing.Containerfile")
    write("Dockerfile", APP)
    run = cli("check")
    assert run.code == 1
    assert run.err == ""
    assert run.lines[:2] == [
        "Containerfile:1:1: PIN900 error: cannot read file: No such file or directory",
        "Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest",
    ]


def _check_in_subprocess(cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pinlint", "check", "--no-config"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def test_symlink_loop_does_not_hang(write: Write, project: Path) -> None:
    write("a/Dockerfile", APP)
    (project / "a" / "loop").symlink_to("..")
    (project / "self").symlink_to(".")
    (project / "a" / "b").mkdir()
    (project / "a" / "b" / "up").symlink_to("../..")
    result = _check_in_subprocess(project, timeout=60)
    assert result.returncode == 1, result.stderr
    assert (
        result.stdout.splitlines()[0]
        == "a/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest"
    )
    assert "Found 1 error in 1 of 1 file checked." in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_in_a_walked_directory_does_not_hang(write: Write, project: Path) -> None:
    write("Dockerfile", APP)
    os.mkfifo(project / "Containerfile")
    result = _check_in_subprocess(project, timeout=5)
    assert result.returncode == 1
    assert "Dockerfile:1:6: PIN003" in result.stdout


# -- discover() directly -----------------------------------------------------------------------


def test_discover_returns_files_in_order_and_errors_for_missing_paths(write: Write, project: Path) -> None:
    write("b/Dockerfile", APP)
    write("a/Containerfile", APP)
    write("compose.yaml", "services:\n  web:\n    image: nginx:1.25\n")
    files, errors = discover(["b", ".", "missing", "a/Containerfile"], Config(root=project), cwd=project)
    assert [(f.display, f.kind) for f in files] == [
        ("a/Containerfile", DOCKERFILE),
        ("b/Dockerfile", DOCKERFILE),
        ("compose.yaml", COMPOSE),
    ]
    assert errors == ["missing: No such file or directory"]


def test_discover_display_keeps_paths_outside_the_working_directory(
    write: Write, project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "Dockerfile").write_text(APP)
    files, errors = discover([str(elsewhere)], Config(root=project), cwd=project)
    assert errors == []
    assert [f.display for f in files] == [f"{elsewhere.as_posix()}/Dockerfile"]


# -- paths with `..` -------------------------------------------------------------------------


def test_gitignore_applies_when_walking_a_parent_given_with_dotdot(
    cli: Cli, write: Write, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(".gitignore", "/services/generated\n")
    write("services/generated/Dockerfile", APP)
    write("services/api/Dockerfile", APP)
    monkeypatch.chdir(repo / "services" / "api")
    reported = checked(cli("check", ".."))
    assert len(reported) == 1, reported
    assert "generated" not in reported[0]


def test_same_file_through_dotdot_is_checked_once(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("services/api/Dockerfile", APP)
    monkeypatch.chdir(project / "services" / "api")
    run = cli("check", "Dockerfile", "../api/Dockerfile")
    assert len(checked(run)) == 1, run.out
