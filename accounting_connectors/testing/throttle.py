"""The provider's rate limits as a fake enforces them: one sliding window for every fake.

A :class:`FakeLimit` says how many calls a provider accepts in any window of so many
seconds, which calls count (``applies``), and the penalty for one call too many: the
caller's key is then refused for ``penalty_seconds`` (SmartBill: 10 minutes) or, without
a penalty, only that call is refused. Each key (a credential, an account, the client's
address) has its own window, of at most ``calls`` timestamps, so the cost per request
stays flat however many requests a fake has served.

Times are counted in integer milliseconds, as a server logging its calls would: a client
that spaces calls exactly ``per_seconds / calls`` apart on a virtual clock is never
refused for float rounding.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["FakeLimit", "LimitVerdict", "SlidingWindows"]


@attrs.frozen
class FakeLimit:
    """At most ``calls`` calls in any ``per_seconds`` window per key.

    Attributes:
        calls: calls accepted in one window.
        per_seconds: the window's length.
        penalty_seconds: how long a key is refused after one call too many (``None``:
            only the excess calls are refused).
        applies: which requests count (a ``FakeRequest`` predicate); ``None`` is all.
        name: a label for error texts and headers (``"writes"``, ``"daily"``).
    """

    calls: int
    per_seconds: float
    penalty_seconds: float | None = None
    applies: Callable[[Any], bool] | None = attrs.field(default=None, eq=False)
    name: str = ""


@attrs.frozen
class LimitVerdict:
    """What the windows decided for one request."""

    allowed: bool
    limit: FakeLimit | None = None
    """The limit that refused it (or, when allowed, the tightest one that counted it)."""
    remaining: int = 0
    """Calls left in that limit's window after this one."""
    reset_at: float = 0.0
    """Unix time at which that window (or the penalty) frees a call."""
    penalised: bool = False
    """This call started a penalty (the first call too many)."""


class _Window:
    __slots__ = ("blocked_until", "calls")

    def __init__(self, size: int) -> None:
        self.calls: deque[int] = deque(maxlen=size)
        self.blocked_until = 0


class SlidingWindows:
    """The windows of a set of limits, one per (limit, key); thread safety is the fake's lock."""

    def __init__(self, limits: tuple[FakeLimit, ...] | list[FakeLimit]) -> None:
        self.limits = tuple(limits)
        self._windows: dict[tuple[int, str], _Window] = {}

    def check(self, key: str, now: float, request: Any = None) -> LimitVerdict:
        """Count one call of ``key`` at ``now``, or refuse it; returns the verdict."""
        now_ms = round(now * 1000)
        counted: list[tuple[FakeLimit, _Window]] = []
        for index, limit in enumerate(self.limits):
            if limit.applies is not None and not limit.applies(request):
                continue
            window = self._windows.get((index, key))
            if window is None:
                window = self._windows[(index, key)] = _Window(limit.calls)
            span = round(limit.per_seconds * 1000)
            if window.blocked_until > now_ms:
                return LimitVerdict(False, limit, 0, window.blocked_until / 1000)
            full = len(window.calls) >= limit.calls and window.calls[0] > now_ms - span
            if full:
                penalised = limit.penalty_seconds is not None
                if penalised:
                    assert limit.penalty_seconds is not None
                    window.blocked_until = now_ms + round(limit.penalty_seconds * 1000)
                    reset = window.blocked_until
                else:
                    reset = window.calls[0] + span
                return LimitVerdict(False, limit, 0, reset / 1000, penalised)
            counted.append((limit, window))
        tightest: LimitVerdict = LimitVerdict(True)
        for limit, window in counted:
            window.calls.append(now_ms)
            span = round(limit.per_seconds * 1000)
            # The deque holds at most `calls` stamps in order: bisect for the oldest live one.
            first = _first_live(window.calls, now_ms - span)
            remaining = limit.calls - (len(window.calls) - first)
            if tightest.limit is None or remaining < tightest.remaining:
                oldest = window.calls[first] if first < len(window.calls) else now_ms
                tightest = LimitVerdict(True, limit, remaining, (oldest + span) / 1000)
        return tightest

    def blocked_until(self, key: str) -> float | None:
        """Unix time until which ``key`` is under a penalty, if it is."""
        until = max((window.blocked_until for (_, owner), window in self._windows.items() if owner == key), default=0)
        return until / 1000 if until else None


def _first_live(calls: deque[int], horizon: int) -> int:
    low, high = 0, len(calls)
    while low < high:
        middle = (low + high) // 2
        if calls[middle] > horizon:
            high = middle
        else:
            low = middle + 1
    return low
