"""CircleCI source: the images of `.circleci/config.yml`.

Image fields (https://circleci.com/docs/configuration-reference/#docker): `docker: - image:` of
each job and each executor, also inside orbs defined inline (`orbs.<name>.jobs/executors`).
The first image is where the steps run; the others are service containers.

`<< parameters.x >>` expands from the job's or executor's `parameters.x.default` and from every
literal value the config passes: workflow job invocations (`- build: {x: …}`, `matrix:
parameters:` lists, every combination) for a job, `executor: {name: …, x: …}` of a job for an
executor; `<< pipeline.parameters.x >>` from the top-level `parameters.x.default`. Each distinct
value is reported once. A parameter without a literal value (a value built from other
parameters, an orb's invocation elsewhere) cannot be known offline: PIN004 names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import product
from pathlib import Path
from typing import Any

from pinlint.model import FileFacts, MappedText
from pinlint.sources.ciyaml import CiYamlParser, Variant
from pinlint.sources.expand import SENTINEL, Value
from pinlint.sources.registry import CIRCLECI, Parsed, ParseRun

MAX_VARIANTS = 256
_PARAMETER = re.compile(r"<<\s*((?:pipeline\.)?parameters\.[A-Za-z0-9_-]+)\s*>>", re.ASCII)

Values = dict[str, Value | None]  # parameter name -> value (None: no literal value)


class CircleParser(CiYamlParser):
    def __init__(self, text: str, display: str) -> None:
        super().__init__(text, display, CIRCLECI)
        self.is_circleci = True
        self.pipeline: Values = {}

    def parse(self) -> CircleParser:
        root = self.load("a CircleCI config")
        if root is None:
            self.is_circleci = bool(self.facts.errors)
            return self
        if self.get(root, "jobs") is None and self.get(root, "executors") is None and self.get(root, "orbs") is None:
            self.is_circleci = self.get(root, "version") is not None
            return self
        self.pipeline = self._defaults(self.get(root, "parameters"))
        job_calls = self._workflow_calls(self.get(root, "workflows"))
        scopes = [root, *(orb for _, orb in self.mapping(self.get(root, "orbs")) if self.is_mapping(orb))]
        for scope in scopes:
            jobs = self.get(scope, "jobs")
            executor_calls: dict[str, list[Values]] = {}
            for key, job in self.mapping(jobs):
                name = str(getattr(key, "value", ""))
                calls = job_calls.get(name, []) if scope is root else []
                self._docker(self.get(job, "docker"), self._variants(job, calls))
                executor = self.get(job, "executor")
                if self.is_scalar(executor):
                    executor_calls.setdefault(executor.value, []).append({})
                elif self.is_mapping(executor):
                    called = self.get(executor, "name")
                    if self.is_scalar(called):
                        executor_calls.setdefault(called.value, []).append(self._arguments(executor))
            for key, executor in self.mapping(self.get(scope, "executors")):
                name = str(getattr(key, "value", ""))
                self._docker(self.get(executor, "docker"), self._variants(executor, executor_calls.get(name, [])))
        return self

    def _value(self, node: Any) -> Value | None:
        if not self.is_scalar(node) or _PARAMETER.search(node.value):
            return None
        raw, _, _ = self.scalar_text(node)
        return raw

    def _defaults(self, parameters: Any) -> Values:
        values: Values = {}
        for key, spec in self.mapping(parameters):
            default = self.get(spec, "default")
            values[str(getattr(key, "value", ""))] = self._value(default) if default is not None else None
        return values

    def _arguments(self, call: Any) -> Values:
        return {
            str(getattr(k, "value", "")): self._value(v)
            for k, v in self.mapping(call)
            if getattr(k, "value", None) not in ("name", "matrix", "requires", "context", "filters", "type")
        }

    def _workflow_calls(self, workflows: Any) -> dict[str, list[Values]]:
        """Arguments each workflow passes to each job (one entry per matrix combination)."""
        calls: dict[str, list[Values]] = {}
        for _, workflow in self.mapping(workflows):
            for item in self.items(self.get(workflow, "jobs")):
                if self.is_scalar(item):
                    calls.setdefault(item.value, []).append({})
                    continue
                for key, call in self.mapping(item):
                    name = str(getattr(key, "value", ""))
                    arguments = self._arguments(call)
                    matrix = self.get(self.get(call, "matrix"), "parameters")
                    lists = [
                        (str(getattr(k, "value", "")), [self._value(v) for v in self.items(values)])
                        for k, values in self.mapping(matrix)
                    ]
                    combinations = [{}] if not lists else self._product(lists)
                    calls.setdefault(name, []).extend({**arguments, **c} for c in combinations)
        return calls

    def _product(self, lists: list[tuple[str, list[Value | None]]]) -> list[Values]:
        size = 1
        for _, values in lists:
            size *= max(len(values), 1)
        if size > MAX_VARIANTS:
            return [{name: None for name, _ in lists}]
        names = [name for name, _ in lists]
        return [dict(zip(names, combo, strict=True)) for combo in product(*(values for _, values in lists))]

    def _variants(self, owner: Any, calls: list[Values]) -> list[Values]:
        defaults = self._defaults(self.get(owner, "parameters"))
        if not calls:
            return [defaults]
        return [{**defaults, **call} for call in calls[:MAX_VARIANTS]]

    def _docker(self, docker: Any, variants: list[Values]) -> None:
        if not self.is_sequence(docker):
            return
        for item in docker.value:
            image = self.get(item, "image")
            if image is not None:
                self.image("circleci-image", image, lambda raw: self._expand(raw, variants))

    def _expand(self, raw: MappedText, variants: Sequence[Mapping[str, Value | None]]) -> Iterable[Variant]:
        matches = list(_PARAMETER.finditer(raw.text))
        if not matches:
            return [Variant(raw)]

        def vary() -> str:
            return _PARAMETER.sub(SENTINEL, raw.text)

        found: list[Variant] = []
        for parameters in variants:
            text, offsets, last, missing = "", list[int](), 0, []
            for match in matches:
                name = match.group(1)
                if name.startswith("pipeline."):
                    value = self.pipeline.get(name.removeprefix("pipeline.parameters."))
                else:
                    value = parameters.get(name.removeprefix("parameters."))
                if value is None:
                    missing.append(name)
                    continue
                text += raw.text[last : match.start()] + value.text
                offsets += [*raw.offsets[last : match.start()], *value.offsets]
                last = match.end()
            if missing:
                found.append(Variant(None, tuple(dict.fromkeys(missing))))
                continue
            text += raw.text[last:]
            offsets += raw.offsets[last:]
            found.append(Variant(MappedText(text, tuple(offsets)), vary=vary))
        return found


def detect(head: str) -> bool:
    """A CircleCI config by its first bytes: `version:` with `jobs:`, `executors:` or `orbs:`."""
    return bool(re.search(r"(?m)^version\s*:", head) and re.search(r"(?m)^(jobs|executors|orbs|workflows)\s*:", head))


def parse_circleci(text: str, display: str) -> CircleParser:
    return CircleParser(text, display).parse()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    parser = parse_circleci(text, display)
    return Parsed([parser.facts], checked=parser.is_circleci)


def reparse(text: str, path: Path) -> FileFacts:
    return parse_circleci(text, str(path)).facts
