"""Inputs written to hurt: a stranger's pull request must not hang, exhaust memory, crash with a
traceback or rewrite the terminal (issue 12). Each test reproduces one attack; the work each one
does is bounded in time and, where memory is at stake, by an address-space ceiling, so a
regression fails the test instead of taking the machine down."""

from __future__ import annotations

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


@pytest.fixture
def memory_ceiling() -> Iterator[None]:
    """At most 512 MB more address space while the test runs (MemoryError instead of swapping)."""
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
