"""PIN103 pipe-to-shell: a script downloaded by `curl`/`wget` and run in the same command."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules._shell import script_findings
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, interpreter_invocation, parse_args

CODE = "PIN103"
NAME = "pipe-to-shell"
SEVERITY = Severity.WARNING
DEFAULT_ENABLED = True
FIX = None
SUMMARY = "Output of curl or wget is run by a shell or interpreter without being verified"
TARGET = "run"

DOWNLOADERS = frozenset({"curl", "wget"})
_STDOUT = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})
# Options with an argument, so that clusters (`-fsSLo FILE`) and values are read right.
_CURL_VALUES = frozenset(
    {
        "-A", "-b", "-c", "-C", "-d", "-D", "-e", "-E", "-F", "-H", "-K", "-m", "-o", "-P", "-Q", "-r",
        "-T", "-t", "-u", "-U", "-w", "-x", "-X", "-y", "-Y", "-z", "--cacert", "--capath", "--cert",
        "--config", "--connect-timeout", "--continue-at", "--cookie", "--cookie-jar", "--create-file-mode",
        "--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode", "--dump-header",
        "--form", "--header", "--interface", "--json", "--key", "--limit-rate", "--max-filesize",
        "--max-redirs", "--max-time", "--netrc-file", "--noproxy", "--output", "--output-dir", "--proto",
        "--proto-redir", "--proxy", "--proxy-user", "--quote", "--range", "--referer", "--request",
        "--resolve", "--retry", "--retry-delay", "--retry-max-time", "--trace", "--trace-ascii",
        "--upload-file", "--url", "--user", "--user-agent", "--write-out",
    }
)  # fmt: skip
_WGET_VALUES = frozenset(
    {
        "-O", "-o", "-a", "-i", "-B", "-t", "-T", "-w", "-P", "-U", "-e", "-Q", "-l", "-A", "-R", "-D",
        "-X", "-I", "--output-document", "--output-file", "--append-output", "--input-file", "--tries",
        "--timeout", "--wait", "--directory-prefix", "--user-agent", "--header", "--user", "--password",
        "--post-data", "--post-file", "--ca-certificate", "--certificate", "--private-key", "--level",
    }
)  # fmt: skip


def writes_to_stdout(download: Command) -> bool:
    """Whether a curl or wget command writes what it downloads to standard output.

    curl writes each URL to stdout unless an `-o FILE` or `-O` matches it (in order, as curl
    pairs them) or `--remote-name-all` is given; wget saves to a file unless `-O -` says stdout.
    """
    if download.name == "wget":
        document = parse_args(download.argv[1:], _WGET_VALUES).get("-O", "--output-document")
        return document is not None and document.value in _STDOUT
    args = parse_args(download.argv[1:], _CURL_VALUES)
    if args.has("--remote-name-all"):
        return False
    urls = len(args.operands) + sum(1 for o in args.options if o.name == "--url")
    to_files = 0
    for option in args.options:
        if option.name in ("-o", "--output"):
            if option.value is None or option.value in _STDOUT:
                return True
            to_files += 1
        elif option.name in ("-O", "--remote-name"):
            to_files += 1
    return urls > to_files


def _same(a: ShellWord | None, b: ShellWord | None) -> bool:
    return a is not None and b is not None and a.start == b.start and a.end == b.end


def _piped_into(commands: Sequence[Command], download: Command) -> str | None:
    for command in commands:
        if command.pipeline == download.pipeline and command.stage > download.stage:
            invocation = interpreter_invocation(command.argv)
            if invocation is not None and invocation.reads_stdin:
                return command.name
    return None


def _run_by(commands: Sequence[Command], download: Command) -> str | None:
    """What runs the output of a download nested in another command's word, if anything:
    `sh -c "$(curl …)"`, `bash <(curl …)`, `$(curl …)` as the command, `eval "$(curl …)"`."""
    if download.parent is None:
        return None
    parent = commands[download.parent]
    word = download.parent_word
    invocation = interpreter_invocation(parent.argv)
    if download.via in ("$(", "`"):
        if parent.argv and _same(parent.argv[0], word):
            if parent.via == "-c" and parent.parent is not None:
                return commands[parent.parent].name
            return "the shell"
        if invocation is not None and _same(invocation.code, word):
            return parent.name
        if parent.name == "eval" and any(_same(w, word) for w in parent.argv[1:]):
            return "eval"
    elif download.via == "<(":
        if invocation is not None and not invocation.runs_code:
            if _same(invocation.script, word):
                return parent.name
            stdin = any(r.op == "<" and _same(r.target, word) for r in parent.redirects)
            if stdin and invocation.reads_stdin:
                return parent.name
        if parent.name in ("source", ".") and len(parent.argv) > 1 and _same(parent.argv[1], word):
            return parent.name
    return None


def findings(commands: Sequence[Command]) -> Iterator[tuple[ShellWord, str]]:
    """The downloader word and message for each download whose output is run, in one script."""
    for command in commands:
        if command.name not in DOWNLOADERS or not writes_to_stdout(command):
            continue
        tool = command.name
        shell = _piped_into(commands, command)
        if shell is not None:
            yield command.argv[0], f"Output of '{tool}' is piped into '{shell}'"
            continue
        runner = _run_by(commands, command)
        if runner == "the shell":
            yield command.argv[0], f"Output of '{tool}' is run as a command"
        elif runner is not None:
            yield command.argv[0], f"Output of '{tool}' is run by '{runner}'"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    yield from script_findings(run, findings)
