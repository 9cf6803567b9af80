"""On-disk cache of tag → digest answers (never credentials or tokens).

One JSON file in the XDG cache directory (`$XDG_CACHE_HOME/pinlint/digests.json`, default
`~/.cache/pinlint`). Entries expire after `cache-ttl` seconds (default 5 minutes: a digest a
command writes comes from the registry, not from a stale answer). Writes merge with what is on
disk under an exclusive lock and replace the file atomically, so concurrent runs neither lose
each other's entries nor see a half-written file; an unreadable or corrupt file is treated as
empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}", re.ASCII)
CLOCK_SKEW = 300.0  # an entry stored further in the future than this is not trusted


@dataclass(frozen=True)
class CachedDigest:
    digest: str
    media_type: str
    size: int | None
    stored_at: float


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".cache")
    return Path(base) / "pinlint"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: atomic replace still protects readers
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class DigestCache:
    def __init__(self, directory: Path, ttl: float) -> None:
        self.path = directory / "digests.json"
        self.lock = directory / "digests.lock"
        self.ttl = ttl
        self._entries: dict[str, CachedDigest] = {}
        self._new: dict[str, CachedDigest] = {}
        self._loaded = False

    def _read(self) -> dict[str, CachedDigest]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
            return {}
        entries: dict[str, CachedDigest] = {}
        for key, raw in data["entries"].items():
            try:
                size = raw.get("size")
                if not _DIGEST.fullmatch(raw["digest"]):
                    continue
                entries[key] = CachedDigest(
                    str(raw["digest"]),
                    str(raw["media_type"]),
                    size if isinstance(size, int) and not isinstance(size, bool) else None,
                    float(raw["stored_at"]),
                )
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
        return entries

    def _fresh(self, entry: CachedDigest, now: float) -> bool:
        age = now - entry.stored_at
        return -CLOCK_SKEW <= age <= self.ttl

    def get(self, key: str) -> CachedDigest | None:
        if self.ttl <= 0:
            return None
        if not self._loaded:
            self._entries = {**self._read(), **self._new}  # what this run put wins
            self._loaded = True
        entry = self._entries.get(key)
        if entry is None or not self._fresh(entry, time.time()):
            return None
        return entry

    def put(self, key: str, digest: str, media_type: str, size: int | None) -> None:
        entry = CachedDigest(digest, media_type, size, time.time())
        self._entries[key] = entry
        self._new[key] = entry

    def save(self) -> None:
        """Merge new entries into the file (best effort: a cache must never fail a run)."""
        if not self._new or self.ttl <= 0:
            return
        try:
            with _locked(self.lock):
                merged = self._read()
                merged.update(self._new)
                now = time.time()
                merged = {k: v for k, v in merged.items() if self._fresh(v, now)}
                document = {"format": FORMAT, "entries": {k: asdict(v) for k, v in sorted(merged.items())}}
                fd, tmp = tempfile.mkstemp(prefix=".digests-", dir=self.path.parent)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as handle:
                        json.dump(document, handle, indent=1)
                    os.replace(tmp, self.path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
            self._new.clear()
        except OSError:
            return
