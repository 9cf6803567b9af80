"""PIN007 untrusted-registry: the image's registry is not in `allowed-registries`."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from pinlint.model import ImageUse, Severity
from pinlint.rules._image import ref_of, shown
from pinlint.rules.base import Finding, RuleContext

CODE = "PIN007"
NAME = "untrusted-registry"
SEVERITY = Severity.ERROR
DEFAULT_ENABLED = True  # only when `allowed-registries` is set; without it the rule has nothing to check
FIX = None
SUMMARY = "Image comes from a registry that is not in `allowed-registries`"
TARGET = "image"

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def _normalise(host: str) -> str:
    host = host.lower().rstrip("/")
    return "docker.io" if host in _HUB_ALIASES else host


def check(item: ImageUse, ctx: RuleContext) -> Iterator[Finding]:
    allowed = ctx.config.allowed_registries
    ref = ref_of(item)
    if not allowed or ref is None:
        return
    host = _normalise(ref.registry_host)
    name = f"{host}/{ref.path}"
    for entry in allowed:
        entry = _normalise(entry)
        if fnmatch.fnmatchcase(host, entry) or fnmatch.fnmatchcase(name, entry) or name.startswith(entry + "/"):
            return
    yield Finding(
        item.span, f"Image '{shown(item)}' comes from registry '{host}', which is not in allowed-registries", use=item
    )
