"""Platform names (`os/arch[/variant]`) normalised as containerd does, so `linux/arm64/v8`,
`linux/aarch64` and `linux/arm64` compare equal. No network code here: rules use it too."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pinlint.errors import UsageError

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)?")

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386", "armhf": "arm"}


def platform_key(platform: Mapping[str, Any]) -> str:
    """`os/arch[/variant]` of an OCI platform object (arm64/v8 → arm64, x86_64 → amd64, arm → arm/v7)."""
    os_name = str(platform.get("os", ""))
    arch = str(platform.get("architecture", ""))
    variant = str(platform.get("variant", "") or "")
    if arch == "armel":
        arch, variant = "arm", variant or "v6"
    arch = _ARCH_ALIASES.get(arch, arch)
    if arch == "amd64" and variant == "v1":
        variant = ""
    if arch == "arm64" and variant in ("8", "v8", "v8.0"):
        variant = ""
    if arch == "arm" and not variant:
        variant = "v7"
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


def platform_key_text(platform: str) -> str:
    """The same normalisation for a platform written as text (`linux/arm64/v8`)."""
    parts = platform.strip().split("/")
    return platform_key(
        {"os": parts[0], "architecture": parts[1] if len(parts) > 1 else "", "variant": "/".join(parts[2:])}
    )


def valid_platform(text: str) -> bool:
    """Whether `text` is `os/arch[/variant]` (lower case, as OCI writes them: `linux/arm64/v8`)."""
    return bool(_NAME.fullmatch(text))


def validate_platforms(names: Iterable[str], where: str) -> list[str]:
    """The names, each checked; UsageError (exit 2) naming the first bad one and `where` it came from."""
    checked = []
    for name in names:
        if not valid_platform(name):
            shown = name.encode("unicode_escape", "replace").decode("ascii")[:100]
            raise UsageError(f"{where}: '{shown}' is not a platform (os/arch[/variant], e.g. linux/amd64)")
        checked.append(name)
    return checked
