"""The CircleCI source: a corpus of `.circleci/config.yml` files checked end to end, exact spans,
parameters expanded from defaults, workflow invocations and matrices, and detection.

tests/data/circleci/NN-name/ holds one case per folder (see tests/ci_corpus.py); every case
cites the CircleCI configuration reference. Pinning is covered by the golden case
tests/data/fix/circleci-config (run by tests/test_fix.py against the real registry).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pinlint.discover import kind_of
from pinlint.sources.circleci import parse_circleci
from tests.ci_corpus import cases, check_corpus, run_case

CORPUS_DIR = Path(__file__).parent / "data" / "circleci"
CASES = cases(CORPUS_DIR)


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(CORPUS_DIR / name, monkeypatch, capsys)


def test_corpus_has_at_least_15_cases_citing_the_documentation() -> None:
    check_corpus(CORPUS_DIR, CASES, "13-crlf/.circleci/config.yml")


def test_job_and_executor_images_with_exact_spans() -> None:
    text = (
        "version: 2.1\nexecutors:\n  e:\n    docker:\n      - image: 'a:1'\n"
        "jobs:\n  j:\n    docker:\n      - image: b:2\n      - {image: \"c:3\"}\n"
    )
    facts = parse_circleci(text, "config.yml").facts
    assert facts.errors == []
    assert [(u.kind, text[u.span.start : u.span.end], u.span.line, u.span.column) for u in facts.images] == [
        ("circleci-image", "b:2", 9, 16),
        ("circleci-image", "c:3", 10, 18),
        ("circleci-image", "a:1", 5, 17),
    ]
    assert all(u.pin_span == u.span for u in facts.images)


def test_parameters_take_every_literal_value_the_config_passes() -> None:
    text = (
        "version: 2.1\njobs:\n  t:\n    parameters:\n      v: {type: string, default: '1'}\n"
        "    docker:\n      - image: n:<< parameters.v >>\n"
        "workflows:\n  w:\n    jobs:\n      - t\n      - t: {v: '2'}\n"
        "      - t:\n          matrix:\n            parameters:\n              v: ['3', '2']\n"
    )
    assert [u.value for u in parse_circleci(text, "config.yml").facts.images] == ["n:1", "n:2", "n:3"]


def test_a_parameter_without_a_literal_value_is_named() -> None:
    text = "version: 2.1\njobs:\n  t:\n    docker:\n      - image: n:<< parameters.v >>\n"
    assert [u.unresolved for u in parse_circleci(text, "config.yml").facts.images] == [("parameters.v",)]


@pytest.mark.parametrize(
    ("path", "expected"),
    [(".circleci/config.yml", "circleci"), ("sub/.circleci/config.yaml", "circleci"), ("config.yml", None)],
)
def test_discovery_by_conventional_path(path: str, expected: str | None) -> None:
    assert kind_of(path, explicit=False) == expected


def test_an_explicitly_named_config_is_recognised_by_content(tmp_path: Path) -> None:
    config = tmp_path / "continue.yml"
    config.write_text("version: 2.1\njobs:\n  a:\n    docker:\n      - image: node:20\n")
    assert kind_of(config, explicit=True) == "circleci"
    assert kind_of(config, explicit=False) is None
