"""Dockerfile source: instructions and image uses with exact spans, as BuildKit reads them.

The lexer follows BuildKit's `parser.go`: parser directives at the top (`syntax`, `escape`,
`check`), continuation lines joined without a separator, comment and blank lines inside a
continuation dropped, heredoc bodies read raw and never taken as instructions. Each logical
line keeps the source offset of every character, so a token continued on a later physical
line still maps back to where it is written.

Image semantics follow BuildKit's Dockerfile frontend: only ARGs before the first FROM feed
FROM lines, ARG defaults chain, automatic platform arguments exist without a declaration,
`scratch` and earlier stage names are not images, `COPY --from` and `RUN --mount=from=` are
not expanded and may name a stage, an index or an image, and `# syntax=` names an image.

dockerfile-parse (the library) is not used for any of this: it is line-granular, 0-based,
mis-expands `${VAR:-x}` and chained ARGs and reads heredoc bodies as instructions (see the
correction tests in tests/test_dockerfile_source.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from pinlint.model import FileFacts, Heredoc, Instruction, MappedText, Span, TextIndex, Word
from pinlint.sources.arguments import copy_sources, parse_exec_form
from pinlint.sources.expand import SENTINEL, Expansion, ExpansionBudget, ExpansionError, Value, expand, literal
from pinlint.sources.registry import Parsed, ParseRun
from pinlint.sources.uses import image_use

KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)
_HEREDOC_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN"})
_JSON_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN", "CMD", "ENTRYPOINT", "SHELL", "VOLUME"})

# Automatic platform arguments exist in every build; their values depend on the build, so
# pinlint substitutes representative ones to classify a reference and marks it platform-dependent.
PLATFORM_ARGS: Mapping[str, str] = {
    "BUILDPLATFORM": "linux/amd64",
    "BUILDOS": "linux",
    "BUILDOSVERSION": "",
    "BUILDARCH": "amd64",
    "BUILDVARIANT": "",
    "TARGETPLATFORM": "linux/amd64",
    "TARGETOS": "linux",
    "TARGETOSVERSION": "",
    "TARGETARCH": "amd64",
    "TARGETVARIANT": "",
    "TARGETSTAGE": "",
}

_DIRECTIVE = re.compile(r"#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*", re.ASCII)
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_WORD = re.compile(r"(\d*)<<(-?)([^<]*)", re.DOTALL)
_STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*", re.ASCII)
MAX_LINE = 65535  # BuildKit: "dockerfile line greater than max allowed size of 65535"
_WS = " \t\v\f\r"  # what separates words (BuildKit's reWhitespace)


def _lstrip_space(text: str) -> str:
    """Strip leading white space as Go's unicode.IsSpace defines it (NBSP, NEL, U+3000 included)."""
    i = 0
    while i < len(text) and (text[i] in " \t\v\f\r\x85\xa0" or (text[i] > "\xff" and text[i].isspace())):
        i += 1
    return text[i:]


class _ParseError(Exception):
    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.start = start
        self.end = end


def _words(body: MappedText, start: int, index: TextIndex, *, quotes: bool = True) -> list[Word]:
    """Split body.text[start:] into whitespace-separated words; quotes group when `quotes`."""
    text = body.text
    words = []
    i = start
    n = len(text)
    while i < n:
        while i < n and text[i] in _WS:
            i += 1
        if i >= n:
            break
        begin = i
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and quote == '"' and i + 1 < n:
                    i += 1
            elif ch in _WS:
                break
            elif quotes and ch in "'\"":
                quote = ch
            elif ch == "\\" and i + 1 < n:
                i += 1
            i += 1
        first, last = body.covering_range(begin, i)
        words.append(Word(text[begin:i], index.span(first, last), begin, i))
    return words


def _split_flags(words: list[Word]) -> tuple[list[Word], list[Word]]:
    """Leading `--flag[=value]` words, then the rest (a bare `--` ends the flags)."""
    for i, word in enumerate(words):
        if word.text == "--":
            return words[:i], words[i + 1 :]
        if not word.text.startswith("--"):
            return words[:i], words[i:]
    return words, []


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


class _Lines:
    """The physical lines of a text, with their start offsets, newline characters excluded."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.lines: list[str] = []
        pos = 0
        for raw in text.split("\n"):
            self.starts.append(pos)
            self.lines.append(raw[:-1] if raw.endswith("\r") else raw)
            pos += len(raw) + 1
        if self.lines and self.lines[-1] == "" and text.endswith("\n"):
            self.lines.pop()
            self.starts.pop()


class DockerfileParser:
    def __init__(
        self,
        text: str,
        path: str,
        build_args: Mapping[str, Value] | None = None,
        contexts: Collection[str] = (),
    ) -> None:
        self.contexts = frozenset(contexts)
        self.text = text
        self.path = path
        self.index = TextIndex(text)
        self.facts = FileFacts(path=path, text=text, index=self.index)
        self.build_args = build_args or {}
        self.escape = "\\"
        self._continuation = self._continuation_regex("\\")
        self.syntax: tuple[str, int] | None = None  # directive value and its offset
        # global ARGs whose value used a variable that had none: name → those variables
        self.tainted: dict[str, tuple[str, ...]] = {}
        self.declared: set[str] = set(PLATFORM_ARGS)  # what a --build-arg can set
        self.budget = ExpansionBudget()  # all of this file's expansions together

    @staticmethod
    def _continuation_regex(escape: str) -> re.Pattern[str]:
        e = re.escape(escape)
        return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")

    def _error(self, message: str, start: int, end: int | None = None) -> None:
        end = start if end is None else end
        self.facts.errors.append((self.index.span(start, end), message))

    # -- lexing ------------------------------------------------------------------------

    def parse(self) -> FileFacts:
        lines = _Lines(self.text)
        try:
            self._lex(lines)
        except _ParseError as exc:
            self._error(str(exc), exc.start, exc.end)
        if "\r" in self.text and "\n" not in self.text:
            self._error("CR-only line endings: BuildKit reads the whole file as one line", 0)
        if lines.lines and lines.lines[0].startswith("#!"):
            self._syntax_after_shebang(lines)
        if not self.facts.instructions and not self.facts.errors:
            self._error("file with no instructions", 0)
        self._analyse()
        return self.facts

    def _lex(self, lines: _Lines) -> None:
        for number, line in enumerate(lines.lines):
            if len(line) > MAX_LINE:
                start = lines.starts[number]
                raise _ParseError(f"line longer than the {MAX_LINE} characters BuildKit allows", start, start)
        directives_done = False
        seen_directives: set[str] = set()
        n = len(lines.lines)
        i = 0
        while i < n:
            raw = lines.lines[i]
            base = lines.starts[i]
            stripped = _lstrip_space(raw)
            lead = len(raw) - len(stripped)
            if not directives_done:
                directives_done = self._directive(stripped, base + lead, seen_directives)
            i += 1
            if stripped.startswith("#"):
                self.facts.comments.append((i, stripped[1:]))
                continue
            if not stripped:
                continue
            chars = stripped
            start_line = i
            offsets = list(range(base + lead, base + lead + len(stripped)))
            chars, offsets, more = self._trim_continuation(chars, offsets)
            while more and i < n:
                raw = lines.lines[i]
                base = lines.starts[i]
                i += 1
                stripped = _lstrip_space(raw)
                if stripped.startswith("#"):
                    self.facts.comments.append((i, stripped[1:]))
                    continue
                if not stripped:
                    continue
                piece, piece_offsets, more = self._trim_continuation(raw, list(range(base, base + len(raw))))
                chars += piece
                offsets += piece_offsets
            body = MappedText(chars, tuple(offsets))
            if not chars.strip(_WS):
                continue
            i = self._instruction(body, start_line, i, lines)

    def _syntax_after_shebang(self, lines: _Lines) -> None:
        """BuildKit's syntax detection (unlike its parser) looks past a `#!` first line."""
        for raw, start in zip(lines.lines[1:], lines.starts[1:], strict=True):
            stripped = _lstrip_space(raw)
            match = _DIRECTIVE.fullmatch(stripped)
            if match is None or match.group(1).lower() not in _KNOWN_DIRECTIVES:
                return
            if match.group(1).lower() == "syntax":
                self.syntax = (match.group(2), start + len(raw) - len(stripped) + match.start(2))
                return

    def _trim_continuation(self, chars: str, offsets: list[int]) -> tuple[str, list[int], bool]:
        match = self._continuation.search(chars)
        if match is None:
            return chars, offsets, False
        cut = match.start() + 1 if match.group(1) else match.start()
        return chars[:cut], offsets[:cut], True

    def _directive(self, line: str, offset: int, seen: set[str]) -> bool:
        """Handle a possible parser directive; return True when directives are over."""
        match = _DIRECTIVE.fullmatch(line)
        if match is None:
            return True
        key = match.group(1).lower()
        if key not in _KNOWN_DIRECTIVES:
            return True
        if key in seen:
            raise _ParseError(f"only one {key} parser directive can be used", offset, offset + len(line))
        seen.add(key)
        value = match.group(2)
        value_offset = offset + match.start(2)
        if key == "escape":
            if value not in ("\\", "`"):
                raise _ParseError(
                    f"invalid escape token '{value}' does not match ` or \\", value_offset, value_offset + len(value)
                )
            self.escape = value
            self._continuation = self._continuation_regex(value)
        elif key == "syntax":
            self.syntax = (value, value_offset)
        return False

    def _instruction(self, body: MappedText, start_line: int, next_line: int, lines: _Lines) -> int:
        """Build one instruction from a logical line; returns the index of the next physical line."""
        text = body.text
        lead = len(text) - len(text.lstrip(_WS))
        kw_end = lead
        while kw_end < len(text) and text[kw_end] not in _WS:
            kw_end += 1
        keyword = text[lead:kw_end].upper()
        first, _ = body.covering_range(lead, kw_end)
        onbuild = False
        rest_start = kw_end
        if keyword == "ONBUILD":
            onbuild = True
            sub = rest_start
            while sub < len(text) and text[sub] in _WS:
                sub += 1
            sub_end = sub
            while sub_end < len(text) and text[sub_end] not in _WS:
                sub_end += 1
            keyword = text[sub:sub_end].upper()
            rest_start = sub_end
            if not keyword:
                self._error("ONBUILD requires an instruction", first, first + 7)
                return next_line
            if keyword in ("ONBUILD", "FROM", "MAINTAINER"):
                self._error(f"{keyword} isn't allowed as an ONBUILD trigger", first, first + 7)
        words = _words(body, rest_start, self.index)
        flags, args = _split_flags(words)
        exec_args = None
        if keyword in _JSON_INSTRUCTIONS and args and args[0].text.startswith("["):
            exec_args = parse_exec_form(text[args[0].start :])
        is_json = exec_args is not None
        heredocs: list[Heredoc] = []
        if keyword in _HEREDOC_INSTRUCTIONS and not is_json and "<<" in text:
            next_line = self._heredocs(body, lines, next_line, start_line, heredocs)
        end = body.covering_range(0, len(text.rstrip(_WS)))[1]
        instruction = Instruction(
            keyword=keyword,
            span=self.index.span(first, max(end, first)),
            start_line=start_line,
            end_line=next_line,
            body=body,
            flags=tuple(flags),
            args=tuple(args),
            heredocs=tuple(heredocs),
            json=is_json,
            onbuild=onbuild,
            text_index=self.index,
            exec_args=exec_args,
        )
        if keyword in ("ADD", "COPY"):
            instruction = instruction._replace(sources=copy_sources(instruction))
        self.facts.instructions.append(instruction)
        return next_line

    def _heredocs(self, body: MappedText, lines: _Lines, next_line: int, start_line: int, out: list[Heredoc]) -> int:
        for word in _words(body, 0, self.index):
            match = _HEREDOC_WORD.fullmatch(word.text)
            if match is None or not match.group(3):
                continue
            rest = match.group(3)
            name = _unquote_heredoc_name(rest)
            if name is None:
                continue
            chomp = match.group(2) == "-"
            body_start = lines.starts[next_line] if next_line < len(lines.starts) else len(self.text)
            while True:
                if next_line >= len(lines.lines):
                    raise _ParseError(
                        f"unterminated heredoc '{name}'", word.span.start, word.span.end
                    )
                candidate = lines.lines[next_line]
                if chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == name:
                    body_end = lines.starts[next_line]
                    next_line += 1
                    break
                next_line += 1
            out.append(
                Heredoc(
                    name=name,
                    body=self.text[body_start:body_end],
                    body_span=self.index.span(body_start, body_end),
                    chomp=chomp,
                    expand=name == rest,
                )
            )
        return next_line

    # -- semantics ---------------------------------------------------------------------

    def _analyse(self) -> None:
        if self.syntax is not None:
            value, offset = self.syntax
            ref_text = value.split()[0]
            self._image_use("syntax", MappedText(ref_text, tuple(range(offset, offset + len(ref_text)))), {}, False)
        all_stages = set()
        for instr in self.facts.instructions:
            if instr.keyword == "FROM" and not instr.onbuild and len(instr.args) == 3:
                all_stages.add(instr.args[2].text.lower())
            elif instr.keyword == "FROM" and not instr.onbuild and len(instr.args) > 3:
                named = instr.args[-2].text.lower() == "as"  # `FROM --platform x img AS name`: a stage still
                all_stages.update([instr.args[-1].text.lower()] if named else [])
        env: dict[str, Value] = {}
        for name, value in PLATFORM_ARGS.items():
            env[name] = literal(value)
        seen_from = False
        stages: list[str] = []
        for instr in self.facts.instructions:
            kw = instr.keyword
            if kw not in KNOWN_INSTRUCTIONS:
                self._error(f"unknown instruction: {kw}", instr.span.start, instr.span.start + len(kw))
                continue
            if not instr.onbuild and self._flag_without_value(instr):
                if kw == "FROM":
                    seen_from = True
                    named = len(instr.args) >= 3 and instr.args[-2].text.lower() == "as"
                    stages.append(instr.args[-1].text.lower() if named else "")
                continue  # BuildKit refuses the instruction: its words are not images
            if kw == "ARG" and not seen_from and not instr.onbuild:
                self._global_arg(instr, env)
            elif kw == "FROM" and not instr.onbuild:
                seen_from = True
                self._from(instr, env, stages)
            elif kw == "COPY":
                self._copy_from(instr, all_stages)
            elif kw == "RUN":
                self._mount_from(instr, all_stages)

    def _flag_without_value(self, instr: Instruction) -> bool:
        """A flag that takes a value written without `=` (`COPY --from nginx`, `FROM --platform
        linux/amd64 …`): BuildKit's instructions/bflag.go BFlags.Parse refuses it with "missing a
        value on flag", and the word after it is an argument, not the flag's value."""
        takes_value = _VALUE_FLAGS.get(instr.keyword, ())
        found = False
        for flag in instr.flags:
            name = flag.text[2:]
            if "=" not in name and name in takes_value:
                self._error(f"missing a value on flag: --{name}", flag.span.start, flag.span.end)
                found = True
        return found

    def _global_arg(self, instr: Instruction, env: dict[str, Value]) -> None:
        for word in instr.args:
            name, eq, _ = word.text.partition("=")
            if not name:
                continue
            self.declared.add(name)
            if name in self.build_args:
                env[name] = self.build_args[name]
                continue
            if not eq:
                # BuildKit dockerfile2llb/convert.go buildMetaArgs: a meta ARG without a value
                # leaves the value it already has (an earlier `ARG NAME=default`) in place
                continue
            start = word.start + len(name) + 1
            raw = MappedText(instr.body.text[start : word.end], instr.body.offsets[start : word.end])
            try:
                result = expand(raw, env, self.escape, self.budget)
            except ExpansionError as exc:
                self._error(f"ARG {name}: {exc}", word.span.start, word.span.end)
                continue
            env[name] = result.value
            missing = self._missing(result)
            if missing:
                self.tainted[name] = missing
            else:
                self.tainted.pop(name, None)

    def _missing(self, result: Expansion) -> tuple[str, ...]:
        """Variables without a value that the expansion depended on, through ARG defaults too."""
        names = list(result.missing)
        for used in result.used:
            names.extend(self.tainted.get(used, ()))
        return tuple(dict.fromkeys(names))

    def _from(self, instr: Instruction, env: dict[str, Value], stages: list[str]) -> None:
        args = instr.args
        if len(args) not in (1, 3) or (len(args) == 3 and args[1].text.lower() != "as"):
            self._error("FROM requires either one or three arguments", instr.span.start, instr.span.end)
            if not args:
                return
        image = args[0]
        stage_name = args[2].text.lower() if len(args) == 3 else None
        raw = MappedText(image.text, instr.body.offsets[image.start : image.end])
        self._image_use("from", raw, env, True, stages=stages, span=image.span)
        if stage_name is not None:
            if not _STAGE_NAME.fullmatch(stage_name):
                self._error(
                    f"invalid name for build stage: {args[2].text!r}, name can't start with a number "
                    "or contain symbols",
                    args[2].span.start,
                    args[2].span.end,
                )
            stages.append(stage_name)
        else:
            stages.append("")

    def _copy_from(self, instr: Instruction, all_stages: set[str]) -> None:
        flag = instr.flag("from")
        if flag is None or "=" not in flag.text:
            return
        self._stage_or_image("copy-from", instr, flag, flag.text.index("=") + 1, all_stages, numeric=True)

    def _mount_from(self, instr: Instruction, all_stages: set[str]) -> None:
        for flag in instr.flags:
            if not flag.text.startswith("--mount="):
                continue
            value_start = len("--mount=")
            fields = _csv_fields(flag.text, value_start)
            kinds = [v for k, v, _ in fields if k == "type"]
            if kinds and kinds[-1] not in ("bind", "cache"):
                continue
            for key, _, pos in fields:
                if key == "from":
                    self._stage_or_image("mount-from", instr, flag, pos, all_stages, numeric=False)

    def _stage_or_image(
        self, kind: str, instr: Instruction, flag: Word, value_pos: int, all_stages: set[str], *, numeric: bool
    ) -> None:
        end = len(flag.text)
        if kind == "mount-from":
            comma = flag.text.find(",", value_pos)
            end = comma if comma >= 0 else end
        value = flag.text[value_pos:end]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value_pos += 1
            end -= 1
            value = value[1:-1]
        if not value:
            return
        start_in_body = flag.start + value_pos
        offsets = instr.body.offsets[start_in_body : flag.start + end]
        if "$" in value:
            first, last = instr.body.covering_range(start_in_body, flag.start + end)
            what = "--from" if kind == "copy-from" else "'from'"
            self._error(
                f"variable expansion is not supported for {what}: {value!r}, define a stage with FROM and ARG instead",
                first,
                last,
            )
            return
        if (numeric and value.isdigit()) or value.lower() in all_stages or value == "scratch" or value in self.contexts:
            return
        if instr.onbuild:
            # A trigger runs in a downstream build whose stage names are unknown here; only a
            # reference that cannot be a stage name is taken as an image.
            if not any(c in value for c in ":/@."):
                return
            kind = f"onbuild-{kind}"
        self._image_use(kind, MappedText(value, offsets), {}, False)

    def _image_use(
        self,
        kind: str,
        raw: MappedText,
        env: Mapping[str, Value],
        expands: bool,
        *,
        stages: list[str] | None = None,
        span: Span | None = None,
    ) -> None:
        first, last = raw.covering_range(0, len(raw.text))
        span = span or self.index.span(first, last)
        text = self.text[span.start : span.end]
        if expands:
            try:
                result = expand(raw, env, self.escape, self.budget)
            except ExpansionError as exc:
                self._error(f"{exc} in {text!r}", span.start, span.end)
                return
        else:
            result = Expansion(raw)
        value = result.value
        names = self._missing(result)
        if names:
            self.facts.images.append(image_use(self.path, kind, self.index, span, raw, None, unresolved=names))
            return
        if stages is not None and (value.text in stages or value.text == "scratch" or value.text in self.contexts):
            return
        if not value.text:
            self._error(f"base name ({text}) should not be blank", span.start, span.end)
            return
        platform = any(name in PLATFORM_ARGS for name in result.used)
        self.facts.images.append(
            image_use(
                self.path,
                kind,
                self.index,
                span,
                raw,
                value,
                vary=lambda: self._varied(raw, result.used),
                platform_dependent=platform,
            )
        )

    def _varied(self, raw: MappedText, used: list[str]) -> str | None:
        """The reference with every declared variable it uses set to another value."""
        poisoned = {name: literal(SENTINEL) for name in used if name in self.declared}
        try:
            return expand(raw, poisoned, self.escape, self.budget).value.text
        except ExpansionError:
            return None


# Flags that take a value, per instruction (BuildKit instructions/parse.go parseFrom, parseCopy,
# parseAdd, parseHealthcheck and the RUN flags of instructions/commands_runmount.go & co.)
_VALUE_FLAGS: dict[str, tuple[str, ...]] = {
    "FROM": ("platform",),
    "COPY": ("from", "chown", "chmod", "exclude"),
    "ADD": ("chown", "chmod", "checksum", "exclude"),
    "RUN": ("mount", "network", "security", "device"),
    "HEALTHCHECK": ("interval", "timeout", "start-period", "start-interval", "retries"),
}


def _unquote_heredoc_name(rest: str) -> str | None:
    """The heredoc delimiter word with quotes removed, or None when it is not one word."""
    out = []
    quote = ""
    for ch in rest:
        if quote:
            if ch == quote:
                quote = ""
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch in _WS:
            return None
        else:
            out.append(ch)
    if quote or not out:
        return None
    return "".join(out)


def _csv_fields(text: str, start: int) -> list[tuple[str, str, int]]:
    """`key=value` fields of a CSV flag value: (key, value, offset of value in text)."""
    fields = []
    pos = start
    for part in text[start:].split(","):
        key, eq, value = part.partition("=")
        key = key.strip().strip("\"'").lower()
        fields.append((key, value if eq else "", pos + len(part) - len(value) if eq else pos))
        pos += len(part) + 1
    return fields


def parse_dockerfile(
    text: str, path: str, build_args: Mapping[str, Value] | None = None, contexts: Collection[str] = ()
) -> FileFacts:
    """Parse a Dockerfile's text (BOM already removed). Never raises on bad input: errors go to `errors`.
    `build_args` are `--build-arg` values; `contexts` are named build contexts (`--build-context`,
    Compose `additional_contexts`), which replace a stage or image of the same name."""
    return DockerfileParser(text, path, build_args, contexts).parse()


class BuildVariant(NamedTuple):
    """How another file builds a Dockerfile: build argument values and named build contexts."""

    args: Mapping[str, Value]
    contexts: frozenset[str] = frozenset()


def _distinct(variants: Sequence[BuildVariant]) -> list[BuildVariant]:
    """Build variants with the same argument values and contexts once each, in first-seen order."""
    seen: dict[tuple[tuple[tuple[str, str], ...], frozenset[str]], BuildVariant] = {}
    for variant in variants:
        key = (tuple(sorted((k, v.text) for k, v in variant.args.items())), variant.contexts)
        seen.setdefault(key, variant)
    return list(seen.values())


def parse(text: str, path: Path, display: str, contexts: Sequence[object], run: ParseRun) -> Parsed:
    """The source registry's entry: the file once per distinct way it is built (`contexts`:
    BuildVariants from the files that build it), or once without build arguments."""
    variants = _distinct([c for c in contexts if isinstance(c, BuildVariant)]) or [BuildVariant({})]
    return Parsed([parse_dockerfile(text, display, v.args, v.contexts) for v in variants])


def reparse(text: str, path: Path) -> FileFacts:
    return parse_dockerfile(text, str(path))
