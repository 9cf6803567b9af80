"""The dev container source and its JSONC reader: a corpus of devcontainer.json files checked
end to end, exact spans inside JSON strings, the Dockerfile and Compose files they name, and
the reader's bounds.

tests/data/devcontainer/NN-name/ holds one case per folder (see tests/ci_corpus.py); every case
cites the Dev Container specification's JSON reference. Pinning is covered by the golden cases
tests/data/fix/devcontainer-* (run by tests/test_fix.py against the real registry).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pinlint.discover import kind_of
from pinlint.sources import jsonc
from pinlint.sources.devcontainer import parse_devcontainer
from tests.ci_corpus import cases, check_corpus, run_case

CORPUS_DIR = Path(__file__).parent / "data" / "devcontainer"
CASES = cases(CORPUS_DIR)


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(CORPUS_DIR / name, monkeypatch, capsys)


def test_corpus_has_at_least_15_cases_citing_the_documentation() -> None:
    check_corpus(CORPUS_DIR, CASES, "13-crlf/.devcontainer/devcontainer.json")


def test_image_span_is_the_string_without_quotes() -> None:
    text = '{\n  // c\n  "image": "node:20", /* d */\n}\n'
    parser = parse_devcontainer(text, "d.json")
    (use,) = parser.facts.images
    assert (use.kind, text[use.span.start : use.span.end], use.span.line, use.span.column) == (
        "devcontainer-image",
        "node:20",
        3,
        13,
    )
    assert use.pin_span == use.span


def test_local_env_default_is_the_value_and_is_pinned_in_place() -> None:
    text = '{"image": "${localEnv:IMG:node:20}"}'
    (use,) = parse_devcontainer(text, "d.json").facts.images
    assert use.value == "node:20"
    assert use.pin_span is not None and text[use.pin_span.start : use.pin_span.end] == "node:20"


def test_suppression_comments_in_both_styles() -> None:
    text = '{\n  // pinlint: ignore=PIN003\n  "image": "a:1" /* pinlint: ignore */\n}\n'
    comments = parse_devcontainer(text, "d.json").facts.comments
    assert comments == [(2, " pinlint: ignore=PIN003"), (3, " pinlint: ignore ")]


def test_build_args_feed_the_dockerfile(tmp_path: Path) -> None:
    from pinlint.sources.dockerfile import BuildVariant

    (tmp_path / "Dockerfile").write_text("ARG V=1\nFROM a:$V\n")
    config = tmp_path / "devcontainer.json"
    text = '{"build": {"dockerfile": "Dockerfile", "args": {"V": "2", "W": "${localEnv:X}"}}}'
    parser = parse_devcontainer(text, "devcontainer.json", config)
    ((path, kind, variant),) = parser.follows
    assert (path, kind) == (tmp_path / "Dockerfile", "dockerfile")
    assert isinstance(variant, BuildVariant) and {k: v.text for k, v in variant.args.items()} == {"V": "2"}


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ('{"a": 1,, }', "expected a string key", 8),
        ('[1,, 2]', "unexpected ','", 3),
        ('{"a": "x\n"}', "unterminated string", 6),
        ('{"a": 1} x', "unexpected text after the document", 9),
        ("[" * 300, "nesting deeper than 256", 257),
        ('{"a": "\\q"}', "invalid escape", 7),
    ],
)
def test_jsonc_errors_have_a_position(text: str, message: str, offset: int) -> None:
    with pytest.raises(jsonc.JsoncError) as caught:
        jsonc.parse(text)
    assert (str(caught.value), caught.value.offset) == (message, offset)


def test_jsonc_last_duplicate_key_wins_and_escapes_have_no_offset() -> None:
    root = jsonc.parse('{"k": "a", "k": "b\\/c"}').root
    value = root.get("k")
    assert value is not None and value.text is not None
    assert value.text.text == "b/c" and value.text.offsets == (17, -1, 20)


def test_deep_nesting_is_one_error_not_a_traceback(cli: Any, write: Any) -> None:
    write(".devcontainer/devcontainer.json", '{"x": ' + "[" * 100_000)
    started = time.monotonic()
    run = cli("check", "--no-config", ".")
    assert time.monotonic() - started < 5
    assert run.code == 1 and "PIN900 error: invalid JSON: nesting deeper than 256" in run.out


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".devcontainer/devcontainer.json", "devcontainer"),
        (".devcontainer.json", "devcontainer"),
        (".devcontainer/python/devcontainer.json", "devcontainer"),
        (".devcontainer/a/b/devcontainer.json", None),
        ("devcontainer.json", None),
    ],
)
def test_discovery_by_conventional_path(path: str, expected: str | None) -> None:
    assert kind_of(path, explicit=False) == expected


def test_an_explicitly_named_file_is_recognised_by_content(tmp_path: Path) -> None:
    config = tmp_path / "dev.json"
    config.write_text('{"image": "node:20"}')
    assert kind_of(config, explicit=True) == "devcontainer"
    assert kind_of(config, explicit=False) is None
