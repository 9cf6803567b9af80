"""The rule registry: every rule module, listed explicitly, in code order.

PIN008 (lock-mismatch) and PIN010–PIN013 (online) belong to the lock and resolver work and
are not here yet.
PIN900 (parse-error) takes what a source could not parse.
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
    pin009,
    pin900,
)

RULES: tuple[ModuleType, ...] = (
    pin001,
    pin002,
    pin003,
    pin004,
    pin005,
    pin006,
    pin007,
    pin009,
    pin900,
)

BY_CODE: dict[str, ModuleType] = {rule.CODE: rule for rule in RULES}
BY_NAME: dict[str, ModuleType] = {rule.NAME: rule for rule in RULES}
ALL_CODES: tuple[str, ...] = tuple(BY_CODE)
