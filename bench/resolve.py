"""Benchmark `pinlint resolve` against pindock and skopeo on a real registry behind a latency proxy.

One run starts a registry on a free loopback port (CNCF distribution, `docker-registry`), pushes
`--tags` distinct tags (spread over `--repos` repositories, one small multi-platform OCI image
each), puts a proxy adding `--latency-ms` in each direction in front of it, and then times, in
the same run and alternating the order within each repetition:

* `pinlint resolve -v --config <toml> IMAGE...` with a fresh cache (`XDG_CACHE_HOME` pointing at
  a new directory): the cold run; then the same command again with the same cache: the warm run;
* `pindock run <Dockerfile>` on a Dockerfile with one `FROM` line per reference (a fresh copy
  each time, since `run` rewrites it);
* when skopeo is installed, `skopeo inspect --tls-verify=false --format {{.Digest}}
  docker://IMAGE` once per reference, one after the other (what a shell loop does), and the
  same calls over a pool of `--skopeo-jobs` parallel processes.

Every run's output is checked: each tool must report, for every reference, the digest the
benchmark pushed (a mismatch is printed loudly and the exit status is 1). The requests each run
sent are counted twice, by the proxy and from the registry's access log. The report gives min
and median wall times, ratios, requests per tool (with a breakdown by kind), pinlint's own
`-v` summary line, and the targets: cold <= 0.3x pindock's time, at most N + 2 requests for
pinlint, warm run <= 0.3 s.

    python bench/resolve.py                            # 200 tags, 10 ms, 3 repetitions
    python bench/resolve.py --tags 50 --latency-ms 25 --repeat 5 --json-out /tmp/resolve.json

Exit status: 0 when every tool ran and agreed on every digest (whether or not the targets are
met), 1 when a tool failed or a digest differed, 2 for bad arguments or a missing server.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import (
    IMAGE_KINDS,
    REPO,
    BenchError,
    ImageKind,
    Requests,
    Testbed,
    ToolFailure,
    facts,
    find_executable,
    find_pinlint,
    format_table,
    isolated_env,
    json_facts,
    load_average,
    median,
    progress,
    run_timed,
    terminate_on_sigterm,
    tool_version,
    workdir_for,
    write_pinlint_config,
)

MARKER = ".pinlint-bench-resolve"
TARGET_COLD_RATIO = 0.3  # pinlint cold / pindock, at most
TARGET_WARM_SECONDS = 0.3
EXTRA_REQUESTS = 2  # pinlint may send N + 2 requests at most
PINDOCK_CONCURRENCY = 10  # fixed in pindock (internal/registry: maxConcurrency)
PINLINT_SUMMARY = re.compile(r"pinlint: (\d+) registry requests, (\d+) answers from the cache")
FROM_LINE = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Case:
    key: str
    title: str
    samples: list[float] = field(default_factory=list)
    requests: list[Requests] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)  # pinlint's -v line, one per run
    mismatches: list[str] = field(default_factory=list)
    error: str | None = None
    runs: int = 0  # validated runs, the untimed warm-up included
    tls_probes: int = 0  # TLS handshakes the relay answered during this tool's runs

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)

    @property
    def median(self) -> float:
        return median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    def request_counts(self) -> list[int]:
        return [r.proxy for r in self.requests]


@dataclass
class Setup:
    args: argparse.Namespace
    workdir: Path
    bed: Testbed
    refs: list[str]
    truth: dict[str, str]  # reference as given to the tools -> pushed digest
    env: dict[str, str]
    config: Path
    dockerfile: Path
    pinlint: list[str]
    pindock: str | None
    skopeo: str | None


# --------------------------------------------------------------------------------------------
# One run of each tool: returns (seconds, reference -> digest, pinlint summary or "")


def run_pinlint(s: Setup, cache: Path) -> tuple[float, dict[str, str], str]:
    env = dict(s.env, XDG_CACHE_HOME=str(cache))
    argv = [*s.pinlint, "resolve", "-v", "--config", str(s.config), *s.refs]
    run = run_timed("pinlint", argv, cwd=s.workdir, env=env, timeout=s.args.timeout)
    digests: dict[str, str] = {}
    for line in run.stdout.decode(errors="replace").splitlines():
        ref, sep, digest = line.strip().rpartition("@")
        if sep:
            digests[ref] = digest
    found = PINLINT_SUMMARY.search(run.stderr.decode(errors="replace"))
    summary = found.group(0).removeprefix("pinlint: ") if found else "(no summary line on stderr)"
    return run.seconds, digests, summary


def skopeo_one(s: Setup, ref: str) -> str:
    assert s.skopeo is not None
    argv = [s.skopeo, "inspect", "--tls-verify=false", "--format", "{{.Digest}}", f"docker://{ref}"]
    run = run_timed("skopeo", argv, cwd=s.workdir, env=s.env, timeout=s.args.timeout)
    return run.stdout.decode(errors="replace").strip()


def run_skopeo(s: Setup, jobs: int) -> tuple[float, dict[str, str], str]:
    start = time.perf_counter()
    if jobs <= 1:
        answers = [skopeo_one(s, ref) for ref in s.refs]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            answers = list(pool.map(lambda ref: skopeo_one(s, ref), s.refs))
    return time.perf_counter() - start, dict(zip(s.refs, answers, strict=True)), ""


# --------------------------------------------------------------------------------------------
# Measuring


def compare(case: Case, truth: dict[str, str], digests: dict[str, str], label: str) -> None:
    """Record every reference whose digest differs from the pushed one."""
    wrong = [
        f"{ref}: pushed {want}, {case.title} gave {digests.get(ref, '(nothing)')}"
        for ref, want in truth.items()
        if digests.get(ref) != want
    ]
    extra = sorted(set(digests) - set(truth))
    wrong += [f"{ref}: not a reference the benchmark asked for" for ref in extra]
    if wrong:
        case.mismatches.append(f"{label}: {len(wrong)} reference(s) wrong, e.g. " + "; ".join(wrong[:3]))


def measure(
    s: Setup, case: Case, label: str, timed: bool, action: Callable[[], tuple[float, dict[str, str], str]]
) -> None:
    if case.error:
        return
    s.bed.meter.begin()
    probes = s.bed.tls_probes
    try:
        seconds, digests, summary = action()
    except ToolFailure as exc:
        case.error = f"{label}: {exc}"
        progress(f"error: {case.title}: {case.error}")
        return
    requests = s.bed.meter.end()
    case.tls_probes += s.bed.tls_probes - probes
    case.runs += 1
    compare(case, s.truth, digests, label)
    case.requests.append(requests)
    if summary:
        case.summaries.append(summary)
    if timed:
        case.samples.append(seconds)


def repetition(s: Setup, cases: dict[str, Case], label: str, timed: bool, reverse: bool) -> None:
    def pinlint_pair() -> None:
        cache = s.workdir / "cache" / label
        if cache.exists():
            shutil.rmtree(cache)
        measure(s, cases["pinlint-cold"], label, timed, lambda: run_pinlint(s, cache))
        measure(s, cases["pinlint-warm"], label, timed, lambda: run_pinlint(s, cache))

    def pindock() -> None:
        measure(s, cases["pindock"], label, timed, lambda: run_pindock(s, label))

    steps: list[Callable[[], None]] = [pinlint_pair]
    if "pindock" in cases:
        steps.append(pindock)
    if "skopeo-seq" in cases:
        steps.append(lambda: measure(s, cases["skopeo-seq"], label, timed, lambda: run_skopeo(s, 1)))
    if "skopeo-par" in cases:
        jobs = s.args.skopeo_jobs
        steps.append(lambda: measure(s, cases["skopeo-par"], label, timed, lambda: run_skopeo(s, jobs)))
    for step in reversed(steps) if reverse else steps:
        step()


def run_pindock(s: Setup, label: str) -> tuple[float, dict[str, str], str]:
    """pindock run, timed around the subprocess only (the copy of the Dockerfile is not timed)."""
    assert s.pindock is not None
    directory = s.workdir / "pindock" / label
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    target = directory / "Dockerfile"
    shutil.copyfile(s.dockerfile, target)
    run = run_timed("pindock", [s.pindock, "run", str(target)], cwd=directory, env=s.env, timeout=s.args.timeout)
    digests: dict[str, str] = {}
    for image in FROM_LINE.findall(target.read_text()):
        ref, sep, digest = image.rpartition("@")
        if sep:
            digests[ref] = digest
        else:
            digests[image] = "(left unpinned)"
    return run.seconds, digests, ""


def startup_seconds(s: Setup, samples: int = 5) -> float | None:
    """Median wall time of `pinlint --version`: the interpreter and import floor."""
    times: list[float] = []
    for _ in range(samples):
        try:
            run = run_timed("pinlint", [*s.pinlint, "--version"], cwd=s.workdir, env=s.env, timeout=60)
        except ToolFailure:
            return None
        times.append(run.seconds)
    return median(times)


# --------------------------------------------------------------------------------------------
# Reporting


def counts_text(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def report(s: Setup, cases: dict[str, Case], context: dict[str, Any]) -> None:
    args = s.args
    n = len(s.refs)
    print()
    print("pinlint resolve benchmark")
    for line in facts(args.load_before):
        print(line)
    for name, text in context["tools"].items():
        print(f"{name:<8} {text}")
    print(f"registry {s.bed.describe()}")
    print(
        f"images   {n} distinct tags over {args.repos} repositories ({args.kind} images), "
        f"e.g. {s.refs[0]}"
    )
    rtt = context["round_trip_ms"]
    print(
        f"network  one keep-alive HEAD through relay and proxy from Python: median {median(rtt):.1f} ms "
        f"(min {min(rtt):.1f}) over {len(rtt)}"
    )
    startup = context["pinlint_startup_s"]
    if startup is not None:
        print(f"startup  `pinlint --version`: median {startup:.3f} s (interpreter and imports)")
    print(
        f"timing   {args.warmup} untimed validated run(s) per tool, then {args.repeat} timed, "
        "order reversed every other repetition; wall time of subprocess.run with output captured"
    )
    probes = ", ".join(f"{key} {case.tls_probes}" for key, case in cases.items())
    print(f"tls      TLS handshakes answered by the relay like distribution would (all runs): {probes}")
    print()
    pindock = cases.get("pindock")
    header = ("tool", "runs", "min s", "median s", "ms/ref", "requests", "req/ref", "vs pindock")
    rows: list[list[str]] = []
    for case in cases.values():
        counts = case.request_counts()
        if not case.ok:
            rows.append([case.title, str(len(case.samples)), "FAILED", "-", "-", counts_text(counts), "-", "-"])
            continue
        versus = f"{case.median / pindock.median:.2f}x" if pindock and pindock.ok else "-"
        rows.append(
            [
                case.title,
                str(len(case.samples)),
                f"{case.min:.3f}",
                f"{case.median:.3f}",
                f"{1000 * case.median / n:.2f}",
                counts_text(counts),
                f"{median(counts) / n:.2f}" if counts else "-",
                versus,
            ]
        )
    for row in format_table(header, rows):
        print(row)
    print("(requests: as the proxy counted them, per run; ratios compare medians)")
    print()

    cold, warm = cases["pinlint-cold"], cases["pinlint-warm"]
    print("targets")
    if cold.ok and pindock is not None and pindock.ok:
        r_med, r_min = cold.median / pindock.median, cold.min / pindock.min
        verdict = "PASS" if r_med <= TARGET_COLD_RATIO else "FALL SHORT"
        print(
            f"  cold cache  pinlint/pindock = {r_med:.3f}x median, {r_min:.3f}x min; "
            f"target <= {TARGET_COLD_RATIO:g}x: {verdict}"
        )
    else:
        why = "pindock not found" if pindock is None else "a tool failed"
        print(f"  cold cache  pinlint/pindock: NOT MEASURED ({why})")
    limit = n + EXTRA_REQUESTS
    if cold.requests:
        worst = max(cold.request_counts())
        verdict = "PASS" if worst <= limit else "FALL SHORT"
        shown = counts_text(cold.request_counts())
        print(f"  requests    pinlint cold = {shown}; target <= N + 2 = {limit}: {verdict}")
    else:
        print("  requests    NOT MEASURED (pinlint failed)")
    if warm.ok:
        verdict = "PASS" if warm.median <= TARGET_WARM_SECONDS else "FALL SHORT"
        print(
            f"  warm cache  pinlint = {warm.median:.3f} s median ({warm.min:.3f} s min); "
            f"target <= {TARGET_WARM_SECONDS:g} s: {verdict}"
        )
    else:
        print("  warm cache  NOT MEASURED (pinlint failed)")
    for key in ("skopeo-seq", "skopeo-par"):
        other = cases.get(key)
        if other is not None and other.ok and cold.ok:
            print(f"  (no target) pinlint cold / {other.title} = {cold.median / other.median:.3f}x median")
    print()

    print("requests by kind (first run; proxy count, registry access-log count, breakdown)")
    for case in cases.values():
        if case.requests:
            first = case.requests[0]
            print(f"  {case.title:<30} {first.proxy:>5} {first.registry:>5}  {first.describe()}")
    disagree = [
        f"{case.title} run {i + 1}: proxy {r.proxy}, registry log {r.registry}"
        for case in cases.values()
        for i, r in enumerate(case.requests)
        if not r.agree
    ]
    if disagree:
        print("WARNING the proxy and the registry's access log disagree: " + "; ".join(disagree))
    else:
        print("  (the proxy's count and the registry's access log agree for every run)")
    print()

    print("pinlint's own -v summary line, over every validated run, against the proxy's count")
    for case in (cold, warm):
        seen: dict[str, list[bool]] = {}
        for summary, requests in zip(case.summaries, case.requests, strict=False):
            found = PINLINT_SUMMARY.search("pinlint: " + summary)
            seen.setdefault(summary, []).append(found is not None and int(found.group(1)) == requests.proxy)
        for summary, matches in seen.items():
            check = "matches the proxy" if all(matches) else "DIFFERS from the proxy's count"
            print(f"  {case.title:<30} '{summary}' in {len(matches)} of {case.runs} runs ({check})")
    print()

    failures = [c for c in cases.values() if c.error]
    mismatched = [c for c in cases.values() if c.mismatches]
    if not failures and not mismatched:
        print(f"digests  every tool gave the pushed digest for all {n} references, in every run")
    for case in mismatched:
        print(f"!!! DIGEST MISMATCH: {case.title}")
        for line in case.mismatches:
            print(f"!!!   {line}")
    for case in failures:
        print(f"FAILED {case.title}: {case.error}")


def json_results(s: Setup, cases: dict[str, Case], context: dict[str, Any]) -> dict[str, Any]:
    n = len(s.refs)
    pindock = cases.get("pindock")
    cold, warm = cases["pinlint-cold"], cases["pinlint-warm"]

    def case_json(c: Case) -> dict[str, Any]:
        return {
            "title": c.title,
            "samples_s": c.samples,
            "min_s": c.min if c.ok else None,
            "median_s": c.median if c.ok else None,
            "per_ref_ms": 1000 * c.median / n if c.ok else None,
            "requests_proxy": [r.proxy for r in c.requests],
            "requests_registry_log": [r.registry for r in c.requests],
            "request_kinds_first_run": dict(c.requests[0].kinds) if c.requests else None,
            "pinlint_summaries": c.summaries,
            "mismatches": c.mismatches,
            "error": c.error,
        }

    cold_ratio = cold.median / pindock.median if cold.ok and pindock is not None and pindock.ok else None
    return {
        "benchmark": "bench/resolve.py",
        "schema": 1,
        **json_facts(s.args.load_before),
        "settings": {
            "tags": n,
            "repos": s.args.repos,
            "kind": s.args.kind,
            "latency_ms": s.args.latency_ms,
            "repeat": s.args.repeat,
            "warmup": s.args.warmup,
            "skopeo_jobs": s.args.skopeo_jobs,
            "pinlint_concurrency": s.args.pinlint_concurrency,
        },
        "context": context,
        "cases": {key: case_json(c) for key, c in cases.items()},
        "targets": {
            "cold_ratio": {"value": cold_ratio, "target": TARGET_COLD_RATIO},
            "requests": {
                "value": max(cold.request_counts()) if cold.requests else None,
                "target": n + EXTRA_REQUESTS,
            },
            "warm_seconds": {"value": warm.median if warm.ok else None, "target": TARGET_WARM_SECONDS},
        },
    }


# --------------------------------------------------------------------------------------------


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def not_negative(text: str) -> float:
    value = float(text)
    if value < 0 or math.isnan(value):
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time pinlint resolve (cold and warm cache) against pindock and skopeo "
        "on a local registry behind a latency proxy.",
        epilog="Details: the module docstring of bench/resolve.py.",
    )
    parser.add_argument("--tags", type=positive, default=200, help="distinct references N (200)")
    parser.add_argument("--repos", type=positive, default=10, help="repositories the tags are spread over (10)")
    parser.add_argument(
        "--latency-ms", type=not_negative, default=10.0, help="proxy latency per direction, ms (10)"
    )
    parser.add_argument("--repeat", type=positive, default=3, help="timed runs per tool (3)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        choices=range(0, 10),
        metavar="N",
        help="untimed (validated) runs per tool first (1)",
    )
    parser.add_argument(
        "--kind", choices=IMAGE_KINDS, default="multi-oci", help="what each tag points to (multi-oci)"
    )
    parser.add_argument(
        "--skopeo-jobs",
        type=int,
        default=8,
        metavar="J",
        help="also run skopeo over a pool of J parallel processes (8; 0 or 1: sequential only)",
    )
    parser.add_argument("--no-skopeo", action="store_true", help="leave skopeo out")
    parser.add_argument(
        "--pinlint-concurrency",
        type=positive,
        metavar="C",
        help="write registry.concurrency = C into pinlint's config (default: pinlint's own default)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="scratch directory, recreated and kept (default: a new temporary directory, deleted at "
        "the end; not under the git-ignored bench/.work/, where pinlint would skip every file)",
    )
    parser.add_argument("--json-out", type=Path, help="write the raw results to this file")
    parser.add_argument("--pinlint", metavar="CMD", help="command to run pinlint (split like a shell)")
    parser.add_argument("--pindock", metavar="PATH", help="pindock executable")
    parser.add_argument("--skopeo", metavar="PATH", help="skopeo executable")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds before one tool run counts as failed (600)"
    )
    args = parser.parse_args(argv)
    if args.skopeo_jobs < 0:
        parser.error("--skopeo-jobs must be zero or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with terminate_on_sigterm():
            return run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the registry and the proxy were stopped", file=sys.stderr)
        return 130


def check_argv_length(argv_bytes: int) -> None:
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError, AttributeError):
        limit = 128 * 1024
    if argv_bytes > limit // 2:
        raise BenchError(
            f"the pinlint command line would be {argv_bytes} bytes (ARG_MAX {limit}); use fewer --tags"
        )


def run(args: argparse.Namespace) -> int:
    args.load_before = load_average()
    with workdir_for(args.workdir, "resolve", MARKER) as workdir:
        return run_in(args, workdir)


def run_in(args: argparse.Namespace, workdir: Path) -> int:
    pinlint, pinlint_note = find_pinlint(args.pinlint)
    pindock = find_executable("pindock", args.pindock)
    skopeo = None if args.no_skopeo else find_executable("skopeo", args.skopeo)
    if pindock is None:
        progress("pindock not found (`pip install pindock` provides it): its column is skipped")
    if skopeo is None and not args.no_skopeo:
        progress("skopeo not found (Debian package skopeo): its columns are skipped")

    env = isolated_env(workdir)
    if pinlint[:2] == [sys.executable, "-m"]:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), env.get("PYTHONPATH"))))
    kind: ImageKind = args.kind
    n = args.tags
    repos: dict[str, list[str]] = {}
    order: list[tuple[str, str]] = []
    for i in range(n):
        repo, tag = f"bench/svc-{i % args.repos:02d}", f"1.{i // args.repos}.{i % 3}"
        repos.setdefault(repo, []).append(tag)
        order.append((repo, tag))

    progress(f"starting the registry and a {args.latency_ms:g} ms proxy in {workdir}")
    with Testbed(workdir, args.latency_ms) as bed:
        progress(f"pushing {n} {kind} images into {len(repos)} repositories")
        start = time.perf_counter()
        pushed = bed.push(repos, kind)
        push_seconds = time.perf_counter() - start
        refs = [f"{bed.host}/{repo}:{tag}" for repo, tag in order]
        truth = {f"{bed.host}/{key}": digest for key, digest in pushed.items()}
        check_argv_length(sum(len(r) + 1 for r in refs) + 200)
        config = workdir / "pinlint.toml"
        write_pinlint_config(config, bed.host, args.pinlint_concurrency)
        dockerfile = workdir / "Dockerfile.template"
        dockerfile.write_text(
            f"# {n} references for pindock, one FROM each (written by bench/resolve.py)\n"
            + "".join(f"FROM {ref}\n" for ref in refs)
        )
        s = Setup(args, workdir, bed, refs, truth, env, config, dockerfile, pinlint, pindock, skopeo)

        versions = {
            "pinlint": f"{tool_version([*pinlint, '--version'], env) or 'version unknown'}: "
            f"{shlex.join(pinlint)} [{pinlint_note}]",
        }
        if pindock:
            versions["pindock"] = f"{tool_version([pindock, '--version'], env) or 'version unknown'}: {pindock}"
        else:
            versions["pindock"] = "not found: skipped"
        if skopeo:
            versions["skopeo"] = f"{tool_version([skopeo, '--version'], env) or 'version unknown'}: {skopeo}"
        else:
            versions["skopeo"] = "left out (--no-skopeo)" if args.no_skopeo else "not found: skipped"

        cases: dict[str, Case] = {
            "pinlint-cold": Case("pinlint-cold", "pinlint resolve (cold cache)"),
            "pinlint-warm": Case("pinlint-warm", "pinlint resolve (warm cache)"),
        }
        if pindock:
            cases["pindock"] = Case("pindock", "pindock run (Dockerfile)")
        if skopeo:
            cases["skopeo-seq"] = Case("skopeo-seq", "skopeo inspect x N, sequential")
            if args.skopeo_jobs > 1:
                cases["skopeo-par"] = Case("skopeo-par", f"skopeo inspect x N, {args.skopeo_jobs} parallel")

        rtt = bed.round_trip_ms(f"/v2/{order[0][0]}/manifests/{order[0][1]}")
        startup = startup_seconds(s)
        for i in range(args.warmup):
            progress(f"validating run {i + 1}/{args.warmup} (untimed)")
            repetition(s, cases, f"warmup-{i + 1}", timed=False, reverse=bool(i % 2))
        for i in range(args.repeat):
            progress(f"repetition {i + 1}/{args.repeat}")
            repetition(s, cases, f"rep-{i + 1}", timed=True, reverse=bool(i % 2))

        context: dict[str, Any] = {
            "tools": versions,
            "push_s": push_seconds,
            "round_trip_ms": rtt,
            "pinlint_startup_s": startup,
            "pindock_concurrency": PINDOCK_CONCURRENCY,
            "example_reference": refs[0],
            "tls_probes": {key: case.tls_probes for key, case in cases.items()},
        }
        report(s, cases, context)
        if args.json_out:
            data = json_results(s, cases, context)
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(json.dumps(data, indent=2) + "\n")
            print(f"\nraw results written to {args.json_out}")
    bad = any(c.error or c.mismatches for c in cases.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
