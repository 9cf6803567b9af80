"""Which files a run checks, and which kind of source each one is (the source registry says).

Directories are walked (symlinked directories are not followed, so loops cannot happen),
skipping `.git`, what `.gitignore` ignores and what `exclude`/`extend-exclude` name; a file is
first judged by its name alone (can any kind, or the kind looked for, claim it?), its content
is read for detection only once it is known to be a regular file that is not skipped. Files
given explicitly are always checked: as the kind their path or content shows, else as the
kind that takes such names explicitly (YAML: Compose; anything else: Dockerfile).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from pinlint.config import Config
from pinlint.gitignore import GitIgnore, find_repo_root, glob_regex
from pinlint.sources.registry import COMPOSE, HEAD_BYTES, KINDS
from pinlint.sources.text import file_kind


def kind_of(path: str | Path, explicit: bool) -> str | None:
    """The source kind of a file by its path (see `pinlint.sources.registry`); None: not read."""
    path = Path(path)
    return KINDS.kind_for(path, explicit=explicit, head=functools.partial(_head, path))


def _head(path: Path) -> bytes | None:
    """The first bytes of a file, for content detection (None when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return None


class SourceFile(NamedTuple):
    path: Path  # as given or found (not resolved: symlinks stay symlinks)
    display: str  # what reports show: relative to the working directory when below it
    kind: str
    explicit: bool = False  # named on the command line: never skipped without a word


class _Excluder:
    def __init__(self, config: Config) -> None:
        self.root = config.root
        self.root_prefix = os.path.join(config.root, "")  # "/root/"
        patterns = (*config.exclude, *config.extend_exclude)
        names = [glob_regex(p).pattern for p in patterns if "/" not in p.strip("/")]
        self.name_pattern = re.compile("|".join(f"(?:{n})" for n in names) or "(?!)", re.DOTALL)
        self.path_patterns = [glob_regex(p) for p in patterns if "/" in p.strip("/")]

    def excluded(self, name: str, path: str) -> bool:
        """Whether `exclude`/`extend-exclude` name the file or directory `name` at the absolute,
        normalised `path` (a walk's entry)."""
        if self.name_pattern.match(name):
            return True
        if not self.path_patterns:
            return False
        if path.startswith(self.root_prefix):
            rel: str | None = path[len(self.root_prefix) :]
        else:
            rel = relative_to_root(Path(path), self.root)  # outside the root, or through a symlink
        return rel is not None and any(p.match(rel) for p in self.path_patterns)


def absolute(path: Path) -> Path:
    """The absolute path with `.` and `..` removed (symlinks kept)."""
    return Path(os.path.abspath(path))


def relative_to_root(path: Path, root: Path) -> str | None:
    """`path` relative to `root` as posix text, through symlinks if need be; None when outside."""
    for candidate in (absolute(path), Path(os.path.realpath(path))):
        try:
            return candidate.relative_to(root).as_posix()
        except ValueError:
            continue
    return None


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory when below it, else as given (normalised)."""
    try:
        return absolute(path).relative_to(cwd).as_posix()
    except ValueError:
        return Path(os.path.normpath(path)).as_posix()


def discover(paths: list[str], config: Config, cwd: Path | None = None) -> tuple[list[SourceFile], list[str]]:
    """The files to check, in a stable order, and one error line per path that does not exist."""
    cwd = absolute(cwd or Path(os.getcwd()))
    excluder = _Excluder(config)
    found: dict[Path, SourceFile] = {}
    errors: list[str] = []
    for arg in paths:
        path = Path(arg)
        state = file_kind(path)
        if state.is_dir:
            start, ignores, compose = absolute(path), list[GitIgnore](), list[Path]()
            for file_path, kind in _walk(path, excluder, ignores=ignores):
                full = absolute(file_path)
                found.setdefault(full, SourceFile(file_path, display_path(file_path, cwd), kind))
                if kind == COMPOSE:
                    compose.append(config.root / full.relative_to(start))
            if start == config.root and _reused is not None:  # the project's Compose files, as walked
                _reused[_project_key(config)] = (compose, ignores)
        elif state.is_file:
            explicit_kind = kind_of(path, explicit=True)
            if explicit_kind is None:
                errors.append(f"{arg}: not a kind of file pinlint reads")
            else:
                source = SourceFile(path, display_path(path, cwd), explicit_kind, explicit=True)
                found.setdefault(absolute(path), source)
        elif state.kind == "other":
            errors.append(f"{arg}: not a regular file")
        else:
            errors.append(f"{arg}: {state.reason or 'No such file or directory'}")
    return sorted(found.values(), key=lambda f: f.display), errors


def project_compose_files(config: Config) -> list[Path]:
    """Every Compose file the walk finds under the project root, whatever paths a run checks: what
    they build decides what the project's Dockerfiles mean (the partial-run property). Inside
    `reusing_project_walk`, a project is walked once (again only if an ignore file changed)."""
    key = _project_key(config)
    if _reused is not None and key in _reused:
        found, ignores = _reused[key]
        if all(ignore.unchanged() for ignore in ignores):
            return list(found)
    ignores = []
    found = [path for path, _ in _walk(config.root, _Excluder(config), want=COMPOSE, ignores=ignores)]
    if _reused is not None:
        _reused[key] = (found, ignores)
    return list(found)


_ProjectKey = tuple[Path, tuple[str, ...], tuple[str, ...]]
_reused: dict[_ProjectKey, tuple[list[Path], list[GitIgnore]]] | None = None


def _project_key(config: Config) -> _ProjectKey:
    """What decides which files a walk of the project finds, besides the files themselves."""
    return (config.root, config.exclude, config.extend_exclude)


@contextlib.contextmanager
def reusing_project_walk() -> Iterator[None]:
    """Within the block, `project_compose_files` reuses what it or `discover` walking the project
    root found, for a run that walks the project for the files it checks (`check .`) or reads it
    twice and in between only rewrites files that exist (`fix`): Compose files are recognised by
    their paths alone, so only a changed ignore file can change the list; the files' text is
    read anew each time."""
    global _reused
    outer = _reused
    _reused = {} if outer is None else outer
    try:
        yield
    finally:
        _reused = outer


def _walk(
    top: Path, excluder: _Excluder, want: str | None = None, ignores: list[GitIgnore] | None = None
) -> Iterator[tuple[Path, str]]:
    """The files under `top` of a kind the registry knows (of kind `want` only, when given); the
    ignore rules it read are added to `ignores`."""
    start = absolute(top)
    repo = find_repo_root(start)
    ignore = GitIgnore(repo) if repo is not None else None
    if ignore is not None and ignores is not None:
        ignores.append(ignore)
    if ignore is not None and repo is not None:
        chain = [start, *start.parents]
        for above in reversed(chain[: chain.index(repo) + 1]):
            ignore.enter(above)
        if start != repo and ignore.ignored(start, True):
            return
    # content is looked at only when the kind asked for can be recognised by it
    detect = want is None or KINDS.detects(want)
    repo_prefix = os.path.join(repo, "") if repo is not None else ""
    stack = [str(start)]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            # strings, not Paths, until a file may be one pinlint reads: most entries of a big tree
            # are skipped by their name
            name, full = entry.name, entry.path
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if name == ".git" or excluder.excluded(name, full):
                    continue
                if ignore is not None and ignore.ignored_entry(full[len(repo_prefix) :], True):
                    continue
                subdirs.append(full)
                continue
            if not KINDS.may_claim(name, want) or excluder.excluded(name, full):
                continue
            try:
                # skip FIFOs, sockets and devices (reading them, even for content detection, could
                # block); a dangling link is kept so that it is reported as unreadable
                if not entry.is_file() and not (entry.is_symlink() and not os.path.exists(full)):
                    continue
            except OSError:
                continue
            if ignore is not None and ignore.ignored_entry(full[len(repo_prefix) :], False):
                continue
            path = Path(full)
            kind = KINDS.kind_for(path, explicit=False, head=functools.partial(_head, path) if detect else None)
            if kind is None or (want is not None and kind != want):
                continue
            yield top / path.relative_to(start), kind
        for sub in reversed(subdirs):
            if ignore is not None:
                ignore.enter(sub)
            stack.append(sub)
