"""When to try again, and when to stop: retryable failures, backoff, `Retry-After`, the run's
deadline, and hosts that are down.

Connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff and jitter,
honouring `Retry-After` (capped). No wait may end after the run's retry deadline, so a registry
answering every request with `Retry-After` cannot hold a run for minutes. A host whose
reference exhausted its attempts on connection failures or timeouts is down for the rest of the
run: its other references fail at once instead of each paying the same timeouts.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 429})
_RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source")


class Retryable(Exception):
    """A failure worth another attempt. `transport`: no HTTP answer at all (refused, reset, timed out)."""

    def __init__(self, reason: str, retry_after: float | None = None, *, transport: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.transport = transport


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status in RETRY_STATUSES


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delay-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - (time.time() if now is None else now), MAX_RETRY_AFTER))


def rate_reason(status: int, headers: Mapping[str, str]) -> str:
    """`429 rate limited (ratelimit-limit: …)` / `503 server error`: why a response is worth retrying."""
    rate = ", ".join(f"{h}: {headers[h]}" for h in _RATE_HEADERS if h in headers)
    reason = {429: "rate limited", 408: "request timeout"}.get(status, "server error")
    return f"{status} {reason}{f' ({rate})' if rate else ''}"


def status_failure(status: int, headers: Mapping[str, str]) -> Retryable:
    return Retryable(rate_reason(status, headers), retry_after(headers.get("retry-after")))


def backoff(attempt: int, retry_after: float | None) -> float:
    """The wait before attempt `attempt + 1`: what the registry asked for, else 0.25 s doubling
    up to 8 s; plus up to 10 % jitter."""
    delay = retry_after if retry_after is not None else min(8.0, 0.25 * 2**attempt)
    return delay + random.uniform(0, 0.1 + delay * 0.1)


def run_deadline(timeout: float, retries: int) -> float:
    """Seconds after the start of a run past which no retry wait may end: three times what one
    reference may take with every attempt timing out (two minutes with the defaults)."""
    return max(2.0, 3 * timeout * (retries + 1))


def gave_up(last: str, attempts: int) -> str:
    """The one-line reason after the last attempt."""
    if " rate limited" in last:
        return f"{last}, retried {attempts - 1} time{'s' if attempts != 2 else ''}"
    return f"{last} after {attempts} attempt{'s' if attempts != 1 else ''}"
