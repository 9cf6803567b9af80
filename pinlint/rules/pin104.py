"""PIN104 unpinned-git-clone: `git clone` in a RUN that never checks out a full commit SHA."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.model import Severity
from pinlint.rules.base import Finding, RuleContext
from pinlint.shell import Command, RunScripts, ShellWord, is_commit_sha, parse_args, subcommand

CODE = "PIN104"
NAME = "unpinned-git-clone"
SEVERITY = Severity.INFO
DEFAULT_ENABLED = False
FIX = None
SUMMARY = "git clone without checking out a full commit SHA in the same RUN"
TARGET = "run"

_GIT_OPTIONS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env", "--attr-source"}
)
_CLONE_OPTIONS = frozenset(
    {
        "-b", "--branch", "-o", "--origin", "-u", "--upload-pack", "--depth", "--reference",
        "--reference-if-able", "--separate-git-dir", "--shallow-since", "--shallow-exclude", "-c",
        "--config", "--filter", "-j", "--jobs", "--template", "--server-option", "--bundle-uri",
        "--revision", "--ref-format",
    }
)  # fmt: skip
_CHECKOUT_OPTIONS = frozenset({"-b", "-B", "--orphan", "--conflict", "--pathspec-from-file", "-c", "-C"})
_FETCH_OPTIONS = frozenset(
    {
        "--depth", "--deepen", "--shallow-since", "--shallow-exclude", "--upload-pack", "-o",
        "--server-option", "--negotiation-tip", "--filter", "-j", "--jobs", "--refmap",
        "--recurse-submodules-default", "--submodule-prefix",
    }
)  # fmt: skip


def _names_commit(word: ShellWord) -> bool:
    """A full SHA, or a variable (the usual way to pass one in; its value is not known here)."""
    return is_commit_sha(word.value.split(":", 1)[0]) or word.dynamic


def _git_event(command: Command) -> tuple[str, ShellWord | None] | None:
    """("clone", url word) for an unpinned clone, ("pin", None) for a checkout of a commit."""
    if command.name != "git":
        return None
    sub, _, rest = subcommand(command.argv[1:], _GIT_OPTIONS)
    if sub is None:
        return None
    if sub.value == "clone":
        args = parse_args(rest, _CLONE_OPTIONS)
        revision = args.get("--revision")
        if (
            revision is not None
            and revision.value is not None
            and (is_commit_sha(revision.value) or "$" in revision.value)
        ):
            return None
        return "clone", args.operands[0] if args.operands else sub
    if sub.value in ("checkout", "reset", "switch"):
        operands = parse_args(rest, _CHECKOUT_OPTIONS).operands
        if operands and _names_commit(operands[0]):
            return "pin", None
    elif sub.value == "fetch":
        operands = parse_args(rest, _FETCH_OPTIONS).operands
        if any(_names_commit(word) for word in operands[1:]):
            return "pin", None
    return None


def findings(scripts: Sequence[Sequence[Command]]) -> Iterator[tuple[int, ShellWord, str]]:
    """(script index, URL word, message) for each clone that no later checkout pins.

    The scripts are those of one RUN, in the order they run. Each checkout of a commit pins
    the latest clone before it that is still unpinned.
    """
    events = []
    for number, commands in enumerate(scripts):
        for command in commands:
            event = _git_event(command)
            if event is not None:
                events.append((number, command.argv[0].start, *event))
    unpinned: list[tuple[int, ShellWord]] = []
    for number, _, kind, word in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == "clone" and word is not None:
            unpinned.append((number, word))
        elif kind == "pin" and unpinned:
            unpinned.pop()
    for number, word in unpinned:
        yield number, word, f"Repository '{word.value}' is cloned without checking out a commit SHA"


def check(run: RunScripts, ctx: RuleContext) -> Iterator[Finding]:
    sources = run.scripts
    for number, word, message in findings([source.commands for source in sources]):
        yield Finding(sources[number].span(word), message)
