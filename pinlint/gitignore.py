"""Git's ignore rules (`.gitignore`, `.git/info/exclude`) and glob matching for `exclude`.

Small on purpose: pattern → regex translation as gitignore(5) describes it (`*`, `?`, `[…]`,
`**`, leading and trailing `/`, `!` negation, `\\` escapes); later patterns win; a file under
an ignored directory is ignored. The regexes are built so that matching takes time linear in
the path times the pattern for every pattern, since `.gitignore`, `exclude` and
`per-file-ignores` come from the repository being checked. Kept here rather than depending on a
library so that `pinlint check` stays fast to start.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

# Tokens of a pattern: a regex for one character (never '/'), or one of these markers.
_STAR = "*"  # any run of characters within one path segment
_SLASH = "/"
_ANY_DIRS = "**/"  # zero or more whole leading segments (a leading or middle `**/`)
_REST = "/**"  # a trailing `**`: everything that follows


def _tokens(pattern: str) -> list[str]:
    """The pattern as single-character regexes and the markers above, as gitignore(5) reads it."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if pattern.startswith("**", i):
                before_ok = i == 0 or pattern[i - 1] == "/"
                after = i + 2
                if before_ok and (after == n or pattern[after] == "/"):
                    if after == n:
                        out.append(_REST)
                        i = after
                    else:
                        out.append(_ANY_DIRS)
                        i = after + 1
                    continue
                out.append(_STAR)  # other consecutive asterisks are one regular asterisk
                i += 2
                continue
            out.append(_STAR)
        elif ch == "/":
            out.append(_SLASH)
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = _bracket_end(pattern, i)
            if end < 0:
                out.append(re.escape(ch))
            else:
                out.append(_bracket(pattern[i + 1 : end]))
                i = end
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return out


def _segment(tokens: list[str]) -> str:
    """Regex for one path segment that matches it in exactly one way, in time linear in its length
    times the pattern's: each `*` but the last takes the shortest run that lets the next fixed
    part match (the leftmost match of a fixed-length part never loses a match), the whole is atomic
    and must end where the segment ends, so nothing outside can make the engine try again."""
    groups: list[list[str]] = [[]]
    for token in tokens:
        if token == _STAR:
            groups.append([])
        else:
            groups[-1].append(token)
    if len(groups) == 1:
        body = "".join(groups[0])
    else:
        middle = "".join(f"(?>[^/]*?{''.join(group)})" for group in groups[1:-1] if group)
        body = "".join(groups[0]) + middle + "[^/]*" + "".join(groups[-1])
    return f"(?>{body}(?=/|\\Z))"


def _segments(tokens: list[str]) -> str:
    """Regex for segments separated by literal slashes (a trailing `**` may end them)."""
    out: list[str] = []
    current: list[str] = []
    for token in tokens:
        if token == _SLASH:
            out.append(_segment(current) + "/")
            current = []
        elif token == _REST:
            out.append(".*")  # always the last token
        else:
            current.append(token)
    if tokens and tokens[-1] not in (_SLASH, _REST):
        out.append(_segment(current))
    return "".join(out)


def _translate(pattern: str, *, any_leading_dirs: bool = False) -> str:
    """Regex source for a gitignore glob (anchored at the start by re.match; `\\Z` is the caller's).

    Matching time is linear in the path's length times the pattern's, whatever the pattern:
    a regex backtracking engine given `*a*a*a…*b` naively takes exponential time (git's
    wildmatch does not). Segments are matched atomically (see `_segment`); the blocks between two
    `**/` take the first run of segments where they match, which never loses a match for the same
    reason; only the last `**/` is left to the engine's search."""
    tokens = _tokens(pattern)
    if any_leading_dirs:
        tokens.insert(0, _ANY_DIRS)
    blocks: list[list[str]] = [[]]
    for token in tokens:
        if token == _ANY_DIRS:
            if blocks[-1] or len(blocks) == 1:
                blocks.append([])
            continue  # consecutive `**/` are one
        blocks[-1].append(token)
    if len(blocks) > 1 and blocks[-1] == [_REST]:
        blocks.pop()  # `**/**` at the end is everything below, like `**`
        blocks[-1].append(_REST)
    out = [_segments(blocks[0]) if blocks[0] else ""]
    for block in blocks[1:-1]:
        out.append(f"(?>(?:[^/]*/)*?{_segments(block)})")
    if len(blocks) > 1:
        out.append(f"(?:.*/)?{_segments(blocks[-1])}")
    return "".join(out)


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _bracket_end(pattern: str, start: int) -> int:
    """Index of the `]` closing the bracket expression at `start`, or -1."""
    i = start + 1
    if i < len(pattern) and pattern[i] in "!^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern):
        if pattern.startswith("[:", i):
            close = pattern.find(":]", i + 2)
            if close >= 0:
                i = close + 2
                continue
        if pattern[i] == "]":
            return i
        i += 1
    return -1


def _bracket(body: str) -> str:
    """Regex for a bracket expression's body; like git's, it never matches '/'."""
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    parts: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("[:", i):
            close = body.find(":]", i + 2)
            name = body[i + 2 : close] if close >= 0 else ""
            if name in _POSIX_CLASSES:
                parts.append(_POSIX_CLASSES[name])
                i = close + 2
                continue
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            parts.append(re.escape(body[i + 1]))
            i += 2
            continue
        parts.append(ch if ch == "-" and 0 < i < len(body) - 1 else re.escape(ch))
        i += 1
    inner = "".join(parts)
    source = f"[^/{inner}]" if negate else f"(?!/)[{inner}]"
    re.compile(source)  # an invalid range raises re.error; callers decide what that means
    return source


class _Rule(NamedTuple):
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


class IgnoreFile:
    """The patterns of one ignore file, relative to the directory `base` (posix, "" = root)."""

    def __init__(self, base: str, lines: list[str]) -> None:
        self.base = base
        self.rules: list[_Rule] = []
        for raw in lines:
            line = raw.rstrip("\n").rstrip("\r")
            if not line or line.startswith("#"):
                continue
            stripped = line.rstrip(" ")
            if stripped.endswith("\\") and len(line) > len(stripped):
                stripped += " "
            line = stripped
            negate = line.startswith("!")
            if negate or line.startswith("\\!") or line.startswith("\\#"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            try:
                source = _translate(line, any_leading_dirs=not anchored)
            except re.error:
                continue  # like git: a pattern it cannot understand matches nothing
            self.rules.append(_Rule(re.compile(source + r"\Z", re.DOTALL), negate, dir_only))

    def match(self, relpath: str, is_dir: bool) -> bool | None:
        """True (ignored), False (re-included) or None (no opinion) for a path relative to root."""
        if self.base:
            if not relpath.startswith(self.base + "/"):
                return None
            relpath = relpath[len(self.base) + 1 :]
        verdict: bool | None = None
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(relpath):
                verdict = not rule.negate
        return verdict


class GitIgnore:
    """Every ignore file met while walking down from a repository root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[IgnoreFile] = []
        self.read: dict[Path, str | None] = {}  # every ignore file read, with its text (None: unreadable)
        exclude = root / ".git" / "info" / "exclude"
        if exclude.is_file():
            self._add("", exclude)

    def _add(self, base: str, path: Path) -> None:
        text = _read(path)
        self.read[path] = text
        if text is not None:
            self.files.append(IgnoreFile(base, text.splitlines()))

    def unchanged(self) -> bool:
        """Whether every ignore file read so far still says what it said (a walk that found no new
        ignore file would then find the same files again)."""
        return all(_read(path) == text for path, text in self.read.items())

    def enter(self, directory: Path | str) -> None:
        """Read `directory/.gitignore` if there is one (call once per directory, top down)."""
        candidate = os.path.join(directory, ".gitignore")
        if os.path.isfile(candidate):
            rel = Path(directory).relative_to(self.root).as_posix()
            self._add("" if rel == "." else rel, Path(candidate))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether git ignores `path`: itself, or a directory above it (which cannot be re-included)."""
        rel = path.relative_to(self.root).as_posix()
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            last = depth == len(parts)
            if self._verdict("/".join(parts[:depth]), is_dir if last else True):
                return True
        return False

    def ignored_entry(self, rel: str, is_dir: bool) -> bool:
        """`ignored` for a walk going down: `rel` (posix, relative to the root) is in a directory
        already found not ignored after the ignore files of every directory above it were read, so
        no other verdict on the directories above can have changed and only its own is needed."""
        return self._verdict(rel, is_dir)

    def _verdict(self, rel: str, is_dir: bool) -> bool:
        verdict = False
        for ignore_file in self.files:
            result = ignore_file.match(rel, is_dir)
            if result is not None:
                verdict = result
        return verdict


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A `exclude`/`per-file-ignores` glob: `*` stays within a path segment, `**` crosses them.
    ValueError for a pattern that is not a valid glob (such as a reversed range `[z-a]`)."""
    try:
        return re.compile(_translate(pattern.strip("/")) + r"\Z", re.DOTALL)
    except re.error as exc:
        raise ValueError(f"invalid glob {pattern!r}: {exc}") from None


def find_repo_root(start: Path) -> Path | None:
    directory = start
    while True:
        if (directory / ".git").exists():
            return directory
        if directory.parent == directory:
            return None
        directory = directory.parent
