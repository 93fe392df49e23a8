"""Time sources for the drivers, so rate limits and retries can run on virtual time.

The drivers read two clocks: a monotonic one for spacing calls and a wall clock for
provider headers such as ``X-RateLimit-Reset`` (Unix time).  Tests and the testing kit
swap in :class:`accounting_connectors.testing.FakeClock`, which advances instantly when
slept on, so a 10-minute penalty costs no real time.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """What the drivers and rate limiters need from a clock."""

    def time(self) -> float:
        """Wall-clock time in seconds since the Unix epoch."""
        ...

    def monotonic(self) -> float:
        """A clock that never goes backwards, in seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the current thread for ``seconds``."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Suspend the current task for ``seconds``."""
        ...

    def sleep_until(self, deadline: float) -> None:
        """Block until :meth:`monotonic` reaches ``deadline``."""
        ...

    async def asleep_until(self, deadline: float) -> None:
        """Suspend the current task until :meth:`monotonic` reaches ``deadline``."""
        ...


class SystemClock:
    """The real clock: :mod:`time` and :func:`asyncio.sleep`."""

    def time(self) -> float:
        """Wall-clock time in seconds since the Unix epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on the process's monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block the current thread for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        """Suspend the current task for ``seconds``."""
        import asyncio  # not imported with the package: only async code needs it

        await asyncio.sleep(max(seconds, 0.0))

    def sleep_until(self, deadline: float) -> None:
        """Block until the monotonic clock reaches ``deadline``."""
        self.sleep(deadline - time.monotonic())

    async def asleep_until(self, deadline: float) -> None:
        """Suspend until the monotonic clock reaches ``deadline``."""
        await self.asleep(deadline - time.monotonic())

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()
