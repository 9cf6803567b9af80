"""Credentials found the way `docker pull` and podman find them (no network).

Docker's config.json (`DOCKER_CONFIG` or `~/.docker`; `auths`, `credHelpers`, `credsStore`),
`DOCKER_AUTH_CONFIG`, and containers auth.json (`REGISTRY_AUTH_FILE`,
`$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json`). Credential
helpers are a real executable (tests/data/credhelper) run from PATH.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pinlint.registry import credentials
from pinlint.registry.credentials import HUB_KEY, lookup

HELPER_SOURCE = Path(__file__).parent / "data" / "credhelper" / "docker-credential-pinlint-test"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class Home:
    """An isolated environment: a home, DOCKER_CONFIG, XDG dirs and a PATH with the test helper first."""

    root: Path
    env: dict[str, str]

    @property
    def docker_config(self) -> Path:
        return Path(self.env["DOCKER_CONFIG"]) / "config.json"

    def write_docker(self, document: dict[str, Any]) -> Path:
        self.docker_config.parent.mkdir(parents=True, exist_ok=True)
        self.docker_config.write_text(json.dumps(document))
        return self.docker_config

    def write(self, path: Path, document: dict[str, Any]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))
        return path

    def helper_store(self, entries: dict[str, dict[str, Any]]) -> None:
        Path(self.env["PINLINT_HELPER_STORE"]).write_text(json.dumps(entries))

    def helper_calls(self) -> list[dict[str, str]]:
        log = Path(self.env["PINLINT_HELPER_LOG"])
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def install_helper(directory: Path) -> Path:
    """Copy the test credential helper into `directory` as an executable run by this Python."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / HELPER_SOURCE.name
    text = HELPER_SOURCE.read_text()
    target.write_text(f"#!{sys.executable}\n" + text.split("\n", 1)[1])
    target.chmod(0o755)
    return target


@pytest.fixture
def home(tmp_path: Path) -> Home:
    bin_dir = tmp_path / "bin"
    install_helper(bin_dir)
    env = {
        "HOME": str(tmp_path / "home"),
        "DOCKER_CONFIG": str(tmp_path / "docker"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PINLINT_HELPER_STORE": str(tmp_path / "helper-store.json"),
        "PINLINT_HELPER_LOG": str(tmp_path / "helper-log.jsonl"),
    }
    return Home(tmp_path, env)


# -- config.json auths -----------------------------------------------------------------------


def test_auth_field_is_base64_user_colon_password(home: Home) -> None:
    home.write_docker({"auths": {"registry.example.com:5000": {"auth": b64("alice:pa:ss\x00")}}})
    found = lookup("registry.example.com:5000", "team/app", home.env)
    assert found.credential is not None
    assert (found.credential.username, found.credential.secret, found.credential.kind) == ("alice", "pa:ss", "basic")
    assert found.credential.source == f"{home.docker_config} (auths)"


def test_username_and_password_fields(home: Home) -> None:
    home.write_docker({"auths": {"ghcr.io": {"username": "bob", "password": "pw"}}})
    credential = lookup("ghcr.io", "org/app", home.env).credential
    assert credential is not None and (credential.username, credential.secret) == ("bob", "pw")


def test_identity_token_is_a_refresh_token(home: Home) -> None:
    home.write_docker(
        {
            "auths": {
                "acr.example.io": {"auth": b64("00000000-0000-0000-0000-000000000000:"), "identitytoken": "refresh-1"},
                "other.example.io": {"identitytoken": "refresh-2"},
            }
        }
    )
    acr = lookup("acr.example.io", "", home.env).credential
    assert acr is not None and acr.kind == "identity" and acr.secret == "refresh-1"
    assert acr.username == "00000000-0000-0000-0000-000000000000"
    other = lookup("other.example.io", "", home.env).credential
    assert other is not None and (other.kind, other.username, other.secret) == ("identity", "<token>", "refresh-2")


def test_registry_token_is_sent_as_is(home: Home) -> None:
    home.write_docker({"auths": {"reg.example.io": {"registrytoken": "bearer-xyz"}}})
    credential = lookup("reg.example.io", "", home.env).credential
    assert credential is not None and (credential.kind, credential.secret) == ("registry-token", "bearer-xyz")


@pytest.mark.parametrize("host", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_docker_hub_uses_the_index_v1_key(home: Home, host: str) -> None:
    home.write_docker({"auths": {HUB_KEY: {"auth": b64("hubuser:hubpass")}, "docker.io": {"auth": b64("no:no")}}})
    credential = lookup(host, "library/alpine", home.env).credential
    assert credential is not None and credential.username == "hubuser"


@pytest.mark.parametrize(
    "key", ["https://registry.example.com/v1/", "http://registry.example.com", "REGISTRY.example.com"]
)
def test_legacy_and_url_keys_match_by_host(home: Home, key: str) -> None:
    home.write_docker({"auths": {key: {"auth": b64("legacy:pw")}}})
    credential = lookup("registry.example.com", "", home.env).credential
    assert credential is not None and credential.username == "legacy"


def test_other_hosts_get_nothing(home: Home) -> None:
    home.write_docker({"auths": {"a.example.com": {"auth": b64("u:p")}, "a.example.com:5000": {"auth": b64("v:q")}}})
    assert lookup("b.example.com", "", home.env).credential is None
    port = lookup("a.example.com:5000", "", home.env).credential
    assert port is not None and port.username == "v"


def test_docker_config_defaults_to_home_dot_docker(home: Home) -> None:
    env = dict(home.env)
    del env["DOCKER_CONFIG"]
    home.write(Path(env["HOME"]) / ".docker" / "config.json", {"auths": {"ghcr.io": {"auth": b64("homeuser:pw")}}})
    credential = lookup("ghcr.io", "", env).credential
    assert credential is not None and credential.username == "homeuser"
    home.write_docker({"auths": {"ghcr.io": {"auth": b64("configuser:pw")}}})
    credential = lookup("ghcr.io", "", home.env).credential  # DOCKER_CONFIG wins over ~/.docker
    assert credential is not None and credential.username == "configuser"


def test_empty_entries_and_undecodable_auth_are_skipped(home: Home) -> None:
    home.write_docker({"auths": {"ghcr.io": {}, "quay.io": {"auth": "!!!not base64"}}})
    assert lookup("ghcr.io", "", home.env).credential is None
    assert lookup("quay.io", "", home.env).credential is None


def test_corrupt_config_json_is_a_warning_not_a_crash(home: Home) -> None:
    home.docker_config.parent.mkdir(parents=True)
    home.docker_config.write_text('{"auths": {"ghcr.io": {"auth": "c2VjcmV0LXZhbHVl"')
    found = lookup("ghcr.io", "", home.env)
    assert found.credential is None
    assert found.warnings == [f"cannot read {home.docker_config}: invalid JSON"]
    assert "c2VjcmV0LXZhbHVl" not in repr(found)


def test_credential_repr_never_shows_the_secret(home: Home) -> None:
    home.write_docker({"auths": {"ghcr.io": {"username": "bob", "password": "hunter2-secret"}}})
    found = lookup("ghcr.io", "", home.env)
    assert "hunter2-secret" not in repr(found) and "hunter2-secret" not in str(found.credential)


# -- DOCKER_AUTH_CONFIG ----------------------------------------------------------------------


def test_docker_auth_config_overrides_the_file(home: Home) -> None:
    home.write_docker({"auths": {"ghcr.io": {"auth": b64("fileuser:pw")}, "quay.io": {"auth": b64("quayuser:pw")}}})
    env = {**home.env, "DOCKER_AUTH_CONFIG": json.dumps({"auths": {"ghcr.io": {"auth": b64("envuser:envpw")}}})}
    ghcr = lookup("ghcr.io", "", env).credential
    assert ghcr is not None and (ghcr.username, ghcr.secret, ghcr.source) == ("envuser", "envpw", "DOCKER_AUTH_CONFIG")
    quay = lookup("quay.io", "", env).credential  # not in the variable: falls back to the file
    assert quay is not None and quay.username == "quayuser"


def test_invalid_docker_auth_config_is_a_warning(home: Home) -> None:
    home.write_docker({"auths": {"ghcr.io": {"auth": b64("fileuser:pw")}}})
    found = lookup("ghcr.io", "", {**home.env, "DOCKER_AUTH_CONFIG": "{not json"})
    assert found.credential is not None and found.credential.username == "fileuser"
    assert found.warnings == ["DOCKER_AUTH_CONFIG is not valid JSON; ignored"]


# -- credential helpers ----------------------------------------------------------------------


def test_cred_helpers_entry_runs_the_helper_with_the_protocol(home: Home) -> None:
    home.write_docker({"credHelpers": {"registry.example.com": "pinlint-test"}, "auths": {}})
    home.helper_store({"registry.example.com": {"Username": "helperuser", "Secret": "helper-secret"}})
    credential = lookup("registry.example.com", "app", home.env).credential
    assert credential is not None
    assert (credential.username, credential.secret, credential.kind) == ("helperuser", "helper-secret", "basic")
    assert credential.source == "credential helper docker-credential-pinlint-test"
    assert home.helper_calls() == [{"action": "get", "server": "registry.example.com"}]


def test_docker_hub_helper_is_asked_for_the_index_v1_url(home: Home) -> None:
    home.write_docker({"credHelpers": {HUB_KEY: "pinlint-test"}})
    home.helper_store({HUB_KEY: {"Username": "hub", "Secret": "hub-secret"}})
    credential = lookup("docker.io", "library/alpine", home.env).credential
    assert credential is not None and credential.username == "hub"
    assert home.helper_calls() == [{"action": "get", "server": HUB_KEY}]


def test_creds_store_is_the_default_helper_and_cred_helpers_win(home: Home) -> None:
    other = home.root / "bin" / "docker-credential-other"
    shutil.copy(home.root / "bin" / HELPER_SOURCE.name, other)
    home.write_docker(
        {
            "credsStore": "pinlint-test",
            "credHelpers": {"special.example.com": "missing-helper"},
            "auths": {"ghcr.io": {"auth": b64("ignored:pw")}},  # a store is authoritative, like docker
        }
    )
    home.helper_store({"ghcr.io": {"Username": "storeuser", "Secret": "store-secret"}})
    credential = lookup("ghcr.io", "", home.env).credential
    assert credential is not None and credential.username == "storeuser"
    missing = lookup("special.example.com", "", home.env)
    assert missing.credential is None
    assert missing.warnings == ["credential helper docker-credential-missing-helper not found on PATH"]


def test_helper_not_found_answer_means_no_credentials_without_a_warning(home: Home) -> None:
    home.write_docker({"credsStore": "pinlint-test"})
    home.helper_store({})
    found = lookup("ghcr.io", "", home.env)
    assert found.credential is None and found.warnings == []
    assert home.helper_calls() == [{"action": "get", "server": "ghcr.io"}]


def test_helper_failure_is_a_warning_without_its_output(home: Home) -> None:
    home.write_docker({"credsStore": "pinlint-test"})
    home.helper_store({"ghcr.io": {"fail": "keychain locked: token=abc123"}})
    found = lookup("ghcr.io", "", home.env)
    assert found.credential is None
    assert found.warnings == ["credential helper docker-credential-pinlint-test failed (exit 1)"]


def test_helper_token_username_means_identity_token(home: Home) -> None:
    home.write_docker({"credHelpers": {"acr.example.io": "pinlint-test"}})
    home.helper_store({"acr.example.io": {"Username": "<token>", "Secret": "refresh-xyz"}})
    credential = lookup("acr.example.io", "", home.env).credential
    assert credential is not None and (credential.kind, credential.secret) == ("identity", "refresh-xyz")


def test_a_hanging_helper_times_out(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "HELPER_TIMEOUT", 0.5)
    home.write_docker({"credsStore": "pinlint-test"})
    home.helper_store({"ghcr.io": {"sleep": 5, "Username": "u", "Secret": "s"}})
    found = lookup("ghcr.io", "", home.env)
    assert found.credential is None
    assert len(found.warnings) == 1 and "docker-credential-pinlint-test timed out" in found.warnings[0]


def test_helper_answers_are_memoised_across_repositories(home: Home) -> None:
    home.write_docker({"credsStore": "pinlint-test"})
    home.helper_store({"ghcr.io": {"Username": "u", "Secret": "s"}})
    memo: credentials.HelperCache = {}
    for repository in ("a/one", "b/two", "c/three"):
        credential = lookup("ghcr.io", repository, home.env, helper_cache=memo).credential
        assert credential is not None and credential.username == "u"
    assert len(home.helper_calls()) == 1


def test_process_environment_is_used_by_default(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in home.env.items():
        monkeypatch.setenv(name, value)
    for name in ("DOCKER_AUTH_CONFIG", "REGISTRY_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)
    home.write_docker({"credsStore": "pinlint-test"})
    home.helper_store({"ghcr.io": {"Username": "envuser", "Secret": "s"}})
    credential = lookup("ghcr.io").credential
    assert credential is not None and credential.username == "envuser"


# -- containers auth.json --------------------------------------------------------------------


def test_registry_auth_file(home: Home) -> None:
    path = home.write(home.root / "auth.json", {"auths": {"quay.io": {"auth": b64("podman:pw")}}})
    credential = lookup("quay.io", "org/app", {**home.env, "REGISTRY_AUTH_FILE": str(path)}).credential
    assert credential is not None and credential.username == "podman"
    assert credential.source == f"{path} (auths)"


def test_xdg_runtime_dir_auth_json(home: Home) -> None:
    home.write(
        Path(home.env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json", {"auths": {"quay.io": {"auth": b64("rt:pw")}}}
    )
    credential = lookup("quay.io", "", home.env).credential
    assert credential is not None and credential.username == "rt"


def test_xdg_config_home_and_dot_config_auth_json(home: Home) -> None:
    home.write(
        Path(home.env["XDG_CONFIG_HOME"]) / "containers" / "auth.json", {"auths": {"quay.io": {"auth": b64("xdg:pw")}}}
    )
    credential = lookup("quay.io", "", home.env).credential
    assert credential is not None and credential.username == "xdg"
    env = {k: v for k, v in home.env.items() if k != "XDG_CONFIG_HOME"}
    home.write(
        Path(env["HOME"]) / ".config" / "containers" / "auth.json", {"auths": {"quay.io": {"auth": b64("dot:pw")}}}
    )
    credential = lookup("quay.io", "", env).credential
    assert credential is not None and credential.username == "dot"


def test_docker_config_comes_before_containers_auth_json(home: Home) -> None:
    home.write_docker({"auths": {"quay.io": {"auth": b64("docker:pw")}}})
    home.write(
        Path(home.env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json",
        {"auths": {"quay.io": {"auth": b64("podman:pw")}}},
    )
    credential = lookup("quay.io", "", home.env).credential
    assert credential is not None and credential.username == "docker"


def test_namespaced_keys_most_specific_first(home: Home) -> None:
    auths = {
        "quay.io": {"auth": b64("host:pw")},
        "quay.io/team": {"auth": b64("team:pw")},
        "quay.io/team/app": {"auth": b64("app:pw")},
    }
    path = home.write(home.root / "auth.json", {"auths": auths})
    env = {**home.env, "REGISTRY_AUTH_FILE": str(path)}
    users = {repo: lookup("quay.io", repo, env).credential for repo in ("team/app", "team/other", "elsewhere/x")}
    assert {repo: c.username if c else None for repo, c in users.items()} == {
        "team/app": "app",
        "team/other": "team",
        "elsewhere/x": "host",
    }


def test_auth_json_docker_hub_keys(home: Home) -> None:
    path = home.write(home.root / "auth.json", {"auths": {"docker.io": {"auth": b64("hub:pw")}}})
    credential = lookup("docker.io", "library/alpine", {**home.env, "REGISTRY_AUTH_FILE": str(path)}).credential
    assert credential is not None and credential.username == "hub"


def test_auth_json_cred_helpers(home: Home) -> None:
    path = home.write(home.root / "auth.json", {"credHelpers": {"quay.io": "pinlint-test"}})
    home.helper_store({"quay.io": {"Username": "helped", "Secret": "s"}})
    credential = lookup("quay.io", "", {**home.env, "REGISTRY_AUTH_FILE": str(path)}).credential
    assert credential is not None and credential.username == "helped"
