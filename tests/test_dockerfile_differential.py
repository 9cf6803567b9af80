"""Differential test: pinlint's Dockerfile parser against BuildKit's own parser.

The oracle is the PyPI package `dockerfile`, a Python binding around BuildKit's
`frontend/dockerfile/parser` (wheel 3.4.0 embeds BuildKit v0.12.5).  For every file of
the hand-written corpus in tests/data/dockerfiles/ both parsers must produce the same
instruction sequence: (keyword, onbuild, start_line, end_line, heredoc names).

Corpus notes
- The files are committed as exact bytes: 11-bom starts with a UTF-8 BOM, 12-crlf,
  13-crlf-escape-backtick and 76-crlf-continuation-edge-cases use CRLF line endings,
  22-continuation-at-eof-no-newline has no final newline, 28-unicode-line-separators
  holds U+2028/U+2029/U+0085/FF/VT/FS and a lone CR inside lines (BuildKit splits on
  "\\n" only; Python's str.splitlines() does not), 78-unicode-leading-whitespace indents
  instructions with NBSP/EM SPACE/IDEOGRAPHIC SPACE/NEL (Go's unicode.IsSpace strips them).
  test_corpus_bytes_preserved guards against an editor or a git text filter rewriting them.
- tests/data/dockerfiles/invalid/ holds inputs BuildKit's parser rejects; pinlint must
  report at least one parse error for each.
- The oracle's ONBUILD commands carry no heredocs (the binding reads them from the
  wrapped sub-command, BuildKit stores them on the ONBUILD node), so heredoc names are
  only compared for non-ONBUILD instructions; lines are compared for all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

dockerfile = pytest.importorskip("dockerfile")

CORPUS_DIR = Path(__file__).parent / "data" / "dockerfiles"
CORPUS = sorted(CORPUS_DIR.glob("*.Dockerfile"))
INVALID = sorted((CORPUS_DIR / "invalid").glob("*.Dockerfile"))

BOM = "\ufeff"

# (keyword, onbuild, start_line, end_line, heredoc names or None = not compared)
Row = tuple[str, bool, int, int, tuple[str, ...] | None]

# Files where the embedded BuildKit v0.12.5 is older than the syntax under test.  The
# `# check=` directive (BuildKit v0.14 / Dockerfile 1.8) is unknown to it, so directive
# parsing stops there and the `# escape=` after it is ignored.  Current BuildKit
# (parser/directives.go: validDirectives = syntax, escape, check) honours the escape.
# `stale` is what the old oracle says; `buildkit` is the current behaviour pinlint must
# match.  If the oracle is ever upgraded and returns `buildkit`, the entry can go.
STALE_ORACLE: dict[str, dict[str, list[Row]]] = {
    "04-escape-after-check.Dockerfile": {
        "stale": [
            ("FROM", False, 3, 3, ()),
            ("AS", False, 4, 4, ()),
            ("COPY", False, 5, 6, ()),
            ("TWO", False, 7, 7, ()),
            ("FROM", False, 8, 8, ()),
            ("CMD", False, 9, 9, ()),
        ],
        "buildkit": [
            ("FROM", False, 3, 4, ()),
            ("COPY", False, 5, 5, ()),
            ("RUN", False, 6, 7, ()),
            ("FROM", False, 8, 8, ()),
            ("CMD", False, 9, 9, ()),
        ],
    },
}


def read_text(path: Path) -> str:
    text = path.read_bytes().decode("utf-8")
    return text[1:] if text.startswith(BOM) else text


def oracle_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    for cmd in dockerfile.parse_string(text):
        keyword, onbuild = cmd.cmd.upper(), False
        heredocs: tuple[str, ...] | None = tuple(h.name for h in cmd.heredocs)
        if keyword == "ONBUILD" and cmd.sub_cmd:
            keyword, onbuild, heredocs = cmd.sub_cmd.upper(), True, None
        rows.append((keyword, onbuild, cmd.start_line, cmd.end_line, heredocs))
    return rows


def expected_rows(path: Path, text: str) -> list[Row]:
    rows = oracle_rows(text)
    stale = STALE_ORACLE.get(path.name)
    if stale is None:
        return rows
    assert rows in (stale["stale"], stale["buildkit"]), (
        f"oracle output for {path.name} changed; re-check STALE_ORACLE: {rows}"
    )
    return stale["buildkit"]


def pinlint_facts(path: Path, text: str):
    from pinlint.sources.dockerfile import parse_dockerfile

    return parse_dockerfile(text, str(path))


def pinlint_rows(facts, expected: list[Row]) -> list[Row]:
    rows: list[Row] = []
    for i, ins in enumerate(facts.instructions):
        names: tuple[str, ...] | None = tuple(h.name for h in ins.heredocs)
        if i < len(expected) and expected[i][4] is None:
            names = None  # the oracle cannot tell us (ONBUILD); compare lines only
        rows.append((ins.keyword, bool(ins.onbuild), ins.start_line, ins.end_line, names))
    return rows


def compare(path: Path) -> tuple[list[Row], list[Row], list]:
    text = read_text(path)
    expected = expected_rows(path, text)
    facts = pinlint_facts(path, text)
    return expected, pinlint_rows(facts, expected), list(facts.errors)


def describe_diff(expected: list[Row], actual: list[Row]) -> str:
    lines = []
    for i in range(max(len(expected), len(actual))):
        e = expected[i] if i < len(expected) else None
        a = actual[i] if i < len(actual) else None
        mark = "  " if e == a else "!!"
        lines.append(f"{mark} buildkit={e}  pinlint={a}")
    return "\n".join(lines)


# ------------------------------------------------------------------ corpus hygiene


def test_corpus_has_at_least_60_files():
    assert len(CORPUS) >= 60, [p.name for p in CORPUS]


def test_corpus_file_names_are_numbered_and_unique():
    numbers = [p.name.split("-", 1)[0] for p in CORPUS]
    assert all(n.isdigit() and len(n) == 2 for n in numbers), numbers
    assert len(set(numbers)) == len(numbers)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_file_is_small(path):
    text = read_text(path)
    count = len(text.split("\n")) - (1 if text.endswith("\n") else 0)
    assert 5 <= count <= 40, count


def test_corpus_bytes_preserved():
    """Editors and git filters must not normalise the byte-level cases."""
    data = {p.name: p.read_bytes() for p in CORPUS}
    assert data["11-bom.Dockerfile"].startswith(b"\xef\xbb\xbf")
    for name in (
        "12-crlf.Dockerfile",
        "13-crlf-escape-backtick.Dockerfile",
        "76-crlf-continuation-edge-cases.Dockerfile",
    ):
        assert data[name].count(b"\n") == data[name].count(b"\r\n") > 0, name
    assert not data["22-continuation-at-eof-no-newline.Dockerfile"].endswith(b"\n")
    assert data["22-continuation-at-eof-no-newline.Dockerfile"].endswith(b"\\")
    seps = data["28-unicode-line-separators.Dockerfile"].decode("utf-8")
    for ch in ("\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\r"):
        assert ch in seps, repr(ch)
    assert "\t" in (CORPUS_DIR / "31-heredoc-chomp-tabs.Dockerfile").read_text("utf-8")
    nbsp = data["78-unicode-leading-whitespace.Dockerfile"].decode("utf-8")
    for ch in ("\u00a0", "\u2003", "\u3000", "\x85"):
        assert ch in nbsp, repr(ch)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_oracle_accepts_corpus_file(path):
    text = read_text(path)
    assert dockerfile.parse_string(text)
    # BuildKit strips the BOM itself; handing it the raw text must not change anything.
    raw = path.read_bytes().decode("utf-8")
    assert oracle_rows(raw) == oracle_rows(text)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_oracle_rejects_invalid_input(path):
    with pytest.raises(dockerfile.GoParseError):
        dockerfile.parse_string(read_text(path))


# ------------------------------------------------------------------ differential


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_instructions_agree_with_buildkit(path):
    expected, actual, _ = compare(path)
    assert actual == expected, f"{path.name}\n{describe_diff(expected, actual)}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_no_parse_errors_on_valid_input(path):
    facts = pinlint_facts(path, read_text(path))
    assert list(facts.errors) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_input_reported_by_pinlint(path):
    text = read_text(path)
    with pytest.raises(dockerfile.GoParseError) as oracle_error:
        dockerfile.parse_string(text)
    facts = pinlint_facts(path, text)
    assert facts.errors, f"BuildKit rejects {path.name} ({oracle_error.value}); pinlint reported nothing"


def test_agreement_summary(capsys):
    """One number for reports: on how many corpus files pinlint agrees with BuildKit."""
    agree, disagree = [], []
    for path in CORPUS:
        try:
            expected, actual, _ = compare(path)
        except Exception as exc:
            disagree.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        if actual == expected:
            agree.append(path.name)
        else:
            disagree.append(f"{path.name}\n{describe_diff(expected, actual)}")
    invalid_reported = 0
    for path in INVALID:
        try:
            if pinlint_facts(path, read_text(path)).errors:
                invalid_reported += 1
        except Exception:
            pass
    summary = (
        f"pinlint agrees with BuildKit on {len(agree)}/{len(CORPUS)} corpus files; "
        f"reports errors for {invalid_reported}/{len(INVALID)} invalid inputs"
    )
    with capsys.disabled():
        print("\n" + summary)
        for item in disagree:
            print("DISAGREE " + item)
    assert not disagree and invalid_reported == len(INVALID), summary
