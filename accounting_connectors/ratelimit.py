"""Client-side rate limiting, per credential, so a provider's penalty is never triggered.

Each provider declares its limits as :class:`RateLimit` values. The drivers hold one
:class:`CredentialLimiter` per (clock, provider, credential), shared by every client
built in the process for the same credentials, and ask it before each call how long to
wait.

Why a sliding window and not a token bucket: a bucket of capacity *N* refilled at *N/T*
lets through up to *2N* calls in some window of length *T* (a full bucket, then the
refill). SmartBill answers the 31st call in 10 s with a 10-minute block, so the limiter
must guarantee at most *N* calls in **any** window of *T*: it remembers the start times
of the last *N* calls and schedules the next one no earlier than the oldest plus *T*
(plus a small margin for network jitter). Running exactly at that pace reaches the
documented ceiling less the margin.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from .clock import Clock
from .errors import RateLimited
from .limits import RateLimit, RateLimitState, Scope, credential_fingerprint, parse_rate_limit_headers

__all__ = [
    "CredentialLimiter",
    "Limiter",
    "RateLimit",
    "RateLimitState",
    "Scope",
    "Slot",
    "credential_fingerprint",
    "parse_rate_limit_headers",
    "shared_limiter",
]


class Slot:
    """One call's place in the limiter's windows (monotonic seconds).

    The provider counts the call when it arrives, some time between ``start`` (when it
    was sent) and ``end`` (when its answer came back). So a slot is only given up one
    window after ``end``: however the network delays it, no more than the limit can
    reach the provider within any window. Until the answer comes, ``end`` is estimated
    from the latency of recent calls.
    """

    __slots__ = ("end", "start")

    def __init__(self, start: float, end: float | None = None) -> None:
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Slot(start={self.start!r}, end={self.end!r})"


class _Window:
    """The last ``calls`` slots counted by one limit."""

    __slots__ = ("limit", "slots", "span")

    def __init__(self, limit: RateLimit, margin: float) -> None:
        self.limit = limit
        self.span = limit.per_seconds * (1.0 + margin)
        self.slots: deque[Slot] = deque(maxlen=limit.calls)

    def earliest(self, now: float, latency: float) -> float:
        if len(self.slots) < self.limit.calls:
            return now
        oldest = self.slots[0]
        released = oldest.end if oldest.end is not None else oldest.start + latency
        return max(now, released + self.span)

    def in_window(self, now: float, latency: float) -> int:
        horizon = now - self.span
        return sum(1 for slot in self.slots if (slot.end if slot.end is not None else slot.start + latency) > horizon)


class CredentialLimiter:
    """The limits of one credential at one provider, safe to share between threads.

    Async tasks share it too: every method is a short critical section that never awaits.
    """

    def __init__(self, limits: Sequence[RateLimit], clock: Clock, *, margin: float = 0.02) -> None:
        self._clock = clock
        self._windows = [_Window(limit, margin) for limit in limits]
        self._lock = threading.Lock()
        self._blocked_until: float | None = None  # wall-clock time
        self._not_before = 0.0  # monotonic time
        self._latencies: deque[float] = deque(maxlen=16)

    @property
    def blocked_until(self) -> float | None:
        """Wall-clock time until which the provider has blocked this credential, if it has."""
        with self._lock:
            if self._blocked_until is not None and self._blocked_until <= self._clock.time():
                self._blocked_until = None
            return self._blocked_until

    def reserve(self, *, creates: bool, writes: bool | None = None) -> Slot:
        """Book a slot for one call; send it at ``slot.start`` and :meth:`release` it after.

        ``writes`` says whether the call changes state (for ``WRITES``/``READS`` limits);
        it defaults to ``creates``.

        Raises:
            RateLimited: the provider has blocked the credential; no call may be sent
                before ``retry_at``.
        """
        with self._lock:
            if self._blocked_until is not None:
                if self._clock.time() < self._blocked_until:
                    raise RateLimited(
                        "the provider has blocked these credentials for exceeding its rate "
                        "limit; no call is sent before retry_at",
                        retry_at=self._blocked_until,
                    )
                self._blocked_until = None
            now = self._clock.monotonic()
            latency = self._latency()
            windows = [window for window in self._windows if window.limit.applies(creates, writes)]
            slot = Slot(max([now, self._not_before, *(window.earliest(now, latency) for window in windows)]))
            for window in windows:
                window.slots.append(slot)
            return slot

    def sent(self, slot: Slot) -> None:
        """Mark the call in ``slot`` as leaving now: its window starts no earlier than this.

        A thread may reach the network later than its slot's start (other threads ran, or
        a shared virtual clock moved on); a call still in flight is then estimated from
        when it actually left, not from when it was allowed to.
        """
        with self._lock:
            slot.start = max(slot.start, self._clock.monotonic())

    def release(self, slot: Slot) -> None:
        """Mark the call in ``slot`` answered (or failed): its window runs from now."""
        with self._lock:
            slot.end = max(self._clock.monotonic(), slot.start)
            self._latencies.append(slot.end - slot.start)

    def _latency(self) -> float:
        # A cautious guess for calls still in flight: the slowest recent answer.
        return max(self._latencies, default=0.0)

    def block_until(self, retry_at: float) -> None:
        """Refuse every call until wall-clock ``retry_at`` (the provider's penalty)."""
        with self._lock:
            self._blocked_until = max(retry_at, self._blocked_until or 0.0)

    def observe(self, state: RateLimitState, *, creates: bool, writes: bool | None = None) -> None:
        """Correct the local count with the provider's view (other processes may share it)."""
        if state.remaining is None:
            return
        with self._lock:
            now = self._clock.monotonic()
            latency = self._latency()
            surprised = False
            for window in self._windows:
                if not window.limit.applies(creates, writes):
                    continue
                believed = window.limit.calls - window.in_window(now, latency)
                # Calls we did not make (another process on the same account) take room.
                for _ in range(max(0, believed - state.remaining)):
                    window.slots.append(Slot(now, now))
                    surprised = True
            # A full window we knew about is already paced by our own slots; only when the
            # provider is fuller than we thought is its reset time worth waiting for.
            if surprised and state.remaining <= 0 and state.reset_at is not None:
                wait = state.reset_at - self._clock.time()
                self._not_before = max(self._not_before, now + max(wait, 0.0))


class Limiter(Protocol):
    """What the drivers ask of a credential's limiter (the ``limiter=`` option of ``connect``).

    :class:`CredentialLimiter` keeps the books in the process;
    :class:`~accounting_connectors.ratelimit_redis.RedisLimiter` keeps them in Redis for
    workers on several machines. Both have these semantics: a slot is given up one window
    after its answer, and :meth:`block_until` holds the credential for all its users.
    """

    @property
    def blocked_until(self) -> float | None:
        """Wall-clock time until which the provider has blocked this credential, if it has."""
        ...

    def reserve(self, *, creates: bool, writes: bool | None = None) -> Slot:
        """Book a slot for one call (raises ``RateLimited`` while the credential is blocked)."""
        ...

    def sent(self, slot: Slot) -> None:
        """Mark the call in ``slot`` as leaving now."""
        ...

    def release(self, slot: Slot) -> None:
        """Mark the call in ``slot`` answered (or failed)."""
        ...

    def block_until(self, retry_at: float) -> None:
        """Refuse every call until wall-clock ``retry_at`` (the provider's penalty)."""
        ...

    def observe(self, state: RateLimitState, *, creates: bool, writes: bool | None = None) -> None:
        """Correct the count with the provider's view of the current window."""
        ...


_LimiterKey = tuple[str, str]
_limiters: weakref.WeakKeyDictionary[Clock, dict[_LimiterKey, CredentialLimiter]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def shared_limiter(
    provider: str,
    fingerprint: str,
    clock: Clock,
    factory: Callable[[], CredentialLimiter],
) -> CredentialLimiter:
    """The limiter every client of this process uses for one credential on one clock."""
    with _registry_lock:
        per_clock = _limiters.setdefault(clock, {})
        key = (provider, fingerprint)
        limiter = per_clock.get(key)
        if limiter is None:
            limiter = per_clock[key] = factory()
        return limiter
