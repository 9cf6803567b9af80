"""Dev container source: the images of `devcontainer.json` (https://containers.dev/implementors/json_reference/).

Files: `.devcontainer/devcontainer.json`, `.devcontainer.json` and
`.devcontainer/<folder>/devcontainer.json`, read as JSON with comments and trailing commas
(`pinlint.sources.jsonc`). Fields: `image`; `build.dockerfile` (relative to the file) with
`build.context` and `build.args`, followed into that Dockerfile the way Compose `build:` is
(the older top-level `dockerFile`/`context` too); `dockerComposeFile` (a string or a list,
relative to the file), followed into those Compose files. `${localEnv:VAR}` and the other
`${…}` variables depend on the machine that opens the container: PIN004 names them, unless a
`${localEnv:VAR:default}` gives a default, which is then the value (pinned in place). Pins are
inserted into the string; comments and commas stay. Suppressions: `// pinlint: ignore=…` or
`/* pinlint: ignore */` on the line or the line above.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pinlint.model import FileFacts, MappedText, TextIndex
from pinlint.sources import jsonc
from pinlint.sources.expand import SENTINEL, Value, literal
from pinlint.sources.registry import COMPOSE, DEVCONTAINER, DOCKERFILE, Follow, Parsed, ParseRun
from pinlint.sources.uses import image_use

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LOCAL_ENV_DEFAULT = re.compile(r"(?:localEnv|containerEnv):[A-Za-z_][A-Za-z0-9_]*:", re.ASCII)


class DevcontainerParser:
    def __init__(self, text: str, display: str, location: Path | None) -> None:
        self.text = text
        self.display = display
        self.location = location
        self.index = TextIndex(text)
        self.facts = FileFacts(display, text, self.index, kind=DEVCONTAINER)
        self.follows: list[Follow] = []

    def error(self, message: str, start: int, end: int | None = None) -> None:
        self.facts.errors.append((self.index.span(start, start if end is None else end), message))

    def parse(self) -> DevcontainerParser:
        try:
            document = jsonc.parse(self.text)
        except jsonc.JsoncError as exc:
            self.error(f"invalid JSON: {exc}", min(exc.offset, len(self.text)))
            return self
        for offset, comment in document.comments:
            if "pinlint" in comment:
                self.facts.comments.append((self.index.position(offset)[0], comment))
        root = document.root
        if root.kind != "object":
            self.error("a devcontainer.json must be an object at the top level", root.start)
            return self
        self._image(root.get("image"))
        build = root.get("build")
        if build is not None and build.kind == "object":
            self._build(build.get("dockerfile") or build.get("dockerFile"), build.get("context"), build.get("args"))
        elif root.get("dockerFile") is not None:
            self._build(root.get("dockerFile"), root.get("context"), None)
        compose = root.get("dockerComposeFile")
        if compose is not None:
            for item in compose.items if compose.kind == "array" else [compose]:
                self._compose(item)
        return self

    def _image(self, node: jsonc.Node | None) -> None:
        if node is None or node.text is None or not node.text.text.strip():
            return
        raw = node.text
        span = self.index.span(node.start + 1, node.end - 1)
        value, unresolved = _expand(raw)
        if value is None:
            self.facts.images.append(
                image_use(self.display, "devcontainer-image", self.index, span, raw, None, unresolved=unresolved)
            )
            return

        def vary() -> str:
            return _VARIABLE.sub(SENTINEL, raw.text)

        whole = (span.start, span.end)  # the string is the whole reference, escapes or not
        self.facts.images.append(
            image_use(self.display, "devcontainer-image", self.index, span, raw, value, vary=vary, whole=whole)
        )

    def _path(self, node: jsonc.Node | None, what: str) -> Path | None:
        if node is None or node.text is None or self.location is None:
            return None
        written = node.text.text
        if "${" in written:
            return None  # depends on the machine that opens the container
        path = self.location.parent / written
        if not path.is_file():
            self.error(f"{what}: file not found: {written}", node.start + 1, node.end - 1)
            return None
        return path

    def _build(self, dockerfile: jsonc.Node | None, context: jsonc.Node | None, args: jsonc.Node | None) -> None:
        from pinlint.sources.dockerfile import BuildVariant

        path = self._path(dockerfile, "build.dockerfile")
        if path is None:
            return
        values: dict[str, Value] = {}
        if args is not None and args.kind == "object":
            for key, value in args.members:
                if key is not None and key.text is not None and value.text is not None:
                    expanded, _ = _expand(value.text)
                    if expanded is not None:
                        values[key.text.text] = literal(expanded.text)
        self.follows.append(Follow(path, DOCKERFILE, BuildVariant(values)))

    def _compose(self, node: jsonc.Node) -> None:
        path = self._path(node, "dockerComposeFile")
        if path is not None:
            self.follows.append(Follow(path, COMPOSE, None))


def _expand(raw: MappedText) -> tuple[Value | None, tuple[str, ...]]:
    """`${localEnv:VAR:default}` takes its default; any other `${…}` has no value offline."""
    text, offsets, last, missing = "", list[int](), 0, []
    for match in _VARIABLE.finditer(raw.text):
        text += raw.text[last : match.start()]
        offsets += raw.offsets[last : match.start()]
        last = match.end()
        default = _LOCAL_ENV_DEFAULT.match(match.group(1))
        if default is None:
            missing.append(match.group(1))
            continue
        cut = match.start(1) + default.end()
        text += raw.text[cut : match.end() - 1]
        offsets += raw.offsets[cut : match.end() - 1]
    if missing:
        return None, tuple(dict.fromkeys(missing))
    text += raw.text[last:]
    offsets += raw.offsets[last:]
    return MappedText(text, tuple(offsets)), ()


def detect(head: str) -> bool:
    """A devcontainer.json by its first bytes: JSON naming an image, a Dockerfile or a Compose file."""
    return bool(re.search(r'"(image|dockerComposeFile|dockerFile|customizations|remoteUser)"\s*:', head))


def parse_devcontainer(text: str, display: str, location: Path | None = None) -> DevcontainerParser:
    return DevcontainerParser(text, display, location).parse()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    parser = parse_devcontainer(text, display, path if display != "-" else None)
    return Parsed([parser.facts], parser.follows)


def reparse(text: str, path: Path) -> FileFacts:
    return parse_devcontainer(text, str(path), path).facts
