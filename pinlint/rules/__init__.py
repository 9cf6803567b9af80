"""The rule registry: every rule module, listed explicitly, in code order.

PIN900 (parse-error) takes what a source could not parse; PIN901 (build-error) a build that
cannot run, PIN902 (not-checked) a named file of no kind pinlint reads, PIN903
(template-not-checked) a Helm template, which is not YAML. The online rules PIN010–PIN013
(TARGET "online") look at what the registry says; only `check --online` runs them.
"""

from __future__ import annotations

from types import ModuleType

from pinlint.rules import (
    pin001,
    pin002,
    pin003,
    pin004,
    pin005,
    pin006,
    pin007,
    pin008,
    pin009,
    pin010,
    pin011,
    pin012,
    pin013,
    pin100,
    pin101,
    pin102,
    pin103,
    pin104,
    pin201,
    pin202,
    pin203,
    pin204,
    pin205,
    pin206,
    pin207,
    pin208,
    pin900,
    pin901,
    pin902,
    pin903,
)

RULES: tuple[ModuleType, ...] = (
    pin001,
    pin002,
    pin003,
    pin004,
    pin005,
    pin006,
    pin007,
    pin008,
    pin009,
    pin010,
    pin011,
    pin012,
    pin013,
    pin100,
    pin101,
    pin102,
    pin103,
    pin104,
    pin201,
    pin202,
    pin203,
    pin204,
    pin205,
    pin206,
    pin207,
    pin208,
    pin900,
    pin901,
    pin902,
    pin903,
)

BY_CODE: dict[str, ModuleType] = {rule.CODE: rule for rule in RULES}
BY_NAME: dict[str, ModuleType] = {rule.NAME: rule for rule in RULES}
ALL_CODES: tuple[str, ...] = tuple(BY_CODE)
