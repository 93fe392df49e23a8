"""Rate limits that count writes and reads apart (``Scope.WRITES`` / ``Scope.READS``)."""

from __future__ import annotations

import httpx

from accounting_connectors.flow import Call
from accounting_connectors.ratelimit import CredentialLimiter, RateLimit, Scope
from accounting_connectors.testing.clock import FakeClock


def test_call_writes_defaults_from_the_method_and_creates() -> None:
    get = httpx.Request("GET", "https://example.com/")
    post = httpx.Request("POST", "https://example.com/")
    assert Call(get, "op").writes is False
    assert Call(post, "op").writes is True
    assert Call(get, "op", creates=True).writes is True
    assert Call(post, "op", writes=False).writes is False
    assert Call(httpx.Request("DELETE", "https://example.com/"), "op").writes is True


def test_writes_and_reads_scopes() -> None:
    writes, reads = RateLimit(1, 1.0, scope=Scope.WRITES), RateLimit(1, 1.0, scope=Scope.READS)
    assert writes.applies(creates=False, writes=True) and not reads.applies(creates=False, writes=True)
    assert reads.applies(creates=False, writes=False) and not writes.applies(creates=False, writes=False)
    # Without `writes`, a create is a write and anything else a read (the old behaviour).
    assert writes.applies(True) and reads.applies(False)
    # The older scopes ignore `writes`.
    assert RateLimit(1, 1.0, scope=Scope.OTHERS).applies(False, writes=True)
    assert not RateLimit(1, 1.0, scope=Scope.CREATES).applies(False, writes=True)


def test_a_write_that_creates_nothing_waits_for_the_write_window() -> None:
    clock = FakeClock()
    limiter = CredentialLimiter([RateLimit(2, 60.0, scope=Scope.WRITES), RateLimit(5, 60.0, scope=Scope.READS)], clock)
    now = clock.monotonic()

    def start(*, creates: bool, writes: bool | None = None) -> float:
        slot = limiter.reserve(creates=creates, writes=writes)
        limiter.release(slot)  # answered at once
        return slot.start

    assert start(creates=True) == now
    assert start(creates=False, writes=True) == now
    for _ in range(5):
        assert start(creates=False, writes=False) == now  # reads are not held up by writes
    assert start(creates=False, writes=True) > now + 60  # the third write waits
    assert start(creates=False) > now + 60  # the sixth read waits
