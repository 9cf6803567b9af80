"""The lock belongs to the project (issue 11), against the real test registry: its path comes
from the project root whatever the working directory; partial runs keep every other entry and
only a whole-project `lock` removes one; locked digests move only with `update`; `fix` pins
locked references to the lock and records what it resolves; `--diff` shows the lock; `-v` says
where the answers came from; a single-platform image's own platform comes from its config blob."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pinlint import lockfile

Cli = Callable[..., Any]
Write = Callable[..., Path]
T1 = dt.datetime(2026, 11, 29, 10, 0, 0, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lockfile, "now", lambda: T1)


class Moving:
    """A repository of our own whose tag `v1` we move: `.push(seed)` → the new digest."""

    def __init__(self, registry: Any, repo: str) -> None:
        from registry import ImagePusher

        self.repo = repo
        self.ref = f"{registry.host}/{repo}:v1"
        self.pusher = ImagePusher.for_registry(registry)

    def push(self, seed: str) -> str:
        return str(self.pusher.push_image(self.repo, "v1", "multi-oci", seed=f"{self.repo}:{seed}").digest)


@pytest.fixture
def moving(registry: Any, request: pytest.FixtureRequest) -> Iterator[Moving]:
    repo = "test/p-" + request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:48].rstrip("-")
    moving = Moving(registry, repo)
    yield moving
    moving.pusher.close()


def _entries(project: Path) -> dict[str, lockfile.LockEntry]:
    return lockfile.read(project / "pinlint.lock")


@pytest.mark.parametrize("marker", ["pinlint.toml", ".git"])
def test_lock_from_a_subdirectory_or_with_paths_keeps_every_other_entry(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any, monkeypatch: pytest.MonkeyPatch, marker: str
) -> None:
    host = registry.host
    if marker == ".git":
        (project / ".git").mkdir()  # the repository root, with no configuration file
    else:
        write("pinlint.toml", "")
    no_config = ("--no-config",) if marker == ".git" else ()
    write("app/Dockerfile", f"FROM {host}/test/app:single-oci\n")
    write("compose.yaml", f"services:\n  web:\n    image: {host}/test/app:multi-oci\n")
    assert cli("lock", *no_config).code == 0
    assert set(_entries(project)) == {f"{host}/test/app:single-oci", f"{host}/test/app:multi-oci"}

    # from the subdirectory: the root lock gains app/'s new image and keeps the compose one
    write("app/Dockerfile", f"FROM {host}/test/app:single-oci\nFROM {host}/test/app:multi-docker\n")
    monkeypatch.chdir(project / "app")
    run = cli("lock", *no_config)
    assert run.code == 0, run.err
    assert run.err == "../pinlint.lock: 3 images, written.\n"
    assert not (project / "app" / "pinlint.lock").exists()
    entries = _entries(project)
    assert set(entries) == {f"{host}/test/app:{t}" for t in ("single-oci", "multi-oci", "multi-docker")}
    assert entries[f"{host}/test/app:multi-docker"].sources == ("app/Dockerfile",)
    assert entries[f"{host}/test/app:multi-oci"].sources == ("compose.yaml",)

    # with a path, from the root: an image gone from that file loses the file, not its entry
    monkeypatch.chdir(project)
    write("app/Dockerfile", f"FROM {host}/test/app:single-oci\n")
    write("compose.yaml", f"services:\n  web:\n    image: {host}/test/app:single-oci\n")
    assert cli("lock", *no_config, "app/Dockerfile").code == 0
    entries = _entries(project)
    assert entries[f"{host}/test/app:multi-docker"].sources == ()
    assert entries[f"{host}/test/app:multi-oci"].sources == ("compose.yaml",)  # compose.yaml was not in the run
    assert entries[f"{host}/test/app:single-oci"].sources == ("app/Dockerfile",)

    # only a whole-project lock removes what it no longer finds
    assert cli("lock", *no_config).code == 0
    entries = _entries(project)
    assert set(entries) == {f"{host}/test/app:single-oci"}
    assert entries[f"{host}/test/app:single-oci"].sources == ("app/Dockerfile", "compose.yaml")


def test_check_from_a_subdirectory_reads_the_project_lock(
    cli: Cli, write: Write, project: Path, registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", "")
    write("app/Dockerfile", f"FROM {registry.host}/test/app:single-oci\n")
    assert cli("lock").code == 0
    monkeypatch.chdir(project / "app")
    assert cli("check", "--select", "PIN008").code == 0
    write("app/Dockerfile", f"FROM {registry.host}/test/app:multi-oci\n")
    run = cli("check", "--select", "PIN008", "Dockerfile")
    assert run.code == 1
    assert "is not in pinlint.lock" in run.out


def test_lock_diff_shows_the_lock_and_writes_nothing(cli: Cli, write: Write, project: Path, registry: Any) -> None:
    write("Dockerfile", f"FROM {registry.host}/test/app:single-oci\n")
    run = cli("lock", "--no-config", "--diff")
    assert run.code == 1, run.err
    assert not (project / "pinlint.lock").exists()
    assert run.out.startswith("--- a/pinlint.lock\n+++ b/pinlint.lock\n")
    assert f'+reference = "{registry.host}/test/app:single-oci"\n' in run.out
    assert run.err == "pinlint.lock: 1 image, would change.\n"
    assert cli("lock", "--no-config").code == 0
    unchanged = cli("lock", "--no-config", "--diff")
    assert (unchanged.code, unchanged.out, unchanged.err) == (0, "", "pinlint.lock: 1 image, unchanged.\n")


def test_fix_uses_the_locked_digest_and_records_what_it_resolves(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any, moving: Moving
) -> None:
    locked = moving.push("one")
    write("Dockerfile", f"FROM {moving.ref}\n")
    assert cli("lock", "--no-config").code == 0
    moved = moving.push("two")
    write("new/Dockerfile", f"FROM {moving.ref}\nFROM {registry.host}/test/app:multi-docker\n")
    before = (project / "pinlint.lock").read_text()

    # --diff shows the files and the lock, writes nothing, exits 1
    shown = cli("fix", "--no-config", "--diff")
    assert shown.code == 1, shown.err
    assert f"+FROM {moving.ref}@{locked}\n" in shown.out
    assert moved not in shown.out
    assert "--- a/pinlint.lock\n+++ b/pinlint.lock\n" in shown.out
    assert f'+reference = "{registry.host}/test/app:multi-docker"\n' in shown.out
    assert (project / "pinlint.lock").read_text() == before

    registry.clear_requests()
    run = cli("fix", "--no-config")
    assert run.code == 0, run.err
    assert "Recorded the new references in pinlint.lock." in run.err
    assert not any(moving.repo in path for _, path in registry.requests)  # locked: not asked
    assert (project / "Dockerfile").read_text() == f"FROM {moving.ref}@{locked}\n"
    assert (project / "new/Dockerfile").read_text() == (
        f"FROM {moving.ref}@{locked}\nFROM {registry.host}/test/app:multi-docker@{images['multi-docker'].digest}\n"
    )
    entries = _entries(project)
    assert entries[moving.ref].digest == locked
    assert entries[moving.ref].sources == ("Dockerfile", "new/Dockerfile")
    assert entries[f"{registry.host}/test/app:multi-docker"].digest == images["multi-docker"].digest
    # files and lock agree; a second fix changes nothing
    assert cli("check", "--no-config", "--select", "PIN008").code == 0
    again = cli("fix", "--no-config", "--diff")
    assert (again.code, again.out) == (0, "")


def test_update_diff_shows_the_lock_and_exits_1(cli: Cli, write: Write, project: Path, moving: Moving) -> None:
    old = moving.push("one")
    write("Dockerfile", f"ARG TAG=v1\nFROM {moving.ref.removesuffix(':v1')}:$TAG\n")  # only the lock pins it
    assert cli("lock", "--no-config").code == 0
    before = (project / "pinlint.lock").read_text()
    new = moving.push("two")
    run = cli("update", "--no-config", "--diff")
    assert run.code == 1, run.err
    assert run.out.startswith("--- a/pinlint.lock\n+++ b/pinlint.lock\n")
    assert f'-digest = "{old}"\n+digest = "{new}"\n' in run.out
    assert f"pinlint.lock: {moving.ref}: {old} → {new}\n" in run.err
    assert (project / "pinlint.lock").read_text() == before
    assert cli("update", "--no-config").code == 0
    again = cli("update", "--no-config", "--diff")
    assert (again.code, again.out) == (0, "")


@pytest.mark.parametrize("command", ["fix", "update", "lock", "resolve", "check"])
def test_verbose_says_where_the_answers_came_from(
    cli: Cli, write: Write, registry: Any, images: Any, command: str
) -> None:
    ref = f"{registry.host}/test/app:single-oci"
    write("Dockerfile", f"FROM {ref}@{images['single-oci'].digest}\n" if command in ("update", "check") else "")
    assert cli("resolve", "--no-config", ref).code == 0  # an answer in the cache
    if command not in ("update", "check"):
        write("Dockerfile", f"FROM {ref}\n")
    argv = {"resolve": (ref,), "check": ("--online",), "fix": ("--diff",)}.get(command, ())
    run = cli(command, "--no-config", "-v", *argv)
    assert run.code in (0, 1), run.err
    found = re.findall(r"pinlint: (\d+) registry requests, (\d+) answers from the cache", run.err)
    assert found, run.err
    if command in ("fix", "resolve"):  # the 5-minute cache may answer these
        assert ("0", "1") in found
        assert re.search(r"1 answers from the cache \(the oldest \d+ s old\)", run.err)
    else:  # these ask the registry anyway
        assert all(cached == "0" and requests != "0" for requests, cached in found)


def test_a_single_platform_image_records_its_own_platform_from_its_config(registry: Any) -> None:
    from registry import ImagePusher
    from registry.images import docker_manifest, oci_manifest

    from pinlint.config import Config
    from pinlint.reference import parse
    from pinlint.resolve import resolve_digests

    with ImagePusher.for_registry(registry) as pusher:
        arm = pusher.push("test/own-platform", oci_manifest("linux/arm64/v8", seed="own-arm"), "arm")
        arm32 = pusher.push("test/own-platform", docker_manifest("linux/arm/v6", seed="own-arm32"), "arm32")
    refs = [parse(f"{registry.host}/test/own-platform:{tag}") for tag in ("arm", "arm32")]
    registry.clear_requests()
    report = resolve_digests(refs, Config(root=Path.cwd()), use_cache=False, want_platforms=True, own_platform=True)
    assert report.errors == {}
    answers = [report.manifests[str(r)] for r in refs]
    assert [(m.digest, m.platform) for m in answers] == [(arm, "linux/arm64"), (arm32, "linux/arm/v6")]
    blobs = [path for _, path in registry.requests if "/blobs/" in path]
    assert len(blobs) == 2  # one config blob each, nothing else
    plain = resolve_digests(refs, Config(root=Path.cwd()), use_cache=False, want_platforms=True)
    assert [plain.manifests[str(r)].platform for r in refs] == [None, None]  # not asked: not fetched
