"""Rate-limit declarations: data a provider declares, with no I/O and no driver in it.

Providers import these to state their documented limits; the drivers'
:mod:`~accounting_connectors.ratelimit` enforces them. Parsing the headers a provider
sends about its limits (``X-RateLimit-*``, ``Retry-After``) lives here too, as pure
functions.
"""

from __future__ import annotations

import email.utils
import enum
import hashlib
from collections.abc import Mapping

import attrs

__all__ = [
    "RateLimit",
    "RateLimitState",
    "Scope",
    "credential_fingerprint",
    "parse_rate_limit_headers",
    "parse_retry_after",
]


class Scope(enum.Enum):
    """Which calls a limit counts."""

    ALL = "all"
    CREATES = "creates"
    OTHERS = "others"
    WRITES = "writes"
    """Calls that change state at the provider (``Call.writes``: POST, PUT, PATCH, DELETE)."""
    READS = "reads"
    """Calls that do not write (GET and the like)."""


@attrs.frozen
class RateLimit:
    """At most ``calls`` calls in any ``per_seconds`` window, for calls in ``scope``.

    ``penalty_seconds`` records the provider's documented punishment for exceeding it
    (SmartBill: 600 s); it is information for docs and error messages.
    """

    calls: int
    per_seconds: float
    scope: Scope = Scope.ALL
    penalty_seconds: float | None = None

    def applies(self, creates: bool, writes: bool | None = None) -> bool:
        """Whether a call (a create or not; a write or not) counts against this limit.

        ``writes`` defaults to ``creates`` (every create writes), for callers that only
        know whether the call creates.
        """
        if self.scope is Scope.ALL:
            return True
        if self.scope is Scope.WRITES or self.scope is Scope.READS:
            writing = creates if writes is None else writes
            return writing is (self.scope is Scope.WRITES)
        return creates is (self.scope is Scope.CREATES)


@attrs.frozen
class RateLimitState:
    """What a provider's response headers say about the current window."""

    remaining: int | None = None
    reset_at: float | None = None
    """Wall-clock (Unix) time at which the window frees up, when the provider says."""


def parse_rate_limit_headers(
    headers: Mapping[str, str],
    *,
    remaining: str = "X-RateLimit-Remaining",
    reset: str = "X-RateLimit-Reset",
) -> RateLimitState | None:
    """Read the common ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (Unix time) pair."""
    raw_remaining = headers.get(remaining)
    if raw_remaining is None:
        return None
    try:
        left = int(raw_remaining)
    except ValueError:
        return None
    reset_at: float | None
    try:
        reset_at = float(headers[reset])
    except (KeyError, ValueError):
        reset_at = None
    return RateLimitState(remaining=left, reset_at=reset_at)


def credential_fingerprint(*parts: str) -> str:
    """A stable, non-reversible key for a credential (never the secret itself)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def parse_retry_after(value: str | None, now: float) -> float | None:
    """The Unix time a ``Retry-After`` header names, or ``None`` when it names none.

    Both forms of RFC 9110 are read: delta-seconds (``"120"``) and an HTTP-date
    (``"Wed, 21 Oct 2026 07:28:00 GMT"``). A time in the past is ``now``.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(when.timestamp(), now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return now + max(seconds, 0.0)
