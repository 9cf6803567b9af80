"""`fix` and `update`: turn resolved digests into span edits, check them, write them atomically.

`plan_pins` appends `@<digest>` right after each fixable reference as written (inside an ARG
default or a `${VAR:-default}` when that is where the reference lives), or writes the digest
into the field a format keeps it in (`ImageUse.pin_text`: a new `digest:` line); `plan_updates`
replaces only the digest of references whose tag now points elsewhere. Each file's edits are
applied back to front, the result is parsed again and must still hold every pinned
reference, and only then is it written (or shown as a diff). A file that changed on disk
since it was read (an editor, another run) is not overwritten.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pinlint.edits import BOM, Edit, EditConflict, apply, confine, encode, sync_directories, write_atomic
from pinlint.errors import PathError
from pinlint.model import FileFacts, ImageUse
from pinlint.reference import ImageRef
from pinlint.runner import SourceRecord


class Failure(NamedTuple):
    use: ImageUse
    reason: str


@dataclass
class FileChange:
    display: str
    record: SourceRecord
    new_text: str
    count: int  # references pinned or updated
    uses: tuple[ImageUse, ...] = ()  # the uses the edits were made for


@dataclass
class Plan:
    changes: list[FileChange] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(change.count for change in self.changes)


Reparse = Callable[[str, SourceRecord], FileFacts]


def _build(
    edits_by_file: Mapping[str, list[tuple[Edit, ImageUse]]],
    sources: Mapping[str, SourceRecord],
    reparse: Reparse,
    verify: Callable[[FileFacts, list[tuple[Edit, ImageUse]]], str | None],
    plan: Plan,
) -> None:
    for display, pairs in sorted(edits_by_file.items()):
        record = sources.get(display)
        if record is None:
            plan.failures.extend(Failure(use, "the file is not available for writing") for _, use in pairs)
            continue
        try:
            new_text = apply(record.text, [edit for edit, _ in pairs])
        except EditConflict as exc:
            plan.failures.extend(Failure(use, str(exc)) for _, use in pairs)
            continue
        if new_text == record.text:
            continue
        facts = reparse(new_text, record)
        problem = None
        if facts.errors:
            before = {message for _, message in reparse(record.text, record).errors}
            new = [message for _, message in facts.errors if message not in before]
            problem = f"the result does not parse cleanly ({new[0]})" if new else None
        problem = problem or verify(facts, pairs)
        if problem is not None:
            plan.failures.extend(Failure(use, f"not written: {problem}") for _, use in pairs)
            continue
        count = len({edit for edit, _ in pairs})
        plan.changes.append(FileChange(display, record, new_text, count, tuple(use for _, use in pairs)))


def plan_pins(
    uses: list[ImageUse],
    digests: Mapping[str, str],
    errors: Mapping[str, str],
    sources: Mapping[str, SourceRecord],
    reparse: Reparse,
) -> Plan:
    """Edits that pin each use (keyed by `str(ref)` in `digests`); failures for the rest."""
    plan = Plan()
    by_file: dict[str, list[tuple[Edit, ImageUse]]] = {}
    for use in uses:
        ref = use.ref
        if ref is None or use.pin_span is None:
            continue
        digest = digests.get(str(ref))
        if digest is None:
            plan.failures.append(Failure(use, errors.get(str(ref), "no digest")))
            continue
        before, after = use.pin_text
        edit = Edit(use.pin_span.end, use.pin_span.end, f"{before}{digest}{after}")
        by_file.setdefault(use.path, []).append((edit, use))

    def verify(facts: FileFacts, pairs: list[tuple[Edit, ImageUse]]) -> str | None:
        pinned = {(r.name, r.digest) for u in facts.images if (r := u.ref) is not None and r.digest}
        for edit, use in pairs:
            ref = use.ref
            assert ref is not None
            before, after = use.pin_text
            if (ref.name, edit.text[len(before) : len(edit.text) - len(after)]) not in pinned:
                return f"'{use.text}' is not pinned in the result"
        return None

    _build(by_file, sources, reparse, verify, plan)
    return plan


def plan_updates(
    uses: list[ImageUse],
    digests: Mapping[str, str],
    errors: Mapping[str, str],
    sources: Mapping[str, SourceRecord],
    reparse: Reparse,
) -> Plan:
    """Edits replacing the digest of each `name:tag@digest` use whose tag now has another digest."""
    plan = Plan()
    by_file: dict[str, list[tuple[Edit, ImageUse]]] = {}
    for use in uses:
        ref = use.ref
        if ref is None or ref.digest is None or ref.tag is None:
            continue
        key = str(ImageRef(ref.domain, ref.path, ref.tag, None))
        current = digests.get(key)
        if current is None:
            plan.failures.append(Failure(use, errors.get(key, "no digest")))
            continue
        if current == ref.digest:
            continue
        if use.digest_span is None:
            plan.failures.append(Failure(use, "the digest is composed from several parts; cannot rewrite it"))
            continue
        by_file.setdefault(use.path, []).append((Edit(use.digest_span.start, use.digest_span.end, current), use))

    def verify(facts: FileFacts, pairs: list[tuple[Edit, ImageUse]]) -> str | None:
        found = {(r.name, r.digest) for u in facts.images if (r := u.ref) is not None}
        for edit, use in pairs:
            ref = use.ref
            assert ref is not None
            if (ref.name, edit.text) not in found:
                return f"'{use.text}' does not carry the new digest in the result"
        return None

    _build(by_file, sources, reparse, verify, plan)
    return plan


def _lines(text: str) -> list[str]:
    """Lines as diff and patch count them: split after each LF only (str.splitlines would also
    split at a lone CR, a form feed or U+2028, and the hunks would not apply)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def unified_diff(change: FileChange) -> str:
    """A diff `patch -p1` and `git apply` accept: the BOM kept, a missing final newline marked."""
    bom = BOM if change.record.bom else ""
    old = _lines(bom + change.record.text)
    new = _lines(bom + change.new_text)
    lines = []
    for line in difflib.unified_diff(old, new, f"a/{change.display}", f"b/{change.display}"):
        lines.append(line)
        if not line.endswith("\n"):
            lines.append("\n\\ No newline at end of file\n")
    return "".join(lines)


def write_changes(plan: Plan, within: Sequence[Path] | None = None) -> None:
    """Write each change atomically, only inside `within` (edits.confine) when given. A file
    whose bytes are no longer the ones read is left alone (its uses become failures) unless it
    already holds the new text; changes that were not written are removed from the plan. An
    OSError is raised as one PathError at the end, after every other file was written."""
    kept: list[FileChange] = []
    errors: list[str] = []
    directories: set[Path] = set()
    for change in plan.changes:
        record = change.record
        try:
            if within is not None:
                confine(record.path, within)  # before reading it again: it may lead outside
            current = record.path.read_bytes()
            if current == encode(change.new_text, bom=record.bom):
                kept.append(change)  # written by another run in the meantime
                continue
            if current != encode(record.text, bom=record.bom):
                reason = "not written: the file changed since pinlint read it; run pinlint again"
                plan.failures.extend(Failure(use, reason) for use in change.uses)
                continue
            directories.add(
                write_atomic(record.path, change.new_text, bom=record.bom, sync_directory=False, within=within)
            )
        except OSError as exc:
            errors.append(f"cannot write {change.display}: {exc.strerror or exc}")
            continue
        kept.append(change)
    sync_directories(sorted(directories))
    plan.changes[:] = kept
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PathError(errors[0] + more)
