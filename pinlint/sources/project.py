"""What the project's Compose files say about builds, for every file a run checks.

A Dockerfile means what the Compose files that build it make of it: their `build.args` feed its
`FROM` lines, and an image a service builds (`build:` with `image: NAME`) is a local build
output wherever the project names it (`FROM NAME`, `COPY --from=NAME`, another service's
`image: NAME`), not a registry reference. Checking one file must give the verdict checking the
whole project gives, so this reads every Compose file under the project root, whatever paths
the run was given. Likewise a Compose file that another one includes or extends is read with
the environment and working directory its includer gives it, whether or not the includer is
checked too (and whichever comes first).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from pinlint.config import Config
from pinlint.discover import project_compose_files
from pinlint.model import ImageUse
from pinlint.reference import ImageRef
from pinlint.sources import text as source_text
from pinlint.sources.expand import Value


class ProjectBuilds(NamedTuple):
    # canonical name:tag of a local build output → "service (file)" that builds it
    local_images: dict[str, str]
    # Dockerfile (resolved) → the build arguments and named contexts of each build of it
    builds: dict[Path, list[tuple[dict[str, Value], frozenset[str]]]]
    # Compose file (resolved) included or extended by another → (environment, working directory)
    related: dict[Path, tuple[Mapping[str, Value] | None, Path | None]]


def read_project(config: Config, shell: Mapping[str, Value], cwd: Path) -> ProjectBuilds:
    """The local images and builds of every Compose file under the project root; a file that
    cannot be read or parsed contributes nothing (it is reported when it is checked)."""
    from pinlint.discover import display_path
    from pinlint.sources.compose import parse_compose, project_environment

    local: dict[str, str] = {}
    builds: dict[Path, list[tuple[dict[str, Value], frozenset[str]]]] = {}
    related: dict[Path, tuple[Mapping[str, Value] | None, Path | None]] = {}
    texts: list[tuple[Path, str]] = []
    for path in project_compose_files(config):
        try:
            texts.append((path, source_text.read(path).text))
        except (OSError, source_text.DecodeError):
            continue
    # first what includes and extends give the files they name, then each file in that context
    for path, text in texts:
        env = project_environment(path.absolute().parent, shell)
        result = parse_compose(text, display_path(path, cwd), path, env)
        for other, variables in result.related:
            related.setdefault(other.resolve(), (variables, result.working_dirs.get(other.resolve())))
    walked = {path.resolve() for path, _ in texts}
    for other in related:
        if other not in walked and other.is_relative_to(config.root):  # `include: db.yaml` and the like
            try:
                texts.append((other, source_text.read(other).text))
            except (OSError, source_text.DecodeError):
                continue
    for path, text in texts:
        inherited, working_dir = related.get(path.resolve(), (None, None))
        env = dict(inherited) if inherited is not None else project_environment(path.absolute().parent, shell)
        result = parse_compose(text, display_path(path, cwd), path, env, working_dir)
        for name, service in result.local_images.items():
            local.setdefault(name, f"{service} ({display_path(path, cwd)})")
        for build in result.builds:
            builds.setdefault(build.dockerfile.resolve(), []).append((dict(build.args), build.contexts))
    return ProjectBuilds(local, builds, related)


def local_build(use: ImageUse, local_images: Mapping[str, str]) -> str | None:
    """The service that builds the image `use` names, when it is a local build output."""
    ref = use.ref
    if not isinstance(ref, ImageRef) or ref.digest is not None:
        return None
    return local_images.get(ref.canonical_tagged)
