"""GitHub Actions source: the images of workflows (`.github/workflows/*.yml`) and actions (`action.yml`).

Workflow fields: `jobs.<id>.container` (a string or `{image: …}`), `jobs.<id>.services.<id>.image`
and `jobs.<id>.steps[*].uses: docker://…`. Action fields (`action.yml`): `runs.image:
docker://…` of a Docker container action (a `runs.image` naming a Dockerfile is followed into
that Dockerfile, relative to the action's folder) and `runs.steps[*].uses: docker://…` of a
composite action.

`${{ matrix.x }}` (also `matrix.x.y` into an object) in a container or service image expands
from a literal `strategy.matrix`, as GitHub builds the job matrix: every combination of the
keys' lists, `exclude` entries removed, `include` entries added to each combination whose
original values they do not overwrite, else as a combination of their own. Each distinct value
is reported once. The matrix is built only when an image uses it; one that makes more than 256
jobs (GitHub's limit) is PIN900. Matrix values are read as GitHub's YAML reads them: an
unquoted number is a number (`3.10` is `3.1`). Any other expression (`${{ env.IMAGE }}`, a matrix built by
`fromJSON`) cannot be known offline: PIN004 names it. `uses:` takes no expressions, so there
the text is the reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pinlint.model import FileFacts, MappedText
from pinlint.sources.ciyaml import CiYamlParser, Variant, plain
from pinlint.sources.expand import SENTINEL, Value, literal
from pinlint.sources.registry import DOCKERFILE, GITHUB, Follow, Parsed, ParseRun
from pinlint.sources.yaml import pyyaml

MAX_MATRIX = 256  # GitHub's limit on the jobs one matrix generates (after exclude and include)
MAX_ENUMERATED = 4096  # combinations enumerated before `exclude` applies
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_MATRIX_PATH = re.compile(r"matrix((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)", re.ASCII)
_NUMBER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)
_DOCKER = "docker://"

Combination = dict[str, Any]  # matrix key -> YAML node


class _Matrix:
    """The combinations of one job's literal `strategy.matrix` (None: not literal)."""

    def __init__(self, parser: GithubParser, node: Any) -> None:
        self.parser = parser
        self.node = node
        self._combinations: list[Combination] | None = None
        self._expanded = False

    @property
    def combinations(self) -> list[Combination] | None:
        """Built when an image first uses the matrix (a matrix no image uses costs nothing)."""
        if not self._expanded:
            self._expanded = True
            self._combinations = self._expand(self.node) if self.node is not None else None
        return self._combinations

    def value(self, node: Any) -> Value | None:
        """A matrix value as text, the way GitHub's expression turns it into a string."""
        p = self.parser
        if not p.is_scalar(node):
            return literal("") if isinstance(node, pyyaml().ScalarNode) else None  # null or empty
        raw, _, _ = p.scalar_text(node)
        if not node.style and _NUMBER.fullmatch(raw.text):
            number = float(raw.text)
            text = str(int(number)) if number.is_integer() and abs(number) < 1e21 else repr(number)
            return raw if text == raw.text else literal(text)
        return raw

    def _same(self, a: Any, b: Any) -> bool:
        first, second = self.value(a), self.value(b)
        return first is not None and second is not None and first.text == second.text

    def _expand(self, node: Any) -> list[Combination] | None:
        p = self.parser
        if not p.is_mapping(node):
            return None
        keys: list[tuple[str, list[Any]]] = []
        include: list[Any] = []
        exclude: list[Any] = []
        size = 1
        for key, value in p.mapping(node):
            name = getattr(key, "value", None)
            if name in ("include", "exclude"):
                if not p.is_sequence(value):
                    return None
                (include if name == "include" else exclude).extend(value.value)
                continue
            if not isinstance(name, str) or not p.is_sequence(value):
                return None
            keys.append((name, list(value.value)))
            size *= len(value.value)
            if size > MAX_ENUMERATED:
                return None  # too many to enumerate before `exclude`: the values stay unknown
        combinations: list[Combination] = [{}] if keys else []
        for name, values in keys:
            combinations = [{**c, name: v} for c in combinations for v in values]
        for entry in exclude:
            pairs = [(getattr(k, "value", None), v) for k, v in p.mapping(entry)]
            combinations = [
                c for c in combinations if not all(k in c and self._same(c[k], v) for k, v in pairs)
            ]
        originals = {name for name, _ in keys}
        base = list(combinations)
        for entry in include:
            pairs = [(getattr(k, "value", None), v) for k, v in p.mapping(entry)]
            added = False
            for c in base:
                if all(k not in originals or self._same(c[k], v) for k, v in pairs):
                    c.update({k: v for k, v in pairs if isinstance(k, str)})
                    added = True
            if not added:
                combinations.append({k: v for k, v in pairs if isinstance(k, str)})
        if len(combinations) > MAX_MATRIX:
            message = f"strategy.matrix makes {len(combinations)} jobs; GitHub allows {MAX_MATRIX}"
            p.error(message, node.start_mark.index)
            return None
        return combinations

    def lookup(self, combination: Combination, path: Sequence[str]) -> Value | None:
        node = combination.get(path[0])
        for part in path[1:]:
            node = self.parser.get(node, part) if node is not None else None
        if node is None:
            return literal("")  # a key this combination lacks is an empty string
        return self.value(node)

    def expander(self, raw: MappedText) -> Iterable[Variant]:
        """Every distinct expansion of `raw`'s `${{ … }}` expressions over the combinations."""
        expressions = list(_EXPRESSION.finditer(raw.text))
        if not expressions:
            return [Variant(raw)]
        names = [m.group(1).strip() for m in expressions]
        paths = [_matrix_path(name) for name in names]
        unknown = tuple(dict.fromkeys(n for n, path in zip(names, paths, strict=True) if path is None))
        combinations = self.combinations
        if combinations is None:
            unknown = tuple(dict.fromkeys(names))
        if unknown or combinations is None:
            return [Variant(None, unknown)]

        def vary() -> str:
            return _EXPRESSION.sub(SENTINEL, raw.text)

        variants: list[Variant] = []
        for combination in combinations:
            values = [self.lookup(combination, path) for path in paths if path is not None]
            missing = tuple(dict.fromkeys(n for n, v in zip(names, values, strict=True) if v is None))
            if missing:
                variants.append(Variant(None, missing))
                continue
            text, offsets, last = "", list[int](), 0
            for match, value in zip(expressions, values, strict=True):
                assert value is not None
                text += raw.text[last : match.start()] + value.text
                offsets += [*raw.offsets[last : match.start()], *value.offsets]
                last = match.end()
            text += raw.text[last:]
            offsets += raw.offsets[last:]
            if text.strip():
                variants.append(Variant(MappedText(text, tuple(offsets)), vary=vary))
        return variants


def _matrix_path(expression: str) -> list[str] | None:
    match = _MATRIX_PATH.fullmatch(expression)
    return match.group(1)[1:].split(".") if match else None


class GithubParser(CiYamlParser):
    def __init__(self, text: str, display: str, location: Path | None) -> None:
        super().__init__(text, display, GITHUB)
        self.location = location
        self.follows: list[Follow] = []
        self.is_github = True

    def parse(self) -> GithubParser:
        root = self.load("a GitHub Actions file")
        if root is None:
            self.is_github = bool(self.facts.errors)
            return self
        jobs = self.get(root, "jobs")
        runs = self.get(root, "runs")
        if jobs is not None:
            for _, job in self.mapping(jobs):
                self._job(job)
        elif runs is not None:
            self._action(runs)
        else:
            self.is_github = False
        return self

    def _job(self, job: Any) -> None:
        strategy = self.get(job, "strategy")
        matrix = _Matrix(self, self.get(strategy, "matrix") if strategy is not None else None)
        container = self.get(job, "container")
        if self.is_mapping(container):
            container = self.get(container, "image")
        self.image("github-container", container, matrix.expander)
        services = self.get(job, "services")
        for _, service in self.mapping(services):
            self.image("github-service", self.get(service, "image"), matrix.expander)
        self._steps(self.get(job, "steps"))

    def _steps(self, steps: Any) -> None:
        if not self.is_sequence(steps):
            return
        for step in steps.value:
            uses = self.get(step, "uses")
            found = self.written(uses, _DOCKER)
            if found is not None and "${{" in found[0].text:
                span = found[1]
                self.error("'uses:' does not evaluate expressions: the image must be written out", span.start, span.end)
                continue
            self.image("github-uses", uses, plain, prefix=_DOCKER)

    def _action(self, runs: Any) -> None:
        image = self.get(runs, "image")
        if self.is_scalar(image):
            text: str = image.value
            if text.startswith(_DOCKER):
                self.image("github-action", image, plain, prefix=_DOCKER)
            elif self.location is not None and "${{" not in text:
                dockerfile = self.location.parent / text
                if dockerfile.is_file():
                    from pinlint.sources.dockerfile import BuildVariant

                    self.follows.append(Follow(dockerfile, DOCKERFILE, BuildVariant({})))
                else:
                    _, start, end = self.scalar_text(image)
                    self.error(f"runs.image: Dockerfile not found: {text}", start, end)
        self._steps(self.get(runs, "steps"))


def detect(head: str) -> bool:
    """A workflow (`on:` and `jobs:`) or an action (`runs:` with `using:`), by its first bytes."""
    workflow = re.search(r"(?m)^jobs\s*:", head) and re.search(r"""(?m)^(?:on|"on"|'on')\s*:""", head)
    action = re.search(r"(?m)^runs\s*:", head) and re.search(r"(?m)^\s+using\s*:", head)
    return bool(workflow or action)


def parse_github(text: str, display: str, location: Path | None = None) -> GithubParser:
    """Parse a workflow or action file. Never raises on bad input: errors go to `facts.errors`."""
    return GithubParser(text, display, location).parse()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    parser = parse_github(text, display, path if display != "-" else None)
    return Parsed([parser.facts], parser.follows, checked=parser.is_github)


def reparse(text: str, path: Path) -> FileFacts:
    return parse_github(text, str(path), path).facts
