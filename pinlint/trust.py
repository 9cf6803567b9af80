"""What the user lets the project decide: the user configuration, consent, caps and the environment.

The repository being checked may be hostile, so its configuration (`pinlint.toml`,
`[tool.pinlint]`) is trusted only for what cannot hurt the user: which rules run and which
files are read. Settings that weaken transport security or choose where answers come from —
`[registries."HOST"]` `insecure`, `ca-file` and `mirror`, `pass-env`, a `lock-file` outside the
project root — take effect only with consent from outside the repository: the
`--trust-project-config` flag, or the user configuration (`$XDG_CONFIG_HOME/pinlint/config.toml`,
by default `~/.config/pinlint/config.toml`) saying `trust-project-config = true` or listing the
project root in `trusted-projects`. Without consent each such setting is ignored and named in a
warning. The project's numeric `[registry]` limits are capped (`CAPS`) with a warning either way.

The user configuration may itself set `[registry]` limits, `[registries."HOST"]` tables (its
`ca-file` relative to the user configuration's directory) and `pass-env`: the user's own settings,
always trusted, and winning over the project's.

Interpolation variables taken from the process environment are only the names the user passes
(`--env NAME`, user `pass-env`, or the project's `pass-env` with consent); `--env NAME=VALUE`
and `--env-file FILE` give values directly. `Config.env` holds the result.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from pinlint.config import Config, RegistryHost, RegistrySettings, _number, _strings, registry_hosts
from pinlint.errors import ConfigError, UsageError

USER_CONFIG = Path("pinlint") / "config.toml"

CAPS: Mapping[str, int | float] = MappingProxyType(
    {"concurrency": 64, "timeout": 120.0, "retries": 10, "cache-ttl": 24 * 60 * 60}
)
"""The largest `[registry]` values a project's configuration may set (the user's may set more)."""

CONSENT_HINT = "pass --trust-project-config or trust the project in the user configuration"

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_USER_KEYS = frozenset({"trust-project-config", "trusted-projects", "pass-env", "registry", "registries"})


class UserChoices(NamedTuple):
    """What the command line says about trust and the environment."""

    trust_project_config: bool = False
    env: tuple[str, ...] = ()  # --env NAME=VALUE, or --env NAME to pass NAME from the environment
    env_files: tuple[str, ...] = ()  # --env-file FILE (variables, read as docker compose reads .env)


class UserConfig(NamedTuple):
    path: Path | None = None
    trust_project_config: bool = False
    trusted_projects: tuple[Path, ...] = ()
    pass_env: tuple[str, ...] = ()
    registry: Mapping[str, Any] = MappingProxyType({})  # the keys it sets, as in the file
    registries: Mapping[str, RegistryHost] = MappingProxyType({})


def user_config_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / USER_CONFIG


def load_user_config(environ: Mapping[str, str]) -> UserConfig:
    """The user configuration, or an empty one when there is none."""
    from pinlint.config import _load_toml
    from pinlint.sources.text import file_kind

    path = user_config_path(environ)
    if not file_kind(path).is_file:
        return UserConfig()
    data = _load_toml(path)
    where = str(path)
    for key in data:
        if key not in _USER_KEYS:
            raise ConfigError(f"{where}: unknown key '{key}'")
    trust = data.get("trust-project-config", False)
    if not isinstance(trust, bool):
        raise ConfigError(f"{where}: 'trust-project-config' must be true or false")
    projects = _strings("trusted-projects", data.get("trusted-projects", []), where)
    pass_env = _env_names("pass-env", data.get("pass-env", []), where)
    registry: dict[str, Any] = {}
    table = data.get("registry", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: 'registry' must be a table")
    for key, value in table.items():
        if key not in CAPS:
            raise ConfigError(f"{where}: unknown key 'registry.{key}'")
        registry[key] = _number(f"registry.{key}", value, where, type(CAPS[key]))
    hosts = registry_hosts(data.get("registries", {}), where)
    here = path.resolve().parent
    hosts = {
        host: settings._replace(ca_file=str(here / os.path.expanduser(settings.ca_file)) if settings.ca_file else None)
        for host, settings in hosts.items()
    }
    return UserConfig(
        path,
        trust,
        tuple(Path(os.path.expanduser(p)).resolve() for p in projects),
        pass_env,
        MappingProxyType(registry),
        MappingProxyType(hosts),
    )


def _env_names(key: str, value: Any, where: str) -> tuple[str, ...]:
    names = _strings(key, value, where)
    for name in names:
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(f"{where}: '{key}': not a variable name: {name!r}")
    return names


def consented(config: Config, user: UserConfig, choices: UserChoices) -> bool:
    """Whether the user trusts this project's configuration with security settings."""
    if choices.trust_project_config or user.trust_project_config:
        return True
    return config.root.resolve() in user.trusted_projects


def _registry_settings(config: Config, user: UserConfig, trusted: bool, warnings: list[str]) -> RegistrySettings:
    where = config.path or "configuration"
    values: dict[str, Any] = {}
    for key, cap in CAPS.items():
        attr = key.replace("-", "_")
        value = getattr(config.registry, attr)
        if value > cap and not trusted:
            warnings.append(f"{where}: registry.{key} = {value} is more than a project may set; {cap} used")
            value = cap
        values[attr] = value
    for key, value in user.registry.items():
        values[key.replace("-", "_")] = value
    return RegistrySettings(**values)


def _registry_hosts(config: Config, user: UserConfig, trusted: bool, warnings: list[str]) -> dict[str, RegistryHost]:
    where = config.path or "configuration"
    hosts: dict[str, RegistryHost] = {}
    for host, settings in config.registries.items():
        if trusted:
            hosts[host] = settings
            continue
        chosen = (("insecure", settings.insecure), ("ca-file", settings.ca_file), ("mirror", settings.mirror))
        for name in (name for name, value in chosen if value):
            warnings.append(
                f'{where}: registries."{host}".{name} ignored: the project\'s configuration cannot change '
                f"how registries are reached ({CONSENT_HINT})"
            )
    hosts.update(user.registries)
    return hosts


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_lock_file(config: Config, trusted: bool) -> None:
    """A `lock-file` from the project that leads outside its root is refused without consent."""
    if trusted or config.path is None:
        return
    root = Path(os.path.realpath(config.root))
    target = Path(os.path.realpath(config.root / config.lock_file))
    if not _inside(target, root):
        raise ConfigError(
            f"{config.path}: lock-file {config.lock_file!r} is outside the project root {root}; refused "
            f"({CONSENT_HINT})"
        )


def _explicit_environment(
    config: Config,
    user: UserConfig,
    choices: UserChoices,
    trusted: bool,
    environ: Mapping[str, str],
    warnings: list[str],
) -> dict[str, str]:
    """Variables interpolation may use beyond the project's own `.env` files and defaults."""
    from pinlint.sources import text as source_text

    names = list(user.pass_env)
    if trusted:
        names += config.pass_env
    elif config.pass_env:
        listed = ", ".join(config.pass_env)
        warnings.append(
            f"{config.path}: pass-env ignored ({listed}): the project's configuration cannot read "
            f"the environment ({CONSENT_HINT})"
        )
    env: dict[str, str] = {name: environ[name] for name in names if name in environ}
    for file in choices.env_files:
        from pinlint.sources.interpolate import TemplateError, parse_env_file  # only for an --env-file

        try:
            text = source_text.read(Path(file)).text
            variables = parse_env_file(text)
        except OSError as exc:
            raise UsageError(f"--env-file {file}: {exc.strerror or exc}") from None
        except (source_text.DecodeError, TemplateError) as exc:
            raise UsageError(f"--env-file {file}: {exc}") from None
        env.update({name: value.text for name, value in variables.items()})
    for item in choices.env:
        name, eq, value = item.partition("=")
        if not _ENV_NAME.fullmatch(name):
            raise UsageError(f"--env {item!r}: expected NAME=VALUE or NAME")
        if eq:
            env[name] = value
        elif name in environ:
            env[name] = environ[name]
    for name, value in env.items():
        if looks_secret(name, value):
            raise UsageError(
                f"variable {name}: its {'name' if looks_secret(name, '') else 'value'} looks like a secret; "
                f"pinlint does not interpolate secrets into image references (pass the image's own variables)"
            )
    return env


def establish(config: Config, choices: UserChoices, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration the run uses: the project's, less what it may not decide, plus the user's."""
    environ = os.environ if environ is None else environ
    user = load_user_config(environ)
    trusted = consented(config, user, choices)
    warnings: list[str] = []
    registry = _registry_settings(config, user, trusted, warnings)
    hosts = _registry_hosts(config, user, trusted, warnings)
    check_lock_file(config, trusted)
    env = _explicit_environment(config, user, choices, trusted, environ, warnings)
    return config._replace(
        registry=registry,
        registries=MappingProxyType(hosts),
        trusted=trusted,
        env=MappingProxyType(env),
        warnings=(*config.warnings, *warnings),
    )


def project_roots(config: Config, paths: Sequence[str]) -> tuple[Path, ...]:
    """Where a run may read and write (real paths): the project root — the configuration file's
    directory, else the repository holding the working directory, else the working directory —
    and the paths given (a directory, or a file's directory). A path given inside the project
    that leads out of it through a symlink adds nothing."""
    from pinlint.gitignore import find_repo_root
    from pinlint.sources.text import file_kind

    root = Path(os.path.realpath(config.root))
    roots = [root]
    if config.path is None:
        repo = find_repo_root(root)
        if repo is not None and repo != root:
            roots.append(repo)
    for given in paths:
        if given == "-":
            continue
        absolute = Path(os.path.abspath(given))
        if "\0" in given:
            continue  # discovery reports it
        real = Path(os.path.realpath(absolute if file_kind(absolute).is_dir else absolute.parent))
        if any(_inside(real, r) for r in roots):
            continue
        if _inside(absolute, Path(os.path.abspath(config.root))):
            continue  # a path in the project that leads out of it through a symlink
        roots.append(real)
    return tuple(roots)


# -- secret-looking values: never used for interpolation, so never printed nor sent -------------

_SECRET_WORDS = frozenset(
    {
        "AUTH", "APIKEY", "COOKIE", "CREDENTIAL", "CREDENTIALS", "CREDS", "PASS", "PASSPHRASE",
        "PASSWD", "PASSWORD", "PAT", "PRIVATE", "SECRET", "SECRETS", "SESSION", "TOKEN", "TOKENS",
    }
)  # fmt: skip
_SECRET_VALUE_PATTERN = (
    r"""
      (?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}       # GitHub tokens
    | github_pat_\w{20,}
    | gl(?:pat|dt|rt|cbt|ptt|oas)-[\w-]{16,}          # GitLab tokens
    | xox[abposr]-[\w-]{10,}                          # Slack
    | (?:AKIA|ASIA)[A-Z0-9]{16}                       # AWS access key ids
    | (?:sk|rk)_(?:live|test)_\w{16,} | sk-[\w-]{20,}  # Stripe, OpenAI-style keys
    | (?:npm_|pypi-|dckr_pat_)[\w-]{16,}              # registries' tokens
    | eyJ[\w-]{8,}\.[\w-]{8,}\.                       # a JWT
    | -----BEGIN[ A-Z]*(?:PRIVATE\ KEY|CERTIFICATE)
    | [a-z][a-z0-9+.-]*://[^/@\s:]+:[^/@\s]+@          # a URL with a password
    | "(?:auth|password|identitytoken|registrytoken)"\s*:
    """
)
_BASE64_RUN = r"[A-Za-z0-9+/_-]{32,}={0,2}"


@functools.cache
def _secret_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: `check` without `--env` never needs them."""
    return re.compile(_SECRET_VALUE_PATTERN, re.VERBOSE), re.compile(_BASE64_RUN)


def looks_secret(name: str, value: str) -> bool:
    """Whether a variable passed from the environment is likely a credential, by its name
    (`GITHUB_TOKEN`, `DOCKER_AUTH_CONFIG`, `AWS_SECRET_ACCESS_KEY`, `*_KEY`) or its value (a
    known token format, a JWT, a PEM block, a URL with a password, Docker's auth JSON, or 32+
    characters of base64 mixing upper case, lower case and digits). Image tags, versions and
    lower-case hex commit ids do not look secret."""
    words = set(re.split(r"[^A-Z0-9]+", name.upper()))
    if words & _SECRET_WORDS or name.upper().endswith("KEY"):
        return True
    secret_value, base64_run = _secret_patterns()
    if secret_value.search(value):
        return True
    for run in base64_run.findall(value):
        if any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run):
            return True
    return False
