"""pinlint.sources.arguments: the one exec-form JSON parser and the one ADD/COPY source extractor,
and the Dockerfile source storing their results on each Instruction."""

from __future__ import annotations

import json
import random

import pytest

from pinlint.sources.arguments import parse_exec_form
from pinlint.sources.dockerfile import parse_dockerfile

# -- exec form ------------------------------------------------------------------------------


def test_offsets() -> None:
    text = '[ "/bin/sh", "-c", "echo \\"hi\\" \\u00e9\\n" ]'
    strings = parse_exec_form(text)
    assert strings is not None
    assert [s.value for s in strings] == ["/bin/sh", "-c", 'echo "hi" é\n']
    assert [text[s.start : s.end] for s in strings] == ['"/bin/sh"', '"-c"', '"echo \\"hi\\" \\u00e9\\n"']
    script = strings[2]
    assert len(script.offsets) == len(script.value) + 1
    start = script.value.index("hi")
    assert text[script.offsets[start] : script.offsets[start + 2]] == "hi"
    quote = script.value.index('"')
    assert text[script.offsets[quote] : script.offsets[quote + 1]] == '\\"'


@pytest.mark.parametrize(
    "text",
    ["", "[", '["a",]', '["a" "b"]', '["a", 1]', '{"a": 1}', '["a"] x', '["\\x"]', '["a\tb"]', '["a"]\x0c', "[]\v"],
)
def test_rejects(text: str) -> None:
    assert parse_exec_form(text) is None


def test_surrogates_and_empty() -> None:
    assert parse_exec_form("[]") == ()
    assert parse_exec_form(" [ ]\r\n") == ()
    strings = parse_exec_form('["\\ud83d\\ude00", "\\ud83d"]')
    assert strings is not None and [s.value for s in strings] == ["\U0001f600", "\ud83d"]


def _json_strings(text: str) -> list[str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def test_agrees_with_json_loads() -> None:
    """Whether a Dockerfile line is exec form used to be `json.loads`'s call: the parser keeps it."""
    alphabet = ['"', "[", "]", ",", " ", "\t", "\n", "\\", "\\u00e9", "\\ud83d", "\\n", "a", "é", "\x01", "\x0b", "1"]
    rng = random.Random(20261202)
    agreed = 0
    for _ in range(20000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        text = rng.choice(["[", '["', '["a", "']) + body + rng.choice(['"]', "]", '" ]', ""])
        parsed = parse_exec_form(text)
        expected = _json_strings(text)
        assert (None if parsed is None else [s.value for s in parsed]) == expected, repr(text)
        agreed += expected is not None
    assert agreed > 1000  # the generator reaches valid arrays too, not only rejections


# -- on the Instruction ---------------------------------------------------------------------

BASE = f"FROM alpine:3.20@sha256:{'0' * 64}\n"


def test_instruction_carries_exec_args() -> None:
    facts = parse_dockerfile(BASE + 'RUN ["sh", "-c", "echo hi"]\nRUN echo ["x"]\nCMD ["a", 1]\n', "Dockerfile")
    run_json, run_shell, cmd = facts.instructions[1:]
    assert run_json.json and run_json.exec_args is not None
    assert [a.value for a in run_json.exec_args] == ["sh", "-c", "echo hi"]
    assert not run_shell.json and run_shell.exec_args is None
    assert not cmd.json and cmd.exec_args is None


def test_add_and_copy_sources() -> None:
    text = BASE + (
        "ADD --chmod=644 'https://a/x.tgz' \"b c\" /dst/\n"
        'COPY ["src one", "https://b/y", "/dst/"]\n'
        "ADD only-one-argument\n"
        "RUN echo a b\n"
    )
    add, copy, lone, run = parse_dockerfile(text, "Dockerfile").instructions[1:]
    assert [(s.value, text[s.span.start : s.span.end]) for s in add.sources] == [
        ("https://a/x.tgz", "'https://a/x.tgz'"),
        ("b c", '"b c"'),
    ]
    assert [(s.value, text[s.span.start : s.span.end]) for s in copy.sources] == [
        ("src one", '"src one"'),
        ("https://b/y", '"https://b/y"'),
    ]
    assert lone.sources == () and run.sources == ()


def test_deeply_nested_brackets_are_shell_form_not_a_crash() -> None:
    """`json.loads` raised RecursionError (a traceback) on `RUN [[[[…`; the exec-form parser never recurses."""
    facts = parse_dockerfile(BASE + "RUN " + "[" * 30000 + "\n", "Dockerfile")
    run = facts.instructions[1]
    assert run.keyword == "RUN" and not run.json and run.exec_args is None
    assert parse_exec_form("[" * 30000 + "]" * 30000) is None
