"""Command line: argument parsing and the one place that turns errors into exit codes.

`main(argv) -> int`. Heavy modules are imported inside the command that needs them, so
`pinlint check` never imports the HTTP client.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pinlint import __version__
from pinlint.errors import PinlintError, UsageError

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
        "--format", choices=("text", "json"), default=None, help="output format (default: text)"
    )
    check.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes to enable")
    check.add_argument("--extend-select", action="append", metavar="CODES", help="enable these rules as well")
    check.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes to disable")
    check.add_argument("--fail-level", choices=("error", "warning", "info"), help="lowest severity that fails")
    check.add_argument("--config", metavar="FILE", help="use this configuration file")
    check.add_argument("--no-config", action="store_true", help="ignore configuration files")
    check.add_argument("--stdin-filename", metavar="NAME", help="the name of the file read from stdin ('-')")

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


def _cmd_check(args: argparse.Namespace) -> int:
    from pinlint import config as config_mod
    from pinlint import discover, engine, runner
    from pinlint.model import Severity
    from pinlint.sources import text as source_text

    config = config_mod.load(args.config, use_config=not args.no_config)
    selection = engine.Selection.build(
        config,
        select=_split_codes(args.select),
        ignore=_split_codes(args.ignore) or (),
        extend_select=_split_codes(args.extend_select) or (),
    )
    paths = args.paths or ["."]
    exit_code = EXIT_OK
    items: list[tuple[discover.SourceFile, Callable[[], source_text.SourceText]]] = []
    if "-" in paths:
        if len(paths) != 1:
            raise UsageError("'-' (stdin) cannot be combined with other paths")
        name = args.stdin_filename or "Dockerfile"
        kind = discover.kind_of(Path(name).name, explicit=True) or discover.DOCKERFILE
        data = sys.stdin.buffer.read()
        items.append(
            (discover.SourceFile(Path(name), name, kind), lambda: source_text.decode(data))
        )
    else:
        if args.stdin_filename:
            raise UsageError("--stdin-filename needs '-' as the path")
        files, errors = discover.discover(paths, config)
        for error in errors:
            print(f"pinlint: error: {error}", file=sys.stderr)
            exit_code = EXIT_USAGE
        for source in files:
            items.append((source, functools.partial(source_text.read, source.path)))
    outcome = runner.check_files(items, config, selection)
    result = outcome.result
    if args.format == "json":
        from pinlint.report import json as json_report

        json_report.write(result, sys.stdout)
    else:
        from pinlint.report import text as text_report

        text_report.write(result, sys.stdout, color=_use_color(sys.stdout))
    fail_level = Severity.parse(args.fail_level) if args.fail_level else config.fail_level
    if exit_code == EXIT_OK and any(d.severity >= fail_level for d in result.diagnostics):
        exit_code = EXIT_FINDINGS
    return exit_code


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
        print(f"pinlint: {report.requests} registry requests, {report.cached} answers from the cache", file=sys.stderr)
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
