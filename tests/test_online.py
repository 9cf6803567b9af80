"""`pinlint check --online` (PIN010–PIN013) against the real test registry: tags re-pushed with new
content, deleted manifests, platform-manifest pins, missing platforms, and registry failures
(which are errors of the run, exit 3, never diagnostics)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]
Write = Callable[..., Path]


pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def pusher(registry: Any) -> Iterator[Any]:
    from registry import ImagePusher

    with ImagePusher.for_registry(registry) as pusher:
        yield pusher


def short(digest: str) -> str:
    return digest[:19] + "…"


def online(cli: Cli, *extra: str) -> Any:
    return cli("check", "--online", "--select", "PIN010,PIN011,PIN012,PIN013", *extra)


def test_a_re_pushed_tag_triggers_pin010_and_update_fixes_it(
    cli: Cli, write: Write, pusher: Any, registry: Any
) -> None:
    ref = f"{registry.host}/test/online-moved:v1"
    old = pusher.push_image("test/online-moved", "v1", "multi-oci", seed="online-old").digest
    write("Dockerfile", f"FROM {ref}\n")
    assert cli("fix", "--no-config").code == 0  # the digest cache now holds the old answer too
    assert online(cli, "--no-config").code == 0
    new = pusher.push_image("test/online-moved", "v1", "multi-oci", seed="online-new").digest
    run = online(cli, "--no-config")  # asks past the cache
    assert run.code == 1, run.err
    assert run.lines[0] == (
        f"Dockerfile:1:6: PIN010 warning: Image '{ref}@{old}': the tag now points to {short(new)}, "
        f"not the pinned {short(old)} (run `pinlint update`)"
    )
    assert cli("update", "--no-config").code == 0
    assert Path("Dockerfile").read_text() == f"FROM {ref}@{new}\n"
    assert online(cli, "--no-config").code == 0


def test_a_deleted_manifest_triggers_pin011_naming_the_tags_digest(
    cli: Cli, write: Write, pusher: Any, registry: Any
) -> None:
    ref = f"{registry.host}/test/online-deleted:v1"
    old = pusher.push_image("test/online-deleted", "v1", "single-docker", seed="deleted-old").digest
    new = pusher.push_image("test/online-deleted", "v1", "single-docker", seed="deleted-new").digest
    pusher.delete_manifest("test/online-deleted", old)
    write("Dockerfile", f"FROM {ref}@{old}\n")
    run = online(cli, "--no-config")
    assert run.code == 1, run.err
    assert run.err == ""
    assert run.lines[0] == (
        f"Dockerfile:1:6: PIN011 error: Image '{ref}@{old}': the pinned digest {short(old)} no longer exists in the "
        f"registry; the tag points to {short(new)} now (run `pinlint update`)"
    )
    assert "PIN010" not in run.out  # a gone digest is not also "stale"


def test_a_manifest_deleted_with_its_tag_is_pin011_not_a_registry_failure(
    cli: Cli, write: Write, pusher: Any, registry: Any
) -> None:
    ref = f"{registry.host}/test/online-gone:v1"
    old = pusher.push_image("test/online-gone", "v1", "multi-oci", seed="gone").digest
    pusher.delete_manifest("test/online-gone", old)  # the registry deletes the tag with it
    write("compose.yaml", f'services:\n  app:\n    image: "{ref}@{old}"\n')
    run = online(cli, "--no-config")
    assert run.code == 1, run.out + run.err
    assert run.err == ""
    assert run.lines[0] == (
        f"compose.yaml:3:13: PIN011 error: Image '{ref}@{old}': the pinned digest {short(old)} no longer exists in the "
        "registry; neither does the tag"
    )


def test_a_platform_manifest_pin_triggers_pin012_and_update_pins_the_index(
    cli: Cli, write: Write, registry: Any, images: Any
) -> None:
    ref = f"{registry.host}/test/app:multi-attest"
    child = images["multi-attest"].platforms["linux/arm64/v8"]
    write("Dockerfile", f"FROM scratch\nCOPY --from={ref}@{child} / /\n")
    run = online(cli, "--no-config")
    assert run.code == 1, run.err
    assert run.lines[0] == (
        f"Dockerfile:2:13: PIN012 warning: Image '{ref}@{child}': the pinned {short(child)} is "
        "the linux/arm64 manifest "
        f"of a multi-platform tag; pin the index {short(images['multi-attest'].digest)} so every platform builds"
    )
    assert cli("update", "--no-config").code == 0
    assert online(cli, "--no-config").code == 0


def test_pin013_with_platforms_from_the_configuration(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    host = registry.host
    write("pinlint.toml", 'platforms = ["linux/amd64", "linux/arm64/v8", "linux/riscv64"]\n')
    write(
        "Dockerfile",
        f"FROM {host}/test/app:multi-oci@{images['multi-oci'].digest}\n"
        f"FROM {host}/test/app:multi-attest@{images['multi-attest'].digest}\n",
    )
    run = online(cli)
    assert run.code == 1, run.err
    assert [line.split(": ", 3)[3] for line in run.lines[:2]] == [
        f"the pinned {short(images[tag].digest)} has no linux/riscv64 image (it has linux/amd64, linux/arm64)"
        for tag in ("multi-oci", "multi-attest")
    ]
    write("pinlint.toml", 'platforms = ["linux/amd64", "linux/arm64"]\n')
    assert online(cli).code == 0


def test_registry_failures_are_errors_of_the_run_not_diagnostics(
    cli: Cli, write: Write, registry: Any, images: Any, fault_proxy: Callable[..., Any]
) -> None:
    proxy = fault_proxy(registry)
    proxy.inject("status", path=r"/manifests/sha256:", status=500, count=None)
    write("pinlint.toml", "[registry]\nretries = 0\n")
    ref = f"{proxy.host}/test/app:multi-oci"
    write("Dockerfile", f"FROM {ref}@{images['multi-oci'].digest}\n")
    run = online(cli)
    assert run.code == 3, run.out + run.err
    assert "PIN01" not in run.out
    assert run.err.startswith(f"pinlint: error: {proxy.host}/test/app@{images['multi-oci'].digest}: ")


def test_nothing_pinned_means_no_request(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    write("Dockerfile", f"FROM {registry.host}/test/app:multi-oci\n")
    registry.clear_requests()
    run = online(cli, "--no-config")
    assert run.code == 0, run.err
    assert registry.requests == []


def test_each_pinned_reference_is_asked_about_once(cli: Cli, write: Write, registry: Any, images: Any) -> None:
    pinned = f"{registry.host}/test/app:single-oci@{images['single-oci'].digest}"
    write("Dockerfile", f"FROM {pinned}\nCOPY --from={pinned} /a /b\n")
    write("compose.yaml", f"services:\n  a:\n    image: {pinned}\n  b:\n    image: '{pinned}'\n")
    registry.clear_requests()
    assert online(cli, "--no-config").code == 0
    assert registry.count(path=r"^/v2/test/app/manifests/single-oci$") == 1
    assert registry.count(path=rf"^/v2/test/app/manifests/{images['single-oci'].digest}$") == 1


def _dead_host() -> str:
    import socket

    with socket.socket() as s:  # a port nobody listens on: connections are refused at once
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_what_a_registry_could_not_answer_is_in_every_format(cli: Cli, write: Write, fmt: str) -> None:
    import json

    host = _dead_host()
    write("pinlint.toml", "[registry]\nretries = 0\n")
    write("Dockerfile", f"FROM {host}/test/app:v1@sha256:{'a' * 64}\n")
    run = online(cli, "--format", fmt, "missing/Dockerfile")
    assert run.code == 2, run.out + run.err  # the missing path wins over the registry's exit 3
    assert "pinlint: error: " in run.err
    run = online(cli, "--format", fmt)
    assert run.code == 3, run.out + run.err
    assert "All checks passed" not in (run.out if fmt != "sarif" else "")  # SARIF's rule help may quote it
    if fmt == "text":
        assert run.out.startswith("No findings in 1 file checked; "), run.out
        assert run.out.endswith(" could not be checked (see above).\n"), run.out
    elif fmt == "json":
        errors = json.loads(run.out)["errors"]
        assert errors and all(host in e["message"] for e in errors)
    elif fmt == "sarif":
        (invocation,) = json.loads(run.out)["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False
        notes = invocation["toolExecutionNotifications"]
        assert notes and all(n["level"] == "error" and host in n["message"]["text"] for n in notes)
    elif fmt == "github":
        assert run.out.startswith("::error title=pinlint::pinlint: error: ") and host in run.out
    else:
        issues = json.loads(run.out)
        assert issues and all(i["check_name"] == "pinlint-error" and host in i["description"] for i in issues)


def test_a_missing_path_is_in_the_report_not_all_checks_passed(cli: Cli, write: Write) -> None:
    import json

    write("Dockerfile", "FROM alpine:3.20@sha256:" + "a" * 64 + "\n")
    run = cli("check", "--no-config", "Dockerfile", "nowhere")
    assert run.code == 2
    assert "All checks passed" not in run.out
    assert run.out == "No findings in 1 file checked; 1 thing could not be checked (see above).\n"
    run = cli("check", "--no-config", "--format", "json", "Dockerfile", "nowhere")
    (error,) = json.loads(run.out)["errors"]
    assert "nowhere" in error["message"]


def test_pin013_names_the_platform_of_a_single_platform_image(
    cli: Cli, write: Write, registry: Any, images: Any
) -> None:
    host = registry.host
    write("Dockerfile", f"FROM {host}/test/app:single-oci@{images['single-oci'].digest}\n")
    write("pinlint.toml", 'platforms = ["linux/arm64"]\n')
    run = online(cli)
    assert run.code == 1, run.out + run.err
    assert run.lines[0].split(": ", 3)[3] == (
        f"the pinned {short(images['single-oci'].digest)} is a single-platform image for linux/amd64; "
        "it does not provide linux/arm64"
    )
    write("pinlint.toml", 'platforms = ["linux/amd64"]\n')
    assert online(cli).code == 0
