"""Configuration: find `[tool.pinlint]` / `pinlint.toml` / `.pinlint.toml`, validate it, type it.

Files are searched upward from the paths being checked (from the working directory when none
is given), as ruff does, stopping at the repository root; in one directory `.pinlint.toml`
wins over `pinlint.toml`, which wins over a `pyproject.toml` that has a `[tool.pinlint]` table.
The directory holding the file is the project root (without one, the repository root):
relative paths and globs in the configuration, and the lock file, are taken from there. An
unknown key is an error naming the file and the key, with a hint for the usual mistakes.
`settings_text` renders the effective configuration (`check --show-settings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from pinlint.errors import ConfigError
from pinlint.model import Severity
from pinlint.sources.text import file_kind

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".direnv",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)
CONFIG_NAMES = (".pinlint.toml", "pinlint.toml", "pyproject.toml")


class RegistrySettings(NamedTuple):
    concurrency: int = 16
    timeout: float = 10.0
    retries: int = 3
    cache_ttl: int = 5 * 60  # seconds: a digest a command writes is at most this old (README, config)


class RegistryHost(NamedTuple):
    insecure: bool = False
    ca_file: str | None = None
    mirror: str | None = None


class Config(NamedTuple):
    root: Path
    path: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    fail_level: Severity = Severity.WARNING
    lock_file: str = "pinlint.lock"
    allowed_registries: tuple[str, ...] = ()
    denied_tags: tuple[str, ...] = ()
    ignore_images: tuple[str, ...] = ()
    tag_only_fields: tuple[str, ...] = ()  # globs on ImageUse.field: no digest asked for there
    platforms: tuple[str, ...] = ()
    registry: RegistrySettings = RegistrySettings()
    registries: Mapping[str, RegistryHost] = MappingProxyType({})
    pass_env: tuple[str, ...] = ()  # environment names interpolation may read (with the user's consent)
    # set by pinlint.trust.establish, never by a file:
    trusted: bool = False  # the user consented to this project's security settings
    env: Mapping[str, str] = MappingProxyType({})  # variables the user passed (--env, pass-env, --env-file)
    warnings: tuple[str, ...] = ()  # settings ignored or capped, for commands that reach registries
    # set by commands.common.collect: where the run may read and write (trust.project_roots); () = anywhere
    roots: tuple[Path, ...] = ()


def _strings(key: str, value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _number(key: str, value: Any, where: str, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise ConfigError(f"{where}: '{key}' must be a {'whole ' if kind is int else ''}number")
    may_be_zero = key in ("registry.cache-ttl", "registry.retries")
    if value < 0 or (value == 0 and not may_be_zero):
        raise ConfigError(f"{where}: '{key}' must be {'zero or more' if may_be_zero else 'positive'}")
    return kind(value)


_REGISTRY_KEYS = {"concurrency": int, "timeout": float, "retries": int, "cache-ttl": int}
_HOST_KEYS = frozenset({"insecure", "ca-file", "mirror"})


def from_mapping(data: Mapping[str, Any], root: Path, path: Path | None = None) -> Config:
    """Validate a configuration table (keys as in the file) into a Config."""
    where = str(path) if path else "configuration"
    kwargs: dict[str, Any] = {"root": root, "path": path}
    for key, value in data.items():
        attr = key.replace("-", "_")
        if key in ("select", "extend-select", "ignore", "exclude", "extend-exclude", "allowed-registries",
                   "denied-tags", "ignore-images", "tag-only-fields", "platforms"):
            kwargs[attr] = _strings(key, value, where)
            if key == "platforms":
                from pinlint.platforms import valid_platform

                bad = [p for p in kwargs[attr] if not valid_platform(p)]
                if bad:
                    shown = bad[0].encode("unicode_escape").decode("ascii")[:100]
                    raise ConfigError(f"{where}: 'platforms': '{shown}' is not os/arch[/variant] (e.g. linux/amd64)")
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
            kwargs[attr] = tuple(
                (glob, _strings(f"per-file-ignores.{glob}", codes, where)) for glob, codes in value.items()
            )
        elif key == "fail-level":
            if not isinstance(value, str):
                raise ConfigError(f"{where}: 'fail-level' must be one of error, warning, info")
            try:
                kwargs[attr] = Severity.parse(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: 'fail-level': {exc}") from None
        elif key == "lock-file":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: 'lock-file' must be a path")
            kwargs[attr] = value
        elif key == "registry":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'registry' must be a table")
            settings = {}
            for sub, subvalue in value.items():
                if sub not in _REGISTRY_KEYS:
                    raise ConfigError(f"{where}: unknown key 'registry.{sub}'")
                settings[sub.replace("-", "_")] = _number(f"registry.{sub}", subvalue, where, _REGISTRY_KEYS[sub])
            kwargs[attr] = RegistrySettings(**settings)
        elif key == "registries":
            kwargs[attr] = registry_hosts(value, where)
        elif key == "pass-env":
            kwargs[attr] = _strings(key, value, where)
        else:
            raise ConfigError(f"{where}: unknown key '{key}'{_key_hint(key, path)}")
    for key in ("exclude", "extend-exclude"):
        _check_globs(kwargs.get(key.replace("-", "_"), ()), key, where)
    _check_globs([glob for glob, _ in kwargs.get("per_file_ignores", ())], "per-file-ignores", where)
    return Config(**kwargs)


def registry_hosts(value: Any, where: str) -> dict[str, RegistryHost]:
    """A `[registries."HOST"]` table, validated."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'registries' must be a table of host = {{...}}")
    hosts = {}
    for host, table in value.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: 'registries.\"{host}\"' must be a table")
        for sub in table:
            if sub not in _HOST_KEYS:
                raise ConfigError(f"{where}: unknown key 'registries.\"{host}\".{sub}'")
        insecure = table.get("insecure", False)
        if not isinstance(insecure, bool):
            raise ConfigError(f"{where}: 'registries.\"{host}\".insecure' must be true or false")
        for sub in ("ca-file", "mirror"):
            if sub in table and not isinstance(table[sub], str):
                raise ConfigError(f"{where}: 'registries.\"{host}\".{sub}' must be a string")
        hosts[host.lower()] = RegistryHost(insecure, table.get("ca-file"), table.get("mirror"))
    return hosts


KEYS = (
    "select", "extend-select", "ignore", "per-file-ignores", "exclude", "extend-exclude", "fail-level",
    "lock-file", "allowed-registries", "denied-tags", "ignore-images", "platforms", "registry", "registries",
)  # fmt: skip


def _key_hint(key: str, path: Path | None) -> str:
    """A hint for the usual mistakes: `[tool.pinlint]` outside pyproject.toml, `_` for `-`, typos."""
    import difflib

    if key == "tool" and path is not None and path.name != "pyproject.toml":
        return f" (in {path.name} the settings go at the top level: drop the [tool.pinlint] header)"
    if key.replace("_", "-") in KEYS:
        return f" (did you mean '{key.replace('_', '-')}'?)"
    close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_globs(patterns: Any, key: str, where: str) -> None:
    from pinlint.gitignore import glob_regex

    for pattern in patterns:
        try:
            glob_regex(pattern)
        except ValueError as exc:
            raise ConfigError(f"{where}: '{key}': {exc}") from None


MAX_CONFIG_BYTES = 1024 * 1024
"""A configuration (or the pyproject.toml holding it) is a few kilobytes; more is refused."""


def _load_toml(path: Path) -> dict[str, Any]:
    from pinlint import tomlfile

    try:
        return tomlfile.load(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomlfile.TomlFileError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_file(path: Path) -> Config:
    data = _load_toml(path)
    root = path.resolve().parent
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        section = tool.get("pinlint", {}) if isinstance(tool, dict) else {}
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [tool.pinlint] must be a table")
        return from_mapping(section, root, path)
    return from_mapping(data, root, path)


def _has_pinlint_table(pyproject: Path) -> bool:
    try:
        with pyproject.open("rb") as handle:
            head = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return False
    if b"pinlint" not in head:  # cheap: most pyproject.toml files never mention it
        return False
    try:
        data = _load_toml(pyproject)
    except ConfigError:
        return True  # let loading report the broken file
    tool = data.get("tool")
    return isinstance(tool, dict) and "pinlint" in tool


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above `start`, not above its repository root."""
    return _find(start)[0]


def _find(start: Path) -> tuple[Path | None, Path | None]:
    """(the nearest configuration file, else None; the repository root met on the way, else None)."""
    directory = start.resolve()
    while True:
        for name in CONFIG_NAMES:
            candidate = directory / name
            if not file_kind(candidate).is_file:
                continue
            if name != "pyproject.toml":
                return candidate, None
            if _has_pinlint_table(candidate):
                return candidate, None
        if file_kind(directory / ".git").kind != "missing":
            return None, directory  # the project ends at its repository root
        if directory.parent == directory:
            return None, None
        directory = directory.parent


def _start(path: str, cwd: Path) -> Path:
    """Where the search for a path's configuration starts: the directory, or a file's directory."""
    given = cwd / path
    return given if file_kind(given).is_dir else given.parent


def load(
    config_file: str | None = None,
    *,
    use_config: bool = True,
    cwd: Path | None = None,
    paths: Sequence[str] = (),
) -> Config:
    """The configuration for a run over `paths` (none: the working directory): found by walking
    up from each path; paths in two different projects are an error."""
    cwd = cwd or Path(os.getcwd())
    if config_file is not None:
        path = Path(config_file)
        state = file_kind(path)
        if not state.is_file:
            raise ConfigError(f"config file not found: {config_file}{f' ({state.reason})' if state.reason else ''}")
        return load_file(path)
    if not use_config:
        return Config(root=cwd.resolve())
    found: dict[tuple[Path | None, Path | None], str] = {}
    for given in [p for p in paths if p != "-"] or ["."]:
        try:
            found.setdefault(_find(_start(given, cwd)), given)
        except OSError:
            continue  # a path the OS refuses (too long, a loop): discovery reports it
    if len(found) > 1:
        places = ", ".join(
            f"{given} → {config or root or 'no configuration'}" for (config, root), given in found.items()
        )
        raise ConfigError(f"the paths belong to different projects ({places}); check one project at a time")
    config, repo = next(iter(found)) if found else (None, None)
    if config is not None:
        return load_file(config)
    return Config(root=(repo if repo is not None else cwd).resolve())  # the lock belongs to the repository root


def settings_text(config: Config) -> str:
    """The effective configuration as TOML-like text, saying which file it came from."""
    lines = [
        f"# configuration: {config.path if config.path is not None else 'none (defaults)'}",
        f"# project root: {config.root}",
        f"# lock file: {config.root / config.lock_file}",
    ]
    values: dict[str, Any] = {
        "select": list(config.select) if config.select is not None else "(the default rules)",
        "extend-select": list(config.extend_select),
        "ignore": list(config.ignore),
        "per-file-ignores": {glob: list(codes) for glob, codes in config.per_file_ignores},
        "exclude": list(config.exclude),
        "extend-exclude": list(config.extend_exclude),
        "fail-level": config.fail_level.label,
        "lock-file": config.lock_file,
        "allowed-registries": list(config.allowed_registries),
        "denied-tags": list(config.denied_tags),
        "ignore-images": list(config.ignore_images),
        "platforms": list(config.platforms),
    }
    for key, value in values.items():
        lines.append(f"{key} = {_toml_value(value)}")
    lines.append("")
    lines.append("[registry]")
    for key, value in config.registry._asdict().items():
        lines.append(f"{key.replace('_', '-')} = {_toml_value(value)}")
    for host, settings in sorted(config.registries.items()):
        lines.append("")
        lines.append(f'[registries."{host}"]')
        for key, value in settings._asdict().items():
            if value is not None:
                lines.append(f"{key.replace('_', '-')} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        pairs = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return f"{{ {pairs} }}" if pairs else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False) if not str(value).startswith("(") else str(value)
