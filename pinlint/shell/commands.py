"""Command knowledge: which programs wrap another command, and how interpreters get their program.

Wrappers (`sudo`, `env`, `xargs`, `nice`, `timeout`, …) run another command: `strip_wrappers`
returns the words from the real program on. Interpreters (shells, Python, Perl, Ruby, Node,
PHP) take their program from stdin, from an option (`-c`, `-e`, `-r`) or from a script
operand: `interpreter_invocation` says which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from pinlint.shell.syntax import ASSIGNMENT, ShellWord, basename

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "yash"})


class _Wrapper(NamedTuple):
    takes_value: frozenset[str] = frozenset()
    positionals: int = 0  # operands before the command (`timeout 10 cmd`, `gosu user cmd`)
    assignments: bool = False  # `env X=1 cmd`
    lookup: frozenset[str] = frozenset()  # options that make it run nothing (`command -v`)


def _options(*names: str) -> frozenset[str]:
    return frozenset(names)


_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _Wrapper(
        _options(
            "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group",
            "--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--other-user",
            "--command-timeout",
        ),
        assignments=True,
    ),
    "doas": _Wrapper(_options("-u", "-C"), assignments=True),
    "env": _Wrapper(_options("-u", "--unset", "-C", "--chdir", "-S", "--split-string"), assignments=True),
    "nice": _Wrapper(_options("-n", "--adjustment")),
    "ionice": _Wrapper(_options("-c", "-n", "-p", "--class", "--classdata")),
    "nohup": _Wrapper(),
    "eatmydata": _Wrapper(),
    "busybox": _Wrapper(),
    "exec": _Wrapper(_options("-a")),
    "command": _Wrapper(lookup=_options("-v", "-V")),
    "builtin": _Wrapper(),
    "time": _Wrapper(_options("-f", "-o", "--format", "--output")),
    "stdbuf": _Wrapper(_options("-i", "-o", "-e", "--input", "--output", "--error")),
    "timeout": _Wrapper(_options("-s", "-k", "--signal", "--kill-after"), positionals=1),
    "xargs": _Wrapper(
        _options(
            "-I", "-n", "-L", "-P", "-d", "-E", "-s", "-a", "--max-args", "--max-lines",
            "--max-procs", "--delimiter", "--eof", "--max-chars", "--arg-file", "--replace",
            "--process-slot-var",
        )
    ),
    "gosu": _Wrapper(positionals=1),
    "su-exec": _Wrapper(positionals=1),
    "chroot": _Wrapper(_options("--userspec", "--groups"), positionals=1),
}  # fmt: skip


def _skip_options(words: Sequence[ShellWord], i: int, takes_value: frozenset[str]) -> int:
    """Index of the first word at or after i that is not an option (or an option's value)."""
    while i < len(words):
        value = words[i].value
        if value == "--":
            return i + 1
        if len(value) < 2 or value[0] != "-":
            return i
        if value.startswith("--"):
            i += 2 if value in takes_value else 1
            continue
        letters = value[1:]
        consumes = False
        for k, letter in enumerate(letters):
            if f"-{letter}" in takes_value:
                consumes = k == len(letters) - 1
                break
        i += 2 if consumes else 1
    return i


def strip_wrappers(words: Sequence[ShellWord]) -> tuple[ShellWord, ...]:
    rest = tuple(words)
    for _ in range(8):
        if not rest:
            break
        wrapper = _WRAPPERS.get(basename(rest[0].value))
        if wrapper is None:
            break
        if any(w.value in wrapper.lookup for w in rest[1:2]):
            return ()
        i = _skip_options(rest, 1, wrapper.takes_value)
        if wrapper.assignments:
            while i < len(rest) and (ASSIGNMENT.match(rest[i].value) or rest[i].value == "-"):
                i += 1
        rest = rest[min(i + wrapper.positionals, len(rest)) :]
    return rest


class _InterpreterSpec(NamedTuple):
    code: frozenset[str]  # option letters whose argument is program text (or a module)
    takes_value: frozenset[str] = frozenset()  # other option letters with an argument
    stdin: frozenset[str] = frozenset()  # option letters that make it read the program from stdin
    long_code: frozenset[str] = frozenset()
    long_value: frozenset[str] = frozenset()
    code_is_operand: bool = False  # `sh -c` takes the first operand as the program
    script: frozenset[str] = frozenset()  # option letters whose argument is the script file (`php -f`)
    dashdash_stdin: bool = False  # `php -- ARGS`: no script file, the program comes from stdin


_SHELL_SPEC = _InterpreterSpec(
    code=frozenset("c"),
    takes_value=frozenset("oO"),
    stdin=frozenset("s"),
    long_value=_options("--rcfile", "--init-file"),
    code_is_operand=True,
)
_SPECS: dict[str, _InterpreterSpec] = {
    "shell": _SHELL_SPEC,
    "python": _InterpreterSpec(code=frozenset("cm"), takes_value=frozenset("WX")),
    "perl": _InterpreterSpec(code=frozenset("eE")),
    "ruby": _InterpreterSpec(code=frozenset("e"), takes_value=frozenset("rI")),
    "node": _InterpreterSpec(
        code=frozenset("ep"),
        takes_value=frozenset("r"),
        long_code=_options("--eval", "--print"),
        long_value=_options("--require", "--import", "--loader"),
    ),
    "php": _InterpreterSpec(
        code=frozenset("rBRE"),  # -B/-R/-E: code run over stdin taken as data
        takes_value=frozenset("dcztS"),
        script=frozenset("fF"),
        dashdash_stdin=True,
    ),
}
_VERSION = r"(?:\d+(?:\.\d+)*)?"
_PYTHON = re.compile(rf"(?:python|pypy){_VERSION}")
_VERSIONED = re.compile(rf"(perl|ruby){_VERSION}|(php){_VERSION}(?:-?cli)?")  # perl5, ruby3.2, php8.2, php7cli
# Script paths that are standard input itself (`curl … | bash /dev/stdin --flag`).
STDIN_PATHS = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


def interpreter_family(name: str) -> str | None:
    """The family ("shell", "python", "perl", "ruby", "node" or "php") of a program name, else None."""
    if name in SHELLS:
        return "shell"
    if _PYTHON.fullmatch(name):
        return "python"
    versioned = _VERSIONED.fullmatch(name)
    if versioned:
        return versioned.group(1) or versioned.group(2)
    if name in ("node", "nodejs"):
        return "node"
    return None


class Invocation(NamedTuple):
    """How an interpreter command gets its program.

    `code` is the word holding program text given on the command line (`sh -c CODE`,
    `python3 -c CODE`, `python3 -m MODULE`); `script` the first operand otherwise (a script
    file, `-` or `/dev/stdin`); `reads_stdin` whether the program comes from standard input:
    no script (`sh`, `sh -s -- ARGS`, `php -- ARGS`) or a script that is stdin (`python - ARGS`).
    """

    family: str
    code: ShellWord | None
    runs_code: bool
    script: ShellWord | None
    reads_stdin: bool


def interpreter_invocation(argv: Sequence[ShellWord]) -> Invocation | None:
    """How argv (wrappers already stripped) runs a program, or None when it is no interpreter."""
    if not argv:
        return None
    family = interpreter_family(basename(argv[0].value))
    if family is None:
        return None
    spec = _SPECS[family]
    code: ShellWord | None = None
    runs_code = stdin = False
    operands: list[ShellWord] = []
    i = 1
    while i < len(argv):
        value = argv[i].value
        if operands or value == "-" or value[:1] not in "-+" or len(value) < 2:
            operands.append(argv[i])
        elif value == "--":
            if spec.dashdash_stdin:
                stdin = True  # what follows are the program's arguments
            else:
                operands.extend(argv[i + 1 :])
            break
        elif value.startswith("--"):
            name, eq, _ = value.partition("=")
            if name in spec.long_code:
                runs_code = True
                if not eq and i + 1 < len(argv):
                    code = argv[i + 1]
                    i += 1
                elif eq:
                    code = argv[i]
            elif name in spec.long_value and not eq:
                i += 1
        else:
            letters = value[1:]
            for k, letter in enumerate(letters):
                if letter in spec.stdin:
                    stdin = True
                elif letter in spec.code:
                    runs_code = True
                    if spec.code_is_operand:
                        continue
                    if k + 1 < len(letters):
                        code = argv[i]
                    elif i + 1 < len(argv):
                        code = argv[i + 1]
                        i += 1
                    break
                elif letter in spec.script:
                    if k + 1 < len(letters):
                        operands.append(argv[i]._replace(value=letters[k + 1 :]))
                    elif i + 1 < len(argv):
                        operands.append(argv[i + 1])
                        i += 1
                    break
                elif letter in spec.takes_value:
                    if k + 1 == len(letters):
                        i += 1
                    break
        i += 1
    if runs_code and spec.code_is_operand:
        code = operands[0] if operands else None
        operands = operands[1:]
    script = None if runs_code or stdin or not operands else operands[0]
    reads_stdin = not runs_code and (stdin or script is None or script.value in STDIN_PATHS)
    return Invocation(family, code, runs_code, script, reads_stdin)


def heredoc_runs_as_shell(argv: Sequence[ShellWord], body: str) -> bool:
    """Whether a heredoc given to the command argv is run as a shell script.

    A heredoc with no command around it (`RUN <<EOF`) is a script for the default shell,
    unless its first line is a `#!` naming another interpreter; `bash <<EOF` and
    `sh -s -- args <<EOF` read it as a script; anything else (`cat`, `python3`) gets data.
    """
    if not argv:
        if body.startswith("#!"):
            parts = body[2:].split("\n", 1)[0].split()
            if not parts:
                return True
            program = basename(parts[0])
            if program == "env":
                program = next((basename(p) for p in parts[1:] if not p.startswith("-")), "")
            return interpreter_family(program) == "shell"
        return True
    invocation = interpreter_invocation(argv)
    return invocation is not None and invocation.family == "shell" and invocation.reads_stdin
