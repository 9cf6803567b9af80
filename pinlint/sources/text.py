"""Reading a source file's bytes into text: UTF-8 only, BOM noted, size bounded, bad input explained.

A file that cannot be read, is binary, UTF-16/32, or not valid UTF-8 gives a one-line reason
with the position of the first bad byte instead of text. `file_kind` asks what a path names
without raising: paths written in a repository's files (Compose `build:`, `include:`, the
`lock-file` setting) may be longer than the OS allows (ENAMETOOLONG), hold a NUL, or loop.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

# Real Dockerfiles and Compose files are a few kilobytes; a bigger file is generated or not a
# build file at all, and reading it fully would only cost time (and memory) for nothing.
MAX_BYTES = 1024 * 1024
_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


class SourceText(NamedTuple):
    text: str  # BOM removed
    bom: bool


class DecodeError(ValueError):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def decode(data: bytes) -> SourceText:
    for mark, name in _BOMS.items():
        if data.startswith(mark):
            raise DecodeError(f"file is {name} encoded; only UTF-8 is supported")
    has_bom = data.startswith(b"\xef\xbb\xbf")
    if has_bom:
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return_col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise DecodeError("binary file (NUL byte); not a text file", line, return_col)
    try:
        return SourceText(data.decode("utf-8"), has_bom)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise DecodeError(f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", line, column) from None


def read(path: Path) -> SourceText:
    """Read and decode a file; OSError and DecodeError carry the reason."""
    with path.open("rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DecodeError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; not checked")
    return decode(data)


class OutsideProject(OSError):
    """A file whose real path is outside the project: not opened."""


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether the real path of `path` (every symlink followed) lies in one of `roots` (real
    paths of directories); True when `roots` is empty (no confinement)."""
    if not roots:
        return True
    try:
        target = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return False
    return any(target == root or root in target.parents for root in roots)


def outside_message(path: Path, shown: str | None = None) -> str:
    """Why a file named by a repository's file or symlink is not read (`shown`: its name as the
    message gives it, default the path)."""
    real = os.path.realpath(path)
    link = f" (a link to {real})" if os.path.abspath(path) != real else ""
    return f"{path if shown is None else shown}{link} is outside the project; not read"


def read_inside(path: Path, roots: Sequence[Path]) -> SourceText:
    """`read`, for a file inside `roots` only (OutsideProject, before opening it, otherwise)."""
    if not inside(path, roots):
        raise OutsideProject(0, outside_message(path))
    return read(path)


class PathKind(NamedTuple):
    """What a path names: "file", "dir", "other" or "missing"; `reason` says why it is missing
    when that is not simply that nothing is there (for the one-line error)."""

    kind: str
    reason: str = ""

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"


def file_kind(path: Path) -> PathKind:
    """What `path` names, following symlinks; never raises, unlike Path.is_file() and
    Path.exists(), which let ENAMETOOLONG (a 300-character path component) through."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:  # an embedded NUL
        return PathKind("missing", "invalid path (NUL character)")
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # nothing there
            return PathKind("missing")
        return PathKind("missing", exc.strerror or str(exc))
    if stat.S_ISREG(mode):
        return PathKind("file")
    if stat.S_ISDIR(mode):
        return PathKind("dir")
    return PathKind("other")
