"""The pre-commit hooks in `.pre-commit-hooks.yaml`, run by the real `pre-commit`.

The hook repository is a snapshot of this checkout (the files a wheel is built from, as they
are on disk, uncommitted edits included) committed to a throwaway Git repository, so the test
never runs git in the working tree. A second throwaway repository holds a project whose
`.pre-commit-config.yaml` points at that snapshot; `pre-commit run --all-files` builds the hook
environment with pip (from the package index pip is configured with) and runs pinlint.
PRE_COMMIT_HOME is a temporary directory, so nothing outside the test is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import product
from pathlib import Path

import pytest
import yaml

from pinlint.discover import kind_of

ROOT = Path(__file__).resolve().parent.parent
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
BY_ID = {hook["id"]: hook for hook in HOOKS}
FILES = re.compile(BY_ID["pinlint"]["files"])

# What `pip install .` needs from the checkout (pyproject.toml names README.md and rules/).
SNAPSHOT = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "pinlint", "rules")
DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# -- the manifest ------------------------------------------------------------------------


def test_hook_ids_and_entries() -> None:
    assert [hook["id"] for hook in HOOKS] == ["pinlint", "pinlint-fix", "pinlint-lock"]
    assert BY_ID["pinlint"]["entry"] == "pinlint check --ignore PIN902"  # every staged YAML is passed
    # a fixer fails when it changed a file (pre-commit sees that) or could not pin (exit 1/3);
    # findings it cannot repair are the check hook's business
    assert BY_ID["pinlint-fix"]["entry"] == "pinlint fix --exit-zero --ignore PIN902"
    assert BY_ID["pinlint-fix"]["require_serial"] is True
    assert BY_ID["pinlint-lock"]["entry"] == "pinlint lock"
    assert BY_ID["pinlint-lock"]["pass_filenames"] is False
    for hook in HOOKS:
        assert hook["language"] == "python"
        assert hook["files"] == BY_ID["pinlint"]["files"]


def test_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


NAMES = [
    # Dockerfiles and Containerfiles
    ("Dockerfile", True),
    ("dockerfile", True),
    ("DOCKERFILE", True),
    ("Dockerfile.dev", True),
    ("Dockerfile.", True),
    ("Dockerfile.prod.arm64", True),
    ("api.Dockerfile", True),
    ("api.dockerfile", True),
    (".dockerfile", True),
    ("Containerfile", True),
    ("containerfile", True),
    ("Containerfile.dev", True),
    ("Containerfilex", True),
    ("base.containerfile", True),
    ("Dockerfile.dockerignore", False),
    ("Containerfile.containerignore", False),
    ("Dockerfile.containerignore", False),
    (".dockerignore", False),
    ("Dockerfiles", False),
    ("MyDockerfile", False),
    ("Dockerfile-dev", False),
    ("dockerfile.md", True),  # Dockerfile.* — the discovery takes any suffix
    ("notes.txt", False),
    # Compose files
    ("compose.yaml", True),
    ("compose.yml", True),
    ("docker-compose.yaml", True),
    ("docker-compose.yml", True),
    ("Docker-Compose.YML", True),
    ("compose.override.yaml", True),
    ("docker-compose.prod.yml", True),
    ("compose..yaml", True),
    ("compose.json", False),
    ("compose.yaml.bak", False),
    ("my-compose.yaml", False),
    ("docker-compose-dev.yml", True),  # docker-compose-<name>.yml: found by the walk too
    ("compose-dev.yaml", True),
    ("Docker-Compose-Prod.YAML", True),
    ("compose-.yml", True),
    ("compose-yaml", False),
    ("compose-dev.yaml.bak", False),
    ("docker-composer.yml", False),
    ("compose", False),
    # CI configuration (by conventional path)
    (".github/workflows/ci.yml", True),
    (".github/workflows/Release.YAML", True),
    (".github/workflows/.hidden.yml", True),
    (".github/workflows/sub/ci.yml", False),
    (".github/ci.yml", False),
    ("workflows/ci.yml", False),
    ("action.yml", True),
    ("action.yaml", True),
    ("my-action.yml", False),
    (".gitlab-ci.yml", True),
    ("deploy.gitlab-ci.yml", True),
    ("gitlab-ci.yml", False),
    (".circleci/config.yml", True),
    (".circleci/config.yaml", True),
    (".circleci/other.yml", False),
    ("config.yml", False),
    ("bitbucket-pipelines.yml", True),
    ("bitbucket-pipelines.yaml", True),
    ("bitbucket-pipelines.yml.bak", False),
    (".devcontainer/devcontainer.json", True),
    (".devcontainer.json", True),
    (".devcontainer/python/devcontainer.json", True),
    (".devcontainer/a/b/devcontainer.json", False),
    ("devcontainer.json", False),
    ("values.yaml", False),  # a Helm values file only beside a Chart.yaml
    # Kustomize
    ("kustomization.yaml", True),
    ("Kustomization", True),
    ("kustomization.yml", True),
    ("kustomization.json", False),
]
YAML = re.compile(r"(?i)[.]ya?ml$")


def hook_takes(name: str) -> bool:
    """What the hook's `files` must match: every name the discovery knows, and every YAML file,
    since Kubernetes manifests are recognised by their content (and Helm values by the
    `Chart.yaml` beside them), which a regex on the path cannot see."""
    return kind_of(name, explicit=False) is not None or YAML.search(name) is not None


@pytest.mark.parametrize(("name", "expected"), NAMES)
@pytest.mark.parametrize("folder", ["", "deploy/", "Dockerfile/", "a/compose.yaml/"])
def test_files_regex_matches_the_discovery(name: str, expected: bool, folder: str) -> None:
    assert (kind_of(name, explicit=False) is not None) is expected
    assert bool(FILES.search(folder + name)) is (expected or YAML.search(name) is not None)


@pytest.mark.parametrize("name", ["pod.yaml", "deploy/app.YML", "charts/web/values.yaml", "notes.yaml"])
def test_files_regex_takes_every_yaml_file_for_content_detection(name: str) -> None:
    assert FILES.search(name)


PIECES = ("docker", "file", "container", "compose", "-", ".", "yaml", "yml", "ignore", "x", "D", "C", "Y")


def test_files_regex_agrees_with_the_discovery_on_every_short_name() -> None:
    """Every name of up to four pieces (about 30,000): the regex and the discovery agree."""
    disagree = []
    for size in range(1, 5):
        for pieces in product(PIECES, repeat=size):
            name = "".join(pieces)
            expected = hook_takes(name)
            if bool(FILES.search(name)) is not expected or bool(FILES.search(f"sub/dir/{name}")) is not expected:
                disagree.append(name)
    assert disagree == []


CI_PIECES = (
    *(".github/", "workflows/", ".circleci/", ".devcontainer/", "x/"),
    *("action", ".gitlab-ci", "config", "devcontainer", "bitbucket-pipelines", ".yml", ".yaml", ".json", "x"),
)


def test_files_regex_agrees_with_the_discovery_on_every_short_ci_path() -> None:
    """Every path of up to four CI pieces (about 38,000): the regex takes what the discovery finds
    (and every YAML file, see hook_takes)."""
    disagree = []
    for size in range(1, 5):
        for pieces in product(CI_PIECES, repeat=size):
            name = "".join(pieces)
            if name.endswith("/"):
                continue  # a folder
            expected = hook_takes(name)
            if bool(FILES.search(name)) is not expected or bool(FILES.search(f"sub/{name}")) is not expected:
                disagree.append(name)
    assert disagree == []


# -- the real pre-commit -----------------------------------------------------------------


def _env(pre_commit_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["PRE_COMMIT_COLOR"] = "never"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "pinlint tests"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "tests@pinlint.invalid"
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for git and pre-commit; one PRE_COMMIT_HOME shared by this module."""
    return _env(tmp_path_factory.mktemp("pre-commit-home"))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, pre_commit_env: dict[str, str]) -> tuple[Path, str]:
    """This checkout's package files committed to a throwaway repository: (path, commit)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, repo / name)
    _git(repo, pre_commit_env, "init", "-q")
    _git(repo, pre_commit_env, "add", "-A")
    _git(repo, pre_commit_env, "commit", "-q", "-m", "pinlint snapshot")
    return repo, _git(repo, pre_commit_env, "rev-parse", "HEAD")


@pytest.fixture
def project_repo(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_env: dict[str, str]) -> Iterator[Path]:
    repo_path, rev = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo_path.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: pinlint\n",
        encoding="utf-8",
    )
    _git(project, pre_commit_env, "init", "-q")
    yield project


def _pre_commit(project: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit run` on every file, or on `files` (as a commit touching only them)."""
    _git(project, env, "add", "-A")
    chosen = ["--files", *files] if files else ["--all-files"]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *chosen, "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _show(title: str, run: subprocess.CompletedProcess[str], seconds: float) -> None:
    # Visible with `pytest -s`: the output a user of the hook sees.
    print(f"\n--- {title}: exit {run.returncode}, {seconds:.1f} s ---\n{run.stdout}{run.stderr}", end="")


@needs_git
def test_pre_commit_hook_fails_on_unpinned_images_and_passes_on_pinned_ones(
    project_repo: Path, pre_commit_env: dict[str, str]
) -> None:
    (project_repo / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install flask==3.0.3\n", encoding="utf-8")
    (project_repo / "deploy").mkdir()
    (project_repo / "deploy" / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16.4\n", encoding="utf-8"
    )
    # Not a container file name: the hook's `files` keeps it away from pinlint, which would
    # otherwise read an explicitly named file as a Dockerfile and report it.
    (project_repo / "notes.txt").write_text("FROM ubuntu:24.04\n", encoding="utf-8")

    started = time.monotonic()
    failing = _pre_commit(project_repo, pre_commit_env)
    _show("failing run (builds the hook environment)", failing, time.monotonic() - started)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert re.search(r"^pinlint\.+Failed$", failing.stdout, re.MULTILINE), failing.stdout
    assert "- hook id: pinlint\n- exit code: 1\n" in failing.stdout
    assert "Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest\n" in failing.stdout
    postgres = "deploy/compose.yaml:3:12: PIN003 [*] error: Image 'postgres:16.4' is not pinned to a digest\n"
    assert postgres in failing.stdout
    # .pre-commit-config.yaml is passed too (the hook takes every YAML file): counted, PIN902 ignored
    assert "Found 2 errors in 2 of 3 files checked." in failing.stdout
    assert "notes.txt" not in failing.stdout

    (project_repo / "Dockerfile").write_text(
        f"FROM python:3.12-slim@{DIGEST}\nRUN pip install flask==3.0.3\n", encoding="utf-8"
    )
    (project_repo / "deploy" / "compose.yaml").write_text(
        f"services:\n  db:\n    image: postgres:16.4@{DIGEST}\n", encoding="utf-8"
    )
    started = time.monotonic()
    passing = _pre_commit(project_repo, pre_commit_env)
    _show("passing run", passing, time.monotonic() - started)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"^pinlint\.+Passed$", passing.stdout, re.MULTILINE), passing.stdout


@needs_git
def test_pre_commit_hook_is_skipped_without_container_files(project_repo: Path, pre_commit_env: dict[str, str]) -> None:
    # (every YAML file goes to the hook, .pre-commit-config.yaml too: the commit here has none)
    (project_repo / "README.md").write_text("FROM python:3.12\n", encoding="utf-8")
    run = _pre_commit(project_repo, pre_commit_env, "README.md")
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^pinlint\.+\(no files to check\)Skipped$", run.stdout, re.MULTILINE), run.stdout
    # a YAML file pinlint reads by its content, and one it passes over
    pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: nginx:1.27}\n"
    (project_repo / "pod.yaml").write_text(pod, encoding="utf-8")
    (project_repo / "notes.yaml").write_text("title: not a manifest\n", encoding="utf-8")
    run = _pre_commit(project_repo, pre_commit_env, "README.md", "pod.yaml", "notes.yaml")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "pod.yaml:5:22: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest" in run.stdout
    assert "notes.yaml" not in run.stdout


def _locked(*references: str) -> str:
    from pinlint.reference import parse

    entries = "".join(
        f'\n[[image]]\nreference = "{parse(ref).canonical_tagged}"\ndigest = "{DIGEST}"\nmedia-type = ""\n'
        f'resolved-at = 2026-11-29T10:00:00Z\nsources = ["app/Dockerfile"]\n'
        for ref in references
    )
    return "version = 1\n" + entries


@needs_git
def test_a_staged_dockerfile_alone_gets_its_compose_build_args_and_the_project_lock(
    project_repo: Path, pre_commit_env: dict[str, str]
) -> None:
    """Issue 11: the hook checks only the staged Dockerfile, yet sees what `check .` sees: the
    Compose file that builds it overrides its ARG, and the lock at the root records that variant."""
    (project_repo / "app").mkdir()
    dockerfile = project_repo / "app" / "Dockerfile"
    dockerfile.write_text("ARG TAG=3.20\nFROM alpine:${TAG}\n", encoding="utf-8")
    (project_repo / "compose.yaml").write_text(
        "services:\n  app:\n    build:\n      context: app\n      args:\n        TAG: '3.21'\n", encoding="utf-8"
    )
    (project_repo / "pinlint.lock").write_text(_locked("alpine:3.21"), encoding="utf-8")
    _git(project_repo, pre_commit_env, "add", "-A")
    _git(project_repo, pre_commit_env, "commit", "-q", "--no-verify", "-m", "a locked project")

    def staged_run() -> subprocess.CompletedProcess[str]:
        _git(project_repo, pre_commit_env, "add", "app/Dockerfile")  # only the Dockerfile is staged
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--color", "never", "--verbose"],
            cwd=project_repo,
            env=pre_commit_env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    dockerfile.write_text("ARG TAG=3.20\nFROM alpine:${TAG}\nRUN true\n", encoding="utf-8")
    started = time.monotonic()
    passing = staged_run()
    _show("the staged Dockerfile alone", passing, time.monotonic() - started)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"^pinlint\.+Passed$", passing.stdout, re.MULTILINE), passing.stdout
    assert "All checks passed! (1 file checked)" in passing.stdout
    assert "3.20" not in passing.stdout  # the default variant is never built, so never reported

    # the hook did check it: a reference the lock does not record fails, the locked one does not
    dockerfile.write_text("ARG TAG=3.20\nFROM alpine:${TAG}\nFROM busybox:1.36\n", encoding="utf-8")
    failing = staged_run()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "app/Dockerfile:3:6: PIN008 error: Image 'busybox:1.36' is not in pinlint.lock" in failing.stdout
    assert "alpine" not in failing.stdout


@needs_git
def test_readme_pre_commit_snippet_works_against_a_clone(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_env: dict[str, str]
) -> None:
    """README's snippet as written, with only the repository URL (file://) and the commit SHA
    replaced: no release tag is needed."""
    repo_path, rev = hook_repo
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", readme, re.S)
    assert match is not None
    snippet = match.group(1)
    config = snippet.replace("https://github.com/pinlint/pinlint", f"file://{repo_path.as_posix()}")
    config, replaced = re.subn(r"rev: [0-9a-f]{40}\b", f"rev: {rev}", config)
    assert replaced == 1 and config != snippet
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    (project / "Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    _git(project, pre_commit_env, "init", "-q")
    run = _pre_commit(project, pre_commit_env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest\n" in run.stdout
