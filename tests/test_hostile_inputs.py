"""Inputs written to hurt: a stranger's pull request must not hang, exhaust memory, crash with a
traceback or rewrite the terminal (issue 12). Each test reproduces one attack; the work each one
does is bounded in time and, where memory is at stake, by an address-space ceiling, so a
regression fails the test instead of taking the machine down."""

from __future__ import annotations

import contextlib
import functools
import re
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pinlint.cli import main
from pinlint.gitignore import IgnoreFile, glob_regex


@contextlib.contextmanager
def memory_ceiling() -> Iterator[None]:
    """At most 512 MB more address space inside the block (MemoryError instead of swapping); lifted
    as soon as the block exits, before pytest needs memory to report a failure."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    ceiling = used + 512 * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# -- 9. ignore matching in linear time --------------------------------------------------------

STARS = "*a" * 20 + "*b"  # 42 characters; 43 bytes as a .gitignore line


@pytest.mark.parametrize(
    "pattern",
    [STARS, "a" + STARS, "**/" + STARS, "**/a/" * 12 + "b", ("*a/" * 10) + "**/" + STARS, "*[a]?" * 15 + "*b"],
)
def test_ignore_patterns_match_in_linear_time(pattern: str) -> None:
    ignore = IgnoreFile("", [pattern])
    for path in ("a" * 250, "a/" * 120 + "a" * 200, ("a" * 60 + "/") * 8 + "c"):
        started = time.perf_counter()
        ignore.match(path, False)
        glob_regex(pattern).match(path)
        assert time.perf_counter() - started < 0.5, (pattern, path)


def test_gitignore_with_exponential_pattern_does_not_hang_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: `check` ran past 120 s on this (git check-ignore answers in 0.00 s).
    root = _write(
        tmp_path,
        {".gitignore": STARS + "\n", "a" * 200 + ".Dockerfile": "FROM scratch\n", "Dockerfile": "FROM scratch\n"},
    )
    (root / ".git").mkdir()
    started = time.perf_counter()
    assert main(["check", "--no-config", str(root)]) == 0
    assert time.perf_counter() - started < 10
    capsys.readouterr()


def test_exclude_and_per_file_ignores_with_exponential_pattern(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pinlint.toml": f'exclude = ["{STARS}"]\n[per-file-ignores]\n"{STARS}" = ["PIN001"]\n',
            "a" * 200 + ".Dockerfile": "FROM python:latest\n",
        },
    )
    started = time.perf_counter()
    assert main(["check", "--config", str(root / "pinlint.toml"), str(root)]) == 1
    assert time.perf_counter() - started < 10


def _reference_match(pattern: str, path: str) -> bool:
    """gitignore(5) semantics by plain memoised recursion over the pattern (slow, obviously right)."""
    tokens: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i) and (i == 0 or pattern[i - 1] == "/"):
            after = i + 2
            if after == len(pattern):
                tokens.append("REST")
                i = after
                continue
            if pattern[after] == "/":
                tokens.append("DIRS")
                i = after + 1
                continue
        if pattern.startswith("**", i):
            tokens.append("*")
            i += 2
            continue
        tokens.append(pattern[i])
        i += 1

    @functools.cache
    def match(t: int, p: int) -> bool:
        if t == len(tokens):
            return p == len(path)
        token = tokens[t]
        if token == "REST":
            return True
        if token == "DIRS":  # zero or more whole segments
            if match(t + 1, p):
                return True
            return any(path[q] == "/" and match(t + 1, q + 1) for q in range(p, len(path)))
        if token == "*":
            return match(t + 1, p) or (p < len(path) and path[p] != "/" and match(t, p + 1))
        if token == "?":
            return p < len(path) and path[p] != "/" and match(t + 1, p + 1)
        return p < len(path) and path[p] == token and match(t + 1, p + 1)

    return match(0, 0)


@settings(max_examples=400, deadline=None)
@example(pattern="a/**/b/**/c/**/d", path="a/b/c/b/d")  # the first place a middle block fits
@example(pattern="*a*b*a", path="xaybza/a")
@given(
    pattern=st.lists(st.sampled_from(["a", "b", "c", "*", "**", "?", "/", "**/", "/**"]), min_size=1, max_size=10).map(
        "".join
    ),
    path=st.lists(st.sampled_from(["a", "b", "c", "/", "ab"]), min_size=1, max_size=10).map("".join),
)
def test_linear_matcher_agrees_with_plain_recursion(pattern: str, path: str) -> None:
    pattern = pattern.strip("/")
    if not pattern or "//" in pattern or "//" in path or path.startswith("/") or path.endswith("/"):
        return
    assert bool(glob_regex(pattern).match(path)) is _reference_match(pattern, path), (pattern, path)
    unanchored = "/" not in pattern
    expected = _reference_match(pattern if not unanchored else "**/" + pattern, path)
    assert (IgnoreFile("", [pattern]).match(path, False) is True) is expected, (pattern, path)


def test_glob_regex_stays_a_compiled_pattern() -> None:
    assert isinstance(glob_regex("services/**/*.Dockerfile"), re.Pattern)


# -- 6. bounded expansion ----------------------------------------------------------------------


def _doubling(levels: int, prefix: str = "ARG ") -> str:
    lines = [f"{prefix}A0=ab"] + [f"{prefix}A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_doubling_arg_chain_is_a_parse_error_not_out_of_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: 22 levels (471 bytes) took 2.2 GB and 11 s; 27 levels ran out of memory.
    root = _write(tmp_path, {"Dockerfile": _doubling(27) + "FROM python:${A27}\n"})
    started = time.perf_counter()
    with memory_ceiling():
        code = main(["check", "--no-config", str(root)])
    assert code == 1
    assert time.perf_counter() - started < 10
    out = capsys.readouterr().out
    # A11 is 4096 characters; A12 would be 8192: refused where it is written.
    assert f"{root / 'Dockerfile'}:13:5: PIN900 error: ARG A12: expansion longer than 4096 characters" in out
    assert "PIN004" in out  # the reference depends on what could not be expanded


def test_doubling_chain_in_dotenv_does_not_exhaust_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _write(
        tmp_path,
        {".env": _doubling(27), "compose.yaml": "services:\n  web:\n    image: python:${A27}\n"},
    )
    started = time.perf_counter()
    with memory_ceiling():
        code = main(["check", "--no-config", str(root)])
    assert code == 1
    assert time.perf_counter() - started < 10
    out = capsys.readouterr().out
    assert "PIN004" in out  # the .env is refused as a whole; the variable has no value


def test_doubling_chain_in_compose_value_is_a_parse_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Interpolation in the Compose file itself, from a shallow .env value repeated.
    reference = "${A}" * 2000
    root = _write(
        tmp_path,
        {".env": "A=" + "x" * 1000 + "\n", "compose.yaml": f"services:\n  web:\n    image: python:{reference}\n"},
    )
    with memory_ceiling():
        code = main(["check", "--no-config", str(root)])
    assert code == 1
    out = capsys.readouterr().out
    assert f"{root / 'compose.yaml'}:3:12: PIN900" in out
    assert "expansion longer than" in out


NESTED = "${A:-" * 400 + "3" + "}" * 400


def test_deeply_nested_defaults_in_dockerfile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: RecursionError traceback.
    root = _write(tmp_path, {"Dockerfile": f"ARG A\nFROM python:{NESTED}\n"})
    assert main(["check", "--no-config", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{root / 'Dockerfile'}:2:6: PIN900 error: variable references nested more than 64 deep" in out


def test_deeply_nested_defaults_in_compose(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _write(tmp_path, {"compose.yaml": f"services:\n  web:\n    image: python:{NESTED * 3}\n"})
    assert main(["check", "--no-config", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{root / 'compose.yaml'}:3:12: PIN900 error: variable references nested more than 64 deep" in out


def test_nesting_within_the_limit_still_expands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nested = "${A:-" * 60 + "3.12" + "}" * 60
    root = _write(tmp_path, {"Dockerfile": f"ARG A\nFROM python:{nested}\n"})
    assert main(["check", "--no-config", str(root)]) == 1
    assert "PIN003 error: Image 'python:" in capsys.readouterr().out


def test_long_literal_arg_default_is_not_an_expansion_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packages = " ".join(f"package{i}" for i in range(1000))  # ~10 KB, copied, not grown
    root = _write(tmp_path, {"Dockerfile": f'ARG PACKAGES="{packages}"\nARG COPY=$PACKAGES\nFROM scratch\n'})
    assert main(["check", "--no-config", str(root)]) == 0
    capsys.readouterr()


def test_budget_bounds_fan_out_of_one_value() -> None:
    from pinlint.model import MappedText
    from pinlint.sources.expand import ExpansionBudget, ExpansionLimitError, expand, literal
    from pinlint.sources.interpolate import TemplateError, interpolate

    env = {"A": literal("x" * 4000)}
    budget = ExpansionBudget()
    word = MappedText("${A}", (0, 1, 2, 3))
    with pytest.raises(ExpansionLimitError, match="in total"):
        for _ in range(300):
            expand(word, env, budget=budget)
    budget = ExpansionBudget()
    with pytest.raises(TemplateError, match="in total"):
        for _ in range(300):
            interpolate(word, env, budget=budget)
    for _ in range(300):  # without a budget only each value is bounded
        expand(word, env)


def test_fan_out_of_a_large_arg_is_bounded_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 60 000 lines of `ARG Bn=${A}` with a 4 KB A (950 KB file): 2.2 GB and 35 s without a budget.
    lines = "".join(f"ARG B{i}=${{A}}\n" for i in range(300))
    root = _write(tmp_path, {"Dockerfile": "ARG A=" + "x" * 4000 + "\n" + lines + "FROM scratch\n"})
    main(["check", "--no-config", str(root)])
    assert "variable expansions in this file add more than" in capsys.readouterr().out


@pytest.mark.parametrize("form", ["${A##PATTERN}", "${A%PATTERN}", "${A/PATTERN/x}", "${A//PATTERN/x}"])
def test_trim_and_replace_patterns_do_not_backtrack_exponentially(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    # Before: `*a*a*…*b` against 30 characters took 2 s, against 40 more than 20 s.
    word = form.replace("PATTERN", "*a" * 10 + "*b")
    root = _write(tmp_path, {"Dockerfile": f"ARG A={'a' * 200}\nFROM python:{word}\n"})
    started = time.perf_counter()
    assert main(["check", "--no-config", str(root)]) == 1
    assert time.perf_counter() - started < 10
    capsys.readouterr()


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # expected values from bash with A=xab.cab.dab.c
        ("${A#*a*b}", ".cab.dab.c"),  # shortest prefix
        ("${A##*a*b}", ".c"),  # longest prefix
        ("${A%a*b*}", "xab.cab.d"),
        ("${A%%a*b*}", "x"),
        ("${A/a?b/Z}", "xab.cab.dab.c"),
        ("${A/a*b/Z}", "xZ.c"),
        ("${A//a*.c/Z}", "xZ"),
        ("${A/*a*b/Z}", "Z.c"),
    ],
)
def test_shell_patterns_keep_their_meaning(word: str, expected: str) -> None:
    from pinlint.model import MappedText
    from pinlint.sources.expand import expand, literal

    value = expand(MappedText(word, tuple(range(len(word)))), {"A": literal("xab.cab.dab.c")}).value.text
    assert value == expected


# -- 8. everything printed is escaped ------------------------------------------------------------

REDRAW = "\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\rAll checks passed! (1 file checked)\x1b[8m"
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _hostile_project(root: Path) -> Path:
    _write(root, {"Dockerfile": f"FROM python:latest\nFROM busybox:1.36{REDRAW}\nFROM alpine:3.20\u202e\n"})
    (root / "sub").mkdir()
    (root / "sub" / "x\x1b[31m\u2028.Dockerfile").write_text("FROM alpine\n")
    return root


def test_text_output_cannot_redraw_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: the ESC sequences went out raw and the terminal showed "All checks passed!" last.
    root = _hostile_project(tmp_path)
    assert main(["check", "--no-config", str(root)]) == 1
    out = capsys.readouterr().out
    assert _RAW_CONTROL.search(out) is None, out
    lines = out.splitlines()
    assert not any(line.startswith("All checks passed!") for line in lines)
    assert "\\x1b[2K" in out and "\\u202e" in out and "\\u2028" in out
    assert lines[-2].startswith("Found ") and "5 errors" in lines[-2]


def test_github_annotations_carry_no_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _hostile_project(tmp_path)
    assert main(["check", "--no-config", "--format", "github", str(root)]) == 1
    out = capsys.readouterr().out
    assert _RAW_CONTROL.search(out) is None, out
    assert all(line.startswith("::") for line in out.splitlines())


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_json_formats_stay_valid_and_lossless(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    import json

    root = _hostile_project(tmp_path)
    assert main(["check", "--no-config", "--format", fmt, str(root)]) == 1
    out = capsys.readouterr().out
    assert _RAW_CONTROL.search(out) is None
    strings = "\n".join(_strings(json.loads(out)))  # decodes to what the files hold
    assert REDRAW[:5] in strings and "\u202e" in strings
    name = "x%1B%5B31m%E2%80%A8.Dockerfile" if fmt == "sarif" else "x\x1b[31m\u2028.Dockerfile"  # SARIF: a URI
    assert name in strings


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_undecodable_file_name_is_printed_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import os

    (tmp_path / "sub").mkdir()
    with open(os.path.join(os.fsencode(tmp_path / "sub"), b"x\xff.Dockerfile"), "wb") as fh:
        fh.write(b"FROM alpine\n")
    for fmt in ("text", "github", "json", "sarif", "gitlab"):
        assert main(["check", "--no-config", "--format", fmt, str(tmp_path)]) == 1
        out = capsys.readouterr().out
        out.encode("utf-8")  # strict: what a UTF-8 stdout would do
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(out)
        else:
            assert "x\\udcff.Dockerfile" in out


def test_escape_functions() -> None:
    from pinlint.report.escape import echo, error_line, json_safe, printable

    assert printable("python:3.12 — ünïcode ✓") == "python:3.12 — ünïcode ✓"
    assert printable("a\x1b[31mb\r\n\t\x7f\x9b\u200b\u202e\u2028\U000e0001") == (
        "a\\x1b[31mb\\r\\n\\t\\x7f\\x9b\\u200b\\u202e\\u2028\\U000e0001"
    )
    assert printable("a\r\nb\x1b", keep="\r\n") == "a\r\nb\\x1b"  # GitHub escapes CR LF its own way
    body = "denied\n::warning file=x::owned\n::set-output name=a::b" + "x" * 1000
    shown = echo(body)
    assert "\n" not in shown and len(shown) < 300 and shown.endswith("(853 more characters)")
    line = error_line(f"registry said: {body}")
    assert line.startswith("pinlint: error: ") and "\n" not in line
    assert json_safe('{"a": "\x9b\u202e\udcff\U000e0001 ok é"}') == (
        '{"a": "\\u009b\\u202e\\udcff\\udb40\\udc01 ok é"}'
    )


# -- 10. TOML from the repository: nesting, size, encoding ----------------------------------------


def _check_in(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    import os

    old = os.getcwd()
    os.chdir(root)
    try:
        code = main(["check", "."])
    finally:
        os.chdir(old)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "nested",
    ["[" * 2000 + "]" * 2000, "{a = " * 2000 + "1" + "}" * 2000],
    ids=["arrays", "inline-tables"],
)
@pytest.mark.parametrize("name", ["pinlint.lock", "pinlint.toml", "pyproject.toml"])
def test_deeply_nested_toml_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, nested: str
) -> None:
    # Before: a RecursionError traceback.
    document = {
        "pinlint.lock": f"version = 1\nx = {nested}\n",
        "pinlint.toml": f"select = {nested}\n",
        "pyproject.toml": f"[tool.pinlint]\nselect = {nested}\n",
    }[name]
    root = _write(tmp_path, {name: document, "Dockerfile": "FROM python:3.12\n"})
    code, err = _check_in(root, capsys)
    assert code == 2
    assert err.splitlines() == [f"pinlint: error: {root / name}: invalid TOML: arrays or tables nested too deeply"]


def test_oversized_lock_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: no limit (59 MB took 22 s to parse, 387 MB ran for minutes).
    root = _write(tmp_path, {"Dockerfile": "FROM python:3.12\n"})
    with open(root / "pinlint.lock", "w") as fh:
        fh.write("version = 1\n")
        fh.write(("# " + "x" * 1021 + "\n") * (9 * 1024))  # 9 MiB of comments
    started = time.perf_counter()
    code, err = _check_in(root, capsys)
    assert time.perf_counter() - started < 5
    assert code == 2
    assert err.splitlines() == [f"pinlint: error: {root / 'pinlint.lock'}: larger than 8 MiB; not read"]


def test_oversized_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _write(tmp_path, {"pinlint.toml": "select = []\n" + "#\n" * (600 * 1024), "Dockerfile": "FROM scratch\n"})
    code, err = _check_in(root, capsys)
    assert code == 2
    assert err.splitlines() == [f"pinlint: error: {root / 'pinlint.toml'}: larger than 1 MiB; not read"]


@pytest.mark.parametrize("name", ["pinlint.lock", "pinlint.toml"])
def test_toml_that_is_not_utf8_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # Before: tomllib.load let the UnicodeDecodeError through as a traceback.
    root = _write(tmp_path, {"Dockerfile": "FROM scratch\n"})
    (root / name).write_bytes(b"version = 1\n# caf\xe9\n")
    code, err = _check_in(root, capsys)
    assert code == 2
    assert err.splitlines() == [f"pinlint: error: {root / name}: invalid TOML: not UTF-8 (byte 0xe9 on line 2)"]


LONG = "x" * 300  # one path component longer than NAME_MAX (255)


def test_file_kind_never_raises(tmp_path: Path) -> None:
    import os

    from pinlint.sources.text import file_kind

    (tmp_path / "f").write_text("")
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "p")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert file_kind(tmp_path / "f").is_file and file_kind(tmp_path / "d").is_dir
    assert file_kind(tmp_path / "p").kind == "other"
    assert file_kind(tmp_path / "nothing") == ("missing", "")
    assert file_kind(tmp_path / "f" / "below") == ("missing", "")
    with pytest.raises(OSError):
        (tmp_path / LONG).is_file()  # what the callers used
    assert file_kind(tmp_path / LONG) == ("missing", "File name too long")
    assert file_kind(tmp_path / LONG / "Dockerfile").kind == "missing"
    assert file_kind(tmp_path / "a\0b") == ("missing", "invalid path (NUL character)")
    assert file_kind(tmp_path / "loop").kind == "missing"


_WIRE = "the lead wires sources.text.file_kind into "


@pytest.mark.parametrize(
    "compose",
    [
        f"services:\n  web:\n    build:\n      context: {LONG}\n",
        f"services:\n  web:\n    build:\n      context: .\n      dockerfile: {LONG}\n",
        f"include:\n  - {LONG}/compose.yaml\nservices: {{}}\n",
        f"services:\n  web:\n    extends:\n      file: {LONG}.yaml\n      service: x\n",
    ],
    ids=["context", "dockerfile", "include", "extends"],
)
def test_overlong_path_component_in_compose_is_a_parse_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], compose: str
) -> None:
    # Before: OSError ENAMETOOLONG traceback from Path.is_file(). A build path is PIN901 (a build
    # that cannot run), an include or extends file PIN900; both say why.
    root = _write(tmp_path, {"compose.yaml": compose})
    assert main(["check", "--no-config", str(root)]) == 1
    out = capsys.readouterr().out
    assert ("PIN900" in out or "PIN901" in out) and "File name too long" in out


def test_overlong_lock_file_setting_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _write(tmp_path, {"pinlint.toml": f'lock-file = "{LONG}"\n', "Dockerfile": "FROM scratch\n"})
    code, err = _check_in(root, capsys)
    assert code in (0, 2) and "Traceback" not in err


def test_overlong_path_argument_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-config", str(tmp_path / LONG)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


# -- 8. a registry's error body on stderr ------------------------------------------------------------

_INJECTION = "nope\n::warning file=x::owned\n::set-output name=a::b\x1b[2K" + "y" * 5000


@pytest.fixture
def hostile_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A loopback registry that answers every manifest request with 404 and a hostile error body."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": _INJECTION}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, with_body: bool) -> None:
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self._reply(False)

        def do_GET(self) -> None:
            self._reply(True)

        def log_message(self, format: str, *args: object) -> None:
            pass

    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_registry_error_body_cannot_inject_workflow_commands(
    hostile_registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the whole body reached stderr, `::warning`/`::set-output` lines included.
    assert main(["resolve", f"{hostile_registry}/x:1"]) == 3
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert _RAW_CONTROL.search(err) is None
    assert "more characters)" in err and len(err) < 1000


def test_fan_out_in_dotenv_is_bounded_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 60 000 lines of `Bn=${A}` with a 4 KB A (713 KB .env): about 2 GB without a per-file budget.
    # 300 lines already spend the budget: the .env is refused and B5 has no value.
    lines = "".join(f"B{i}=${{A}}\n" for i in range(300))
    root = _write(
        tmp_path,
        {".env": "A=" + "x" * 4000 + "\n" + lines, "compose.yaml": "services:\n  web:\n    image: python:${B5}\n"},
    )
    assert main(["check", "--no-config", str(root)]) == 1
    assert "PIN004" in capsys.readouterr().out


def test_overlong_config_path_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: OSError ENAMETOOLONG traceback from Path.is_file() in config.load.
    assert main(["check", "--config", str(tmp_path / LONG), str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"pinlint: error: config file not found: {tmp_path / LONG} (File name too long)"
    ]
