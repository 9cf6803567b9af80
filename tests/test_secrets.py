"""No password, identity token, registry token or issued bearer token ever appears in stdout, stderr
or the cache directory, at maximum verbosity (-vv), on success and on failure, for every auth path.

`pinlint resolve` runs as a real process; the token server runs in this process, so every token it
mints during the run is recorded and looked for too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from registry import ImagePusher, ImageSet, Registry, TokenServer
from test_resolver import Env, b64, isolate


@dataclass
class Run:
    code: int
    out: str
    err: str
    files: dict[str, bytes]


def run_cli(tmp_path: Path, refs: list[str], toml: str) -> Run:
    config = tmp_path / "pinlint.toml"
    config.write_text(toml)
    process = subprocess.run(
        [sys.executable, "-m", "pinlint", "resolve", *refs, "-vv", "--config", str(config)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    cache = Path(os.environ["XDG_CACHE_HOME"])
    files = {str(p): p.read_bytes() for p in cache.rglob("*") if p.is_file()} if cache.exists() else {}
    return Run(process.returncode, process.stdout, process.stderr, files)


def assert_nowhere(run: Run, secrets: list[str]) -> None:
    assert secrets and all(len(s) >= 6 for s in secrets)
    assert "Traceback" not in run.err
    places = {"stdout": run.out, "stderr": run.err} | {
        name: content.decode("utf-8", "replace") for name, content in run.files.items()
    }
    for secret in secrets:
        for place, text in places.items():
            assert secret not in text, f"a secret appears in {place}"
    assert "HEAD http://" in run.err  # -vv really logged every request


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def minted(token_server: TokenServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token the token server issues during the test."""
    issued: list[str] = []
    original = token_server._mint

    def mint(*args: Any, **kwargs: Any) -> str:
        token = original(*args, **kwargs)
        issued.append(token)
        return token

    monkeypatch.setattr(token_server, "_mint", mint)
    token_server.clear_requests()
    return issued


@pytest.fixture(scope="module")
def private_ref(token_registry: Registry) -> str:
    with ImagePusher.for_registry(token_registry) as pusher:
        pusher.push_image("private/secrets", "v1", "single-oci")
    return f"{token_registry.host}/private/secrets:v1"


def insecure(host: str) -> str:
    return f'[registry]\nretries = 0\n\n[registries."{host}"]\ninsecure = true\n'


Setup = Callable[[Env, TokenServer, str], list[str]]


def _password(env: Env, tokens: TokenServer, host: str) -> list[str]:
    user, password = tokens.credentials
    env.auths(host, username=user, password=password)
    return [password, b64(f"{user}:{password}")]


def _identity(env: Env, tokens: TokenServer, host: str) -> list[str]:
    refresh = tokens.add_refresh_token(tokens.credentials[0])
    env.auths(host, identitytoken=refresh)
    return [refresh]


def _registry_token(env: Env, tokens: TokenServer, host: str) -> list[str]:
    token = tokens.issue(["repository:private/secrets:pull", "repository:test/app:pull"])
    env.auths(host, registrytoken=token)
    return [token]


def _helper(env: Env, tokens: TokenServer, host: str) -> list[str]:
    user, password = tokens.credentials
    env.docker_config({"credHelpers": {host: "pinlint-test"}})
    env.helper_store({host: {"Username": user, "Secret": password}})
    return [password]


def _wrong_password(env: Env, tokens: TokenServer, host: str) -> list[str]:
    wrong = "wrong-" + base64.b32encode(os.urandom(10)).decode()
    env.auths(host, username=tokens.credentials[0], password=wrong)
    return [wrong, tokens.credentials[1]]


def _auth_config_variable(env: Env, tokens: TokenServer, host: str) -> list[str]:
    user, password = tokens.credentials
    os.environ["DOCKER_AUTH_CONFIG"] = json.dumps({"auths": {host: {"auth": b64(f"{user}:{password}")}}})
    return [password, b64(f"{user}:{password}")]


@pytest.mark.parametrize(
    "setup",
    [_password, _identity, _registry_token, _helper, _wrong_password, _auth_config_variable],
    ids=["password", "identity-token", "registry-token", "credential-helper", "wrong-password", "DOCKER_AUTH_CONFIG"],
)
def test_token_auth_paths_leak_nothing(
    env: Env,
    token_registry: Registry,
    token_server: TokenServer,
    minted: list[str],
    private_ref: str,
    images: ImageSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: Setup,
) -> None:
    monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
    secrets = setup(env, token_server, token_registry.host)
    refs = [private_ref, images.reference("multi-oci", token_registry.host), f"{token_registry.host}/test/app:nope"]
    run = run_cli(tmp_path, refs, insecure(token_registry.host))
    assert run.code == 3
    if setup is _wrong_password:  # the token server refuses the password for every repository
        for ref in refs:
            assert f"pinlint: error: {ref}: 401 unauthorized — credentials from" in run.err
    else:
        assert run.out.startswith(f"{private_ref}@sha256:")
        assert f"pinlint: error: {refs[2]}: not found" in run.err  # a failure is reported too
    if setup not in (_registry_token, _wrong_password):
        assert minted, "the run should have obtained tokens"
    assert_nowhere(run, secrets + minted)


def test_basic_auth_leaks_nothing(env: Env, basic_registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    user, password = basic_registry.credentials or ("", "")
    env.auths(basic_registry.host, auth=b64(f"{user}:{password}"))
    refs = [images.reference("multi-oci", basic_registry.host), f"{basic_registry.host}/test/app:nope"]
    run = run_cli(tmp_path, refs, insecure(basic_registry.host))
    assert run.code == 3 and run.out.startswith(f"{refs[0]}@sha256:")
    assert any(name.endswith("digests.json") for name in run.files)  # the cache was written and checked
    assert_nowhere(run, [password, b64(f"{user}:{password}")])


def test_basic_auth_failure_leaks_nothing(env: Env, basic_registry: Registry, images: ImageSet, tmp_path: Path) -> None:
    user = (basic_registry.credentials or ("", ""))[0]
    wrong = "nope-" + base64.b32encode(os.urandom(10)).decode()
    env.auths(basic_registry.host, username=user, password=wrong)
    run = run_cli(tmp_path, [images.reference("multi-oci", basic_registry.host)], insecure(basic_registry.host))
    assert run.code == 3 and "were not accepted" in run.err
    assert_nowhere(run, [wrong, b64(f"{user}:{wrong}")])


def test_a_failing_credential_helper_output_is_not_echoed(
    env: Env, registry: Registry, images: ImageSet, tmp_path: Path
) -> None:
    # the helper is asked only after a challenge: put it in front of a Basic registry
    secret_text = "keychain-dump-" + base64.b32encode(os.urandom(10)).decode()
    with Registry(tmp_path / "reg", storage=registry.storage, basic_auth=("u", "p"), access_log=False) as server:
        env.docker_config({"credsStore": "pinlint-test"})
        env.helper_store({server.host: {"fail": secret_text}})
        run = run_cli(tmp_path, [images.reference("multi-oci", server.host)], insecure(server.host))
    assert run.code == 3
    assert "warning: credential helper docker-credential-pinlint-test failed (exit 1)" in run.err
    assert_nowhere(run, [secret_text])


def run_command(project: Path, argv: list[str]) -> Run:
    process = subprocess.run(
        [sys.executable, "-m", "pinlint", *argv, "-vv"],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    cache = Path(os.environ["XDG_CACHE_HOME"])
    files = {str(p): p.read_bytes() for p in cache.rglob("*") if p.is_file()} if cache.exists() else {}
    files |= {str(p): p.read_bytes() for p in project.rglob("*") if p.is_file()}  # lock file, rewritten files
    return Run(process.returncode, process.stdout, process.stderr, files)


@pytest.mark.parametrize(
    "setup", [_password, _helper, _auth_config_variable], ids=["config.json", "credential-helper", "DOCKER_AUTH_CONFIG"]
)
def test_every_command_leaks_nothing(
    env: Env,
    token_registry: Registry,
    token_server: TokenServer,
    minted: list[str],
    private_ref: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: Setup,
) -> None:
    """lock, check --online, fix, update and resolve, against a succeeding and a failing reference,
    at -vv: no password, base64 auth, refresh or bearer token in stdout, stderr, the cache, the
    lock file or the rewritten files."""
    monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
    secrets = setup(env, token_server, token_registry.host)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pinlint.toml").write_text(insecure(token_registry.host))
    missing = f"{token_registry.host}/private/absent:v1"
    (project / "Dockerfile").write_text(f"FROM {private_ref}\nFROM {missing}\n")
    runs = {
        "lock": run_command(project, ["lock"]),
        "check --online": run_command(project, ["check", "--online"]),
        "fix": run_command(project, ["fix"]),
        "update": run_command(project, ["update"]),
        "resolve": run_command(project, ["resolve", private_ref, missing]),
    }
    for name, run in runs.items():
        assert "Traceback" not in run.err, name
        assert run.code in (0, 1, 3), f"{name}: {run.code} {run.err}"
    assert "@sha256:" in (project / "Dockerfile").read_text()  # the succeeding reference was pinned
    assert (project / "pinlint.lock").is_file()
    assert minted, "the runs should have obtained tokens"
    for name, run in runs.items():
        places = {"stdout": run.out, "stderr": run.err} | {
            path: content.decode("utf-8", "replace") for path, content in run.files.items()
        }
        for secret in secrets + minted:
            for place, text in places.items():
                assert secret not in text, f"{name}: a secret appears in {place}"
