"""The Bitbucket Pipelines source: a corpus of `bitbucket-pipelines.yml` files checked end to end,
exact spans of global, step and service images wherever steps sit, and detection.

tests/data/bitbucket/NN-name/ holds one case per folder (see tests/ci_corpus.py); every case
cites the Bitbucket Pipelines documentation. Pinning is covered by the golden case
tests/data/fix/bitbucket-pipelines (run by tests/test_fix.py against the real registry).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pinlint.discover import kind_of
from pinlint.sources.bitbucket import parse_bitbucket
from tests.ci_corpus import cases, check_corpus, run_case

CORPUS_DIR = Path(__file__).parent / "data" / "bitbucket"
CASES = cases(CORPUS_DIR)


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(CORPUS_DIR / name, monkeypatch, capsys)


def test_corpus_has_at_least_15_cases_citing_the_documentation() -> None:
    check_corpus(CORPUS_DIR, CASES, "11-crlf/bitbucket-pipelines.yml")


def test_images_kinds_and_spans() -> None:
    text = (
        "image: {name: 'a:1'}\ndefinitions:\n  services:\n    db:\n      image: b:2\n"
        "pipelines:\n  default:\n    - parallel:\n        steps:\n          - step:\n              image: c:3\n"
    )
    facts = parse_bitbucket(text, "bitbucket-pipelines.yml").facts
    assert facts.errors == []
    assert [(u.kind, text[u.span.start : u.span.end], u.span.line, u.span.column) for u in facts.images] == [
        ("bitbucket-image", "a:1", 1, 16),
        ("bitbucket-image", "c:3", 11, 22),
        ("bitbucket-service", "b:2", 5, 14),
    ]


def test_a_step_shared_by_an_alias_is_reported_once() -> None:
    text = (
        "definitions:\n  steps:\n    - step: &s\n        image: a:1\n"
        "pipelines:\n  default:\n    - step: *s\n    - step: *s\n"
    )
    assert [u.value for u in parse_bitbucket(text, "b.yml").facts.images] == ["a:1"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("bitbucket-pipelines.yml", "bitbucket"), ("sub/bitbucket-pipelines.yml", "bitbucket"), ("pipelines.yml", None)],
)
def test_discovery_by_conventional_path(path: str, expected: str | None) -> None:
    assert kind_of(path, explicit=False) == expected


def test_an_explicitly_named_file_is_recognised_by_content(tmp_path: Path) -> None:
    config = tmp_path / "pipelines.yml"
    config.write_text("pipelines:\n  default:\n    - step:\n        image: node:20\n        script: [x]\n")
    assert kind_of(config, explicit=True) == "bitbucket"
    assert kind_of(config, explicit=False) is None
