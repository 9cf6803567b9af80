"""Issue 12: what a hostile repository may not decide — each test reproduces one attack.

Item 7: the project's configuration cannot weaken transport security (`insecure`, `ca-file`,
`mirror`, huge limits) without the user's consent from outside the repository (pinlint.trust).
Item 3: no write outside the project, whatever the paths in files, symlinks or `lock-file` say
(edits.confine at the write sink).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pinlint import config as config_mod
from pinlint import trust
from pinlint.config import RegistryHost, RegistrySettings
from pinlint.errors import ConfigError
from pinlint.trust import UserChoices

Cli = Callable[..., Any]
Write = Callable[..., Path]

pytestmark = pytest.mark.usefixtures("isolated")


def _project_config(project: Path, text: str) -> config_mod.Config:
    (project / "pinlint.toml").write_text(text)
    return config_mod.load(cwd=project)


def _user_config(text: str) -> Path:
    path = trust.user_config_path(os.environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


HOSTILE = """
[registry]
retries = 100000000
concurrency = 100000
timeout = 86400

[registries."registry.example.com"]
insecure = true
ca-file = "mitm.pem"
mirror = "evil.example.net"
"""


# -- item 7: the project's security settings need consent ----------------------------------------


def test_without_consent_security_settings_are_ignored_and_named(project: Path) -> None:
    config = trust.establish(_project_config(project, HOSTILE), UserChoices(), {})
    assert dict(config.registries) == {}
    assert not config.trusted
    joined = "\n".join(config.warnings)
    for setting in ("insecure", "ca-file", "mirror"):
        assert f'registries."registry.example.com".{setting} ignored' in joined
    assert config.registry == RegistrySettings(concurrency=64, timeout=120.0, retries=10, cache_ttl=300)
    assert "registry.retries = 100000000 is more than a project may set; 10 used" in joined


def test_the_flag_is_consent(project: Path) -> None:
    config = trust.establish(_project_config(project, HOSTILE), UserChoices(trust_project_config=True), {})
    host = config.registries["registry.example.com"]
    assert host == RegistryHost(insecure=True, ca_file="mitm.pem", mirror="evil.example.net")
    assert config.registry.retries == 100000000 and config.warnings == ()


@pytest.mark.parametrize("how", ["everything", "this-project"])
def test_the_user_configuration_is_consent(project: Path, how: str) -> None:
    config = _project_config(project, HOSTILE)
    _user_config("trust-project-config = true\n" if how == "everything" else f'trusted-projects = ["{project}"]\n')
    established = trust.establish(config, UserChoices())
    assert established.trusted and established.registries["registry.example.com"].insecure


def test_another_project_listed_is_no_consent(project: Path, tmp_path: Path) -> None:
    _user_config(f'trusted-projects = ["{tmp_path / "elsewhere"}"]\n')
    established = trust.establish(_project_config(project, HOSTILE), UserChoices())
    assert not established.trusted and dict(established.registries) == {}


def test_user_settings_win_and_are_not_capped(project: Path) -> None:
    user = _user_config('[registry]\nretries = 50\n\n[registries."registry.example.com"]\nca-file = "corp.pem"\n')
    established = trust.establish(_project_config(project, HOSTILE), UserChoices())
    assert established.registry.retries == 50
    assert established.registries["registry.example.com"] == RegistryHost(ca_file=str(user.parent / "corp.pem"))


def test_unknown_user_key_is_an_error_naming_it(project: Path) -> None:
    _user_config("insecure = true\n")
    with pytest.raises(ConfigError, match=r"config\.toml: unknown key 'insecure'"):
        trust.establish(config_mod.Config(root=project), UserChoices())


def test_an_insecure_project_setting_does_not_downgrade_to_http(project: Path) -> None:
    from pinlint.registry.transport import Transport

    config = _project_config(project, '[registries."registry.example.com"]\ninsecure = true\n')
    untrusted = Transport(trust.establish(config, UserChoices(), {}), lambda level, message: None)
    assert untrusted.endpoint("registry.example.com", "registry.example.com").scheme == "https"
    trusted = Transport(trust.establish(config, UserChoices(True), {}), lambda level, message: None)
    assert trusted.endpoint("registry.example.com", "registry.example.com").scheme == "http"


def test_a_ca_file_shipped_in_the_repository_is_not_trusted(
    cli: Cli, write: Write, project: Path, tls_registry: Any, ca_file: Path, images: Any
) -> None:
    # the attacker's CA would let a man in the middle receive the user's credentials
    shutil.copy(ca_file, project / "ca.pem")
    write("pinlint.toml", f'[registry]\nretries = 0\n\n[registries."{tls_registry.host}"]\nca-file = "ca.pem"\n')
    ref = f"{tls_registry.host}/test/app:single-oci"
    run = cli("resolve", "--no-cache", ref)
    assert run.code == 3 and run.out == ""
    assert f'pinlint: warning: {project / "pinlint.toml"}: registries."{tls_registry.host}".ca-file ignored' in run.err
    trusted = cli("resolve", "--no-cache", "--trust-project-config", ref)
    assert trusted.code == 0 and trusted.out == f"{ref}@{images['single-oci'].digest}\n", trusted.err
    assert "warning" not in trusted.err


def test_the_users_own_ca_file_is_used(
    cli: Cli, write: Write, tls_registry: Any, ca_file: Path, images: Any
) -> None:
    _user_config(f'[registries."{tls_registry.host}"]\nca-file = "{ca_file}"\n')
    ref = f"{tls_registry.host}/test/app:single-oci"
    run = cli("resolve", "--no-config", ref)
    assert run.code == 0 and run.out == f"{ref}@{images['single-oci'].digest}\n", run.err


def test_a_mirror_set_by_the_project_does_not_answer(
    cli: Cli, write: Write, registry: Any, images: Any
) -> None:
    # the mirror chooses the digest `fix` writes; here it is a closed port, so honouring it fails
    name = f"localhost:{registry.port}"
    write("pinlint.toml", f'[registry]\nretries = 0\n\n[registries."{name}"]\nmirror = "127.0.0.1:1"\n')
    ref = f"{name}/test/app:single-oci"
    run = cli("resolve", "--no-cache", ref)
    assert run.code == 0 and run.out == f"{ref}@{images['single-oci'].digest}\n", run.err
    assert f'registries."{name}".mirror ignored' in run.err
    assert cli("resolve", "--no-cache", "--trust-project-config", ref).code == 3


def test_check_offline_says_nothing_about_registry_settings(cli: Cli, write: Write) -> None:
    write("pinlint.toml", HOSTILE)
    write("Dockerfile", "FROM scratch\n")
    run = cli("check")
    assert run.code == 0 and "warning" not in run.err


# -- item 3 and the lock-file setting: no write outside the project ------------------------------


@pytest.mark.parametrize("where", ["../outside.lock", "ABSOLUTE", "../../.bash_profile"])
def test_a_lock_file_setting_outside_the_project_is_refused(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any, where: str
) -> None:
    target = project.parent / "abs.lock" if where == "ABSOLUTE" else (project / where).resolve()
    write("pinlint.toml", f'lock-file = "{target if where == "ABSOLUTE" else where}"\n')
    write("Dockerfile", f"FROM {registry.host}/test/app:single-oci\n")
    for command in ("lock", "check", "update", "fix"):
        run = cli(command)
        assert run.code == 2, (command, run.err)
        assert "is outside the project root" in run.err and "--trust-project-config" in run.err
        assert len(run.err.splitlines()) == 1
    assert not target.exists()


def test_a_lock_file_outside_with_consent_is_written(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any
) -> None:
    write("pinlint.toml", 'lock-file = "../shared/pinlint.lock"\n')
    write("Dockerfile", f"FROM {registry.host}/test/app:single-oci\n")
    run = cli("lock", "--trust-project-config")
    assert run.code == 0, run.err
    assert images["single-oci"].digest in (project.parent / "shared" / "pinlint.lock").read_text()


@pytest.mark.parametrize("dangling", [True, False])
def test_a_lock_symlink_leading_outside_is_not_written(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any, dangling: bool
) -> None:
    profile = project.parent / ".bash_profile"
    if not dangling:
        profile.write_text("echo hello\n")
    (project / "pinlint.lock").symlink_to(profile)
    write("Dockerfile", f"FROM {registry.host}/test/app:single-oci\n")
    run = cli("lock", "--no-config")
    assert run.code == 2
    assert "is outside the project" in run.err
    if dangling:
        assert not profile.exists()
    else:
        assert profile.read_text() == "echo hello\n"
    assert not list(project.parent.glob("*.pinlint-tmp"))


def _outside(project: Path, name: str, text: str) -> Path:
    path = project.parent / "outside" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "compose",
    [
        "services:\n  app:\n    build: ../outside\n",
        "services:\n  app:\n    build:\n      context: .\n      dockerfile: ../outside/Dockerfile\n",
        "services:\n  app:\n    build:\n      context: .\n      dockerfile: {absolute}\n",
        "include:\n  - ../outside/compose.yaml\nservices: {{}}\n",
        "services:\n  app:\n    extends:\n      file: ../outside/compose.yaml\n      service: base\n",
    ],
    ids=["context", "dockerfile", "absolute", "include", "extends"],
)
def test_fix_does_not_write_files_named_by_paths_in_compose(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any, compose: str
) -> None:
    ref = f"{registry.host}/test/app:single-oci"
    dockerfile = _outside(project, "Dockerfile", f"FROM {ref}\n")
    other = _outside(project, "compose.yaml", f"services:\n  base:\n    image: {ref}\n")
    write("compose.yaml", compose.format(absolute=dockerfile))
    run = cli("fix", "--no-config")
    assert dockerfile.read_text() == f"FROM {ref}\n"
    assert other.read_text() == f"services:\n  base:\n    image: {ref}\n"
    assert "outside the project" in run.out + run.err
    assert run.code != 0


def test_fix_and_update_do_not_follow_a_symlinked_dockerfile_outside(
    cli: Cli, write: Write, project: Path, registry: Any, images: Any
) -> None:
    ref = f"{registry.host}/test/app:single-oci"
    stale = f"{ref}@{images['multi-oci'].digest}"
    target = _outside(project, "Dockerfile", f"FROM {ref}\n")
    moved = _outside(project, "Dockerfile.pinned", f"FROM {stale}\n")
    (project / "Dockerfile").symlink_to(target)
    (project / "pinned.Dockerfile").symlink_to(moved)
    write("inside/Dockerfile", f"FROM {ref}\n")
    fixed = cli("fix", "--no-config")
    updated = cli("update", "--no-config")
    assert target.read_text() == f"FROM {ref}\n" and moved.read_text() == f"FROM {stale}\n"
    assert (project / "inside" / "Dockerfile").read_text() == f"FROM {ref}@{images['single-oci'].digest}\n"
    assert fixed.code != 0 and "outside the project; not read" in fixed.out  # PIN900 at each link
    assert updated.code == 0  # update reports no findings; the links are not read, so nothing moves


def test_a_file_outside_named_on_the_command_line_is_written(
    cli: Cli, project: Path, registry: Any, images: Any
) -> None:
    ref = f"{registry.host}/test/app:single-oci"
    elsewhere = _outside(project, "Dockerfile", f"FROM {ref}\n")
    run = cli("fix", "--no-config", str(elsewhere))
    assert run.code == 0, run.err
    assert elsewhere.read_text() == f"FROM {ref}@{images['single-oci'].digest}\n"


# -- item 1: what interpolation may take from the environment ------------------------------------


def test_nothing_from_the_environment_by_default(project: Path) -> None:
    environ = {"TAG": "1.25", "GITHUB_TOKEN": "ghp_" + "a1B2" * 9, "HOME": "/root"}
    assert dict(trust.establish(config_mod.Config(root=project), UserChoices(), environ).env) == {}


def test_variables_the_user_passes(project: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "vars.env"
    env_file.write_text("FROM_FILE=3.12\nQUOTED='a b'\n")
    _user_config('pass-env = ["USER_TAG"]\n')
    environ = {**os.environ, "USER_TAG": "1", "NAMED": "2", "OTHER": "3"}
    choices = UserChoices(env=("NAMED", "GIVEN=4", "ABSENT"), env_files=(str(env_file),))
    env = trust.establish(config_mod.Config(root=project), choices, environ).env
    assert dict(env) == {"USER_TAG": "1", "NAMED": "2", "GIVEN": "4", "FROM_FILE": "3.12", "QUOTED": "a b"}


def test_the_projects_pass_env_needs_consent(project: Path) -> None:
    config = _project_config(project, 'pass-env = ["TAG"]\n')
    untrusted = trust.establish(config, UserChoices(), {"TAG": "1"})
    assert dict(untrusted.env) == {} and "pass-env ignored (TAG)" in untrusted.warnings[0]
    assert dict(trust.establish(config, UserChoices(True), {"TAG": "1"}).env) == {"TAG": "1"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_TOKEN", "ghs_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("CI_JOB_TOKEN", "64_abc"),
        ("DOCKER_AUTH_CONFIG", '{"auths": {"x": {"auth": "dXNlcjpwYXNz"}}}'),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("NPM_PASSWORD", "hunter2"),
        ("TAG", "ghp_0123456789abcdefABCDEF0123456789abcd"),
        ("TAG", "glpat-0123456789abcdefABCD"),
        ("TAG", "AKIAIOSFODNN7EXAMPLE"),
        ("TAG", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
        ("TAG", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        ("REGISTRY", "https://user:hunter2@registry.example.com"),
        ("TAG", "dXNlcm5hbWU6cGFzc3dvcmQxMjM0NTY3ODkwYWJj"),
        ("TAG", '{"auth": "x"}'),
    ],
)
def test_secret_looking_variables(name: str, value: str) -> None:
    assert trust.looks_secret(name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TAG", "1.25.3-alpine3.19"),
        ("GITHUB_SHA", "3f786850e387550fdab836ed7e6dc881de23001b"),
        ("PWD", "/home/runner/work/app"),
        ("IMAGE", "ghcr.io/my-org/my-app:v2.3.1"),
        ("DIGEST", "sha256:" + "0123456789abcdef" * 4),
        ("CI_COMMIT_REF_SLUG", "feature-add-login-page"),
        ("AUTHOR", "ada"),
    ],
)
def test_ordinary_variables(name: str, value: str) -> None:
    assert not trust.looks_secret(name, value)


@pytest.mark.parametrize("how", ["flag", "name=value", "user-config"])
def test_a_secret_passed_on_is_refused_without_printing_it(project: Path, how: str) -> None:
    secret = "ghp_" + "Zx9Q" * 9
    environ = {**os.environ, "GITHUB_TOKEN": secret, "TAG": secret}
    choices = UserChoices()
    if how == "flag":
        choices = UserChoices(env=("GITHUB_TOKEN",))
    elif how == "name=value":
        choices = UserChoices(env=(f"TAG={secret}",))
    else:
        _user_config('pass-env = ["TAG"]\n')
    with pytest.raises(trust.UsageError) as caught:
        trust.establish(config_mod.Config(root=project), choices, environ)
    assert "looks like a secret" in str(caught.value) and secret not in str(caught.value)


# -- item 1 end to end: a Compose file cannot pull a secret out of the environment ---------------

SECRET = "ghp_" + "Q7vR" * 9


class _Recorder(BaseHTTPRequestHandler):
    """A registry that records every request line (and answers 404)."""

    seen: ClassVar[list[str]] = []

    def do_HEAD(self) -> None:
        self.seen.append(self.path + " " + str(self.headers))
        self.send_response(404)
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_lock_does_not_send_or_write_an_environment_token(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch, recorder: tuple[str, list[str]]
) -> None:
    host, seen = recorder
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    write("compose.yaml", f'services:\n  app:\n    image: "{host}/x:${{GITHUB_TOKEN}}"\n')
    run = cli("lock", "--no-config")
    assert SECRET not in run.out + run.err
    assert not any(SECRET in line for line in seen)
    lock = project / "pinlint.lock"
    assert not lock.exists() or SECRET not in lock.read_text()


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "gitlab", "github"])
def test_check_does_not_print_ci_secrets(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    auth = base64.b64encode(b"ci-user:" + SECRET.encode()).decode()
    monkeypatch.setenv("CI_JOB_TOKEN", SECRET)
    monkeypatch.setenv("DOCKER_AUTH_CONFIG", json.dumps({"auths": {"registry.example.com": {"auth": auth}}}))
    write(
        "compose.yaml",
        "services:\n  a:\n    image: registry.example.com/x:${CI_JOB_TOKEN}\n"
        "  b:\n    image: 'registry.example.com/y:${DOCKER_AUTH_CONFIG}'\n",
    )
    run = cli("check", "--no-config", "--format", fmt)
    assert run.code == 1
    for secret in (SECRET, auth):
        assert secret not in run.out + run.err
    assert "CI_JOB_TOKEN" in run.out  # reported as a variable with no value (PIN004)


def test_variables_passed_are_used_and_the_same_on_every_machine(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("compose.yaml", "services:\n  a:\n    image: nginx:${TAG}\n")
    monkeypatch.setenv("TAG", "1.25")
    unset = cli("check", "--no-config", "--format", "json")
    assert json.loads(unset.out)["diagnostics"][0]["code"] == "PIN004"
    for options in (["--env", "TAG"], ["--env", "TAG=1.25"]):
        run = cli("check", "--no-config", "--format", "json", *options)
        (diagnostic,) = json.loads(run.out)["diagnostics"]
        assert (diagnostic["code"], diagnostic["expanded"]) == ("PIN003", "docker.io/library/nginx:1.25")
    _user_config('pass-env = ["TAG"]\n')
    run = cli("check", "--no-config", "--format", "json")
    assert json.loads(run.out)["diagnostics"][0]["expanded"] == "docker.io/library/nginx:1.25"


def test_passing_a_secret_is_a_one_line_error_without_it(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("compose.yaml", "services:\n  a:\n    image: nginx:${GITHUB_TOKEN}\n")
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    run = cli("check", "--no-config", "--env", "GITHUB_TOKEN")
    assert run.code == 2 and run.out == ""
    assert run.err == (
        "pinlint: error: variable GITHUB_TOKEN: its name looks like a secret; pinlint does not interpolate "
        "secrets into image references (pass the image's own variables)\n"
    )


# -- item 2: nothing outside the project is read --------------------------------------------------

CREDENTIALS = "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE\n"


def test_a_dotenv_linked_outside_is_not_read(cli: Cli, write: Write, project: Path) -> None:
    credentials = _outside(project, "credentials", CREDENTIALS)
    (project / ".env").symlink_to(credentials)
    write("compose.yaml", "services:\n  a:\n    image: nginx:${aws_secret_access_key:-1.25}\n")
    run = cli("check", "--no-config")
    assert "wJalrXUtnFEMI" not in run.out + run.err
    assert f"compose.yaml:1:1: PIN900 error: .env (a link to {credentials}) is outside the project; not read" in run.out
    assert "docker.io/library/nginx:1.25" in cli("check", "--no-config", "--format", "json").out  # the default


def test_a_dockerfile_linked_outside_is_not_read(cli: Cli, project: Path) -> None:
    secret = _outside(project, "id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    (project / "Dockerfile").symlink_to(secret)
    run = cli("check", "--no-config")
    assert run.code == 1
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in run.out + run.err and "BEGIN" not in run.out
    assert run.out.startswith(f"Dockerfile:1:1: PIN900 error: Dockerfile (a link to {secret}) is outside the project")


@pytest.mark.parametrize(
    ("compose", "said"),
    [
        ("services:\n  a:\n    build: ../outside\n", "build: context ../outside is outside the project"),
        (
            "services:\n  a:\n    build:\n      context: .\n      dockerfile: ../outside/Dockerfile\n",
            "build: Dockerfile ../outside/Dockerfile is outside the project",
        ),
        ("include:\n  - ../outside/compose.yaml\nservices: {}\n", "include: ../outside/compose.yaml is outside"),
        (
            "services:\n  a:\n    extends:\n      file: ../outside/compose.yaml\n      service: base\n",
            "extends: ../outside/compose.yaml is outside",
        ),
        (
            "include:\n  - path: inner/compose.yaml\n    env_file: ../outside/secrets.env\nservices: {}\n",
            "include: env_file ../outside/secrets.env: ../outside/secrets.env is outside",
        ),
    ],
    ids=["context", "dockerfile", "include", "extends", "env_file"],
)
def test_paths_in_compose_do_not_lead_out(cli: Cli, write: Write, project: Path, compose: str, said: str) -> None:
    _outside(project, "Dockerfile", "FROM leaked-from-outside:1\n")
    _outside(project, "compose.yaml", "services:\n  base:\n    image: leaked-from-outside:2\n")
    _outside(project, "secrets.env", "TOKEN=leaked-from-outside\n")
    write("inner/compose.yaml", "services:\n  i:\n    image: nginx:${TOKEN:-1}\n")
    write("compose.yaml", compose)
    run = cli("check", "--no-config")
    assert "leaked-from-outside" not in run.out + run.err
    assert said in run.out and "PIN900" in run.out


def test_the_paths_given_are_part_of_the_project(cli: Cli, project: Path) -> None:
    _outside(project, "Dockerfile", "FROM given-on-the-command-line:1\n")
    _outside(project, "compose.yaml", "services:\n  a:\n    build: .\n")
    run = cli("check", "--no-config", str(project.parent / "outside"))
    assert "given-on-the-command-line:1" in run.out and "outside the project" not in run.out


def test_verbose_log_lines_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    from pinlint.resolve import stderr_log

    stderr_log(2)(1, "HEAD http://evil/v2/x\x1b[2J\n::set-output name=x::y")
    assert capsys.readouterr().err == "pinlint: HEAD http://evil/v2/x\\x1b[2J\\n::set-output name=x::y\n"
