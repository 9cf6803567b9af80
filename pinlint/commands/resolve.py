"""`pinlint resolve IMAGE...`: print `IMAGE@sha256:…` for each image (like `crane digest`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pinlint import reference
from pinlint.commands import Outcome, common
from pinlint.errors import UsageError
from pinlint.trust import UserChoices


class ResolveOptions(NamedTuple):
    images: Sequence[str]
    config_file: str | None = None
    use_config: bool = True
    use_cache: bool = True
    verbose: int = 0
    choices: UserChoices = UserChoices()  # trust and environment, from the command line


def run(options: ResolveOptions) -> Outcome:
    config = common.load_config(options.config_file, options.use_config, choices=options.choices)
    parsed: list[tuple[str, reference.ImageRef]] = []
    for text in options.images:
        try:
            parsed.append((text, reference.parse(text)))
        except reference.ReferenceError as exc:
            raise UsageError(f"invalid image reference '{text}': {exc}") from None
    to_resolve = [ref for _, ref in parsed if ref.digest is None]
    report = common.resolve(config, to_resolve, use_cache=options.use_cache, verbose=options.verbose)
    lines: list[str] = []
    errors: list[str] = []
    for text, ref in parsed:
        if ref.digest is not None:
            lines.append(text)
            continue
        manifest = report.manifests.get(str(ref))
        if manifest is None:
            errors.append(f"{text}: {report.errors.get(str(ref), 'not resolved')}")
            continue
        lines.append(f"{text}@{manifest.digest}")
    return Outcome(
        registry_failed=bool(errors),
        errors=tuple(errors),
        output="".join(line + "\n" for line in lines),
    )
