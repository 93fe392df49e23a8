"""Who is still sending: owner tokens, lock files and heartbeats, never process ids (issue 8)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, SQLiteLedger, fingerprint
from accounting_connectors.export.exporter import _exporting
from accounting_connectors.export.liveness import OwnerLock, owner_alive
from accounting_connectors.testing.clock import FakeClock

from .test_reconcile import Books, BooksProvider, invoice


def _setup(*, lookup: bool, lease: float = 60.0) -> tuple[Books, FakeClock, SQLiteLedger, ac.Client, Any]:
    books = Books(deduplicates=False)
    clock = FakeClock()
    ledger = SQLiteLedger(":memory:", clock=clock.time)
    conn = ac.Client(
        BooksProvider(deduplicates=False, lookup=lookup), transport=httpx.MockTransport(books), clock=clock
    )

    def exporter() -> Exporter:
        return Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=lease)

    return books, clock, ledger, conn, exporter


def _crashed_owner() -> str:
    """The owner name of an exporter whose process took its lock and then died."""
    token = uuid.uuid4().hex
    code = (
        "import os\n"
        "from accounting_connectors.export.liveness import OwnerLock\n"
        f"lock = OwnerLock({token!r})\n"
        "assert lock.held\n"
        "os._exit(0)  # killed: nothing cleans up\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    # The pid is one that is alive (this test's parent): a reused pid must not matter.
    return f"{socket.gethostname()}:{os.getppid()}:{token}"


def test_a_live_exporter_slower_than_the_lease_is_not_presumed_dead() -> None:
    books, clock, ledger, _, exporter = _setup(lookup=True)
    slow, other = exporter(), exporter()
    key = slow.key("order-1")
    with _exporting(slow.owner, key):  # the slow create is still running
        ledger.begin(key, fingerprint(invoice()), slow.owner, slow.is_stale)
        clock.advance(10 * 60)  # ten leases
        assert other.export(invoice()).status is ExportStatus.IN_PROGRESS
    assert books.issued == 0  # no lookup, no second create while the first may travel


def test_the_heartbeat_keeps_a_slow_exporters_intent_fresh() -> None:
    _, clock, ledger, _, exporter = _setup(lookup=True)
    slow = exporter()
    key = slow.key("order-1")
    with _exporting(slow.owner, key):
        ledger.begin(key, fingerprint(invoice()), slow.owner, slow.is_stale)
        clock.advance(50)
        slow.heartbeat()
        entry = ledger.get(key)
        assert entry is not None and entry.updated_at == clock.time()
    assert slow.heartbeat_seconds == 20.0  # a third of the lease


def test_liveness_never_probes_a_process_id(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_kill(*args: Any) -> None:
        raise AssertionError("os.kill must not be called: on Windows it terminates the process")

    monkeypatch.setattr(os, "kill", no_kill)
    _, _, ledger, _, exporter = _setup(lookup=False)
    owner = _crashed_owner()
    probe = exporter()
    key = probe.key("order-1")
    ledger.begin(key, fingerprint(invoice()), owner, lambda entry: False)
    entry = ledger.get(key)
    assert entry is not None
    # Its pid is alive (reused), but its lock is free: it is gone, and with no lookup it is held at once.
    assert owner_alive(owner.rpartition(":")[2]) is False
    assert probe.is_stale(entry)
    assert probe.export(invoice()).status is ExportStatus.UNCERTAIN


def test_a_crashed_exporter_is_reconciled_by_lookup_only_after_the_in_flight_window() -> None:
    books, clock, ledger, _, exporter = _setup(lookup=True)
    owner = _crashed_owner()
    other = exporter()
    key = other.key("order-1")
    ledger.begin(key, fingerprint(invoice()), owner, lambda entry: False)
    # Its last create may still be on its way to the provider: a lookup now could miss it.
    assert other.export(invoice()).status is ExportStatus.IN_PROGRESS
    clock.advance(other.in_flight_seconds + other.heartbeat_seconds + 1)
    assert other.export(invoice()).status is ExportStatus.SENT  # looked up, not found, sent once
    assert books.issued == 1


def test_an_exporter_on_another_host_is_judged_by_its_heartbeat_and_the_window() -> None:
    books, clock, ledger, _, exporter = _setup(lookup=True)
    other = exporter()
    key = other.key("order-1")
    elsewhere = "elsewhere.example:1:0123456789abcdef"
    ledger.begin(key, fingerprint(invoice()), elsewhere, lambda entry: False)
    clock.advance(other.lease_seconds + 1)  # silent past the lease, but within the window
    assert other.export(invoice()).status is ExportStatus.IN_PROGRESS
    clock.advance(other.in_flight_seconds)
    assert other.export(invoice()).status is ExportStatus.SENT
    assert books.issued == 1


def test_a_live_process_holds_its_lock_and_frees_it_when_it_ends(tmp_path: Any) -> None:
    token = uuid.uuid4().hex
    ready = tmp_path / "ready"
    code = (
        "import pathlib, time\n"
        "from accounting_connectors.export.liveness import OwnerLock\n"
        f"lock = OwnerLock({token!r})\n"
        f"pathlib.Path({str(ready)!r}).write_text('1')\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(600):
            if ready.exists():
                break
            import time

            time.sleep(0.05)
        assert owner_alive(token) is True
    finally:
        process.kill()
        process.wait(timeout=30)
    assert owner_alive(token) is False
    assert owner_alive(uuid.uuid4().hex) is None  # no lock file: another host's exporter
    assert OwnerLock(uuid.uuid4().hex).held
