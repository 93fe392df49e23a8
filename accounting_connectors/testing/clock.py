"""Virtual clocks shared by a fake provider and the client under test.

:class:`FakeClock` moves only when slept on or advanced; :class:`VirtualClock` also runs
coroutines on an event loop that jumps to its earliest timer, so concurrent async waits
overlap as real ones do.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")


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


class VirtualClock(FakeClock):
    """A virtual clock whose async waits overlap: time jumps to the event loop's earliest timer.

    :class:`FakeClock` adds every ``asleep`` to one shared time and never yields, so two
    tasks that each wait 10 s cost 20 virtual seconds, and a bulk export on it paces far
    below the provider's ceiling. A ``VirtualClock`` runs coroutines on an event loop whose
    time is this clock's: ``asleep`` is a real ``asyncio.sleep`` on that loop, and when
    every task is waiting, the loop moves time straight to the earliest pending timer
    instead of blocking. Concurrent waits then overlap exactly as real ones would, at no
    real cost::

        clock = VirtualClock()
        fake = SmartBillFake.demo(clock=clock)
        report = clock.run(export_everything(fake, clock))

    Threads (the sync driver) see the same time: ``sleep`` adds and ``sleep_until`` moves
    time at most to its deadline, as on :class:`FakeClock`, so waits of many threads
    overlap too.

    The loop only jumps when nothing is ready; it still waits for real I/O when no timer
    is pending, and time stands still while a call runs in a worker thread
    (``asyncio.to_thread``, ``run_in_executor``: the async exporter's ledger). Use it with
    in-process transports (the fakes): a socket whose answer is due while a timer is
    pending would see time run ahead of it.
    """

    def monotonic(self) -> float:
        """Current virtual time; the event loop's time too."""
        return self.time()

    async def asleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time on the clock's event loop (other tasks run meanwhile)."""
        await asyncio.sleep(max(seconds, 0.0))

    async def asleep_until(self, deadline: float) -> None:
        """Wait until :meth:`monotonic` reaches ``deadline`` (other tasks run meanwhile)."""
        await asyncio.sleep(max(deadline - self.monotonic(), 0.0))

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop on this clock's time that jumps to its earliest timer when idle."""
        return _VirtualTimeLoop(self)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to its result on a new event loop of this clock (like :func:`asyncio.run`)."""
        with asyncio.Runner(loop_factory=self.new_event_loop) as runner:
            return runner.run(main)

    def _jump(self, seconds: float) -> None:
        # Move at least one float step: at Unix-time magnitudes a tiny timeout can round
        # to no move at all, and the loop would ask for the same timer forever.
        with self._lock:
            target = self._now + seconds
            self._now = target if target > self._now else math.nextafter(self._now, math.inf)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.time()!r})"


class _IdleJumpingSelector(selectors.BaseSelector):
    """A selector that, asked to wait for a timer, moves the clock instead of blocking."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._real = selectors.DefaultSelector()
        self.working = 0
        """Calls running in worker threads (``run_in_executor``): time waits for them."""

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout is None or timeout <= 0:
            # Work to do, nothing scheduled (wait for real I/O), or no wait asked for.
            return ready if ready or timeout is not None else self._real.select(None)
        if self.working:
            # A worker thread's answer is due first (a ledger write): wait for it for real.
            return self._real.select(timeout)
        self._clock._jump(timeout)
        return []

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is a :class:`VirtualClock`'s."""

    def __init__(self, clock: VirtualClock) -> None:
        self._virtual_clock = clock
        # asyncio counts a timer due when it is before time() + _clock_resolution. At
        # Unix-time magnitudes a nanosecond is below one float step, so the loop runs on
        # seconds since its start instead, and a microsecond of resolution.
        self._origin = clock.monotonic()
        self._jumping = _IdleJumpingSelector(clock)
        super().__init__(selector=self._jumping)
        self._clock_resolution = 1e-6

    def time(self) -> float:
        return self._virtual_clock.monotonic() - self._origin

    def run_in_executor(  # type: ignore[override]  # the same call, typed loosely
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        # Time stands still while a worker thread runs (asyncio.to_thread comes here).
        selector = self._jumping
        selector.working += 1
        future = super().run_in_executor(executor, func, *args)

        def done(_: asyncio.Future[T]) -> None:
            selector.working -= 1

        future.add_done_callback(done)
        return future
