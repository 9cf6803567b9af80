"""`pinlint fix`: pin every fixable reference in place, from the registry or (`from_lock`) the lock."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NamedTuple

from pinlint import runner
from pinlint.commands import Outcome, common
from pinlint.engine import Selection
from pinlint.errors import UsageError
from pinlint.model import RunResult
from pinlint.reference import ImageRef


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


def run(options: FixOptions) -> Outcome:
    """Pin, then lint again what was written (the report is the files' state after the fix).
    With the path '-', stdin is fixed and the fixed text is the outcome's output."""
    from pinlint.fix import plan_pins, write_changes

    stdin = "-" in options.paths
    if stdin and options.diff:
        raise UsageError("fix -: the fixed text goes to stdout; --diff needs paths")
    config = common.load_config(
        options.config_file, options.use_config, options.paths, stdin_filename=options.stdin_filename
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
    if options.from_lock:
        digests, errors = _digests_from_lock(collected, refs)
    else:
        report = common.resolve(config, refs, use_cache=options.use_cache, verbose=options.verbose)
        digests = {key: m.digest for key, m in report.manifests.items()}
        errors = report.errors
        registry_failed = bool(report.errors)
    plan = plan_pins(uses, digests, errors, collected.outcome.sources, runner.reparse)
    after = collected
    output = ""
    if stdin:
        assert data is not None
        if plan.changes:
            output = ("\ufeff" if plan.changes[0].record.bom else "") + plan.changes[0].new_text
            fixed = output.encode("utf-8", "surrogateescape")
            after = common.collect(config, selection, ["-"], stdin_filename=name, stdin_data=fixed)
        else:
            output = data.decode("utf-8", "surrogateescape")  # unchanged, byte for byte
    elif not options.diff:
        write_changes(plan)
        if plan.changes:  # the report is the state of the files as written
            after = common.collect(config, selection, options.paths)
    level = common.fail_level(options.fail_level, config)
    left = after.outcome.result
    return Outcome(
        findings=bool(options.diff and plan.changes) or common.at_or_above(left.diagnostics, level),
        registry_failed=registry_failed,
        usage_failed=bool(collected.path_errors),
        errors=tuple(collected.path_errors),
        report=None if options.diff else RunResult(left.diagnostics, left.files_checked),
        plan=plan,
        output=output,
        files_checked=collected.outcome.result.files_checked,
        unfixed=bool(plan.failures),
    )
