"""GitLab CI source: the images of `.gitlab-ci.yml` and of the local files it `include:`s.

Image fields: `image` and `services` (each a string or a mapping with `name`) per job, under
`default:`, and at the top level (the older global form). A job takes `image`/`services` from
its own definition, then from what it `extends:` (a list: later entries win; chains and
cycles bounded as GitLab bounds them), then from `default:` and the top level, unless
`inherit: default:` says otherwise; `!reference [.job, key]` is followed. Hidden jobs
(`.template`) and defaults that no job uses are still reported, with the global variables.

Variables: the global `variables:` and the job's (through `extends:`; `inherit: variables:`
honoured), `$VAR` and `${VAR}` expanded as GitLab expands them (values expanded in turn,
`$$` for a literal `$`, `expand: false` kept as written). Predefined CI variables
(`$CI_REGISTRY_IMAGE`, …) and variables no file defines have no value offline: PIN004 names
them.

`include:` of local files (a string, a list, `local:`, globs inside the project, paths from the
project root, which is the folder of the `.gitlab-ci.yml`) is read with the including file:
their jobs, templates and variables are one pipeline. Each image is reported in the file that
writes it; the runner reads the included files as followed files so that `fix` can write them.
Remote, project, template and component includes cannot be read offline and are skipped. A
`spec:` header document is read past; `$[[ inputs.x ]]` is set by the including file: PIN004.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pinlint.model import FileFacts, MappedText
from pinlint.sources import text as source_text
from pinlint.sources.ciyaml import CiYamlParser, Variant
from pinlint.sources.expand import SENTINEL, Value, literal
from pinlint.sources.registry import GITLAB, Follow, Parsed, ParseRun

MAX_INCLUDES = 150  # GitLab's limit on included files
MAX_EXTENDS = 11  # GitLab's limit on an `extends:` chain
MAX_EXPANSION = 10  # nested variable references followed
MAX_VALUE = 4096  # characters of one expanded variable
MAX_WALK = 20_000  # directory entries a wildcard include may look at
_GLOBAL_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script",
     "after_script", "spec", "types"}
)  # fmt: skip
_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$)|\[\[\s*(.*?)\s*\]\])", re.ASCII)


class _Owned(NamedTuple):
    """A YAML node and the file (its parser) that writes it."""

    file: GitlabParser
    node: Any


class GitlabParser(CiYamlParser):
    def __init__(self, text: str, display: str, location: Path | None) -> None:
        super().__init__(text, display, GITLAB)
        self.location = location
        self.root: Any = None


class IncludedFacts(NamedTuple):
    """What reading the including file found for an included one (the runner's follow context)."""

    text: str
    facts: FileFacts


class _Pipeline:
    """The files of one pipeline, merged as GitLab merges them; images go to each file's facts."""

    def __init__(self, main: GitlabParser) -> None:
        self.main = main
        self.project = main.location.parent if main.location is not None else None
        self.files: list[GitlabParser] = []  # included files in include order, the main file last
        self._seen: set[str] = set()
        self.jobs: dict[str, list[_Owned]] = {}
        self._used: set[int] = set()  # image nodes a job has reported
        self._unused_only = False
        self.globals: dict[str, list[_Owned]] = {}

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> None:
        root = self.main.load("a GitLab CI file", header="spec")
        if root is None:
            return
        self.main.root = root
        if self.main.location is not None:
            self._seen.add(os.path.realpath(self.main.location))
        self._includes(self.main, depth=0)
        self.files.append(self.main)
        for file in self.files:
            for key, value in file.mapping(file.root):
                name = getattr(key, "value", None)
                if not isinstance(name, str):
                    continue
                if name in _GLOBAL_KEYWORDS:
                    self.globals.setdefault(name, []).insert(0, _Owned(file, value))
                elif file.is_mapping(value):
                    self.jobs.setdefault(name, []).insert(0, _Owned(file, value))  # later files win

    def _includes(self, file: GitlabParser, depth: int) -> None:
        include = file.get(file.root, "include")
        for entry in file.items(include):
            local = entry if file.is_scalar(entry) else file.get(entry, "local")
            if not file.is_scalar(local):
                continue
            written: str = local.value
            if "://" in written or self.project is None:
                continue  # a remote include (the string form of `remote:`)
            _, start, end = file.scalar_text(local)
            if "$" in written:
                continue  # a path built from CI variables cannot be read offline
            if ".." in Path(written).parts:
                file.error(f"include: outside the project: {written}", start, end)
                continue
            pattern = written.lstrip("/")
            paths = _glob(self.project, pattern) if "*" in pattern else [self.project / pattern]
            if not paths or not paths[0].is_file():
                file.error(f"include: file not found: {written}", start, end)
                continue
            for path in paths:
                self._include(file, path, depth, start, end)

    def _include(self, file: GitlabParser, path: Path, depth: int, start: int, end: int) -> None:
        real = os.path.realpath(path)
        project = os.path.realpath(self.project) if self.project is not None else ""
        if os.path.commonpath([real, project]) != project:
            file.error(f"include: outside the project: {path.name}", start, end)
            return
        if real in self._seen or not path.is_file():
            return
        if len(self._seen) > MAX_INCLUDES or depth > MAX_INCLUDES:
            file.error(f"include: more than {MAX_INCLUDES} files", start, end)
            return
        self._seen.add(real)
        try:
            text = source_text.read(path).text  # as the runner reads it (CR, BOM), so offsets agree
        except (OSError, source_text.DecodeError) as exc:
            file.error(f"include: cannot read {path.name}: {exc.__class__.__name__}", start, end)
            return
        included = GitlabParser(text, _shown(path), path)
        included.root = included.load("a GitLab CI file", header="spec")
        if included.root is None:
            self.files.append(included)  # its errors are reported at its own path
            return
        self._includes(included, depth + 1)
        self.files.append(included)

    # -- merging -----------------------------------------------------------------------------

    def layers(self, name: str, depth: int = 0, seen: frozenset[str] = frozenset()) -> list[_Owned]:
        """A job's definitions, highest priority first: its own, then what it extends."""
        own = self.jobs.get(name, [])
        if depth > MAX_EXTENDS or name in seen:
            return own
        result = list(own)
        for definition in own:
            extends = definition.file.get(definition.node, "extends")
            if extends is None:
                continue
            parents = [p.value for p in definition.file.items(extends) if definition.file.is_scalar(p)]
            for parent in reversed(parents):
                result.extend(self.layers(parent, depth + 1, seen | {name}))
            break
        return result

    def deref(self, owned: _Owned | None, depth: int = 0) -> _Owned | None:
        """Follow `!reference [.job, key, …]` tags to the node they name."""
        if owned is None or getattr(owned.node, "tag", None) != "!reference" or depth > MAX_EXTENDS:
            return owned
        file = owned.file
        path = [item.value for item in file.items(owned.node) if file.is_scalar(item)]
        if not path:
            return None
        candidates = self.jobs.get(path[0], []) or self.globals.get(path[0], [])
        for candidate in candidates:
            node = candidate.node
            for part in path[1:]:
                node = candidate.file.get(node, part)
            if node is not None:
                return self.deref(_Owned(candidate.file, node), depth + 1)
        return None

    def key(self, layers: Iterable[_Owned], name: str) -> _Owned | None:
        for layer in layers:
            value = layer.file.get(layer.node, name)
            if value is not None:
                return self.deref(_Owned(layer.file, value))
        return None

    def variables(self, layers: Sequence[_Owned]) -> dict[str, _Owned]:
        """The variables the `variables:` blocks of `layers` define (the first layer wins)."""
        blocks = [self.deref(_Owned(layer.file, layer.file.get(layer.node, "variables"))) for layer in layers]
        return _collect([block for block in blocks if block is not None])

    def global_variables(self) -> dict[str, _Owned]:
        return _collect(self.globals.get("variables", []))

    # -- images ------------------------------------------------------------------------------

    def report(self) -> None:
        defaults = self.globals.get("default", [])
        top = [_Owned(f, f.root) for f in reversed(self.files) if f.root is not None]
        global_vars = self.global_variables()
        for name in self.jobs:
            if name.startswith("."):
                continue
            layers = self.layers(name)
            inherit = self.key(layers, "inherit")
            variables = dict(global_vars) if _inherits(inherit, "variables") else {}
            variables.update(self.variables(layers))
            fallback: list[_Owned] = []
            if _inherits(inherit, "default", "image"):
                fallback = [*defaults, *top]
            image = self.key(layers, "image") or self.key(fallback, "image")
            self._image("gitlab-image", image, variables)
            inherits_services = _inherits(inherit, "default", "services")
            services = self.key(layers, "services")
            if services is None and inherits_services:
                services = self.key([*defaults, *top], "services")
            self._services(services, variables)
        # templates and defaults no job uses are still images someone will run
        self._unused_only = True
        for name in self.jobs:
            if name.startswith("."):
                layers = self.layers(name)
                variables = {**global_vars, **self.variables(layers)}
                self._image("gitlab-image", self.key(layers, "image"), variables)
                self._services(self.key(layers, "services"), variables)
        for layer in [*defaults, *top]:
            self._image("gitlab-image", self.key([layer], "image"), global_vars)
            self._services(self.key([layer], "services"), global_vars)

    def _services(self, services: _Owned | None, variables: Mapping[str, _Owned]) -> None:
        if services is None:
            return
        for item in services.file.items(services.node):
            self._image("gitlab-service", self.deref(_Owned(services.file, item)), variables)

    def _image(self, kind: str, owned: _Owned | None, variables: Mapping[str, _Owned]) -> None:
        if owned is None:
            return
        file, node = owned
        if file.is_mapping(node):
            owned = self.deref(_Owned(file, file.get(node, "name")))
            if owned is None:
                return
            file, node = owned
        if self._unused_only and id(node) in self._used:
            return
        self._used.add(id(node))
        scope = _Scope(file, variables)
        file.image(kind, node, scope.expand)


def _collect(blocks: Sequence[_Owned]) -> dict[str, _Owned]:
    """Variable nodes by name from `variables:` blocks, the first block winning."""
    found: dict[str, _Owned] = {}
    for block in reversed(blocks):
        for key, value in block.file.mapping(block.node):
            if isinstance(getattr(key, "value", None), str):
                found[key.value] = _Owned(block.file, value)
    return found


def _inherits(inherit: _Owned | None, section: str, key: str | None = None) -> bool:
    """Whether `inherit:` lets a job take `section` (or one `key` of `default:`)."""
    if inherit is None:
        return True
    node = inherit.file.get(inherit.node, section)
    if node is None:
        return True
    if inherit.file.is_scalar(node):
        return str(node.value).lower() != "false"
    if inherit.file.is_sequence(node):
        return key is None or any(getattr(item, "value", None) == key for item in node.value)
    return True


class _Scope:
    """Variables as one job sees them, expanded for the file that writes the image."""

    def __init__(self, file: GitlabParser, variables: Mapping[str, _Owned]) -> None:
        self.file = file
        self.variables = variables
        self._values: dict[str, Value | None] = {}
        self._active: set[str] = set()  # variables being expanded (a cycle has no value)

    def value(self, name: str, depth: int, missing: list[str]) -> Value | None:
        if name in self._values:
            value = self._values[name]
            if value is None:
                missing.append(name)
            return value
        owned = self.variables.get(name)
        if owned is None or depth > MAX_EXPANSION or name in self._active:
            missing.append(name)  # undefined, or defined through itself
            return None
        self._active.add(name)
        try:
            return self._compute(name, owned, depth, missing)
        finally:
            self._active.discard(name)

    def _compute(self, name: str, owned: _Owned, depth: int, missing: list[str]) -> Value | None:
        file, node = owned
        expand = True
        if file.is_mapping(node):
            flag = file.get(node, "expand")
            expand = not (flag is not None and str(getattr(flag, "value", "")).lower() == "false")
            node = file.get(node, "value")
        if node is None or not isinstance(getattr(node, "value", None), str):
            missing.append(name)
            return None
        raw, _, _ = file.scalar_text(node)
        if file is not self.file:
            raw = literal(raw.text)  # written in another file: no position in this one
        inner: list[str] = []
        result: Value | None = self._expand(raw, depth + 1, inner) if expand else raw
        if inner:
            missing.extend(inner)
            result = None
        elif result is not None and len(result.text) > MAX_VALUE:
            missing.append(name)  # doubling variables (A: $B$B, B: $C$C, …) end here
            result = None
        self._values[name] = result
        return result

    def _expand(self, raw: MappedText, depth: int, missing: list[str]) -> Value:
        text, offsets, last = "", list[int](), 0
        for match in _VARIABLE.finditer(raw.text):
            text += raw.text[last : match.start()]
            offsets += raw.offsets[last : match.start()]
            last = match.end()
            if match.group(3):
                text += "$"
                offsets.append(raw.offsets[match.start() + 1])
                continue
            if match.group(4) is not None:
                missing.append(match.group(4))  # `$[[ inputs.x ]]`: set by whoever includes the file
                continue
            name = match.group(1) if match.group(1) is not None else match.group(2)
            value = self.value(name, depth, missing) if _is_name(name) else None
            if value is None:
                if not _is_name(name):
                    missing.append(name)
                continue
            text += value.text
            offsets += value.offsets
        text += raw.text[last:]
        offsets += raw.offsets[last:]
        return MappedText(text, tuple(offsets))

    def expand(self, raw: MappedText) -> list[Variant]:
        missing: list[str] = []
        value = self._expand(raw, 0, missing)
        if missing:
            return [Variant(None, tuple(dict.fromkeys(missing)))]

        def vary() -> str:
            return _VARIABLE.sub(lambda m: "$" if m.group(3) else SENTINEL, raw.text)

        return [Variant(value, vary=vary)]


def _is_name(name: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name, re.ASCII) is not None


def _glob(project: Path, pattern: str) -> list[Path]:
    """Files under `project` matching a wildcard `include: local:` (`*` within a folder, `**`
    across folders), without following symlinked folders, looking at a bounded number of entries."""
    from pinlint.gitignore import glob_regex

    try:
        regex = glob_regex(pattern)
    except ValueError:
        return []
    found: list[Path] = []
    seen = 0
    for directory, folders, files in os.walk(project):
        folders[:] = sorted(f for f in folders if f != ".git")
        seen += len(folders) + len(files)
        if seen > MAX_WALK:
            break
        for name in files:
            path = Path(directory) / name
            if regex.match(path.relative_to(project).as_posix()):
                found.append(path)
    return sorted(found)


def _shown(path: Path) -> str:
    """How the runner shows a followed file (its facts must carry the same path)."""
    from pinlint.discover import display_path

    return display_path(path, Path(os.getcwd()).absolute())


def parse_pipeline(text: str, display: str, location: Path | None) -> list[GitlabParser]:
    """The file and the local files it includes, each with its images. Never raises on bad input."""
    main = GitlabParser(text, display, location)
    pipeline = _Pipeline(main)
    pipeline.read()
    if main.root is not None:
        pipeline.report()
    return pipeline.files or [main]


def detect(head: str) -> bool:
    """A GitLab pipeline by its first bytes: `stages:` or `include:`, or `script:` next to `image:`
    or `services:` (not when the file has the top-level keys of the other CI kinds or Compose)."""
    if re.search(r"(?m)^(pipelines|jobs|runs)\s*:", head):
        return False  # Bitbucket, GitHub, CircleCI
    scripts = re.search(r"(?m)^\s+script\s*:", head)
    if re.search(r"(?m)^services\s*:", head) and not scripts:
        return False  # Compose, which has a top-level `include:` too
    if re.search(r"(?m)^(stages|include)\s*:", head):
        return True
    return bool(scripts and re.search(r"(?m)^(\s+)?(image|services)\s*:", head))


MAIN_NAMES = (".gitlab-ci.yml", ".gitlab-ci.yaml")


def _including_pipeline(path: Path) -> Path | None:
    """The `.gitlab-ci.yml` of the repository `path` is in (looked for from its folder up to the
    repository root, or up to the working directory outside a repository)."""
    from pinlint.gitignore import find_repo_root

    start = path.absolute().parent
    stop = find_repo_root(start) or Path(os.getcwd()).absolute()
    for directory in (start, *start.parents):
        for name in MAIN_NAMES:
            if (directory / name).is_file():
                return directory / name
        if directory == stop or stop not in directory.parents:
            return None
    return None


def _as_included(path: Path, run: ParseRun) -> FileFacts | None:
    """The facts of `path` as the pipeline that includes it sees it (its variables, templates),
    so that checking an included file alone reports what checking the project reports."""
    main = _including_pipeline(path)
    if main is None:
        return None

    def read_pipeline() -> list[GitlabParser]:
        try:
            text = source_text.read(main).text
        except (OSError, source_text.DecodeError):
            return []
        return parse_pipeline(text, _shown(main), main)

    real = os.path.realpath(path)
    for file in run.memo(f"gitlab.pipeline:{os.path.realpath(main)}", read_pipeline)[:-1]:
        if file.location is not None and os.path.realpath(file.location) == real:
            return file.facts
    return None


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    for context in contexts:
        if isinstance(context, IncludedFacts) and context.text == text:
            return Parsed([context.facts])
    if not contexts and display != "-" and path.name.lower() not in MAIN_NAMES:
        included = _as_included(path, run)
        if included is not None and included.text == text:
            return Parsed([included])
    files = parse_pipeline(text, display, path if display != "-" else None)
    main = files[-1]
    follows = [
        Follow(f.location, GITLAB, IncludedFacts(f.text, f.facts)) for f in files[:-1] if f.location is not None
    ]
    checked = main.root is not None or bool(main.facts.errors)
    return Parsed([main.facts], follows, checked=checked)


def reparse(text: str, path: Path) -> FileFacts:
    return parse_pipeline(text, str(path), path)[-1].facts
