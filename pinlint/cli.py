"""Command line: argument parsing and the one place that turns errors into exit codes.

`main(argv) -> int`. Heavy modules are imported inside the command that needs them, so
`pinlint check` never imports the HTTP client.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pinlint import __version__
from pinlint.errors import PathError, PinlintError, UsageError
from pinlint.reference import ImageRef
from pinlint.report import FORMATS, STATISTICS_FORMATS, RunResult

if TYPE_CHECKING:
    from pinlint.config import Config
    from pinlint.engine import Selection
    from pinlint.fix import Failure, Plan
    from pinlint.model import Severity
    from pinlint.registry.manifest import Manifest
    from pinlint.resolve import ResolveReport
    from pinlint.workflow import Collected

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_REGISTRY = 3


def _split_codes(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pinlint",
        description="Find mutable image references in Dockerfiles and Compose files.",
    )
    parser.add_argument("--version", action="version", version=f"pinlint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="lint files offline (the default paths: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; '-' reads stdin")
    check.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: text; github when GITHUB_ACTIONS=true)",
    )
    check.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes to enable")
    check.add_argument("--extend-select", action="append", metavar="CODES", help="enable these rules as well")
    check.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes to disable")
    check.add_argument("--fail-level", choices=("error", "warning", "info"), help="lowest severity that fails")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics remain")
    check.add_argument("-q", "--quiet", action="store_true", help="print diagnostics only, no summary lines")
    check.add_argument("--statistics", action="store_true", help="print a count per rule instead of diagnostics")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--config", metavar="FILE", help="use this configuration file")
    check.add_argument("--no-config", action="store_true", help="ignore configuration files")
    check.add_argument("--stdin-filename", metavar="NAME", help="the name of the file read from stdin ('-')")
    check.add_argument("--online", action="store_true", help="also ask registries about pinned digests (PIN010-PIN013)")
    check.add_argument("--no-cache", action="store_true", help="with --online: do not use the digest cache")
    check.add_argument("-v", "--verbose", action="count", default=0, help="with --online: say more")

    def common(sub: argparse.ArgumentParser, *, network: bool = True) -> None:
        sub.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
        sub.add_argument("--config", metavar="FILE", help="use this configuration file")
        sub.add_argument("--no-config", action="store_true", help="ignore configuration files")
        sub.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes to enable")
        sub.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes to disable")
        sub.add_argument("--fail-level", choices=("error", "warning", "info"), help="lowest severity that fails")
        if network:
            sub.add_argument("--no-cache", action="store_true", help="do not read or write the digest cache")
            sub.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: every request)")

    fix = commands.add_parser("fix", help="resolve and pin references in place")
    common(fix)
    fix.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")
    fix.add_argument("--from-lock", action="store_true", help="pin from the lock file, without network")

    update = commands.add_parser("update", help="re-resolve pinned references and rewrite digests that moved")
    common(update)
    update.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")

    lock = commands.add_parser("lock", help="write or refresh the lock file")
    common(lock)
    lock.add_argument("--platforms", action="append", metavar="OS/ARCH,...", help="also record these platforms")

    resolve = commands.add_parser("resolve", help="print IMAGE@sha256:… for each image (like `crane digest`)")
    resolve.add_argument("images", nargs="+", metavar="IMAGE")
    resolve.add_argument("--no-cache", action="store_true", help="do not read or write the digest cache")
    resolve.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: every request)")
    resolve.add_argument("--config", metavar="FILE", help="use this configuration file")
    resolve.add_argument("--no-config", action="store_true", help="ignore configuration files")

    rule = commands.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("rule", nargs="?", metavar="CODE|NAME")
    rule.add_argument("--all", action="store_true", help="list every rule")
    rule.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _use_color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _selection(args: argparse.Namespace, config: Config) -> Selection:
    from pinlint.engine import Selection

    return Selection.build(
        config,
        select=_split_codes(getattr(args, "select", None)),
        ignore=_split_codes(getattr(args, "ignore", None)) or (),
        extend_select=_split_codes(getattr(args, "extend_select", None)) or (),
    )


def _collect(args: argparse.Namespace) -> tuple[Collected, int]:
    from pinlint import config as config_mod
    from pinlint.workflow import collect

    config = config_mod.load(args.config, use_config=not args.no_config)
    collected = collect(
        config,
        _selection(args, config),
        args.paths or ["."],
        stdin_filename=getattr(args, "stdin_filename", None),
    )
    for error in collected.path_errors:
        print(f"pinlint: error: {error}", file=sys.stderr)
    return collected, EXIT_USAGE if collected.path_errors else EXIT_OK


def _fail_level(args: argparse.Namespace, config: Config) -> Severity:
    from pinlint.model import Severity

    return Severity.parse(args.fail_level) if getattr(args, "fail_level", None) else config.fail_level


def _output_format(args: argparse.Namespace) -> str:
    """The --format given, else github inside GitHub Actions (not for --statistics), else text."""
    if args.format is not None:
        if args.statistics and args.format not in STATISTICS_FORMATS:
            raise UsageError(f"--statistics works with --format text or json, not {args.format}")
        return str(args.format)
    if os.environ.get("GITHUB_ACTIONS") == "true" and not args.statistics:
        return "github"
    return "text"


def _report(
    result: RunResult,
    fmt: str,
    *,
    quiet: bool = False,
    show_statistics: bool = False,
    output_file: str | None = None,
) -> None:
    from pinlint import report

    if output_file is None:
        color = fmt == "text" and _use_color(sys.stdout)
        report.write(result, fmt, sys.stdout, color=color, quiet=quiet, show_statistics=show_statistics)
        return
    buffer = io.StringIO()
    report.write(result, fmt, buffer, quiet=quiet, show_statistics=show_statistics)
    _write_output(output_file, buffer.getvalue())


def _write_output(name: str, text: str) -> None:
    """Replace `name` with `text` atomically: a reader never sees half a report."""
    import tempfile

    path = os.path.abspath(name)
    directory = os.path.dirname(path)
    try:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".pinlint-tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise PathError(f"cannot write {name}: {exc.strerror or exc}") from None


def _cmd_check(args: argparse.Namespace) -> int:
    fmt = _output_format(args)
    collected, exit_code = _collect(args)
    result = collected.outcome.result
    registry_failed = False
    if args.online:
        from pinlint.online import check_online

        def resolve(refs: list[ImageRef], want_platforms: bool) -> tuple[dict[str, Manifest], dict[str, str]]:
            report = _resolve(args, collected.config, refs, want_platforms, fresh=True)
            return report.manifests, report.errors

        online = check_online(collected, _selection(args, collected.config), resolve)
        for error in online.errors:
            print(f"pinlint: error: {error}", file=sys.stderr)
        registry_failed = bool(online.errors)
        result.diagnostics.extend(online.diagnostics)
        result.diagnostics.sort(key=lambda d: (d.path, d.span.line, d.span.column, d.code))
    _report(result, fmt, quiet=args.quiet, show_statistics=args.statistics, output_file=args.output_file)
    if exit_code == EXIT_OK and registry_failed:
        exit_code = EXIT_REGISTRY
    fail_level = _fail_level(args, collected.config)
    if exit_code == EXIT_OK and not args.exit_zero and any(d.severity >= fail_level for d in result.diagnostics):
        exit_code = EXIT_FINDINGS
    return exit_code


def _print_failures(failures: list[Failure], verb: str = "pin") -> None:
    for failure in failures:
        use = failure.use
        shown = use.value if use.value is not None else use.text
        print(
            f"{use.path}:{use.span.line}:{use.span.column}: could not {verb} '{shown}': {failure.reason}",
            file=sys.stderr,
        )


def _apply_plan(plan: Plan, *, diff: bool, verb: str) -> None:
    from pinlint.fix import unified_diff, write_changes

    if diff:
        for change in plan.changes:
            sys.stdout.write(unified_diff(change))
    else:
        write_changes(plan)
    files = len(plan.changes)
    noun = "reference" if plan.count == 1 else "references"
    if plan.count:
        done = f"Would {verb}" if diff else {"pin": "Pinned", "update": "Updated"}[verb]
        print(f"{done} {plan.count} {noun} in {files} file{'s' if files != 1 else ''}.", file=sys.stderr)


def _digests_from_lock(collected: Collected, refs: list[ImageRef]) -> tuple[dict[str, str], dict[str, str]]:
    from pinlint.errors import UsageError
    from pinlint.workflow import lock_path

    if collected.lock is None:
        raise UsageError(f"--from-lock: no lock file at {lock_path(collected.config)} (run `pinlint lock`)")
    digests: dict[str, str] = {}
    errors: dict[str, str] = {}
    for ref in refs:
        entry = collected.lock.get(ref.canonical_tagged)
        if entry is None:
            errors[str(ref)] = f"not in {collected.config.lock_file} (run `pinlint lock`)"
        else:
            digests[str(ref)] = entry.digest
    return digests, errors


def _resolve(
    args: argparse.Namespace, config: Config, refs: list[ImageRef], platforms: bool = False, *, fresh: bool = False
) -> ResolveReport:
    """Resolve through the cache; `fresh` asks the registry anyway (update, --online: is the tag still there?)."""
    from pinlint.resolve import resolve_digests, stderr_log

    return resolve_digests(
        refs,
        config,
        use_cache=not args.no_cache,
        read_cache=not fresh,
        want_platforms=platforms,
        log=stderr_log(args.verbose),
        progress=sys.stderr,
    )


def _cmd_fix(args: argparse.Namespace) -> int:
    from pinlint.fix import plan_pins
    from pinlint.workflow import fixed_positions, remaining, reparse

    _refuse_stdin(args, "fix")
    collected, exit_code = _collect(args)
    uses = [intent.use for intent in collected.outcome.intents]
    refs = [u.ref for u in uses if isinstance(u.ref, ImageRef)]
    registry_failed = False
    if args.from_lock:
        digests, errors = _digests_from_lock(collected, refs)
    else:
        report = _resolve(args, collected.config, refs)
        digests = {key: m.digest for key, m in report.manifests.items()}
        errors = report.errors
        registry_failed = bool(report.errors)
    plan = plan_pins(uses, digests, errors, collected.outcome.sources, reparse)
    _apply_plan(plan, diff=args.diff, verb="pin")
    _print_failures(plan.failures)
    pinned = {(c.display) for c in plan.changes}
    fixed = fixed_positions([u for u in uses if u.path in pinned and u not in {f.use for f in plan.failures}])
    left = remaining(collected.outcome.result.diagnostics, fixed)
    if not args.diff:
        _report(RunResult(left, collected.outcome.result.files_checked), "text")
    if exit_code != EXIT_OK:
        return exit_code
    if registry_failed:
        return EXIT_REGISTRY
    if args.diff and plan.changes:
        return EXIT_FINDINGS
    fail_level = _fail_level(args, collected.config)
    return EXIT_FINDINGS if any(d.severity >= fail_level for d in left) else EXIT_OK


def _cmd_update(args: argparse.Namespace) -> int:
    from pinlint import lockfile
    from pinlint.fix import plan_updates
    from pinlint.workflow import all_uses, lock_path, lock_tags, refresh_lock, reparse

    _refuse_stdin(args, "update")
    collected, exit_code = _collect(args)
    uses = [u for u in all_uses(collected) if isinstance(u.ref, ImageRef) and u.ref.digest and u.ref.tag]
    tags = [ImageRef(u.ref.domain, u.ref.path, u.ref.tag, None) for u in uses if isinstance(u.ref, ImageRef)]
    lock = collected.lock
    if lock is not None:
        tags += lock_tags(lock)  # what only the lock pins (composed references) moves too
    want_platforms = lock is not None and any(entry.platforms for entry in lock.values())
    report = _resolve(args, collected.config, tags, want_platforms, fresh=True)
    digests = {key: m.digest for key, m in report.manifests.items()}
    plan = plan_updates(uses, digests, report.errors, collected.outcome.sources, reparse)
    _apply_plan(plan, diff=args.diff, verb="update")
    _print_failures(plan.failures, "update")
    if (
        lock is not None
        and not args.diff
        and lockfile.write(lock_path(collected.config), refresh_lock(lock, report.manifests))
    ):
        print(f"Updated {collected.config.lock_file}.", file=sys.stderr)
    if exit_code != EXIT_OK:
        return exit_code
    if report.errors or plan.failures:
        return EXIT_REGISTRY
    return EXIT_FINDINGS if args.diff and plan.changes else EXIT_OK


def _refuse_stdin(args: argparse.Namespace, command: str) -> None:
    if "-" in (args.paths or []):
        raise UsageError(f"{command} rewrites files in place; give paths, not '-'")


def _cmd_lock(args: argparse.Namespace) -> int:
    from pinlint import lockfile
    from pinlint.workflow import build_lock, lock_path

    collected, exit_code = _collect(args)
    platforms = _split_codes(args.platforms) or list(collected.config.platforms)

    def resolve(refs: list[ImageRef], want_platforms: bool) -> tuple[dict[str, Manifest], dict[str, str]]:
        report = _resolve(args, collected.config, refs, want_platforms, fresh=True)
        return report.manifests, report.errors

    outcome = build_lock(collected, platforms, resolve)
    for error in outcome.errors:
        print(f"pinlint: error: {error}", file=sys.stderr)
    path = lock_path(collected.config)
    if outcome.entries or path.exists():
        written = lockfile.write(path, outcome.entries)
        state = "written" if written else "unchanged"
        print(f"{collected.config.lock_file}: {len(outcome.entries)} images, {state}.", file=sys.stderr)
    if exit_code != EXIT_OK:
        return exit_code
    return EXIT_REGISTRY if outcome.errors else EXIT_OK


def _cmd_resolve(args: argparse.Namespace) -> int:
    from pinlint import config as config_mod
    from pinlint import reference
    from pinlint.resolve import resolve_digests, stderr_log

    config = config_mod.load(args.config, use_config=not args.no_config)
    parsed: list[tuple[str, reference.ImageRef]] = []
    for text in args.images:
        try:
            parsed.append((text, reference.parse(text)))
        except reference.ReferenceError as exc:
            raise UsageError(f"invalid image reference '{text}': {exc}") from None
    to_resolve = [ref for _, ref in parsed if ref.digest is None]
    report = resolve_digests(
        to_resolve,
        config,
        use_cache=not args.no_cache,
        log=stderr_log(args.verbose),
        progress=sys.stderr,
    )
    exit_code = EXIT_OK
    for text, ref in parsed:
        if ref.digest is not None:
            print(text)
            continue
        manifest = report.manifests.get(str(ref))
        if manifest is None:
            print(f"pinlint: error: {text}: {report.errors.get(str(ref), 'not resolved')}", file=sys.stderr)
            exit_code = EXIT_REGISTRY
            continue
        print(f"{text}@{manifest.digest}")
    if args.verbose:
        print(f"pinlint: {report.requests} registry requests, {report.cache_summary()}", file=sys.stderr)
    return exit_code


def _cmd_rule(args: argparse.Namespace) -> int:
    from pinlint import catalogue

    if args.all:
        catalogue.print_all(sys.stdout, as_json=args.format == "json")
        return EXIT_OK
    if not args.rule:
        raise UsageError("give a rule code or name, or --all")
    catalogue.print_rule(args.rule, sys.stdout, as_json=args.format == "json")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    try:
        if args.command == "check":
            return _cmd_check(args)
        if args.command == "rule":
            return _cmd_rule(args)
        if args.command == "resolve":
            return _cmd_resolve(args)
        if args.command == "fix":
            return _cmd_fix(args)
        if args.command == "update":
            return _cmd_update(args)
        if args.command == "lock":
            return _cmd_lock(args)
        parser.print_help()
        return EXIT_USAGE
    except PinlintError as exc:
        print(f"pinlint: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pinlint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
