"""Reading a TOML file that comes from the repository (configuration, lock file), bounded.

tomllib reads any size and recurses once per nesting level: a 387 MB lock file or an array
nested a thousand deep gave minutes of parsing or a RecursionError traceback. Here a file is
read up to a size limit, must be UTF-8, and every failure is a `TomlFileError` with a one-line
reason that the caller turns into its own error naming the file (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


class TomlFileError(ValueError):
    """The file is too large, not UTF-8, not TOML, or nested too deeply (the message says which)."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


def load(path: Path, max_bytes: int) -> dict[str, Any]:
    """The document in `path`; OSError when it cannot be read, TomlFileError when it is refused."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TomlFileError(f"larger than {_size(max_bytes)}; not read")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TomlFileError(f"invalid TOML: not UTF-8 (byte 0x{data[exc.start]:02x} on line {line})") from None
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlFileError(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise TomlFileError("invalid TOML: arrays or tables nested too deeply") from None
    return document
