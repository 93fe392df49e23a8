"""A virtual clock shared by a fake provider and the client under test."""

from __future__ import annotations

import threading


class FakeClock:
    """A clock that only moves when slept on or advanced.

    Give the same instance to a fake (``SmartBillFake(clock=clock)``) and to the client
    (``connect(..., clock=clock)``): the driver's waits then advance the fake's time
    instantly, so rate-limit windows and penalties are exercised without real waiting.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        # Default start: 2026-01-01T00:00:00Z, a plausible wall-clock value for headers.
        self._now = float(start)
        self._lock = threading.Lock()

    def time(self) -> float:
        """Current virtual wall-clock time (Unix seconds)."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """Current virtual time; the same axis as :meth:`time`."""
        return self.time()

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (negative values are ignored)."""
        if seconds > 0:
            with self._lock:
                self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Advance instead of blocking."""
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        """Advance instead of suspending."""
        self.advance(seconds)

    def sleep_until(self, deadline: float) -> None:
        """Move time to ``deadline`` unless it is already later.

        Many threads may wait for their own slots at once: each moves time at most to
        its deadline, so waits overlap as real ones would instead of adding up.
        """
        with self._lock:
            self._now = max(self._now, deadline)

    async def asleep_until(self, deadline: float) -> None:
        """As :meth:`sleep_until`, for tasks."""
        self.sleep_until(deadline)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r})"
