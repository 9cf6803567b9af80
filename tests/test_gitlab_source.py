"""The GitLab CI source: a corpus of pipelines checked end to end, exact spans, variables,
`default:`/`extends:`/`inherit:`, local includes (reported and fixed in the file that writes
the image), detection, and the partial-run property.

tests/data/gitlab/NN-name/ holds one case per folder (see tests/ci_corpus.py); every case cites
the GitLab documentation page of the syntax it uses. Pinning in place is covered by the golden
case tests/data/fix/gitlab-pipeline (run by tests/test_fix.py against the real registry).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pinlint.discover import kind_of
from pinlint.model import ImageUse
from pinlint.sources.gitlab import parse_pipeline
from tests.ci_corpus import cases, check_corpus, run_case

CORPUS_DIR = Path(__file__).parent / "data" / "gitlab"
CASES = cases(CORPUS_DIR)


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(CORPUS_DIR / name, monkeypatch, capsys)


def test_corpus_has_at_least_15_cases_citing_the_documentation() -> None:
    check_corpus(CORPUS_DIR, CASES, "16-crlf/.gitlab-ci.yml")


def _uses(text: str) -> list[ImageUse]:
    (main,) = parse_pipeline(text, ".gitlab-ci.yml", None)
    assert main.facts.errors == []
    return main.facts.images


def _at(text: str, use: ImageUse) -> str:
    return text[use.span.start : use.span.end]


def test_fields_kinds_and_spans() -> None:
    text = (
        "default:\n  image: {name: 'ruby:3.3'}\n"
        "job:\n  services:\n    - postgres:16\n    - name: \"redis:7\"\n      alias: cache\n  script: x\n"
    )
    assert [(u.kind, _at(text, u), u.span.line, u.span.column) for u in _uses(text)] == [
        ("gitlab-image", "ruby:3.3", 2, 18),
        ("gitlab-service", "postgres:16", 5, 7),
        ("gitlab-service", "redis:7", 6, 14),
    ]


def test_a_variable_holding_the_whole_image_is_pinned_where_it_is_defined() -> None:
    text = "variables:\n  IMG: 'node:20'\na:\n  image: $IMG\n  script: x\nb:\n  image: ${IMG}\n  script: x\n"
    uses = _uses(text)
    assert [(_at(text, u), u.value) for u in uses] == [("$IMG", "node:20"), ("${IMG}", "node:20")]
    assert {text[u.pin_span.start : u.pin_span.end] for u in uses if u.pin_span} == {"node:20"}
    assert all(u.default_span == u.pin_span for u in uses)


def test_job_variables_win_over_global_ones_and_each_value_is_reported() -> None:
    text = (
        "variables:\n  V: '16'\n.t:\n  image: pg:$V\n"
        "a:\n  extends: .t\n  script: x\nb:\n  extends: .t\n  variables:\n    V: '15'\n  script: x\n"
    )
    assert [u.value for u in _uses(text)] == ["pg:16", "pg:15"]


def test_predefined_and_undefined_variables_are_named() -> None:
    text = "a:\n  image: $CI_REGISTRY_IMAGE/x:${CI_COMMIT_SHA}\n  script: x\nb:\n  image: n:${V:-1}\n  script: x\n"
    assert [u.unresolved for u in _uses(text)] == [("CI_REGISTRY_IMAGE", "CI_COMMIT_SHA"), ("V:-1",)]


def test_extends_list_later_entries_win_and_own_keys_win_over_both() -> None:
    text = (
        ".a:\n  image: a:1\n.b:\n  image: b:1\n"
        "x:\n  extends: [.a, .b]\n  script: s\ny:\n  extends: [.b, .a]\n  script: s\nz:\n  extends: .a\n  image: z:1\n"
    )
    # x takes .b's image, y takes .a's; z its own; no template is left unused
    assert [u.value for u in _uses(text)] == ["b:1", "a:1", "z:1"]


def test_extends_cycles_end() -> None:
    text = ".a:\n  extends: .b\n  image: a:1\n.b:\n  extends: .a\nx:\n  extends: .a\n  script: s\n"
    assert [u.value for u in _uses(text)] == ["a:1"]


def test_included_files_are_reported_at_their_own_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "t.yml").write_text(".t:\n  image: node:$V\n")
    main = tmp_path / ".gitlab-ci.yml"
    main.write_text("include: ci/t.yml\nvariables:\n  V: '20'\nx:\n  extends: .t\n  script: s\n")
    files = parse_pipeline(main.read_text(), ".gitlab-ci.yml", main)
    assert [(f.facts.path, [u.value for u in f.facts.images]) for f in files] == [
        ("ci/t.yml", ["node:20"]),
        (".gitlab-ci.yml", []),
    ]
    (use,) = files[0].facts.images
    assert use.pin_span is None  # the tag comes from another file: the lock covers it


def test_include_outside_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yml").write_text("x:\n  image: a:1\n")
    project = tmp_path / "p"
    project.mkdir()
    (project / "link.yml").symlink_to(tmp_path / "outside.yml")
    main = project / ".gitlab-ci.yml"
    main.write_text("include:\n  - local: link.yml\n  - local: ../outside.yml\n")
    (parsed,) = parse_pipeline(main.read_text(), ".gitlab-ci.yml", main)
    assert [message for _, message in parsed.facts.errors] == [
        "include: outside the project: link.yml",
        "include: outside the project: ../outside.yml",
    ]
    assert parsed.facts.images == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".gitlab-ci.yml", "gitlab"),
        ("sub/.gitlab-ci.yml", "gitlab"),
        ("deploy.gitlab-ci.yml", "gitlab"),
        ("gitlab-ci.yml", None),
        ("ci/build.yml", None),
    ],
)
def test_discovery_by_conventional_path(path: str, expected: str | None) -> None:
    assert kind_of(path, explicit=False) == expected


def test_an_explicitly_named_pipeline_is_recognised_by_content(tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text("stages: [test]\ntest:\n  image: node:20\n  script: npm test\n")
    assert kind_of(pipeline, explicit=True) == "gitlab"
    assert kind_of(pipeline, explicit=False) is None
    stack = tmp_path / "stack.yml"  # Compose has a top-level include: too
    stack.write_text("include:\n  - base.yaml\nservices:\n  web:\n    image: nginx:1.27\n")
    assert kind_of(stack, explicit=True) == "compose"
    legacy = tmp_path / "global.yml"  # GitLab's older global services: next to jobs
    legacy.write_text("services:\n  - postgres:16\ntest:\n  script: make\n")
    assert kind_of(legacy, explicit=True) == "gitlab"


def test_checking_the_pipeline_reports_what_checking_the_project_reports(cli: Any, write: Any) -> None:
    write(".gitlab-ci.yml", "include: ci/jobs.yml\nvariables:\n  V: '3.12'\n")
    write("ci/jobs.yml", "x:\n  image: python:$V\n  script: s\ny:\n  image: node:20\n  script: s\n")
    whole = [line for line in cli("check", "--no-config", ".").lines if "PIN" in line]
    part = [line for line in cli("check", "--no-config", ".gitlab-ci.yml").lines if "PIN" in line]
    assert whole == part
    assert whole == [
        "ci/jobs.yml:2:10: PIN003 error: Image 'python:3.12' is not pinned to a digest"
        " (composed from several parts; cover it with `pinlint lock`)",
        "ci/jobs.yml:5:10: PIN003 [*] error: Image 'node:20' is not pinned to a digest",
    ]


def test_fix_pins_an_image_in_an_included_file(cli: Any, write: Any, registry: Any, images: Any) -> None:
    ref = f"{registry.host}/test/app:multi-oci"
    write(".gitlab-ci.yml", "include:\n  - local: ci/jobs.yml\n")
    jobs = write("ci/jobs.yml", f"x:\n  image: {ref}  # kept\n  script: s\n")
    run = cli("fix", "--no-config", ".gitlab-ci.yml")
    assert run.code == 0, run.out + run.err
    assert jobs.read_text() == f"x:\n  image: {ref}@{images['multi-oci'].digest}  # kept\n  script: s\n"


def test_variable_cycles_depth_and_doubling_are_bounded() -> None:
    doubling = "".join(f"  D{i}: {f'${{D{i - 1}}}' * 8}\n" for i in range(1, 9))  # D4 has 8,192 characters
    chain = "".join(f"  C{i}: $C{i - 1}\n" for i in range(1, 41))
    text = (
        f"variables:\n  D0: ab\n{doubling}  C0: c\n{chain}  A: $B$B$B$B$B$B$B$B\n  B: $A$A$A$A$A$A$A$A\n"
        "x:\n  image: n:$A\n  script: s\ny:\n  image: n:$D8\n  script: s\nz:\n  image: n:$C40\n  script: s\n"
    )
    started = time.monotonic()
    cycle, doubled, deep = _uses(text)
    assert time.monotonic() - started < 2
    assert cycle.unresolved == ("A", "B")
    assert doubled.value is None and "D4" in doubled.unresolved
    assert deep.value is None and "C29" in deep.unresolved  # more than 10 levels of nesting


def test_wildcard_includes_stay_inside_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "x.yml").write_text("x:\n  image: outside:1\n  script: s\n")
    project = tmp_path / "p"
    (project / "ci" / "a").mkdir(parents=True)
    (project / "ci" / "a" / "one.yml").write_text("one:\n  image: one:1\n  script: s\n")
    (project / "ci" / "two.yml").write_text("two:\n  image: two:1\n  script: s\n")
    (project / "ci" / "link").symlink_to(outside, target_is_directory=True)
    main = project / ".gitlab-ci.yml"
    main.write_text("include:\n  - local: 'ci/**/*.yml'\n")
    files = parse_pipeline(main.read_text(), "p/.gitlab-ci.yml", main)
    found = sorted(u.value or "" for f in files for u in f.facts.images)
    assert found == ["one:1", "two:1"]


def test_an_included_file_checked_alone_sees_the_pipeline(cli: Any, write: Any) -> None:
    # `.a/…` sorts before `.gitlab-ci.yml`, and the included file has CRLF line ends: neither
    # the order files are read in nor line ends change what is reported
    write(".gitlab-ci.yml", "include:\n  - local: .a/jobs.gitlab-ci.yml\nvariables:\n  IMG: 'node:20'\n")
    write(".a/jobs.gitlab-ci.yml", b"x:\r\n  image: $IMG\r\n  script: s\r\n")
    expected = ".a/jobs.gitlab-ci.yml:2:10: PIN003 error: Image 'node:20' is not pinned to a digest" + (
        " (composed from several parts; cover it with `pinlint lock`)"
    )
    for args in (["."], [".a/jobs.gitlab-ci.yml"], [".gitlab-ci.yml"], [".a/jobs.gitlab-ci.yml", ".gitlab-ci.yml"]):
        lines = [line for line in cli("check", "--no-config", *args).lines if "PIN" in line]
        assert lines == [expected], args
