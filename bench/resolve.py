"""Benchmark resolving tags: `pinlint resolve` and `pinlint fix` against `pindock run` (and
`skopeo inspect` when installed) on a real registry behind a latency proxy.

One run starts `docker-registry` on a free loopback port, pushes the largest `--tags` count of
distinct tags (one small multi-platform OCI image each, over `--repos` repositories), puts a
proxy adding `--latency-ms` per direction in front of it (a child process), and for each count
N in `--tags` times, alternating the tools every round:

* `pinlint resolve -v IMAGE...` with an empty digest cache (cold) and with the cache a
  previous run filled (warm);
* `pinlint fix` and `pindock run` on a fresh copy of one Dockerfile with N `FROM` lines;
* `skopeo inspect` once per reference, one after the other (only with `--skopeo`);
* "httpx alone" (`httpx_floor.py`): the same HEAD requests with httpx's synchronous client on
  a thread pool and nothing else, the floor under pinlint on this machine (a ratio to pindock
  below this row's cannot be reached while pinlint keeps httpx).

Every answer is checked against the pushed digests, and the requests each run sent are counted
by the proxy and from the registry's access log (unique references + token requests is the
floor; this registry needs no token). The report gives medians, peak RSS, the ratio to pindock
and the machine's load.

    python bench/resolve.py                              # 10, 100 and 200 tags, 10 ms, 3 rounds
    python bench/resolve.py --tags 1000 --repeat 1       # the big case, alone
    python bench/resolve.py --tags 50 --latency-ms 25 --json-out /tmp/resolve.json

Exit status: 0 when every tool ran and agreed on every digest, 1 when one failed or differed,
2 for bad arguments or a missing server.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import (
    BenchError,
    Measure,
    Run,
    Testbed,
    ToolFailure,
    alternate,
    find_peer,
    find_pinlint,
    load_average,
    machine_facts,
    measured_env,
    positive,
    progress,
    report,
    run_measured,
    terminate_on_sigterm,
    tool_version,
    workdir_for,
)

FROM_LINE = re.compile(r"^FROM\s+(\S+)", re.MULTILINE)
SUMMARY = re.compile(r"pinlint: \d+ registry requests?, \d+ answers? from the cache")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tags", default="10,100,200", help="comma-separated reference counts (one case each)")
    parser.add_argument("--repos", type=positive, default=20, help="repositories the tags are spread over")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="added by the proxy in each direction")
    parser.add_argument("--repeat", type=positive, default=3, help="timed rounds per tool")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per tool run")
    parser.add_argument("--pinlint", help="how to start pinlint (default: the console script beside this Python)")
    parser.add_argument("--pindock", help="the pindock executable (default: beside this Python, else on PATH)")
    parser.add_argument("--no-pindock", action="store_true", help="measure pinlint alone")
    parser.add_argument("--skopeo", action="store_true", help="also time skopeo inspect per reference, if installed")
    parser.add_argument("--workdir", type=Path, help="keep the scratch files here (default: a temporary dir)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    try:
        counts = sorted({positive(t) for t in args.tags.split(",") if t.strip()})
    except ValueError:
        parser.error("--tags: comma-separated positive numbers")
    if not counts:
        parser.error("--tags: give at least one count")
    try:
        with terminate_on_sigterm(), workdir_for(args.workdir, "resolve") as workdir:
            return run(args, counts, workdir)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def digests_from_dockerfile(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for image in FROM_LINE.findall(path.read_text()):
        ref, sep, digest = image.rpartition("@")
        found[ref if sep else image] = digest if sep else "(left unpinned)"
    return found


def run(args: argparse.Namespace, counts: list[int], workdir: Path) -> int:
    load_before = load_average()
    env = measured_env(workdir)
    pinlint = find_pinlint(args.pinlint)
    pindock = find_peer("pindock", args.pindock, args.no_pindock)
    skopeo = find_peer("skopeo", None, not args.skopeo)
    extra: dict[str, Any] = {
        "pinlint": f"{' '.join(pinlint)} ({tool_version([*pinlint, '--version'])})",
        "pindock": f"{pindock} ({tool_version([pindock, '--version'])})" if pindock else "not found (skipped)",
        "skopeo": f"{skopeo}" if skopeo else "not run (--skopeo, Debian package skopeo)",
    }
    progress(f"starting the registry and a {args.latency_ms:g} ms proxy")
    with Testbed(workdir, args.latency_ms) as bed:
        order = [(f"bench/svc-{i % args.repos:02d}", f"1.{i // args.repos}.{i % 3}") for i in range(max(counts))]
        repos: dict[str, list[str]] = {}
        for repo, tag in order:
            repos.setdefault(repo, []).append(tag)
        start = time.perf_counter()
        pushed = bed.push(repos)
        extra["registry"] = (
            f"docker-registry behind a {args.latency_ms:g} ms/direction proxy at {bed.host}; "
            f"{len(pushed)} tags pushed in {time.perf_counter() - start:.1f} s"
        )
        config = workdir / "pinlint.toml"
        config.write_text(f'[registries."{bed.host}"]\ninsecure = true  # plain HTTP on loopback\n')
        measures: list[Measure] = []
        for n in counts:
            refs = [f"{bed.host}/{repo}:{tag}" for repo, tag in order[:n]]
            truth = {f"{bed.host}/{key}": digest for key, digest in pushed.items() if f"{bed.host}/{key}" in refs}
            measures += cases_for(n, refs, truth, args, bed, workdir, env, config, pinlint, pindock, skopeo)
        alternate(measures, args.repeat)
        return report(
            f"resolving tags through a {args.latency_ms:g} ms proxy", measures, machine_facts(load_before), extra,
            args.json_out,
        )  # fmt: skip


def cases_for(
    n: int, refs: list[str], truth: dict[str, str], args: argparse.Namespace, bed: Testbed, workdir: Path,
    env: dict[str, str], config: Path, pinlint: list[str], pindock: str | None, skopeo: str | None,
) -> list[Measure]:  # fmt: skip
    """The measures of one tag count; each run checks every digest and counts its requests."""
    case = f"{n} tags"
    scratch = workdir / f"tags-{n}"
    scratch.mkdir()
    template = "".join(f"FROM {ref}\n" for ref in refs)
    runs = 0

    def counted(measure: Measure, action: Callable[[], tuple[Run, dict[str, str], list[str]]]) -> Callable[[], Run]:
        def run() -> Run:
            bed.begin_count()
            done, digests, notes = action()
            requests = bed.end_count()
            wrong = [ref for ref, digest in truth.items() if digests.get(ref) != digest]
            if wrong or set(digests) - set(truth):
                raise ToolFailure(f"{len(wrong)} of {n} digests wrong or missing, e.g. {wrong[:2]}")
            floor = f"floor {n} = {n} unique references + 0 token requests (no auth)"
            measure.notes[:] = [f"{requests.proxy} requests ({requests.describe()}); {floor}", *notes]
            return done

        return run

    def fresh(name: str) -> Path:
        nonlocal runs
        runs += 1
        directory = scratch / f"{name.replace(' ', '-')}-{runs}"
        directory.mkdir()
        return directory

    def pinlint_resolve(cache: Path | None) -> tuple[Run, dict[str, str], list[str]]:
        run_env = dict(env, XDG_CACHE_HOME=str(cache or fresh("cache")))
        argv = [*pinlint, "resolve", "-v", "--config", str(config), *refs]
        done = run_measured("pinlint resolve", argv, cwd=scratch, env=run_env, timeout=args.timeout)
        digests = {}
        for line in done.stdout.decode(errors="replace").split():
            ref, _, digest = line.rpartition("@")
            digests[ref] = digest
        summary = SUMMARY.search(done.stderr.decode(errors="replace"))
        return done, digests, [summary.group(0) if summary else "(no -v summary line)"]

    def on_dockerfile(tool: str, argv: list[str]) -> tuple[Run, dict[str, str], list[str]]:
        directory = fresh(tool)
        (directory / "Dockerfile").write_text(template)
        run_env = dict(env, XDG_CACHE_HOME=str(directory / "cache"))
        done = run_measured(tool, [*argv, "Dockerfile"], cwd=directory, env=run_env, timeout=args.timeout, ok=(0, 1))
        return done, digests_from_dockerfile(directory / "Dockerfile"), []

    def httpx_alone() -> tuple[Run, dict[str, str], list[str]]:
        argv = [sys.executable, str(Path(__file__).with_name("httpx_floor.py")), *refs]
        done = run_measured("httpx alone", argv, cwd=scratch, env=env, timeout=args.timeout)
        digests = {}
        for line in done.stdout.decode(errors="replace").split():
            ref, _, digest = line.rpartition("@")
            digests[ref] = digest
        return done, digests, []

    def skopeo_each() -> tuple[Run, dict[str, str], list[str]]:
        assert skopeo is not None
        total, digests, peak = 0.0, dict[str, str](), 0
        for ref in refs:
            argv = [skopeo, "inspect", "--tls-verify=false", "--format", "{{.Digest}}", f"docker://{ref}"]
            done = run_measured("skopeo", argv, cwd=scratch, env=env, timeout=args.timeout)
            total, peak = total + done.seconds, max(peak, done.max_rss_kib)
            digests[ref] = done.stdout.decode().strip()
        return Run(total, 0, b"", b"", peak), digests, []

    warm_cache = scratch / "warm-cache"  # filled by the warm-up run
    measures = [
        Measure(case, "pinlint resolve (cold)", n),
        Measure(case, "pinlint resolve (warm)", n),
        Measure(case, "pinlint fix", n),
    ]
    actions: list[Callable[[], tuple[Run, dict[str, str], list[str]]]] = [
        lambda: pinlint_resolve(None),
        lambda: pinlint_resolve(warm_cache),
        lambda: on_dockerfile("pinlint fix", [*pinlint, "fix", "--config", str(config)]),
    ]
    if pindock:
        measures.append(Measure(case, "pindock run", n))
        actions.append(lambda: on_dockerfile("pindock run", [pindock, "run"]))
    measures.append(Measure(case, "httpx alone (floor)", n))
    actions.append(httpx_alone)
    if skopeo:
        measures.append(Measure(case, "skopeo inspect xN", n))
        actions.append(skopeo_each)
    for measure, action in zip(measures, actions, strict=True):
        measure.run = counted(measure, action)
    return measures


if __name__ == "__main__":
    sys.exit(main())
