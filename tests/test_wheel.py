"""The built wheel carries the rule catalogue: `pinlint rule` works from an installed wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_rule_documentation_from_an_installed_wheel(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("pinlint_oci-*.whl")  # the distribution name; the package is `pinlint`
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}

    def run(*args: str) -> str:
        return subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=True, timeout=60
        ).stdout

    assert run("-c", "import pinlint; print(pinlint.__file__)").startswith(str(target))
    assert run("-m", "pinlint", "rule", "PIN003").startswith("# PIN003 unpinned-tag\n")
    assert "## Why is this bad?" in run("-m", "pinlint", "rule", "pipe-to-shell")
    listed = json.loads(run("-m", "pinlint", "rule", "--all", "--format", "json"))
    assert {rule["code"] for rule in listed} >= {"PIN001", "PIN003", "PIN101", "PIN208", "PIN900"}
