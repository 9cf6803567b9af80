"""The source registry: every kind of file pinlint reads, how it is recognised and who parses it.

A kind declares, in one `SourceKind` entry of `KINDS`:

- how files are found: globs on the file name (`Dockerfile.*`) or, with a `/`, on the end
  of the path (`.github/workflows/*.yml` matches that folder at any depth), all without
  regard to case, minus `exclude`; and for content detection, the names whose first
  `HEAD_BYTES` its module's `detect(head)` looks at (a YAML file with `apiVersion` and
  `kind`, say) when no name matched. A name that cannot end any of these globs is turned
  away by one regex before any of them is looked at (`may_claim`: how a walk skips most files
  of a big tree, or every file that cannot be of the one kind it looks for);
- files that must be in the same directory for the globs to match (`beside`: a Helm values
  file is one only next to a `Chart.yaml`);
- what a file named on the command line that nothing else claims is read as (`explicit`);
- its parser, a module with `parse(text, path, display, contexts, run) -> Parsed` and
  `reparse(text, path) -> FileFacts` (what `fix` checks its result with); the module is
  imported only when a file of that kind is read or, for a `project` kind, when the run asks
  what the project's files say; PyYAML itself only when there is a YAML file to parse, so
  `check` of a project of Dockerfiles never loads it;
- how its suppression comments apply (`suppression`): to the instruction below the comment
  block (Dockerfile) or to the comment's own line and the line below (YAML, JSONC). The
  parser collects the comments (`FileFacts.comments`) in whatever syntax the format has.

A parser may name further files to read (`Parsed.follows`): Compose names its `include:`d
files (read at once, once each) and the Dockerfiles it builds with their build arguments. A
kind with `per_context` is parsed once per distinct context it was followed with, after every
file of the kinds before it in `KINDS` (so a kind that follows another comes first).

A kind whose files decide how the project's other files are read declares `project`: its
module also offers `project_contexts(run)` — the contexts the files of that kind anywhere
under the project root name other files with, so a file checked on its own (a Dockerfile
without the Compose file that builds it, an included Compose file without its includer) is
read as checking the whole project reads it — and `built_locally(use, run)`: whether an image
use names an image the project builds itself (not a registry reference; the runner drops it).

Adding a kind: one new module under `pinlint/sources/` and one entry here.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar, cast

from pinlint.gitignore import glob_regex

if TYPE_CHECKING:
    from pathlib import Path

    from pinlint.config import Config
    from pinlint.model import FileFacts, ImageUse

T = TypeVar("T")

HEAD_BYTES = 4096  # what content detection may look at
SUPPRESS_INSTRUCTION = "instruction"  # the comment block right above an instruction, or inside it
SUPPRESS_LINE = "line"  # the comment's own line and the line below


class Follow(NamedTuple):
    """Another file a parsed file names, to be read as `kind` with `context` (build arguments,
    inherited variables: whatever that kind's parser takes)."""

    path: Path
    kind: str
    context: object


class Parsed(NamedTuple):
    """What a parser made of one file: facts to lint (one per context it was read with), the
    files it names, and whether it is a file of this kind at all (a YAML file without
    `services` is not Compose: not counted, and reported as not checked, with `reason`, only
    when it was named on the command line)."""

    facts: list[FileFacts]
    follows: Sequence[Follow] = ()
    checked: bool = True
    reason: str = ""  # why the file is not of this kind (checked=False)


class ParseRun:
    """What the parsers of one run share: the project (its configuration, for the root and what
    the walk excludes; None when a file is parsed outside a run), the working directory reports
    are relative to, and values computed once per run (the environment, the project's builds)."""

    __slots__ = ("_memo", "config", "cwd")

    def __init__(self, config: Config | None = None, cwd: Path | None = None) -> None:
        self._memo: dict[str, object] = {}
        self.config = config
        self.cwd = cwd

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])


class SourceModule(Protocol):
    """What a kind's module offers (`detect` only when the kind has `detect_in`)."""

    def parse(self, text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed: ...

    def reparse(self, text: str, path: Path) -> FileFacts: ...

    def detect(self, head: str) -> bool: ...

    def project_contexts(self, run: ParseRun) -> Mapping[tuple[str, Path], Sequence[object]]: ...

    def built_locally(self, use: ImageUse, run: ParseRun) -> bool: ...


class SourceKind(NamedTuple):
    name: str
    module: str  # the parser module, imported when a file of this kind is read
    paths: tuple[str, ...]  # globs: on the name, or with '/' on the end of the path
    exclude: tuple[str, ...] = ()
    explicit: tuple[str, ...] = ()  # a file named on the command line that no kind claims
    detect_in: tuple[str, ...] = ()  # names whose first bytes `module.detect` looks at
    suppression: str = SUPPRESS_LINE
    per_context: bool = False
    project: bool = False  # module offers project_contexts and built_locally
    detect_explicit_only: bool = False  # content detection only for a file named on the command line
    beside: tuple[str, ...] = ()  # the globs match only next to a file of one of these names


class _Globs:
    """Case-insensitive globs on a file name, or on the last segments of its path."""

    def __init__(self, globs: Iterable[str]) -> None:
        self.names: list[re.Pattern[str]] = []
        self.paths: list[tuple[int, re.Pattern[str]]] = []
        for glob in globs:
            pattern = glob.strip("/").lower()
            if "/" in pattern:
                self.paths.append((pattern.count("/") + 1, glob_regex(pattern)))
            else:
                self.names.append(glob_regex(pattern))

    def match(self, path: PurePath) -> bool:
        name = path.name.lower()
        if any(p.match(name) for p in self.names):
            return True
        if not self.paths:
            return False
        parts = path.parts
        return any(len(parts) >= n and p.match("/".join(part.lower() for part in parts[-n:])) for n, p in self.paths)


def _name_filter(globs: Iterable[str]) -> re.Pattern[str]:
    """One regex that the lower-cased name of every file one of `globs` matches matches too: each
    glob's last segment as `_Globs` translates it (a name glob is its own last segment), so a name
    it rejects is matched by none of the globs whatever the folder. Never matches without globs."""
    sources = [glob_regex(glob.strip("/").lower().rsplit("/", 1)[-1]).pattern for glob in globs]
    return re.compile("|".join(f"(?:{source})" for source in sources) or "(?!)", re.DOTALL)


def _beside(kind: SourceKind, path: PurePath) -> bool:
    return not kind.beside or any(os.path.isfile(os.path.join(path.parent, name)) for name in kind.beside)


class Registry:
    def __init__(self, kinds: Sequence[SourceKind]) -> None:
        self.kinds = tuple(kinds)
        self._by_name = {kind.name: kind for kind in self.kinds}
        self._globs = {k.name: (_Globs(k.paths), _Globs(k.exclude), _Globs(k.explicit)) for k in self.kinds}
        self._detect = [(k, _Globs(k.detect_in)) for k in self.kinds if k.detect_in]
        self._modules: dict[str, SourceModule] = {}
        # the globs by which a walk finds files of each kind: on the path, or for content detection
        self._walked = {k.name: (*k.paths, *(k.detect_in if not k.detect_explicit_only else ())) for k in self.kinds}
        self._name_filters: dict[str | None, re.Pattern[str]] = {}  # compiled when first asked for

    def __getitem__(self, name: str) -> SourceKind:
        return self._by_name[name]

    def module(self, name: str) -> SourceModule:
        found = self._modules.get(name)
        if found is None:
            found = self._modules[name] = cast(SourceModule, importlib.import_module(self._by_name[name].module))
        return found

    def kind_for(
        self, path: PurePath, *, explicit: bool, head: Callable[[], bytes | None] | None = None
    ) -> str | None:
        """The kind of the file at `path` (None: not a file pinlint reads). `head()` gives the
        file's first bytes for content detection (None when it cannot be read); `explicit`: the
        file was named on the command line, so it is read whatever its name."""
        if not explicit and not self._name_filter(None).match(path.name.lower()):
            return None  # most files of a big tree: one regex, no glob of any kind looked at
        for kind in self.kinds:
            wanted, excluded, _ = self._globs[kind.name]
            if wanted.match(path) and not excluded.match(path) and _beside(kind, path):
                return kind.name
        candidates = [
            kind for kind, globs in self._detect if globs.match(path) and (explicit or not kind.detect_explicit_only)
        ]
        if candidates and head is not None:
            data = head()
            text = data[:HEAD_BYTES].decode("utf-8", errors="replace") if data is not None else None
            for kind in candidates:
                if text is not None and self.module(kind.name).detect(text):
                    return kind.name
        if explicit:
            for kind in self.kinds:
                if self._globs[kind.name][2].match(path):
                    return kind.name
        return None

    def may_claim(self, name: str, kind: str | None = None) -> bool:
        """Whether a file called `name` found by a walk (not named on the command line) may be of
        `kind`, or of any kind when None, wherever it is: False means `kind_for(…, explicit=False)`
        does not answer `kind` (any kind) for it, so the walk need not look further."""
        return self._name_filter(kind).match(name.lower()) is not None

    def _name_filter(self, kind: str | None) -> re.Pattern[str]:
        found = self._name_filters.get(kind)
        if found is None:
            kinds = [kind] if kind is not None else list(self._walked)
            found = self._name_filters[kind] = _name_filter(glob for name in kinds for glob in self._walked[name])
        return found

    def detects(self, kind: str) -> bool:
        """Whether files of `kind` are recognised by their content too (else by their path only)."""
        return bool(self._by_name[kind].detect_in)

    def project_contexts(self, kind: str, path: Path, run: ParseRun) -> list[object]:
        """The contexts the project's files name the file at `path` (of `kind`) with, whatever
        files the run checks (a Dockerfile's build arguments, an included file's variables)."""
        key = (kind, path.resolve())
        return [c for k in self.kinds if k.project for c in self.module(k.name).project_contexts(run).get(key, ())]

    def built_locally(self, use: ImageUse, run: ParseRun) -> bool:
        """Whether `use` names an image the project builds (a local build output, no registry's)."""
        return any(self.module(k.name).built_locally(use, run) for k in self.kinds if k.project)

    def reparse(self, text: str, kind: str, path: Path) -> FileFacts:
        """Parse new text of a file the way a run reads it (`fix` verifies its edits with it)."""
        return self.module(kind).reparse(text, path)


DOCKERFILE = "dockerfile"
COMPOSE = "compose"
GITHUB = "github"
GITLAB = "gitlab"
CIRCLECI = "circleci"
BITBUCKET = "bitbucket"
DEVCONTAINER = "devcontainer"
KUBERNETES = "kubernetes"
KUSTOMIZE = "kustomize"
HELM_VALUES = "helm-values"

KINDS = Registry(
    [
        # deployment files: a kustomization names the manifests it builds, so it comes first
        SourceKind(
            KUSTOMIZE, "pinlint.sources.kustomize", paths=("kustomization.yaml", "kustomization.yml", "kustomization")
        ),
        SourceKind(HELM_VALUES, "pinlint.sources.helm", paths=("values*.yaml", "values*.yml"), beside=("Chart.yaml",)),
        SourceKind(KUBERNETES, "pinlint.sources.kubernetes", paths=(), detect_in=("*.yaml", "*.yml")),
        SourceKind(
            COMPOSE,
            "pinlint.sources.compose",
            paths=(
                *("compose.yaml", "compose.yml", "compose.*.yaml", "compose.*.yml"),
                *("docker-compose.yaml", "docker-compose.yml", "docker-compose.*.yaml", "docker-compose.*.yml"),
                *("compose-*.yaml", "compose-*.yml", "docker-compose-*.yaml", "docker-compose-*.yml"),
            ),
            explicit=("*.yaml", "*.yml"),
            project=True,
        ),
        # CI configuration (named by their conventional paths; by content when named explicitly)
        SourceKind(
            GITHUB,
            "pinlint.sources.github",
            paths=(".github/workflows/*.yml", ".github/workflows/*.yaml", "action.yml", "action.yaml"),
            detect_in=("*.yml", "*.yaml"),
            detect_explicit_only=True,
        ),
        SourceKind(
            GITLAB,
            "pinlint.sources.gitlab",
            paths=(".gitlab-ci.yml", ".gitlab-ci.yaml", "*.gitlab-ci.yml", "*.gitlab-ci.yaml"),
            detect_in=("*.yml", "*.yaml"),
            detect_explicit_only=True,
        ),
        SourceKind(
            CIRCLECI,
            "pinlint.sources.circleci",
            paths=(".circleci/config.yml", ".circleci/config.yaml"),
            detect_in=("*.yml", "*.yaml"),
            detect_explicit_only=True,
        ),
        SourceKind(
            BITBUCKET,
            "pinlint.sources.bitbucket",
            paths=("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"),
            detect_in=("*.yml", "*.yaml"),
            detect_explicit_only=True,
        ),
        SourceKind(
            DEVCONTAINER,
            "pinlint.sources.devcontainer",
            paths=(".devcontainer/devcontainer.json", ".devcontainer.json", ".devcontainer/*/devcontainer.json"),
            detect_in=("*.json", "*.jsonc"),
            detect_explicit_only=True,
        ),
        SourceKind(
            DOCKERFILE,
            "pinlint.sources.dockerfile",
            paths=("dockerfile", "dockerfile.*", "*.dockerfile", "containerfile*", "*.containerfile"),
            exclude=("*.dockerignore", "*.containerignore"),
            explicit=("*",),
            suppression=SUPPRESS_INSTRUCTION,
            per_context=True,
        ),
    ]
)
