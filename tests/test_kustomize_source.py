"""Kustomize: `images:` entries as image uses (corpus in tests/data/kustomize, one kustomization
tree per case, each file citing its source), manifests under `resources:` checked as Kubernetes,
overrides judged once (at the entry), the same verdict whichever files a run is given, and a
digest line inserted by `fix`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corpus import DATA, cited, expected, report_lines

from pinlint.discover import kind_of
from pinlint.sources.registry import KINDS, SUPPRESS_LINE

Cli = Callable[..., Any]
Write = Callable[..., Path]
CASES = sorted(p.name for p in (DATA / "kustomize").iterdir() if p.is_dir())
DIGEST = "sha256:" + "0" * 64


def copy_case(case: str, project: Path) -> None:
    shutil.copytree(DATA / "kustomize" / case, project / case)
    (project / ".git").mkdir(exist_ok=True)  # the project is a repository: its root bounds the index


def test_the_corpus_is_cited_and_large_enough() -> None:
    assert len(CASES) >= 20
    files = [p for p in (DATA / "kustomize").rglob("*") if p.is_file() and p.name != "expected.txt"]
    assert [p.name for p in files if not cited(p)] == []


def test_the_corpus_reads_as_expected(cli: Cli, project: Path) -> None:
    found = []
    for case in CASES:
        copy_case(case, project)
        run = cli("check", "--no-config", "--format", "json", case)
        found += report_lines(json.loads(run.out))
    assert found == expected("kustomize")


@pytest.mark.parametrize("case", ["images-reference", "overlay-newtag", "overlay-digest", "component", "multibases"])
def test_checking_one_file_gives_the_verdict_of_the_whole_run(cli: Cli, project: Path, case: str) -> None:
    copy_case(case, project)
    whole = report_lines(json.loads(cli("check", "--no-config", "--format", "json", ".").out))
    for path in sorted((project / case).rglob("*")):
        if path.is_file():
            rel = path.relative_to(project).as_posix()
            alone = report_lines(json.loads(cli("check", "--no-config", "--format", "json", rel).out))
            # (a kustomization named alone also checks its resources: compare this file's lines)
            mine = [line for line in alone if line.startswith(f"{rel}:")]
            assert mine == [line for line in whole if line.startswith(f"{rel}:")], rel


def test_an_override_is_reported_once_at_the_entry(cli: Cli, project: Path) -> None:
    copy_case("overlay-newtag", project)
    run = cli("check", "--no-config", ".")
    entry = "overlay-newtag/overlays/production/kustomization.yaml:7:11"
    assert run.lines[:1] == [f"{entry}: PIN003 [*] error: Image 'osixia/openldap:1.5.0' is not pinned to a digest"]
    assert "Found 1 error" in run.out


def test_a_manifest_no_kustomization_overrides_is_reported(cli: Cli, write: Write) -> None:
    write(".git/HEAD", "")
    write("base/kustomization.yaml", "resources: [pod.yaml]\nimages:\n- {name: redis, newTag: '7.2@" + DIGEST + "'}\n")
    write("base/pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: nginx:1.27}\n")
    run = cli("check", "--no-config", ".")
    assert run.lines[0] == "base/pod.yaml:5:22: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest"


def test_resources_are_followed_when_the_kustomization_is_named(cli: Cli, project: Path) -> None:
    copy_case("hello-world", project)
    run = cli("check", "--no-config", "hello-world/kustomization.yaml")
    assert (
        run.lines[0]
        == "hello-world/deployment.yaml:12:16: PIN003 [*] error: Image 'monopole/hello:1' is not pinned to a digest"
    )
    assert "in 1 of 3 files checked" in run.out


def test_nothing_outside_the_project_is_read(cli: Cli, project: Path) -> None:
    copy_case("outside-the-tree", project)
    run = cli("check", "--no-config", "--format", "json", "outside-the-tree/kustomization.yaml")
    report = json.loads(run.out)
    assert report == {"version": 1, "diagnostics": [], "files_checked": 1}


def test_kustomization_names_and_suppression_scope() -> None:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization", "KUSTOMIZATION.YAML"):
        assert kind_of(f"deploy/{name}", explicit=False) == "kustomize"
    assert kind_of("deploy/kustomization.json", explicit=False) is None
    assert KINDS["kustomize"].suppression == SUPPRESS_LINE


def test_fix_inserts_a_digest_line_and_update_moves_it(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    text = f"images:\n- name: app\n  newName: {registry.host}/test/app\n  newTag: multi-oci\n"
    write("kustomization.yaml", text.replace("\n", "\r\n"))
    run = cli("fix", "--no-config")
    assert run.code == 0, run.out + run.err
    pinned = (text + f"  digest: {images['multi-oci'].digest}\n").replace("\n", "\r\n")
    assert Path("kustomization.yaml").read_bytes() == pinned.encode()
    assert cli("check", "--no-config").code == 0
    # update rewrites the digest in place when the tag moved
    stale = pinned.replace(images["multi-oci"].digest, DIGEST)
    write("kustomization.yaml", stale)
    run = cli("update", "--no-config")
    assert Path("kustomization.yaml").read_bytes() == pinned.encode(), run.out + run.err


def test_a_kustomization_linked_from_outside_is_not_read(write: Write, cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: [../pod.yaml]\nimages:\n- {name: nginx, newTag: '1'}\n")
    write(".git/HEAD", "")
    write("pod.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: nginx:1.27}\n")
    (Path("linked")).mkdir()
    Path("linked/kustomization.yaml").symlink_to(outside / "kustomization.yaml")
    run = cli("check", "--no-config", "pod.yaml")  # the override in the linked file does not count
    assert run.lines[0] == "pod.yaml:5:22: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest"


def test_lock_then_fix_from_lock_writes_the_locked_digest(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    text = f"images:\n- name: app\n  newName: {registry.host}/test/app\n  newTag: single-oci\n"
    write("kustomization.yaml", text)
    run = cli("lock", "--no-config")
    assert run.code == 0, run.out + run.err
    assert f'reference = "{registry.host}/test/app:single-oci"' in Path("pinlint.lock").read_text()
    assert cli("check", "--no-config").code == 1  # the lock does not pin the file: fix does
    run = cli("fix", "--no-config", "--from-lock")
    assert run.code == 0, run.out + run.err
    assert Path("kustomization.yaml").read_text() == text + f"  digest: {images['single-oci'].digest}\n"
