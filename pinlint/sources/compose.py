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

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pinlint.model import FileFacts, ImageUse, MappedText, Span
from pinlint.sources.expand import SENTINEL, Value, literal
from pinlint.sources.interpolate import TemplateError, interpolate, parse_env_file
from pinlint.sources.registry import COMPOSE, DOCKERFILE, Follow, Parsed, ParseRun
from pinlint.sources.uses import image_use
from pinlint.sources.yaml import YamlReader, duplicate_key, hash_comments, pyyaml

_IMAGE_ID = re.compile(r"(?:sha256:)?[a-f0-9]{64}", re.ASCII)
_URL_CONTEXT = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)


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
    # include: and extends.file: compose files, with the variables they see (None: their own)
    related: list[tuple[Path, Mapping[str, Value] | None]] = field(default_factory=list)
    is_compose: bool = True


def shell_environment() -> dict[str, Value]:
    return {k: literal(v) for k, v in os.environ.items()}


def project_environment(directory: Path, shell: Mapping[str, Value]) -> dict[str, Value]:
    """Interpolation variables: the shell environment over the project's `.env`."""
    env_file = directory / ".env"
    variables: dict[str, Value] = {}
    if env_file.is_file():
        try:
            variables = parse_env_file(env_file.read_text(encoding="utf-8", errors="replace"), shell)
        except (OSError, TemplateError):
            variables = {}
    variables.update(shell)
    return variables


class ComposeParser(YamlReader):
    def __init__(self, text: str, display: str, location: Path | None, env: Mapping[str, Value]) -> None:
        super().__init__(text)
        self.display = display
        self.location = location
        self.directory = location.parent if location is not None else Path.cwd()
        self.env = env
        self.result = ComposeResult(FileFacts(display, text, self.index, kind="compose"))
        self.facts = self.result.facts
        self._seen_nodes: set[int] = set()

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
        if len(documents) > 1:
            self._error(
                "a Compose file holds one YAML document; found several", documents[1].start_mark.index
            )
            return self.result
        root = documents[0]
        duplicate = duplicate_key(root)
        if duplicate is not None:
            key, first_line = duplicate
            message = f'invalid YAML: mapping key "{key.value}" already defined at line {first_line}'
            self._error(message, key.start_mark.index)
            return self.result
        if not isinstance(root, yaml.MappingNode):
            self._error("a Compose file must be a mapping at the top level", root.start_mark.index)
            return self.result
        services = self.get(root, "services")
        if services is None:
            services = root if self._looks_legacy(root) else None
            if services is None:
                self.result.is_compose = False
                return self.result
        elif not isinstance(services, yaml.MappingNode):
            if not (isinstance(services, yaml.ScalarNode) and services.tag == "tag:yaml.org,2002:null"):
                self._error("'services' must be a mapping", services.start_mark.index)
            return self.result
        for _, service in self.mapping(services):
            self._service(service)
        self._includes(root)
        return self.result

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
        if image is not None and not has_build:
            self._image("compose-image", image)
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

    def _includes(self, root: Any) -> None:
        yaml = pyyaml()
        include = self.get(root, "include")
        if not isinstance(include, yaml.SequenceNode):
            return
        for entry in include.value:
            if isinstance(entry, yaml.ScalarNode):
                self._related(entry, "include")
                continue
            paths = self.get(entry, "path")
            if isinstance(paths, yaml.SequenceNode):
                for path in paths.value:
                    self._related(path, "include")
            elif paths is not None:
                self._related(paths, "include")

    def _interpolated(self, node: Any) -> tuple[Value | None, int, int]:
        raw, start, end = self.scalar_text(node)
        try:
            result = interpolate(raw, self.env)
        except TemplateError as exc:
            self._error(str(exc), start, end)
            return None, start, end
        if result.missing:
            return None, start, end
        return result.value, start, end

    def _related(self, node: Any, field_name: str) -> None:
        """Another Compose file to read; it sees this file's variables (over its own `.env`)."""
        if not self.is_scalar(node):
            return
        value, start, end = self._interpolated(node)
        if value is None or _URL_CONTEXT.match(value.text):
            return
        path = self.directory / value.text
        if not path.is_file():
            self._error(f"{field_name}: file not found: {value.text}", start, end)
            return
        self.result.related.append((path, self.env))

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
            result = interpolate(raw, self.env)
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
        dockerfile = "Dockerfile"
        if dockerfile_node is not None and self.is_scalar(dockerfile_node):
            value, start, _ = self._interpolated(dockerfile_node)
            if value is None:
                return
            dockerfile = value.text
            origin = self.index.span(start, start)
        path = context_dir / dockerfile
        if not path.is_file():
            shown = os.path.relpath(path, self.directory)
            self._error(f"build: Dockerfile not found: {shown}", origin.start)
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


def parse_compose(text: str, display: str, location: Path | None, env: Mapping[str, Value]) -> ComposeResult:
    """Parse a Compose file's text. Never raises on bad input: errors go to `facts.errors`."""
    return ComposeParser(text, display, location, env).parse()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    """The source registry's entry. A file another Compose file includes or extends is read with
    that file's variables (`contexts`), which win over its own `.env`; the Dockerfiles it builds
    and the Compose files it names are followed."""
    from pinlint.sources.dockerfile import BuildVariant

    env = project_environment(path.absolute().parent, run.memo("compose.shell", shell_environment))
    for inherited in contexts[:1]:
        if isinstance(inherited, Mapping):
            env = {**env, **inherited}
    result = parse_compose(text, display, path if display != "-" else None, env)
    follows = [Follow(b.dockerfile, DOCKERFILE, BuildVariant(dict(b.args), b.contexts)) for b in result.builds]
    follows += [Follow(other, COMPOSE, variables) for other, variables in result.related]
    return Parsed([result.facts], follows, checked=result.is_compose or bool(result.facts.errors))


def reparse(text: str, path: Path) -> FileFacts:
    env = project_environment(path.absolute().parent, shell_environment())
    return parse_compose(text, str(path), path, env).facts
