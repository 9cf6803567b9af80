"""`pinlint lock`: write or refresh the lock file, resolving every tagged reference of the run.

The lock belongs to the project root; entries of files not in this run are kept, a locked
digest never moves here (only `update` moves it), recorded platforms are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from pinlint.commands import Outcome, common
from pinlint.engine import Selection, image_ignored
from pinlint.platforms import platform_key_text
from pinlint.reference import ImageRef

if TYPE_CHECKING:
    from pinlint import lockfile


class LockOptions(NamedTuple):
    paths: Sequence[str] = ()
    config_file: str | None = None
    use_config: bool = True
    platforms: Sequence[str] | None = None  # None: the configuration's
    use_cache: bool = True
    verbose: int = 0


class LockOutcome:
    """The lock entries a `lock` run arrived at, and one line per reference it could not lock."""

    __slots__ = ("entries", "errors")

    def __init__(self, entries: dict[str, lockfile.LockEntry]) -> None:
        self.entries = entries
        self.errors: list[str] = []


def build_lock(
    collected: common.Collected,
    platforms: list[str],
    resolve: common.Resolver,
) -> LockOutcome:
    """Lock entries for every tagged reference of the run; `resolve(refs, want_platforms)`
    returns (str(ref) → Manifest, str(ref) → reason)."""
    from pinlint import lockfile

    config = collected.config
    base = common.lock_path(config).parent
    existing = collected.lock or {}
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
        refs.setdefault(key, ImageRef(ref.domain, ref.path, ref.tag or "latest", None))
        if ref.digest is not None:
            inline.setdefault(key, set()).add(ref.digest)
    outcome = LockOutcome({})
    to_resolve: dict[str, ImageRef] = {}
    for key, ref in refs.items():
        digests = inline.get(key, set())
        if len(digests) > 1:
            listed = ", ".join(sorted(digests))
            outcome.errors.append(f"{key}: pinned to different digests in different places ({listed})")
            continue
        if digests:
            to_resolve[key] = ImageRef(ref.domain, ref.path, ref.tag, next(iter(digests)))
        else:
            to_resolve[key] = ref
    manifests, errors = resolve(list(to_resolve.values()), bool(platforms))
    for key, ref in sorted(to_resolve.items()):
        answer = manifests.get(str(ref))
        if answer is None:
            outcome.errors.append(f"{key}: {errors.get(str(ref), 'not resolved')}")
            if key in existing:
                outcome.entries[key] = existing[key]
            continue
        digest = ref.digest or answer.digest
        found: dict[str, str] = {}
        if platforms and not answer.is_index:
            # which platform a single manifest is for is in its config blob, which is not fetched
            listed = ", ".join(platforms)
            outcome.errors.append(f"{key}: a single-platform image, not an index; cannot record {listed}")
        elif platforms:
            available = dict(answer.platforms or {})
            for platform in platforms:
                wanted = platform_key_text(platform)
                if wanted not in available:
                    have = ", ".join(sorted(available)) or "none"
                    outcome.errors.append(f"{key}: platform {platform} is missing from the index (it has {have})")
                else:
                    found[platform] = available[wanted]
        previous = existing.get(key)
        resolved_at = previous.resolved_at if previous is not None and previous.digest == digest else lockfile.now()
        outcome.entries[key] = lockfile.LockEntry(
            reference=key,
            digest=digest,
            media_type=answer.media_type,
            resolved_at=resolved_at,
            sources=tuple(sorted(sources[key])),
            platforms=found,
        )
    return outcome


def run(options: LockOptions) -> Outcome:
    from pinlint import lockfile

    config = common.load_config(options.config_file, options.use_config, options.paths)
    collected = common.collect(config, Selection.build(config), options.paths)
    platforms = list(options.platforms) if options.platforms else list(config.platforms)
    ask = common.resolver(config, use_cache=options.use_cache, verbose=options.verbose)
    outcome = build_lock(collected, platforms, ask)
    path = common.lock_path(config)
    notes = []
    if outcome.entries or path.exists():
        state = "written" if lockfile.write(path, outcome.entries) else "unchanged"
        images = "image" if len(outcome.entries) == 1 else "images"
        notes.append(f"{config.lock_file}: {len(outcome.entries)} {images}, {state}.")
    else:
        notes.append(f"No image references to lock; {config.lock_file} not written.")
    return Outcome(
        registry_failed=bool(outcome.errors),
        usage_failed=bool(collected.path_errors),
        files_checked=collected.outcome.result.files_checked,
        errors=(*collected.path_errors, *outcome.errors),
        notes=tuple(notes),
    )
