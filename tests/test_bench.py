"""The benchmarks in bench/ still run: each script once in a tiny mode (a few files, a few tags,
one round), peers included when installed and skipped when absent, so that they cannot rot."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _start(script: str, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(BENCH / script), *argv],
        cwd=BENCH,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
    return out


def test_corpus_generator_writes_what_it_describes(tmp_path: Path) -> None:
    out = _finish(_start("corpus.py", "--files", "3", "--compose-files", "2", "--out", str(tmp_path / "c")))
    assert out.startswith("3 files, ") and "2 Compose files" in out
    assert len(list((tmp_path / "c").glob("*/Dockerfile"))) == 3
    assert len(list((tmp_path / "c-compose").glob("*/*.y*ml"))) == 2


def test_lint_and_resolve_benchmarks_run_in_tiny_mode(tmp_path: Path, registry: object) -> None:
    """`registry` skips this (fails under CI) where docker-registry is missing."""
    lint = _start(
        "lint.py", "--files", "3", "--compose-files", "2", "--repeat", "1", "--json-out", str(tmp_path / "lint.json")
    )
    resolve = _start("resolve.py", "--tags", "2", "--repeat", "1", "--json-out", str(tmp_path / "resolve.json"))
    lint_out, resolve_out = _finish(lint), _finish(resolve)

    peers = {"hadolint": bool(shutil.which("hadolint") or (Path(sys.executable).parent / "hadolint").exists())}
    peers["pindock"] = bool(shutil.which("pindock") or (Path(sys.executable).parent / "pindock").exists())
    lint_rows = {(r["case"], r["tool"]) for r in json.loads((tmp_path / "lint.json").read_text())["rows"]}
    expected = {("one file", "pinlint"), ("3 files", "pinlint"), ("2 compose", "pinlint"), ("start", "python -c pass")}
    expected.add(("one file + 2 compose in project", "pinlint"))
    if peers["hadolint"]:
        expected |= {("one file", "hadolint"), ("3 files", "hadolint")}
    assert lint_rows == expected
    assert "load      " in lint_out and "import time of `pinlint check`" in lint_out

    document = json.loads((tmp_path / "resolve.json").read_text())
    tools = {r["tool"] for r in document["rows"]}
    assert tools >= {"pinlint resolve (cold)", "pinlint resolve (warm)", "pinlint fix", "httpx alone (floor)"}
    assert ("pindock run" in tools) == peers["pindock"]
    if peers["pindock"]:  # every pinlint row is compared with pindock, never with another pinlint row
        rows = {r["tool"]: r for r in document["rows"]}
        pindock = rows["pindock run"]["seconds"][0]
        for tool in ("pinlint resolve (cold)", "pinlint resolve (warm)", "pinlint fix", "httpx alone (floor)"):
            assert rows[tool]["ratio_to_peer"] == pytest.approx(rows[tool]["seconds"][0] / pindock)
    assert all(len(r["seconds"]) == 1 and r["error"] is None for r in document["rows"])
    assert "2 tags  pinlint resolve (cold)" in resolve_out and "2 requests (HEAD manifests 2)" in resolve_out


@pytest.mark.parametrize("script", ["lint.py", "resolve.py"])
def test_bad_arguments_exit_2(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--repeat", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "--repeat" in done.stderr


def test_a_tool_with_wrong_output_fails_the_run() -> None:
    """`--pinlint true` exits 0 but prints no JSON report: the row is FAILED and the exit status 1."""
    argv = ["--case", "one", "--no-hadolint", "--repeat", "1", "--pinlint", shutil.which("true") or "true"]
    done = subprocess.run([sys.executable, str(BENCH / "lint.py"), *argv], capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "one file / pinlint: FAILED: pinlint printed no JSON report" in done.stdout


def test_the_ratio_is_to_the_peer_not_to_another_pinlint_row(capsys: pytest.CaptureFixture[str]) -> None:
    """resolve.py has several pinlint rows per case (cold, warm, fix): each is compared with pindock."""
    sys.path.insert(0, str(BENCH))
    try:
        from common import Measure, Run, report
    finally:
        sys.path.remove(str(BENCH))

    def measured(tool: str, seconds: float) -> Measure:
        return Measure("10 tags", tool, 10, runs=[Run(seconds, 0, b"", b"", 1024)])

    rows = [measured("pinlint resolve (cold)", 0.3), measured("pinlint resolve (warm)", 0.1)]
    rows.append(measured("httpx alone (floor)", 0.16))  # a floor is compared too, and is no peer
    rows.append(measured("pindock run", 0.2))
    assert report("t", rows, {}, {}, None) == 0
    out = capsys.readouterr().out
    ratios = {line.split("  ")[1].strip(): line.split()[-1] for line in out.splitlines() if line.startswith("10 tags")}
    assert ratios["pinlint resolve (cold)"] == "1.50" and ratios["pinlint resolve (warm)"] == "0.50"
    assert ratios["httpx alone (floor)"] == "0.80"
