"""`pinlint update`: re-resolve references that carry a digest and rewrite the digests whose tag
moved, inline and in the lock file. The only command that moves a digest already written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinlint import discover, runner, trust
from pinlint.commands import Outcome, common
from pinlint.commands.lock import lock_change
from pinlint.engine import Selection
from pinlint.model import RunResult
from pinlint.platforms import platform_key_text
from pinlint.reference import ImageRef
from pinlint.trust import UserChoices

if TYPE_CHECKING:
    from pinlint import lockfile
    from pinlint.fix import Plan
    from pinlint.registry.manifest import Manifest


class UpdateOptions(NamedTuple):
    paths: Sequence[str] = ()
    config_file: str | None = None
    use_config: bool = True
    diff: bool = False
    use_cache: bool = True
    verbose: int = 0
    choices: UserChoices = UserChoices()  # trust and environment, from the command line


def _lock_tag(key: str) -> ImageRef | None:
    from pinlint import reference

    try:
        ref = reference.parse(key)
    except reference.ReferenceError:
        return None
    return ImageRef(ref.domain, ref.path, ref.tag or "latest", None)


def lock_tags(lock: Mapping[str, lockfile.LockEntry]) -> list[ImageRef]:
    """The tag of every lock entry, to re-resolve."""
    return [tag for key in lock if (tag := _lock_tag(key)) is not None]


def refresh_lock(
    lock: Mapping[str, lockfile.LockEntry], manifests: Mapping[str, Manifest]
) -> dict[str, lockfile.LockEntry]:
    """The lock after `update`: an entry whose tag now points to another digest (`manifests`:
    str(tag ref) → Manifest) takes that digest, its media type, a new resolved-at and, for
    the platforms it recorded, the new index's children (when the answer lists them).
    Every other entry stays as it is."""
    from pinlint import lockfile

    refreshed = dict(lock)
    for key, entry in lock.items():
        answer = manifests.get(str(_lock_tag(key)))
        if answer is None or answer.digest == entry.digest:
            continue
        children = dict(answer.platforms or {})
        platforms = {p: children[platform_key_text(p)] for p in entry.platforms if platform_key_text(p) in children}
        refreshed[key] = lockfile.LockEntry(
            key, answer.digest, answer.media_type, lockfile.now(), entry.sources, platforms
        )
    return refreshed


def run(options: UpdateOptions) -> Outcome:
    """Move every pinned digest (and the lock's) to what its tag names now, then lint again what
    was written. The project is walked for its Compose files once: updating adds no file."""
    with discover.reusing_project_walk():
        return _update(options)


def _update(options: UpdateOptions) -> Outcome:
    from pinlint.fix import plan_updates, write_changes

    common.refuse_stdin(options.paths, "update")
    config = common.load_config(options.config_file, options.use_config, options.paths, choices=options.choices)
    selection = Selection.build(config)
    collected = common.collect(config, selection, options.paths)
    uses = [u for u in common.all_uses(collected) if u.ref is not None and u.ref.digest and u.ref.tag]
    tags = [ImageRef(r.domain, r.path, r.tag, None) for u in uses if (r := u.ref) is not None]
    lock = collected.lock
    if lock is not None:
        tags += lock_tags(lock)  # what only the lock pins (composed references) moves too
    want_platforms = lock is not None and any(entry.platforms for entry in lock.values())
    report = common.resolve(
        config, tags, use_cache=options.use_cache, verbose=options.verbose, want_platforms=want_platforms, fresh=True
    )
    digests = {key: m.digest for key, m in report.manifests.items()}
    plan = plan_updates(uses, digests, report.errors, collected.outcome.sources, runner.reparse)
    notes = moved_lines(plan, digests)
    lock_changed, lock_diff = False, ""
    roots = trust.project_roots(config, options.paths)
    if lock is not None:
        refreshed = refresh_lock(lock, report.manifests)
        for key, entry in sorted(refreshed.items()):
            if entry.digest != lock[key].digest:
                notes.append(f"{config.lock_file}: {key}: {lock[key].digest} → {entry.digest}")
        path = common.lock_path(config)
        within = common.lock_roots(config, roots)
        lock_changed, lock_diff = lock_change(
            path, common.relative_source(path, Path.cwd()), refreshed, options.diff, within
        )
    after: RunResult | None = None
    if not options.diff:
        write_changes(plan, roots)
        if plan.changes:  # what the files say now that they are written (the exit code stays update's)
            after = common.collect(config, selection, options.paths).outcome.result
        if lock_changed:
            notes.append(f"Updated {config.lock_file}.")
    return Outcome(
        # a digest the registry answered for but that could not be rewritten is left for the user
        findings=bool(plan.failures) or bool(options.diff and (plan.changes or lock_changed)),
        registry_failed=bool(report.errors),
        usage_failed=bool(collected.path_errors),
        files_checked=collected.outcome.result.files_checked,
        errors=tuple(collected.path_errors),
        plan=plan,
        notes=tuple(notes),
        output=lock_diff,
        report=after,
    )


def moved_lines(plan: Plan, digests: Mapping[str, str]) -> list[str]:
    """`name:tag: old → new` once for each digest the plan moves (`digests`: str(tag ref) → now)."""
    lines: dict[str, None] = {}
    for change in plan.changes:
        for use in change.uses:
            ref = use.ref
            assert ref is not None and ref.digest is not None
            new = digests.get(str(ImageRef(ref.domain, ref.path, ref.tag, None)), "?")
            lines.setdefault(f"{ref.name}:{ref.tag}: {ref.digest} → {new}")
    return list(lines)
