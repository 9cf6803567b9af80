"""`pinlint rule CODE|NAME` and `pinlint rule --all`: a rule's documentation from the catalogue."""

from __future__ import annotations

import io
from typing import NamedTuple

from pinlint.commands import Outcome
from pinlint.errors import UsageError


class RuleOptions(NamedTuple):
    rule: str | None = None
    all: bool = False
    as_json: bool = False


def run(options: RuleOptions) -> Outcome:
    from pinlint import catalogue

    out = io.StringIO()
    if options.all:
        catalogue.print_all(out, as_json=options.as_json)
    elif not options.rule:
        raise UsageError("give a rule code or name, or --all")
    else:
        catalogue.print_rule(options.rule, out, as_json=options.as_json)
    return Outcome(output=out.getvalue())
