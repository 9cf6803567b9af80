"""The GitHub Actions source: a corpus of workflows and actions checked end to end, exact spans,
matrix expansion as GitHub builds the job matrix, detection, and the partial-run property.

tests/data/github/NN-name/ holds one case per folder (see tests/ci_corpus.py); every case's
files cite the GitHub documentation page of the syntax they use. Pinning is covered by the
golden case tests/data/fix/github-workflow (run by tests/test_fix.py against the real registry).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pinlint.discover import kind_of
from pinlint.model import ImageUse
from pinlint.sources.github import parse_github
from tests.ci_corpus import cases, check_corpus, run_case

CORPUS_DIR = Path(__file__).parent / "data" / "github"
CASES = cases(CORPUS_DIR)
DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(CORPUS_DIR / name, monkeypatch, capsys)


def test_corpus_has_at_least_15_cases_citing_the_documentation() -> None:
    check_corpus(CORPUS_DIR, CASES, "13-crlf/.github/workflows/crlf.yml")


def _uses(text: str) -> list[ImageUse]:
    parser = parse_github(text, "w.yml")
    assert parser.facts.errors == []
    return parser.facts.images


def _at(text: str, use: ImageUse) -> str:
    return text[use.span.start : use.span.end]


# -- fields and spans --------------------------------------------------------------------------


def test_every_image_field_with_its_kind_and_exact_span() -> None:
    text = (
        "on: push\n"
        "jobs:\n"
        "  a:\n"
        "    container: 'node:20'\n"
        "    services:\n"
        "      db: {image: \"postgres:16\"}\n"
        "    steps:\n"
        "      - uses: docker://alpine:3.20\n"
        "      - uses: actions/checkout@v4\n"
        "  b:\n"
        "    container:\n"
        "      image: >-\n"
        "        python:3.12\n"
    )
    uses = _uses(text)
    assert [(u.kind, _at(text, u), u.span.line, u.span.column) for u in uses] == [
        ("github-container", "node:20", 4, 17),
        ("github-service", "postgres:16", 6, 20),
        ("github-uses", "alpine:3.20", 8, 24),
        ("github-container", "python:3.12", 13, 9),
    ]
    assert all(u.pin_span == u.span for u in uses)


def test_an_action_names_its_image_after_docker_scheme(tmp_path: Path) -> None:
    text = "name: a\nruns:\n  using: docker\n  image: 'docker://debian:12'\n"
    (use,) = _uses(text)
    assert (use.kind, _at(text, use), use.span.column) == ("github-action", "debian:12", 20)


def test_runs_image_dockerfile_is_followed(tmp_path: Path) -> None:
    from pinlint.sources.dockerfile import BuildVariant

    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    action = tmp_path / "action.yml"
    parser = parse_github("runs:\n  using: docker\n  image: Dockerfile\n", str(action), action)
    assert [(f.path, f.kind, f.context) for f in parser.follows] == [
        (tmp_path / "Dockerfile", "dockerfile", BuildVariant({}))
    ]


# -- the matrix --------------------------------------------------------------------------------


def _job(matrix: str, container: str) -> str:
    return f"jobs:\n  t:\n    strategy:\n      matrix:\n{matrix}    container: {container}\n"


def _values(text: str) -> list[str | None]:
    return [u.value for u in _uses(text)]


def test_matrix_documented_include_and_exclude_semantics() -> None:
    # The documentation's example: include entries extend the combinations whose original values
    # they do not overwrite, else become combinations of their own; exclude goes first.
    text = (
        "on: push\njobs:\n  t:\n    strategy:\n      matrix:\n"
        "        fruit: [apple, pear]\n        animal: [cat, dog]\n"
        "        exclude:\n          - fruit: pear\n            animal: dog\n"
        "        include:\n          - color: green\n          - color: pink\n            animal: cat\n"
        "          - fruit: apple\n            shape: circle\n"
        "    container: x/${{ matrix.fruit }}-${{ matrix.animal }}:${{ matrix.color }}-${{ matrix.shape }}\n"
    )
    values = _values(text)
    assert values == ["x/apple-cat:pink-circle", "x/apple-dog:green-circle", "x/pear-cat:pink-"]


def test_each_matrix_value_is_reported_once() -> None:
    text = _job("        v: [1, 2]\n        os: [a, b, c]\n", "n:${{ matrix.v }}")
    assert _values(text) == ["n:1", "n:2"]


def test_matrix_numbers_are_read_as_github_reads_them() -> None:
    text = _job("        v: [3.10, '3.10', 20, 1.0]\n", "p:${{ matrix.v }}")
    assert _values(text) == ["p:3.1", "p:3.10", "p:20", "p:1"]


def test_a_whole_image_from_the_matrix_is_pinned_in_the_matrix() -> None:
    text = _job("        image: [a:1, 'b:2']\n", "${{ matrix.image }}")
    uses = _uses(text)
    assert [(u.value, _at(text, u)) for u in uses] == [("a:1", "${{ matrix.image }}"), ("b:2", "${{ matrix.image }}")]
    assert [text[u.pin_span.start : u.pin_span.end] for u in uses if u.pin_span] == ["a:1", "b:2"]
    assert [u.default_span for u in uses] == [u.pin_span for u in uses]


def test_expressions_other_than_a_literal_matrix_are_named() -> None:
    text = (
        "jobs:\n  a:\n    container: ${{ env.IMAGE }}\n"
        "  b:\n    strategy:\n      matrix: ${{ fromJSON(inputs.m) }}\n    container: n:${{ matrix.v }}\n"
        "  c:\n    strategy:\n      matrix:\n        v: [1]\n    container: n:${{ matrix['v'] }}\n"
    )
    assert [u.unresolved for u in _uses(text)] == [("env.IMAGE",), ("matrix.v",), ("matrix['v']",)]


def test_a_matrix_over_256_jobs_is_pin900_and_its_values_stay_unknown() -> None:
    rows = "".join(f"        k{i}: [1, 2]\n" for i in range(9))  # 512 combinations
    text = f"jobs:\n  t:\n    strategy:\n      matrix:\n{rows}    container: n:${{{{ matrix.k0 }}}}\n"
    parser = parse_github(text, "w.yml")
    assert [message for _, message in parser.facts.errors] == ["strategy.matrix makes 512 jobs; GitHub allows 256"]
    assert [u.unresolved for u in parser.facts.images] == [("matrix.k0",)]


def test_the_256_job_limit_applies_after_exclude() -> None:
    # 3 x 3 x 3 x 3 x 4 = 324 combinations, 108 of them excluded: a valid workflow
    rows = "".join(f"        k{i}: [1, 2, 3]\n" for i in range(4)) + "        os: [a, b, c, d]\n"
    rows += "        exclude:\n          - os: d\n"
    parser = parse_github(_job(rows, "n:${{ matrix.k0 }}"), "w.yml")
    assert parser.facts.errors == []
    assert [u.value for u in parser.facts.images] == ["n:1", "n:2", "n:3"]


def test_a_matrix_no_image_uses_is_not_built() -> None:
    rows = "".join(f"        k{i}: [1, 2]\n" for i in range(9))
    parser = parse_github(_job(rows, "node:20"), "w.yml")
    assert parser.facts.errors == []
    assert [u.value for u in parser.facts.images] == ["node:20"]


def test_variable_tag_with_digest_is_pin006(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "project" / ".github" / "workflows" / "w.yml"
    path.parent.mkdir(parents=True)
    path.write_text(_job("        v: ['1']\n", f"n:${{{{ matrix.v }}}}@{DIGEST}"))
    run = cli("check", "--no-config", "--format", "json", ".")
    found = json.loads(run.out)["diagnostics"]
    assert [(d["code"], d["kind"]) for d in found] == [("PIN006", "github-container")]


# -- which files, and the partial-run property -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".github/workflows/ci.yml", "github"),
        (".github/workflows/Release.YAML", "github"),
        ("sub/.github/workflows/ci.yml", "github"),
        ("action.yml", "github"),
        ("tools/lint/action.yaml", "github"),
        (".github/workflows/nested/ci.yml", None),
        ("workflows/ci.yml", None),
        ("ci.yml", None),
    ],
)
def test_discovery_by_conventional_path(path: str, expected: str | None) -> None:
    assert kind_of(path, explicit=False) == expected


def test_an_explicitly_named_workflow_is_recognised_by_content(tmp_path: Path) -> None:
    workflow = tmp_path / "build.yml"
    workflow.write_text("name: b\non:\n  push:\njobs:\n  a:\n    container: node:20\n")
    other = tmp_path / "settings.yml"
    other.write_text("jobs: 3\n")
    assert kind_of(workflow, explicit=True) == "github"
    assert kind_of(workflow, explicit=False) is None  # discovery goes by name only
    assert kind_of(other, explicit=True) == "compose"  # the YAML fallback, as before


def test_checking_one_file_reports_what_checking_the_project_reports(cli: Any, write: Any) -> None:
    write(".github/workflows/a.yml", "on: push\njobs:\n  t:\n    container: node:20\n")
    write("act/action.yml", "runs:\n  using: docker\n  image: Dockerfile\n")
    write("act/Dockerfile", "FROM alpine:3.20\n")
    whole = cli("check", "--no-config", ".").lines
    for path in (".github/workflows/a.yml", "act/action.yml"):
        part = cli("check", "--no-config", path).lines
        assert [line for line in whole if "PIN" in line and line.startswith(path.split("/")[0])] == [
            line for line in part if "PIN" in line
        ]
