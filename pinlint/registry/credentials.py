"""Credentials the way `docker pull` (and podman) finds them, never printed.

Order: `DOCKER_AUTH_CONFIG` (JSON, `auths` with `auth` only), then Docker's `config.json`
(`$DOCKER_CONFIG` or `~/.docker`): `credHelpers[host]`, else `credsStore`, else `auths`; then
containers `auth.json` (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
`$XDG_CONFIG_HOME/containers/auth.json`), whose keys may name a namespace (`host/org`).
Docker Hub is keyed `https://index.docker.io/v1/` (also `docker.io`, `index.docker.io`,
`registry-1.docker.io`); legacy URL keys match by host name. A credential helper is run as
`docker-credential-<name> get` with the server URL on stdin.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_NOT_FOUND = "credentials not found in native keychain"
HELPER_TIMEOUT = 15.0


@dataclass(frozen=True)
class Credential:
    """A secret for one registry. `kind`: "basic" (username + password), "identity" (an OAuth2
    refresh token), or "registry-token" (a bearer token sent as is). `source` names where it
    came from, never what it is."""

    username: str
    secret: str = field(repr=False)
    kind: str
    source: str

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, kind={self.kind!r}, source={self.source!r})"


@dataclass
class Lookup:
    credential: Credential | None
    warnings: list[str] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)  # where we looked, for "no credentials" messages


def normalise_host(key: str) -> str:
    """Host[:port] of a config key, which may be a URL (`https://host/v1/`)."""
    text = key.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].lower()
    return "docker.io" if text in _HUB_HOSTS else text


def server_url(host: str) -> str:
    """What Docker passes to helpers and uses as the auths key for a registry host."""
    return HUB_KEY if normalise_host(host) == "docker.io" else host


def _decode_auth(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep or not user:
        return None
    return user, password.strip("\x00")


def _from_entry(entry: Any, source: str) -> Credential | None:
    if not isinstance(entry, dict):
        return None
    if isinstance(entry.get("registrytoken"), str) and entry["registrytoken"]:
        return Credential("", entry["registrytoken"], "registry-token", source)
    if isinstance(entry.get("identitytoken"), str) and entry["identitytoken"]:
        user = entry.get("username") if isinstance(entry.get("username"), str) else ""
        if not user and isinstance(entry.get("auth"), str):
            pair = _decode_auth(entry["auth"])
            user = pair[0] if pair else ""
        return Credential(user or "<token>", entry["identitytoken"], "identity", source)
    if isinstance(entry.get("auth"), str) and entry["auth"]:
        pair = _decode_auth(entry["auth"])
        if pair is not None:
            return Credential(pair[0], pair[1], "basic", source)
    user, password = entry.get("username"), entry.get("password")
    if isinstance(user, str) and user and isinstance(password, str):
        return Credential(user, password, "basic", source)
    return None


def _match_auths(auths: Any, host: str, repository: str, *, namespaced: bool) -> tuple[str, Any] | None:
    if not isinstance(auths, dict):
        return None
    wanted = normalise_host(host)
    if namespaced and repository:
        parts = repository.split("/")
        for i in range(len(parts), 0, -1):
            key = f"{wanted}/{'/'.join(parts[:i])}"
            for candidate, entry in auths.items():
                if isinstance(candidate, str) and candidate.lower().rstrip("/") == key and _usable(entry):
                    return candidate, entry
    exact = [HUB_KEY, "docker.io", "index.docker.io"] if wanted == "docker.io" else [host, wanted]
    for key in exact:
        if key in auths and _usable(auths[key]):
            return key, auths[key]
    for candidate, entry in auths.items():
        if isinstance(candidate, str) and "/" not in candidate.split("://", 1)[-1].rstrip("/"):
            if normalise_host(candidate) == wanted and _usable(entry):
                return candidate, entry
        elif (
            isinstance(candidate, str) and "://" in candidate and normalise_host(candidate) == wanted and _usable(entry)
        ):
            return candidate, entry
    return None


def _usable(entry: Any) -> bool:
    return isinstance(entry, dict) and any(entry.get(k) for k in ("auth", "username", "identitytoken", "registrytoken"))


def run_helper(name: str, host: str, env: Mapping[str, str] | None = None) -> tuple[Credential | None, str | None]:
    """Ask `docker-credential-<name>`; (credential, warning). The helper's output is never echoed."""
    program = f"docker-credential-{name}"
    url = server_url(host)
    try:
        proc = subprocess.run(
            [program, "get"],
            input=url.encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except FileNotFoundError:
        return None, f"credential helper {program} not found on PATH"
    except subprocess.TimeoutExpired:
        return None, f"credential helper {program} timed out after {HELPER_TIMEOUT:.0f} s"
    except OSError as exc:
        return None, f"credential helper {program} could not run: {exc.strerror}"
    out = proc.stdout.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        if _NOT_FOUND in out:
            return None, None
        return None, f"credential helper {program} failed (exit {proc.returncode})"
    try:
        data = json.loads(out)
    except ValueError:
        return None, f"credential helper {program} printed something that is not JSON"
    if not isinstance(data, dict):
        return None, f"credential helper {program} printed something that is not a JSON object"
    user, secret = data.get("Username"), data.get("Secret")
    if not isinstance(secret, str) or not secret:
        return None, None
    source = f"credential helper {program}"
    if user == "<token>":
        return Credential("<token>", secret, "identity", source), None
    return Credential(user if isinstance(user, str) else "", secret, "basic", source), None


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "invalid JSON"
        return None, f"cannot read {path}: {reason}"


def docker_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path(env.get("HOME", str(Path.home()))) / ".docker" / "config.json"


def containers_auth_paths(env: Mapping[str, str]) -> Iterator[Path]:
    if env.get("REGISTRY_AUTH_FILE"):
        yield Path(env["REGISTRY_AUTH_FILE"])
    if env.get("XDG_RUNTIME_DIR"):
        yield Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
    config_home = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    yield Path(config_home) / "containers" / "auth.json"


HelperCache = dict[tuple[str, str], tuple[Credential | None, str | None]]


def lookup(
    host: str,
    repository: str = "",
    env: Mapping[str, str] | None = None,
    *,
    helper_cache: HelperCache | None = None,
) -> Lookup:
    """Find credentials for `host` (as in a reference: `ghcr.io`, `docker.io`, `127.0.0.1:5000`).

    `repository` matters for containers auth.json keys that name a namespace (`host/org`).
    `helper_cache` memoises credential-helper answers across lookups (one run per helper and host).
    """
    env = os.environ if env is None else env
    result = Lookup(None)

    def helper_answer(name: str) -> tuple[Credential | None, str | None]:
        if helper_cache is None:
            return run_helper(name, host, env)
        key = (name, host)
        if key not in helper_cache:
            helper_cache[key] = run_helper(name, host, env)
        return helper_cache[key]
    inline = env.get("DOCKER_AUTH_CONFIG")
    if inline:
        result.searched.append("DOCKER_AUTH_CONFIG")
        try:
            data = json.loads(inline)
        except ValueError:
            data = None
            result.warnings.append("DOCKER_AUTH_CONFIG is not valid JSON; ignored")
        match = _match_auths(data.get("auths") if isinstance(data, dict) else None, host, repository, namespaced=False)
        if match is not None:
            result.credential = _from_entry(match[1], "DOCKER_AUTH_CONFIG")
            if result.credential is not None:
                return result
    config_path = docker_config_path(env)
    config, warning = _read_json(config_path)
    if warning:
        result.warnings.append(warning)
    if isinstance(config, dict):
        result.searched.append(str(config_path))
        helpers: dict[str, Any] = config["credHelpers"] if isinstance(config.get("credHelpers"), dict) else {}
        key = server_url(host)
        helper = helpers.get(key) or helpers.get(host) or helpers.get(normalise_host(host))
        if not helper and isinstance(config.get("credsStore"), str) and config["credsStore"]:
            helper = config["credsStore"]
        if isinstance(helper, str) and helper:
            credential, warning = helper_answer(helper)
            if warning:
                result.warnings.append(warning)
            result.searched.append(f"docker-credential-{helper}")
            if credential is not None:
                result.credential = credential
                return result
        else:
            match = _match_auths(config.get("auths"), host, repository, namespaced=False)
            if match is not None:
                result.credential = _from_entry(match[1], f"{config_path} (auths)")
                if result.credential is not None:
                    return result
    for path in containers_auth_paths(env):
        data, warning = _read_json(path)
        if warning:
            result.warnings.append(warning)
        if not isinstance(data, dict):
            continue
        result.searched.append(str(path))
        helpers = data["credHelpers"] if isinstance(data.get("credHelpers"), dict) else {}
        helper = helpers.get(normalise_host(host)) or helpers.get(host)
        if isinstance(helper, str) and helper:
            credential, warning = helper_answer(helper)
            if warning:
                result.warnings.append(warning)
            if credential is not None:
                result.credential = credential
                return result
        match = _match_auths(data.get("auths"), host, repository, namespaced=True)
        if match is not None:
            result.credential = _from_entry(match[1], f"{path} (auths)")
            if result.credential is not None:
                return result
    return result
