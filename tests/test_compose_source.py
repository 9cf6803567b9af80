"""The Compose source: a corpus of Compose projects checked end to end, and exact spans.

tests/data/compose/NN-name/ holds one case per folder: a Compose file (and whatever `.env`,
Dockerfiles, included or extended files it needs) and `expected.txt`, the exact diagnostic
lines `pinlint check --no-config .` prints inside that folder (the summary lines left out).
`test-shell-env.txt`, when present, lists `NAME=value` lines that are the whole shell
environment the case runs with (the environment is otherwise emptied, so nothing leaks in
from the machine running the tests), each passed on with `--env NAME`.

Each expected.txt says what a user should see. Where pinlint disagrees today, the case is
marked xfail (strict) below with the reason, and expected.txt keeps the correct lines.

The unit tests go through `parse_compose` and pin down spans (1-based, end exclusive),
default/pin spans, PIN004 variable names, and the cost of alias bombs.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import yaml

from pinlint.cli import main
from pinlint.discover import kind_of
from pinlint.model import ImageUse, Span
from pinlint.rules.pin006 import literal_digest_with_variable_tag
from pinlint.sources.compose import ComposeResult, parse_compose
from pinlint.sources.expand import literal
from pinlint.sources.registry import COMPOSE, DOCKERFILE

CORPUS_DIR = Path(__file__).parent / "data" / "compose"
CASES = sorted(p.name for p in CORPUS_DIR.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
SHELL_ENV_FILE = "test-shell-env.txt"
SUMMARY_PREFIXES = ("Found ", "[*] ", "All checks passed!")
# Variables the process needs to run at all; none of the corpus files use these names.
KEEP_ENV = frozenset({"PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP"})
DIGEST = "sha256:" + "0123456789abcdef" * 4

# Cases whose expected.txt holds the correct output that pinlint does not produce today.
KNOWN_BUGS: dict[str, str] = {}  # case name → why pinlint gets it wrong today (strict xfail)

# PyYAML without libyaml rejects tabs that Compose (go-yaml) accepts, and words errors differently.
NEEDS_LIBYAML = frozenset({"01-quote-styles", "04-comments", "32-invalid-yaml-indent", "33-invalid-yaml-tab"})


def _case_param(name: str) -> object:
    marks: list[pytest.MarkDecorator] = []
    if name in KNOWN_BUGS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
    if name in NEEDS_LIBYAML:
        marks.append(pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml"))
    return pytest.param(name, marks=marks, id=name)


def _clean_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> list[str]:
    """The case's shell environment; returns the `--env NAME` options that pass it on (pinlint
    reads only the variables it is given, as `docker compose` reads the shell's)."""
    for name in list(os.environ):
        if name not in KEEP_ENV:
            monkeypatch.delenv(name)
    shell = folder / SHELL_ENV_FILE
    options: list[str] = []
    if shell.is_file():
        for line in shell.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
            options += ["--env", name]
    return options


# -- the corpus, end to end ------------------------------------------------------------------


def _with_severity(line: str) -> str:
    """An `expected.txt` line (`path:line:col: CODE [*] message`) as the text output prints it,
    with the rule's severity after the code."""
    import re

    from pinlint.rules import BY_CODE

    return re.sub(
        r": (PIN\d{3})( \[\*\])? ", lambda m: f": {m[1]}{m[2] or ''} {BY_CODE[m[1]].SEVERITY.label}: ", line, count=1
    )


@pytest.mark.parametrize("name", [_case_param(name) for name in CASES])
def test_corpus_case(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS_DIR / name
    passed = _clean_environment(monkeypatch, folder)
    monkeypatch.chdir(folder)
    capsys.readouterr()
    code = main(["check", "--no-config", *passed, "."])
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if not line.startswith(SUMMARY_PREFIXES)]
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert lines == [_with_severity(line) for line in expected]
    assert err == ""
    assert code == (1 if expected else 0)


def test_corpus_has_at_least_35_cases() -> None:
    assert len(CASES) >= 35, CASES
    for name in CASES:
        folder = CORPUS_DIR / name
        assert (folder / "expected.txt").is_file(), name
        compose_files = [p for p in folder.iterdir() if kind_of(p, explicit=False) == COMPOSE]
        assert compose_files, f"{name} has no compose file"


def test_corpus_files_have_the_bytes_their_cases_need() -> None:
    crlf = (CORPUS_DIR / "46-crlf-bom-unicode" / "compose.yaml").read_bytes()
    assert crlf.startswith(b"\xef\xbb\xbf") and crlf.count(b"\r\n") == crlf.count(b"\n") > 0
    inline = (CORPUS_DIR / "55-inline-crlf" / "compose.yaml").read_bytes()
    assert inline.count(b"\r\n") == inline.count(b"\n") > 0
    assert b"\t" in (CORPUS_DIR / "33-invalid-yaml-tab" / "compose.yaml").read_bytes()
    assert (CORPUS_DIR / "34-empty-files" / "compose.yaml").read_bytes() == b""


# -- parse_compose: spans and values ---------------------------------------------------------


def parse(text: str, env: dict[str, str] | None = None, location: Path | None = None) -> ComposeResult:
    values = {name: literal(value) for name, value in (env or {}).items()}
    return parse_compose(text, "compose.yaml", location, values)


def images(text: str, env: dict[str, str] | None = None) -> list[ImageUse]:
    result = parse(text, env)
    assert result.facts.errors == [], result.facts.errors
    return result.facts.images


def one(text: str, env: dict[str, str] | None = None) -> ImageUse:
    found = images(text, env)
    assert len(found) == 1, found
    return found[0]


def where(span: Span | None) -> tuple[int, int, int, int] | None:
    return None if span is None else (span.line, span.column, span.end_line, span.end_column)


def source(text: str, span: Span) -> str:
    return text[span.start : span.end]


def test_plain_single_and_double_quoted_spans() -> None:
    text = (
        "services:\n"
        "  plain:\n"
        "    image: nginx:1.25   # comment\n"
        "  single:\n"
        "    image: 'redis:7.2'\n"
        "  double:\n"
        '    image: "postgres:16"  # comment\n'
    )
    found = images(text)
    assert [(u.kind, where(u.span), u.text, u.value) for u in found] == [
        ("compose-image", (3, 12, 3, 22), "nginx:1.25", "nginx:1.25"),
        ("compose-image", (5, 13, 5, 22), "redis:7.2", "redis:7.2"),
        ("compose-image", (7, 13, 7, 24), "postgres:16", "postgres:16"),
    ]
    for use in found:
        assert source(text, use.span) == use.text
        assert where(use.pin_span) == where(use.span)
        assert use.default_span is None


def test_quoted_span_points_inside_the_quotes() -> None:
    text = 'services:\n  web: {image: "ghcr.io/acme/web:2.0"}\n'
    use = one(text)
    assert where(use.span) == (2, 17, 2, 37)
    assert text[use.span.start - 1] == '"' and text[use.span.end] == '"'
    assert use.text == "ghcr.io/acme/web:2.0"


def test_next_line_plain_scalar_and_unicode_columns() -> None:
    text = 'services:\n  café☕:\n    labels: {e: "😀"}\n    image:\n      traefik:v3.0\n'
    use = one(text)
    assert where(use.span) == (5, 7, 5, 19)
    assert source(text, use.span) == "traefik:v3.0"


def test_whole_value_default_records_default_and_pin_span() -> None:
    text = "services:\n  web:\n    image: ${IMG:-nginx:1.25}\n"
    use = one(text)
    assert where(use.span) == (3, 12, 3, 30)
    assert use.text == source(text, use.span) == "${IMG:-nginx:1.25}"
    assert use.value == "nginx:1.25"
    assert where(use.default_span) == (3, 19, 3, 29)
    assert where(use.pin_span) == (3, 19, 3, 29)
    assert use.default_span is not None and source(text, use.default_span) == "nginx:1.25"


def test_quoted_default_with_digest_pins_before_the_digest() -> None:
    text = f'services:\n  web:\n    image: "${{IMG:-nginx:1.25@{DIGEST}}}"\n'
    use = one(text)
    assert where(use.span) == (3, 13, 3, 13 + len(use.text))
    assert where(use.pin_span) == (3, 20, 3, 30)
    assert use.pin_span is not None and source(text, use.pin_span) == "nginx:1.25"
    assert not literal_digest_with_variable_tag(use)


def test_value_from_the_environment_has_no_pin_span() -> None:
    use = one("services:\n  web:\n    image: ${IMG:-nginx:1.25}\n", {"IMG": "redis:7.2"})
    assert use.value == "redis:7.2"
    assert use.pin_span is None and use.default_span is None
    assert use.unresolved == ()


def test_empty_variable_takes_the_colon_default_but_not_the_plain_one() -> None:
    found = images("services:\n  a: {image: '${E:-alpine:3.19}'}\n  b: {image: 'busybox${E-:1}'}\n", {"E": ""})
    assert [u.value for u in found] == ["alpine:3.19", "busybox"]


def test_nested_defaults() -> None:
    text = "services:\n  c:\n    image: ${A:-${B:-redis:7.2}}\n"
    use = one(text)
    assert use.value == "redis:7.2"
    assert use.pin_span is not None and source(text, use.pin_span) == "redis:7.2"
    assert where(use.pin_span) == (3, 22, 3, 31)


def test_unresolved_variables_are_named_not_guessed() -> None:
    found = images(
        "services:\n"
        "  a: {image: '${REGISTRY}/app:${TAG:-1.0}'}\n"
        "  b: {image: '${A}/${B}:${A}'}\n"
        "  c: {image: '${IMG:?set IMG}'}\n"
        "  d: {image: 'postgres:${PG_TAG}'}\n"
        "  e: {image: '${X:-${Y:-${Z}}}'}\n"
    )
    assert [(u.unresolved, u.value, u.ref) for u in found] == [
        (("REGISTRY",), None, None),
        (("A", "B"), None, None),
        (("IMG",), None, None),
        (("PG_TAG",), None, None),
        (("Z",), None, None),
    ]
    assert where(found[0].span) == (2, 15, 2, 42)


def test_dollar_dollar_is_a_literal_dollar() -> None:
    use = one("services:\n  a:\n    image: registry.example.com/app:$${TAG}\n")
    assert use.unresolved == ()
    assert use.value == "registry.example.com/app:${TAG}"
    assert use.error is not None and "invalid tag" in use.error


def test_merge_key_anchored_scalar_is_reported_once() -> None:
    text = (
        "x-base: &base\n"
        "  image: redis:7.2\n"
        "services:\n"
        "  a:\n"
        "    <<: *base\n"
        "  b:\n"
        "    <<: [*base]\n"
        "  c:\n"
        "    <<: *base\n"
        "    environment: {A: '1'}\n"
    )
    use = one(text)
    assert where(use.span) == (2, 10, 2, 19)


def test_merge_list_earlier_mapping_wins_and_own_keys_override() -> None:
    text = (
        "x-a: &a {image: nginx:1.25}\n"
        "x-b: &b {image: mariadb:11}\n"
        "services:\n"
        "  first: {<<: [*a, *b]}\n"
        "  own:\n"
        "    <<: [*b, *a]\n"
        "    image: httpd:2.4\n"
    )
    assert [(u.value, where(u.span)) for u in images(text)] == [
        ("nginx:1.25", (1, 17, 1, 27)),
        ("httpd:2.4", (7, 12, 7, 21)),
    ]


def test_alias_of_an_anchored_scalar_is_reported_once() -> None:
    text = "services:\n  a: {image: &img 'nginx:1.25'}\n  b: {image: *img}\n  c: {image: *img}\n"
    use = one(text)
    assert where(use.span) == (2, 20, 2, 30)


def _alias_bomb(levels: int = 10, width: int = 10) -> str:
    lines = ["x-s0: &s0 [" + ", ".join(['"lol"'] * width) + "]", "x-m0: &m0", "  image: busybox:1.36"]
    for level in range(1, levels):
        lines.append(f"x-s{level}: &s{level} [" + ", ".join([f"*s{level - 1}"] * width) + "]")
        lines.append(f"x-m{level}: &m{level} {{<<: [" + ", ".join([f"*m{level - 1}"] * width) + "]}")
    last = levels - 1
    lines += [
        "services:",
        "  app:",
        f"    <<: *m{last}",
        f"    command: *s{last}",
        f"    volumes: *s{last}",
        f"    pre_start: *s{last}",
        "  other:",
        "    <<: [" + ", ".join([f"*m{last}"] * width) + "]",
    ]
    return "\n".join(lines) + "\n"


def test_alias_bomb_parses_instantly() -> None:
    text = _alias_bomb()  # 10 levels of 10: 10**10 nodes if expanded
    started = time.perf_counter()
    result = parse(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, elapsed
    assert result.facts.errors == []
    assert [(u.value, where(u.span)) for u in result.facts.images] == [("busybox:1.36", (3, 10, 3, 22))]


def test_yaml_1_1_scalars_stay_the_text_written() -> None:
    text = "services:\n" + "".join(
        f"  s{i}:\n    image: {value}\n" for i, value in enumerate(["1.0", "no", "on", "0755", "1:20", "0x1f", "1e3"])
    )
    assert [u.value for u in images(text)] == ["1.0", "no", "on", "0755", "1:20", "0x1f", "1e3"]


def test_reset_and_override_tags_are_accepted() -> None:
    text = (
        "services:\n"
        "  web:\n"
        "    image: !override nginx:1.25\n"
        "    build: !reset null\n"
        "    ports: !reset []\n"
        "    volumes: !override\n"
        "      - {type: image, source: 'ghcr.io/acme/data:1', target: /d}\n"
    )
    assert [(u.kind, u.value, where(u.span)) for u in images(text)] == [
        ("compose-image", "nginx:1.25", (3, 22, 3, 32)),
        ("compose-volume-image", "ghcr.io/acme/data:1", (7, 32, 7, 51)),
    ]


def test_image_fields_and_their_kinds() -> None:
    text = (
        "services:\n"
        "  app:\n"
        "    image: alpine:3.19\n"
        "    volumes:\n"
        "      - type: image\n"
        "        source: ghcr.io/acme/models:v1\n"
        "    pre_start:\n"
        "      - image: busybox\n"
        "  built:\n"
        "    build:\n"
        "      dockerfile_inline: FROM scratch\n"
        "      additional_contexts:\n"
        "        base: docker-image://debian:bookworm\n"
        "        local: ../src\n"
        "      cache_from:\n"
        "        - ghcr.io/acme/app:cache\n"
        "        - type=registry,ref=ghcr.io/acme/app:buildcache\n"
        "        - type=local,src=/tmp/cache\n"
    )
    found = images(text)
    assert [(u.kind, u.value, where(u.span)) for u in found] == [
        ("compose-image", "alpine:3.19", (3, 12, 3, 23)),
        ("compose-volume-image", "ghcr.io/acme/models:v1", (6, 17, 6, 39)),
        ("compose-hook-image", "busybox", (8, 16, 8, 23)),
        ("compose-context", "debian:bookworm", (13, 30, 13, 45)),
        ("compose-cache-from", "ghcr.io/acme/app:cache", (16, 11, 16, 33)),
        ("compose-cache-from", "ghcr.io/acme/app:buildcache", (17, 29, 17, 56)),
    ]
    for use in found:
        assert source(text, use.span) == use.text == use.value


def test_additional_contexts_list_form_span_after_the_prefix() -> None:
    text = (
        "services:\n"
        "  a:\n"
        "    build:\n"
        "      dockerfile_inline: FROM scratch\n"
        "      additional_contexts:\n"
        '        - "base=docker-image://redis:latest"\n'
    )
    use = one(text)
    assert (use.kind, use.text, where(use.span)) == ("compose-context", "redis:latest", (6, 32, 6, 44))


def test_local_image_ids_are_not_references() -> None:
    image_id = "4e2f1a9b0c3d5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
    text = f"services:\n  a: {{image: {image_id}}}\n  b: {{image: 'sha256:{image_id}'}}\n"
    assert images(text) == []


def test_image_with_build_names_the_output_and_the_build_is_followed(tmp_path: Path) -> None:
    (tmp_path / "app" / "docker").mkdir(parents=True)
    (tmp_path / "app" / "docker" / "Dockerfile.dev").write_text("ARG PY=3.12\nFROM python:${PY}\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Dockerfile").write_text("FROM scratch\n")
    text = (
        "services:\n"
        "  api:\n"
        "    image: acme/api:latest\n"
        "    build:\n"
        "      context: ./app\n"
        "      dockerfile: docker/Dockerfile.dev\n"
        "      args:\n"
        "        PY: '3.11'\n"
        "        FROM_ENV:\n"
        "  worker:\n"
        "    image: acme/worker\n"
        "    build: other\n"
        "  listed:\n"
        "    build:\n"
        "      context: other\n"
        "      args: ['A=1', B, C]\n"
    )
    result = parse(text, {"FROM_ENV": "x", "B": "2"}, location=tmp_path / "compose.yaml")
    assert result.facts.errors == []
    assert result.facts.images == []
    assert [(b.dockerfile, {k: v.text for k, v in b.args.items()}) for b in result.builds] == [
        (tmp_path / "app" / "docker" / "Dockerfile.dev", {"PY": "3.11", "FROM_ENV": "x"}),
        (tmp_path / "other" / "Dockerfile", {}),
        (tmp_path / "other" / "Dockerfile", {"A": "1", "B": "2"}),
    ]


def test_missing_dockerfile_is_an_error_at_the_build(tmp_path: Path) -> None:
    result = parse("services:\n  a:\n    build: ./missing\n", location=tmp_path / "compose.yaml")
    assert result.builds == []
    assert [(where(span), message) for span, message in result.facts.errors] == [
        ((3, 12, 3, 12), "build: context directory not found: missing")
    ]
    # a build that cannot run is PIN901 (build-error), not a parse error
    assert [getattr(message, "code", "PIN900") for _, message in result.facts.errors] == ["PIN901"]


def test_missing_dockerfile_in_an_existing_context_is_a_build_error(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    result = parse("services:\n  a:\n    build: ./app\n", location=tmp_path / "compose.yaml")
    assert [(where(span), message, message.code) for span, message in result.facts.errors] == [
        ((3, 12, 3, 12), "build: Dockerfile not found: app/Dockerfile", "PIN901")
    ]


def test_dockerfile_inline_is_reported_at_its_real_position() -> None:
    text = (
        "services:\n"
        "  inline:\n"
        "    build:\n"
        "      args: {TAG: '3.20'}\n"
        "      dockerfile_inline: |\n"
        "        ARG BASE=alpine:3.19\n"
        "        ARG TAG=1\n"
        "        FROM $${BASE} AS base\n"
        "        RUN echo $$HOME\n"
        "        FROM busybox:$${TAG}\n"
    )
    found = images(text)
    assert [(u.kind, u.value, (u.span.line, u.span.column)) for u in found] == [
        ("from", "alpine:3.19", (8, 15)),
        ("from", "busybox:3.20", (10, 14)),
    ]
    base, busybox = found
    assert where(base.span) == (8, 15, 8, 22)  # `$$` reads as one `$`: the token starts at the second
    assert base.text == source(text, base.span) == "${BASE}"
    assert base.default_span is not None and source(text, base.default_span) == "alpine:3.19"
    assert where(base.default_span) == (6, 18, 6, 29)
    assert busybox.pin_span is None  # the tag comes from a build argument


def test_include_and_extends_name_related_files(tmp_path: Path) -> None:
    text = (
        "include:\n"
        "  - infra/db.yaml\n"
        "  - path: monitoring/compose.yaml\n"
        "  - path: [shared/a.yaml, shared/b.yaml]\n"
        "  - https://example.com/remote.yaml\n"
        "services:\n"
        "  web:\n"
        "    extends: {file: common/services.yml, service: webapp}\n"
        "  local:\n"
        "    extends: web\n"
    )
    for name in ("infra/db.yaml", "monitoring/compose.yaml", "shared/a.yaml", "shared/b.yaml", "common/services.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("services: {}\n")
    result = parse(text, location=tmp_path / "compose.yaml")
    assert [path for path, _ in result.related] == [
        tmp_path / "common/services.yml",
        tmp_path / "infra/db.yaml",
        tmp_path / "monitoring/compose.yaml",
        tmp_path / "shared/a.yaml",
        tmp_path / "shared/b.yaml",
    ]


def test_legacy_layout_services_at_the_top_level() -> None:
    text = "web:\n  image: nginx:1.25\ndb:\n  image: 'postgres'\n"
    assert [(u.value, where(u.span)) for u in images(text)] == [
        ("nginx:1.25", (2, 10, 2, 20)),
        ("postgres", (4, 11, 4, 19)),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "services:\n  a: {image: nginx}\n---\n- b\n",
            [((4, 1, 4, 1), "a Compose file must be a mapping at the top level")],
            id="second-document-not-a-mapping",
        ),
        pytest.param(
            "name: x\nsevices:\n  b: {image: redis}\n",
            [((2, 1, 2, 1), "unknown top-level key 'sevices' in a Compose file (did you mean 'services'?)")],
            id="misspelled-top-level-key",
        ),
        pytest.param(
            "- services: {}\n",
            [((1, 1, 1, 1), "a Compose file must be a mapping at the top level")],
            id="top-level-list",
        ),
        pytest.param(
            "services:\n  - web\n",
            [((2, 3, 2, 3), "'services' must be a mapping")],
            id="services-list",
        ),
    ],
)
def test_file_shape_errors(text: str, expected: list[tuple[tuple[int, int, int, int], str]]) -> None:
    result = parse(text)
    assert [(where(span), message) for span, message in result.facts.errors] == expected
    assert result.facts.images == []


def test_invalid_yaml_has_a_position() -> None:
    result = parse("services:\n  web:\n    image: nginx:1.25\n   restart: always\n")
    ((span, message),) = result.facts.errors
    assert (span.line, span.column) == (4, 4)
    assert message.startswith("invalid YAML: ")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n", "name: demo\nx-foo: {a: 1}\n"])
def test_empty_or_non_compose_text_is_not_compose(text: str) -> None:
    result = parse(text)
    assert result.is_compose is False
    assert result.facts.errors == []
    assert result.facts.images == []


def test_suppression_comments_are_collected_with_their_lines() -> None:
    text = (
        "services:\n"
        "  a:\n"
        "    # pinlint: ignore=PIN003\n"
        "    image: redis:7.2  # pinlint: ignore=PIN001\n"
        "    command: 'echo #not-a-comment'\n"
    )
    result = parse(text)
    assert result.facts.comments == [(3, " pinlint: ignore=PIN003"), (4, " pinlint: ignore=PIN001")]


def test_escaped_double_quoted_image_span_is_inside_the_quotes() -> None:
    text = 'services:\n  web:\n    image: "nginx\\u003a1.25"\n'
    use = one(text)
    assert use.value == "nginx:1.25"
    assert where(use.span) == (3, 13, 3, 28)
    assert where(use.pin_span) == (3, 13, 3, 28)


def test_inline_reference_across_dollar_dollar_covers_the_written_text() -> None:
    text = "services:\n  a:\n    build:\n      dockerfile_inline: |\n        ARG TAG=1\n        FROM busybox:$${TAG}\n"
    use = one(text)
    assert where(use.span) == (6, 14, 6, 29)
    assert use.text == source(text, use.span) == "busybox:$${TAG}"


# -- the partial-run property over the corpus --------------------------------------------------


def _dockerfiles_of(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and kind_of(p, False) == DOCKERFILE
    )


@pytest.mark.parametrize("name", [n for n in CASES if _dockerfiles_of(CORPUS_DIR / n)])
def test_dockerfile_checked_alone_gets_the_project_verdict(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pinlint check app/Dockerfile` says about that file what `pinlint check .` says: the
    Compose files that build it (their build args, the images they build) are read either way."""
    folder = CORPUS_DIR / name
    passed = _clean_environment(monkeypatch, folder)
    monkeypatch.chdir(folder)
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    for dockerfile in _dockerfiles_of(folder):
        capsys.readouterr()
        main(["check", "--no-config", *passed, dockerfile])
        out = capsys.readouterr().out
        lines = [line for line in out.splitlines() if not line.startswith(SUMMARY_PREFIXES)]
        assert lines == [_with_severity(line) for line in expected if line.startswith(f"{dockerfile}:")], dockerfile


def test_every_document_of_a_multi_document_file_is_fixable() -> None:
    # compose-go loader.go loadYamlFile merges every document; each image keeps its own node,
    # so a fix can pin it where it is written
    text = (
        "services:\n  a:\n    image: nginx:1.25\n---\n"
        "services:\n  b:\n    image: redis:7.2\n  a:\n    restart: always\n"
    )
    uses = images(text)
    assert [(u.text, where(u.span), u.pin_span is not None) for u in uses] == [
        ("nginx:1.25", (3, 12, 3, 22), True),
        ("redis:7.2", (7, 12, 7, 21), True),
    ]
