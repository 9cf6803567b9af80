"""Runs the rules over a file's facts, applies selection and suppressions, yields diagnostics.

Selection follows ruff: the default set (or `select`), plus `extend-select`, minus `ignore`,
minus the file's `per-file-ignores`; selectors are codes, code prefixes (`PIN2`), rule
names, or `ALL`. Suppressions are comments: `# pinlint: ignore[=CODES]` in the comment block
right above a Dockerfile instruction (or inside it) silences that instruction; in YAML it
silences its own line and the line below (each source kind declares which, in the source
registry); `# pinlint: ignore-file[=CODES]` anywhere silences the file. A project moving from
hadolint keeps its reviewed exceptions: `# hadolint ignore=DL3006,DL3007` silences PIN002 and
PIN001 the same way (hadolint's other codes are not pinlint's and are left alone). `tag-only-fields`
names fields whose images must stay tags: the digest rules (PIN001–PIN003) skip them.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import NamedTuple

from pinlint.config import Config
from pinlint.errors import ConfigError, UsageError
from pinlint.gitignore import glob_regex
from pinlint.model import Diagnostic, FileFacts, ImageUse, Span
from pinlint.rules import BY_CODE, BY_NAME, RULES
from pinlint.rules.base import RuleContext
from pinlint.rules.pin100 import SuppressionUse
from pinlint.shell import RunScripts, run_scripts
from pinlint.sources.registry import KINDS, SUPPRESS_LINE

_SUPPRESSION = re.compile(r"\s*pinlint:\s*(ignore-file|ignore)(?![\w-])\s*(?:=\s*(.*?))?\s*$")
_HADOLINT = re.compile(r"\s*hadolint\s+ignore\s*=\s*(\S.*?)\s*$")
# hadolint's image-tag rules and the pinlint rules that report the same thing
HADOLINT_CODES = {"DL3006": "PIN002", "DL3007": "PIN001"}
_ALL = "ALL"
PARSE_ERROR = "PIN900"
PIN100 = "PIN100"  # unused-suppression


def expand_selectors(selectors: Iterable[str], *, source: str) -> set[str]:
    """Codes named by selectors; an unknown selector is an error naming it."""
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if selector.upper() == _ALL:
            codes.update(BY_CODE)
            continue
        if selector in BY_NAME:
            codes.add(BY_NAME[selector].CODE)
            continue
        matched = {code for code in BY_CODE if code.startswith(selector.upper())}
        if not selector or not matched:
            error = ConfigError if source.startswith("'") or source == "config" else UsageError
            raise error(f"unknown rule selector '{raw}' in {source}{_selector_hint(selector)}")
        codes.update(matched)
    return codes


def _selector_hint(selector: str) -> str:
    import difflib

    close = difflib.get_close_matches(selector.lower(), list(BY_NAME), n=1, cutoff=0.75)  # names: codes are too alike
    return f" (did you mean '{close[0]}'?)" if close else ""


def _in_config(config: Config, key: str) -> str:
    """Where a configuration's selector list comes from, for errors: `'select' of /x/pinlint.toml`."""
    return f"'{key}' of {config.path}" if config.path is not None else "config"


class Selection(NamedTuple):
    enabled: frozenset[str]
    per_file: tuple[tuple[re.Pattern[str], frozenset[str]], ...]

    @classmethod
    def build(
        cls,
        config: Config,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        extend_select: Sequence[str] = (),
    ) -> Selection:
        if select is not None:
            enabled = expand_selectors(select, source="--select")
        elif config.select is not None:
            enabled = expand_selectors(config.select, source=_in_config(config, "select"))
        else:
            enabled = {rule.CODE for rule in RULES if rule.DEFAULT_ENABLED}
        enabled |= expand_selectors(config.extend_select, source=_in_config(config, "extend-select"))
        enabled |= expand_selectors(extend_select, source="--extend-select")
        enabled.add(PARSE_ERROR)  # always on, unless ignored by name
        enabled -= expand_selectors(config.ignore, source=_in_config(config, "ignore"))
        enabled -= expand_selectors(ignore, source="--ignore")
        per_file = tuple(
            (glob_regex(glob), frozenset(expand_selectors(codes, source=_in_config(config, "per-file-ignores"))))
            for glob, codes in config.per_file_ignores
        )
        return cls(frozenset(enabled), per_file)

    def for_file(self, relpath: str) -> frozenset[str]:
        name = relpath.rsplit("/", 1)[-1]
        removed: set[str] = set()
        for regex, codes in self.per_file:
            if regex.match(relpath) or regex.match(name):
                removed |= codes
        return self.enabled - removed if removed else self.enabled


class _Entry(NamedTuple):
    """One suppression comment: where it applies and what it names."""

    line: int  # of the comment
    text: str  # after '#'
    first: int
    last: int
    codes: frozenset[str]  # empty: every code
    selectors: tuple[tuple[str, frozenset[str]], ...]  # as written → the codes each names
    unknown: tuple[str, ...]  # written codes that name no rule

    def applies(self, code: str, line: int) -> bool:
        return self.first <= line <= self.last and (not self.codes or code in self.codes)


class _Suppressions(NamedTuple):
    entries: tuple[_Entry, ...]

    def suppressed(self, code: str, line: int) -> bool:
        return any(entry.applies(code, line) for entry in self.entries)


_WHOLE_FILE = 1 << 30


def _selectors(text: str | None) -> tuple[frozenset[str], tuple[tuple[str, frozenset[str]], ...], tuple[str, ...]]:
    """Codes named in a suppression comment (prefixes expand), each selector as written with its
    codes, and the selectors that name no rule (kept as written, upper-cased, in `codes` too)."""
    codes: set[str] = set()
    selectors: list[tuple[str, frozenset[str]]] = []
    unknown: list[str] = []
    for selector in re.split(r"[,\s]+", text or ""):
        if not selector:
            continue
        try:
            named = frozenset(expand_selectors([selector], source="comment"))
        except UsageError:
            unknown.append(selector.upper())
            named = frozenset({selector.upper()})
        else:
            selectors.append((selector, named))
        codes |= named
    return frozenset(codes), tuple(selectors), tuple(unknown)


def _codes(text: str | None) -> frozenset[str]:
    """Codes named in a suppression comment; prefixes expand, unknown codes are kept as written."""
    return _selectors(text)[0]


def suppressions(facts: FileFacts) -> _Suppressions:
    """Where the file's `# pinlint: ignore` comments apply; how, the file's kind says."""
    line_scoped = KINDS[facts.kind].suppression == SUPPRESS_LINE
    entries: list[_Entry] = []
    starts = [instr.start_line for instr in facts.instructions]
    comment_lines = {line for line, _ in facts.comments}
    for line, text in facts.comments:
        match = _SUPPRESSION.match(text)
        if match is None:
            hadolint = _HADOLINT.match(text)
            if hadolint is None:
                continue
            mapped = {HADOLINT_CODES.get(code) for code in re.split(r"[,\s]+", hadolint.group(1).upper())}
            codes = frozenset(code for code in mapped if code is not None)
            if not codes:
                continue  # none of hadolint's codes here is one of pinlint's
            scope = "ignore"
            selectors: tuple[tuple[str, frozenset[str]], ...] = tuple((c, frozenset({c})) for c in sorted(codes))
            unknown: tuple[str, ...] = ()
        else:
            codes, selectors, unknown = _selectors(match.group(2))
            scope = match.group(1)
        if scope == "ignore-file":
            entries.append(_Entry(line, text, 1, _WHOLE_FILE, codes, selectors, unknown))
            continue
        if line_scoped:
            entries.append(_Entry(line, text, line, line + 1, codes, selectors, unknown))  # this line or the next
            continue
        pos = bisect.bisect_right(starts, line)
        if pos > 0 and facts.instructions[pos - 1].end_line >= line:
            instr = facts.instructions[pos - 1]
        elif pos < len(starts) and all(n in comment_lines for n in range(line + 1, starts[pos])):
            instr = facts.instructions[pos]
        else:
            entries.append(_Entry(line, text, 0, -1, codes, selectors, unknown))  # applies to nothing
            continue
        entries.append(_Entry(line, text, instr.start_line, instr.end_line, codes, selectors, unknown))
    return _Suppressions(tuple(entries))


def _comment_span(facts: FileFacts, line: int, text: str) -> Span:
    """The comment on `line` whose text after '#' is `text`, from its '#' to the end of the line."""
    start = facts.index.line_start(line)
    end = facts.text.find("\n", start)
    end = len(facts.text) if end == -1 else end
    if facts.text[start:end].endswith("\r"):
        end -= 1
    at = facts.text.rfind(text, start, end) if text else -1
    hash_at = facts.text.rfind("#", start, at if at != -1 else end)
    hash_at = start if hash_at == -1 else hash_at
    return facts.index.span(hash_at, end)


def _suppression_uses(
    facts: FileFacts, sup: _Suppressions, used: list[set[str]], enabled: frozenset[str]
) -> list[SuppressionUse]:
    """What each suppression comment did, for PIN100."""
    uses = []
    for entry, silenced in zip(sup.entries, used, strict=True):
        unused = tuple(
            written
            for written, named in entry.selectors
            if named & enabled and not named & silenced and PIN100 not in named
        )
        uses.append(
            SuppressionUse(
                span=_comment_span(facts, entry.line, entry.text),
                text=entry.text,
                blanket=not entry.codes,
                unknown=entry.unknown,
                unused=unused,
                silenced=bool(silenced),
            )
        )
    return uses


def image_ignored(use: ImageUse, patterns: Sequence[str]) -> bool:
    """Whether `ignore-images` (globs) names this use: as written, expanded, or by its name."""
    if not patterns:
        return False
    candidates = [use.text]
    if use.value is not None:
        candidates.append(use.value)
    if use.ref is not None:
        candidates += [str(use.ref), use.ref.name, use.ref.familiar_name]
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


DIGEST_RULES = frozenset({"PIN001", "PIN002", "PIN003"})  # the rules that ask for a digest


def tag_only(use: ImageUse, patterns: Sequence[str]) -> bool:
    """Whether `tag-only-fields` (globs) names the field this use is in: one whose value must stay
    a tag (a CRD field that rejects digests, a chart value also used as a label)."""
    return bool(use.field) and any(fnmatch.fnmatchcase(use.field, p) for p in patterns)


def lint(
    facts: FileFacts,
    config: Config,
    codes: frozenset[str],
    rules: Sequence[ModuleType] = RULES,
    lock: Mapping[str, str] | None = None,
    online: Sequence[object] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for one file, sorted by position.
    `online` holds the registry's view of the file's pinned references (`check --online`)."""
    ctx = RuleContext(path=facts.path, config=config, lock=lock, lock_name=config.lock_file)
    active = [rule for rule in rules if rule.CODE in codes]
    diagnostics: list[Diagnostic] = []
    runs: list[RunScripts] | None = None  # each RUN's shell scripts, parsed once for every "run" rule
    for rule in active:
        if rule.TARGET == "image":
            uses = [u for u in facts.images if not image_ignored(u, config.ignore_images)]
            if rule.CODE in DIGEST_RULES and config.tag_only_fields:
                uses = [u for u in uses if not tag_only(u, config.tag_only_fields)]
            items: Iterable[object] = uses
        elif rule.TARGET == "instruction":
            items = facts.instructions
        elif rule.TARGET == "run":
            if runs is None:
                runs = [run_scripts(i) for i in facts.instructions if i.keyword == "RUN"]
            items = runs
        elif rule.TARGET == "suppression":
            continue  # after the other rules: it needs to know what each comment silenced
        elif rule.TARGET == "online":
            if online is None:
                continue  # needs the registry: pinlint.online passes what it found
            items = online
        else:
            items = [
                *facts.errors,
                *((u.span, f"Invalid image reference '{u.text}': {u.error}") for u in facts.images if u.error),
            ]
        for item in items:
            for finding in rule.check(item, ctx):
                diagnostics.append(
                    Diagnostic(
                        path=facts.path,
                        span=finding.span,
                        code=rule.CODE,
                        name=rule.NAME,
                        severity=rule.SEVERITY,
                        message=finding.message,
                        fixable=finding.fixable,
                        use=finding.use,
                    )
                )
    hygiene = PIN100 in codes and any(rule.CODE == PIN100 for rule in active)
    if facts.comments and (diagnostics or hygiene):
        sup = suppressions(facts)
        used: list[set[str]] = [set() for _ in sup.entries]
        kept = []
        for d in diagnostics:
            hits = [i for i, entry in enumerate(sup.entries) if entry.applies(d.code, d.span.line)]
            for i in hits:
                used[i].add(d.code)
            if not hits:
                kept.append(d)
        diagnostics = kept
        if hygiene:
            rule = BY_CODE[PIN100]
            for item in _suppression_uses(facts, sup, used, codes):
                for finding in rule.check(item, ctx):
                    diagnostics.append(
                        Diagnostic(facts.path, finding.span, PIN100, rule.NAME, rule.SEVERITY, finding.message)
                    )
    diagnostics.sort(key=lambda d: (d.span.line, d.span.column, d.code))
    return diagnostics
