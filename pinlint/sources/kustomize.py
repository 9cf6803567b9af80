"""Kustomize: the `images:` overrides of a kustomization, and the manifests it builds.

A kustomization (`kustomization.yaml`, `kustomization.yml` or `Kustomization`) changes the
images of the manifests it builds with `images:` entries: `name` (the image name the manifests
use), `newName`, `newTag`, `digest`. An entry with a `newTag` or a `digest` is an image use,
the reference `newName|name[:newTag][@digest]`, reported at its `newTag` (else its `digest`):
with `newTag` and no `digest` it is unpinned, and `fix` adds a `digest:` line below `newTag`,
indented like it (or `, digest: …` in a flow mapping), or fills an empty `digest:`; with a
`digest` it is pinned. An entry that only renames (`newName` alone) keeps the manifests' tags,
so it is not a use of its own.

The files under `resources:` (and the older `bases:`, and `components:`) are followed: a
manifest is read as Kubernetes, a directory by its kustomization. A manifest's image whose name
an `images:` entry with `newTag` or `digest` overrides (the entry of a kustomization that builds
it, or of a component such a kustomization includes) is judged by that entry, not reported
again at the manifest. Which kustomizations build a manifest is worked out the same way
whichever files a run was given (`overridden_names`): every kustomization in the repository
(the Git work tree holding the manifest, else the directory above the manifest's) is indexed
once per run, and those that reach the manifest through their resources count. Only files
inside that tree are followed; remote resources (URLs, `github.com/…?ref=`) are not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pinlint.gitignore import GitIgnore, find_repo_root
from pinlint.model import FileFacts, MappedText
from pinlint.sources.expand import literal
from pinlint.sources.registry import KUBERNETES, KUSTOMIZE, Follow, Parsed, ParseRun
from pinlint.sources.uses import image_use
from pinlint.sources.yaml import (
    YamlReader,
    field_insertion,
    pyyaml,
)

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
RESOURCE_FIELDS = ("resources", "bases", "components")
KIND = "kustomize-image"
_MAX_DIRS = 20_000  # directories the index walks at most
_MAX_BYTES = 1024 * 1024
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "vendor"})


class Structure(NamedTuple):
    """What the index needs from a kustomization: the files and directories it builds, and the
    image names its `images:` entries override (with `newTag` or `digest`)."""

    resources: tuple[Path, ...]
    overrides: frozenset[str]
    components: tuple[Path, ...] = ()


_EMPTY = Structure((), frozenset())


def _remote(text: str) -> bool:
    return "://" in text or text.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/")) or "?ref=" in text


class KustomizationReader(YamlReader):
    def __init__(self, text: str, display: str) -> None:
        super().__init__(text)
        self.display = display
        self.facts = FileFacts(display, text, self.index, kind=KUSTOMIZE)
        self.resources: list[str] = []
        self.components: list[str] = []
        self.overrides: set[str] = set()

    def read(self) -> FileFacts:
        document = self.first_document(self.facts)
        if document is None:
            return self.facts
        if not isinstance(document, pyyaml().MappingNode):
            start = document.start_mark.index
            self.facts.errors.append((self.index.span(start, start), "a kustomization must be a mapping"))
            return self.facts
        for field in RESOURCE_FIELDS:
            for item in self._items(self.get(document, field)):
                if self.is_scalar(item) and not _remote(item.value):
                    (self.components if field == "components" else self.resources).append(item.value)
        for i, entry in enumerate(self._items(self.get(document, "images"))):
            self.entry(entry, f"kustomization:images.{i}")
        return self.facts

    def _items(self, node: Any) -> Iterator[Any]:
        if isinstance(node, pyyaml().SequenceNode):
            yield from node.value

    def _pair(self, node: Any, name: str) -> tuple[Any, Any] | None:
        for key, value in self.mapping(node):
            if getattr(key, "value", None) == name:
                return key, value
        return None

    def entry(self, node: Any, field: str) -> None:
        name = self.get(node, "name")
        if not self.is_scalar(name):
            return
        new_name = self.get(node, "newName")
        tag_pair = self._pair(node, "newTag")
        digest = self.get(node, "digest")
        tag = tag_pair[1] if tag_pair is not None and self.is_scalar(tag_pair[1]) else None
        digest = digest if self.is_scalar(digest) else None
        if tag is None and digest is None:
            return  # a rename: the manifests' own tags stay, and are judged there
        self.overrides.add(name.value)
        pieces = [self.scalar_text(new_name if self.is_scalar(new_name) else name)[0]]
        if tag is not None:
            pieces += [literal(":"), self.scalar_text(tag)[0]]
        if digest is not None:
            pieces += [literal("@"), self.scalar_text(digest)[0]]
        raw = MappedText("".join(p.text for p in pieces), tuple(o for p in pieces for o in p.offsets))
        _, start, end = self.scalar_text(tag if tag is not None else digest)
        span = self.index.span(start, end)
        pin_at = None
        if tag_pair is not None and tag is not None and digest is None:
            pin_at = field_insertion(self, node, "digest", tag_pair)
        use = image_use(self.display, KIND, self.index, span, raw, raw, pin_at=pin_at)
        self.facts.images.append(use._replace(field=field))


def structure(text: str, directory: Path) -> Structure:
    reader = KustomizationReader(text, "")
    reader.read()
    return Structure(
        tuple(directory / r for r in reader.resources),
        frozenset(reader.overrides),
        tuple(directory / c for c in reader.components),
    )


def kustomization_in(directory: Path) -> Path | None:
    for name in NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def project_root(path: Path) -> Path:
    """The tree whose kustomizations may build `path`: its Git work tree, else the directory
    above its own (a `base/` beside `overlays/`)."""
    directory = path.parent
    return find_repo_root(directory) or directory.parent


def _inside(path: Path, root: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == root or root in real.parents


class Index:
    """Every kustomization under `root`, and which manifests each one reaches."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self.structures: dict[Path, Structure] = {}
        for path in self._kustomizations():
            if not _inside(path, self.root):
                continue  # a symbolic link out of the tree: never read
            try:
                with path.open("rb") as handle:
                    data = handle.read(_MAX_BYTES + 1)
            except OSError:
                continue
            if len(data) <= _MAX_BYTES:
                text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
                self.structures[Path(os.path.realpath(path))] = structure(text, path.parent)
        self._reach: dict[Path, frozenset[Path]] = {}
        self._by_manifest: dict[Path, set[str]] = {}
        for path, found in self.structures.items():
            names = set(found.overrides)
            for component in found.components:  # a component's images apply to its includer's resources
                inner = kustomization_in(component) if _inside(component, self.root) else None
                if inner is not None:
                    names |= self.structures.get(Path(os.path.realpath(inner)), _EMPTY).overrides
            if names:
                for manifest in self.reach(path, ()):
                    self._by_manifest.setdefault(manifest, set()).update(names)

    def _kustomizations(self) -> Iterator[Path]:
        ignore = GitIgnore(self.root) if (self.root / ".git").exists() else None
        stack = [self.root]
        walked = 0
        while stack and walked < _MAX_DIRS:
            directory = stack.pop()
            walked += 1
            if ignore is not None:
                ignore.enter(directory)
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            names = set()
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                path = Path(entry.path)
                if is_dir:
                    if entry.name not in _SKIP_DIRS and not (ignore is not None and ignore.ignored(path, True)):
                        stack.append(path)
                else:
                    names.add(entry.name)
            for name in NAMES:
                if name in names:
                    yield directory / name
                    break

    def reach(self, kustomization: Path, trail: Sequence[Path]) -> frozenset[Path]:
        """The manifests a kustomization builds, through the kustomizations it names."""
        found = self._reach.get(kustomization)
        if found is not None:
            return found
        if kustomization in trail or len(trail) > 32:
            return frozenset()
        manifests: set[Path] = set()
        for resource in self.structures.get(kustomization, _EMPTY).resources:
            real = Path(os.path.realpath(resource))
            if not _inside(real, self.root):
                continue
            if real.is_dir():
                inner = kustomization_in(real)
                if inner is not None:
                    manifests |= self.reach(Path(os.path.realpath(inner)), (*trail, kustomization))
            else:
                manifests.add(real)
        self._reach[kustomization] = frozenset(manifests)
        return self._reach[kustomization]

    def names_for(self, manifest: Path) -> frozenset[str]:
        return frozenset(self._by_manifest.get(Path(os.path.realpath(manifest)), ()))


def overridden_names(manifest: Path, run: ParseRun | None) -> frozenset[str]:
    """The image names that kustomizations building `manifest` override (see the module doc)."""
    root = project_root(Path(os.path.abspath(manifest)))
    if run is None:
        return Index(root).names_for(manifest)
    return run.memo(f"kustomize.index:{root}", lambda: Index(root)).names_for(manifest)


def _follows(resources: Sequence[str], path: Path) -> list[Follow]:
    directory = path.absolute().parent
    root = Path(os.path.realpath(project_root(path.absolute())))
    follows = []
    for resource in resources:  # components too: their images: entries are checked where they are
        target = directory / resource
        if not _inside(target, root):
            continue
        if target.is_dir():
            inner = kustomization_in(target)
            if inner is not None:
                follows.append(Follow(inner, KUSTOMIZE, None))
        elif target.is_file() and target.suffix.lower() in (".yaml", ".yml", ".json"):
            follows.append(Follow(target, KUBERNETES, None))
    return follows


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    reader = KustomizationReader(text, display)
    facts = reader.read()
    follows = _follows([*reader.resources, *reader.components], path) if display != "-" else []
    return Parsed([facts], follows)


def reparse(text: str, path: Path) -> FileFacts:
    return KustomizationReader(text, str(path)).read()
