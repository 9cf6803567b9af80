"""Configuration: discovery, precedence and every key's effect, end to end (design section 9),
plus unit tests of `pinlint.config.from_mapping` validating each key's type.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pinlint.config import DEFAULT_EXCLUDE, Config, RegistryHost, RegistrySettings, from_mapping
from pinlint.errors import ConfigError
from pinlint.model import Severity

Cli = Callable[..., Any]
Write = Callable[..., Path]

DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# One finding of each of PIN001, PIN002, PIN003 and PIN004, on lines 2, 5, 8, 11.
SERVICE = """\
ARG BASE_REGISTRY
FROM node:20-alpine AS assets
RUN npm ci && npm run build

FROM alpine:latest AS certs
RUN apk add --no-cache ca-certificates

FROM ubuntu
COPY --from=assets /app/dist /srv/www

FROM ${BASE_REGISTRY}/nginx:1.25
"""

APP = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "-m", "app"]
"""


def codes(run: Any) -> list[str]:
    """The rule codes of the diagnostic lines of a text run, in order."""
    return [line.split(": ")[1].split()[0] for line in run.lines if line.count(":") >= 3 and ": PIN" in line]


def paths(run: Any) -> list[str]:
    return [line.split(":")[0] for line in run.lines if ": PIN" in line]


# -- discovery -------------------------------------------------------------------------------


def test_pyproject_tool_pinlint(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pyproject.toml", '[project]\nname = "shop"\n\n[tool.pinlint]\nignore = ["PIN003", "PIN004"]\n')
    assert codes(cli("check")) == ["PIN001", "PIN002"]


def test_pyproject_with_registry_subtable(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write(
        "pyproject.toml",
        '[tool.ruff]\nline-length = 100\n\n[tool.pinlint]\nselect = ["PIN002"]\n\n'
        "[tool.pinlint.registry]\ntimeout = 30\n",
    )
    assert codes(cli("check")) == ["PIN002"]


@pytest.mark.parametrize("name", ["pinlint.toml", ".pinlint.toml"])
def test_pinlint_toml_files(cli: Cli, write: Write, name: str) -> None:
    write("Dockerfile", SERVICE)
    write(name, 'select = ["PIN001", "PIN004"]\n')
    assert codes(cli("check")) == ["PIN001", "PIN004"]


def test_config_found_walking_up_from_the_working_directory(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", 'ignore = ["PIN001"]\n')
    write("services/edge/Dockerfile", SERVICE)
    monkeypatch.chdir(project / "services" / "edge")
    run = cli("check")
    assert codes(run) == ["PIN003", "PIN002", "PIN004"]
    assert paths(run) == ["Dockerfile"] * 3


def test_the_nearest_config_wins_and_is_not_merged(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", 'ignore = ["PIN001"]\n')
    write("services/pinlint.toml", 'ignore = ["PIN002"]\n')
    write("services/Dockerfile", SERVICE)
    monkeypatch.chdir(project / "services")
    assert codes(cli("check")) == ["PIN003", "PIN001", "PIN004"]


def test_precedence_in_one_directory(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", SERVICE)
    write("pyproject.toml", '[tool.pinlint]\nignore = ["PIN003"]\n')
    write("pinlint.toml", 'ignore = ["PIN002"]\n')
    write(".pinlint.toml", 'ignore = ["PIN001"]\n')
    assert codes(cli("check")) == ["PIN003", "PIN002", "PIN004"]  # .pinlint.toml
    (project / ".pinlint.toml").unlink()
    assert codes(cli("check")) == ["PIN003", "PIN001", "PIN004"]  # pinlint.toml
    (project / "pinlint.toml").unlink()
    assert codes(cli("check")) == ["PIN001", "PIN002", "PIN004"]  # pyproject.toml


def test_pyproject_without_tool_pinlint_is_skipped_and_the_search_goes_up(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", 'select = ["PIN002"]\n')
    write("packages/api/pyproject.toml", '[project]\nname = "api"\n\n[tool.ruff]\nline-length = 100\n')
    write("packages/api/Dockerfile", SERVICE)
    monkeypatch.chdir(project / "packages" / "api")
    assert codes(cli("check")) == ["PIN002"]


def test_pyproject_without_tool_pinlint_loses_to_nothing_in_the_same_directory(cli: Cli, write: Write) -> None:
    # A pyproject.toml without [tool.pinlint] next to a pinlint.toml: pinlint.toml is used.
    write("pyproject.toml", '[project]\nname = "api"\n')
    write("pinlint.toml", 'select = ["PIN004"]\n')
    write("Dockerfile", SERVICE)
    assert codes(cli("check")) == ["PIN004"]


def test_pyproject_with_commented_out_tool_pinlint_is_skipped(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", 'select = ["PIN002"]\n')
    write("api/pyproject.toml", '[project]\nname = "api"\n\n# [tool.pinlint]\n# select = ["PIN001"]\n')
    write("api/Dockerfile", SERVICE)
    monkeypatch.chdir(project / "api")
    assert codes(cli("check")) == ["PIN002"]


def test_explicit_config_file(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", 'select = ["PIN001"]\n')
    write("ci/strict.toml", 'select = ["PIN00"]\nextend-select = ["PIN005"]\n')
    assert codes(cli("check", "--config", "ci/strict.toml")) == ["PIN003", "PIN001", "PIN002", "PIN004"]


def test_explicit_config_can_be_a_pyproject(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("tools/pyproject.toml", '[tool.pinlint]\nselect = ["PIN002"]\n')
    assert codes(cli("check", "--config", "tools/pyproject.toml")) == ["PIN002"]


def test_explicit_pyproject_whose_tool_pinlint_is_not_a_table(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pyproject.toml", '[tool]\npinlint = "strict"\n')
    run = cli("check", "--config", "pyproject.toml")
    assert run.code == 2
    assert run.err == "pinlint: error: pyproject.toml: [tool.pinlint] must be a table\n"


def test_explicit_config_globs_are_relative_to_its_directory(cli: Cli, write: Write) -> None:
    write("deploy/legacy/Dockerfile", APP)
    write("deploy/current/Dockerfile", APP)
    write("deploy/pinlint.toml", '[per-file-ignores]\n"legacy/*" = ["PIN003"]\n')
    run = cli("check", "--config", "deploy/pinlint.toml")
    assert paths(run) == ["deploy/current/Dockerfile"]


def test_missing_explicit_config_exits_2(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    run = cli("check", "--config", "ci/pinlint.toml")
    assert run.code == 2
    assert run.out == ""
    assert run.err == "pinlint: error: config file not found: ci/pinlint.toml\n"


def test_no_config_ignores_configuration_files(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", 'select = ["PIN001"]\nunknown-key = true\n')
    assert codes(cli("check", "--no-config")) == ["PIN003", "PIN001", "PIN002", "PIN004"]


def test_unknown_key_in_pyproject_names_the_key(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", SERVICE)
    write("pyproject.toml", '[tool.pinlint]\nselect = ["PIN001"]\nallowed-registry = ["ghcr.io"]\n')
    run = cli("check")
    assert run.code == 2
    assert run.err == (
        f"pinlint: error: {project / 'pyproject.toml'}: unknown key 'allowed-registry' "
        "(did you mean 'allowed-registries'?)\n"
    )


def test_unknown_nested_keys_are_named(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", "[registry]\ntimeout = 5\nretry = 2\n")
    run = cli("check")
    assert run.code == 2
    assert run.err.endswith(": unknown key 'registry.retry'\n")
    write("pinlint.toml", '[registries."ghcr.io"]\ninsecure = false\nca_file = "ca.pem"\n')
    run = cli("check")
    assert run.code == 2
    assert run.err.endswith(": unknown key 'registries.\"ghcr.io\".ca_file'\n")


def test_unknown_selector_in_config_exits_2(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", 'ignore = ["PIN003", "DL3006"]\n')
    run = cli("check")
    assert run.code == 2
    assert run.out == ""
    assert run.err == f"pinlint: error: unknown rule selector 'DL3006' in 'ignore' of {project / 'pinlint.toml'}\n"


def test_unknown_selector_in_per_file_ignores_exits_2(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", '[per-file-ignores]\n"Dockerfile" = ["PIN3"]\n')
    run = cli("check")
    assert run.code == 2
    assert "'PIN3'" in run.err


# -- selection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('select = ["PIN001"]', ["PIN001"]),
        ('select = ["PIN00"]', ["PIN003", "PIN001", "PIN002", "PIN004"]),
        ('select = ["latest-tag", "missing-tag"]', ["PIN001", "PIN002"]),
        ('select = ["pin004"]', ["PIN004"]),
        ('ignore = ["PIN004"]', ["PIN003", "PIN001", "PIN002"]),
        ('ignore = ["unresolved-variable", "PIN001"]', ["PIN003", "PIN002"]),
        ('select = ["PIN00"]\nignore = ["PIN003"]', ["PIN001", "PIN002", "PIN004"]),
        ("select = []", []),
    ],
)
def test_select_and_ignore_in_config(cli: Cli, write: Write, config: str, expected: list[str]) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", config + "\n")
    assert codes(cli("check")) == expected


def test_extend_select_enables_an_off_by_default_rule(cli: Cli, write: Write) -> None:
    write("Dockerfile", f"FROM gcr.io/distroless/static-debian12@{DIGEST}\nCOPY server /server\n")
    assert codes(cli("check")) == []
    write("pinlint.toml", 'extend-select = ["digest-without-tag"]\n')
    assert codes(cli("check")) == ["PIN005"]


def test_select_flag_replaces_config_select(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", 'select = ["PIN001"]\n')
    assert codes(cli("check", "--select", "PIN002,PIN004")) == ["PIN002", "PIN004"]


def test_ignore_flag_adds_to_config_ignore(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pinlint.toml", 'ignore = ["PIN001"]\n')
    assert codes(cli("check", "--ignore", "PIN002", "--ignore", "PIN004")) == ["PIN003"]


def test_select_all_and_ignore_prefix(cli: Cli, write: Write) -> None:
    write("Dockerfile", f"FROM alpine:3.20 AS certs\nFROM gcr.io/distroless/static-debian12@{DIGEST}\n")
    assert codes(cli("check", "--select", "ALL")) == ["PIN003", "PIN005"]
    assert codes(cli("check", "--select", "ALL", "--ignore", "PIN00")) == []


# -- per-file-ignores --------------------------------------------------------------------------


def test_per_file_ignores_globs_are_relative_to_the_config_directory(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        "pinlint.toml",
        '[per-file-ignores]\n"services/legacy/*" = ["PIN00"]\n"services/*/Dockerfile.dev" = ["PIN003"]\n',
    )
    write("services/legacy/Dockerfile", SERVICE)
    write("services/api/Dockerfile", APP)
    write("services/api/Dockerfile.dev", APP)
    monkeypatch.chdir(project / "services")
    run = cli("check")
    assert paths(run) == ["api/Dockerfile"]


def test_per_file_ignores_glob_does_not_match_relative_to_the_working_directory(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"legacy/*" = ["PIN003"]\n')
    write("services/legacy/Dockerfile", APP)
    monkeypatch.chdir(project / "services")
    # "legacy/*" is relative to the project root, where there is no legacy/ directory.
    assert paths(cli("check")) == ["legacy/Dockerfile"]


def test_per_file_ignores_bare_file_name_matches_anywhere(cli: Cli, write: Write) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"Dockerfile.dev" = ["PIN003"]\n"*.ci.Dockerfile" = ["unpinned-tag"]\n')
    write("Dockerfile.dev", APP)
    write("services/api/Dockerfile.dev", APP)
    write("build/tests.ci.Dockerfile", APP)
    write("services/api/Dockerfile", APP)
    assert paths(cli("check")) == ["services/api/Dockerfile"]


def test_per_file_ignores_double_star(cli: Cli, write: Write) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"examples/**" = ["PIN003"]\n')
    write("examples/Dockerfile", APP)
    write("examples/python/flask/Dockerfile", APP)
    write("src/Dockerfile", APP)
    assert paths(cli("check")) == ["src/Dockerfile"]


def test_per_file_ignores_only_removes_the_listed_codes(cli: Cli, write: Write) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"Dockerfile" = ["PIN001", "PIN004"]\n')
    write("Dockerfile", SERVICE)
    assert codes(cli("check")) == ["PIN003", "PIN002"]


def test_per_file_ignores_apply_to_explicit_files(cli: Cli, write: Write) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"legacy/*" = ["PIN003"]\n')
    write("legacy/Dockerfile", APP)
    assert cli("check", "legacy/Dockerfile").code == 0
    assert cli("check", "./legacy/Dockerfile").code == 0


def test_per_file_ignores_through_a_symlinked_directory(cli: Cli, write: Write, project: Path, tmp_path: Path) -> None:
    write("pinlint.toml", '[per-file-ignores]\n"legacy/*" = ["PIN003"]\n')
    write("legacy/Dockerfile", APP)
    link = tmp_path / "checkout"
    link.symlink_to(project)
    run = cli("check", str(link / "legacy" / "Dockerfile"))
    assert run.code == 0, run.out


# -- exclude -----------------------------------------------------------------------------------


def test_extend_exclude_keeps_the_default_excludes(cli: Cli, write: Write) -> None:
    write("pinlint.toml", 'extend-exclude = ["third_party", "services/old/*"]\n')
    write("services/api/Dockerfile", APP)
    write("services/old/Dockerfile", APP)
    write("services/api/third_party/Dockerfile", APP)
    write("node_modules/some-pkg/Dockerfile", APP)
    write(".venv/Dockerfile", APP)
    assert paths(cli("check")) == ["services/api/Dockerfile"]


def test_exclude_replaces_the_default_excludes(cli: Cli, write: Write) -> None:
    # As in ruff: `exclude` is the whole list; `extend-exclude` adds to the defaults.
    write("pinlint.toml", 'exclude = ["vendor"]\n')
    write("vendor/Dockerfile", APP)
    write("node_modules/pkg/Dockerfile", APP)
    write("Dockerfile", APP)
    assert paths(cli("check")) == ["Dockerfile", "node_modules/pkg/Dockerfile"]


def test_exclude_paths_are_relative_to_the_config_directory(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", 'extend-exclude = ["deploy/generated/*"]\n')
    write("deploy/generated/Dockerfile", APP)
    write("deploy/Dockerfile", APP)
    monkeypatch.chdir(project / "deploy")
    assert paths(cli("check")) == ["Dockerfile"]


def test_exclude_glob_with_star_in_a_name(cli: Cli, write: Write) -> None:
    write("pinlint.toml", 'extend-exclude = ["*.generated.Dockerfile", "tmp-*"]\n')
    write("api.generated.Dockerfile", APP)
    write("tmp-build/Dockerfile", APP)
    write("api.Dockerfile", APP)
    assert paths(cli("check")) == ["api.Dockerfile"]


def test_excluded_file_given_explicitly_is_checked(cli: Cli, write: Write) -> None:
    write("pinlint.toml", 'extend-exclude = ["legacy"]\n')
    write("legacy/Dockerfile", APP)
    assert paths(cli("check")) == []
    assert paths(cli("check", "legacy/Dockerfile")) == ["legacy/Dockerfile"]


def test_invalid_exclude_glob_is_a_config_error(cli: Cli, write: Write) -> None:
    write("Dockerfile", APP)
    write("pinlint.toml", 'extend-exclude = ["build-[z-a]"]\n')
    run = cli("check")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "build-[z-a]" in run.err


def test_invalid_per_file_ignores_glob_is_a_config_error(cli: Cli, write: Write) -> None:
    write("Dockerfile", APP)
    write("pinlint.toml", '[per-file-ignores]\n"svc-[z-a]/*" = ["PIN003"]\n')
    run = cli("check")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "svc-[z-a]/*" in run.err


# -- image policy keys -----------------------------------------------------------------------

POLICY = """\
FROM ghcr.io/acme/base:1.4 AS base
FROM python:3.12-slim AS build
FROM registry.internal.example.com:5000/tools/builder:2.0 AS tools
FROM alpine:edge
FROM gcr.io/distroless/python3-debian12:nightly-2024-05-01
"""


def test_allowed_registries_reports_pin007(cli: Cli, write: Write) -> None:
    write("Dockerfile", POLICY)
    write("pinlint.toml", 'allowed-registries = ["ghcr.io", "gcr.io/distroless"]\nselect = ["PIN007"]\n')
    run = cli("check")
    assert run.code == 1
    assert run.lines == [
        "Dockerfile:2:6: PIN007 error: Image 'python:3.12-slim' comes from registry 'docker.io', "
        "which is not in allowed-registries",
        "Dockerfile:3:6: PIN007 error: Image "
        "'registry.internal.example.com:5000/tools/builder:2.0' comes from registry "
        "'registry.internal.example.com:5000', which is not in allowed-registries",
        "Dockerfile:4:6: PIN007 error: Image 'alpine:edge' comes from registry 'docker.io', "
        "which is not in allowed-registries",
        "Found 3 errors in 1 of 1 file checked.",
    ]


def test_allowed_registries_docker_hub_aliases(cli: Cli, write: Write) -> None:
    write("Dockerfile", "FROM python:3.12-slim\nFROM index.docker.io/library/redis:7\n")
    write("pinlint.toml", 'allowed-registries = ["docker.io"]\nselect = ["PIN007"]\n')
    assert codes(cli("check")) == []


def test_pin007_is_silent_without_allowed_registries(cli: Cli, write: Write) -> None:
    write("Dockerfile", POLICY)
    assert "PIN007" not in codes(cli("check"))


def test_denied_tags_reports_pin009(cli: Cli, write: Write) -> None:
    write("Dockerfile", POLICY)
    write("pinlint.toml", 'denied-tags = ["edge", "nightly*"]\nselect = ["PIN009"]\n')
    run = cli("check")
    assert run.code == 1  # warnings fail at the default fail level
    assert run.lines == [
        "Dockerfile:4:6: PIN009 warning: Image 'alpine:edge' uses denied tag 'edge' (matches 'edge')",
        "Dockerfile:5:6: PIN009 warning: Image 'gcr.io/distroless/python3-debian12:nightly-2024-05-01' uses denied tag "
        "'nightly-2024-05-01' (matches 'nightly*')",
        "Found 2 warnings in 1 of 1 file checked.",
    ]
    assert cli("check", "--fail-level", "error").code == 0


def test_denied_tags_next_to_the_pinning_rules(cli: Cli, write: Write) -> None:
    write("Dockerfile", "FROM alpine:edge\n")
    write("pinlint.toml", 'denied-tags = ["edge"]\n')
    assert codes(cli("check")) == ["PIN003", "PIN009"]


@pytest.mark.parametrize(
    "pattern",
    ["python:*", "python*", "docker.io/library/python:3.12-slim", "docker.io/library/python*", "*/python:*"],
)
def test_ignore_images_matches_the_reference_in_its_forms(cli: Cli, write: Write, pattern: str) -> None:
    write("Dockerfile", "FROM python:3.12-slim AS build\nFROM nginx:1.25\n")
    write("pinlint.toml", f'ignore-images = ["{pattern}"]\n')
    run = cli("check")
    assert paths(run) == ["Dockerfile"]
    assert run.lines[0] == "Dockerfile:2:6: PIN003 [*] error: Image 'nginx:1.25' is not pinned to a digest"


def test_ignore_images_silences_every_image_rule(cli: Cli, write: Write) -> None:
    write("Dockerfile", POLICY)
    write(
        "pinlint.toml",
        'ignore-images = ["ghcr.io/acme/*", "registry.internal.example.com:5000/*", "gcr.io/*", "alpine:*"]\n'
        'allowed-registries = ["ghcr.io"]\ndenied-tags = ["edge"]\n',
    )
    run = cli("check")
    assert codes(run) == ["PIN003", "PIN007"]
    assert all(line.startswith("Dockerfile:2:6: ") for line in run.lines[:2])


# -- from_mapping: every key's type ----------------------------------------------------------

ROOT = Path("/srv/project")


def test_from_mapping_empty_gives_defaults() -> None:
    config = from_mapping({}, ROOT)
    assert config == Config(root=ROOT)
    assert config.select is None
    assert config.exclude == DEFAULT_EXCLUDE
    assert "node_modules" in DEFAULT_EXCLUDE
    assert ".venv" in DEFAULT_EXCLUDE
    assert config.fail_level is Severity.WARNING
    assert config.lock_file == "pinlint.lock"
    assert config.registry == RegistrySettings()


def test_from_mapping_every_key() -> None:
    config = from_mapping(
        {
            "select": ["PIN0"],
            "extend-select": ["PIN005"],
            "ignore": ["PIN004"],
            "per-file-ignores": {"legacy/*": ["PIN003"], "Dockerfile.dev": []},
            "exclude": ["vendor"],
            "extend-exclude": ["build/*"],
            "fail-level": "error",
            "lock-file": "deploy/pinlint.lock",
            "allowed-registries": ["ghcr.io"],
            "denied-tags": ["edge"],
            "ignore-images": ["scratch-*"],
            "platforms": ["linux/amd64", "linux/arm64"],
            "registry": {"concurrency": 4, "timeout": 30, "retries": 5, "cache-ttl": 60},
            "registries": {
                "Registry.Example.com:5000": {"insecure": True, "ca-file": "ca.pem", "mirror": "mirror.example.com"},
                "ghcr.io": {},
            },
        },
        ROOT,
        ROOT / "pinlint.toml",
    )
    assert config.path == ROOT / "pinlint.toml"
    assert config.select == ("PIN0",)
    assert config.extend_select == ("PIN005",)
    assert config.ignore == ("PIN004",)
    assert config.per_file_ignores == (("legacy/*", ("PIN003",)), ("Dockerfile.dev", ()))
    assert config.exclude == ("vendor",)
    assert config.extend_exclude == ("build/*",)
    assert config.fail_level is Severity.ERROR
    assert config.lock_file == "deploy/pinlint.lock"
    assert config.allowed_registries == ("ghcr.io",)
    assert config.denied_tags == ("edge",)
    assert config.ignore_images == ("scratch-*",)
    assert config.platforms == ("linux/amd64", "linux/arm64")
    assert config.registry == RegistrySettings(concurrency=4, timeout=30.0, retries=5, cache_ttl=60)
    assert isinstance(config.registry.timeout, float)
    assert dict(config.registries) == {
        "registry.example.com:5000": RegistryHost(insecure=True, ca_file="ca.pem", mirror="mirror.example.com"),
        "ghcr.io": RegistryHost(),
    }


@pytest.mark.parametrize("level", ["error", "warning", "info", "ERROR"])
def test_from_mapping_fail_levels(level: str) -> None:
    assert from_mapping({"fail-level": level}, ROOT).fail_level is Severity.parse(level)


LIST_KEYS = (
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "allowed-registries",
    "denied-tags",
    "ignore-images",
    "platforms",
)


@pytest.mark.parametrize("key", LIST_KEYS)
@pytest.mark.parametrize("value", ["PIN001", ["PIN001", 3], {"a": "b"}, True, [["PIN001"]]])
def test_from_mapping_list_keys_need_lists_of_strings(key: str, value: object) -> None:
    with pytest.raises(ConfigError) as excinfo:
        from_mapping({key: value}, ROOT, ROOT / "pinlint.toml")
    assert str(excinfo.value) == f"{ROOT / 'pinlint.toml'}: '{key}' must be a list of strings"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"per-file-ignores": ["legacy/*"]}, "'per-file-ignores' must be a table of glob = [codes]"),
        ({"per-file-ignores": {"legacy/*": "PIN003"}}, "'per-file-ignores.legacy/*' must be a list of strings"),
        ({"per-file-ignores": {"legacy/*": [3]}}, "'per-file-ignores.legacy/*' must be a list of strings"),
        ({"fail-level": 2}, "'fail-level' must be one of error, warning, info"),
        ({"fail-level": ["error"]}, "'fail-level' must be one of error, warning, info"),
        ({"fail-level": "fatal"}, "'fail-level': unknown severity 'fatal' (expected error, warning or info)"),
        ({"lock-file": ""}, "'lock-file' must be a path"),
        ({"lock-file": 1}, "'lock-file' must be a path"),
        ({"lock-file": ["pinlint.lock"]}, "'lock-file' must be a path"),
        ({"registry": "fast"}, "'registry' must be a table"),
        ({"registry": {"parallelism": 4}}, "unknown key 'registry.parallelism'"),
        ({"registry": {"concurrency": "8"}}, "'registry.concurrency' must be a whole number"),
        ({"registry": {"concurrency": 2.5}}, "'registry.concurrency' must be a whole number"),
        ({"registry": {"concurrency": True}}, "'registry.concurrency' must be a whole number"),
        ({"registry": {"concurrency": 0}}, "'registry.concurrency' must be positive"),
        ({"registry": {"retries": 1.0}}, "'registry.retries' must be a whole number"),
        ({"registry": {"cache-ttl": "6h"}}, "'registry.cache-ttl' must be a whole number"),
        ({"registry": {"timeout": "10s"}}, "'registry.timeout' must be a number"),
        ({"registry": {"timeout": False}}, "'registry.timeout' must be a number"),
        ({"registry": {"timeout": 0}}, "'registry.timeout' must be positive"),
        ({"registry": {"timeout": -2.5}}, "'registry.timeout' must be positive"),
        ({"registries": ["ghcr.io"]}, "'registries' must be a table of host = {...}"),
        ({"registries": {"ghcr.io": True}}, "'registries.\"ghcr.io\"' must be a table"),
        ({"registries": {"ghcr.io": {"proxy": "x"}}}, "unknown key 'registries.\"ghcr.io\".proxy'"),
        ({"registries": {"ghcr.io": {"insecure": "yes"}}}, "'registries.\"ghcr.io\".insecure' must be true or false"),
        ({"registries": {"ghcr.io": {"ca-file": 1}}}, "'registries.\"ghcr.io\".ca-file' must be a string"),
        ({"registries": {"ghcr.io": {"mirror": ["m"]}}}, "'registries.\"ghcr.io\".mirror' must be a string"),
        ({"selct": ["PIN001"]}, "unknown key 'selct' (did you mean 'select'?)"),
        ({"tool": {"pinlint": {}}}, "unknown key 'tool'"),
        ({"extend_select": ["PIN005"]}, "unknown key 'extend_select' (did you mean 'extend-select'?)"),
    ],
)
def test_from_mapping_rejects(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        from_mapping(data, ROOT)
    assert str(excinfo.value) == f"configuration: {message}"


def test_from_mapping_negative_cache_ttl_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"'registry\.cache-ttl'"):
        from_mapping({"registry": {"cache-ttl": -1}}, ROOT)


def test_from_mapping_cache_ttl_zero_disables_the_cache() -> None:
    assert from_mapping({"registry": {"cache-ttl": 0}}, ROOT).registry.cache_ttl == 0


def test_config_error_exit_code_is_2() -> None:
    assert ConfigError("x").exit_code == 2


def test_per_file_ignores_and_excludes_with_a_dotdot_path(
    cli: Cli, write: Write, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pinlint.toml", 'extend-exclude = ["deploy/generated/*"]\n\n[per-file-ignores]\n"legacy/*" = ["PIN003"]\n')
    write("legacy/Dockerfile", APP)
    write("deploy/generated/Dockerfile", APP)
    write("services/Dockerfile", APP)
    monkeypatch.chdir(project / "services")
    assert cli("check", "../legacy/Dockerfile").code == 0
    # the file below the working directory is shown relative to it
    assert paths(cli("check", "..")) == ["Dockerfile"]


def test_pyproject_with_tool_pinlint_as_an_inline_table(cli: Cli, write: Write) -> None:
    write("Dockerfile", SERVICE)
    write("pyproject.toml", '[tool]\npinlint = { select = ["PIN002"] }\n')
    assert codes(cli("check", "--config", "pyproject.toml")) == ["PIN002"]
    assert codes(cli("check")) == ["PIN002"]
