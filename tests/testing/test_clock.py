"""The virtual clocks: FakeClock adds async waits, VirtualClock overlaps them like real time."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounting_connectors.testing.clock import FakeClock, VirtualClock


def test_concurrent_async_waits_overlap_on_the_virtual_clock() -> None:
    clock = VirtualClock()
    start = clock.time()

    async def main() -> list[float]:
        async def wait(seconds: float) -> float:
            await clock.asleep(seconds)
            return clock.time() - start

        return await asyncio.gather(wait(10), wait(10), wait(3))

    assert clock.run(main()) == [10, 10, 3]
    assert clock.time() - start == 10


def test_on_the_fake_clock_the_same_waits_add_up() -> None:
    # The reason VirtualClock exists: FakeClock.asleep never yields, so waits cannot overlap.
    clock = FakeClock()
    start = clock.time()

    async def main() -> None:
        await asyncio.gather(clock.asleep(10), clock.asleep(10), clock.asleep(3))

    asyncio.run(main())
    assert clock.time() - start == 23


@given(st.lists(st.floats(min_value=0, max_value=1_000, allow_nan=False), min_size=1, max_size=20))
def test_virtual_time_ends_at_the_longest_of_concurrent_waits(waits: list[float]) -> None:
    clock = VirtualClock()
    start = clock.monotonic()

    async def main() -> None:
        await asyncio.gather(*(clock.asleep(seconds) for seconds in waits))

    clock.run(main())
    assert clock.monotonic() - start == pytest.approx(max(waits), abs=1e-6)


def test_waiting_until_a_deadline_and_the_loop_time_agree() -> None:
    clock = VirtualClock(start=100.0)

    async def main() -> float:
        await clock.asleep_until(160.0)
        return asyncio.get_running_loop().time()

    # The loop counts seconds since it started (exact timers at any Unix time).
    assert clock.run(main()) == 60.0
    assert clock.time() == 160.0


def test_sync_waits_share_the_virtual_time() -> None:
    clock = VirtualClock(start=0.0)
    clock.sleep(5)
    clock.sleep_until(3)  # already past: no move
    assert clock.time() == 5
    clock.sleep_until(9)
    assert clock.monotonic() == 9


def test_the_loop_still_runs_ready_work_without_jumping() -> None:
    clock = VirtualClock(start=0.0)

    async def main() -> int:
        done = 0
        for _ in range(100):
            await asyncio.sleep(0)
            done += 1
        return done

    assert clock.run(main()) == 100
    assert clock.time() == 0
