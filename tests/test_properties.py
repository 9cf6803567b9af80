"""Property tests: the parsers never raise, spans name exactly the text they claim, fixes are idempotent.

Inputs are generated from the grammar's pieces (instructions, references, variables,
continuations, heredocs, YAML scalars and anchors) and mutated byte-wise, so they reach both
valid and broken files. The number of examples per property is set by the `ci` profile below
(and printed by `--hypothesis-show-statistics`).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinlint import reference
from pinlint.edits import Edit, apply
from pinlint.model import FileFacts, ImageUse
from pinlint.sources.compose import parse_compose
from pinlint.sources.dockerfile import parse_dockerfile

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("PINLINT_HYPOTHESIS_PROFILE", "ci"))

DIGEST = "sha256:" + "ab" * 32

# -- pieces ------------------------------------------------------------------------------------

names = st.sampled_from(["alpine", "python", "library/nginx", "ghcr.io/org/app", "localhost:5000/x", "Foo/bar"])
tags = st.sampled_from(["", ":3.20", ":latest", ":1.2-rc", ":Latest", ":${TAG}", ":${TAG:-1}", ":$V"])
digests = st.sampled_from(["", "@" + DIGEST, "@sha256:abc", "@" + DIGEST.upper()])
references = st.builds(lambda n, t, d: n + t + d, names, tags, digests)

ref_alphabet = st.sampled_from([*"abcxyz019:/@._-ABC[]$%{}", "sha256:", "::", "//", "__", "---"])
ref_texts = st.lists(ref_alphabet, max_size=30).map("".join) | references


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(f"# syntax={draw(references)}")
    if draw(st.booleans()):
        lines.append("# escape=" + draw(st.sampled_from(["\\", "`"])))
    for _ in range(draw(st.integers(0, 3))):
        lines.append(draw(st.sampled_from(["ARG TAG=3.20", "ARG V", "ARG IMG=" + draw(references), "ARG A=$TAG B"])))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 9))
        ref = draw(references)
        if kind == 0:
            lines.append(f"FROM {ref}")
        elif kind == 1:
            lines.append(f"from --platform=$BUILDPLATFORM {ref} AS {draw(st.sampled_from(['b', 'B', '1x', 'build']))}")
        elif kind == 2:
            lines.append(f"COPY --from={draw(st.sampled_from([ref, '0', 'b', 'build']))} /a /b")
        elif kind == 3:
            lines.append(f"RUN --mount=type=cache,from={ref},target=/c true")
        elif kind == 4:
            lines.append(f"RUN <<{draw(st.sampled_from(['EOF', '-EOF', chr(39) + 'EOF' + chr(39)]))}\nFROM evil\nEOF")
        elif kind == 5:
            lines.append(f"FROM \\\n  # comment\n\n  {ref} \\\n  AS s")
        elif kind == 6:
            lines.append(f"ONBUILD COPY --from={ref} /a /b")
        elif kind == 7:
            lines.append("RUN curl -fsSL https://x.example/i.sh | sh && apt-get install -y curl")
        elif kind == 8:
            lines.append(f"ADD {draw(st.sampled_from(['https://x.example/a.tgz', 'git@github.com:o/r.git#main']))} /a")
        else:
            lines.append(draw(st.sampled_from(["", "# just a comment", "   ", "\t# tab comment", "LABEL a=b # c"])))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    return text + (newline if draw(st.booleans()) else "")


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    for _ in range(draw(st.integers(0, 4))):
        if not text:
            break
        pos = draw(st.integers(0, len(text)))
        action = draw(st.integers(0, 2))
        piece = draw(st.sampled_from(["\\", "\n", "$", "{", "}", "'", '"', "<<", "#", "\r", "\t", "@", ":", "\x00"]))
        if action == 0:
            text = text[:pos] + piece + text[pos:]
        elif action == 1:
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + piece + text[pos + 1 :]
    return text


@st.composite
def compose_files(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines += ["x-base: &base", f"  image: {draw(references)}"]
    lines.append("services:")
    for i in range(draw(st.integers(1, 5))):
        lines.append(f"  s{i}:")
        quote = draw(st.sampled_from(["", "'", '"']))
        form = draw(st.integers(0, 5))
        ref = draw(references)
        if form == 0:
            lines.append(f"    image: {quote}{ref}{quote}")
        elif form == 1:
            lines.append(f"    image: {quote}${{IMG{i}:-{ref}}}{quote}  # comment")
        elif form == 2:
            lines.append("    <<: *base")
        elif form == 3:
            lines += ["    build:", "      dockerfile_inline: |", f"        FROM {ref}", "        RUN true"]
        elif form == 4:
            lines += ["    volumes:", "      - type: image", f"        source: {ref}"]
        else:
            lines.append(f"    image: !override {ref}")
    return "\n".join(lines) + "\n"


# -- properties --------------------------------------------------------------------------------


@given(ref_texts)
def test_reference_parser_raises_only_its_own_error(text: str) -> None:
    try:
        parsed = reference.parse(text)
    except reference.ReferenceError:
        return
    again = reference.parse(str(parsed))
    assert again == parsed
    assert reference.parse(str(again)) == again


def _check_facts(facts: FileFacts, text: str) -> None:
    for use in facts.images:
        _check_use(use, text)
    for span, message in facts.errors:
        assert 0 <= span.start <= span.end <= len(text)
        assert message and "\n" not in message


def _check_use(use: ImageUse, text: str) -> None:
    span = use.span
    assert 0 <= span.start <= span.end <= len(text)
    assert text[span.start : span.end] == use.text
    for inner in (use.pin_span, use.default_span, use.digest_span):
        if inner is not None:
            assert 0 <= inner.start <= inner.end <= len(text)
    if use.digest_span is not None and use.value is not None:
        assert text[use.digest_span.start : use.digest_span.end] == use.value.split("@", 1)[1]


@given(dockerfiles())
def test_dockerfile_spans_are_source_slices(text: str) -> None:
    _check_facts(parse_dockerfile(text, "Dockerfile"), text)


@given(mutated(dockerfiles()))
def test_dockerfile_parser_never_raises_on_mutated_input(text: str) -> None:
    _check_facts(parse_dockerfile(text, "Dockerfile"), text)


@given(compose_files())
def test_compose_spans_are_source_slices(text: str) -> None:
    _check_facts(parse_compose(text, "compose.yaml", None, {}).facts, text)


@given(mutated(compose_files()))
def test_compose_parser_never_raises_on_mutated_input(text: str) -> None:
    _check_facts(parse_compose(text, "compose.yaml", None, {}).facts, text)


def _pin_everything(text: str, parse: object) -> tuple[str, list[Edit]]:
    assert callable(parse)
    facts: FileFacts = parse(text)
    edits = []
    for use in facts.images:
        ref = use.ref
        if isinstance(ref, reference.ImageRef) and ref.digest is None and use.pin_span is not None:
            edits.append(Edit(use.pin_span.end, use.pin_span.end, "@" + DIGEST))
    return apply(text, edits), edits


def _without_insertions(text: str, edits: list[Edit]) -> str:
    """Undo pure insertions: in the edited text, the n-th insertion sits after the n-1 before it."""
    shift = 0
    pieces = []
    last = 0
    for edit in sorted(set(edits)):
        at = edit.start + shift
        pieces.append(text[last:at])
        last = at + len(edit.text)
        shift += len(edit.text)
    pieces.append(text[last:])
    return "".join(pieces)


@given(dockerfiles())
def test_pinning_a_dockerfile_is_idempotent_and_only_inserts(text: str) -> None:
    def parse(t: str) -> FileFacts:
        return parse_dockerfile(t, "Dockerfile")

    once, edits = _pin_everything(text, parse)
    twice, more = _pin_everything(once, parse)
    assert twice == once, "a second pass must find nothing to pin"
    assert not more
    assert _without_insertions(once, edits) == text  # only the insertions changed the file
    assert len(parse(once).errors) <= len(parse(text).errors)


@given(compose_files())
def test_pinning_a_compose_file_is_idempotent_and_only_inserts(text: str) -> None:
    def parse(t: str) -> FileFacts:
        return parse_compose(t, "compose.yaml", None, {}).facts

    once, edits = _pin_everything(text, parse)
    twice, more = _pin_everything(once, parse)
    assert twice == once
    assert not more
    assert _without_insertions(once, edits) == text  # only the insertions changed the file
