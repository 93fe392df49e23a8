"""The Redis limiter: the in-process limiter's semantics, shared by every worker on every machine.

A differential property test drives the in-process :class:`CredentialLimiter` and
:class:`RedisLimiter` with the same random calls on one virtual clock and compares every
answer; threads with limiters of their own (workers) share one credential in real time
and never put more than its limit in any window; a provider's penalty blocks every
worker; the drivers take it as ``limiter=``. Each test uses a key prefix of its own and
deletes its keys. Without a server they skip (and fail under
``ACCOUNTING_CONNECTORS_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.ratelimit import CredentialLimiter, Limiter, RateLimit, RateLimitState, Scope, Slot
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.smartbill import SmartBillFake
from tests.services import REDIS, redis_client, unique

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}
JITTER = 0.05
"""Seconds a thread may leave late for its slot on a busy machine (coverage, eight threads)."""
LIMITS = (RateLimit(3, 10.0), RateLimit(2, 4.0, scope=Scope.CREATES), RateLimit(4, 6.0, scope=Scope.READS))


@pytest.fixture
def client() -> Any:
    return redis_client()


@pytest.fixture
def prefix(client: Any) -> Iterator[str]:
    name = unique("accounting-connectors-test")
    yield name
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)


def redis_limiter(client: Any, prefix: str, limits: Any = LIMITS, **options: Any) -> Any:
    from accounting_connectors.ratelimit_redis import RedisLimiter

    return RedisLimiter(client, "smartbill", "fingerprint", limits, prefix=prefix, **options)


# The same answers as the in-process limiter, on a virtual clock.

steps = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.booleans(), st.sampled_from([None, True, False])),
        st.tuples(st.just("sent"), st.integers(0, 20)),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(st.just("advance"), st.sampled_from([0.1, 0.5, 1.0, 3.0, 7.0, 30.0])),
        st.tuples(
            st.just("observe"),
            st.integers(0, 5),
            st.sampled_from([None, 2.0, 20.0]),
            st.booleans(),
            st.sampled_from([None, True, False]),
        ),
        st.tuples(st.just("observe-nothing")),
        st.tuples(st.just("block"), st.sampled_from([5.0, 50.0])),
    ),
    max_size=40,
)


def close(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return first is second
    return abs(first - second) < 1e-4


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_redis_answers_as_the_in_process_limiter(steps: list[tuple[Any, ...]], client: Any, prefix: str) -> None:
    clock = FakeClock()
    local = CredentialLimiter(LIMITS, clock)
    shared = redis_limiter(client, prefix, clock=clock, server_time=False)
    shared.clear()
    slots: list[tuple[Slot, Slot]] = []
    for step in steps:
        name, *args = step
        if name == "reserve":
            creates, writes = args
            answers = []
            for limiter in (local, shared):
                try:
                    answers.append(limiter.reserve(creates=creates, writes=writes))
                except ac.RateLimited as error:
                    answers.append(error.retry_at)
            first, second = answers
            if isinstance(first, Slot):
                assert isinstance(second, Slot) and close(first.start, second.start), step
                slots.append((first, second))
            else:
                assert close(first, second), step
        elif name in ("sent", "release") and slots:
            pair = slots[args[0] % len(slots)]
            for limiter, slot in zip((local, shared), pair, strict=True):
                getattr(limiter, name)(slot)
        elif name == "advance":
            clock.advance(args[0])
        elif name == "observe":
            remaining, reset_in, creates, writes = args
            state = RateLimitState(remaining, None if reset_in is None else clock.time() + reset_in)
            local.observe(state, creates=creates, writes=writes)
            shared.observe(state, creates=creates, writes=writes)
        elif name == "observe-nothing":
            local.observe(RateLimitState(), creates=True)
            shared.observe(RateLimitState(), creates=True)
        elif name == "block":
            local.block_until(clock.time() + args[0])
            shared.block_until(clock.time() + args[0])
        assert close(local.blocked_until, shared.blocked_until), step


def test_a_slot_is_freed_one_window_after_the_answer(client: Any, prefix: str) -> None:
    clock = FakeClock()
    limiter = redis_limiter(client, prefix, [RateLimit(2, 10.0)], clock=clock, server_time=False, margin=0.0)
    start = clock.monotonic()
    first = limiter.reserve(creates=False)
    second = limiter.reserve(creates=False)
    assert first.start == second.start == start
    limiter.sent(first)
    clock.advance(3)  # the answer takes 3 s
    limiter.release(first)
    assert first.end == start + 3
    third = limiter.reserve(creates=False)
    assert third.start == pytest.approx(start + 13)  # 10 s after the first answer, not the send
    assert "RedisSlot" in repr(third) and "RedisLimiter" in repr(limiter)


def test_a_penalty_blocks_the_credential_for_every_worker(client: Any, prefix: str) -> None:
    clock = FakeClock()
    one = redis_limiter(client, prefix, clock=clock, server_time=False)
    other = redis_limiter(client, prefix, clock=clock, server_time=False)
    assert other.blocked_until is None
    until = clock.time() + 600
    one.block_until(until)
    one.block_until(until - 300)  # a shorter block never shortens the longer one
    assert other.blocked_until == pytest.approx(until)
    with pytest.raises(ac.RateLimited) as raised:
        other.reserve(creates=True)
    assert raised.value.retry_at == pytest.approx(until)
    clock.advance(601)
    assert other.blocked_until is None
    other.reserve(creates=True)


def test_a_penalty_is_shared_on_the_servers_clock(client: Any, prefix: str) -> None:
    one, other = redis_limiter(client, prefix), redis_limiter(client, prefix)
    one.block_until(time.time() + 30)
    with pytest.raises(ac.RateLimited):
        other.reserve(creates=False)
    assert other.blocked_until == pytest.approx(time.time() + 30, abs=2)
    ttl = client.pttl(f"{one.key_prefix}:blocked")
    assert 29_000 < ttl <= 31_000  # the block expires with the penalty
    one.block_until(time.time() - 5)  # a block in the past records nothing new
    one.clear()
    assert other.blocked_until is None


def run_workers(limiter_for: Any) -> tuple[list[Slot], list[tuple[float, float]]]:
    """Eight workers, five calls each, at once; the slots and (left, allowed) times of their calls."""
    slots: list[Slot] = []
    sends: list[tuple[float, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        limiter = limiter_for()
        clock = ac.clock.SYSTEM_CLOCK
        barrier.wait()
        for _ in range(5):
            slot = limiter.reserve(creates=False)
            clock.sleep_until(slot.start)
            with lock:
                slots.append(slot)
                sends.append((time.monotonic(), slot.start))  # the call leaves now
            limiter.sent(slot)
            time.sleep(random.uniform(0.0, 0.02))  # the answer comes back
            limiter.release(slot)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return slots, sorted(sends)


def test_workers_in_threads_never_put_more_than_the_limit_in_any_window(client: Any, prefix: str) -> None:
    # Eight workers, each with a limiter of its own (as on eight machines), on real time.
    calls, window = 5, 0.4
    slots, sends = run_workers(lambda: redis_limiter(client, prefix, [RateLimit(calls, window)]))
    assert len(slots) == 40
    # The books, on the shared clock: no window of the limit holds more than its calls.
    booked = sorted(slot.shared_start for slot in slots)
    for index in range(len(booked) - calls):
        assert booked[index + calls] - booked[index] >= window, f"{calls + 1} slots booked within {window} s"
    # The calls as they left: the same, give or take the threads' jitter under one GIL (a
    # thread that wakes late for its slot, or reads the answer late, leaves late).
    times = [left for left, _ in sends]
    for index in range(len(times) - calls):
        assert times[index + calls] - times[index] >= window - JITTER, f"{calls + 1} calls within {window} s"
    # And the pace is the limit's, not far below it.
    assert times[-1] - times[0] < 40 / calls * (window + 0.3)


def test_the_same_workers_with_limiters_of_their_own_exceed_the_limit() -> None:
    # The control: without shared books, eight workers put eight times the limit through.
    calls, window = 5, 0.4
    _, sends = run_workers(lambda: CredentialLimiter([RateLimit(calls, window)], ac.clock.SYSTEM_CLOCK))
    times = [left for left, _ in sends]
    assert sum(1 for left in times if left - times[0] < window - JITTER) > 2 * calls


def test_the_keys_expire_when_the_credential_goes_idle(client: Any, prefix: str) -> None:
    limiter = redis_limiter(client, prefix, [RateLimit(2, 10.0)], idle_seconds=120)
    limiter.release(limiter.reserve(creates=False))
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    assert keys and all(0 < client.pttl(key) <= 120_000 for key in keys)
    # The keys of one credential share a hash tag (Redis Cluster runs the scripts).
    assert all("{smartbill:fingerprint}" in key.decode() for key in keys)


def test_slots_no_window_counts_any_more_are_forgotten(client: Any, prefix: str) -> None:
    clock = FakeClock()
    limiter = redis_limiter(client, prefix, [RateLimit(2, 1.0), RateLimit(3, 1.0)], clock=clock, server_time=False)
    for _ in range(20):
        limiter.release(limiter.reserve(creates=False))
        clock.advance(1)
    assert client.hlen(f"{limiter.key_prefix}:slots") == 3


def test_a_call_no_limit_counts_takes_no_slot(client: Any, prefix: str) -> None:
    clock = FakeClock()
    limiter = redis_limiter(client, prefix, [RateLimit(1, 10.0, scope=Scope.CREATES)], clock=clock, server_time=False)
    for _ in range(3):
        slot = limiter.reserve(creates=False)
        assert slot.start == clock.monotonic()
        limiter.sent(slot)
        limiter.release(slot)
    assert client.hlen(f"{limiter.key_prefix}:slots") == 0


def test_plain_slots_are_only_marked_locally(client: Any, prefix: str) -> None:
    limiter = redis_limiter(client, prefix)
    slot = Slot(0.0)
    limiter.sent(slot)
    limiter.release(slot)
    assert slot.end is not None and slot.end >= slot.start > 0


def test_a_client_that_decodes_answers_works_alike(prefix: str) -> None:
    import redis

    from accounting_connectors.ratelimit_redis import RedisLimiter

    redis_client()  # skip (or fail) when no server answers
    decoding = redis.Redis.from_url(REDIS, decode_responses=True, socket_timeout=10)
    limiter = RedisLimiter(decoding, "smartbill", "fp", [RateLimit(1, 10.0)], prefix=prefix)
    limiter.release(limiter.reserve(creates=True))
    limiter.block_until(time.time() + 10)
    assert limiter.blocked_until is not None
    decoding.close()


def test_it_is_a_limiter_for_the_drivers(client: Any, prefix: str) -> None:
    limiter: Limiter = redis_limiter(client, prefix)
    assert limiter.blocked_until is None


# With the drivers.


def test_two_connectors_share_one_merchants_limit_without_a_penalty(client: Any, prefix: str) -> None:
    from accounting_connectors.ratelimit_redis import RedisLimiter

    clock = FakeClock()
    fake = SmartBillFake(clock=clock)
    conns = [
        ac.connect(
            "smartbill",
            transport=fake,
            clock=clock,
            limiter=RedisLimiter.for_settings(
                client, "smartbill", CREDENTIALS, clock=clock, server_time=False, prefix=prefix
            ),
            **CREDENTIALS,
        )
        for _ in range(2)
    ]
    for _ in range(40):  # 80 calls: more than twice SmartBill's 30 in 10 s
        for conn in conns:
            conn.list_series()
    assert fake.request_count == 80
    assert all(fake.blocked_until(key) is None for key in ("demo@example.ro", CREDENTIALS["company_vat_code"]))
    for conn in conns:
        conn.close()


def test_a_penalty_one_worker_meets_holds_the_other_too(client: Any, prefix: str) -> None:
    from accounting_connectors.ratelimit_redis import RedisLimiter

    clock = FakeClock()
    fake = SmartBillFake(clock=clock)
    conns = [
        ac.connect(
            "smartbill",
            transport=fake,
            clock=clock,
            limiter=RedisLimiter.for_settings(
                client, "smartbill", CREDENTIALS, clock=clock, server_time=False, prefix=prefix
            ),
            **CREDENTIALS,
        )
        for _ in range(2)
    ]
    with httpx.Client(transport=fake, auth=(CREDENTIALS["username"], CREDENTIALS["token"])) as other_program:
        for _ in range(31):
            other_program.get("https://ws.smartbill.ro/SBORO/api/series", params={"cif": "RO12345678"})
    with pytest.raises(ac.RateLimited):
        conns[0].list_series()
    seen = fake.request_count
    with pytest.raises(ac.RateLimited):
        conns[1].list_series()  # refused by the shared limiter, without a call
    assert fake.request_count == seen
    clock.advance(601)
    conns[1].list_series()
    for conn in conns:
        conn.close()
