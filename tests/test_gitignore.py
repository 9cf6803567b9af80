"""`pinlint.gitignore`: pattern matching as gitignore(5) describes it, and `glob_regex` for config globs.

`IgnoreFile.match` answers True (ignored), False (re-included by `!`) or None (no pattern
matched) for a path relative to the repository root. Expectations follow gitignore(5) and
git's wildmatch with WM_PATHNAME (a `/` is only matched by a literal `/` or by `**`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pinlint.gitignore import GitIgnore, IgnoreFile, find_repo_root, glob_regex

# (pattern, path, is_dir, expected)
TABLE: list[tuple[str, str, bool, bool | None]] = [
    # No slash: matches the name at any depth, files and directories.
    ("*.log", "debug.log", False, True),
    ("*.log", "services/api/debug.log", False, True),
    ("*.log", "debug.log.txt", False, None),
    ("Dockerfile.local", "Dockerfile.local", False, True),
    ("Dockerfile.local", "services/Dockerfile.local", False, True),
    ("Dockerfile.local", "Dockerfile.local.bak", False, None),
    ("build", "build", True, True),
    ("build", "build", False, True),
    ("build", "src/build", True, True),
    ("build", "rebuild", True, None),
    # Trailing slash: directories only.
    ("build/", "build", True, True),
    ("build/", "build", False, None),
    ("build/", "services/api/build", True, True),
    # Leading slash: anchored to the ignore file's directory.
    ("/logs", "logs", True, True),
    ("/logs", "services/logs", True, None),
    ("/*.Dockerfile", "dev.Dockerfile", False, True),
    ("/*.Dockerfile", "services/dev.Dockerfile", False, None),
    # A slash in the middle anchors too.
    ("doc/frotz", "doc/frotz", True, True),
    ("doc/frotz", "a/doc/frotz", True, None),
    ("doc/frotz/", "doc/frotz", True, True),
    ("doc/frotz/", "doc/frotz", False, None),
    # `*` does not cross `/`.
    ("foo/*", "foo/test.json", False, True),
    ("foo/*", "foo/bar", True, True),
    ("foo/*", "foo/bar/hello.c", False, None),
    ("*", "anything", False, True),
    # `**`
    ("**/foo", "foo", True, True),
    ("**/foo", "a/b/foo", False, True),
    ("**/foo/bar", "foo/bar", False, True),
    ("**/foo/bar", "x/y/foo/bar", False, True),
    ("abc/**", "abc/x", False, True),
    ("abc/**", "abc/x/y", False, True),
    ("abc/**", "abc", True, None),
    ("a/**/b", "a/b", False, True),
    ("a/**/b", "a/x/b", False, True),
    ("a/**/b", "a/x/y/b", False, True),
    ("a/**/b", "b", False, None),
    ("a/**b", "a/xb", False, True),  # other consecutive asterisks are regular asterisks
    ("a/**b", "a/x/b", False, None),
    # `?` and bracket expressions match one character, never `/`.
    ("?.txt", "a.txt", False, True),
    ("?.txt", "ab.txt", False, None),
    ("a?b", "a/b", False, None),
    ("[abc].txt", "b.txt", False, True),
    ("[abc].txt", "d.txt", False, None),
    ("[!abc].txt", "d.txt", False, True),
    ("[!abc].txt", "a.txt", False, None),
    ("Dockerfile.[0-9]", "Dockerfile.7", False, True),
    ("Dockerfile.[0-9]", "Dockerfile.x", False, None),
    # Escapes, comments, spaces.
    ("\\!important", "!important", False, True),
    ("\\#hash", "#hash", False, True),
    ("a\\*b", "a*b", False, True),
    ("a\\*b", "axb", False, None),
    ("# a comment", "# a comment", False, None),
    ("trailing   ", "trailing", False, True),
    ("trailing\\ ", "trailing ", False, True),
    ("trailing\\ ", "trailing", False, None),
    (" leading", " leading", False, True),
    (" leading", "leading", False, None),
    # A negation alone re-includes.
    ("!keep.Dockerfile", "keep.Dockerfile", False, False),
]


@pytest.mark.parametrize(("pattern", "path", "is_dir", "expected"), TABLE)
def test_pattern_table(pattern: str, path: str, is_dir: bool, expected: bool | None) -> None:
    assert IgnoreFile("", [pattern]).match(path, is_dir) is expected




@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # wildmatch with WM_PATHNAME: a bracket expression never matches '/'.
        pytest.param("a[!x]c", "a/c", None),
        pytest.param("a[^x]c", "a/c", None),
        ("a[!x]c", "abc", True),
        # POSIX character classes inside brackets.
        pytest.param("Dockerfile.[[:digit:]]", "Dockerfile.7", True),
    ],
)
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
def test_bracket_expressions_like_git(pattern: str, path: str, expected: bool | None) -> None:
    assert IgnoreFile("", [pattern]).match(path, False) is expected


def test_invalid_range_matches_nothing() -> None:
    ignore = IgnoreFile("", ["*.log", "backup-[z-a]"])
    assert ignore.match("backup-q", False) is None
    assert ignore.match("x.log", False) is True


def test_blank_lines_comments_and_crlf() -> None:
    ignore = IgnoreFile("", ["", "# generated images", "*.tmp.Dockerfile\r\n", "   ", "/"])
    assert ignore.match("x.tmp.Dockerfile", False) is True
    assert ignore.match("x.Dockerfile", False) is None


def test_later_patterns_win() -> None:
    ignore = IgnoreFile("", ["*.Dockerfile", "!keep.Dockerfile", "keep.Dockerfile"])
    assert ignore.match("keep.Dockerfile", False) is True
    ignore = IgnoreFile("", ["*.Dockerfile", "!keep.Dockerfile"])
    assert ignore.match("keep.Dockerfile", False) is False
    assert ignore.match("drop.Dockerfile", False) is True


def test_ignore_file_in_a_subdirectory_is_scoped_to_it() -> None:
    ignore = IgnoreFile("services", ["/generated", "*.tmp", "api/out/"])
    assert ignore.match("services/generated", True) is True
    assert ignore.match("generated", True) is None
    assert ignore.match("services/api/generated", True) is None
    assert ignore.match("services/api/x.tmp", False) is True
    assert ignore.match("other/x.tmp", False) is None
    assert ignore.match("services/api/out", True) is True
    assert ignore.match("servicesx/a.tmp", False) is None


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git" / "info").mkdir(parents=True)
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_gitignore_combines_files_deeper_last(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            ".git/info/exclude": "*.scratch\n",
            ".gitignore": "*.Dockerfile\n",
            "services/.gitignore": "!api.Dockerfile\n",
        },
    )
    ignore = GitIgnore(root)
    ignore.enter(root)
    ignore.enter(root / "services")
    assert ignore.ignored(root / "notes.scratch", False) is True
    assert ignore.ignored(root / "api.Dockerfile", False) is True
    assert ignore.ignored(root / "services" / "api.Dockerfile", False) is False
    assert ignore.ignored(root / "services" / "web.Dockerfile", False) is True
    assert ignore.ignored(root / "Dockerfile", False) is False


def test_file_under_an_ignored_directory_is_ignored(tmp_path: Path) -> None:
    root = _repo(tmp_path, {".gitignore": "build/\n"})
    ignore = GitIgnore(root)
    ignore.enter(root)
    assert ignore.ignored(root / "build", True) is True
    assert ignore.ignored(root / "build" / "Dockerfile", False) is True


def test_find_repo_root(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"services/api/Dockerfile": "FROM scratch\n"})
    assert find_repo_root(root / "services" / "api") == root
    assert find_repo_root(root) == root


def test_find_repo_root_accepts_a_git_file(tmp_path: Path) -> None:
    # Worktrees and submodules have a `.git` file pointing elsewhere.
    (tmp_path / "wt" / "sub").mkdir(parents=True)
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/wt\n")
    assert find_repo_root(tmp_path / "wt" / "sub") == tmp_path / "wt"


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("Dockerfile", "Dockerfile", True),
        ("Dockerfile", "services/Dockerfile", False),
        ("*.Dockerfile", "api.Dockerfile", True),
        ("*.Dockerfile", "services/api.Dockerfile", False),
        ("services/*", "services/Dockerfile", True),
        ("services/*", "services/api/Dockerfile", False),
        ("services/*/Dockerfile", "services/api/Dockerfile", True),
        ("services/**", "services/api/v2/Dockerfile", True),
        ("**/Dockerfile", "Dockerfile", True),
        ("**/Dockerfile", "a/b/Dockerfile", True),
        ("/services/", "services", True),
        ("Dockerfile.?", "Dockerfile.1", True),
        ("Dockerfile.[!0-9]", "Dockerfile.x", True),
        ("Dockerfile.[!0-9]", "Dockerfile.1", False),
        ("legacy", "legacy/Dockerfile", False),
    ],
)
def test_glob_regex(glob: str, path: str, expected: bool) -> None:
    assert bool(glob_regex(glob).match(path)) is expected
