"""`pinlint fix`: pin every fixable reference in place, from the registry or (`from_lock`) the lock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinlint import runner, trust
from pinlint.commands import Outcome, common
from pinlint.engine import Selection
from pinlint.errors import UsageError
from pinlint.model import Diagnostic, ImageUse, RunResult
from pinlint.reference import ImageRef
from pinlint.trust import UserChoices

if TYPE_CHECKING:
    from pinlint import lockfile
    from pinlint.registry.manifest import Manifest


class FixOptions(NamedTuple):
    paths: Sequence[str] = ()
    config_file: str | None = None
    use_config: bool = True
    select: Sequence[str] | None = None
    ignore: Sequence[str] = ()
    fail_level: str | None = None
    diff: bool = False
    from_lock: bool = False
    use_cache: bool = True
    verbose: int = 0
    choices: UserChoices = UserChoices()  # trust and environment, from the command line


def _digests_from_lock(collected: common.Collected, refs: list[ImageRef]) -> tuple[dict[str, str], dict[str, str]]:
    if collected.lock is None:
        raise UsageError(f"--from-lock: no lock file at {common.lock_path(collected.config)} (run `pinlint lock`)")
    digests: dict[str, str] = {}
    errors: dict[str, str] = {}
    for ref in refs:
        entry = collected.lock.get(ref.canonical_tagged)
        if entry is None:
            errors[str(ref)] = f"not in {collected.config.lock_file} (run `pinlint lock`)"
        else:
            digests[str(ref)] = entry.digest
    return digests, errors


def _remaining(diagnostics: list[Diagnostic], fixed: list[ImageUse]) -> list[Diagnostic]:
    """The diagnostics that the pins written do not repair."""
    places = {(u.path, u.span.start, u.span.end) for u in fixed}
    return [
        d
        for d in diagnostics
        if not (d.fixable and d.use is not None and (d.use.path, d.use.span.start, d.use.span.end) in places)
    ]


def _record(
    collected: common.Collected, answers: Mapping[str, Manifest], options: FixOptions
) -> tuple[bool, str, list[str], dict[str, lockfile.LockEntry]]:
    """Add what this run resolved to the lock (locked digests stay): (changed, diff, errors, entries)."""
    from pinlint.commands.lock import build_lock, lock_change

    config = collected.config
    fresh = common.resolver(config, use_cache=options.use_cache, verbose=options.verbose)

    def ask(
        refs: list[ImageRef], want_platforms: bool, *, own_platform: bool = False
    ) -> tuple[Mapping[str, Manifest], Mapping[str, str]]:
        known: dict[str, Manifest] = {}
        rest = []
        for ref in refs:
            plain = ref.digest is None and not want_platforms and not own_platform
            answer = answers.get(ref.canonical_tagged) if plain else None
            if answer is not None:
                known[str(ref)] = answer
            else:
                rest.append(ref)
        if not rest:
            return known, {}
        more, errors = fresh(rest, want_platforms, own_platform=own_platform)
        return {**known, **more}, errors

    outcome = build_lock(collected, list(config.platforms), ask, whole=False)
    path = common.lock_path(config)
    within = common.lock_roots(config, trust.project_roots(config, options.paths))
    changed, diff = lock_change(path, common.relative_source(path, Path.cwd()), outcome.entries, options.diff, within)
    return changed, diff, outcome.errors, outcome.entries


def _recorded(diagnostics: list[Diagnostic], entries: Mapping[str, lockfile.LockEntry]) -> list[Diagnostic]:
    """Without the PIN008 of references the lock now records (with the digest written inline, if any)."""
    kept = []
    for d in diagnostics:
        ref = d.use.ref if d.use is not None else None
        entry = entries.get(ref.canonical_tagged) if d.code == "PIN008" and ref is not None else None
        if entry is None or (ref is not None and ref.digest not in (None, entry.digest)):
            kept.append(d)
    return kept


def run(options: FixOptions) -> Outcome:
    from pinlint.fix import plan_pins, write_changes

    common.refuse_stdin(options.paths, "fix")
    config = common.load_config(options.config_file, options.use_config, options.choices)
    collected = common.collect(config, Selection.build(config, options.select, options.ignore), options.paths)
    uses = [intent.use for intent in collected.outcome.intents]
    refs = [u.ref for u in uses if u.ref is not None]
    registry_failed = False
    answers: dict[str, Manifest] = {}
    if options.from_lock:
        digests, errors = _digests_from_lock(collected, refs)
    else:
        # a locked reference is pinned to its locked digest: no request for it
        lock = collected.lock or {}
        digests = {str(r): lock[r.canonical_tagged].digest for r in refs if r.canonical_tagged in lock}
        report = common.resolve(
            config, [r for r in refs if str(r) not in digests], use_cache=options.use_cache, verbose=options.verbose
        )
        for ref in refs:
            manifest = report.manifests.get(str(ref))
            if manifest is not None:
                digests[str(ref)] = manifest.digest
                answers[ref.canonical_tagged] = manifest
        errors = dict(report.errors)
        registry_failed = bool(report.errors)
    plan = plan_pins(uses, digests, errors, collected.outcome.sources, runner.reparse)
    if not options.diff:
        write_changes(plan, trust.project_roots(config, options.paths))
    lock_changed, lock_diff, lock_errors = False, "", list[str]()
    pinned = {c.display for c in plan.changes}
    failed = {f.use for f in plan.failures}
    left = _remaining(collected.outcome.result.diagnostics, [u for u in uses if u.path in pinned and u not in failed])
    if collected.lock is not None and not options.from_lock:
        lock_changed, lock_diff, lock_errors, entries = _record(collected, answers, options)
        if not options.diff:
            left = _recorded(left, entries)
    level = common.fail_level(options.fail_level, config)
    notes: tuple[str, ...] = ()
    if lock_changed and not options.diff:
        notes = (f"Recorded the new references in {common.relative_source(common.lock_path(config), Path.cwd())}.",)
    return Outcome(
        findings=bool(options.diff and (plan.changes or lock_changed)) or common.at_or_above(left, level),
        registry_failed=registry_failed or bool(lock_errors),
        usage_failed=bool(collected.path_errors),
        errors=(*collected.path_errors, *lock_errors),
        report=None if options.diff else RunResult(
            left,
            collected.outcome.result.files_checked,
            [*collected.path_errors, *(f"{f.use.path}: {f.reason}" for f in plan.failures), *lock_errors],
        ),
        plan=plan,
        notes=notes,
        output=lock_diff,
    )
