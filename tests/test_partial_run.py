"""A partial run agrees with the whole run (issue 11): for every file F of a project,
`pinlint check F` reports exactly what `pinlint check .` reports for F — every rule selected,
with and without a lock file. Over the examples, every test corpus directory and projects
generated with hypothesis (a Compose file whose `build.args` override a Dockerfile `ARG`, other
Dockerfiles, references the lock does and does not record, services built locally).

The size of the property (projects × files) is printed with `-s` and checked not to shrink.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinlint.cli import main
from pinlint.config import Config
from pinlint.discover import discover

ROOT = Path(__file__).resolve().parent.parent
DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32

pytestmark = pytest.mark.usefixtures("isolated")

Found = list[tuple[str, int, int, str, str]]


@contextmanager
def _in(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def _check(capsys: pytest.CaptureFixture[str], *paths: str, config: bool = False) -> tuple[int, Found]:
    capsys.readouterr()
    code = main(["check", *([] if config else ["--no-config"]), "--select", "ALL", "--format", "json", *paths])
    out = capsys.readouterr().out
    document = json.loads(out)
    found = [(d["path"], d["line"], d["column"], d["code"], d["message"]) for d in document["diagnostics"]]
    return code, found


def agree(project: Path, capsys: pytest.CaptureFixture[str], *, config: bool = False) -> int:
    """Assert the property for every file of `project`; the number of files checked. With
    `config` (a pinlint.toml at the root), also from the folder of each file in a subdirectory."""
    with _in(project):
        code, whole = _check(capsys, ".", config=config)
        assert code in (0, 1), whole
        files, errors = discover(["."], Config(root=project.resolve()))
        assert not errors
        skipped = 0
        for source in files:
            name = source.display
            expected = sorted(d for d in whole if d[0] == name)
            part_code, part = _check(capsys, name)
            assert part_code in (0, 1)
            mine = sorted(d for d in part if d[0] == name)
            if not expected and [d[3] for d in mine] == ["PIN902"]:
                # named, a file the directory walk leaves out by its content (YAML without
                # services) says why it is not checked: not a file of the project
                skipped += 1
                continue
            assert mine == expected, f"{project.name}: check {name} differs from check ."
            # a Compose file also checks the Dockerfiles it builds: nothing the whole run does not say
            assert set(part) <= set(whole), f"{project.name}: check {name} says more than check ."
            folder, _, base = name.rpartition("/")
            if config and folder:  # from the file's folder: the same project, root and lock
                with _in(project / folder):
                    _, there = _check(capsys, base, config=True)
                moved = sorted((f"{folder}/{d[0]}", *d[1:]) for d in there if d[0] == base)
                assert moved == expected, f"{project.name}: check {base} from {folder}/ differs from check ."
    return len(files) - skipped


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def _corpora() -> list[Path]:
    dirs = [ROOT / "examples", ROOT / "tests" / "data" / "dockerfiles"]
    for group in ("compose", "fix"):
        dirs += sorted(p for p in (ROOT / "tests" / "data" / group).iterdir() if p.is_dir())
    return dirs


SIZE: dict[str, tuple[int, int]] = {}


def test_a_partial_check_agrees_with_the_whole_one_over_the_examples_and_corpora(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = files = 0
    for number, directory in enumerate(_corpora()):
        project = _copy(directory, tmp_path / f"{number:03d}-{directory.name}")
        for with_lock in (False, True):
            if with_lock:  # half the references locked (one to another digest than written inline)
                _lock_half(project, capsys)
            files += agree(project, capsys)
            projects += 1
    SIZE["corpora"] = (projects, files)
    print(f"\npartial-run property over the corpora: {projects} projects × their files = {files} file checks")
    assert projects >= 150 and files >= 390


def _lock_half(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lock recording every other reference of the project's full run (no network: written here)."""
    with _in(project):
        capsys.readouterr()
        main(["check", "--no-config", "--select", "ALL", "--format", "json", "."])
        document = json.loads(capsys.readouterr().out)
    seen = sorted({d["expanded"] for d in document["diagnostics"] if d.get("expanded")})
    from pinlint import reference

    keys = []
    for text in seen:
        try:
            ref = reference.parse(text)
        except reference.ReferenceError:
            continue
        keys.append(ref.canonical_tagged)
    body = "".join(
        f'\n[[image]]\nreference = "{key}"\ndigest = "{DIGEST if i % 4 else OTHER}"\nmedia-type = ""\n'
        f"resolved-at = 2026-11-29T10:00:00Z\nsources = []\n"
        for i, key in enumerate(sorted(set(keys))[::2])
    )
    (project / "pinlint.lock").write_text("version = 1\n" + body)


# -- generated projects ----------------------------------------------------------------------

images = st.sampled_from(["alpine", "python", "ghcr.io/org/app", "localhost:5000/x", "myapp"])
tags = st.sampled_from(["3.20", "latest", "1.2-rc", "edge"])


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    """Files of a project: Compose files at the root and below building Dockerfiles with args."""
    files: dict[str, str] = {}
    dockerfiles = draw(st.lists(st.sampled_from(["app", "web", "tools/x", "."]), min_size=1, max_size=3, unique=True))
    services = []
    for n, folder in enumerate(dockerfiles):
        base = draw(images)
        default = draw(tags)
        pinned = draw(st.booleans())
        lines = [f"ARG BASE={base}", f"ARG TAG={default}"]
        lines.append(f"FROM ${{BASE}}:${{TAG}}{'@' + DIGEST if pinned else ''} AS build")
        if draw(st.booleans()):
            lines.append(f"COPY --from={draw(images)}:{draw(tags)} /a /b")
        if draw(st.booleans()):
            lines.append("FROM myapp:dev")  # built by a service: a local image, not a registry one
        path = "Dockerfile" if folder == "." else f"{folder}/Dockerfile"
        files[path] = "\n".join(lines) + "\n"
        args = {}
        if draw(st.booleans()):
            args["TAG"] = draw(tags)
        if draw(st.booleans()):
            args["BASE"] = draw(images)
        built = draw(st.booleans())
        if built:
            services.append((f"s{n}", folder, args, n == 0))
    if services:
        lines = ["services:"]
        for name, folder, args, local_image in services:
            lines += [f"  {name}:", "    build:", f"      context: {folder}"]
            if args:
                lines.append("      args:")
                lines += [f"        {k}: {v}" for k, v in args.items()]
            if local_image:
                lines.append("    image: myapp:dev")
        lines += ["  cache:", f"    image: {draw(images)}:{draw(tags)}"]
        where = draw(st.sampled_from(["compose.yaml", "deploy/compose.yaml"]))
        if where != "compose.yaml":  # contexts are relative to the Compose file's folder
            lines = [line.replace("context: ", "context: ../") for line in lines]
        files[where] = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        locked = draw(st.lists(st.tuples(images, tags), max_size=4, unique=True))
        from pinlint import reference

        body = "".join(
            f'\n[[image]]\nreference = "{reference.parse(f"{i}:{t}").canonical_tagged}"\ndigest = "{DIGEST}"\n'
            f'media-type = ""\nresolved-at = 2026-11-29T10:00:00Z\nsources = []\n'
            for i, t in locked
        )
        files["pinlint.lock"] = "version = 1\n" + body
    return files


GENERATED = {"projects": 0, "files": 0}


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(project=projects())
def test_a_partial_check_agrees_with_the_whole_one_on_generated_projects(
    project: dict[str, str], tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path_factory.mktemp("generated")
    for name, text in project.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "pinlint.toml").write_text("")
    GENERATED["files"] += agree(root, capsys, config=True)
    GENERATED["projects"] += 1


def test_the_generated_property_ran_on_enough_projects() -> None:
    if GENERATED["projects"] == 0:
        pytest.skip("runs after the generated-projects property")
    print(f"\npartial-run property on generated projects: {GENERATED['projects']} projects, {GENERATED['files']} files")
    assert GENERATED["projects"] >= 60 and GENERATED["files"] >= 100
