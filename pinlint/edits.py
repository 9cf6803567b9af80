"""Text edits from spans, applied back to front, and atomic file replacement.

An `Edit` replaces `text[start:end]` (character offsets into the decoded text, BOM removed).
Edits are applied from the end of the file to its start so earlier offsets stay valid;
identical edits collapse into one and overlapping different edits are refused. Files are
written through a temporary file in the same directory, flushed to disk and renamed over the
original (the target of a symlink, never the link itself), keeping the file mode, the BOM,
line endings and every byte outside the edits.

A write may be confined (`within`): its real path — symlinks followed, a dangling one to where it
points — must then lie inside one of the given directories (or be one of the given files), or
`OutsideRoot` is raised before anything is created. The commands confine every write to the
project root and the paths given, so a symlink or a path in a file cannot make pinlint write
elsewhere.

A process killed while writing leaves the original untouched: the rename is the only step
that changes it. What it may leave behind is its temporary file, `.<name>.<random>.pinlint-tmp`
beside the target; such a file is never renamed later (each run makes its own), is not a name
discovery picks up, and can be deleted by hand.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

BOM = "\ufeff"


class Edit(NamedTuple):
    start: int
    end: int
    text: str


class EditConflict(ValueError):
    """Two edits touch the same text differently."""


class OutsideRoot(OSError):
    """A write whose real path is outside the directories it is confined to."""


def confine(path: Path, within: Iterable[Path]) -> Path:
    """The real path of `path` (the final target of any symlinks, even a dangling one), if it is
    inside one of `within` (real paths of directories, or of files given by name); else OutsideRoot."""
    target = Path(os.path.realpath(path))
    for allowed in within:
        if target == allowed or allowed in target.parents:
            return target
    shown = f"{path} (a link to {target})" if Path(os.path.abspath(path)) != target else str(path)
    raise OutsideRoot(0, f"refused: {shown} is outside the project; pinlint writes only inside it")


def normalise(edits: Iterable[Edit]) -> list[Edit]:
    """Sorted, duplicates removed; EditConflict when two different edits overlap."""
    unique = sorted(set(edits))
    for before, after in itertools.pairwise(unique):
        overlapping = after.start < before.end or (after.start == before.start and before.start == before.end)
        if overlapping:
            raise EditConflict(
                f"conflicting edits at offsets {before.start}-{before.end} and {after.start}-{after.end}"
            )
    return unique


def apply(text: str, edits: Iterable[Edit]) -> str:
    result = text
    for edit in reversed(normalise(edits)):
        result = result[: edit.start] + edit.text + result[edit.end :]
    return result


def encode(text: str, *, bom: bool) -> bytes:
    """The bytes of a file whose decoded text (BOM removed) is `text`."""
    return ((BOM if bom else "") + text).encode("utf-8")


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(
    path: Path,
    text: str,
    *,
    bom: bool,
    sync_directory: bool = True,
    within: Iterable[Path] | None = None,
) -> Path:
    """Replace the file at `path` (or its symlink target) with `text` as UTF-8, atomically.
    A file that does not exist yet is created with the mode `open()` would give it. Returns the
    directory written to; with sync_directory=False the caller flushes it (once for many files).
    With `within`, a target outside those paths is refused (OutsideRoot) and nothing is written."""
    target = confine(path, within) if within is not None else Path(os.path.realpath(path))
    data = encode(text, bom=bom)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".pinlint-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_directory:
        sync_directories([target.parent])
    return target.parent


def sync_directories(directories: Iterable[Path]) -> None:
    """Make renames in these directories durable (best effort: not every filesystem allows it)."""
    for path in directories:
        with contextlib.suppress(OSError):
            directory = os.open(path, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
