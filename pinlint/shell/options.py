"""Options and operands of a command line, getopt-style, and a tool's subcommand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pinlint.shell.syntax import ShellWord


class Option(NamedTuple):
    name: str  # "-v", "--version" (as written, value removed)
    value: str | None
    word: ShellWord  # the word holding the option
    value_word: ShellWord | None = None  # a separate word holding the value


class ParsedArgs(NamedTuple):
    operands: tuple[ShellWord, ...]
    options: tuple[Option, ...]

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)

    def get(self, *names: str) -> Option | None:
        """The last option with one of the names."""
        found = None
        for option in self.options:
            if option.name in names:
                found = option
        return found


def parse_args(
    words: Sequence[ShellWord], takes_value: frozenset[str] = frozenset(), *, clusters: bool = True
) -> ParsedArgs:
    """Split words into options and operands, getopt-style (options may follow operands).

    `takes_value` names the options that take an argument (`-o`, `--target`); `--name=value`
    and (with `clusters`) `-ovalue`, `-yqo value` are understood. Without `clusters`, a
    single dash starts a long option, as Go tools write them (`-ldflags=…`). `--` ends options.
    """
    operands: list[ShellWord] = []
    options: list[Option] = []
    i = 0
    while i < len(words):
        word = words[i]
        value = word.value
        following = words[i + 1] if i + 1 < len(words) else None
        if value == "--":
            operands.extend(words[i + 1 :])
            break
        if len(value) < 2 or value[0] != "-":
            operands.append(word)
        elif value.startswith("--") or not clusters:
            name, eq, rest = value.partition("=")
            if eq:
                options.append(Option(name, rest, word))
            elif name in takes_value and following is not None:
                options.append(Option(name, following.value, word, following))
                i += 1
            else:
                options.append(Option(name, None, word))
        else:
            letters = value[1:]
            for k, letter in enumerate(letters):
                name = f"-{letter}"
                if name not in takes_value:
                    options.append(Option(name, None, word))
                    continue
                rest = letters[k + 1 :]
                if rest:
                    options.append(Option(name, rest.removeprefix("="), word))
                elif following is not None:
                    options.append(Option(name, following.value, word, following))
                    i += 1
                else:
                    options.append(Option(name, None, word))
                break
        i += 1
    return ParsedArgs(tuple(operands), tuple(options))


def subcommand(
    words: Sequence[ShellWord], takes_value: frozenset[str] = frozenset(), *, clusters: bool = True
) -> tuple[ShellWord | None, tuple[ShellWord, ...], tuple[ShellWord, ...]]:
    """The first operand of words (a tool's subcommand), the words before it and after it."""
    i = 0
    while i < len(words):
        value = words[i].value
        if value.startswith("+"):  # `cargo +nightly install`
            i += 1
        elif len(value) >= 2 and value[0] == "-" and value != "--":
            name = value.partition("=")[0] if (value.startswith("--") or not clusters) else value[:2]
            attached = "=" in value if (value.startswith("--") or not clusters) else len(value) > 2
            i += 2 if name in takes_value and not attached else 1
        else:
            break
    if i >= len(words):
        return None, tuple(words), ()
    return words[i], tuple(words[:i]), tuple(words[i + 1 :])
