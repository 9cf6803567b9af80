"""The shortcuts that make discovery fast keep its meaning: the source registry's name filter
(`Registry.may_claim`, the early reject in `kind_for`) against a plain reading of the kinds'
globs, the walk's string checks of excludes and ignore files against the whole-path ones, the
Compose-only project walk against the full walk, and `fix` walking the project once."""

from __future__ import annotations

import functools
import importlib
import os
import random
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePath
from typing import Any

import pytest

from pinlint import discover
from pinlint.config import Config
from pinlint.gitignore import GitIgnore, glob_regex
from pinlint.sources.registry import COMPOSE, KINDS, Registry, SourceKind

Cli = Callable[..., Any]
Write = Callable[..., Path]

# first bytes that one kind's detection each recognises, and some no kind does
HEADS: list[bytes | None] = [
    None,  # unreadable
    b"a: 1\n",
    b"apiVersion: v1\nkind: Pod\n",
    b"on: push\njobs:\n  a:\n    runs-on: x\n",
    b"stages: [build]\njob:\n  script: [make]\n",
    b"version: 2.1\njobs:\n  a: {}\n",
    b"pipelines:\n  default:\n    - step:\n        image: x\n",
    b'{"image": "x"}\n',
    b"services:\n  a:\n    image: x\n",
]


# -- a plain reading of the registry's documented semantics ---------------------------------------


@functools.cache
def _compiled(globs: tuple[str, ...]) -> list[tuple[int, bool, re.Pattern[str]]]:
    """(segments, on the path rather than the name, regex) for each glob, lower case."""
    patterns = [glob.strip("/").lower() for glob in globs]
    return [(p.count("/") + 1, "/" in p, glob_regex(p)) for p in patterns]


def _matches(globs: tuple[str, ...], parts: list[str]) -> bool:
    """Whether one of `globs` matches the file whose lower-cased path segments are `parts`."""
    for n, on_path, regex in _compiled(globs):
        if len(parts) >= n and regex.match("/".join(parts[-n:]) if on_path else parts[-1]):
            return True
    return False


def reference_kind(kinds: Sequence[SourceKind], path: PurePath, explicit: bool, head: bytes | None) -> str | None:
    """What `Registry.kind_for` answers, read off the kinds one glob at a time."""
    parts = [part.lower() for part in path.parts]
    for kind in kinds:
        beside = not kind.beside or any(os.path.isfile(os.path.join(path.parent, name)) for name in kind.beside)
        if _matches(kind.paths, parts) and not _matches(kind.exclude, parts) and beside:
            return kind.name
    if head is not None:
        text = head.decode("utf-8", errors="replace")
        for kind in kinds:
            detectable = kind.detect_in and (explicit or not kind.detect_explicit_only)
            if detectable and _matches(kind.detect_in, parts) and importlib.import_module(kind.module).detect(text):
                return kind.name
    if explicit:
        for kind in kinds:
            if _matches(kind.explicit, parts):
                return kind.name
    return None


def _instances(glob: str) -> list[str]:
    """Names or path ends a glob matches (and, by case, some it would not in a case-sensitive world)."""
    out = []
    for fill in ("", "Prod.v2"):
        text = glob.replace("**", fill).replace("*", fill).replace("?", "q")
        text = re.sub(r"\[!?([^]])[^]]*\]", r"\1", text)  # a bracket: its first character
        out += [text, text.swapcase()]
    return out


def _paths(kinds: Sequence[SourceKind], root: Path, rng: random.Random) -> list[Path]:
    """Every glob of `kinds` made into files at several places, near misses, and random names."""
    globs = [g for k in kinds for g in (*k.paths, *k.exclude, *k.explicit, *k.detect_in)]
    places = ["", "chart/", ".github/workflows/", ".circleci/", ".devcontainer/", ".devcontainer/x/"]
    paths = []
    for glob in globs:
        for instance in _instances(glob.strip("/")):
            for place in places:
                paths.append(root / place / instance)
                paths.append(root / place / (instance + ".bak"))
                paths.append(root / place / ("x" + instance))
    extensions = ["", "", ".json", ".go", ".yaml", ".YML", ".txt", ".dockerfile", ".jsonc", ".lock"]
    for _ in range(1000):
        name = f"{rng.getrandbits(64):x}{rng.choice(extensions)}"
        paths.append(root / rng.choice(places) / name)
    return paths


# -- the name filter ------------------------------------------------------------------------------


@pytest.fixture
def fake_module() -> Iterator[str]:
    """A kind module whose detection looks for `magic:` in the first bytes."""
    module = types.ModuleType("pinlint_test_speed_kind")
    module.detect = lambda head: "magic:" in head  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


def _compare(registry: Registry, paths: Sequence[Path], heads: Sequence[bytes | None]) -> None:
    rng = random.Random(5)
    for path in paths:
        for explicit in (False, True):
            for head in rng.sample(heads, min(3, len(heads))):  # every head, over many paths
                got = registry.kind_for(path, explicit=explicit, head=lambda head=head: head)  # type: ignore[misc]
                assert got == reference_kind(registry.kinds, path, explicit, head), (path, explicit, head)
                if got is not None and not explicit:
                    # a walk asking for this kind, or for any, does not skip the file
                    assert registry.may_claim(path.name, got), (path, got)
                    assert registry.may_claim(path.name), path


def test_the_built_in_kinds_answer_as_their_globs_say(tmp_path: Path) -> None:
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text("name: c\n")  # helm values are values only beside it
    paths = _paths(KINDS.kinds, tmp_path, random.Random(15))
    _compare(KINDS, paths, HEADS)


def test_globs_with_classes_wildcards_and_folders_answer_as_they_say(tmp_path: Path, fake_module: str) -> None:
    kinds = [
        SourceKind("bracket", fake_module, paths=("conf/[ab]?.CONF", "[!x]y*z.ini")),
        SourceKind("deep", fake_module, paths=("a/**/deep.cfg", "*/b/**"), exclude=("*.skip",)),
        SourceKind("detected", fake_module, paths=(), detect_in=("*.m?",)),
        SourceKind("later", fake_module, paths=("x*",), detect_in=("*.mx",), detect_explicit_only=True),
        SourceKind("fallback", fake_module, paths=(), explicit=("*",)),
    ]
    registry = Registry(kinds)
    names = ["conf/aq.conf", "conf/bq.CONF", "conf/cq.conf", "ay_z.ini", "xy_z.ini", "a/deep.cfg", "a/k/deep.cfg",
             "q/b/c", "q/b/c.skip", "n.mx", "n.mq", "n.m", "xn.mx", "other"]
    paths = [tmp_path / name for name in names] + _paths(kinds, tmp_path, random.Random(7))
    _compare(registry, paths, [None, b"magic: 1\n", b"plain\n"])
    assert registry.may_claim("other")  # `*/b/**` may end in any name
    assert not registry.may_claim("other", "bracket") and registry.may_claim("AQ.conf", "bracket")
    assert not Registry(kinds[:1]).may_claim("cq.conf")
    assert registry.may_claim("N.MQ", "detected") and not registry.may_claim("n.mq", "later")


def test_a_name_filter_missing_a_glob_is_caught(tmp_path: Path) -> None:
    """The comparison above fails when the filter rejects a name a kind claims."""
    registry = Registry(KINDS.kinds)
    registry._name_filters[None] = re.compile("(?!)")  # rejects every name
    with pytest.raises(AssertionError):
        _compare(registry, [tmp_path / "Dockerfile"], [None])


def test_only_compose_names_may_be_compose() -> None:
    assert KINDS.may_claim("docker-compose.PROD.yml", COMPOSE)
    assert KINDS.may_claim("compose-dev.yaml", COMPOSE)
    assert not KINDS.may_claim("Dockerfile", COMPOSE)
    assert not KINDS.may_claim("pod.yaml", COMPOSE)  # Compose does not look at content
    assert KINDS.may_claim("pod.yaml")  # Kubernetes does
    assert not KINDS.detects(COMPOSE)
    assert KINDS.detects("kubernetes")


# -- the walk -------------------------------------------------------------------------------------


def _tree(root: Path) -> None:
    files = {
        "Dockerfile": "FROM a\n",
        "compose.yaml": "services: {}\n",
        "svc/docker-compose.prod.yml": "services: {}\n",
        "svc/pod.yaml": "apiVersion: v1\nkind: Pod\n",
        "svc/notes.yaml": "a: 1\n",
        "svc/data.json": "{}\n",
        "ignored/compose.yaml": "services: {}\n",
        "deep/a/b/compose.yml": "services: {}\n",
        "deep/a/b/Containerfile": "FROM a\n",
        "deep/a/b/.gitignore": "*.yml\n!compose.yml\nlocal/\n",
        "deep/a/b/local/compose.yaml": "services: {}\n",
        "deep/a/b/x.yml": "apiVersion: v1\nkind: Pod\n",
        "skipme/compose.yaml": "services: {}\n",
        "vendor/lib/compose.yaml": "services: {}\n",
        "chart/Chart.yaml": "name: c\n",
        "chart/values.yaml": "image: x\n",
        "chart/templates/dep.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        "node_modules/x/compose.yaml": "services: {}\n",
    }
    rng = random.Random(3)
    for i in range(300):
        files[f"data/{i % 7}/{rng.getrandbits(48):x}{rng.choice(['', '.go', '.yaml', '.txt'])}"] = "x\n"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("ignored/\n")


def _brute_force(root: Path, config: Config) -> dict[Path, str]:
    """The walk's answer the slow way: every file below the root, whole-path checks throughout."""
    ignore = GitIgnore(root)
    for directory in sorted({root, *(p for p in root.rglob("*") if p.is_dir())}, key=lambda p: len(p.parts)):
        ignore.enter(directory)
    patterns = [glob_regex(p) for p in (*config.exclude, *config.extend_exclude)]
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if ".git" in rel.parts or not path.is_file() or ignore.ignored(path, False):
            continue
        steps = ["/".join(rel.parts[: i + 1]) for i in range(len(rel.parts))]
        if any(p.match(step) or p.match(part) for p in patterns for step, part in zip(steps, rel.parts, strict=True)):
            continue
        kind = KINDS.kind_for(path, explicit=False, head=functools.partial(_read_head, path))
        if kind is not None:
            found[path] = kind
    return found


def _read_head(path: Path) -> bytes:
    return path.read_bytes()[:4096]


def test_the_walk_finds_what_whole_path_checks_find(tmp_path: Path) -> None:
    _tree(tmp_path)
    config = Config(root=tmp_path, extend_exclude=("skipme", "vendor/lib", "data/3"))
    walked = dict(discover._walk(tmp_path, discover._Excluder(config)))
    assert walked == _brute_force(tmp_path, config)
    assert walked[tmp_path / "deep/a/b/compose.yml"] == COMPOSE
    assert tmp_path / "deep/a/b/x.yml" not in walked  # ignored by the nested .gitignore
    assert tmp_path / "svc/pod.yaml" in walked  # by content
    compose = discover.project_compose_files(config)
    assert compose == [path for path, kind in discover._walk(tmp_path, discover._Excluder(config)) if kind == COMPOSE]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in compose) == [
        "compose.yaml",
        "deep/a/b/compose.yml",
        "svc/docker-compose.prod.yml",
    ]


def test_the_project_walk_for_compose_reads_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)

    def unreadable(path: Path) -> bytes:
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(discover, "_head", unreadable)
    assert len(discover.project_compose_files(Config(root=tmp_path))) == 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("paths", [["."], ["Dockerfile"]])
def test_a_named_pipe_is_not_opened_to_look_at_its_content(tmp_path: Path, paths: list[str]) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    os.mkfifo(tmp_path / "pod.yaml")  # opening it for its first bytes would wait for a writer
    run = subprocess.run(
        [sys.executable, "-m", "pinlint", "check", "--no-config", *paths],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("All checks passed!"), run.stdout


def test_an_exclude_with_a_folder_is_matched_against_the_path_below_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path / "deep")
    config = Config(root=tmp_path, extend_exclude=("a/b",))  # names a/b below the root: nothing here
    assert Path("a/b/compose.yml") in dict(discover._walk(Path("a"), discover._Excluder(config)))
    config = Config(root=tmp_path, extend_exclude=("deep/a/b",))
    assert dict(discover._walk(Path("a"), discover._Excluder(config))) == {}


def test_an_exclude_with_a_folder_applies_through_a_symlinked_start(tmp_path: Path) -> None:
    root = tmp_path / "real"
    (root / "sub" / "skip").mkdir(parents=True)
    (root / "sub" / "skip" / "Dockerfile").write_text("FROM a\n")
    (root / "sub" / "Dockerfile").write_text("FROM a\n")
    (tmp_path / "link").symlink_to(root)
    config = Config(root=root, extend_exclude=("sub/skip",))
    walked = dict(discover._walk(tmp_path / "link", discover._Excluder(config)))
    assert walked == {tmp_path / "link/sub/Dockerfile": "dockerfile"}


# -- fix walks the project once -------------------------------------------------------------------


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The kind each walk of the run asked for (None: every kind)."""
    calls: list[str | None] = []
    original = discover._walk

    def counted(*args: Any, **kwargs: Any) -> Iterator[tuple[Path, str]]:
        calls.append(kwargs.get("want"))
        return original(*args, **kwargs)

    monkeypatch.setattr(discover, "_walk", counted)
    return calls


def test_the_project_is_walked_again_outside_a_reusing_block(tmp_path: Path, walks: list[str | None]) -> None:
    _tree(tmp_path)
    config = Config(root=tmp_path)
    first = discover.project_compose_files(config)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "compose.yaml").write_text("services: {}\n")
    assert sorted(discover.project_compose_files(config)) == sorted([*first, tmp_path / "more/compose.yaml"])
    assert walks == [COMPOSE, COMPOSE]


def test_a_reusing_block_walks_once_unless_an_ignore_file_changed(tmp_path: Path, walks: list[str | None]) -> None:
    _tree(tmp_path)
    config = Config(root=tmp_path)
    with discover.reusing_project_walk():
        first = discover.project_compose_files(config)
        (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: b\n")  # new text, same file
        assert discover.project_compose_files(config) == first
        assert walks == [COMPOSE]
        other = Config(root=tmp_path / "svc")
        assert discover.project_compose_files(other) == [tmp_path / "svc/docker-compose.prod.yml"]
        assert walks == [COMPOSE, COMPOSE]  # another project is walked on its own
        (tmp_path / "deep/a/b/.gitignore").write_text("*.yml\nlocal/\n")  # now ignores compose.yml there
        assert discover.project_compose_files(config) == [p for p in first if p.name != "compose.yml"]
        assert walks == [COMPOSE, COMPOSE, COMPOSE]
    discover.project_compose_files(config)
    assert walks == [COMPOSE, COMPOSE, COMPOSE, COMPOSE]


@pytest.mark.usefixtures("isolated")
def test_fix_walks_the_project_for_compose_files_once(
    cli: Cli, write: Write, registry: Any, images: Any, walks: list[str | None]
) -> None:
    # the report after the fix needs the Compose file again: it builds the second stage's image
    write("compose.yaml", "services:\n  base:\n    build: ./base\n    image: local/base:1\n")
    write("base/Dockerfile", "FROM scratch\n")
    dockerfile = write("app/Dockerfile", f"FROM {registry.host}/test/app:single-oci AS a\nFROM local/base:1\n")
    run = cli("fix", "--no-config", "app/Dockerfile")
    assert run.code == 0, run.out + run.err
    assert dockerfile.read_text() == (
        f"FROM {registry.host}/test/app:single-oci@{images['single-oci'].digest} AS a\nFROM local/base:1\n"
    )
    assert run.out.strip() == "All checks passed! (1 file checked)"
    assert walks == [COMPOSE]


def test_update_walks_the_project_for_compose_files_once(
    cli: Cli, write: Write, registry: Any, images: Any, walks: list[str | None]
) -> None:
    write("compose.yaml", "services:\n  base:\n    build: ./base\n    image: local/base:1\n")
    write("base/Dockerfile", "FROM scratch\n")
    stale = "sha256:" + "0" * 64
    dockerfile = write("app/Dockerfile", f"FROM {registry.host}/test/app:single-oci@{stale} AS a\nFROM local/base:1\n")
    run = cli("update", "--no-config", "app/Dockerfile")
    assert run.code == 0, run.out + run.err
    assert dockerfile.read_text() == (
        f"FROM {registry.host}/test/app:single-oci@{images['single-oci'].digest} AS a\nFROM local/base:1\n"
    )
    assert walks == [COMPOSE]  # the update pass and the report after it share one walk


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["."], [None]),  # discovery walks the project root: its Compose files come from that walk
        (["Dockerfile"], [COMPOSE]),
        (["app"], [None, COMPOSE]),  # not the whole project
    ],
)
def test_check_walks_the_project_once(
    cli: Cli, write: Write, walks: list[str | None], paths: list[str], expected: list[str | None]
) -> None:
    write("compose.yaml", "services:\n  base:\n    build: ./base\n    image: local/base:1\n")
    write("base/Dockerfile", "FROM scratch\n")
    write("Dockerfile", "FROM local/base:1\n")
    write("app/Dockerfile", "FROM local/base:1\n")
    run = cli("check", "--no-config", *paths)
    assert run.code == 0, run.out + run.err  # local/base:1 is known to be built here in every case
    assert walks == expected


def test_a_dockerfile_checked_alone_parses_each_project_compose_file_once_unless_included(
    cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's Compose files are read for what they build; a file nothing includes is read
    in its own context both times the project is gathered, so its first reading is reused. A file
    another one includes is read again, in its includer's context."""
    from pinlint.sources import compose

    parsed: list[str] = []
    original = compose.parse_compose

    def counted(text: str, display: str, *args: Any, **kwargs: Any) -> compose.ComposeResult:
        parsed.append(display)
        return original(text, display, *args, **kwargs)

    monkeypatch.setattr(compose, "parse_compose", counted)
    services = "services:\n  app:\n    build: ./app\n    image: local/app:1\n"
    write("compose.yaml", "include:\n  - db/compose.yaml\n" + services)
    write("db/compose.yaml", "services:\n  db:\n    build:\n      context: .\n      args:\n        BASE: scratch\n")
    write("db/Dockerfile", "ARG BASE=alpine:3.20\nFROM ${BASE}\n")
    write("app/Dockerfile", "FROM scratch\n")
    write("other/Dockerfile", "FROM local/app:1\n")
    run = cli("check", "--no-config", "other/Dockerfile")
    assert run.code == 0, run.out + run.err  # local/app:1 is built by the project
    assert sorted(parsed) == ["compose.yaml", "db/compose.yaml", "db/compose.yaml"]
