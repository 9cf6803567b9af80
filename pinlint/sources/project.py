"""What the project's Compose files say about builds, for every file a run checks.

A Dockerfile means what the Compose files that build it make of it: their `build.args` feed its
`FROM` lines, and an image a service builds (`build:` with `image: NAME`) is a local build
output wherever the project names it (`FROM NAME`, `COPY --from=NAME`, another service's
`image: NAME`), not a registry reference. Checking one file must give the verdict checking the
whole project gives, so this reads every Compose file under the project root, whatever paths
the run was given. Likewise a Compose file that another one includes or extends is read with
the environment and working directory its includer gives it, whether or not the includer is
checked too (and whichever comes first). The Compose source offers this to the runner through
the source registry's project hooks (`project_contexts`, `built_locally`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinlint.model import ImageUse
from pinlint.reference import ImageRef
from pinlint.sources import text as source_text
from pinlint.sources.expand import Value
from pinlint.sources.registry import COMPOSE, DOCKERFILE

if TYPE_CHECKING:
    from pinlint.config import Config
    from pinlint.sources.compose import ComposeResult


class Includer(NamedTuple):
    """How a Compose file that includes or extends another has it read: the whole environment
    it is interpolated with, and the directory its relative paths resolve against (None: the
    file's own folder)."""

    env: Mapping[str, Value]
    working_dir: Path | None = None


class ProjectBuilds(NamedTuple):
    # canonical name:tag of a local build output → "service (file)" that builds it
    local_images: dict[str, str]
    # (kind, resolved path) → the contexts the project's Compose files name that file with: a
    # Dockerfile's BuildVariants, an included or extended Compose file's Includer (the first one)
    contexts: dict[tuple[str, Path], list[object]]


def read_project(config: Config | None, shell: Mapping[str, Value], cwd: Path) -> ProjectBuilds:
    """The local images and builds of every Compose file under the project root; a file that
    cannot be read or parsed contributes nothing (it is reported when it is checked)."""
    from pinlint.discover import display_path, project_compose_files
    from pinlint.sources.compose import parse_compose, project_environment
    from pinlint.sources.dockerfile import BuildVariant

    local: dict[str, str] = {}
    contexts: dict[tuple[str, Path], list[object]] = {}
    if config is None:
        return ProjectBuilds(local, contexts)
    related: dict[Path, Includer] = {}
    texts: list[tuple[Path, str]] = []
    roots = config.roots
    for path in project_compose_files(config):
        try:
            texts.append((path, source_text.read_inside(path, roots).text))
        except (OSError, source_text.DecodeError):
            continue
    # first what includes and extends give the files they name, then each file in that context
    # (a file nothing includes keeps its own context: its first reading is its reading)
    first: dict[Path, ComposeResult] = {}
    for path, text in texts:
        env = project_environment(path.absolute().parent, shell, roots)
        result = first[path] = parse_compose(text, display_path(path, cwd), path, env, None, roots)
        for other, variables in result.related:
            related.setdefault(other.resolve(), Includer(variables, result.working_dirs.get(other.resolve())))
    walked = {path.resolve() for path, _ in texts}
    for other in related:
        if other not in walked and other.is_relative_to(config.root):  # `include: db.yaml` and the like
            try:
                texts.append((other, source_text.read_inside(other, roots).text))
            except (OSError, source_text.DecodeError):
                continue
    for path, text in texts:
        includer = related.get(path.resolve())
        if includer is not None:
            result = parse_compose(text, display_path(path, cwd), path, dict(includer.env), includer.working_dir, roots)
        elif path in first:
            result = first[path]
        else:
            env = project_environment(path.absolute().parent, shell, roots)
            result = parse_compose(text, display_path(path, cwd), path, env, None, roots)
        for name, service in result.local_images.items():
            local.setdefault(name, f"{service} ({display_path(path, cwd)})")
        for build in result.builds:
            variant = BuildVariant(dict(build.args), build.contexts)
            contexts.setdefault((DOCKERFILE, build.dockerfile.resolve()), []).append(variant)
    for other, includer in related.items():
        contexts[(COMPOSE, other)] = [includer]
    return ProjectBuilds(local, contexts)


def local_build(use: ImageUse, local_images: Mapping[str, str]) -> str | None:
    """The service that builds the image `use` names, when it is a local build output."""
    ref = use.ref
    if not isinstance(ref, ImageRef) or ref.digest is not None:
        return None
    return local_images.get(ref.canonical_tagged)
