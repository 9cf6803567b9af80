"""`pinlint update`: re-resolve references that carry a digest and rewrite the digests whose tag
moved, inline and in the lock file. The only command that moves a digest already written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pinlint import runner
from pinlint.commands import Outcome, common
from pinlint.engine import Selection
from pinlint.model import RunResult
from pinlint.platforms import platform_key_text
from pinlint.reference import ImageRef

if TYPE_CHECKING:
    from pinlint import lockfile
    from pinlint.registry.manifest import Manifest


class UpdateOptions(NamedTuple):
    paths: Sequence[str] = ()
    config_file: str | None = None
    use_config: bool = True
    diff: bool = False
    use_cache: bool = True
    verbose: int = 0


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
    from pinlint import lockfile
    from pinlint.fix import plan_updates, write_changes

    common.refuse_stdin(options.paths, "update")
    config = common.load_config(options.config_file, options.use_config, options.paths)
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
    notes: list[str] = []
    after: RunResult | None = None
    if not options.diff:
        write_changes(plan)
        if plan.changes:  # what the files say now that they are written (the exit code stays update's)
            after = common.collect(config, selection, options.paths).outcome.result
        if lock is not None and lockfile.write(common.lock_path(config), refresh_lock(lock, report.manifests)):
            notes.append(f"Updated {config.lock_file}.")
    return Outcome(
        # a digest the registry answered for but that could not be rewritten is left for the user
        findings=bool(plan.failures) or bool(options.diff and plan.changes),
        registry_failed=bool(report.errors),
        usage_failed=bool(collected.path_errors),
        files_checked=collected.outcome.result.files_checked,
        errors=tuple(collected.path_errors),
        plan=plan,
        notes=tuple(notes),
        report=after,
    )
