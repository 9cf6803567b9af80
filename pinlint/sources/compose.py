"""Compose source: every image reference of a Compose file, with spans, interpolated as Compose does.

YAML is read through `pinlint.sources.yaml`: scalars as written, positions kept, aliases
sharing their anchor's node (a scalar used by many services is reported once, at its own
position), `<<` merge keys applied, `!reset`/`!override` tags without constructors.

Image-bearing fields: `services.*.image` (unless the service also has `build`, where `image`
names the output), `build.additional_contexts` `docker-image://…`, `build.cache_from`,
`volumes[]` of `type: image`, `pre_start[].image`. `build:` is followed into its Dockerfile
(context relative to this file, `dockerfile` relative to the context, `build.args` feeding
the Dockerfile's ARGs) and `dockerfile_inline` is parsed in place. `include:` and
`extends.file` name further Compose files for the runner to read. Files in the legacy layout
(services at the top level) are read too.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, NamedTuple

from pinlint import reference
from pinlint.model import CodedMessage, FileFacts, ImageUse, MappedText, Span
from pinlint.sources import text as source_text
from pinlint.sources.expand import SENTINEL, ExpansionBudget, Value, literal
from pinlint.sources.interpolate import DotenvError, TemplateError, interpolate, parse_env_file, read_dotenv
from pinlint.sources.project import Includer, ProjectBuilds, local_build, read_project
from pinlint.sources.registry import COMPOSE, DOCKERFILE, KINDS, Follow, Parsed, ParseRun
from pinlint.sources.text import file_kind
from pinlint.sources.uses import image_use
from pinlint.sources.yaml import YamlReader, duplicate_key_error, hash_comments, pyyaml

if TYPE_CHECKING:
    from pinlint.config import Config

_IMAGE_ID = re.compile(r"(?:sha256:)?[a-f0-9]{64}", re.ASCII)
_URL_CONTEXT = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)
_MAX_MERGE_DEPTH = 64
# compose-spec.json `properties` of the top level (compose-go schema/compose-spec.json)
_TOP_LEVEL_KEYS = ("version", "name", "include", "services", "models", "networks", "volumes", "secrets", "configs")
# the keys that make a YAML file of another name a Compose file: `version:`, `name:`, `volumes:`
# and the like stand at the top of many other files (a Helm Chart.yaml has `version:`)
_COMPOSE_MARKERS = ("services", "include")


class BuildTarget(NamedTuple):
    """A Dockerfile this Compose file builds: on disk (`dockerfile`) with `args`; `contexts` are
    the names of its additional contexts, which replace stages or images of that name."""

    dockerfile: Path
    args: Mapping[str, Value]
    origin: Span  # where the compose file names the build, for errors
    contexts: frozenset[str] = frozenset()


@dataclass
class ComposeResult:
    facts: FileFacts
    builds: list[BuildTarget] = field(default_factory=list)
    # include: and extends.file: compose files, with the whole environment they are interpolated with
    related: list[tuple[Path, Mapping[str, Value]]] = field(default_factory=list)
    is_compose: bool = True
    # images this file builds (`build:` and `image: NAME`): canonical name:tag → building service
    local_images: dict[str, str] = field(default_factory=dict)
    # ids of the `image:` uses of services with `pull_policy: never`/`build`: a local image when
    # another service builds it (otherwise `docker compose up` pulls the name from its registry)
    never_pulled: set[int] = field(default_factory=set)
    # included files (resolved) → the directory their relative paths resolve against
    working_dirs: dict[Path, Path] = field(default_factory=dict)


def _loader() -> Any:
    yaml = pyyaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def shell_environment(config: Config | None = None) -> dict[str, Value]:
    """The variables the user passes (`Config.env`: `--env`, `--env-file`, `pass-env`), standing
    in for Compose's shell environment. Never the rest of the process environment: results do not
    depend on the machine, and `${GITHUB_TOKEN}` is not sent, locked or printed (pinlint.trust)."""
    return {k: literal(v) for k, v in (config.env if config is not None else {}).items()}


def _env_file_text(path: Path) -> str:
    """A `.env`'s text: at most source_text.MAX_BYTES, undecodable bytes replaced (as before)."""
    with path.open("rb") as handle:
        data = handle.read(source_text.MAX_BYTES + 1)
    if len(data) > source_text.MAX_BYTES:
        raise OSError(0, f"larger than {source_text.MAX_BYTES // (1024 * 1024)} MiB")
    return data.decode("utf-8", errors="replace")


def project_environment(
    directory: Path, shell: Mapping[str, Value], roots: Sequence[Path] = (), problems: list[str] | None = None
) -> dict[str, Value]:
    """Interpolation variables: the variables passed (`shell`) over the project's `.env`. A `.env`
    whose real path is outside `roots` (a symlink out of the project) is not read: why goes to
    `problems`."""
    env_file = directory / ".env"
    variables: dict[str, Value] = {}
    if file_kind(env_file).is_file:
        if not source_text.inside(env_file, roots):
            if problems is not None:
                problems.append(source_text.outside_message(env_file, ".env"))
        else:
            try:
                variables = parse_env_file(_env_file_text(env_file), shell)
            except (OSError, TemplateError, DotenvError):
                variables = {}
    variables.update(shell)
    return variables


class ComposeParser(YamlReader):
    def __init__(
        self,
        text: str,
        display: str,
        location: Path | None,
        env: Mapping[str, Value],
        working_dir: Path | None = None,
        roots: Sequence[Path] = (),
    ) -> None:
        super().__init__(text)
        self.display = display
        self.location = location
        self.directory = location.parent if location is not None else Path.cwd()
        if working_dir is not None:
            self.directory = working_dir
        self.env = env
        self.roots = roots  # files outside these (real paths) are not read; () = anywhere
        self.budget = ExpansionBudget()  # all of this file's interpolations together
        self.result = ComposeResult(FileFacts(display, text, self.index, kind="compose"))
        self.facts = self.result.facts
        self._seen_nodes: set[int] = set()
        self._root: Any = None

    # -- YAML helpers ----------------------------------------------------------------------

    def _error(self, message: str, start: int, end: int | None = None) -> None:
        self.facts.errors.append((self.index.span(start, start if end is None else end), message))

    # -- reading -----------------------------------------------------------------------------

    def parse(self) -> ComposeResult:
        yaml = pyyaml()
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            documents = list(yaml.compose_all(self.text, Loader=loader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            offset = mark.index if mark is not None else 0
            problem = exc.problem or exc.context or "invalid YAML"
            self._error(f"invalid YAML: {problem}", min(offset, len(self.text)))
            return self.result
        except (yaml.YAMLError, RecursionError) as exc:
            reason = "nesting too deep" if isinstance(exc, RecursionError) else str(exc).splitlines()[0]
            self._error(f"invalid YAML: {reason}", 0)
            return self.result
        self.facts.comments.extend(hash_comments(self.text))
        documents = [d for d in documents if d is not None]
        if not documents:
            self.result.is_compose = False
            return self.result
        for document in documents:  # compose-go loader.go loadYamlFile decodes and checks each one
            duplicate = duplicate_key_error(document)
            if duplicate is not None:
                offset, message = duplicate
                self._error(message, offset)
                return self.result
            if not isinstance(document, yaml.MappingNode):
                self._error("a Compose file must be a mapping at the top level", document.start_mark.index)
                return self.result
        root = documents[0] if len(documents) == 1 else self._merge_documents(documents)
        self._root = root
        legacy = self.get(root, "services") is None and self._looks_legacy(root)
        if not legacy and not self._top_level_keys(documents):
            return self.result
        services = self.get(root, "services")
        if services is None:
            services = root if legacy else None
            if services is None:
                # nothing to check (unless PIN900s above count it), but an include-only file
                self.result.is_compose = self.get(root, "include") is not None
                self._includes(root)
                return self.result
        elif not isinstance(services, yaml.MappingNode):
            if not (isinstance(services, yaml.ScalarNode) and services.tag == "tag:yaml.org,2002:null"):
                self._error("'services' must be a mapping", services.start_mark.index)
            return self.result
        for _, service in self.mapping(services):
            self._service(service)
        self._local_builds(services)
        self._includes(root)
        return self.result

    def _top_level_keys(self, documents: list[Any]) -> bool:
        """False when no document has `services:` or `include:` and the name is not a Compose
        name (then this is not a Compose file). Otherwise each key the Compose specification
        does not define is PIN900 at its position: the top level of compose-spec.json is closed
        (`additionalProperties: false`, only `^x-` extensions), so compose-go's
        `schema.Validate` (loader.go loadYamlFile) refuses `sevices:` or `service:`."""
        yaml = pyyaml()
        keys = [k for document in documents for k, _ in document.value if isinstance(k, yaml.ScalarNode)]
        named = KINDS.kind_for(PurePath(self.display), explicit=False) == COMPOSE
        if not named and not any(k.value in _COMPOSE_MARKERS for k in keys):
            self.result.is_compose = False
            return False
        for key in keys:
            name = key.value
            if name in _TOP_LEVEL_KEYS or name.startswith("x-") or key.tag == "tag:yaml.org,2002:merge":
                continue
            close = difflib.get_close_matches(name, _TOP_LEVEL_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self._error(f"unknown top-level key '{name}' in a Compose file{hint}", key.start_mark.index)
        return True

    def _merge_documents(self, documents: list[Any]) -> Any:
        """The documents of a multi-document file merged in order, as compose-go's loadYamlFile
        merges each decoded document into the model with override.Merge: mappings merge key by
        key, a later scalar wins, sequences are appended (the image-bearing lists `cache_from`,
        `volumes`, `pre_start` keep every entry), `!reset` drops a key and `!override` replaces
        it. Scalars keep their nodes, so every image keeps its position for reports and fixes."""
        merged = documents[0]
        for document in documents[1:]:
            merged = self._merge_nodes(merged, document, 0)
        return merged

    def _merge_nodes(self, base: Any, other: Any, depth: int) -> Any:
        yaml = pyyaml()
        if other.tag == "!override" or depth > _MAX_MERGE_DEPTH:
            return other
        if isinstance(base, yaml.MappingNode) and isinstance(other, yaml.MappingNode):
            pairs = list(self.mapping(base))
            position = {k.value: i for i, (k, _) in enumerate(pairs) if isinstance(k, yaml.ScalarNode)}
            dropped: set[int] = set()
            for key, value in self.mapping(other):
                index = position.get(key.value) if isinstance(key, yaml.ScalarNode) else None
                if value.tag == "!reset":
                    if index is not None:
                        dropped.add(index)
                    continue
                if index is None:
                    pairs.append((key, value))
                else:
                    pairs[index] = (pairs[index][0], self._merge_nodes(pairs[index][1], value, depth + 1))
            kept = [pair for i, pair in enumerate(pairs) if i not in dropped]
            return yaml.MappingNode(base.tag, kept, base.start_mark, other.end_mark)
        if isinstance(base, yaml.SequenceNode) and isinstance(other, yaml.SequenceNode):
            return yaml.SequenceNode(base.tag, [*base.value, *other.value], base.start_mark, other.end_mark)
        return other

    def _looks_legacy(self, root: Any) -> bool:
        pairs = self.mapping(root)
        if not pairs or any(getattr(k, "value", "") == "version" for k, _ in pairs):
            return False
        keys = ("image", "build", "extends")
        return all(any(self.get(value, key) is not None for key in keys) for _, value in pairs)

    def _service(self, service: Any) -> None:
        yaml = pyyaml()
        if not isinstance(service, yaml.MappingNode):
            return
        build = self.get(service, "build")
        image = self.get(service, "image")
        has_build = build is not None and not (isinstance(build, yaml.ScalarNode) and build.tag in ("!reset",))
        if image is not None and not has_build and not self._inherits_build(service, build, 0):
            before = len(self.facts.images)
            self._image("compose-image", image)
            pull_policy = self.get(service, "pull_policy")
            if len(self.facts.images) > before and getattr(pull_policy, "value", None) in ("never", "build"):
                self.result.never_pulled.add(id(self.facts.images[-1]))
        if has_build:
            self._build(build)
        volumes = self.get(service, "volumes")
        if isinstance(volumes, yaml.SequenceNode):
            for volume in volumes.value:
                kind = self.get(volume, "type")
                if kind is not None and getattr(kind, "value", None) == "image":
                    source = self.get(volume, "source")
                    if source is not None:
                        self._image("compose-volume-image", source)
        hooks = self.get(service, "pre_start")
        if isinstance(hooks, yaml.SequenceNode):
            for hook in hooks.value:
                hook_image = self.get(hook, "image")
                if hook_image is not None:
                    self._image("compose-hook-image", hook_image)
        extends = self.get(service, "extends")
        if extends is not None:
            other = self.get(extends, "file")
            if other is not None and self.is_scalar(other):
                self._related(other, "extends")  # compose-go reads it with this project's variables

    def _inherits_build(
        self, service: Any, build: Any, depth: int, root: Any = None, directory: Path | None = None
    ) -> bool:
        """Whether the service builds its image through `extends`: compose-go loader/extends.go
        applyServiceExtends merges the base service (from this file, or `extends.file` relative to
        the extending file's directory) under the service, so an inherited `build:` makes
        `image:` the name of the build output, unless the service resets it (`build: !reset`)."""
        yaml = pyyaml()
        if build is not None or depth > 8 or not isinstance(service, yaml.MappingNode):
            return False
        extends = self.get(service, "extends")
        if extends is None:
            return False
        directory = self.directory if directory is None else directory
        if isinstance(extends, yaml.ScalarNode):
            name_node, file_node = extends, None
        else:
            name_node, file_node = self.get(extends, "service"), self.get(extends, "file")
        if name_node is None or not self.is_scalar(name_node):
            return False
        if file_node is not None and self.is_scalar(file_node):
            value, _, _ = self._interpolated(file_node)
            path = directory / value.text if value is not None else None
            if path is None or not file_kind(path).is_file:
                return False
            try:
                text = source_text.read_inside(path, self.roots).text
                documents = [d for d in pyyaml().compose_all(text, Loader=_loader()) if d]
            except (OSError, source_text.DecodeError, pyyaml().YAMLError, RecursionError):
                return False  # _related reports it
            root, directory = (documents[0] if documents else None), path.parent
        elif root is None:
            root = self._root
        services = self.get(root, "services") if root is not None else None
        base = self.get(services, name_node.value) if services is not None else None
        if base is None:
            return False
        base_build = self.get(base, "build")
        if base_build is not None and not (isinstance(base_build, yaml.ScalarNode) and base_build.tag == "!reset"):
            return True
        return self._inherits_build(base, base_build, depth + 1, root, directory)

    def _local_builds(self, services: Any) -> None:
        """Record `image: NAME` of every service that builds (itself or through `extends`): NAME
        is the local build output, not a registry reference, wherever the project names it."""
        yaml = pyyaml()
        for key, service in self.mapping(services):
            if not isinstance(service, yaml.MappingNode):
                continue
            build = self.get(service, "build")
            image = self.get(service, "image")
            if image is None or not self.is_scalar(image):
                continue
            builds = build is not None and not (isinstance(build, yaml.ScalarNode) and build.tag == "!reset")
            if not builds and not self._inherits_build(service, build, 0):
                continue
            try:
                value = interpolate(self.scalar_text(image)[0], self.env, budget=self.budget)
                ref = reference.parse(value.value.text)
            except (TemplateError, reference.ReferenceError):
                continue
            if not value.missing:
                self.result.local_images.setdefault(ref.canonical_tagged, str(getattr(key, "value", "")))

    def _includes(self, root: Any) -> None:
        yaml = pyyaml()
        include = self.get(root, "include")
        if not isinstance(include, yaml.SequenceNode):
            return
        for entry in include.value:
            if isinstance(entry, yaml.ScalarNode):
                self._related(entry, "include", self._include_environment(entry, None, None))
                continue
            paths = self.get(entry, "path")
            path_nodes = paths.value if isinstance(paths, yaml.SequenceNode) else [paths] if paths is not None else []
            if not path_nodes:
                continue
            project_directory, env_file = self.get(entry, "project_directory"), self.get(entry, "env_file")
            env = self._include_environment(path_nodes[0], project_directory, env_file)
            if env is None:
                continue
            # loader/include.go ApplyInclude: the included files' relative paths (build contexts,
            # their own includes) resolve against project_directory, default the first path's folder
            directory = self._include_path(project_directory) if project_directory is not None else None
            first = self._include_path(path_nodes[0])
            working_dir = self.directory / directory if directory is not None else None
            if working_dir is None and first is not None:
                working_dir = (self.directory / first).parent
            for path in path_nodes:
                before = len(self.result.related)
                self._related(path, "include", env)
                if working_dir is not None and len(self.result.related) > before:
                    self.result.working_dirs[self.result.related[-1][0].resolve()] = working_dir

    def _interpolated(self, node: Any) -> tuple[Value | None, int, int]:
        raw, start, end = self.scalar_text(node)
        try:
            result = interpolate(raw, self.env, budget=self.budget)
        except TemplateError as exc:
            self._error(str(exc), start, end)
            return None, start, end
        if result.missing:
            return None, start, end
        return result.value, start, end

    def _include_environment(self, first: Any, project_directory: Any, env_file: Any) -> Mapping[str, Value] | None:
        """The variables an included file is interpolated with, as compose-go loader/include.go
        ApplyInclude gives them: `project_directory` (default: the first path's directory;
        relative to this file's directory) decides where `.env` is looked up when `env_file` is
        not given; `env_file` entries are relative to this file's directory (`/dev/null` skipped,
        a missing one refuses the project) and read in order (dotenv GetEnvFromFile, this
        project's variables winning inside them); then this project's variables win over what
        the files define (types.Mapping.Merge keeps existing keys). None: an error was reported."""
        yaml = pyyaml()
        files: list[Path] = []
        if env_file is not None:
            nodes = env_file.value if isinstance(env_file, yaml.SequenceNode) else [env_file]
            for node in nodes:
                value = self._include_path(node)
                if value is None:
                    continue
                if value == "/dev/null":
                    continue
                path = self.directory / value
                if not source_text.inside(path, self.roots):
                    message = f"include: env_file {value}: {source_text.outside_message(path)}"
                    self._error(message, node.start_mark.index)
                    return None
                state = file_kind(path)
                if not state.is_file:
                    why = f" ({state.reason})" if state.reason else ""
                    self._error(f"include: env_file not found: {value}{why}", node.start_mark.index)
                    return None
                files.append(path)
        else:
            if project_directory is not None and self._include_path(project_directory) is not None:
                base = self.directory / str(self._include_path(project_directory))
            else:
                first_path = self._include_path(first)
                if first_path is None:
                    return self.env
                base = (self.directory / first_path).parent
            if file_kind(base / ".env").is_file and source_text.inside(base / ".env", self.roots):
                files.append(base / ".env")  # outside the project: the include itself is reported
        defined: dict[str, Value] = {}
        for path in files:
            try:
                read_dotenv(_env_file_text(path), self.env, defined)
            except (OSError, DotenvError) as exc:
                self._error(f"include: cannot read env_file {path.name}: {exc}", first.start_mark.index)
                return None
        return {**defined, **self.env}

    def _include_path(self, node: Any) -> str | None:
        if not self.is_scalar(node):
            return None
        value, _, _ = self._interpolated(node)
        return None if value is None else value.text

    def _related(self, node: Any, field_name: str, env: Mapping[str, Value] | None = None) -> None:
        """Another Compose file to read, with the whole environment it is interpolated with: for
        `extends.file`, this project's variables (compose-go loader/extends.go getExtendsBaseFromFile
        loads the file with the extending project's options, so its own `.env` is not read); for
        `include`, what `_include_environment` says."""
        if not self.is_scalar(node):
            return
        value, start, end = self._interpolated(node)
        if value is None or _URL_CONTEXT.match(value.text):
            return
        path = self.directory / value.text
        if not source_text.inside(path, self.roots):
            self._error(f"{field_name}: {source_text.outside_message(path)}", start, end)
            return
        state = file_kind(path)
        if not state.is_file:
            why = f" ({state.reason})" if state.reason else ""
            self._error(f"{field_name}: file not found: {value.text}{why}", start, end)
            return
        self.result.related.append((path, self.env if env is None else env))

    # -- images --------------------------------------------------------------------------

    def _image(self, kind: str, node: Any, prefix: str = "") -> None:
        if not self.is_scalar(node) or id(node) in self._seen_nodes:
            return
        self._seen_nodes.add(id(node))
        raw, start, end = self.scalar_text(node)
        if prefix:
            if not raw.text.startswith(prefix):
                return
            cut = len(prefix)
            raw = MappedText(raw.text[cut:], raw.offsets[cut:])
            if start >= 0 and raw.offsets and raw.offsets[0] >= 0:
                start = raw.offsets[0]
        span = self.index.span(start, end)
        whole = (start, end) if node.style in ('"', "'") else None
        self._use(kind, span, raw, whole)

    def _use(self, kind: str, span: Span, raw: MappedText, whole: tuple[int, int] | None = None) -> None:
        """The image use written as `raw` at `span`, interpolated with this project's variables."""
        try:
            result = interpolate(raw, self.env, budget=self.budget)
        except TemplateError as exc:
            self._error(f"{exc} in {self.text[span.start : span.end]!r}", span.start, span.end)
            return
        if result.missing:
            names = tuple(dict.fromkeys(result.missing))
            self.facts.images.append(image_use(self.display, kind, self.index, span, raw, None, unresolved=names))
            return
        if _IMAGE_ID.fullmatch(result.value.text):
            return  # a local image ID

        def vary() -> str:
            return interpolate(raw, {name: literal(SENTINEL) for name in result.used}).value.text

        self.facts.images.append(
            image_use(self.display, kind, self.index, span, raw, result.value, vary=vary, whole=whole)
        )

    # -- build -----------------------------------------------------------------------------

    def _build(self, build: Any) -> None:
        yaml = pyyaml()
        if isinstance(build, yaml.ScalarNode):
            context_node, dockerfile_node, inline, args_node = build, None, None, None
        elif isinstance(build, yaml.MappingNode):
            context_node = self.get(build, "context")
            dockerfile_node = self.get(build, "dockerfile")
            inline = self.get(build, "dockerfile_inline")
            args_node = self.get(build, "args")
            self._additional_contexts(self.get(build, "additional_contexts"))
            self._cache_from(self.get(build, "cache_from"))
        else:
            return
        args = self._build_args(args_node)
        origin = self.index.span(build.start_mark.index, build.start_mark.index)
        if inline is not None and self.is_scalar(inline):
            self._inline_dockerfile(inline, args, self._context_names(build))
            return
        context = "."
        if context_node is not None and self.is_scalar(context_node):
            value, _, _ = self._interpolated(context_node)
            if value is None:
                return
            context = value.text
        if _URL_CONTEXT.match(context):
            return  # a remote context cannot be read offline
        context_dir = self.directory / context
        if not source_text.inside(context_dir, self.roots):
            self._error(f"build: context {source_text.outside_message(context_dir)}", origin.start)
            return
        state = file_kind(context_dir)
        if not state.is_dir:
            shown = os.path.relpath(context_dir, self.directory)
            why = f" ({state.reason})" if state.reason else ""
            self._error(CodedMessage(f"build: context directory not found: {shown}{why}", "PIN901"), origin.start)
            return
        dockerfile = "Dockerfile"
        if dockerfile_node is not None and self.is_scalar(dockerfile_node):
            value, start, _ = self._interpolated(dockerfile_node)
            if value is None:
                return
            dockerfile = value.text
            origin = self.index.span(start, start)
        path = context_dir / dockerfile
        if not source_text.inside(path, self.roots):
            self._error(f"build: Dockerfile {source_text.outside_message(path)}", origin.start)
            return
        state = file_kind(path)
        if not state.is_file:
            shown = os.path.relpath(path, self.directory)
            why = f" ({state.reason})" if state.reason else ""
            self._error(CodedMessage(f"build: Dockerfile not found: {shown}{why}", "PIN901"), origin.start)
            return
        self.result.builds.append(BuildTarget(path, args, origin, self._context_names(build)))

    def _context_names(self, build: Any) -> frozenset[str]:
        yaml = pyyaml()
        node = self.get(build, "additional_contexts") if isinstance(build, yaml.MappingNode) else None
        if isinstance(node, yaml.MappingNode):
            return frozenset(str(getattr(k, "value", "")) for k, _ in self.mapping(node))
        if isinstance(node, yaml.SequenceNode):
            return frozenset(str(item.value).partition("=")[0] for item in node.value if self.is_scalar(item))
        return frozenset()

    def _build_args(self, node: Any) -> dict[str, Value]:
        yaml = pyyaml()
        args: dict[str, Value] = {}
        if isinstance(node, yaml.MappingNode):
            for key, value in self.mapping(node):
                name = getattr(key, "value", None)
                if not isinstance(name, str):
                    continue
                if isinstance(value, yaml.ScalarNode) and value.tag != "tag:yaml.org,2002:null":
                    expanded, _, _ = self._interpolated(value)
                    if expanded is not None:
                        args[name] = literal(expanded.text)
                elif name in self.env:
                    args[name] = literal(self.env[name].text)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if not isinstance(item, yaml.ScalarNode):
                    continue
                expanded, _, _ = self._interpolated(item)
                if expanded is None:
                    continue
                name, eq, value_text = expanded.text.partition("=")
                if eq:
                    args[name] = literal(value_text)
                elif name in self.env:
                    args[name] = literal(self.env[name].text)
        return args

    def _entries(self, node: Any) -> Iterator[Any]:
        """Value nodes of a map, or items of a `NAME=VALUE` list (with the name stripped later)."""
        yaml = pyyaml()
        if isinstance(node, yaml.MappingNode):
            for _, value in self.mapping(node):
                yield value
        elif isinstance(node, yaml.SequenceNode):
            yield from node.value

    def _additional_contexts(self, node: Any) -> None:
        yaml = pyyaml()
        is_list = isinstance(node, yaml.SequenceNode)
        for value in self._entries(node):
            if not self.is_scalar(value):
                continue
            text: str = value.value
            if is_list:
                name, eq, rest = text.partition("=")
                if not eq:
                    continue
                prefix = name + "=" + "docker-image://"
                if rest.startswith("docker-image://"):
                    self._image("compose-context", value, prefix=prefix)
            elif text.startswith("docker-image://"):
                self._image("compose-context", value, prefix="docker-image://")

    def _cache_from(self, node: Any) -> None:
        yaml = pyyaml()
        if not isinstance(node, yaml.SequenceNode):
            return
        for item in node.value:
            if not self.is_scalar(item):
                continue
            text: str = item.value
            if "=" not in text:
                self._image("compose-cache-from", item)
                continue
            fields = dict(part.partition("=")[::2] for part in text.split(","))
            if fields.get("type", "registry") == "registry" and "ref" in fields:
                cut = text.index("ref=") + len("ref=")
                self._cache_ref(item, cut, len(fields["ref"]))

    def _cache_ref(self, node: Any, cut: int, length: int) -> None:
        if id(node) in self._seen_nodes:
            return
        raw, _, _ = self.scalar_text(node)
        piece = MappedText(raw.text[cut : cut + length], raw.offsets[cut : cut + length])
        self._seen_nodes.add(id(node))
        self._use_from_mapped("compose-cache-from", piece)

    def _use_from_mapped(self, kind: str, raw: MappedText) -> None:
        known = [o for o in raw.offsets if o >= 0]
        if known:
            self._use(kind, self.index.span(known[0], known[-1] + 1), raw)

    def _inline_dockerfile(self, node: Any, args: Mapping[str, Value], contexts: frozenset[str]) -> None:
        from pinlint.sources.dockerfile import parse_dockerfile

        mapped = self.block_text(node)
        try:
            result = interpolate(mapped, self.env, keep_missing=True, budget=self.budget)
        except TemplateError as exc:
            self._error(str(exc), node.start_mark.index)
            return
        body = result.value
        inline = parse_dockerfile(body.text, self.display, args, contexts=contexts)
        anchor = node.start_mark.index
        for span, message in inline.errors:
            first = self._map_offset(body, span.start, anchor)
            self._error(f"dockerfile_inline: {message}", first)
        missing = tuple(dict.fromkeys(result.missing))
        for use in inline.images:
            remapped = self._remap(use, body, anchor)
            # a compose variable without a value would be interpolated to "" before BuildKit sees it
            absent = tuple(name for name in missing if re.search(rf"\$\{{?{name}\b", remapped.text))
            if absent:
                remapped = image_use(
                    self.display, remapped.kind, self.index, remapped.span, mapped, None, unresolved=absent
                )
            self.facts.images.append(remapped)

    def _map_offset(self, body: MappedText, offset: int, fallback: int) -> int:
        if 0 <= offset < len(body.offsets) and body.offsets[offset] >= 0:
            return body.offsets[offset]
        return fallback

    def _remap_span(self, body: MappedText, span: Span | None, *, exact: bool = True) -> Span | None:
        """The compose-file span of an inline-Dockerfile span: exact (a fix may write there) or,
        with exact=False, from its first to its last character that has a source position."""
        if span is None:
            return None
        region = body.source_range(span.start, span.end)
        if region is None and not exact and any(o >= 0 for o in body.offsets[span.start : span.end]):
            region = body.covering_range(span.start, span.end)
        return self.index.span(*region) if region else None

    def _remap(self, use: ImageUse, body: MappedText, anchor: int) -> ImageUse:
        span = self._remap_span(body, use.span, exact=False)
        if span is None:
            start = self._map_offset(body, use.span.start, anchor)
            span = self.index.span(start, start)
        return use._replace(
            path=self.display,
            text=self.text[span.start : span.end],
            span=span,
            default_span=self._remap_span(body, use.default_span),
            pin_span=self._remap_span(body, use.pin_span),
            digest_span=self._remap_span(body, use.digest_span),
        )


def parse_compose(
    text: str,
    display: str,
    location: Path | None,
    env: Mapping[str, Value],
    working_dir: Path | None = None,
    roots: Sequence[Path] = (),
) -> ComposeResult:
    """Parse a Compose file's text. Never raises on bad input: errors go to `facts.errors`.
    `working_dir`: where relative paths resolve, when not the file's folder (an include's
    project_directory); `roots`: the files it names are read only inside these (() = anywhere)."""
    return ComposeParser(text, display, location, env, working_dir, roots).parse()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    """The source registry's entry. A file another Compose file includes or extends is read with
    the environment and working directory that file gives it (`contexts`: an Includer, from the
    file that names it in this run or, when the run does not follow it, from the project);
    otherwise with its own `.env` and the shell. The Dockerfiles it builds and the Compose files
    it names are followed. A service's `image:` under `pull_policy: never`/`build` that the
    project builds is a local image: not reported."""
    from pinlint.sources.dockerfile import BuildVariant

    includer = next((c for c in contexts[:1] if isinstance(c, Includer)), None)
    roots = run.config.roots if run.config is not None else ()
    problems: list[str] = []
    if includer is not None:
        env, working_dir = dict(includer.env), includer.working_dir
    else:
        directory = path.absolute().parent if display != "-" else Path.cwd()
        env, working_dir = project_environment(directory, _shell(run), roots, problems), None
    result = parse_compose(text, display, path if display != "-" else None, env, working_dir, roots)
    for problem in problems:
        result.facts.errors.insert(0, (result.facts.index.span(0, 0), problem))
    checked = result.is_compose or bool(result.facts.errors)
    if not checked:
        return Parsed([result.facts], checked=False, reason="YAML without Compose services")
    local = _project(run).local_images
    for name, service in result.local_images.items():  # a Compose file outside the project root
        local.setdefault(name, f"{service} ({display})")
    images = result.facts.images
    images[:] = [u for u in images if id(u) not in result.never_pulled or local_build(u, local) is None]
    follows = [Follow(b.dockerfile, DOCKERFILE, BuildVariant(dict(b.args), b.contexts)) for b in result.builds]
    follows += [
        Follow(other, COMPOSE, Includer(variables, result.working_dirs.get(other.resolve())))
        for other, variables in result.related
    ]
    return Parsed([result.facts], follows)


def _shell(run: ParseRun) -> dict[str, Value]:
    return run.memo("compose.shell", lambda: shell_environment(run.config))


def _project(run: ParseRun) -> ProjectBuilds:
    """What the Compose files under the project root build and include (read once per run)."""
    cwd = run.cwd if run.cwd is not None else Path.cwd()
    return run.memo("compose.project", lambda: read_project(run.config, _shell(run), cwd))


def project_contexts(run: ParseRun) -> Mapping[tuple[str, Path], Sequence[object]]:
    """The source registry's project hook: how the project's Compose files name other files."""
    return _project(run).contexts


def built_locally(use: ImageUse, run: ParseRun) -> bool:
    """An image use outside Compose's own fields (a Dockerfile's `FROM`, `COPY --from`) that
    names an image a service of the project builds: a local build output, not a registry image.
    (A Compose `image:` is one only under `pull_policy: never`/`build`, decided in `parse`.)"""
    return not use.kind.startswith("compose-") and local_build(use, _project(run).local_images) is not None


def reparse(text: str, path: Path) -> FileFacts:
    env = project_environment(path.absolute().parent, shell_environment())  # fix verifies literal pins
    return parse_compose(text, str(path), path, env).facts
