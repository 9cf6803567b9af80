"""`pinlint update` against the real test registry: a tag re-pushed with new content gets only its
digest replaced, in every syntax form, and the lock file follows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pinlint import lockfile
from pinlint.commands.update import lock_tags, refresh_lock
from pinlint.registry.client import Manifest

Cli = Callable[..., Any]
Write = Callable[..., Path]

T1 = dt.datetime(2026, 11, 29, 10, 0, 0, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2026, 12, 24, 18, 30, 5, tzinfo=dt.timezone.utc)
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


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

    def push(self, seed: str, kind: str = "multi-oci") -> Any:
        return self.pusher.push_image(self.repo, "v1", kind, seed=f"{self.repo}:{seed}")  # type: ignore[arg-type]


@pytest.fixture
def moving(registry: Any, request: pytest.FixtureRequest) -> Iterator[Moving]:
    repo = "test/" + request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:50].rstrip("-")
    moving = Moving(registry, repo)
    yield moving
    moving.pusher.close()


def test_update_replaces_only_the_digest_of_a_moved_tag(
    cli: Cli, write: Write, project: Path, moving: Moving, registry: Any, images: Any
) -> None:
    old = moving.push("one").digest
    host = registry.host
    unchanged = f"{host}/test/app:single-oci@{images['single-oci'].digest}"
    dockerfile = (
        "\ufeff# syntax={ref}@{d}\r\n"
        "ARG BASE='{ref}@{d}'\r\n"
        "FROM --platform=$BUILDPLATFORM $BASE AS build\r\n"
        "COPY --from={ref}@{d} /a /b\r\n"
        "RUN --mount=type=bind,from={ref}@{d},target=/x \\\r\n"
        "\tmake\r\n"
        "FROM {unchanged}\r\n"
        "from {ref}@{d} as last"
    )
    compose = (
        'x-img: &img "{ref}@{d}"  # anchor\n'
        "services:\n"
        "  a:\n    image: *img\n"
        "  b:\n    image: ${{B_IMAGE:-{ref}@{d}}}\n"
        "  c: {{image: '{ref}@{d}', restart: always}}\n"
    )
    path = write("Dockerfile", dockerfile.format(ref=moving.ref, d=old, unchanged=unchanged).encode())
    path.chmod(0o640)
    write("compose.yaml", compose.format(ref=moving.ref, d=old))
    new = moving.push("two").digest
    run = cli("update", "--no-config")
    assert run.code == 0, run.out + run.err
    assert run.err == f"Updated 8 references in 2 files.\n{moving.ref}: {old} → {new}\n"  # what moved, once
    assert run.out == "All checks passed! (2 files checked)\n"  # the files as written, linted again
    assert path.read_bytes() == dockerfile.format(ref=moving.ref, d=new, unchanged=unchanged).encode()
    assert (project / "compose.yaml").read_text() == compose.format(ref=moving.ref, d=new)
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    again = cli("update", "--no-config")
    assert (again.code, again.out, again.err) == (0, "", "")


def test_update_rewrites_a_cache_from_ref_field_like_a_plain_cache_from_entry(
    cli: Cli, write: Write, project: Path, moving: Moving
) -> None:
    # Regression: the `type=registry,ref=` form had no digest span, so update refused it (exit 3).
    old = moving.push("one").digest
    write("app/Dockerfile", "FROM scratch\n")
    compose = (
        "services:\n"
        "  app:\n"
        "    build:\n"
        "      context: app\n"
        "      cache_from:\n"
        "        - {ref}@{d}\n"
        "        - type=registry,ref={ref}@{d}\n"
    )
    write("compose.yaml", compose.format(ref=moving.ref, d=old))
    new = moving.push("two").digest
    run = cli("update", "--no-config")
    assert run.code == 0, run.out + run.err
    assert run.err == f"Updated 2 references in 1 file.\n{moving.ref}: {old} → {new}\n"
    assert (project / "compose.yaml").read_text() == compose.format(ref=moving.ref, d=new)


def test_update_exits_1_not_3_when_a_moved_digest_cannot_be_rewritten(
    cli: Cli, write: Write, moving: Moving
) -> None:
    # The registry answered; the digest is composed from two places, so it is left for the user.
    old = moving.push("one").digest
    text = f"ARG HEX={old.removeprefix('sha256:')}\nFROM {moving.ref}@sha256:${{HEX}}\n"
    path = write("Dockerfile", text)
    moving.push("two")
    run = cli("update", "--no-config")
    assert run.code == 1, run.out + run.err
    assert "could not update" in run.err and "composed from several parts" in run.err
    assert path.read_text() == text


def test_update_diff_writes_nothing(cli: Cli, write: Write, moving: Moving) -> None:
    old = moving.push("one").digest
    path = write("Dockerfile", f"FROM {moving.ref}@{old}\n")
    new = moving.push("two").digest
    run = cli("update", "--no-config", "--diff")
    assert run.code == 1
    assert run.out == (
        f"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-FROM {moving.ref}@{old}\n+FROM {moving.ref}@{new}\n"
    )
    assert run.err == f"Would update 1 reference in 1 file.\n{moving.ref}: {old} → {new}\n"
    assert path.read_text() == f"FROM {moving.ref}@{old}\n"


def test_update_asks_only_about_pinned_references_and_past_the_cache(
    cli: Cli, write: Write, moving: Moving, registry: Any
) -> None:
    old = moving.push("one").digest
    write("Dockerfile", f"FROM {moving.ref}\n")
    assert cli("fix", "--no-config").code == 0  # puts the tag's digest in the cache
    new = moving.push("two").digest
    registry.clear_requests()
    write("other/Dockerfile", f"FROM {registry.host}/test/app:multi-oci\n")
    run = cli("update", "--no-config")
    assert run.code == 0, run.err
    assert run.err == f"Updated 1 reference in 1 file.\n{moving.ref}: {old} → {new}\n"
    paths = {path for _, path in registry.requests}
    assert f"/v2/{moving.repo}/manifests/v1" in paths
    assert not any("/test/app/" in path for path in paths)  # not pinned: not update's business


def test_update_turns_a_platform_manifest_pin_into_the_index(
    cli: Cli, write: Write, registry: Any, images: Any
) -> None:
    ref = f"{registry.host}/test/app:multi-docker"
    child = images["multi-docker"].platforms["linux/arm64/v8"]
    path = write("Dockerfile", f"FROM {ref}@{child}\n")
    run = cli("update", "--no-config")
    assert run.code == 0, run.err
    assert path.read_text() == f"FROM {ref}@{images['multi-docker'].digest}\n"


def test_update_reports_a_tag_that_is_gone_and_exits_3(
    cli: Cli, write: Write, moving: Moving, registry: Any, images: Any
) -> None:
    old = moving.push("one").digest
    moving.pusher.delete_manifest(moving.repo, old)  # deletes the tag with it
    text = f"FROM {moving.ref}@{old}\nFROM {registry.host}/test/app:multi-oci@{images['multi-oci'].digest}\n"
    path = write("Dockerfile", text)
    run = cli("update", "--no-config")
    assert run.code == 3
    assert path.read_text() == text
    assert f"Dockerfile:1:6: could not update '{moving.ref}@{old}': not found" in run.err


def test_update_rewrites_the_lock_entry_of_a_moved_tag(
    cli: Cli, write: Write, project: Path, moving: Moving, registry: Any, images: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = moving.push("one").digest
    write("Dockerfile", f"FROM {moving.ref}\nFROM {registry.host}/test/app:single-oci\n")
    assert cli("fix", "--no-config").code == 0
    assert cli("lock", "--no-config").code == 0
    new = moving.push("two")
    monkeypatch.setattr(lockfile, "now", lambda: T2)
    run = cli("update", "--no-config")
    assert run.code == 0, run.err
    moved = f"{moving.ref}: {old} → {new.digest}"
    assert run.err == f"Updated 1 reference in 1 file.\n{moved}\npinlint.lock: {moved}\nUpdated pinlint.lock.\n"
    entries = lockfile.read(project / "pinlint.lock")
    moved = entries[moving.ref]
    assert (moved.digest, moved.media_type, moved.resolved_at) == (new.digest, OCI_INDEX, T2)
    kept = entries[f"{registry.host}/test/app:single-oci"]
    assert (kept.digest, kept.resolved_at) == (images["single-oci"].digest, T1)
    assert cli("check", "--no-config", "--select", "PIN008").code == 0


def test_update_keeps_the_platform_tables_of_the_lock(cli: Cli, write: Write, project: Path, moving: Moving) -> None:
    moving.push("one")
    write("Dockerfile", f"FROM {moving.ref}\n")
    assert cli("fix", "--no-config").code == 0
    assert cli("lock", "--no-config", "--platforms", "linux/amd64").code == 0
    new = moving.push("two")
    assert cli("update", "--no-config").code == 0
    (entry,) = lockfile.read(project / "pinlint.lock").values()
    assert dict(entry.platforms) == {"linux/amd64": new.platforms["linux/amd64"]}


def test_update_refreshes_what_only_the_lock_pins(cli: Cli, write: Write, project: Path, moving: Moving) -> None:
    moving.push("one")
    repo_host, _, _ = moving.ref.partition("/")
    write("Dockerfile", f"ARG TAG=v1\nFROM {repo_host}/{moving.repo}:$TAG\n")
    assert cli("lock", "--no-config").code == 0
    new = moving.push("two")
    assert cli("update", "--no-config").code == 0
    (entry,) = lockfile.read(project / "pinlint.lock").values()
    assert entry.digest == new.digest


# -- refresh_lock: what the CLI should call (unit) ---------------------------------------------


def _entry(key: str, digest: str, platforms: dict[str, str] | None = None) -> lockfile.LockEntry:
    return lockfile.LockEntry(key, digest, OCI_INDEX, T1, ("Dockerfile",), platforms or {})


def test_refresh_lock_replaces_moved_entries_and_maps_their_platforms() -> None:
    a, b, c = ("sha256:" + ch * 64 for ch in "abc")
    lock = {
        "docker.io/library/python:3.12": _entry("docker.io/library/python:3.12", a, {"linux/arm64/v8": "x"}),
        "docker.io/library/node:latest": _entry("docker.io/library/node:latest", b),
        "ghcr.io/o/x:1": _entry("ghcr.io/o/x:1", c),
    }
    assert [str(ref) for ref in lock_tags(lock)] == list(lock)
    answers = {
        "docker.io/library/python:3.12": Manifest(b, OCI_INDEX, 1, {"linux/amd64": "p1", "linux/arm64": "p2"}),
        "docker.io/library/node:latest": Manifest(b, OCI_INDEX, 1),  # unchanged
    }
    refreshed = refresh_lock(lock, answers)
    assert refreshed["docker.io/library/python:3.12"] == lockfile.LockEntry(
        "docker.io/library/python:3.12", b, OCI_INDEX, T1, ("Dockerfile",), {"linux/arm64/v8": "p2"}
    )
    assert refreshed["docker.io/library/node:latest"] is lock["docker.io/library/node:latest"]
    assert refreshed["ghcr.io/o/x:1"] is lock["ghcr.io/o/x:1"]  # not resolved: kept
