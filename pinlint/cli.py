"""Command line: arguments → a command's options; its outcome → output and the exit code.

`main(argv) -> int` is the only place that turns outcomes and errors into exit codes
(`exit_code`). The commands themselves live in `pinlint.commands`, one module each, and are
imported only when chosen, so `pinlint check` never imports the HTTP client.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from pinlint import __version__
from pinlint.commands import Outcome
from pinlint.errors import PathError, PinlintError, UsageError
from pinlint.report import FORMATS, STATISTICS_FORMATS
from pinlint.report.escape import error_line, printable

if TYPE_CHECKING:
    from pinlint.fix import Plan
    from pinlint.model import RunResult
    from pinlint.trust import UserChoices

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_REGISTRY = 3


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with the terminal width read once per run: on Python 3.11 every
    `add_argument` makes a formatter, and each one asks the terminal (and imports shutil)."""

    _terminal_width: int | None = None

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        if width is None:
            if _Formatter._terminal_width is None:
                import shutil

                _Formatter._terminal_width = shutil.get_terminal_size().columns - 2  # as HelpFormatter does
            width = _Formatter._terminal_width
        super().__init__(prog, indent_increment, max_help_position, width)


class _Unbuilt(argparse.ArgumentParser):
    """Stands in for the parser of a subcommand this run does not parse: takes its arguments
    and builds nothing."""

    def __init__(self) -> None:  # no ArgumentParser state: nothing ever reads it
        pass

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return _UNUSED_ACTION


_UNUSED_ACTION = argparse.Action(option_strings=[], dest=argparse.SUPPRESS)


class _Subcommands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Subcommand parsers built with `_Formatter`; when the command line names its subcommand
    first (`pinlint check …`, `only`), the others are not built at all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only: str | None = None

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if self.only is not None and name != self.only:
            return _Unbuilt()
        kwargs.setdefault("formatter_class", _Formatter)
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        return parser


def _requested(argv: Sequence[str] | None) -> str | None:
    """The subcommand when it is the first argument, else None (then every one is built: for
    `--help`, `--version`, a missing or a mistyped command)."""
    args = sys.argv[1:] if argv is None else argv
    return args[0] if args and args[0] in _COMMANDS else None


def _trust_options(sub: argparse.ArgumentParser) -> None:
    """Consent and interpolation variables: what only the user, not the repository, may decide."""
    sub.add_argument(
        "--trust-project-config",
        action="store_true",
        help="let the project's configuration set insecure, ca-file, mirror, pass-env and a lock-file outside it",
    )
    sub.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a variable for Compose interpolation (NAME alone: its value from the environment)",
    )
    sub.add_argument("--env-file", action="append", default=[], metavar="FILE", help="variables from a .env-style file")


def _choices(args: argparse.Namespace) -> UserChoices:
    from pinlint.trust import UserChoices

    return UserChoices(args.trust_project_config, tuple(args.env), tuple(args.env_file))


class _Parser(argparse.ArgumentParser):
    """argparse with a "did you mean" for an unknown option (`--formt` → `--format`), said by
    the command's own parser (the top-level one does not know the command's options)."""

    subcommands: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        for prefix in ("unrecognized arguments: ", "ambiguous option: "):
            if message.startswith(prefix):
                message += _suggestion(message[len(prefix) :].split(), self._option_string_actions)
        super().error(message)


def _suggestion(given: list[str], known: Mapping[str, object]) -> str:
    import difflib

    options = [word.split("=", 1)[0] for word in given if word.startswith("-")]
    hints = {}
    for option in options:
        close = difflib.get_close_matches(option, [o for o in known if o.startswith("--")], n=1, cutoff=0.6)
        if close:
            hints[option] = close[0]
    if len(hints) == 1 and len(options) == 1:
        return f" (did you mean {next(iter(hints.values()))}?)"
    return f" (did you mean {', '.join(f'{new} for {old}' for old, new in hints.items())}?)" if hints else ""


def _parser(only: str | None = None) -> _Parser:
    parser = _Parser(
        prog="pinlint",
        description="Find mutable image references in Dockerfiles and Compose files.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"pinlint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Subcommands, parser_class=_Parser)
    assert isinstance(commands, _Subcommands)
    commands.only = only

    check = commands.add_parser("check", help="lint files offline (the default paths: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; '-' reads stdin")
    check.add_argument(
        "--format",
        "--output-format",
        dest="format",
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
    check.add_argument("--stdin-filename", metavar="NAME", help="read stdin as the file NAME (with no path, or '-')")
    check.add_argument("--online", action="store_true", help="also ask registries about pinned digests (PIN010-PIN013)")
    check.add_argument("--no-cache", action="store_true", help="with --online: do not use the digest cache")
    check.add_argument("-v", "--verbose", action="count", default=0, help="say which configuration and files were used")
    check.add_argument("--show-settings", action="store_true", help="print the effective configuration and exit")
    check.add_argument("--show-files", action="store_true", help="list the files that would be checked, and as what")
    _color_option(check)
    _trust_options(check)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
        sub.add_argument("--config", metavar="FILE", help="use this configuration file")
        sub.add_argument("--no-config", action="store_true", help="ignore configuration files")
        sub.add_argument("--no-cache", action="store_true", help="do not read or write the digest cache")
        sub.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: every request)")
        _trust_options(sub)

    fix = commands.add_parser("fix", help="resolve and pin references in place")
    common(fix)
    fix.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes to pin")
    fix.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes not to pin")
    fix.add_argument("--fail-level", choices=("error", "warning", "info"), help="lowest severity that fails")
    fix.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics remain after fixing")
    fix.add_argument("--stdin-filename", metavar="NAME", help="with '-': fix stdin as the file NAME, print the result")
    fix.add_argument("-q", "--quiet", action="store_true", help="print diagnostics only, no summary lines")
    _color_option(fix)
    fix.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")
    fix.add_argument("--from-lock", action="store_true", help="pin from the lock file, without network")

    update = commands.add_parser("update", help="re-resolve pinned references and rewrite digests that moved")
    common(update)
    update.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")

    lock = commands.add_parser("lock", help="write or refresh the lock file")
    common(lock)
    lock.add_argument("--platforms", action="append", metavar="OS/ARCH,...", help="record these platforms")
    lock.add_argument("--diff", action="store_true", help="print the lock file's diff and write nothing")

    resolve = commands.add_parser("resolve", help="print IMAGE@sha256:… for each image (like `crane digest`)")
    resolve.add_argument("images", nargs="+", metavar="IMAGE")
    resolve.add_argument("--no-cache", action="store_true", help="do not read or write the digest cache")
    resolve.add_argument("-v", "--verbose", action="count", default=0, help="say more (-vv: every request)")
    resolve.add_argument("--config", metavar="FILE", help="use this configuration file")
    resolve.add_argument("--no-config", action="store_true", help="ignore configuration files")
    _trust_options(resolve)

    rule = commands.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("rule", nargs="?", metavar="CODE|NAME")
    rule.add_argument("--all", action="store_true", help="list every rule")
    rule.add_argument("--format", choices=("text", "json"), default="text")
    parser.subcommands = dict(commands.choices)
    return parser


def _color_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output (auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it)",
    )


def use_color(stream: object, choice: str = "auto") -> bool:
    """--color always/never wins; then NO_COLOR, FORCE_COLOR (no-color.org, force-color.org), TERM=dumb,
    then whether `stream` is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


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
    fmt: str = "text",
    *,
    color: str = "auto",
    quiet: bool = False,
    show_statistics: bool = False,
    output_file: str | None = None,
    errors: int = 0,
    fix_hint: bool = True,
) -> None:
    from pinlint import report

    def write(out: TextIO, shown: bool) -> None:
        report.write(result, fmt, out, color=shown, quiet=quiet, show_statistics=show_statistics,
                     errors=errors, fix_hint=fix_hint)  # fmt: skip

    if output_file is None:
        write(sys.stdout, fmt == "text" and use_color(sys.stdout, color))
        return
    from pinlint.edits import write_atomic

    buffer = io.StringIO()
    write(buffer, color == "always" and fmt == "text")  # a file is no terminal: colour only when asked
    try:
        write_atomic(Path(output_file), buffer.getvalue(), bom=False)
    except OSError as exc:
        raise PathError(f"cannot write {output_file}: {exc.strerror or exc}") from None


def _print_plan(plan: Plan, *, diff: bool, verb: str, out: TextIO | None = None) -> None:
    from pinlint.fix import unified_diff

    if diff:
        for change in plan.changes:
            (out or sys.stdout).write(unified_diff(change))
    files = len(plan.changes)
    noun = "reference" if plan.count == 1 else "references"
    if plan.count:
        done = f"Would {verb}" if diff else {"pin": "Pinned", "update": "Updated"}[verb]
        print(f"{done} {plan.count} {noun} in {files} file{'s' if files != 1 else ''}.", file=sys.stderr)
    for failure in plan.failures:
        if failure.reason.startswith("skipped: "):
            continue  # its host did not answer: said once for the host (see `_print`)
        use = failure.use
        shown = use.value if use.value is not None else use.text
        message = f"{use.path}:{use.span.line}:{use.span.column}: could not {verb} '{shown}': {failure.reason}"
        print(printable(message), file=sys.stderr)


def _print(outcome: Outcome, *, diff: bool = False, verb: str = "", raw_output: bool = False) -> None:
    """Errors, then what fix/update changed, the summary lines and the command's answer; the
    diagnostics (a report) are printed by the caller, which knows the format.

    A reference skipped because its registry host did not answer another one is not printed:
    the resolver has said once per host how many it skipped and why."""
    for error in outcome.errors:
        if _skipped(error):
            continue
        print(error_line(error), file=sys.stderr)
    if outcome.plan is not None:
        _print_plan(outcome.plan, diff=diff, verb=verb)
    for note in outcome.notes:
        print(printable(note), file=sys.stderr)
    if outcome.files_checked == 0 and not outcome.usage_failed:
        print("pinlint: warning: no container files found under the given paths", file=sys.stderr)
    if raw_output:  # `fix -`: the file's text, byte for byte
        sys.stdout.flush()
        sys.stdout.buffer.write(outcome.output.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(printable(outcome.output, keep="\n"))


def _skipped(error: str) -> bool:
    """`ref: skipped: host did not answer (…)`: one of the references to a dead host."""
    return ": skipped: " in error and error.endswith(")") and " did not answer (" in error


def exit_code(outcome: Outcome, *, exit_zero: bool = False) -> int:
    """The exit code of a command's outcome: 2 (a path given is missing) over 3 (a registry
    could not answer) over 1 (findings at the fail level, unless --exit-zero; something `fix`
    could not pin, even with --exit-zero) over 0."""
    if outcome.usage_failed:
        return EXIT_USAGE
    if outcome.registry_failed:
        return EXIT_REGISTRY
    if outcome.unfixed or (outcome.findings and not exit_zero):
        return EXIT_FINDINGS
    return EXIT_OK


def _codes(values: list[str] | None) -> list[str]:
    from pinlint.commands.common import split_codes

    return split_codes(values) or []


def _check(args: argparse.Namespace) -> int:
    from pinlint.commands import check
    from pinlint.commands.common import split_codes

    paths = list(args.paths)
    if args.stdin_filename and not paths:
        paths = ["-"]  # as ruff: --stdin-filename alone reads stdin
    if args.show_settings or args.show_files:
        return _show(args, paths)
    fmt = _output_format(args)
    outcome = check.run(
        check.CheckOptions(
            paths=paths,
            config_file=args.config,
            use_config=not args.no_config,
            select=split_codes(args.select),
            extend_select=_codes(args.extend_select),
            ignore=_codes(args.ignore),
            fail_level=args.fail_level,
            stdin_filename=args.stdin_filename,
            online=args.online,
            use_cache=not args.no_cache,
            verbose=args.verbose,
            choices=_choices(args),
        )
    )
    _print(outcome)
    assert outcome.report is not None
    _report(
        outcome.report,
        fmt,
        color=args.color,
        quiet=args.quiet,
        show_statistics=args.statistics,
        output_file=args.output_file,
        errors=sum(1 for e in outcome.errors if not _skipped(e)),
    )
    return exit_code(outcome, exit_zero=args.exit_zero)


def _show(args: argparse.Namespace, paths: list[str]) -> int:
    """`check --show-settings` / `--show-files`: what a check would use, without checking."""
    from pinlint import config as config_mod
    from pinlint import discover
    from pinlint.commands import common

    config = common.load_config(
        args.config, not args.no_config, paths, stdin_filename=args.stdin_filename, choices=_choices(args)
    )
    if args.show_settings:
        sys.stdout.write(printable(config_mod.settings_text(config), keep="\n"))
    if args.show_files:
        if "-" in paths:
            print(printable(f"{args.stdin_filename or 'Dockerfile'} (stdin)"))
            return EXIT_OK
        files, errors = discover.discover(paths or ["."], config)
        for error in errors:
            print(error_line(error), file=sys.stderr)
        for source in files:
            print(printable(f"{source.display} ({source.kind})"))
        if not files and not errors:
            print("pinlint: warning: no container files found under the given paths", file=sys.stderr)
        if errors:
            return EXIT_USAGE
    return EXIT_OK


def _fix(args: argparse.Namespace) -> int:
    from pinlint.commands import fix
    from pinlint.commands.common import split_codes

    paths = list(args.paths)
    if args.stdin_filename and not paths:
        paths = ["-"]
    outcome = fix.run(
        fix.FixOptions(
            paths=paths,
            config_file=args.config,
            use_config=not args.no_config,
            select=split_codes(args.select),
            ignore=_codes(args.ignore),
            fail_level=args.fail_level,
            diff=args.diff,
            from_lock=args.from_lock,
            use_cache=not args.no_cache,
            verbose=args.verbose,
            choices=_choices(args),
            stdin_filename=args.stdin_filename,
        )
    )
    _print(outcome, diff=args.diff, verb="pin", raw_output="-" in paths)
    if outcome.report is not None:
        # to stderr when stdout carries the fixed text (`fix -`)
        stream = sys.stderr if "-" in paths else None
        if stream is None:
            _report(outcome.report, color=args.color, quiet=args.quiet, errors=len(outcome.errors), fix_hint=False)
        else:
            from pinlint import report

            report.write(outcome.report, "text", stream, color=use_color(stream, args.color), quiet=args.quiet,
                         fix_hint=False)
    return exit_code(outcome, exit_zero=args.exit_zero)


def _update(args: argparse.Namespace) -> int:
    from pinlint.commands import update

    options = update.UpdateOptions(
        paths=args.paths,
        config_file=args.config,
        use_config=not args.no_config,
        diff=args.diff,
        use_cache=not args.no_cache,
        verbose=args.verbose,
        choices=_choices(args),
    )
    outcome = update.run(options)
    _print(outcome, diff=args.diff, verb="update")
    if outcome.report is not None:  # the files as written
        _report(outcome.report, errors=len(outcome.errors))
    return exit_code(outcome)


def _lock(args: argparse.Namespace) -> int:
    from pinlint.commands import lock
    from pinlint.commands.common import split_codes

    options = lock.LockOptions(
        paths=args.paths,
        config_file=args.config,
        use_config=not args.no_config,
        platforms=split_codes(args.platforms),
        use_cache=not args.no_cache,
        verbose=args.verbose,
        diff=args.diff,
        choices=_choices(args),
    )
    outcome = lock.run(options)
    _print(outcome)
    return exit_code(outcome)


def _resolve(args: argparse.Namespace) -> int:
    from pinlint.commands import resolve

    options = resolve.ResolveOptions(
        images=args.images,
        config_file=args.config,
        use_config=not args.no_config,
        use_cache=not args.no_cache,
        verbose=args.verbose,
        choices=_choices(args),
    )
    outcome = resolve.run(options)
    _print(outcome)
    return exit_code(outcome)


def _rule(args: argparse.Namespace) -> int:
    from pinlint.commands import rule

    outcome = rule.run(rule.RuleOptions(rule=args.rule, all=args.all, as_json=args.format == "json"))
    _print(outcome)
    return exit_code(outcome)


_COMMANDS = {"check": _check, "fix": _fix, "update": _update, "lock": _lock, "resolve": _resolve, "rule": _rule}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser(_requested(argv))
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            (parser.subcommands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as exc:  # argparse has printed its message
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    command = _COMMANDS.get(args.command)
    if command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return command(args)
    except PinlintError as exc:
        print(error_line(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pinlint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
