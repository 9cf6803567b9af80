"""Benchmark `pinlint check` (offline) against hadolint on generated Dockerfiles and Compose projects.

Cases (`--case`, comma-separated; default `one,many,compose,importtime`):

* `one`: one Dockerfile of median length (a pre-commit run with one changed file), pinlint vs
  hadolint;
* `many`: `--files` Dockerfiles (default 1000) in one call each: `pinlint check DIR` vs
  `hadolint FILE...`; time per file and the child's peak RSS. The 10,000-file row is
  `--case many --files 10000 --repeat 1 --timeout 3600` (run it alone: the machine is shared;
  hadolint needed more than 600 s for 10,000 files in one call on 2 busy CPUs);
* `compose`: `--compose-files` Compose projects (default 1000) whose `build:` sections name
  Dockerfiles, pinlint alone (hadolint cannot read Compose); `files_checked` must count the
  Compose files and the Dockerfiles they build;
* `importtime`: `python -X importtime -m pinlint check FILE`, summarised by package, next to the
  interpreter's own start (`python -c pass`).

Each command runs once untimed (the warm-up writes the bytecode, as a real install has it, and
validates the output), then `--repeat` times with the tools alternated; the report gives
medians, minimum, time per file, peak RSS, the ratio to hadolint and the machine's load.

    python bench/lint.py                                    # all four cases, 5 rounds
    python bench/lint.py --case one --repeat 9 --json-out /tmp/one.json
    python bench/lint.py --case many --files 10000 --repeat 1 --timeout 3600

Exit status: 0 when every tool ran and answered as expected, 1 when one failed, 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import (
    BenchError,
    Measure,
    Run,
    ToolFailure,
    alternate,
    find_peer,
    find_pinlint,
    load_average,
    machine_facts,
    measured_env,
    positive,
    report,
    run_measured,
    tool_version,
    workdir_for,
)
from corpus import describe, describe_compose, generate, generate_compose

CASES = ("one", "many", "compose", "importtime")
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")


def pinlint_json(files_expected: int) -> Callable[[Run], list[str]]:
    """Validator of `pinlint check --format json`: files_checked as expected; returns notes."""

    def check(run: Run) -> list[str]:
        try:
            data: Any = json.loads(run.stdout)
            diagnostics, checked = data["diagnostics"], data["files_checked"]
        except (ValueError, TypeError, KeyError) as exc:
            raise ToolFailure(f"pinlint printed no JSON report ({exc}): {run.stdout[:300]!r}") from None
        if checked != files_expected:
            raise ToolFailure(f"pinlint checked {checked} files, the case has {files_expected}: not comparable")
        codes = Counter(d["code"] for d in diagnostics)
        return [f"{len(diagnostics)} diagnostics ({', '.join(f'{c} {n}' for c, n in codes.most_common(5))})"]

    return check


def hadolint_json(run: Run) -> list[str]:
    try:
        items: Any = json.loads(run.stdout)
        codes = Counter(item["code"] for item in items)
    except (ValueError, TypeError, KeyError) as exc:
        raise ToolFailure(f"hadolint printed no JSON list ({exc}): {run.stdout[:300]!r}") from None
    notes = [f"{len(items)} diagnostics ({', '.join(f'{c} {n}' for c, n in codes.most_common(5))})"]
    if codes["DL1000"]:
        notes.append(f"could not parse {codes['DL1000']} file(s) (DL1000) and linted nothing else in them")
    return notes


def measure(
    case: str, tool: str, argv: list[str], cwd: Path, env: dict[str, str], args: argparse.Namespace, files: int,
    validate: Callable[[Run], list[str]],
) -> Measure:  # fmt: skip
    notes: list[str] = []

    def run() -> Run:
        done = run_measured(tool, argv, cwd=cwd, env=env, timeout=args.timeout, ok=(0, 1))
        notes[:] = validate(done)
        return done

    return Measure(case, tool, files, run, notes=notes)


def importtime_summary(argv: list[str], cwd: Path, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Median over `--repeat` runs (after a warm-up) of `-X importtime`, grouped by top package."""
    runs: list[dict[str, int]] = []
    for i in range(args.repeat + 1):
        done = run_measured("pinlint -X importtime", argv, cwd=cwd, env=env, timeout=args.timeout, ok=(0, 1))
        self_us: dict[str, int] = Counter()
        total = 0
        for line in done.stderr.decode(errors="replace").splitlines():
            found = IMPORT_LINE.match(line)
            if found is None:
                continue
            own, cumulative, indent, name = found.groups()
            self_us[name.split(".")[0]] += int(own)
            if not indent:
                total += int(cumulative)
        self_us["(all imports)"] = total
        if i:  # the first run writes bytecode
            runs.append(self_us)
    packages = sorted({p for r in runs for p in r}, key=lambda p: -statistics.median(r.get(p, 0) for r in runs))
    table = {p: statistics.median(r.get(p, 0) for r in runs) / 1000 for p in packages}
    heavy = [p for p in ("httpx", "httpcore", "asyncio", "ssl", "anyio") if p in table]
    return {"ms by top-level package (self time, median)": table, "heavy modules imported": heavy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--case", default=",".join(CASES), help=f"comma-separated, from {', '.join(CASES)}")
    parser.add_argument("--files", type=positive, default=1000, help="Dockerfiles in the many case")
    parser.add_argument("--compose-files", type=positive, default=1000, help="Compose projects in the compose case")
    parser.add_argument("--repeat", type=positive, default=5, help="timed rounds per tool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per tool run")
    parser.add_argument("--pinlint", help="how to start pinlint (default: the console script beside this Python)")
    parser.add_argument("--hadolint", help="the hadolint executable (default: beside this Python, else on PATH)")
    parser.add_argument("--no-hadolint", action="store_true", help="measure pinlint alone")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here (default: a temporary dir)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.case.split(",") if c.strip()]
    if not cases or set(cases) - set(CASES):
        parser.error(f"--case: choose from {', '.join(CASES)}")
    try:
        with workdir_for(args.workdir, "lint") as workdir:
            return run(args, cases, workdir)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, cases: list[str], workdir: Path) -> int:
    load_before = load_average()
    env = measured_env(workdir)
    pinlint = find_pinlint(args.pinlint)
    hadolint = find_peer("hadolint", args.hadolint, args.no_hadolint)
    check = [*pinlint, "check", "--no-config", "--format", "json"]
    extra: dict[str, Any] = {
        "pinlint": f"{' '.join(pinlint)} ({tool_version([*pinlint, '--version'])})",
        "hadolint": f"{hadolint} ({tool_version([hadolint, '--version'])})" if hadolint else "not found (skipped)",
    }
    measures: list[Measure] = []
    corpus = generate(workdir / "dockerfiles", args.files if "many" in cases else 50, args.seed)
    extra["corpus"] = "; ".join(describe(corpus))
    single = corpus.typical_file()
    if "one" in cases:  # run where hadolint runs: a project of Dockerfiles only
        one = measure("one file", "pinlint", [*check, str(single)], corpus.root, env, args, 1, pinlint_json(1))
        measures.append(one)
        if hadolint:
            hadolint_argv = [hadolint, "--no-fail", "-f", "json", str(single)]
            measures.append(measure("one file", "hadolint", hadolint_argv, corpus.root, env, args, 1, hadolint_json))
    if "many" in cases:
        name, n = f"{args.files} files", len(corpus.files)
        measures.append(measure(name, "pinlint", [*check, str(corpus.root)], workdir, env, args, n, pinlint_json(n)))
        if hadolint:
            hadolint_argv = [hadolint, "--no-fail", "-f", "json", *map(str, corpus.files)]
            measures.append(measure(name, "hadolint", hadolint_argv, corpus.root, env, args, n, hadolint_json))
    if "compose" in cases:
        compose = generate_compose(workdir / "compose", args.compose_files, args.seed)
        extra["compose"] = "; ".join(describe_compose(compose))
        expected = len(compose.files) + compose.dockerfiles
        argv = [*check, *map(str, compose.files)]
        name = f"{len(compose.files)} compose"
        measures.append(measure(name, "pinlint", argv, workdir, env, args, len(compose.files), pinlint_json(expected)))
        if "one" in cases:  # the same file in a project that also holds the Compose corpus: checking
            # it reads what every Compose file builds (one file, same verdict as the whole project)
            name = f"one file + {len(compose.files)} compose in project"
            argv = [*check, str(single)]
            measures.append(measure(name, "pinlint", argv, workdir, env, args, 1, pinlint_json(1)))
    if "importtime" in cases:
        start = measure("start", "python -c pass", [sys.executable, "-c", "pass"], workdir, env, args, 1, lambda r: [])
        measures.append(start)
    alternate(measures, args.repeat)
    if "importtime" in cases:
        argv = [sys.executable, "-X", "importtime", "-m", "pinlint", "check", "--no-config", str(single)]
        try:
            extra["importtime"] = importtime_summary(argv, corpus.root, env, args)  # as the one-file row
        except ToolFailure as exc:
            extra["importtime"] = f"FAILED: {exc}"
            return 1
    facts = machine_facts(load_before)
    status = report("pinlint check vs hadolint", measures, facts, extra, args.json_out)
    if "importtime" in cases and isinstance(extra["importtime"], dict):
        print("\nimport time of `pinlint check` on one file (ms, self time by top-level package, median):")
        for package, ms in list(extra["importtime"]["ms by top-level package (self time, median)"].items())[:15]:
            print(f"  {package:<28}{ms:8.1f}")
    return status


if __name__ == "__main__":
    sys.exit(main())
