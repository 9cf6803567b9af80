"""The on-disk tag → digest cache: TTL, --no-cache, corrupt files, concurrent runs."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from registry import ImageSet, Registry

from pinlint.cli import main
from pinlint.config import Config, RegistrySettings
from pinlint.reference import parse
from pinlint.registry.cache import DigestCache, cache_dir
from pinlint.resolve import resolve_digests

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    for name in ("REGISTRY_AUTH_FILE", "DOCKER_AUTH_CONFIG", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cache" / "pinlint"


def test_cache_dir_follows_xdg_and_home() -> None:
    assert cache_dir({"XDG_CACHE_HOME": "/x/cache", "HOME": "/h"}) == Path("/x/cache/pinlint")
    assert cache_dir({"HOME": "/h"}) == Path("/h/.cache/pinlint")


def test_put_save_and_read_back(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path, ttl=60)
    cache.put("k", DIGEST_A, "application/vnd.oci.image.index.v1+json", 123)
    cache.save()
    again = DigestCache(tmp_path, ttl=60).get("k")
    assert again is not None and (again.digest, again.size) == (DIGEST_A, 123)
    assert (tmp_path / "digests.json").stat().st_mode & 0o077 == 0  # private to the user


def test_entries_expire_after_the_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = DigestCache(tmp_path, ttl=60)
    cache.put("k", DIGEST_A, "t", None)
    cache.save()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    assert DigestCache(tmp_path, ttl=60).get("k") is None
    assert DigestCache(tmp_path, ttl=3600).get("k") is not None


def test_entries_from_the_future_are_not_trusted(tmp_path: Path) -> None:
    document = {"format": 1, "entries": {"k": {"digest": DIGEST_A, "media_type": "t", "size": 1,
                                               "stored_at": time.time() + 86400}}}  # fmt: skip
    (tmp_path / "digests.json").write_text(json.dumps(document))
    assert DigestCache(tmp_path, ttl=3600).get("k") is None


def test_ttl_zero_disables_the_cache(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path, ttl=0)
    cache.put("k", DIGEST_A, "t", None)
    cache.save()
    assert not (tmp_path / "digests.json").exists() and cache.get("k") is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\x00\xff\xfe binary",
        b"[]",
        b'{"format": 99, "entries": {}}',
        b'{"format": 1, "entries": []}',
        b'{"format": 1, "entries": {"k": 1, "j": [], "i": {"digest": "nope", "media_type": "t", "stored_at": 1}}}',
    ],
)
def test_a_corrupt_file_is_treated_as_empty_and_replaced(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "digests.json").write_bytes(content)
    cache = DigestCache(tmp_path, ttl=60)
    assert cache.get("k") is None
    cache.put("k", DIGEST_A, "t", None)
    cache.save()
    fresh = DigestCache(tmp_path, ttl=60).get("k")
    assert fresh is not None and fresh.digest == DIGEST_A


def test_an_unwritable_cache_never_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = DigestCache(blocker / "pinlint", ttl=60)
    cache.put("k", DIGEST_A, "t", None)
    cache.save()  # no exception
    assert cache.get("k") is not None  # still answered from memory in this run


def test_saves_merge_with_what_another_run_wrote(tmp_path: Path) -> None:
    first, second = DigestCache(tmp_path, ttl=60), DigestCache(tmp_path, ttl=60)
    assert first.get("x") is None and second.get("x") is None  # both loaded the (empty) file
    first.put("a", DIGEST_A, "t", None)
    second.put("b", DIGEST_B, "t", None)
    first.save()
    second.save()
    merged = DigestCache(tmp_path, ttl=60)
    assert merged.get("a") is not None and merged.get("b") is not None


def _writer(directory: str, index: int) -> None:
    for round_ in range(20):
        cache = DigestCache(Path(directory), ttl=3600)
        cache.get("warm")
        cache.put(f"w{index}-{round_}", "sha256:" + f"{index:02d}{round_:02d}".ljust(64, "0"), "t", None)
        cache.save()


def test_concurrent_runs_lose_nothing_and_never_see_a_half_written_file(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")  # POSIX only, like the fcntl lock it exercises
    workers = [context.Process(target=_writer, args=(str(tmp_path), i)) for i in range(4)]
    for worker in workers:
        worker.start()
    reads = 0
    while any(w.is_alive() for w in workers):
        text = (tmp_path / "digests.json").read_text() if (tmp_path / "digests.json").exists() else ""
        if text:
            json.loads(text)  # always complete JSON
            reads += 1
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    data = json.loads((tmp_path / "digests.json").read_text())
    assert set(data["entries"]) == {f"w{i}-{r}" for i in range(4) for r in range(20)}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".digests-")]  # no temporary files left


# -- through the resolver and the CLI -----------------------------------------------------------


def _config(root: Path, ttl: int = 3600) -> Config:
    return Config(root=root, registry=RegistrySettings(cache_ttl=ttl, retries=0))


def test_a_second_run_is_answered_from_the_cache(
    cache_home: Path, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    refs = [parse(images.reference(tag, registry.host)) for tag in ("multi-oci", "single-docker")]
    first = resolve_digests(refs, _config(tmp_path))
    assert first.requests == 2 and first.cached == 0
    registry.clear_requests()
    second = resolve_digests(refs, _config(tmp_path))
    assert second.requests == 0 and second.cached == 2
    assert {k: m.digest for k, m in second.manifests.items()} == {k: m.digest for k, m in first.manifests.items()}
    assert {k: m.media_type for k, m in second.manifests.items()} == {
        k: m.media_type for k, m in first.manifests.items()
    }
    assert registry.requests == []
    entries = json.loads((cache_home / "digests.json").read_text())["entries"]
    assert set(entries) == {f"v1|{registry.host}/test/app:multi-oci", f"v1|{registry.host}/test/app:single-docker"}


def test_failures_and_digest_references_are_not_cached(
    cache_home: Path, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    digest = images["multi-oci"].digest
    refs = [parse(f"{registry.host}/test/app:nope"), parse(f"{registry.host}/test/app@{digest}")]
    report = resolve_digests(refs, _config(tmp_path))
    assert len(report.errors) == 1 and len(report.manifests) == 1
    assert not (cache_home / "digests.json").exists()


def test_expired_answers_are_asked_again(
    cache_home: Path, registry: Registry, images: ImageSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = parse(images.reference("multi-oci", registry.host))
    resolve_digests([ref], _config(tmp_path, ttl=60))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 120)
    again = resolve_digests([ref], _config(tmp_path, ttl=60))
    assert again.cached == 0 and again.requests == 1


def test_cache_ttl_from_the_config_file_and_no_cache_flag(
    cache_home: Path, registry: Registry, images: ImageSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = images.reference("single-oci", registry.host)
    toml = tmp_path / "pinlint.toml"
    toml.write_text("[registry]\ncache-ttl = 0\n")
    assert main(["resolve", ref, "--config", str(toml)]) == 0
    assert not (cache_home / "digests.json").exists()
    toml.write_text("[registry]\ncache-ttl = 600\n")
    assert main(["resolve", ref, "--config", str(toml), "--no-cache"]) == 0
    assert not (cache_home / "digests.json").exists()
    assert main(["resolve", ref, "--config", str(toml)]) == 0
    assert (cache_home / "digests.json").exists()
    capsys.readouterr()
    registry.clear_requests()
    assert main(["resolve", ref, "--config", str(toml), "-v"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{ref}@{images['single-oci'].digest}\n"
    assert "0 registry requests, 1 answers from the cache" in err
    assert registry.requests == []
    assert main(["resolve", ref, "--config", str(toml), "--no-cache", "-v"]) == 0
    assert "1 registry requests, 0 answers from the cache" in capsys.readouterr().err


def test_the_default_ttl_is_minutes(tmp_path: Path) -> None:
    ttl = RegistrySettings().cache_ttl
    assert 60 <= ttl <= 15 * 60
    cache = DigestCache(tmp_path, ttl=ttl)
    cache.put("k", DIGEST_A, "t", None)
    cache.save()
    assert DigestCache(tmp_path, ttl=ttl).get("k") is not None
    entry = json.loads((tmp_path / "digests.json").read_text())
    entry["entries"]["k"]["stored_at"] -= ttl + 1
    (tmp_path / "digests.json").write_text(json.dumps(entry))
    assert DigestCache(tmp_path, ttl=ttl).get("k") is None


def test_verbose_resolve_says_how_old_the_cached_answers_are(
    cache_home: Path, registry: Registry, images: ImageSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = images.reference("multi-docker", registry.host)
    toml = tmp_path / "pinlint.toml"
    toml.write_text("[registry]\nretries = 0\n")
    assert main(["resolve", ref, "--config", str(toml)]) == 0
    capsys.readouterr()
    assert main(["resolve", ref, "--config", str(toml), "-v"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"0 registry requests, 1 answers from the cache \(the oldest \d+ s old\)\n", err), err


def test_a_run_served_by_the_cache_imports_neither_asyncio_nor_httpx(
    cache_home: Path, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    ref = images.reference("multi-oci", registry.host)
    toml = tmp_path / "pinlint.toml"
    toml.write_text("[registry]\nretries = 0\n")
    assert main(["resolve", ref, "--config", str(toml)]) == 0  # warms the cache
    script = (
        "import sys\n"
        "from pinlint.cli import main\n"
        f"assert main(['resolve', {ref!r}, '--config', {str(toml)!r}]) == 0\n"
        "heavy = ('asyncio', 'httpx', 'httpcore', 'h11', 'anyio', 'ssl')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home.parent)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{ref}@{images['multi-oci'].digest}\n"
