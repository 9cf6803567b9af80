"""Shell analysis of RUN instructions, for the rules that look inside commands (PIN103–PIN208).

A small, forgiving reader of POSIX-like shell text, split by job:

- `syntax`: what the reader produces (ShellWord, Redirect, Command);
- `lexer`: words with their offsets, operators, heredoc bodies, nested substitutions;
- `parser`: simple commands, pipelines, and the commands nested in `$(…)`, `<(…)`, `sh -c`;
- `commands`: command knowledge (wrappers such as `sudo`/`env`, how interpreters get their program);
- `options`: options and operands of a command line, a tool's subcommand;
- `dockerfile`: the scripts a RUN instruction runs, parsed once, with spans back to the source.

Nothing here raises on any input. This module re-exports what rules and tests use.
"""

from __future__ import annotations

from pinlint.shell.commands import Invocation, heredoc_runs_as_shell, interpreter_invocation
from pinlint.shell.dockerfile import RunScripts, ShellSource, run_scripts, run_sources
from pinlint.shell.options import Option, ParsedArgs, parse_args, subcommand
from pinlint.shell.parser import parse_script, shell_words
from pinlint.shell.syntax import Command, Redirect, ShellWord, basename, is_commit_sha

__all__ = [
    "Command",
    "Invocation",
    "Option",
    "ParsedArgs",
    "Redirect",
    "RunScripts",
    "ShellSource",
    "ShellWord",
    "basename",
    "heredoc_runs_as_shell",
    "interpreter_invocation",
    "is_commit_sha",
    "parse_args",
    "parse_script",
    "run_scripts",
    "run_sources",
    "shell_words",
    "subcommand",
]
