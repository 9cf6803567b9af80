"""The Dockerfile source: image uses, their spans, ARG semantics, and dockerfile-parse corrections."""

from __future__ import annotations

import io
from pathlib import Path

import dockerfile_parse  # a test dependency: the reference the E7 corrections are measured against
import pytest

from pinlint.model import FileFacts, ImageUse
from pinlint.rules.pin006 import literal_digest_with_variable_tag
from pinlint.sources.dockerfile import parse_dockerfile

DIGEST = "sha256:" + "a" * 64


def parse(text: str) -> FileFacts:
    return parse_dockerfile(text, "Dockerfile")


def images(text: str) -> list[ImageUse]:
    return parse(text).images


def one(text: str) -> ImageUse:
    found = images(text)
    assert len(found) == 1, found
    return found[0]


def where(use: ImageUse) -> tuple[int, int, int, int]:
    return use.span.line, use.span.column, use.span.end_line, use.span.end_column


def test_span_text_is_the_source_slice() -> None:
    text = "FROM --platform=linux/amd64 python:3.12-slim AS build\n"
    use = one(text)
    assert where(use) == (1, 29, 1, 45)
    assert text[use.span.start : use.span.end] == use.text == "python:3.12-slim"
    assert use.kind == "from"
    assert str(use.ref) == "docker.io/library/python:3.12-slim"


def test_lowercase_instruction_and_leading_whitespace() -> None:
    use = one("   from\talpine:3.20 as base\n")
    assert where(use) == (1, 9, 1, 20)


def test_token_on_a_later_continuation_line() -> None:
    text = "FROM \\\n  # a comment inside the continuation\n\n    golang:1.22 \\\n  AS build\n"
    use = one(text)
    assert where(use) == (4, 5, 4, 16)
    assert use.value == "golang:1.22"


def test_keyword_split_across_lines() -> None:
    facts = parse("FR\\\nOM alpine:3\n")
    assert [i.keyword for i in facts.instructions] == ["FROM"]
    assert where(facts.images[0]) == (2, 4, 2, 12)


def test_crlf_and_columns() -> None:
    use = one("ARG X=1\r\nFROM nginx:1.25 AS web\r\n")
    assert where(use) == (2, 6, 2, 16)


def test_syntax_directive_is_an_image() -> None:
    uses = images("# syntax=docker/dockerfile:1.7\nFROM scratch\n")
    assert [(u.kind, u.text, where(u)) for u in uses] == [("syntax", "docker/dockerfile:1.7", (1, 10, 1, 31))]


def test_syntax_directive_with_spaces_and_cmdline() -> None:
    use = one("#  syntax = example.com/front:2 --flag\nFROM scratch\n")
    assert use.text == "example.com/front:2"
    assert where(use) == (1, 13, 1, 32)


def test_directive_after_an_instruction_is_a_comment() -> None:
    assert [u.kind for u in images("FROM scratch\n# syntax=docker/dockerfile:1\n")] == []


def test_escape_directive_backtick_after_check() -> None:
    text = "# check=skip=all\n# escape=`\nFROM alpine:3 `\n  AS x\nFROM x\n"
    facts = parse(text)
    assert [(i.keyword, i.start_line, i.end_line) for i in facts.instructions] == [("FROM", 3, 4), ("FROM", 5, 5)]
    assert [u.text for u in facts.images] == ["alpine:3"]


def test_duplicate_directive_is_an_error() -> None:
    facts = parse("# syntax=a/b:1\n# syntax=c/d:2\nFROM scratch\n")
    assert facts.errors and "only one syntax parser directive" in facts.errors[0][1]


def test_heredoc_bodies_are_not_instructions() -> None:
    text = "FROM alpine:3\nRUN <<EOF\nFROM evil:1\nEOF\nCOPY <<-'EOT' /x\n\tFROM evil:2\n\tEOT\nFROM busybox:1\n"
    facts = parse(text)
    assert [(i.keyword, i.start_line, i.end_line) for i in facts.instructions] == [
        ("FROM", 1, 1),
        ("RUN", 2, 4),
        ("COPY", 5, 7),
        ("FROM", 8, 8),
    ]
    assert [u.value for u in facts.images] == ["alpine:3", "busybox:1"]
    heredoc = facts.instructions[2].heredocs[0]
    assert (heredoc.name, heredoc.chomp, heredoc.expand) == ("EOT", True, False)
    assert heredoc.body == "\tFROM evil:2\n"


def test_several_heredocs_on_one_line() -> None:
    facts = parse('FROM a:1\nRUN <<A cat - <<"B"\none\nA\ntwo\nB\nFROM b:1\n')
    assert [h.name for h in facts.instructions[1].heredocs] == ["A", "B"]
    assert facts.instructions[1].end_line == 6
    assert [u.value for u in facts.images] == ["a:1", "b:1"]


def test_unterminated_heredoc_is_reported() -> None:
    facts = parse("FROM a:1\nRUN <<EOF\necho\n")
    assert facts.errors and "unterminated heredoc" in facts.errors[0][1]
    assert facts.errors[0][0].line == 2


def test_stage_names_scratch_and_numeric_from() -> None:
    text = (
        "FROM golang:1.22 AS Build\n"
        "FROM build AS test\n"
        "FROM scratch\n"
        "COPY --from=0 /a /b\n"
        "COPY --from=BUILD /a /b\n"
        "COPY --from=nginx:1.25 /a /b\n"
        "RUN --mount=type=bind,from=test,target=/t true\n"
        "RUN --mount=type=cache,target=/c,from=ghcr.io/org/cache:1 true\n"
        "RUN --mount=type=secret,id=x,from=ignored true\n"
    )
    uses = images(text)
    assert [(u.kind, u.value, u.span.line) for u in uses] == [
        ("from", "golang:1.22", 1),
        ("copy-from", "nginx:1.25", 6),
        ("mount-from", "ghcr.io/org/cache:1", 8),
    ]
    assert where(uses[2]) == (8, 39, 8, 58)


def test_stage_must_be_defined_earlier_and_is_case_sensitive_in_from() -> None:
    uses = images("FROM later\nFROM alpine:3 AS later\nFROM Later\n")
    assert [u.value for u in uses] == ["later", "alpine:3", "Later"]
    assert uses[2].error is not None and "lowercase" in uses[2].error


def test_copy_from_variable_is_an_error() -> None:
    facts = parse("FROM a:1\nCOPY --from=$X /a /b\n")
    assert facts.errors and "variable expansion is not supported" in facts.errors[0][1]
    assert facts.errors[0][0].line == 2


def test_onbuild_forms() -> None:
    uses = images("FROM a:1\nONBUILD COPY --from=ghcr.io/x/y:1 /a /b\nONBUILD COPY --from=builder /a /b\n")
    assert [(u.kind, u.value) for u in uses] == [("from", "a:1"), ("onbuild-copy-from", "ghcr.io/x/y:1")]


# -- ARG semantics -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "word", "expected"),
    [
        ("ARG T=3.19", "alpine:${T:-3.18}", "alpine:3.19"),
        ("ARG T", "alpine:${T:-3.18}", "alpine:3.18"),
        ("ARG T=", "alpine:${T:-3.18}", "alpine:3.18"),
        ("ARG T=", "alpine${T-:3.18}", "alpine"),
        ("ARG T", "alpine${T-:3.18}", "alpine:3.18"),
        ("ARG T=x", "alpine${T:+:3.17}", "alpine:3.17"),
        ("ARG T=", "alpine${T:+:3.17}", "alpine"),
        ("ARG T=", "alpine${T+:3.17}", "alpine:3.17"),
        ("ARG T=3.1", "alpine:${T:?need-T}", "alpine:3.1"),
        ("ARG T=v1.2.3", "img:${T#v}", "img:1.2.3"),
        ("ARG T=1.2.3-rc", "img:${T%-*}", "img:1.2.3"),
        ("ARG T=1.2.3", "img:${T%%.*}", "img:1"),
        ("ARG T=a.b.c", "img:${T##*.}", "img:c"),
        ("ARG T=1_2_3", "img:${T/_/.}", "img:1.2_3"),
        ("ARG T=1_2_3", "img:${T//_/.}", "img:1.2.3"),
        ("ARG A=3\nARG B=${A}.19", "alpine:$B", "alpine:3.19"),
        ("ARG A=py\nARG B=${A}thon C=3", "${B}:$C", "python:3"),
        ('ARG IMG="alpine:3"', "$IMG", "alpine:3"),
        ("ARG IMG='alpine:3'", "${IMG}", "alpine:3"),
        ("ARG N=img ALT", "${N}:${ALT:-${N}-x}", "img:img-x"),
        ("", "'alpine:3'", "alpine:3"),
        ("", "alp\\ine:3", "alpine:3"),
    ],
)
def test_expansion_forms(args: str, word: str, expected: str) -> None:
    use = one(f"{args}\nFROM {word}\n")
    assert use.value == expected
    assert use.unresolved == ()


@pytest.mark.parametrize(
    ("args", "word", "missing"),
    [
        ("ARG T", "alpine:$T", ("T",)),
        ("", "alpine:${UNDECLARED}", ("UNDECLARED",)),
        ("ARG T", "alpine:${T:?must-be-set}", ("T",)),
        ("ARG T=", "alpine:${T:?must-be-set}", ("T",)),
        ("ARG A\nARG B=$A", "img:${B:?}", ("B", "A")),
        ("ARG R", "$R/app:${U}", ("R", "U")),
    ],
)
def test_unresolved_variables(args: str, word: str, missing: tuple[str, ...]) -> None:
    use = one(f"{args}\nFROM {word}\n")
    assert use.value is None and use.ref is None
    assert use.unresolved == missing


def test_only_args_before_the_first_from_feed_from_lines() -> None:
    uses = images("ARG V=1\nFROM a:$V\nARG V=2\nARG W=3\nFROM b:$V\nFROM c:${W:-9}\n")
    assert [u.value for u in uses] == ["a:1", "b:1", "c:9"]


def test_automatic_platform_args() -> None:
    uses = images("FROM --platform=$BUILDPLATFORM golang:1.22 AS b\nFROM repo/app-${TARGETARCH}:1\n")
    assert uses[0].platform_dependent is False
    assert uses[1].platform_dependent is True
    assert uses[1].ref is not None and uses[1].pin_span is None


def test_build_args_override_declared_args_only() -> None:
    from pinlint.sources.expand import literal

    facts = parse_dockerfile(
        "ARG T=1\nFROM a:$T\nFROM b:${U:-2}\n", "Dockerfile", {"T": literal("9"), "U": literal("8")}
    )
    assert [u.value for u in facts.images] == ["a:9", "b:2"]


# -- where a fix writes ---------------------------------------------------------------------


def test_pin_span_of_a_literal_reference_is_the_token() -> None:
    use = one("FROM python:3.12 AS x\n")
    assert use.pin_span == use.span and use.default_span is None


def test_pin_span_inside_quotes() -> None:
    text = 'FROM "python:3.12"\n'
    use = one(text)
    assert use.pin_span is not None
    assert text[use.pin_span.start : use.pin_span.end] == "python:3.12"


def test_whole_reference_arg_default_is_the_default_span() -> None:
    text = 'ARG BASE="python:3.12-slim"\nFROM ${BASE} AS app\n'
    use = one(text)
    assert use.default_span is not None
    assert (use.default_span.line, use.default_span.column) == (1, 11)
    assert text[use.default_span.start : use.default_span.end] == "python:3.12-slim"


def test_chained_arg_default_points_at_the_original_literal() -> None:
    text = "ARG A=node:20\nARG B=$A\nFROM $B\n"
    use = one(text)
    assert use.default_span is not None and use.default_span.line == 1
    assert text[use.default_span.start : use.default_span.end] == "node:20"


def test_inline_default_is_the_default_span() -> None:
    text = "FROM ${IMG:-nginx:1.25}\n"
    use = one(text)
    assert use.default_span is not None
    assert text[use.default_span.start : use.default_span.end] == "nginx:1.25"


def test_composed_reference_has_no_pin_span() -> None:
    use = one("ARG PY=3.12\nFROM python:${PY}-slim\n")
    assert use.value == "python:3.12-slim" and use.pin_span is None and use.default_span is None


def test_literal_digest_next_to_variable_tag() -> None:
    use = one(f"ARG PY=3.12\nFROM python:${{PY}}@{DIGEST}\n")
    assert literal_digest_with_variable_tag(use)
    use = one(f"ARG IMG=python:3.12@{DIGEST}\nFROM $IMG\n")
    assert not literal_digest_with_variable_tag(use)


# -- dockerfile-parse (E7): where it is wrong, pinlint corrects it -------------------------------

def _dfp_parent_images(text: str) -> list[str]:
    parser = dockerfile_parse.DockerfileParser(fileobj=io.BytesIO(text.encode()))
    return list(parser.parent_images)


@pytest.mark.parametrize(
    ("text", "dockerfile_parse_says", "pinlint_says"),
    [
        ("ARG TAG=3.19\nFROM alpine:${TAG:-3.18}\n", ["alpine:3.19:-3.18}"], ["alpine:3.19"]),
        ("ARG TAG\nFROM alpine:${TAG:-3.18}\n", ["alpine::-3.18}"], ["alpine:3.18"]),
        ("ARG A=1\nARG B=$A\nFROM img:$B\n", ["img:$A"], ["img:1"]),
        ("ARG TAG=v1\nFROM img:${TAG#v}\n", ["img:v1#v}"], ["img:1"]),
        ("FROM alpine\nRUN <<EOF\nFROM evil:1\nEOF\n", ["alpine", "evil:1"], ["alpine"]),
        ('ARG IMG="alpine:3"\nFROM $IMG AS base\nFROM base\n', ["alpine:3", "base"], ["alpine:3"]),
    ],
    ids=["colon-dash-set", "colon-dash-unset", "chained-args", "trim-prefix", "heredoc", "stage"],
)
def test_corrects_dockerfile_parse(text: str, dockerfile_parse_says: list[str], pinlint_says: list[str]) -> None:
    assert _dfp_parent_images(text) == dockerfile_parse_says
    assert [u.value for u in images(text) if u.kind == "from"] == pinlint_says


def test_dockerfile_parse_ignores_escape_after_check() -> None:
    text = "# check=skip=all\n# escape=`\nFROM alpine `\n  AS x\nFROM x\n"
    parser = dockerfile_parse.DockerfileParser(fileobj=io.BytesIO(text.encode()))
    assert [(s["instruction"], s["value"]) for s in parser.structure][2:] == [
        ("FROM", "alpine `"),
        ("AS", "x"),  # the continuation was not seen: a bogus instruction
        ("FROM", "x"),
    ]
    facts = parse(text)
    assert [(i.keyword, i.start_line, i.end_line) for i in facts.instructions] == [("FROM", 3, 4), ("FROM", 5, 5)]
    assert [u.value for u in facts.images] == ["alpine"]  # `x` is the stage


def test_dockerfile_parse_structure_order_with_comment_in_continuation() -> None:
    text = "FROM \\\n alpine:3 \\\n# c\n AS base\n"
    parser = dockerfile_parse.DockerfileParser(fileobj=io.BytesIO(text.encode()))
    assert [s["instruction"] for s in parser.structure] == ["COMMENT", "FROM"]  # comment first: wrong order
    facts = parse(text)
    assert [(i.keyword, i.start_line, i.end_line) for i in facts.instructions] == [("FROM", 1, 4)]
    assert facts.comments == [(3, " c")]


# -- semantics corpus: tests/data/dockerfiles/semantics/NN-name.Dockerfile + NN-name.expected ----
# Each case names, in its first comment, the BuildKit function that defines the behaviour; the
# .expected file holds the exact diagnostic lines `pinlint check --no-config FILE` prints.

SEMANTICS_DIR = Path(__file__).parent / "data" / "dockerfiles" / "semantics"
SEMANTICS = sorted(p.name for p in SEMANTICS_DIR.glob("*.Dockerfile"))


@pytest.mark.parametrize("name", SEMANTICS)
def test_semantics_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from pinlint.cli import main

    monkeypatch.chdir(SEMANTICS_DIR)
    capsys.readouterr()
    main(["check", "--no-config", name])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith(("Found ", "[*] ", "All checks passed!"))]
    expected = (SEMANTICS_DIR / name.replace(".Dockerfile", ".expected")).read_text(encoding="utf-8").splitlines()
    assert lines == [_with_severity(line) for line in expected]


def _with_severity(line: str) -> str:
    """A `.expected` line (`path:line:col: CODE [*] message`) as the text output prints it,
    with the rule's severity after the code."""
    import re

    from pinlint.rules import BY_CODE

    return re.sub(
        r": (PIN\d{3})( \[\*\])? ", lambda m: f": {m[1]}{m[2] or ''} {BY_CODE[m[1]].SEVERITY.label}: ", line, count=1
    )


def test_semantics_corpus_is_not_empty() -> None:
    assert len(SEMANTICS) >= 5
