"""`pinlint check`: lint offline; with `online`, also ask registries about pinned digests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pinlint.commands import Outcome, common
from pinlint.engine import Selection
from pinlint.trust import UserChoices


class CheckOptions(NamedTuple):
    paths: Sequence[str] = ()
    config_file: str | None = None
    use_config: bool = True
    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    fail_level: str | None = None
    stdin_filename: str | None = None
    online: bool = False
    use_cache: bool = True
    verbose: int = 0
    choices: UserChoices = UserChoices()  # trust and environment, from the command line


def run(options: CheckOptions) -> Outcome:
    config = common.load_config(
        options.config_file,
        options.use_config,
        options.paths,
        stdin_filename=options.stdin_filename,
        choices=options.choices,
    )
    selection = Selection.build(config, options.select, options.ignore, options.extend_select)
    # only --online and -v (which counts the files by kind) read the parsed files again: a plain
    # check drops each one once it is linted
    keep = bool(options.online or options.verbose)
    collected = common.collect(config, selection, options.paths, stdin_filename=options.stdin_filename, keep_files=keep)
    result = collected.outcome.result
    errors = list(collected.path_errors)
    registry_failed = False
    if options.online:
        from pinlint.online import check_online

        ask = common.resolver(config, use_cache=options.use_cache, verbose=options.verbose)
        online = check_online(collected, selection, ask)
        errors += online.errors
        registry_failed = bool(online.errors)
        result.diagnostics.extend(online.diagnostics)
        result.diagnostics.sort(key=lambda d: (d.path, d.span.line, d.span.column, d.code))
    result.errors = list(errors)
    notes: list[str] = []
    if options.verbose:
        notes += common.describe_run(collected)
    return Outcome(
        findings=common.at_or_above(result.diagnostics, common.fail_level(options.fail_level, config)),
        registry_failed=registry_failed,
        usage_failed=bool(collected.path_errors),
        errors=tuple(errors),
        report=result,
        notes=tuple(notes),
        files_checked=result.files_checked,
    )
