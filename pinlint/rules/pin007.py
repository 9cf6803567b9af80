"""PIN007 untrusted-registry: the image's registry is not in `allowed-registries`."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from pinlint.gitignore import glob_regex
from pinlint.model import ImageUse, Severity
from pinlint.rules._image import shown
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN007"
NAME = "untrusted-registry"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True  # only when `allowed-registries` is set; without it the rule has nothing to check
ACTIVE_WHEN = "`allowed-registries` is set"  # shown by `pinlint rule --all` and the README table
FIX = None
SUMMARY = "Image comes from a registry that is not in `allowed-registries`"
TARGET = "image"

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def _normalise(host: str) -> str:
    host = host.lower().rstrip("/")
    return "docker.io" if host in _HUB_ALIASES else host


def _allowed(host: str, name: str, entry: str) -> bool:
    """A pattern without '/' names registries (globs within the host); with '/', a name prefix."""
    if "/" not in entry:
        return fnmatch.fnmatchcase(host, _normalise(entry))
    pattern = entry.rstrip("/")
    head, _, rest = pattern.partition("/")
    pattern = f"{_normalise(head)}/{rest}"
    return glob_regex(pattern).match(name) is not None or glob_regex(pattern + "/**").match(name) is not None


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    allowed = ctx.config.allowed_registries
    ref = item.ref
    if not allowed or ref is None:
        return
    host = _normalise(ref.registry_host)
    name = f"{host}/{ref.path}"
    if any(_allowed(host, name, entry) for entry in allowed):
        return
    yield Finding(
        item.span, f"Image '{shown(item)}' comes from registry '{host}', which is not in allowed-registries", use=item
    )
