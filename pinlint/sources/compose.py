"""Compose source: every image reference of a Compose file, with spans, interpolated as Compose does.

YAML is read with PyYAML's composer only: scalars stay the text written in the file (no YAML
1.1 coercion), every node keeps its position, aliases share their anchor's node (so a scalar
used by many services is reported once, at its own position, and alias bombs cost nothing),
and custom tags such as `!reset`/`!override` need no constructor. `<<` merge keys are applied
here.

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pinlint import reference
from pinlint.discover import compose_name as compose_file_name
from pinlint.model import CodedMessage, FileFacts, ImageUse, MappedText, Span, TextIndex
from pinlint.sources.expand import SENTINEL, Value, digest_part, insertion_is_safe, literal, tag_part
from pinlint.sources.interpolate import DotenvError, TemplateError, interpolate, parse_env_file, read_dotenv

_IMAGE_ID = re.compile(r"(?:sha256:)?[a-f0-9]{64}", re.ASCII)
_URL_CONTEXT = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)
_COMMENT = re.compile(r"(?:^|\s)#(.*)$")
_MAX_MERGE_DEPTH = 64
# compose-spec.json `properties` of the top level (compose-go schema/compose-spec.json)
_TOP_LEVEL_KEYS = ("version", "name", "include", "services", "models", "networks", "volumes", "secrets", "configs")


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
    related: list[tuple[Path, Mapping[str, Value] | None]] = field(default_factory=list)
    is_compose: bool = True
    # images this file builds (`build:` and `image: NAME`): canonical name:tag → building service
    local_images: dict[str, str] = field(default_factory=dict)
    # ids of the `image:` uses of services with `pull_policy: never`/`build`: a local image when
    # another service builds it (otherwise `docker compose up` pulls the name from its registry)
    never_pulled: set[int] = field(default_factory=set)
    # included files (resolved) → the directory their relative paths resolve against
    working_dirs: dict[Path, Path] = field(default_factory=dict)


def _yaml() -> Any:
    import yaml

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def shell_environment() -> dict[str, Value]:
    return {k: literal(v) for k, v in os.environ.items()}


def project_environment(directory: Path, shell: Mapping[str, Value]) -> dict[str, Value]:
    """Interpolation variables: the shell environment over the project's `.env`."""
    env_file = directory / ".env"
    variables: dict[str, Value] = {}
    if env_file.is_file():
        try:
            variables = parse_env_file(env_file.read_bytes().decode("utf-8", errors="replace"), shell)
        except (OSError, TemplateError, DotenvError):
            variables = {}
    variables.update(shell)
    return variables


class ComposeParser:
    def __init__(
        self, text: str, display: str, location: Path | None, env: Mapping[str, Value], working_dir: Path | None = None
    ) -> None:
        self.text = text
        self.display = display
        self.location = location
        self.directory = location.parent if location is not None else Path.cwd()
        if working_dir is not None:
            self.directory = working_dir
        self.env = env
        self.index = TextIndex(text)
        self.result = ComposeResult(FileFacts(display, text, self.index, kind="compose"))
        self.facts = self.result.facts
        self._seen_nodes: set[int] = set()
        self._merged: dict[int, list[tuple[Any, Any]]] = {}
        self._root: Any = None

    # -- YAML helpers ----------------------------------------------------------------------

    def _error(self, message: str, start: int, end: int | None = None) -> None:
        self.facts.errors.append((self.index.span(start, start if end is None else end), message))

    def _mapping(self, node: Any, depth: int = 0) -> list[tuple[Any, Any]]:
        """(key node, value node) pairs of a mapping with `<<` merges applied (own keys win)."""
        yaml = _yaml()
        if not isinstance(node, yaml.MappingNode):
            return []
        cached = self._merged.get(id(node))
        if cached is not None:
            return cached
        if depth > _MAX_MERGE_DEPTH:
            return []
        own: list[tuple[Any, Any]] = []
        inherited: list[tuple[Any, Any]] = []
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    inherited.extend(self._mapping(source, depth + 1))
            else:
                own.append((key, value))
        names = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        merged = list(own)
        for key, value in inherited:
            if isinstance(key, yaml.ScalarNode) and key.value not in names:
                names.add(key.value)
                merged.append((key, value))
        self._merged[id(node)] = merged
        return merged

    def _get(self, node: Any, name: str) -> Any:
        for key, value in self._mapping(node):
            if getattr(key, "value", None) == name:
                return value
        return None

    def _is_scalar(self, node: Any) -> bool:
        yaml = _yaml()
        return isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null" and node.value != ""

    def _scalar_text(self, node: Any) -> tuple[MappedText, int, int]:
        """The scalar's value with source offsets when it maps 1:1 to the source, and its bounds."""
        value: str = node.value
        start, end = node.start_mark.index, node.end_mark.index
        text = self.text
        if node.style in ('"', "'"):
            inner_end = end - 1
            if text[inner_end : inner_end + 1] == node.style and text[inner_end - len(value) : inner_end] == value:
                begin = inner_end - len(value)
                return literal(value, begin), begin, inner_end
            quote_start = text.find(node.style, start, inner_end)
            if text[inner_end : inner_end + 1] == node.style and quote_start >= 0:
                return literal(value), quote_start + 1, inner_end  # escapes: inside the quotes, not 1:1
            return literal(value), start, end
        if not node.style and text[end - len(value) : end] == value:
            return literal(value, end - len(value)), end - len(value), end
        return literal(value), start, end

    # -- reading -----------------------------------------------------------------------------

    def parse(self) -> ComposeResult:
        yaml = _yaml()
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
        self._collect_comments()
        documents = [d for d in documents if d is not None]
        if not documents:
            self.result.is_compose = False
            return self.result
        for document in documents:  # compose-go loader.go loadYamlFile decodes and checks each one
            duplicate = _duplicate_key(document)
            if duplicate is not None:
                key, first_line = duplicate
                message = f'invalid YAML: mapping key "{key.value}" already defined at line {first_line}'
                self._error(message, key.start_mark.index)
                return self.result
            if not isinstance(document, yaml.MappingNode):
                self._error("a Compose file must be a mapping at the top level", document.start_mark.index)
                return self.result
        root = documents[0] if len(documents) == 1 else self._merge_documents(documents)
        self._root = root
        legacy = self._get(root, "services") is None and self._looks_legacy(root)
        if not legacy and not self._top_level_keys(documents):
            return self.result
        services = self._get(root, "services")
        if services is None:
            services = root if legacy else None
            if services is None:
                # nothing to check (unless PIN900s above count it), but an include-only file
                self.result.is_compose = self._get(root, "include") is not None
                self._includes(root)
                return self.result
        elif not isinstance(services, yaml.MappingNode):
            if not (isinstance(services, yaml.ScalarNode) and services.tag == "tag:yaml.org,2002:null"):
                self._error("'services' must be a mapping", services.start_mark.index)
            return self.result
        for _, service in self._mapping(services):
            self._service(service)
        self._local_builds(services)
        self._includes(root)
        return self.result

    def _top_level_keys(self, documents: list[Any]) -> bool:
        """False when no document has a Compose top-level key and the name is not a Compose
        name (then this is not a Compose file). Otherwise each key the Compose specification
        does not define is PIN900 at its position: the top level of compose-spec.json is closed
        (`additionalProperties: false`, only `^x-` extensions), so compose-go's
        `schema.Validate` (loader.go loadYamlFile) refuses `sevices:` or `service:`."""
        yaml = _yaml()
        keys = [k for document in documents for k, _ in document.value if isinstance(k, yaml.ScalarNode)]
        named = compose_file_name(Path(self.display).name)
        if not named and not any(k.value in _TOP_LEVEL_KEYS for k in keys):
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
        yaml = _yaml()
        if other.tag == "!override" or depth > _MAX_MERGE_DEPTH:
            return other
        if isinstance(base, yaml.MappingNode) and isinstance(other, yaml.MappingNode):
            pairs = list(self._mapping(base))
            position = {k.value: i for i, (k, _) in enumerate(pairs) if isinstance(k, yaml.ScalarNode)}
            dropped: set[int] = set()
            for key, value in self._mapping(other):
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
        pairs = self._mapping(root)
        if not pairs or any(getattr(k, "value", "") == "version" for k, _ in pairs):
            return False
        keys = ("image", "build", "extends")
        return all(any(self._get(value, key) is not None for key in keys) for _, value in pairs)

    def _collect_comments(self) -> None:
        for number, line in enumerate(self.text.split("\n"), start=1):
            if "#" not in line:
                continue
            match = _COMMENT.search(line)
            if match is not None and "pinlint" in match.group(1):
                self.facts.comments.append((number, match.group(1)))

    def _service(self, service: Any) -> None:
        yaml = _yaml()
        if not isinstance(service, yaml.MappingNode):
            return
        build = self._get(service, "build")
        image = self._get(service, "image")
        has_build = build is not None and not (isinstance(build, yaml.ScalarNode) and build.tag in ("!reset",))
        if image is not None and not has_build and not self._inherits_build(service, build, 0):
            before = len(self.facts.images)
            self._image("compose-image", image)
            pull_policy = self._get(service, "pull_policy")
            if len(self.facts.images) > before and getattr(pull_policy, "value", None) in ("never", "build"):
                self.result.never_pulled.add(id(self.facts.images[-1]))
        if has_build:
            self._build(build)
        volumes = self._get(service, "volumes")
        if isinstance(volumes, yaml.SequenceNode):
            for volume in volumes.value:
                kind = self._get(volume, "type")
                if kind is not None and getattr(kind, "value", None) == "image":
                    source = self._get(volume, "source")
                    if source is not None:
                        self._image("compose-volume-image", source)
        hooks = self._get(service, "pre_start")
        if isinstance(hooks, yaml.SequenceNode):
            for hook in hooks.value:
                hook_image = self._get(hook, "image")
                if hook_image is not None:
                    self._image("compose-hook-image", hook_image)
        extends = self._get(service, "extends")
        if extends is not None:
            other = self._get(extends, "file")
            if other is not None and self._is_scalar(other):
                self._related(other, "extends")  # compose-go reads it with this project's variables

    def _inherits_build(
        self, service: Any, build: Any, depth: int, root: Any = None, directory: Path | None = None
    ) -> bool:
        """Whether the service builds its image through `extends`: compose-go loader/extends.go
        applyServiceExtends merges the base service (from this file, or `extends.file` relative to
        the extending file's directory) under the service, so an inherited `build:` makes
        `image:` the name of the build output, unless the service resets it (`build: !reset`)."""
        yaml = _yaml()
        if build is not None or depth > 8 or not isinstance(service, yaml.MappingNode):
            return False
        extends = self._get(service, "extends")
        if extends is None:
            return False
        directory = self.directory if directory is None else directory
        if isinstance(extends, yaml.ScalarNode):
            name_node, file_node = extends, None
        else:
            name_node, file_node = self._get(extends, "service"), self._get(extends, "file")
        if name_node is None or not self._is_scalar(name_node):
            return False
        if file_node is not None and self._is_scalar(file_node):
            value, _, _ = self._interpolated(file_node)
            path = directory / value.text if value is not None else None
            if path is None or not path.is_file() or path.stat().st_size > 1024 * 1024:
                return False
            try:
                documents = [d for d in _yaml().compose_all(path.read_text(encoding="utf-8"), Loader=_loader()) if d]
            except (OSError, UnicodeDecodeError, _yaml().YAMLError, RecursionError):
                return False
            root, directory = (documents[0] if documents else None), path.parent
        elif root is None:
            root = self._root
        services = self._get(root, "services") if root is not None else None
        base = self._get(services, name_node.value) if services is not None else None
        if base is None:
            return False
        base_build = self._get(base, "build")
        if base_build is not None and not (isinstance(base_build, yaml.ScalarNode) and base_build.tag == "!reset"):
            return True
        return self._inherits_build(base, base_build, depth + 1, root, directory)

    def _local_builds(self, services: Any) -> None:
        """Record `image: NAME` of every service that builds (itself or through `extends`): NAME
        is the local build output, not a registry reference, wherever the project names it."""
        yaml = _yaml()
        for key, service in self._mapping(services):
            if not isinstance(service, yaml.MappingNode):
                continue
            build = self._get(service, "build")
            image = self._get(service, "image")
            if image is None or not self._is_scalar(image):
                continue
            builds = build is not None and not (isinstance(build, yaml.ScalarNode) and build.tag == "!reset")
            if not builds and not self._inherits_build(service, build, 0):
                continue
            try:
                value = interpolate(self._scalar_text(image)[0], self.env)
                ref = reference.parse(value.value.text)
            except (TemplateError, reference.ReferenceError):
                continue
            if not value.missing:
                self.result.local_images.setdefault(ref.canonical_tagged, str(getattr(key, "value", "")))

    def _includes(self, root: Any) -> None:
        yaml = _yaml()
        include = self._get(root, "include")
        if not isinstance(include, yaml.SequenceNode):
            return
        for entry in include.value:
            if isinstance(entry, yaml.ScalarNode):
                self._related(entry, "include", self._include_environment(entry, None, None))
                continue
            paths = self._get(entry, "path")
            path_nodes = paths.value if isinstance(paths, yaml.SequenceNode) else [paths] if paths is not None else []
            if not path_nodes:
                continue
            project_directory, env_file = self._get(entry, "project_directory"), self._get(entry, "env_file")
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
        raw, start, end = self._scalar_text(node)
        try:
            result = interpolate(raw, self.env)
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
        yaml = _yaml()
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
                if not path.is_file():
                    self._error(f"include: env_file not found: {value}", node.start_mark.index)
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
            if (base / ".env").is_file():
                files.append(base / ".env")
        defined: dict[str, Value] = {}
        for path in files:
            try:
                read_dotenv(path.read_bytes().decode("utf-8", errors="replace"), self.env, defined)
            except (OSError, DotenvError) as exc:
                self._error(f"include: cannot read env_file {path.name}: {exc}", first.start_mark.index)
                return None
        return {**defined, **self.env}

    def _include_path(self, node: Any) -> str | None:
        if not self._is_scalar(node):
            return None
        value, _, _ = self._interpolated(node)
        return None if value is None else value.text

    def _related(self, node: Any, field_name: str, env: Mapping[str, Value] | None = None) -> None:
        """Another Compose file to read, with the whole environment it is interpolated with: for
        `extends.file`, this project's variables (compose-go loader/extends.go getExtendsBaseFromFile
        loads the file with the extending project's options, so its own `.env` is not read); for
        `include`, what `_include_environment` says."""
        if not self._is_scalar(node):
            return
        value, start, end = self._interpolated(node)
        if value is None or _URL_CONTEXT.match(value.text):
            return
        path = self.directory / value.text
        if not path.is_file():
            self._error(f"{field_name}: file not found: {value.text}", start, end)
            return
        self.result.related.append((path, self.env if env is None else env))

    # -- images --------------------------------------------------------------------------

    def _image(self, kind: str, node: Any, prefix: str = "") -> None:
        if not self._is_scalar(node) or id(node) in self._seen_nodes:
            return
        self._seen_nodes.add(id(node))
        raw, start, end = self._scalar_text(node)
        if prefix:
            if not raw.text.startswith(prefix):
                return
            cut = len(prefix)
            raw = MappedText(raw.text[cut:], raw.offsets[cut:])
            if start >= 0 and raw.offsets and raw.offsets[0] >= 0:
                start = raw.offsets[0]
        span = self.index.span(start, end)
        text = self.text[start:end]
        try:
            result = interpolate(raw, self.env)
        except TemplateError as exc:
            self._error(f"{exc} in {text!r}", start, end)
            return
        if result.missing:
            names = tuple(dict.fromkeys(result.missing))
            self.facts.images.append(ImageUse(self.display, kind, text, span, None, None, unresolved=names))
            return
        value = result.value
        if _IMAGE_ID.fullmatch(value.text):
            return  # a local image ID
        try:
            ref = reference.parse(value.text)
        except reference.ReferenceError as exc:
            self.facts.images.append(ImageUse(self.display, kind, text, span, value.text, None, error=str(exc)))
            return
        uses_variable = "$" in raw.text
        name_end = value.text.find("@")
        name_end = len(value.text) if name_end < 0 else name_end
        region = value.source_range(0, name_end)
        if region is None and not uses_variable and ref.digest is None and node.style in ('"', "'"):
            region = (start, end)  # escapes inside quotes: the reference is the whole scalar, pin at its end
        pin_span = self.index.span(*region) if region and insertion_is_safe(self.text, region[1]) else None
        digest_region = value.source_range(name_end + 1, len(value.text)) if ref.digest else None
        digest_span = self.index.span(*digest_region) if digest_region else None
        default_span = pin_span if pin_span is not None and uses_variable else None
        literal_digest = False
        if ref.digest is not None and uses_variable:
            poisoned = interpolate(raw, {name: literal(SENTINEL) for name in result.used}).value.text
            literal_digest = digest_part(poisoned) == digest_part(value.text) and tag_part(poisoned) != tag_part(
                value.text
            )
        self.facts.images.append(
            ImageUse(
                self.display,
                kind,
                text,
                span,
                value.text,
                ref,
                default_span=default_span,
                pin_span=pin_span,
                variable_tag_with_literal_digest=literal_digest,
                digest_span=digest_span,
            )
        )

    # -- build -----------------------------------------------------------------------------

    def _build(self, build: Any) -> None:
        yaml = _yaml()
        if isinstance(build, yaml.ScalarNode):
            context_node, dockerfile_node, inline, args_node = build, None, None, None
        elif isinstance(build, yaml.MappingNode):
            context_node = self._get(build, "context")
            dockerfile_node = self._get(build, "dockerfile")
            inline = self._get(build, "dockerfile_inline")
            args_node = self._get(build, "args")
            self._additional_contexts(self._get(build, "additional_contexts"))
            self._cache_from(self._get(build, "cache_from"))
        else:
            return
        args = self._build_args(args_node)
        origin = self.index.span(build.start_mark.index, build.start_mark.index)
        if inline is not None and self._is_scalar(inline):
            self._inline_dockerfile(inline, args, self._context_names(build))
            return
        context = "."
        if context_node is not None and self._is_scalar(context_node):
            value, _, _ = self._interpolated(context_node)
            if value is None:
                return
            context = value.text
        if _URL_CONTEXT.match(context):
            return  # a remote context cannot be read offline
        context_dir = self.directory / context
        if not context_dir.is_dir():
            shown = os.path.relpath(context_dir, self.directory)
            self._error(CodedMessage(f"build: context directory not found: {shown}", "PIN901"), origin.start)
            return
        dockerfile = "Dockerfile"
        if dockerfile_node is not None and self._is_scalar(dockerfile_node):
            value, start, _ = self._interpolated(dockerfile_node)
            if value is None:
                return
            dockerfile = value.text
            origin = self.index.span(start, start)
        path = context_dir / dockerfile
        if not path.is_file():
            shown = os.path.relpath(path, self.directory)
            self._error(CodedMessage(f"build: Dockerfile not found: {shown}", "PIN901"), origin.start)
            return
        self.result.builds.append(BuildTarget(path, args, origin, self._context_names(build)))

    def _context_names(self, build: Any) -> frozenset[str]:
        yaml = _yaml()
        node = self._get(build, "additional_contexts") if isinstance(build, yaml.MappingNode) else None
        if isinstance(node, yaml.MappingNode):
            return frozenset(str(getattr(k, "value", "")) for k, _ in self._mapping(node))
        if isinstance(node, yaml.SequenceNode):
            return frozenset(str(item.value).partition("=")[0] for item in node.value if self._is_scalar(item))
        return frozenset()

    def _build_args(self, node: Any) -> dict[str, Value]:
        yaml = _yaml()
        args: dict[str, Value] = {}
        if isinstance(node, yaml.MappingNode):
            for key, value in self._mapping(node):
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
        yaml = _yaml()
        if isinstance(node, yaml.MappingNode):
            for _, value in self._mapping(node):
                yield value
        elif isinstance(node, yaml.SequenceNode):
            yield from node.value

    def _additional_contexts(self, node: Any) -> None:
        yaml = _yaml()
        is_list = isinstance(node, yaml.SequenceNode)
        for value in self._entries(node):
            if not self._is_scalar(value):
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
        yaml = _yaml()
        if not isinstance(node, yaml.SequenceNode):
            return
        for item in node.value:
            if not self._is_scalar(item):
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
        raw, _, _ = self._scalar_text(node)
        piece = MappedText(raw.text[cut : cut + length], raw.offsets[cut : cut + length])
        self._seen_nodes.add(id(node))
        self._use_from_mapped("compose-cache-from", piece)

    def _use_from_mapped(self, kind: str, raw: MappedText) -> None:
        known = [o for o in raw.offsets if o >= 0]
        if not known:
            return
        start, end = known[0], known[-1] + 1
        span = self.index.span(start, end)
        text = self.text[start:end]
        try:
            result = interpolate(raw, self.env)
        except TemplateError as exc:
            self._error(f"{exc} in {text!r}", start, end)
            return
        if result.missing:
            self.facts.images.append(
                ImageUse(self.display, kind, text, span, None, None, unresolved=tuple(dict.fromkeys(result.missing)))
            )
            return
        try:
            ref = reference.parse(result.value.text)
        except reference.ReferenceError as exc:
            self.facts.images.append(ImageUse(self.display, kind, text, span, result.value.text, None, error=str(exc)))
            return
        region = result.value.source_range(0, len(result.value.text.split("@")[0]))
        pin_span = self.index.span(*region) if region and insertion_is_safe(self.text, region[1]) else None
        self.facts.images.append(ImageUse(self.display, kind, text, span, result.value.text, ref, pin_span=pin_span))

    def _inline_dockerfile(self, node: Any, args: Mapping[str, Value], contexts: frozenset[str]) -> None:
        from pinlint.sources.dockerfile import parse_dockerfile

        mapped = self._block_text(node)
        try:
            result = interpolate(mapped, self.env, keep_missing=True)
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
                remapped = ImageUse(
                    remapped.path, remapped.kind, remapped.text, remapped.span, None, None, unresolved=absent
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
        pin = self._remap_span(body, use.pin_span)
        default = self._remap_span(body, use.default_span)
        return ImageUse(
            self.display,
            use.kind,
            self.text[span.start : span.end],
            span,
            use.value,
            use.ref,
            error=use.error,
            default_span=default,
            pin_span=pin,
            unresolved=use.unresolved,
            variable_tag_with_literal_digest=use.variable_tag_with_literal_digest,
            platform_dependent=use.platform_dependent,
            digest_span=self._remap_span(body, use.digest_span),
        )

    def _block_text(self, node: Any) -> MappedText:
        """A block scalar's value with the source offset of each character, aligned greedily with
        the source (indentation, line folding and CR characters skipped); -1 where it cannot be."""
        value: str = node.value
        if node.style not in ("|", ">"):
            mapped, start, end = self._scalar_text(node)
            if any(offset >= 0 for offset in mapped.offsets) or not value:
                return mapped
            return _align(value, self.text, start, end)  # folded plain or escaped quoted scalar
        line_end = self.text.find("\n", node.start_mark.index)
        if line_end < 0:
            return literal(value)
        return _align(value, self.text, line_end + 1, node.end_mark.index)


def _duplicate_key(root: Any) -> tuple[Any, int] | None:
    """The first key defined twice in one mapping (go-yaml, and so Compose, rejects the file)."""
    yaml = _yaml()
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in lines:
                        return key, lines[key.value]
                    lines[key.value] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _align(value: str, text: str, start: int, end: int) -> MappedText:
    """Map each character of `value` to the next equal character of text[start:end]; white space
    in the source that the value does not have (indentation, CR, folded line ends) is skipped."""
    offsets: list[int] = []
    j = start
    for ch in value:
        while j < end and text[j] != ch and text[j] in " \t\r\n":
            j += 1
        if j < end and text[j] == ch:
            offsets.append(j)
            j += 1
        elif ch in " \n" and j < end:
            offsets.append(-1)  # a folded line end: no single source character
        else:
            offsets.append(-1)
    return MappedText(value, tuple(offsets))


def parse_compose(
    text: str, display: str, location: Path | None, env: Mapping[str, Value], working_dir: Path | None = None
) -> ComposeResult:
    """Parse a Compose file's text. Never raises on bad input: errors go to `facts.errors`.
    `working_dir`: where relative paths resolve, when not the file's folder (an include's
    project_directory)."""
    return ComposeParser(text, display, location, env, working_dir).parse()
