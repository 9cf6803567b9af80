"""`pinlint fix`: pin every fixable reference in place, from the registry or (`from_lock`) the lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pinlint import runner, trust
from pinlint.commands import Outcome, common
from pinlint.engine import Selection
from pinlint.errors import UsageError
from pinlint.model import Diagnostic, ImageUse, RunResult
from pinlint.reference import ImageRef
from pinlint.trust import UserChoices


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


def run(options: FixOptions) -> Outcome:
    from pinlint.fix import plan_pins, write_changes

    common.refuse_stdin(options.paths, "fix")
    config = common.load_config(options.config_file, options.use_config, options.choices)
    collected = common.collect(config, Selection.build(config, options.select, options.ignore), options.paths)
    uses = [intent.use for intent in collected.outcome.intents]
    refs = [u.ref for u in uses if u.ref is not None]
    registry_failed = False
    if options.from_lock:
        digests, errors = _digests_from_lock(collected, refs)
    else:
        report = common.resolve(config, refs, use_cache=options.use_cache, verbose=options.verbose)
        digests = {key: m.digest for key, m in report.manifests.items()}
        errors = report.errors
        registry_failed = bool(report.errors)
    plan = plan_pins(uses, digests, errors, collected.outcome.sources, runner.reparse)
    if not options.diff:
        write_changes(plan, trust.project_roots(config, options.paths))
    pinned = {c.display for c in plan.changes}
    failed = {f.use for f in plan.failures}
    left = _remaining(collected.outcome.result.diagnostics, [u for u in uses if u.path in pinned and u not in failed])
    level = common.fail_level(options.fail_level, config)
    return Outcome(
        findings=bool(options.diff and plan.changes) or common.at_or_above(left, level),
        registry_failed=registry_failed,
        usage_failed=bool(collected.path_errors),
        errors=tuple(collected.path_errors),
        report=None if options.diff else RunResult(left, collected.outcome.result.files_checked),
        plan=plan,
    )
