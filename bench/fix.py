"""Benchmark `pinlint fix` against `pindock run` on a generated tree, through a latency proxy.

One run starts a registry on a free loopback port (CNCF distribution, `docker-registry`), pushes
`--refs` distinct tags (spread over `--repos` repositories, one small multi-platform OCI image
each), puts a proxy adding `--latency-ms` in each direction in front of it, and generates a tree
of `--files` Dockerfiles (plus `--compose-files` Compose files, none by default) that use those
references: every reference at least once, popular ones many times (a Zipf-like mix), in
`FROM`, `FROM --platform=$BUILDPLATFORM ... AS build`, multi-stage builds and `COPY --from=<image>`.
Then, alternating the order within each repetition, it times on fresh copies of the tree:

* `pinlint fix --config <toml> TREE` with a fresh digest cache (`XDG_CACHE_HOME`);
* `pindock run -C TREE`;
* for context, `pinlint check --config <toml> TREE` (offline: the parse-and-lint floor of `fix`).

Each result tree is checked against the expected one (every reference followed by the digest
the benchmark pushed, nothing else changed): files identical to the expectation, references
pinned correctly, pinned to a wrong digest, left unpinned. The requests of each run are
counted by the proxy and from the registry's access log. The report gives min and median wall
times, the pinlint/pindock ratio and requests per tool.

    python bench/fix.py                               # 500 files, 200 references, 10 ms
    python bench/fix.py --files 100 --refs 50 --repeat 5 --json-out /tmp/fix.json

Exit status: 0 when both tools ran and produced correctly pinned trees, 1 when a tool failed
or a tree is wrong, 2 for bad arguments or a missing server.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import random
import re
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
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

MARKER = ".pinlint-bench-fix"
EXTRA_REQUESTS = 2  # the resolve benchmark's request target (N + 2), shown here for reference
PINLINT_PINNED = re.compile(r"Pinned (\d+) references? in (\d+) files?")

SERVICES = (
    "api", "web", "worker", "billing", "auth", "gateway", "search", "ingest", "reports",
    "scheduler", "notifier", "frontend", "admin", "exporter", "cli", "proxy", "etl", "docs",
)  # fmt: skip
BUILD_STEPS = (
    ["COPY go.mod go.sum ./", "RUN go mod download", "COPY . .", "RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app"],
    ["COPY package*.json ./", "RUN npm ci", "COPY . .", "RUN npm run build"],
    ["COPY requirements.txt .", "RUN pip install --no-cache-dir -r requirements.txt", "COPY . ."],
    ["COPY Cargo.toml Cargo.lock ./", "COPY src ./src", "RUN cargo build --release"],
    ["COPY . .", "RUN make build DESTDIR=/out"],
)
RUNTIME_STEPS = (
    ["RUN apt-get update \\", "    && apt-get install -y --no-install-recommends ca-certificates \\",
     "    && rm -rf /var/lib/apt/lists/*"],
    ["RUN apk add --no-cache ca-certificates tzdata"],
    ['ENV PATH="/app/bin:$PATH"', "WORKDIR /app"],
    ["# keep the runtime image small", "USER 10001:10001"],
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# The tree


@dataclass
class TreeFile:
    path: str  # relative to the tree root
    slots: list[str]  # the references it uses, in order
    render: Callable[[dict[str, str] | None], str]  # None: as written; else ref -> digest


@dataclass
class Tree:
    files: list[TreeFile]
    dockerfiles: int
    compose_files: int
    uses: int  # reference occurrences
    distinct: int

    def write(self, root: Path, pins: dict[str, str] | None = None) -> None:
        for f in self.files:
            target = root / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f.render(pins))


def pin(ref: str, pins: dict[str, str] | None) -> str:
    return ref if pins is None else f"{ref}@{pins[ref]}"


def dockerfile_renderer(rng: random.Random, service: str, refs: list[str]) -> Callable[[dict[str, str] | None], str]:
    """A Dockerfile using `refs` (1 to 3): FROM, optional build stage, optional COPY --from=<image>."""
    build = rng.choice(BUILD_STEPS)
    runtime = rng.choice(RUNTIME_STEPS)
    platform = rng.random() < 0.3
    comment = rng.random() < 0.5
    args = rng.random() < 0.3
    port = rng.choice((80, 3000, 8000, 8080, 9090))

    def render(pins: dict[str, str] | None) -> str:
        lines: list[str] = []
        if comment:
            lines += [f"# {service}: container image (generated by bench/fix.py)", ""]
        if args:
            lines += ["ARG VERSION=0.0.0", ""]
        if len(refs) == 1:
            lines += [f"FROM {pin(refs[0], pins)}", "WORKDIR /app", *build[-2:]]
        else:
            plat = "--platform=$BUILDPLATFORM " if platform else ""
            lines += [f"FROM {plat}{pin(refs[0], pins)} AS build", "WORKDIR /src", *build, ""]
            lines += [f"FROM {pin(refs[1], pins)}", *runtime, "COPY --from=build /out/ /usr/local/bin/"]
            if len(refs) == 3:
                lines.append(f"COPY --from={pin(refs[2], pins)} /usr/local/bin/tool /usr/local/bin/tool")
        if args:
            lines.append('LABEL org.opencontainers.image.version="${VERSION}"')
        lines += [f"EXPOSE {port}", f'CMD ["/usr/local/bin/{service}"]']
        return "\n".join(lines) + "\n"

    return render


def compose_renderer(rng: random.Random, project: str, refs: list[str]) -> Callable[[dict[str, str] | None], str]:
    """A Compose file with one service per reference (literal `image:` values, some quoted)."""
    names = [f"{rng.choice(SERVICES)}-{i}" for i in range(len(refs))]
    quotes = [rng.choice(("", "", '"', "'")) for _ in refs]

    def render(pins: dict[str, str] | None) -> str:
        lines = [f"# {project}: local stack (generated by bench/fix.py)", "services:"]
        for name, ref, q in zip(names, refs, quotes, strict=True):
            lines += [f"  {name}:", f"    image: {q}{pin(ref, pins)}{q}", "    restart: unless-stopped"]
        return "\n".join(lines) + "\n"

    return render


def generate_tree(refs: list[str], files: int, compose_files: int, seed: int) -> Tree:
    """Deterministic for (refs, files, compose_files, seed); every reference used at least once."""
    rng = random.Random(seed)
    sizes = [rng.choices((1, 2, 3), weights=(3, 5, 2))[0] for _ in range(files)]
    sizes += [rng.randint(2, 4) for _ in range(compose_files)]
    slots = sum(sizes)
    if slots < len(refs):
        raise BenchError(f"{files + compose_files} files have {slots} reference slots, fewer than --refs {len(refs)}")
    first = list(refs)
    rng.shuffle(first)
    weights = [1 / (rank + 1) for rank in range(len(refs))]  # a few base images are everywhere
    rest = rng.choices(refs, weights=weights, k=slots - len(refs))
    pool = first + rest
    rng.shuffle(pool)
    out: list[TreeFile] = []
    at = 0
    for i, size in enumerate(sizes):
        used = pool[at : at + size]
        at += size
        if i < files:
            service = rng.choice(SERVICES)
            name = rng.choices(("Dockerfile", "Dockerfile.prod", f"{service}.Dockerfile"), weights=(8, 1, 1))[0]
            path = f"services/{i:04d}-{service}/{name}"
            out.append(TreeFile(path, used, dockerfile_renderer(rng, service, used)))
        else:
            project = f"stack-{i - files:04d}"
            out.append(TreeFile(f"stacks/{project}/compose.yaml", used, compose_renderer(rng, project, used)))
    return Tree(out, files, compose_files, slots, len(set(pool)))


# --------------------------------------------------------------------------------------------
# Checking a result tree


@dataclass
class TreeCheck:
    identical: int = 0
    files: int = 0
    pinned_ok: int = 0
    pinned_wrong: int = 0
    unpinned: int = 0
    first_diff: str = ""

    @property
    def ok(self) -> bool:
        return self.identical == self.files and not self.pinned_wrong and not self.unpinned

    def describe(self) -> str:
        return (
            f"{self.identical}/{self.files} files as expected; references pinned correctly {self.pinned_ok}, "
            f"to a wrong digest {self.pinned_wrong}, left unpinned {self.unpinned}"
        )


def check_tree(root: Path, tree: Tree, host: str, truth: dict[str, str]) -> TreeCheck:
    found = TreeCheck(files=len(tree.files))
    pattern = re.compile(re.escape(host) + r"/[^\s\"'@]+(?:@(sha256:[0-9a-f]{64}))?")
    for f in tree.files:
        try:
            text = (root / f.path).read_text()
        except OSError as exc:
            found.first_diff = found.first_diff or f"{f.path}: {exc}"
            found.unpinned += len(f.slots)
            continue
        expected = f.render(truth)
        if text == expected:
            found.identical += 1
        elif not found.first_diff:
            diff = difflib.unified_diff(
                expected.splitlines(), text.splitlines(), f"expected/{f.path}", f"result/{f.path}", lineterm="", n=1
            )
            found.first_diff = "\n".join(list(diff)[:12])
        for match in pattern.finditer(text):
            ref = match.group(0).split("@", 1)[0]
            if match.group(1) is None:
                found.unpinned += 1
            elif truth.get(ref) == match.group(1):
                found.pinned_ok += 1
            else:
                found.pinned_wrong += 1
    return found


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Case:
    key: str
    title: str
    samples: list[float] = field(default_factory=list)
    requests: list[Requests] = field(default_factory=list)
    checks: list[TreeCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the tool said it did, per run
    error: str | None = None
    runs: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)

    @property
    def median(self) -> float:
        return median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def tree_ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class Setup:
    args: argparse.Namespace
    workdir: Path
    bed: Testbed
    tree: Tree
    template: Path
    truth: dict[str, str]
    env: dict[str, str]
    config: Path
    pinlint: list[str]
    pindock: str | None


def fresh_copy(s: Setup, name: str) -> Path:
    target = s.workdir / "runs" / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(s.template, target)
    return target


def measure(s: Setup, case: Case, label: str, timed: bool, checks_tree: bool = True) -> None:
    if case.error:
        return
    root = fresh_copy(s, f"{case.key}-{label}")
    env = dict(s.env)
    if case.key == "pindock":
        assert s.pindock is not None
        argv = [s.pindock, "run", "-C", str(root)]
        ok: tuple[int, ...] = (0,)
    else:
        command = "check" if case.key == "pinlint-check" else "fix"
        argv = [*s.pinlint, command, "--config", str(s.config), str(root)]
        cache = s.workdir / "cache" / f"{case.key}-{label}"
        if cache.exists():
            shutil.rmtree(cache)
        env["XDG_CACHE_HOME"] = str(cache)
        ok = (0, 1)  # 1: findings left (or, for check, found)
    s.bed.meter.begin()
    try:
        run = run_timed(case.title, argv, cwd=s.workdir, env=env, timeout=s.args.timeout, ok=ok)
    except ToolFailure as exc:
        case.error = f"{label}: {exc}"
        progress(f"error: {case.title}: {case.error}")
        return
    case.requests.append(s.bed.meter.end())
    case.runs += 1
    output = (run.stdout + run.stderr).decode(errors="replace")
    if case.key != "pindock" and "(0 files checked)" in output:
        case.error = (
            f"{label}: pinlint checked 0 files in {root}; a git-ignored --workdir (such as one under "
            "bench/.work/) hides the tree from pinlint"
        )
        progress(f"error: {case.title}: {case.error}")
        return
    if case.key == "pinlint-fix":
        said = PINLINT_PINNED.search(output)
        case.notes.append(said.group(0) if said else "(no 'Pinned N references' line)")
    elif case.key == "pindock":
        case.notes.append(f"{output.count('PINNED')} PINNED lines")
    if checks_tree:
        case.checks.append(check_tree(root, s.tree, s.bed.host, s.truth))
    if timed:
        case.samples.append(run.seconds)
    if not s.args.keep_trees:
        shutil.rmtree(root, ignore_errors=True)


def repetition(s: Setup, cases: dict[str, Case], label: str, timed: bool, reverse: bool) -> None:
    order = [k for k in ("pinlint-fix", "pindock") if k in cases]
    for key in reversed(order) if reverse else order:
        measure(s, cases[key], label, timed)
    if "pinlint-check" in cases:
        measure(s, cases["pinlint-check"], label, timed, checks_tree=False)


# --------------------------------------------------------------------------------------------
# Reporting


def counts_text(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def report(s: Setup, cases: dict[str, Case], context: dict[str, Any]) -> None:
    args, tree = s.args, s.tree
    n_files = len(tree.files)
    print()
    print("pinlint fix benchmark")
    for line in facts(args.load_before):
        print(line)
    for name, text in context["tools"].items():
        print(f"{name:<8} {text}")
    print(f"registry {s.bed.describe()}")
    print(f"images   {len(s.truth)} distinct tags over {args.repos} repositories ({args.kind} images)")
    compose = f" and {tree.compose_files} Compose files" if tree.compose_files else ""
    print(
        f"tree     {tree.dockerfiles} Dockerfiles{compose}, {tree.uses} reference uses of {tree.distinct} "
        f"distinct references (seed {args.seed}), generated in {context['generate_s']:.2f} s"
    )
    rtt = context["round_trip_ms"]
    print(
        f"network  one keep-alive HEAD through relay and proxy from Python: median {median(rtt):.1f} ms "
        f"(min {min(rtt):.1f}) over {len(rtt)}"
    )
    print(
        f"timing   {args.warmup} untimed validated run(s) per tool, then {args.repeat} timed, on fresh "
        "copies of the tree (fresh cache for pinlint), order reversed every other repetition"
    )
    print()
    pindock = cases.get("pindock")
    header = ("tool", "runs", "min s", "median s", "ms/file", "requests", "vs pindock", "result tree")
    rows: list[list[str]] = []
    for case in cases.values():
        counts = [r.proxy for r in case.requests]
        tree_state = "-" if not case.checks else ("as expected" if case.tree_ok else "WRONG")
        if not case.ok:
            rows.append([case.title, str(len(case.samples)), "FAILED", "-", "-", counts_text(counts), "-", tree_state])
            continue
        versus = f"{case.median / pindock.median:.2f}x" if pindock is not None and pindock.ok else "-"
        rows.append(
            [
                case.title,
                str(len(case.samples)),
                f"{case.min:.3f}",
                f"{case.median:.3f}",
                f"{1000 * case.median / n_files:.2f}",
                counts_text(counts),
                versus,
                tree_state,
            ]
        )
    for row in format_table(header, rows):
        print(row)
    print("(requests: as the proxy counted them, per run; ratios compare medians; `pinlint check` is offline)")
    print()
    fix = cases["pinlint-fix"]
    if fix.ok and pindock is not None and pindock.ok:
        print(
            f"pinlint fix / pindock run = {fix.median / pindock.median:.3f}x median, "
            f"{fix.min / pindock.min:.3f}x min (no target set for this benchmark)"
        )
    check = cases.get("pinlint-check")
    if fix.ok and check is not None and check.ok:
        print(
            f"pinlint fix - pinlint check = {fix.median - check.median:.3f} s median: resolving and rewriting, "
            "beyond reading and linting the tree"
        )
    limit = len(s.truth) + EXTRA_REQUESTS
    if fix.requests:
        worst = max(r.proxy for r in fix.requests)
        verdict = "within" if worst <= limit else "ABOVE"
        print(
            f"pinlint fix sent {counts_text([r.proxy for r in fix.requests])} requests for {len(s.truth)} distinct "
            f"references: {verdict} the resolve benchmark's N + 2 = {limit}"
        )
    print()
    print("requests by kind (first run; proxy count, registry access-log count, breakdown)")
    for case in cases.values():
        if case.requests:
            first = case.requests[0]
            print(f"  {case.title:<22} {first.proxy:>5} {first.registry:>5}  {first.describe()}")
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
    print("result trees (every validated run)")
    for case in cases.values():
        if not case.checks:
            continue
        said = ", ".join(f"'{note}' x{k}" for note, k in Counter(case.notes).items())
        for text, k in Counter(c.describe() for c in case.checks).items():
            print(f"  {case.title:<22} {text} ({k} of {case.runs} runs; the tool said: {said})")
    for case in cases.values():
        bad = [c for c in case.checks if not c.ok]
        if bad:
            print(f"!!! {case.title} left a WRONG tree in {len(bad)} run(s); first difference:")
            for line in (bad[0].first_diff or "(no textual difference found)").splitlines():
                print(f"!!!   {line}")
    both = [c for c in (fix, pindock) if c is not None and c.checks]
    if len(both) == 2 and all(c.tree_ok for c in both):
        print("  both tools produced the expected tree: every reference pinned to the pushed digest, they agree")
    for case in cases.values():
        if case.error:
            print(f"FAILED {case.title}: {case.error}")


def json_results(s: Setup, cases: dict[str, Case], context: dict[str, Any]) -> dict[str, Any]:
    n_files = len(s.tree.files)
    pindock = cases.get("pindock")
    fix = cases["pinlint-fix"]

    def case_json(c: Case) -> dict[str, Any]:
        return {
            "title": c.title,
            "samples_s": c.samples,
            "min_s": c.min if c.ok else None,
            "median_s": c.median if c.ok else None,
            "per_file_ms": 1000 * c.median / n_files if c.ok else None,
            "requests_proxy": [r.proxy for r in c.requests],
            "requests_registry_log": [r.registry for r in c.requests],
            "request_kinds_first_run": dict(c.requests[0].kinds) if c.requests else None,
            "tree_checks": [
                {
                    "identical_files": t.identical,
                    "files": t.files,
                    "pinned_ok": t.pinned_ok,
                    "pinned_wrong": t.pinned_wrong,
                    "unpinned": t.unpinned,
                }
                for t in c.checks
            ],
            "tool_said": c.notes,
            "error": c.error,
        }

    return {
        "benchmark": "bench/fix.py",
        "schema": 1,
        **json_facts(s.args.load_before),
        "settings": {
            "files": s.tree.dockerfiles,
            "compose_files": s.tree.compose_files,
            "refs": len(s.truth),
            "repos": s.args.repos,
            "kind": s.args.kind,
            "latency_ms": s.args.latency_ms,
            "repeat": s.args.repeat,
            "warmup": s.args.warmup,
            "seed": s.args.seed,
            "pinlint_concurrency": s.args.pinlint_concurrency,
        },
        "tree": {"reference_uses": s.tree.uses, "distinct_references": s.tree.distinct},
        "context": context,
        "cases": {key: case_json(c) for key, c in cases.items()},
        "ratio_fix_over_pindock": (
            fix.median / pindock.median if fix.ok and pindock is not None and pindock.ok else None
        ),
    }


# --------------------------------------------------------------------------------------------


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def not_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def not_negative(text: str) -> float:
    value = float(text)
    if value < 0 or math.isnan(value):
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time pinlint fix against pindock run on a generated tree, "
        "with a local registry behind a latency proxy.",
        epilog="Details: the module docstring of bench/fix.py.",
    )
    parser.add_argument("--files", type=positive, default=500, help="Dockerfiles in the tree (500)")
    parser.add_argument(
        "--compose-files",
        type=not_negative_int,
        default=0,
        help="Compose files added to the tree, with literal image: references (0)",
    )
    parser.add_argument("--refs", type=positive, default=200, help="distinct references (200)")
    parser.add_argument("--repos", type=positive, default=20, help="repositories the tags are spread over (20)")
    parser.add_argument("--latency-ms", type=not_negative, default=10.0, help="proxy latency per direction, ms (10)")
    parser.add_argument("--repeat", type=positive, default=3, help="timed runs per tool (3)")
    parser.add_argument("--warmup", type=not_negative_int, default=1, help="untimed validated runs per tool (1)")
    parser.add_argument("--seed", type=int, default=0, help="tree seed (0)")
    parser.add_argument("--kind", choices=IMAGE_KINDS, default="multi-oci", help="what each tag points to")
    parser.add_argument("--no-check", action="store_true", help="leave out the offline `pinlint check` row")
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
    parser.add_argument("--keep-trees", action="store_true", help="keep each run's result tree in WORKDIR/runs")
    parser.add_argument("--json-out", type=Path, help="write the raw results to this file")
    parser.add_argument("--pinlint", metavar="CMD", help="command to run pinlint (split like a shell)")
    parser.add_argument("--pindock", metavar="PATH", help="pindock executable")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds before one tool run counts as failed (900)"
    )
    return parser.parse_args(argv)


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


def run(args: argparse.Namespace) -> int:
    args.load_before = load_average()
    with workdir_for(args.workdir, "fix", MARKER) as workdir:
        return run_in(args, workdir)


def run_in(args: argparse.Namespace, workdir: Path) -> int:
    pinlint, pinlint_note = find_pinlint(args.pinlint)
    pindock = find_executable("pindock", args.pindock)
    if pindock is None:
        progress("pindock not found (`pip install pindock` provides it): its column is skipped")
    env = isolated_env(workdir)
    if pinlint[:2] == [sys.executable, "-m"]:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), env.get("PYTHONPATH"))))
    kind: ImageKind = args.kind
    repos: dict[str, list[str]] = {}
    order: list[str] = []
    for i in range(args.refs):
        repo, tag = f"team/app-{i % args.repos:02d}", f"{1 + i // 50}.{i % 50}.{i % 4}"
        repos.setdefault(repo, []).append(tag)
        order.append(f"{repo}:{tag}")

    progress(f"starting the registry and a {args.latency_ms:g} ms proxy in {workdir}")
    with Testbed(workdir, args.latency_ms) as bed:
        progress(f"pushing {args.refs} {kind} images into {len(repos)} repositories")
        pushed = bed.push(repos, kind)
        refs = [f"{bed.host}/{key}" for key in order]
        truth = {f"{bed.host}/{key}": digest for key, digest in pushed.items()}
        progress(f"generating {args.files} Dockerfiles and {args.compose_files} Compose files")
        start = time.perf_counter()
        tree = generate_tree(refs, args.files, args.compose_files, args.seed)
        template = workdir / "template"
        tree.write(template)
        generate_seconds = time.perf_counter() - start
        config = workdir / "pinlint.toml"
        write_pinlint_config(config, bed.host, args.pinlint_concurrency)
        s = Setup(args, workdir, bed, tree, template, truth, env, config, pinlint, pindock)

        versions = {
            "pinlint": f"{tool_version([*pinlint, '--version'], env) or 'version unknown'}: "
            f"{shlex.join(pinlint)} [{pinlint_note}]",
            "pindock": (
                f"{tool_version([pindock, '--version'], env) or 'version unknown'}: {pindock}"
                if pindock
                else "not found: skipped"
            ),
        }
        cases: dict[str, Case] = {"pinlint-fix": Case("pinlint-fix", "pinlint fix")}
        if pindock:
            cases["pindock"] = Case("pindock", "pindock run")
        if not args.no_check:
            cases["pinlint-check"] = Case("pinlint-check", "pinlint check (offline)")
        rtt = bed.round_trip_ms(f"/v2/{order[0].replace(':', '/manifests/', 1)}")
        for i in range(args.warmup):
            progress(f"validating run {i + 1}/{args.warmup} (untimed)")
            repetition(s, cases, f"warmup-{i + 1}", timed=False, reverse=bool(i % 2))
        for i in range(args.repeat):
            progress(f"repetition {i + 1}/{args.repeat}")
            repetition(s, cases, f"rep-{i + 1}", timed=True, reverse=bool(i % 2))
        context: dict[str, Any] = {"tools": versions, "round_trip_ms": rtt, "generate_s": generate_seconds}
        report(s, cases, context)
        if args.json_out:
            data = json_results(s, cases, context)
            args.json_out.parent.mkdir(parents=True, exist_ok=True)
            args.json_out.write_text(json.dumps(data, indent=2) + "\n")
            print(f"\nraw results written to {args.json_out}")
    bad = any(c.error or not c.tree_ok for c in cases.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
