"""`pinlint fix`: pin every fixable reference in place, from the registry or (`from_lock`) the lock."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinlint import discover, runner, trust
from pinlint.commands import Outcome, common
from pinlint.engine import Selection
from pinlint.errors import UsageError
from pinlint.model import RunResult
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
    stdin_filename: str | None = None


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


def run(options: FixOptions) -> Outcome:
    """Pin, then lint again what was written (the report is the files' state after the fix).
    With the path '-', stdin is fixed and the fixed text is the outcome's output. The project is
    walked for its Compose files once: fixing rewrites files that exist, it adds none."""
    with discover.reusing_project_walk():
        return _fix(options)


def _fix(options: FixOptions) -> Outcome:
    from pinlint.fix import plan_pins, write_changes

    stdin = "-" in options.paths
    if stdin and options.diff:
        raise UsageError("fix -: the fixed text goes to stdout; --diff needs paths")
    config = common.load_config(
        options.config_file,
        options.use_config,
        options.paths,
        stdin_filename=options.stdin_filename,
        choices=options.choices,
    )
    selection = Selection.build(config, options.select, options.ignore)
    data = sys.stdin.buffer.read() if stdin else None
    name = options.stdin_filename or "Dockerfile"
    collected = common.collect(
        config, selection, options.paths, stdin_filename=name if stdin else None, stdin_data=data
    )
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
    after = collected
    output = ""
    lock_changed, lock_diff, lock_errors = False, "", list[str]()
    if stdin:
        if plan.changes:
            output = ("\ufeff" if plan.changes[0].record.bom else "") + plan.changes[0].new_text
            fixed = output.encode("utf-8", "surrogateescape")
            after = common.collect(config, selection, ["-"], stdin_filename=name, stdin_data=fixed)
        elif data is not None:
            output = data.decode("utf-8", "surrogateescape")  # unchanged, byte for byte
    else:
        if not options.diff:
            write_changes(plan, trust.project_roots(config, options.paths))
        if collected.lock is not None and not options.from_lock:
            lock_changed, lock_diff, lock_errors, _ = _record(collected, answers, options)
        if not options.diff and (plan.changes or lock_changed):  # the report is the state as written
            after = common.collect(config, selection, options.paths)
    level = common.fail_level(options.fail_level, config)
    left = after.outcome.result
    notes: tuple[str, ...] = ()
    if lock_changed and not options.diff:
        notes = (f"Recorded the new references in {common.relative_source(common.lock_path(config), Path.cwd())}.",)
    return Outcome(
        findings=bool(options.diff and (plan.changes or lock_changed)) or common.at_or_above(left.diagnostics, level),
        registry_failed=registry_failed or bool(lock_errors),
        usage_failed=bool(collected.path_errors),
        errors=(*collected.path_errors, *lock_errors),
        report=None if options.diff else RunResult(
            left.diagnostics,
            left.files_checked,
            [*collected.path_errors, *(f"{f.use.path}: {f.reason}" for f in plan.failures), *lock_errors],
        ),
        plan=plan,
        notes=notes,
        output=output or lock_diff,
        files_checked=collected.outcome.result.files_checked,
        unfixed=bool(plan.failures),
    )
