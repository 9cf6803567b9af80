"""How pinlint is installed and run elsewhere: the distribution name, and the composite GitHub
Action in `action.yml`, whose steps' commands run here as the runner would run them (the
`uses:` upload step is GitHub's and is only checked to be wired to the SARIF file)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
# What `pip install <action path>` needs from the checkout.
SNAPSHOT = ("pyproject.toml", "README.md", "LICENSE", "action.yml", "pinlint", "rules")


def test_distribution_name_is_free_of_the_unrelated_pypi_pinlint() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "pinlint-oci"
    assert project["scripts"] == {"pinlint": "pinlint.cli:main"}  # the command keeps its name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pinlint-oci" in readme
    assert "v0.1.0" not in readme  # no such tag: every snippet pins a commit


def test_action_is_composite_with_its_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"args", "sarif", "sarif-file", "python"}
    upload = next(step for step in ACTION["runs"]["steps"] if "uses" in step)
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["if"] == "inputs.sarif == 'true'"
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    for step in ACTION["runs"]["steps"]:
        # inputs go through the environment, never pasted into a script
        assert "${{" not in step.get("run", "")


def _fill(value: str, inputs: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], value)


def _run_action(inputs: dict[str, str], workspace: Path, action_path: Path, temp: Path) -> list[Any]:
    """Run each `run` step whose `if` holds, as the runner does; returns the completed processes."""
    github_path = temp / "github_path"
    github_path.touch()
    done = []
    for step in ACTION["runs"]["steps"]:
        condition = step.get("if")
        if condition is not None and not (condition == "inputs.sarif == 'true'" and inputs["sarif"] == "true"):
            continue
        if "run" not in step:
            continue
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "VIRTUAL_ENV")}
        env.update({name: _fill(str(value), inputs) for name, value in step.get("env", {}).items()})
        env.update(
            RUNNER_TEMP=str(temp),
            GITHUB_ACTION_PATH=str(action_path),
            GITHUB_PATH=str(github_path),
            GITHUB_ACTIONS="true",
        )
        done.append(
            subprocess.run(
                ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
        )
    return done


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_action_steps_install_and_run_pinlint(tmp_path: Path) -> None:
    action_path = tmp_path / "action"
    action_path.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, action_path / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, action_path / name)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    inputs = {"args": "check --fail-level error", "sarif": "true", "sarif-file": "out/pinlint.sarif",
              "python": sys.executable}  # fmt: skip
    (workspace / "out").mkdir()
    install, sarif, lint = _run_action(inputs, workspace, action_path, temp)
    assert install.returncode == 0, install.stdout + install.stderr
    assert (temp / "github_path").read_text(encoding="utf-8") == f"{temp / 'pinlint-venv' / 'bin'}\n"
    assert sarif.returncode == 0, sarif.stderr
    report = json.loads((workspace / "out" / "pinlint.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in report["runs"][0]["results"]] == ["PIN003"]
    # the gate: GITHUB_ACTIONS=true gives annotations, and the findings fail the step
    assert lint.returncode == 1, lint.stderr
    assert lint.stdout.startswith("::error file=Dockerfile,line=1,col=6,")
    # without sarif the SARIF step is skipped; a glob in args is not expanded
    (workspace / "out" / "pinlint.sarif").unlink()
    (workspace / "Dockerfile").write_text("FROM python:3.12-slim@sha256:" + "ab" * 32 + "\n", encoding="utf-8")
    (only,) = [
        run
        for run in _run_action({**inputs, "sarif": "false", "args": "check *"}, workspace, action_path, temp)[1:]
    ]
    assert only.returncode == 2  # pinlint was given '*' literally: no such path
    assert "pinlint: error: *: No such file or directory" in only.stderr
    assert not (workspace / "out" / "pinlint.sarif").exists()
