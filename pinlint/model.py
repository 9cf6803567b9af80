"""Values shared by every stage of a run: source positions, parsed facts, diagnostics, results.

Positions are 1-based lines and columns counted in code points, end exclusive, plus the
0-based character offsets into the decoded text (BOM removed) that edits are made from.
"""

from __future__ import annotations

from bisect import bisect_right
from enum import IntEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pinlint.reference import ImageRef


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None


class Span(NamedTuple):
    """A region of a source file: `line:column` to `end_line:end_column` (end exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int  # character offset of the first character
    end: int  # character offset just past the last character


class TextIndex:
    """Maps character offsets of one text to 1-based line/column positions."""

    __slots__ = ("_line_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._line_starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(line, column, end_line, end_column, start, end)

    def line_start(self, line: int) -> int:
        """Offset of the first character of a 1-based line."""
        return self._line_starts[line - 1]

    @property
    def line_count(self) -> int:
        return len(self._line_starts)


class MappedText(NamedTuple):
    """Text assembled from pieces of a source (a joined logical line, a heredoc body).

    `offsets[i]` is the source offset of `text[i]`; a negative offset marks a character that
    does not come from the source as written (a build argument value given elsewhere).
    """

    text: str
    offsets: tuple[int, ...]

    def source_range(self, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
        """The source region that text[start:end] was copied from, when it is one contiguous run."""
        end = len(self.text) if end is None else end
        if start >= end:
            return None
        offs = self.offsets[start:end]
        first = offs[0]
        if first < 0:
            return None
        for i, off in enumerate(offs):
            if off != first + i:
                return None
        return first, first + len(offs)

    def covering_range(self, start: int, end: int) -> tuple[int, int]:
        """Source region from the first to the last character of text[start:end]."""
        known = [o for o in self.offsets[start:end] if o >= 0]
        if not known:
            raise ValueError("text has no source position")
        return known[0], known[-1] + 1


class Word(NamedTuple):
    """A whitespace-delimited word of an instruction, as written (quotes kept)."""

    text: str
    span: Span
    start: int  # offset into the instruction's logical text
    end: int


class ExecArg(NamedTuple):
    """One string of an exec-form JSON array (`RUN ["sh", "-c", "…"]`), decoded.

    `start`/`end` cover the string with its quotes, as offsets into the instruction's
    `command_text`; `offsets[i]` is the offset there of the raw text of value[i], and
    offsets[len(value)] that of the closing quote.
    """

    value: str
    start: int
    end: int
    offsets: tuple[int, ...]


class SourceArg(NamedTuple):
    """A source of an ADD or COPY (an argument before the destination), quotes removed."""

    value: str
    span: Span


class Heredoc(NamedTuple):
    name: str
    body: str
    body_span: Span  # the body lines, without the terminator
    chomp: bool  # <<- strips leading tabs
    expand: bool  # unquoted delimiter: the body is variable-expanded


class Instruction(NamedTuple):
    """One Dockerfile instruction after continuation joining.

    `keyword` is upper-case. For `ONBUILD X`, `keyword` is X's and `onbuild` is True.
    `body` holds the text after the keyword (flags included), continuation characters and
    comment lines removed, with a source offset for each character.
    """

    keyword: str
    span: Span  # from the keyword to the end of the last line of the instruction
    start_line: int
    end_line: int  # heredoc bodies included
    body: MappedText
    flags: tuple[Word, ...]
    args: tuple[Word, ...]
    heredocs: tuple[Heredoc, ...] = ()
    json: bool = False
    onbuild: bool = False
    text_index: TextIndex | None = None
    exec_args: tuple[ExecArg, ...] | None = None  # the strings of the exec form, when `json`
    sources: tuple[SourceArg, ...] = ()  # ADD/COPY: every argument but the destination

    @property
    def command_text(self) -> str:
        """The arguments after the flags, as one logical line."""
        if not self.args:
            return ""
        return self.body.text[self.args[0].start :]

    @property
    def command_start(self) -> int:
        return self.args[0].start if self.args else len(self.body.text)

    def flag(self, name: str) -> Word | None:
        """The last `--name[=value]` flag, if present."""
        found = None
        for word in self.flags:
            if word.text == f"--{name}" or word.text.startswith(f"--{name}="):
                found = word
        return found

    def span_of(self, start: int, end: int) -> Span:
        """Source span of body.text[start:end]; ValueError when it has no source position."""
        if self.text_index is None:
            raise ValueError("instruction without a source index")
        first, last = self.body.covering_range(start, end)
        return self.text_index.span(first, last)

    def heredoc_span(self, heredoc: Heredoc, start: int, end: int) -> Span:
        """Source span of heredoc.body[start:end] (a body is copied verbatim from the source)."""
        if self.text_index is None:
            raise ValueError("instruction without a source index")
        base = heredoc.body_span.start
        return self.text_index.span(base + start, base + end)


class ImageUse(NamedTuple):
    """One place a file names an image.

    `text` is the source slice at `span`; `value` is that reference after variable expansion
    (None when a variable has no value); `ref` the parsed reference (None when `value` is
    None or invalid, then `error` says why). `default_span` is where the reference actually
    lives when it came from an ARG default or a `${VAR:-default}` (a fix writes there);
    `pin_span` is the region a digest is appended to, None when the reference is composed
    of several pieces and cannot be pinned inline. `varied_value` is what a reference with a
    digest would read if each variable it uses had another value (PIN006 compares the two).
    Built by `pinlint.sources.uses.image_use`, the same way for every source.
    """

    path: str
    kind: str
    text: str
    span: Span
    value: str | None
    ref: ImageRef | None
    error: str | None = None
    default_span: Span | None = None
    pin_span: Span | None = None
    unresolved: tuple[str, ...] = ()
    varied_value: str | None = None
    platform_dependent: bool = False
    digest_span: Span | None = None  # where the digest (`sha256:…`) is written, when it is one run


class Diagnostic(NamedTuple):
    path: str
    span: Span
    code: str
    name: str
    severity: Severity
    message: str
    fixable: bool = False
    use: ImageUse | None = None


class PinIntent(NamedTuple):
    """`fix` should resolve `use.ref` and append its digest at `use.pin_span`."""

    use: ImageUse


class FileFacts:
    """What a source parser extracted from one file (filled in while parsing, hence mutable)."""

    __slots__ = ("comments", "errors", "images", "index", "instructions", "kind", "path", "text")

    def __init__(self, path: str, text: str, index: TextIndex, kind: str = "dockerfile") -> None:
        self.path = path
        self.text = text
        self.index = index
        self.kind = kind  # a source kind (pinlint.sources.registry): how suppression comments apply
        self.images: list[ImageUse] = []
        self.instructions: list[Instruction] = []
        self.errors: list[tuple[Span, str]] = []  # become PIN900
        self.comments: list[tuple[int, str]] = []  # (line, text after '#')


class RunResult:
    """A run's diagnostics and how many files it checked (what the reporters print)."""

    __slots__ = ("diagnostics", "files_checked")

    def __init__(self, diagnostics: list[Diagnostic] | None = None, files_checked: int = 0) -> None:
        self.diagnostics: list[Diagnostic] = diagnostics if diagnostics is not None else []
        self.files_checked = files_checked


class CodedMessage(str):
    """A message in `FileFacts.errors` that belongs to another "source" rule than PIN900 (a
    build that cannot run is PIN901, a named file of no kind pinlint reads is PIN902)."""

    code: str

    def __new__(cls, text: str, code: str) -> CodedMessage:
        message = super().__new__(cls, text)
        message.code = code
        return message
