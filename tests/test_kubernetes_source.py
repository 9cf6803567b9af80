"""Kubernetes manifests: detection by content, every workload kind and the documented CRD fields
(corpus in tests/data/kubernetes, each file citing its source), multi-document files and
`kind: List`, templates, suppressions, JSON/SARIF `kind` values, CRLF, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from corpus import DATA, cited, describe, expected

from pinlint.discover import kind_of
from pinlint.sources.kubernetes import read_manifest
from pinlint.sources.registry import KINDS, SUPPRESS_LINE

Cli = Callable[..., Any]
Write = Callable[..., Path]
CORPUS = sorted((DATA / "kubernetes").glob("*.yaml"))
TEMPLATE = "PIN903 info: template with {{ … }} actions, not YAML until rendered: not checked"
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27\n"


def test_the_corpus_is_cited_and_large_enough() -> None:
    assert len(CORPUS) >= 20
    assert [p.name for p in CORPUS if not cited(p)] == []


def test_the_corpus_reads_as_expected() -> None:
    found = []
    for path in CORPUS:
        found += describe(read_manifest(path.read_text(encoding="utf-8"), path.name, path, None), path.name)
    assert found == expected("kubernetes")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_crlf_gives_the_same_spans(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lf = describe(read_manifest(text, path.name, path, None), path.name)
    crlf = describe(read_manifest(text.replace("\n", "\r\n"), path.name, path, None), path.name)
    assert crlf == lf


@pytest.mark.parametrize(
    ("head", "expected_kind"),
    [
        (POD, "kubernetes"),
        ("# a comment\n---\napiVersion: apps/v1\nkind: Deployment\n", "kubernetes"),
        ("kind: Pod\napiVersion: 'v1'\n", "kubernetes"),
        ("apiVersion: v1\n", None),  # no kind
        ("metadata:\n  apiVersion: v1\n  kind: Pod\n", None),  # not at the top level
        ("services:\n  web:\n    image: nginx\n", None),
    ],
)
def test_manifests_are_found_by_content(head: str, expected_kind: str | None) -> None:
    name = PurePosixPath("deploy/app.yaml")
    assert KINDS.kind_for(name, explicit=False, head=lambda: head.encode()) == expected_kind


def test_the_walk_finds_manifests_by_content_whatever_their_name(write: Write, cli: Cli) -> None:
    write("deploy/web.yml", POD)
    write("deploy/notes.yaml", "title: not a manifest\n")
    assert kind_of("deploy/web.yml", explicit=False) == "kubernetes"
    assert kind_of("deploy/notes.yaml", explicit=False) is None
    run = cli("check", "--no-config", ".")
    assert run.lines[0] == "deploy/web.yml:8:12: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest"
    assert "in 1 of 1 file checked" in run.out


def test_yaml_comments_suppress_their_line_and_the_next() -> None:
    assert KINDS["kubernetes"].suppression == SUPPRESS_LINE


def test_cli_reports_every_workload_with_its_kind_in_json(cli: Cli, write: Write) -> None:
    for path in CORPUS:
        write(f"corpus/{path.name}", path.read_bytes())
    run = cli("check", "--no-config", "--format", "json", "corpus")
    report = json.loads(run.out)
    by_place = {(d["path"].rsplit("/", 1)[1], d["line"], d["code"]): d for d in report["diagnostics"]}
    cron = by_place[("cronjob-hello.yaml", 15, "PIN003")]
    assert (cron["column"], cron["end_column"], cron["kind"], cron["image"]) == (
        20,
        32,
        "kubernetes-container",
        "busybox:1.28",
    )
    assert by_place[("list.yaml", 13, "PIN001")]["expanded"] == "docker.io/library/nginx:latest"
    assert by_place[("replicationcontroller.yaml", 19, "PIN002")]["fixable"] is True
    assert by_place[("argo-parameters.yaml", 15, "PIN004")]["kind"] == "kubernetes-container"
    assert by_place[("tekton-task.yaml", 21, "PIN003")]["kind"] == "kubernetes-sidecar"
    assert by_place[("ephemeral-containers.yaml", 13, "PIN003")]["kind"] == "kubernetes-ephemeral-container"
    assert by_place[("helm-template.yaml", 3, "PIN903")]["severity"] == "info"
    assert by_place[("duplicate-key.yaml", 14, "PIN900")]["severity"] == "error"
    # the comment `# pinlint: ignore=PIN003` on the image line silences it
    assert not [k for k in by_place if k[0] == "multi-doc-nginx-app.yaml"]
    # pinned references and data that merely looks like an image are not reported
    assert not [k for k in by_place if k[0] in ("pinned-by-digest.yaml", "not-a-workload.yaml")]
    assert report["files_checked"] == len(CORPUS)


def test_sarif_carries_the_kubernetes_kind(cli: Cli, write: Write) -> None:
    write("pod.yaml", POD)
    run = cli("check", "--no-config", "--format", "sarif", "pod.yaml")
    result = json.loads(run.out)["runs"][0]["results"][0]
    assert result["ruleId"] == "PIN003"
    assert "kubernetes-container" in json.dumps(result)


def test_a_template_is_one_finding_and_never_a_parse_error(cli: Cli, write: Write) -> None:
    write("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
    write(
        "chart/templates/deployment.yaml",
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: "{{ .Release.Name }}"\n',
    )
    write("chart/templates/static.yaml", POD)  # no action at all: plain YAML, read as a manifest
    write("chart/templates/pod.yaml", "{{- if .Values.on }}\n" + POD + "{{- end }}\n")
    write("raw/pod.yaml", POD.replace("nginx:1.27", "{{ .Values.image }}"))
    run = cli("check", "--no-config", ".")
    assert run.lines[:4] == [
        f"chart/templates/deployment.yaml:4:10: {TEMPLATE}",
        f"chart/templates/pod.yaml:1:1: {TEMPLATE}",
        "chart/templates/static.yaml:8:12: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest",
        f"raw/pod.yaml:8:12: {TEMPLATE}",
    ]
    assert "PIN900" not in run.out
    assert cli("check", "--no-config", "chart/templates/deployment.yaml").code == 0  # info: the gate passes


def test_placeholders_inside_strings_and_block_scalars_are_data(write: Write, cli: Cli) -> None:
    write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  config: |\n    project: {{PROJECT_ID}}\n---\n" + POD,
    )
    run = cli("check", "--no-config", "cm.yaml")
    assert run.lines[0] == "cm.yaml:14:12: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest"


def test_broken_yaml_is_a_parse_error_with_a_position_and_the_run_goes_on(write: Write, cli: Cli) -> None:
    write("a.yaml", "apiVersion: v1\nkind: Pod\nspec: [unclosed\n")
    write("b.yaml", POD)
    run = cli("check", "--no-config", ".")
    assert run.lines[0].startswith("a.yaml:4:1: PIN900 error: invalid YAML: ")
    assert run.lines[1] == "b.yaml:8:12: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest"


def _in_list(document: str) -> str:
    """`document` as the one item of a `kind: List`."""
    lines = document.splitlines()
    return "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"- {line}\n" if i == 0 else f"  {line}\n" for i, line in enumerate(lines)
    )


def test_alias_bombs_and_deep_lists_are_bounded(write: Write, cli: Cli) -> None:
    lines = ["apiVersion: v1", "kind: List", "a0: &a0 [x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    write("bomb.yaml", "\n".join(lines) + "\n")
    shallow, deep = _in_list(_in_list(POD)), POD
    for _ in range(30):  # Lists inside Lists are read to a fixed depth, never to a RecursionError
        deep = _in_list(deep)
    write("shallow.yaml", shallow)
    write("deep.yaml", deep)
    run = cli("check", "--no-config", ".")
    assert run.lines[0] == "shallow.yaml:14:16: PIN003 [*] error: Image 'nginx:1.27' is not pinned to a digest", run.out
    assert "Found 1 error in 1 of 3 files checked." in run.out
    assert "Traceback" not in run.out + run.err


def test_images_are_printed_escaped(write: Write, cli: Cli) -> None:
    write("pod.yaml", POD.replace("nginx:1.27", '"nginx:1.27\\x1b[31m"'))
    run = cli("check", "--no-config", "pod.yaml")
    assert "\x1b" not in run.out


def test_tag_only_fields_exempt_fields_from_the_digest_rules(write: Write, cli: Cli) -> None:
    write(
        "pinlint.toml",
        'tag-only-fields = ["Workflow:spec.templates.*.sidecars.*.image", "values:metrics.image",'
        ' "kustomization:images.1"]\ndenied-tags = ["edge"]\n',
    )
    write(
        "wf.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n  - name: main\n"
        "    container: {image: 'alpine:3.20'}\n    sidecars:\n    - {name: s, image: 'nginx:edge'}\n",
    )
    write("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n")
    write("chart/values.yaml", "image: {repository: a, tag: '1'}\nmetrics:\n  image: {repository: b, tag: '2'}\n")
    write("kustomization.yaml", "images:\n- {name: c, newTag: '3'}\n- {name: d, newTag: '4'}\n")
    run = cli("check")
    assert run.lines[:5] == [
        "chart/values.yaml:1:30: PIN003 [*] error: Image 'a:1' is not pinned to a digest",
        "kustomization.yaml:2:22: PIN003 [*] error: Image 'c:3' is not pinned to a digest",
        "wf.yaml:6:25: PIN003 [*] error: Image 'alpine:3.20' is not pinned to a digest",
        "wf.yaml:8:25: PIN009 warning: Image 'nginx:edge' uses denied tag 'edge' (matches 'edge')",
        "Found 3 errors and 1 warning in 3 of 3 files checked.",
    ], run.out


def test_tag_only_fields_must_be_a_list_of_strings(write: Write, cli: Cli) -> None:
    write("pinlint.toml", 'tag-only-fields = "Workflow:*"\n')
    write("pod.yaml", POD)
    run = cli("check")
    assert run.code == 2 and "'tag-only-fields' must be a list of strings" in run.err
