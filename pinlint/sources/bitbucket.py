"""Bitbucket Pipelines source: the images of `bitbucket-pipelines.yml`.

Image fields (https://support.atlassian.com/bitbucket-cloud/docs/docker-image-options/): the
top-level `image`, each step's `image` wherever the step sits under `pipelines:` (default,
branches, tags, bookmarks, pull-requests, custom; inside `parallel:` and `stage:`), and
`definitions.services.<name>.image` — each a string or a mapping with `name`. Steps shared
through anchors (`- step: *build`) are one node and are reported once. A `$VARIABLE` in an
image can only be filled by Bitbucket's repository variables: PIN004 names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinlint.model import FileFacts
from pinlint.sources.ciyaml import CiYamlParser, environment_only
from pinlint.sources.registry import BITBUCKET, Parsed, ParseRun

MAX_NODES = 100_000  # nodes walked under `pipelines:`


class BitbucketParser(CiYamlParser):
    def __init__(self, text: str, display: str) -> None:
        super().__init__(text, display, BITBUCKET)
        self.is_bitbucket = True

    def parse(self) -> BitbucketParser:
        root = self.load("a Bitbucket Pipelines file")
        if root is None:
            self.is_bitbucket = bool(self.facts.errors)
            return self
        self._image("bitbucket-image", self.get(root, "image"))
        self._steps(self.get(root, "pipelines"))
        services = self.get(self.get(root, "definitions"), "services")
        for _, service in self.mapping(services):
            self._image("bitbucket-service", self.get(service, "image"))
        return self

    def _image(self, kind: str, node: Any) -> None:
        if self.is_mapping(node):
            node = self.get(node, "name")
        self.image(kind, node, environment_only)

    def _steps(self, pipelines: Any) -> None:
        """Every `step:` mapping below `pipelines:`, however deep (a step shared by anchors once)."""
        stack = [pipelines]
        seen: set[int] = set()
        while stack and len(seen) < MAX_NODES:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            if self.is_mapping(node):
                pairs = self.mapping(node)
                for key, value in pairs:
                    if getattr(key, "value", None) == "step" and self.is_mapping(value):
                        self._image("bitbucket-image", self.get(value, "image"))
                stack.extend(value for _, value in reversed(pairs))
            elif self.is_sequence(node):
                stack.extend(reversed(node.value))


def detect(head: str) -> bool:
    """A Bitbucket Pipelines file by its first bytes: a top-level `pipelines:` with `step:`s."""
    import re

    return bool(re.search(r"(?m)^pipelines\s*:", head) and re.search(r"(?m)^\s*-?\s*step\s*:", head))


def parse_bitbucket(text: str, display: str) -> BitbucketParser:
    return BitbucketParser(text, display).parse()


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    parser = parse_bitbucket(text, display)
    return Parsed([parser.facts], checked=parser.is_bitbucket)


def reparse(text: str, path: Path) -> FileFacts:
    return parse_bitbucket(text, str(path)).facts
