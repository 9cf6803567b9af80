"""`pinlint lock`: write or refresh the lock file, resolving every tagged reference of the run.

The lock belongs to the project root (`common.lock_path`), like Cargo's:

- a locked digest never moves here (only `update` moves it); a reference not yet locked is
  resolved and added;
- a run over some files (paths, or from a subdirectory) adds and refreshes the entries of those
  files and keeps every other entry; only a whole-project run removes the entries whose
  reference it no longer finds;
- recorded platforms are kept; the platforms asked for (`--platforms` or the configuration) are
  added. A single-platform image records its own platform (read from its config blob); a
  platform an index lacks is a warning, the reference's PIN013 online, not a registry failure.

`build_lock` is shared with `fix`, which records the references it pins the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinlint import trust
from pinlint.commands import Outcome, common
from pinlint.engine import Selection, image_ignored
from pinlint.platforms import platform_key_text, validate_platforms
from pinlint.reference import ImageRef
from pinlint.trust import UserChoices

if TYPE_CHECKING:
    from pinlint import lockfile
    from pinlint.registry.manifest import Manifest


class LockOptions(NamedTuple):
    paths: Sequence[str] = ()
    config_file: str | None = None
    use_config: bool = True
    platforms: Sequence[str] | None = None  # None: the recorded ones and the configuration's
    use_cache: bool = True
    verbose: int = 0
    diff: bool = False
    choices: UserChoices = UserChoices()  # trust and environment, from the command line


class LockOutcome:
    """The lock entries a run arrived at; one line per reference it could not lock (`errors`,
    exit 3) and per thing worth knowing that is not a failure (`warnings`)."""

    __slots__ = ("entries", "errors", "warnings")

    def __init__(self, entries: dict[str, lockfile.LockEntry]) -> None:
        self.entries = entries
        self.errors: list[str] = []
        self.warnings: list[str] = []


def _tag_ref(ref: ImageRef) -> ImageRef:
    return ImageRef(ref.domain, ref.path, ref.tag or "latest", None)


def _platforms_of(
    key: str, answer: Manifest, wanted: Iterable[str], digest: str, warnings: list[str]
) -> dict[str, str]:
    """The platform table for the wanted platforms: an index's children, or a single image's own."""
    wanted = list(wanted)
    if not wanted:
        return {}
    if answer.is_index:
        available = dict(answer.platforms or {})
    elif answer.platform:
        available = {answer.platform: digest}
    else:
        warnings.append(f"{key}: a single-platform image whose platform could not be read; none recorded")
        return {}
    found: dict[str, str] = {}
    missing = []
    for platform in wanted:
        child = available.get(platform_key_text(platform))
        if child is None:
            missing.append(platform)
        else:
            found[platform] = child
    if not answer.is_index and answer.platform and answer.platform not in {platform_key_text(p) for p in wanted}:
        found[answer.platform] = digest  # what it is, rather than nothing
    if missing:
        what = "index" if answer.is_index else "single-platform image"
        have = ", ".join(sorted(available)) or "none"
        warnings.append(f"{key}: the {what} has no {', '.join(missing)} (it has {have})")
    return found


def build_lock(
    collected: common.Collected,
    platforms: Sequence[str],
    resolve: common.Resolver,
    *,
    whole: bool,
    replace_platforms: bool = False,
) -> LockOutcome:
    """The lock after a run over `collected`'s files. `platforms`: wanted for the entries of the
    run (added to the recorded ones, or instead of them with `replace_platforms`); `whole`: the
    run covered the project, so entries it did not find are removed. `resolve(refs,
    want_platforms)` returns (str(ref) → Manifest, str(ref) → reason)."""
    from pinlint import lockfile

    config = collected.config
    base = common.lock_path(config).parent
    existing = dict(collected.lock or {})
    run_files = {common.relative_source(record.path, base) for record in collected.outcome.sources.values()}
    sources: dict[str, set[str]] = {}
    inline: dict[str, set[str]] = {}
    refs: dict[str, ImageRef] = {}
    for use in common.all_uses(collected):
        ref = use.ref
        assert ref is not None
        if (ref.digest is not None and ref.tag is None) or image_ignored(use, config.ignore_images):
            continue
        key = ref.canonical_tagged
        record = collected.outcome.sources.get(use.path)
        sources.setdefault(key, set()).add(common.relative_source(record.path, base) if record else use.path)
        refs.setdefault(key, _tag_ref(ref))
        if ref.digest is not None:
            inline.setdefault(key, set()).add(ref.digest)
    outcome = LockOutcome({})
    for key, entry in existing.items():  # every other entry is kept (minus the files that dropped it)
        if key in refs:
            continue
        if whole:
            continue
        kept = tuple(s for s in entry.sources if s not in run_files)
        outcome.entries[key] = entry._replace(sources=kept)
    to_resolve: dict[str, ImageRef] = {}
    wanted: dict[str, list[str]] = {}
    for key, ref in refs.items():
        previous = existing.get(key)
        recorded = [] if previous is None or replace_platforms else list(previous.platforms)
        recorded_keys = {platform_key_text(p) for p in recorded}
        wanted[key] = recorded + [p for p in platforms if platform_key_text(p) not in recorded_keys]
        digests = inline.get(key, set())
        if previous is not None:
            others = sorted(digests - {previous.digest})
            if others:
                outcome.warnings.append(
                    f"{key}: pinned to {', '.join(others)} in the files but locked to {previous.digest}; "
                    "the lock keeps its digest (`pinlint update` moves both)"
                )
            all_sources = sources[key] if whole else (set(previous.sources) - run_files) | sources[key]
            entry = previous._replace(sources=tuple(sorted(all_sources)))
            have = {platform_key_text(p) for p in previous.platforms}
            if all(platform_key_text(p) in have for p in wanted[key]):
                keep = {platform_key_text(p) for p in wanted[key]}
                platforms_kept = {p: d for p, d in previous.platforms.items() if platform_key_text(p) in keep}
                outcome.entries[key] = entry._replace(platforms=platforms_kept)
                continue  # nothing to ask: the locked digest does not move
            outcome.entries[key] = entry
            to_resolve[key] = ImageRef(ref.domain, ref.path, ref.tag, previous.digest)
        elif len(digests) > 1:
            listed = ", ".join(sorted(digests))
            outcome.errors.append(f"{key}: pinned to different digests in different places ({listed})")
        elif digests:
            to_resolve[key] = ImageRef(ref.domain, ref.path, ref.tag, next(iter(digests)))
        else:
            to_resolve[key] = ref
    if not to_resolve:
        return outcome
    platformed = any(wanted[k] for k in to_resolve)
    manifests, errors = resolve(list(to_resolve.values()), platformed, own_platform=platformed)
    for key, ref in sorted(to_resolve.items()):
        answer = manifests.get(str(ref))
        previous = existing.get(key)
        if answer is None:
            outcome.errors.append(f"{key}: {errors.get(str(ref), 'not resolved')}")
            continue  # a locked entry stays as it was (set above)
        digest = ref.digest or answer.digest
        found = _platforms_of(key, answer, wanted[key], digest, outcome.warnings)
        if previous is not None:
            merged = {} if replace_platforms else dict(previous.platforms)
            merged.update(found)
            outcome.entries[key] = outcome.entries[key]._replace(platforms=merged)
            continue
        outcome.entries[key] = lockfile.LockEntry(
            reference=key,
            digest=digest,
            media_type=answer.media_type,
            resolved_at=lockfile.now(),
            sources=tuple(sorted(sources[key])),
            platforms=found,
        )
    return outcome


def covers_project(paths: Sequence[str], root: Path) -> bool:
    """Whether a run over `paths` (default `.`) covers the whole project at `root`."""
    import os

    top = Path(os.path.realpath(root))
    return any(Path(os.path.realpath(p)) == top for p in (paths or ["."]))


def lock_change(
    path: Path,
    display: str,
    entries: Mapping[str, lockfile.LockEntry],
    diff: bool,
    within: Sequence[Path] | None = None,
) -> tuple[bool, str]:
    """(whether the lock changes, the diff to print with `diff`); writes it without `diff`, only
    inside `within` (the project, see common.lock_roots)."""
    from pinlint import lockfile

    if not diff:
        return lockfile.write(path, entries, within), ""
    text = lockfile.diff(path, display, entries)
    return bool(text), text


def run(options: LockOptions) -> Outcome:
    config = common.load_config(options.config_file, options.use_config, options.paths, choices=options.choices)
    explicit = validate_platforms(options.platforms, "--platforms") if options.platforms is not None else None
    collected = common.collect(config, Selection.build(config), options.paths)
    ask = common.resolver(config, use_cache=options.use_cache, verbose=options.verbose)
    path = common.lock_path(config)
    outcome = build_lock(
        collected,
        explicit if explicit is not None else list(config.platforms),
        ask,
        whole=covers_project(options.paths, path.parent),
        replace_platforms=explicit is not None,
    )
    notes = [f"warning: {w}" for w in outcome.warnings]
    changed, diff = False, ""
    display = common.relative_source(path, Path.cwd())
    if outcome.entries or path.exists():
        within = common.lock_roots(config, trust.project_roots(config, options.paths))
        changed, diff = lock_change(path, display, outcome.entries, options.diff, within)
        images = "image" if len(outcome.entries) == 1 else "images"
        state = ("would change" if options.diff else "written") if changed else "unchanged"
        notes.append(f"{display}: {len(outcome.entries)} {images}, {state}.")
    else:
        notes.append(f"No image references to lock; {config.lock_file} not written.")
    return Outcome(
        findings=options.diff and changed,
        registry_failed=bool(outcome.errors),
        usage_failed=bool(collected.path_errors),
        files_checked=collected.outcome.result.files_checked,
        errors=(*collected.path_errors, *outcome.errors),
        notes=tuple(notes),
        output=diff,
    )
