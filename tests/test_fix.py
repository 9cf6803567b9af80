"""`pinlint fix`: pin every fixable reference in place against the real test registry, changing
nothing else — golden before/after files, byte-level formatting, modes, symlinks, atomic
writes (a SIGKILL never leaves half a file), concurrent runs and the planning step itself.

Golden cases live in tests/data/fix/<case>/{before,after}/: `{registry}` stands for the test
registry's host and `{digest:TAG}` for the digest of `{registry}/test/app:TAG`, both filled in
at run time. Each case also runs with CRLF line ends, a BOM and no final newline, applied
to both sides.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pinlint import fix as fix_module
from pinlint.discover import kind_of
from pinlint.fix import FileChange, Plan, plan_pins, unified_diff, write_changes
from pinlint.model import FileFacts
from pinlint.runner import SourceRecord
from pinlint.sources.dockerfile import parse_dockerfile

Cli = Callable[..., Any]
Write = Callable[..., Path]

DATA = Path(__file__).parent / "data" / "fix"
PLACEHOLDER = re.compile(r"\{(registry|digest:[a-z-]+)\}")
TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]+\.pinlint-tmp$")
BOM = b"\xef\xbb\xbf"


pytestmark = pytest.mark.usefixtures("isolated")


def fill(text: str, host: str, images: Any) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "registry":
            return host
        return str(images[name.split(":", 1)[1]].digest)

    return PLACEHOLDER.sub(value, text)


# -- golden files ------------------------------------------------------------------------------

VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "lf": lambda data: data,
    "crlf": lambda data: data.replace(b"\n", b"\r\n"),
    "bom": lambda data: BOM + data,
    "no-final-newline": lambda data: data[:-1] if data.endswith(b"\n") else data,
    "crlf-bom-no-final-newline": lambda data: BOM + data.replace(b"\n", b"\r\n")[:-2],
}
CASES = sorted(p.name for p in DATA.iterdir() if (p / "before").is_dir())


def golden(case: str, side: str, host: str, images: Any, variant: str) -> dict[str, bytes]:
    root = DATA / case / side
    return {
        p.relative_to(root).as_posix(): VARIANTS[variant](fill(p.read_text(encoding="utf-8"), host, images).encode())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def put(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def contents(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_golden_cases_exist() -> None:
    assert {"multi-stage", "compose-anchors", "escape-directive"} <= set(CASES)
    for case in CASES:
        assert sorted(os.listdir(DATA / case / "before")) == sorted(os.listdir(DATA / case / "after")), case


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, variant: str, cli: Cli, project: Path, registry: Any, images: Any) -> None:
    before = golden(case, "before", registry.host, images, variant)
    after = golden(case, "after", registry.host, images, variant)
    put(project, before)
    run = cli("fix", "--no-config", *before)
    assert contents(project) == after, run.err
    assert re.search(r"^Pinned \d+ references? in 1 file\.$", run.err, re.M), run.err
    # what is left is reported: the composed references, with a pointer to the lock file
    composed = [line for line in run.lines if "composed from several parts" in line]
    assert all(line.endswith("(composed from several parts; cover it with `pinlint lock`)") for line in composed)
    assert run.code == (1 if composed else 0), run.out + run.err
    assert not [line for line in run.lines if "PIN900" in line], run.out

    again = cli("fix", "--no-config", *before)
    assert contents(project) == after
    assert "Pinned" not in again.err
    assert again.code == run.code


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("case", CASES)
def test_golden_diff_applies_with_patch_and_writes_nothing(
    case: str, variant: str, cli: Cli, project: Path, registry: Any, images: Any
) -> None:
    if shutil.which("patch") is None:
        pytest.skip("patch is not installed")
    before = golden(case, "before", registry.host, images, variant)
    after = golden(case, "after", registry.host, images, variant)
    put(project, before)
    run = cli("fix", "--no-config", "--diff", *before)
    assert run.code == 1, run.err
    assert contents(project) == before  # --diff writes nothing
    assert re.search(r"^Would pin \d+ references? in 1 file\.$", run.err, re.M), run.err
    for rel in before:  # the files a fix changes (a Helm chart's Chart.yaml is only read)
        assert (f"--- a/{rel}\n" in run.out and f"+++ b/{rel}\n" in run.out) is (before[rel] != after[rel])
    copy = project.parent / "patched"
    put(copy, before)
    applied = subprocess.run(
        ["patch", "-p1", "--batch", "--silent", "--no-backup-if-mismatch"],
        cwd=copy,
        input=run.out.encode(),
        capture_output=True,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert contents(copy) == after


# -- single behaviours -------------------------------------------------------------------------


def test_same_reference_everywhere_is_resolved_once(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    ref = f"{registry.host}/test/app:multi-oci"
    write("Dockerfile", f"ARG B={ref}\nFROM {ref} AS a\nFROM $B\nCOPY --from={ref} /a /b\n")
    write("svc/Dockerfile", f"FROM {ref}\n")
    write("compose.yaml", f"services:\n  a:\n    image: {ref}\n  b:\n    image: '{ref}'\n")
    registry.clear_requests()
    run = cli("fix", "--no-config")
    assert run.code == 0, run.out + run.err
    assert "Pinned 6 references in 3 files." in run.err
    assert registry.count(path=r"^/v2/test/app/manifests/multi-oci$") == 1, registry.requests


def test_unresolvable_references_stay_and_exit_3(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    host = registry.host
    text = f"FROM {host}/test/app:no-such-tag AS a\nFROM {host}/test/app:multi-oci\nFROM {host}/test/nothing-here\n"
    path = write("Dockerfile", text)
    run = cli("fix", "--no-config")
    assert run.code == 3, run.out + run.err
    assert path.read_text() == (
        f"FROM {host}/test/app:no-such-tag AS a\n"
        f"FROM {host}/test/app:multi-oci@{images['multi-oci'].digest}\n"
        f"FROM {host}/test/nothing-here\n"
    )
    errors = [line for line in run.err.splitlines() if "could not pin" in line]
    assert len(errors) == 2, run.err
    assert errors[0].startswith(f"Dockerfile:1:6: could not pin '{host}/test/app:no-such-tag': not found")
    assert errors[1].startswith(f"Dockerfile:3:6: could not pin '{host}/test/nothing-here': not found")
    # the two that could not be pinned are still reported as diagnostics
    assert [line.split(" ", 2)[:2] for line in run.lines if "PIN00" in line] == [
        ["Dockerfile:1:6:", "PIN003"],
        ["Dockerfile:3:6:", "PIN002"],
    ]


def test_second_run_changes_nothing_and_exits_0(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    host = registry.host
    path = write("Dockerfile", f"FROM {host}/test/app:single-oci\nFROM {host}/test/app:multi-docker AS b\n")
    first = cli("fix", "--no-config")
    assert first.code == 0, first.out + first.err
    pinned = path.read_bytes()
    assert (
        pinned
        == (
            f"FROM {host}/test/app:single-oci@{images['single-oci'].digest}\n"
            f"FROM {host}/test/app:multi-docker@{images['multi-docker'].digest} AS b\n"
        ).encode()
    )
    second = cli("fix", "--no-config")
    assert (second.code, second.out.strip(), second.err) == (0, "All checks passed! (1 file checked)", "")
    assert path.read_bytes() == pinned
    diff = cli("fix", "--no-config", "--diff")
    assert (diff.code, diff.out, diff.err) == (0, "", "")


def test_a_reference_without_tag_gets_the_digest_of_latest_after_its_name(
    cli: Cli, write: Write, registry: Any
) -> None:
    from registry import ImagePusher

    with ImagePusher.for_registry(registry) as pusher:
        latest = pusher.push_image("test/fix-untagged", "latest", "multi-oci").digest
    host = registry.host
    path = write("Dockerfile", f"FROM {host}/test/fix-untagged\nFROM {host}/test/fix-untagged:latest AS l\n")
    run = cli("fix", "--no-config")
    assert run.code == 0, run.out + run.err
    # the tag stays implicit (PIN002) or explicit (PIN001), as written
    assert path.read_text() == (
        f"FROM {host}/test/fix-untagged@{latest}\nFROM {host}/test/fix-untagged:latest@{latest} AS l\n"
    )


def test_file_mode_is_kept(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    modes = {"a/Dockerfile": 0o600, "b/Dockerfile": 0o755, "c/compose.yaml": 0o640}
    for rel, mode in modes.items():
        if rel.endswith(".yaml"):
            write(rel, f"services:\n  a:\n    image: {registry.host}/test/app:single-oci\n").chmod(mode)
        else:
            write(rel, f"FROM {registry.host}/test/app:single-oci\n").chmod(mode)
    run = cli("fix", "--no-config")
    assert run.code == 0, run.out + run.err
    for rel, mode in modes.items():
        path = Path(rel)
        assert images["single-oci"].digest in path.read_text()
        assert stat.S_IMODE(path.stat().st_mode) == mode, rel


def test_symlinks_write_the_target_and_stay_links(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any
) -> None:
    ref = f"{registry.host}/test/app:multi-docker"
    write("real/Dockerfile", f"FROM {ref} AS x\n")
    (project / "Containerfile").symlink_to(Path("real") / "Dockerfile")
    run = cli("fix", "--no-config", "Containerfile")
    assert run.code == 0, run.out + run.err
    digest = images["multi-docker"].digest
    assert (project / "Containerfile").is_symlink()
    assert os.readlink(project / "Containerfile") == os.path.join("real", "Dockerfile")
    assert (project / "real" / "Dockerfile").read_text() == f"FROM {ref}@{digest} AS x\n"
    assert not [p for p in project.parent.rglob("*.pinlint-tmp")]
    # a link leading out of the project is not followed for writing (issue 12; tests/test_trust.py)


def test_a_link_and_its_target_in_one_run(cli: Cli, write: Write, project: Path, registry: Any, images: Any) -> None:
    ref = f"{registry.host}/test/app:single-docker"
    write("Dockerfile", f"FROM {ref}\n")
    (project / "Dockerfile.link").symlink_to("Dockerfile")
    run = cli("fix", "--no-config", "Dockerfile", "Dockerfile.link")
    assert run.code == 0, run.out + run.err
    assert (project / "Dockerfile").read_text() == f"FROM {ref}@{images['single-docker'].digest}\n"
    assert (project / "Dockerfile.link").is_symlink()


def test_no_temp_files_after_a_normal_run(cli: Cli, write: Write, project: Path, registry: Any, images: Any) -> None:
    for i in range(20):
        write(f"d{i}/Dockerfile", f"FROM {registry.host}/test/app:multi-oci\n")
        write(f"d{i}/compose.yaml", f"services:\n  a:\n    image: {registry.host}/test/app:single-oci\n")
    run = cli("fix", "--no-config")
    assert run.code == 0, run.out + run.err
    assert "Pinned 40 references in 40 files." in run.err
    assert [p.name for p in project.rglob("*") if p.name.endswith(".pinlint-tmp")] == []


def test_a_write_error_is_one_line_exit_2_and_other_files_are_written(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = f"{registry.host}/test/app:single-oci"
    write("a/Dockerfile", f"FROM {ref}\n")
    write("b/Dockerfile", f"FROM {ref}\n")
    real_write = fix_module.write_atomic

    def failing(path: Path, text: str, *, bom: bool, sync_directory: bool = True, within: Any = None) -> Path:
        if path.parent.name == "a":
            raise OSError(30, "Read-only file system")
        return real_write(path, text, bom=bom, sync_directory=sync_directory, within=within)

    monkeypatch.setattr(fix_module, "write_atomic", failing)
    run = cli("fix", "--no-config")
    assert run.code == 2, run.out + run.err
    assert run.err.strip().splitlines() == ["pinlint: error: cannot write a/Dockerfile: Read-only file system"]
    assert (project / "a" / "Dockerfile").read_text() == f"FROM {ref}\n"
    assert (project / "b" / "Dockerfile").read_text() == f"FROM {ref}@{images['single-oci'].digest}\n"


# -- planning: spans, re-parse, overlaps, files changed meanwhile (no registry needed) ----------

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def _record(path: Path, text: str, bom: bool = False) -> SourceRecord:
    return SourceRecord(path, "dockerfile", text, bom)


def _reparse(text: str, record: SourceRecord) -> FileFacts:
    return parse_dockerfile(text, "Dockerfile")


def test_plan_inserts_right_after_the_reference_as_written(tmp_path: Path) -> None:
    text = "ARG B=python:3.12\nFROM $B\nFROM \\\n  python:3.12 AS b\n"
    facts = parse_dockerfile(text, "Dockerfile")
    plan = plan_pins(
        facts.images,
        {"docker.io/library/python:3.12": DIGEST_A},
        {},
        {"Dockerfile": _record(tmp_path / "Dockerfile", text)},
        _reparse,
    )
    assert plan.failures == []
    assert [c.new_text for c in plan.changes] == [
        f"ARG B=python:3.12@{DIGEST_A}\nFROM $B\nFROM \\\n  python:3.12@{DIGEST_A} AS b\n"
    ]
    assert plan.count == 2


def test_plan_refuses_a_result_that_no_longer_holds_the_pin(tmp_path: Path) -> None:
    text = "FROM python:3.12\n"
    facts = parse_dockerfile(text, "Dockerfile")

    def forgetful(new_text: str, record: SourceRecord) -> FileFacts:
        return parse_dockerfile("FROM scratch\n", "Dockerfile")

    plan = plan_pins(
        facts.images,
        {"docker.io/library/python:3.12": DIGEST_A},
        {},
        {"Dockerfile": _record(tmp_path / "Dockerfile", text)},
        forgetful,
    )
    assert plan.changes == []
    assert [f.reason for f in plan.failures] == ["not written: 'python:3.12' is not pinned in the result"]


def test_plan_refuses_a_result_with_a_new_parse_error(tmp_path: Path) -> None:
    text = "FROM python:3.12\n"
    facts = parse_dockerfile(text, "Dockerfile")

    def broken(new_text: str, record: SourceRecord) -> FileFacts:
        if new_text == text:
            return parse_dockerfile(text, "Dockerfile")
        return parse_dockerfile(f"FROM python:3.12@{DIGEST_A} y z w\n", "Dockerfile")

    plan = plan_pins(
        facts.images,
        {"docker.io/library/python:3.12": DIGEST_A},
        {},
        {"Dockerfile": _record(tmp_path / "Dockerfile", text)},
        broken,
    )
    assert plan.changes == []
    (failure,) = plan.failures
    assert failure.reason.startswith("not written: the result does not parse cleanly (")


def test_plan_refuses_overlapping_edits(tmp_path: Path) -> None:
    text = "FROM python:3.12\n"
    (use,) = parse_dockerfile(text, "Dockerfile").images
    other = parse_dockerfile("FROM pypy:3.10\n", "Dockerfile").images[0]
    # a second use claiming the same insertion point with another digest
    clash = use._replace(ref=other.ref)
    plan = plan_pins(
        [use, clash],
        {"docker.io/library/python:3.12": DIGEST_A, "docker.io/library/pypy:3.10": DIGEST_B},
        {},
        {"Dockerfile": _record(tmp_path / "Dockerfile", text)},
        _reparse,
    )
    assert plan.changes == []
    assert {f.reason for f in plan.failures} == {"conflicting edits at offsets 16-16 and 16-16"}


def test_plan_reports_what_could_not_be_resolved(tmp_path: Path) -> None:
    text = "FROM python:3.12\nFROM node:20\n"
    facts = parse_dockerfile(text, "Dockerfile")
    plan = plan_pins(
        facts.images,
        {"docker.io/library/python:3.12": DIGEST_A},
        {"docker.io/library/node:20": "429 rate limited, retried 3 times"},
        {"Dockerfile": _record(tmp_path / "Dockerfile", text)},
        _reparse,
    )
    assert [c.new_text for c in plan.changes] == [f"FROM python:3.12@{DIGEST_A}\nFROM node:20\n"]
    assert [(f.use.text, f.reason) for f in plan.failures] == [("node:20", "429 rate limited, retried 3 times")]


def _one_change(path: Path, text: str, bom: bool = False) -> Plan:
    facts = parse_dockerfile(text, "Dockerfile")
    plan = plan_pins(
        facts.images,
        {"docker.io/library/python:3.12": DIGEST_A},
        {},
        {"Dockerfile": _record(path, text, bom)},
        _reparse,
    )
    assert len(plan.changes) == 1
    return plan


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.12\n")
    plan = _one_change(path, "FROM python:3.12\n")
    path.write_text("FROM python:3.12\nRUN edited meanwhile\n")
    write_changes(plan)
    assert path.read_text() == "FROM python:3.12\nRUN edited meanwhile\n"
    assert plan.changes == [] and plan.count == 0
    assert [f.reason for f in plan.failures] == [
        "not written: the file changed since pinlint read it; run pinlint again"
    ]


def test_a_file_another_run_already_pinned_counts_as_written(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(BOM + b"FROM python:3.12\r\n")
    plan = _one_change(path, "FROM python:3.12\r\n", bom=True)
    path.write_bytes(BOM + f"FROM python:3.12@{DIGEST_A}\r\n".encode())
    before = path.stat().st_mtime_ns, path.stat().st_ino
    write_changes(plan)
    assert plan.count == 1 and plan.failures == []
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before  # not rewritten


def test_unified_diff_marks_a_missing_final_newline_and_keeps_the_bom(tmp_path: Path) -> None:
    record = SourceRecord(tmp_path / "Dockerfile", "dockerfile", "FROM a\nFROM b", True)
    change = FileChange("Dockerfile", record, "FROM a\nFROM b@x", 1)
    assert unified_diff(change) == (
        "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n"
        " \ufeffFROM a\n-FROM b\n\\ No newline at end of file\n+FROM b@x\n\\ No newline at end of file\n"
    )


def test_unified_diff_splits_lines_at_lf_only(tmp_path: Path) -> None:
    if shutil.which("patch") is None:
        pytest.skip("patch is not installed")
    text = "FROM a\rRUN x\x0cy\u2028z\r\nFROM b\n"
    new_text = "FROM a\rRUN x\x0cy\u2028z\r\nFROM b@x\n"
    record = SourceRecord(tmp_path / "Dockerfile", "dockerfile", text, False)
    diff = unified_diff(FileChange("Dockerfile", record, new_text, 1))
    assert diff.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\rRUN x")
    (tmp_path / "Dockerfile").write_bytes(text.encode())
    applied = subprocess.run(["patch", "-p1", "--batch", "--silent"], cwd=tmp_path, input=diff.encode())
    assert applied.returncode == 0
    assert (tmp_path / "Dockerfile").read_bytes() == new_text.encode()


# -- processes: SIGKILL in the middle, two runs at once ---------------------------------------

TREE_DIRS = 25
FILES_PER_DIR = 6  # half Dockerfiles, half Compose files: 150 files, 375 references
KILLS = 12
LOCK_KILLS = 8  # the first half at random moments, the second half inside the write


def _tree(host: str, digests: dict[str, str]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(old, new) content of every file of a tree of Dockerfiles and Compose files."""

    def pin(tag: str) -> str:
        return f"{host}/test/app:{tag}@{digests[tag]}"

    old: dict[str, bytes] = {}
    new: dict[str, bytes] = {}
    for d in range(TREE_DIRS):
        for f in range(FILES_PER_DIR // 2):
            a, b, c = (("multi-oci", "single-oci", "multi-docker"), ("multi-attest", "single-docker", "multi-oci"))[
                (d + f) % 2
            ]
            docker = "FROM {a} AS build\nCOPY --from={b} /x /y\nRUN make\nFROM {c}\nCOPY --from=build /o /o\n"
            compose = 'services:\n  web:\n    image: {a}\n  db:\n    image: "{b}"\n'
            for name, template in ((f"{f}.Dockerfile", docker), (f"compose.{f}.yaml", compose)):
                rel = f"d{d:02d}/{name}"
                plain = {k: f"{host}/test/app:{v}" for k, v in (("a", a), ("b", b), ("c", c))}
                pinned = {k: pin(v) for k, v in (("a", a), ("b", b), ("c", c))}
                old[rel] = template.format(**plain).encode()
                new[rel] = template.format(**pinned).encode()
    return old, new


def _reset(root: Path, files: dict[str, bytes]) -> None:
    if root.exists():
        shutil.rmtree(root)
    put(root, files)


def _state(root: Path) -> tuple[dict[str, bytes], list[Path]]:
    files = {}
    temps = []
    for path in root.rglob("*"):
        if path.name.endswith(".pinlint-tmp"):
            temps.append(path)
        elif path.is_file():
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files, temps


def _check_old_or_new(root: Path, old: dict[str, bytes], new: dict[str, bytes]) -> int:
    """Assert every file is wholly old or wholly new and every leftover temp file is a hidden,
    never-discovered sibling holding (part of) a new text; returns how many files are new."""
    files, temps = _state(root)
    assert set(files) == set(old)
    for rel, data in files.items():
        assert data in (old[rel], new[rel]), f"{rel} is neither old nor new:\n{data!r}"
    for temp in temps:
        assert TEMP.match(temp.name), temp.name
        assert kind_of(temp.name, explicit=False) is None
        original = temp.parent / temp.name[1:].rsplit(".", 2)[0]
        rel = original.relative_to(root).as_posix()
        assert new[rel].startswith(temp.read_bytes()), f"{temp.name} holds something else"
    return sum(files[rel] == new[rel] for rel in files)


def _pinlint(*argv: str) -> list[str]:
    return [sys.executable, "-m", "pinlint", *argv]


@pytest.fixture
def slow_registry(fault_proxy: Callable[..., Any], registry: Any, images: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """A proxy adding latency in front of the test registry, so that resolving takes a while."""
    proxy = fault_proxy(registry, latency_ms=40)
    yield proxy.host, {tag: image.digest for tag, image in images.items()}


def test_sigkill_during_fix_leaves_every_file_old_or_new(
    tmp_path: Path, isolated: dict[str, str], slow_registry: tuple[str, dict[str, str]]
) -> None:
    """SIGKILL at random moments — while parsing, resolving and writing — leaves each file
    wholly old or wholly new. What a kill can leave behind is the temporary file being
    written (`.<name>.<random>.pinlint-tmp`, a prefix of the new text): it never replaces a
    real file, is not discovered, and the next run finishes the job."""
    host, digests = slow_registry
    old, new = _tree(host, digests)
    root = tmp_path / "tree"
    argv = _pinlint("fix", "--no-config", "--no-cache", ".")
    first = sorted(old)[0]  # files are written in display order

    _reset(root, old)
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=root, env=isolated, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first_written = None
    while process.poll() is None:
        if first_written is None and (root / first).read_bytes() != old[first]:
            first_written = time.monotonic()
        time.sleep(0.002)
    ended = time.monotonic()
    total = ended - started
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert _state(root) == (new, [])
    assert first_written is not None
    writing = ended - first_written

    rng = random.Random(1129)
    partial = 0
    for attempt in range(KILLS):
        _reset(root, old)
        process = subprocess.Popen(argv, cwd=root, env=isolated, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt % 2:  # anywhere in the run
            time.sleep(rng.uniform(0.05, total))
        else:  # inside the writing phase: after the first file changed
            deadline = time.monotonic() + 10 * total
            while (root / first).read_bytes() == old[first] and process.poll() is None:
                assert time.monotonic() < deadline, "fix never wrote the first file"
                time.sleep(0.001)
            time.sleep(rng.uniform(0, writing * 0.7))  # the measured phase ends with the process exit
        process.send_signal(signal.SIGKILL)
        process.wait()
        done = _check_old_or_new(root, old, new)
        partial += 0 < done < len(old)

    assert partial >= 1, "no kill landed while files were being written; the test proves nothing"
    # after the last kill, a normal run finishes the job and leaves the stray temp files alone
    _files, temps_before = _state(root)
    finish = subprocess.run(argv, cwd=root, env=isolated, capture_output=True)
    assert finish.returncode == 0, finish.stderr
    files, temps = _state(root)
    assert files == new
    assert sorted(temps) == sorted(temps_before)


def _undated(lock: bytes) -> bytes:
    """A lock file's text with every `resolved-at` value blanked (a new run stamps its own time)."""
    return re.sub(rb"(?m)^resolved-at = .*$", b"resolved-at = -", lock)


def _stop_inside_lock_write(process: subprocess.Popen[bytes], root: Path, timeout: float) -> bool:
    """Poll for the lock's temporary file and SIGSTOP `process` the moment it appears; True when
    the process is then stopped with the temp file still there (between its creation and the
    rename), False when the run ended or renamed first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        with os.scandir(root) as entries:
            if any(e.name.startswith(".pinlint.lock.") for e in entries):
                process.send_signal(signal.SIGSTOP)
                return any(root.glob(".pinlint.lock.*.pinlint-tmp"))
    return False


def test_sigkill_during_lock_leaves_the_lock_old_or_new(
    tmp_path: Path, isolated: dict[str, str], slow_registry: tuple[str, dict[str, str]]
) -> None:
    """SIGKILL at random moments and inside the write of the lock (the process is stopped while
    its temporary file exists, then killed) leaves the lock wholly old, absent, or wholly new."""
    host, digests = slow_registry
    old, _new = _tree(host, digests)
    root = tmp_path / "tree"
    argv = _pinlint("lock", "--no-config", "--no-cache", ".")
    _reset(root, old)
    started = time.monotonic()
    subprocess.run(argv, cwd=root, env=isolated, check=True, capture_output=True)
    total = time.monotonic() - started
    new_lock = (root / "pinlint.lock").read_bytes()
    # an older lock: one image fewer and another digest for one of them
    old_lock = re.sub(rb"sha256:[0-9a-f]{64}", b"sha256:" + b"1" * 64, new_lock, count=1)
    rng = random.Random(7)
    inside_write = 0
    for attempt in range(LOCK_KILLS):
        _reset(root, old)
        if attempt % 2:
            (root / "pinlint.lock").write_bytes(old_lock)
        process = subprocess.Popen(argv, cwd=root, env=isolated, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt < LOCK_KILLS // 2:  # anywhere near the end of the run
            time.sleep(rng.uniform(total * 0.5, total * 1.1))
        elif _stop_inside_lock_write(process, root, 10 * total):
            inside_write += 1
            for temp in root.glob(".pinlint.lock.*.pinlint-tmp"):  # what is written so far is new text
                assert _undated(new_lock).startswith(_undated(temp.read_bytes())), temp.name
        process.send_signal(signal.SIGKILL)
        process.wait()
        lock = root / "pinlint.lock"
        found = lock.read_bytes() if lock.exists() else None
        if found != (old_lock if attempt % 2 else None):
            assert found is not None and _undated(found) == _undated(new_lock), found
        assert all(TEMP.match(temp.name) for temp in root.glob(".pinlint.lock.*"))
        assert _state(root)[0].keys() - {"pinlint.lock"} == old.keys()  # the sources are never touched
    assert inside_write >= 1, "no kill landed while the lock was being written; the test proves nothing"


def test_two_concurrent_fix_runs_leave_consistent_files(
    tmp_path: Path, isolated: dict[str, str], slow_registry: tuple[str, dict[str, str]]
) -> None:
    host, digests = slow_registry
    old, new = _tree(host, digests)
    root = tmp_path / "tree"
    _reset(root, old)
    argv = _pinlint("fix", "--no-config", "--no-cache", ".")
    runs = [
        subprocess.Popen(argv, cwd=root, env=isolated, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"
    ]
    results = [(p.wait(timeout=60), p.communicate()) for p in runs]
    for code, (_out, err) in results:
        assert code == 0, err.decode()
    assert _state(root) == (new, [])
