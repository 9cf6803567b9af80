"""`check --online`: ask the registry about every pinned reference, then run PIN010–PIN013.

Two batched passes through the resolver: the tags of pinned references (with their index's
platforms) and the pinned digests themselves (which tell whether they still exist, and their
platforms when `platforms` is configured). A digest the registry reports as not found is
PIN011 (and so is its tag being gone with it); any other registry failure is an error of the
run (exit 3), not a diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinlint import engine
from pinlint.commands.common import Collected, Resolver, all_uses
from pinlint.discover import relative_to_root
from pinlint.model import Diagnostic, ImageUse
from pinlint.reference import ImageRef
from pinlint.rules import RULES
from pinlint.rules._online import RegistryView

ONLINE_CODES = frozenset(rule.CODE for rule in RULES if rule.TARGET == "online")


@dataclass
class OnlineOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _pinned(uses: list[ImageUse], ignore: tuple[str, ...]) -> list[tuple[ImageUse, ImageRef]]:
    found = []
    for use in uses:
        ref = use.ref
        if ref is not None and ref.digest and not engine.image_ignored(use, ignore):
            found.append((use, ref))
    return found


def check_online(collected: Collected, selection: engine.Selection, resolve: Resolver) -> OnlineOutcome:
    config = collected.config
    outcome = OnlineOutcome()
    pinned = _pinned(all_uses(collected), config.ignore_images)
    if not pinned:
        return outcome
    tags = {str(t): t for _, r in pinned if r.tag for t in [ImageRef(r.domain, r.path, r.tag, None)]}
    digests = {str(d): d for _, r in pinned for d in [ImageRef(r.domain, r.path, None, r.digest)]}
    tag_answers, tag_errors = resolve(list(tags.values()), True)
    wanted = bool(config.platforms)
    digest_answers, digest_errors = resolve(list(digests.values()), wanted, own_platform=wanted)
    views: dict[str, list[RegistryView]] = {}
    reported: set[str] = set()
    for use, ref in pinned:
        assert ref.digest is not None
        digest_key = str(ImageRef(ref.domain, ref.path, None, ref.digest))
        tag_key = str(ImageRef(ref.domain, ref.path, ref.tag, None)) if ref.tag else None
        failures = []
        pinned_answer = digest_answers.get(digest_key)
        digest_reason = digest_errors.get(digest_key, "not resolved") if pinned_answer is None else None
        digest_gone = digest_reason is not None and digest_reason.startswith("not found")
        if digest_reason is not None and not digest_gone:
            failures.append(f"{digest_key}: {digest_reason}")
        tag_answer = tag_answers.get(tag_key) if tag_key else None
        tag_reason = tag_errors.get(tag_key, "not resolved") if tag_key and tag_answer is None else None
        tag_missing = tag_reason is not None and tag_reason.startswith("not found")
        # Deleting a manifest deletes the tags pointing to it: with the pinned digest gone as
        # well, a missing tag is part of what PIN011 reports, not a failure of the run.
        if tag_reason is not None and not (tag_missing and digest_gone):
            failures.append(f"{tag_key}: {tag_reason}")
        for failure in failures:
            if failure not in reported:
                reported.add(failure)
                outcome.errors.append(failure)
        if digest_reason is not None and not digest_gone:
            continue  # nothing is known about the pinned digest
        views.setdefault(use.path, []).append(
            RegistryView(
                use=use,
                pinned=ref.digest,
                pinned_exists=pinned_answer is not None,
                pinned_media_type=pinned_answer.media_type if pinned_answer else None,
                pinned_platforms=pinned_answer.platforms if pinned_answer else None,
                pinned_platform=pinned_answer.platform if pinned_answer else None,
                tag_digest=tag_answer.digest if tag_answer else None,
                tag_platforms=tag_answer.platforms if tag_answer else None,
                tag_missing=tag_missing,
            )
        )
    for facts in collected.outcome.facts:
        file_views = views.pop(facts.path, None)
        if not file_views:
            continue
        record = collected.outcome.sources.get(facts.path)
        rel = (relative_to_root(record.path, config.root) if record else None) or facts.path
        codes = selection.for_file(rel) & ONLINE_CODES
        found = engine.lint(facts, config, codes, online=file_views)
        outcome.diagnostics.extend(found)
    return outcome
