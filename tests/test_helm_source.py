"""Helm values: image blocks (Bitnami, plain, ingress-nginx) and image strings at any depth, the
chart's appVersion as the default tag, `global.imageRegistry`, found only beside a Chart.yaml
(corpus in tests/data/helm, each values file citing its source), and what `fix` writes."""

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
CASES = sorted(p.name for p in (DATA / "helm").iterdir() if p.is_dir())
CHART = "apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: '2.0'\n"


def test_the_corpus_is_cited_and_large_enough() -> None:
    values = sorted((DATA / "helm").glob("*/values*.yaml"))
    assert len(values) >= 20
    assert [p.parent.name for p in values if not cited(p)] == []


def test_the_corpus_reads_as_expected(cli: Cli, project: Path) -> None:
    found = []
    for case in CASES:
        shutil.copytree(DATA / "helm" / case, project / case)
        run = cli("check", "--no-config", "--format", "json", case)
        found += report_lines(json.loads(run.out))
    assert found == expected("helm")


def test_values_are_read_only_beside_a_chart(write: Write, cli: Cli) -> None:
    write("chart/values.yaml", "image: {repository: nginx, tag: '1.27'}\n")
    write("loose/values.yaml", "image: {repository: nginx, tag: '1.27'}\n")
    write("chart/Chart.yaml", CHART)
    assert kind_of("chart/values.yaml", explicit=False) == "helm-values"
    assert kind_of("chart/values-prod.yml", explicit=False) == "helm-values"  # values*.yaml, values*.yml
    assert kind_of("loose/values.yaml", explicit=False) is None
    assert kind_of("chart/Chart.yaml", explicit=False) is None
    run = cli("check", "--no-config", ".")
    assert run.lines == [
        "chart/values.yaml:1:34: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest",
        "Found 1 error in 1 of 1 file checked.",
        "[*] 1 fixable with `pinlint fix`.",
    ]
    assert KINDS["helm-values"].suppression == SUPPRESS_LINE


def test_a_template_that_reads_a_digest_makes_fix_add_the_field(write: Write, cli: Cli) -> None:
    write("chart/Chart.yaml", CHART)
    write("chart/templates/deployment.yaml", 'image: "{{ .Values.image.repository }}@{{ .Values.image.digest }}"\n')
    write("chart/values.yaml", "image:\n  repository: nginx\n  tag: '1.27'\n")
    run = cli("check", "--no-config", "--format", "json", "chart/values.yaml")
    [diagnostic] = json.loads(run.out)["diagnostics"]
    assert diagnostic["fixable"] is True and diagnostic["kind"] == "helm-image"


def test_an_app_version_tag_without_a_digest_field_is_left_to_the_lock(write: Write, cli: Cli) -> None:
    write("chart/Chart.yaml", CHART)
    write("chart/values.yaml", "image:\n  repository: ghcr.io/acme/app\n  tag: ''\n")
    run = cli("check", "--no-config", "chart")
    assert run.lines[0] == (
        "chart/values.yaml:2:15: PIN003 error: Image 'ghcr.io/acme/app:2.0' is not pinned to a digest"
        " (composed from several parts; cover it with `pinlint lock`)"
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fix_fills_adds_or_appends_and_a_second_run_changes_nothing(
    write: Write, cli: Cli, registry: Any, images: Any, newline: str
) -> None:
    host = registry.host
    write("chart/Chart.yaml", CHART.replace("'2.0'", "multi-attest"))
    values = (
        f"a:\n  image:\n    registry: {host}\n    repository: test/app\n    tag: single-oci\n    digest: ''\n"
        f"b:\n  image:\n    repository: {host}/test/app\n"
    )
    write("chart/values.yaml", values.replace("\n", newline))
    run = cli("fix", "--no-config", "chart")
    assert run.code == 0, run.out + run.err
    digest = {tag: images[tag].digest for tag in ("single-oci", "multi-attest")}
    fixed = values.replace("digest: ''", f"digest: '{digest['single-oci']}'")
    fixed += f"    digest: {digest['multi-attest']}\n"  # from appVersion; the chart has digest fields
    assert Path("chart/values.yaml").read_bytes() == fixed.replace("\n", newline).encode()
    again = cli("fix", "--no-config", "chart")
    assert again.code == 0 and "Pinned" not in again.err
    assert Path("chart/values.yaml").read_bytes() == fixed.replace("\n", newline).encode()


def test_chart_files_linked_from_outside_are_not_read(write: Write, cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\nappVersion: 'secret-9'\n")
    write("chart/values.yaml", "image:\n  repository: nginx\n")
    Path("chart/Chart.yaml").symlink_to(outside / "Chart.yaml")
    run = cli("check", "--no-config", "chart/values.yaml")
    assert "secret" not in run.out
    assert run.lines[0].startswith("chart/values.yaml:2:15: PIN002 [*] error: Image 'nginx' has no tag")
