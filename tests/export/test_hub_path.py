"""The bulk path kept cheap: one statement per ledger step, the ledger off the event loop,
one SSL context per process and no cookie jar work."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx

import accounting_connectors as ac
from accounting_connectors.client import default_ssl_context
from accounting_connectors.export import AsyncExporter, ExportStatus, IntegrationSettings, LedgerState, SQLiteLedger
from accounting_connectors.export.ledger import LedgerKey, Verdict
from accounting_connectors.testing.clock import VirtualClock
from accounting_connectors.testing.smartbill import SmartBillFake

KEY = LedgerKey("smartbill", "12345678", "ORD-1")
CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


def document(number: str = "0001") -> ac.SentDocument:
    return ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="ORD-1", series="FCT", number=number
    )


def invoice(reference: str = "ORD-1") -> ac.Invoice:
    return ac.Invoice(
        reference=reference,
        issue_date="2026-01-15",
        buyer=ac.Party(name="Ion Popescu", address=ac.Address(city="Cluj-Napoca", country="RO")),
        lines=[ac.Line(name="Tricou", quantity=1, unit="buc", unit_price="49.90", vat=ac.VatRate.of(21))],
        currency="RON",
    )


def test_a_new_reference_and_its_outcome_take_one_statement_each(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    statements: list[str] = []
    ledger._db.set_trace_callback(statements.append)
    assert ledger.begin(KEY, "fp", "host:1:a", lambda entry: False).verdict is Verdict.PROCEED
    assert [statement.split()[0] for statement in statements] == ["INSERT"]
    # The intent is committed before the create is sent: another connection sees it.
    other = sqlite3.connect(tmp_path / "l.db")
    assert other.execute("SELECT state FROM ledger").fetchall() == [("pending",)]
    statements.clear()
    assert ledger.complete(KEY, "host:1:a", document()) is LedgerState.SENT
    assert [statement.split()[0] for statement in statements] == ["UPDATE"]
    assert other.execute("SELECT state FROM ledger").fetchall() == [("sent",)]
    other.close()
    entry = ledger.get(KEY)
    assert entry is not None and entry.document == document() and entry.owner == "host:1:a"
    assert entry.fingerprint == "fp" and entry.message == ""
    ledger.close()


def test_complete_keeps_every_case_of_the_full_decision(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    assert ledger.complete(KEY, "host:1:a", document()) is None  # nothing recorded: nothing to complete
    assert ledger.get(KEY) is None
    ledger.begin(KEY, "fp", "host:1:a", lambda entry: False)
    ledger.hold(KEY, "host:1:a", "unknown outcome")
    assert ledger.complete(KEY, "host:1:a", document()) is LedgerState.SENT  # a hold without a document
    # Held with a document named: the same document again is sent, another is two documents.
    ledger.complete(KEY, "host:2:b", document("0002"))
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.UNCERTAIN and entry.document == document()
    assert ledger.complete(KEY, "host:2:b", document("0002")) is LedgerState.UNCERTAIN
    assert ledger.complete(KEY, "host:1:a", document()) is LedgerState.SENT
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.SENT and entry.document == document()
    # A failed entry that gets its answer after all is sent.
    other = LedgerKey("smartbill", "12345678", "ORD-2")
    ledger.begin(other, "fp", "host:1:a", lambda entry: False)
    ledger.fail(other, "host:1:a", "refused")
    assert ledger.complete(other, "host:1:a", document()) is LedgerState.SENT
    ledger.close()


class SlowLedger:
    """A ledger whose every call waits, as SQLite does on another process's write lock."""

    def __init__(self, inner: SQLiteLedger, seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds
        self.threads: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def slow(*args: Any, **kwargs: Any) -> Any:
            self.threads.add(threading.current_thread().name)
            time.sleep(self._seconds)
            return method(*args, **kwargs)

        return slow


def test_the_async_exporter_never_waits_on_the_ledger_on_the_event_loop(tmp_path: Path) -> None:
    fake = SmartBillFake.demo()
    ledger = SlowLedger(SQLiteLedger(tmp_path / "l.db"), 0.2)
    ticks: list[float] = []

    async def main() -> ExportStatus:
        async def ticker() -> None:
            while True:
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        async with ac.connect_async("smartbill", CREDENTIALS, transport=fake) as conn:
            exporter = AsyncExporter(conn, IntegrationSettings(), ledger)
            result = await exporter.export(invoice())
        ticking.cancel()
        return result.status

    assert asyncio.run(main()) is ExportStatus.SENT
    assert "MainThread" not in ledger.threads
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert len(ticks) > 20 and max(gaps) < 0.15  # the loop kept running through 0.4 s of ledger waits


def test_the_ledger_may_run_on_the_loop_when_asked(tmp_path: Path) -> None:
    fake = SmartBillFake.demo()
    ledger = SlowLedger(SQLiteLedger(tmp_path / "l.db"), 0.0)

    async def main() -> ExportStatus:
        async with ac.connect_async("smartbill", CREDENTIALS, transport=fake) as conn:
            exporter = AsyncExporter(conn, IntegrationSettings(), ledger, ledger_in_thread=False)
            return (await exporter.export(invoice())).status

    assert asyncio.run(main()) is ExportStatus.SENT
    assert ledger.threads == {"MainThread"}


def test_a_cancelled_export_lets_its_ledger_step_finish(tmp_path: Path) -> None:
    fake = SmartBillFake.demo()
    ledger = SlowLedger(SQLiteLedger(tmp_path / "l.db"), 0.1)

    async def main() -> None:
        async with ac.connect_async("smartbill", CREDENTIALS, transport=fake) as conn:
            exporter = AsyncExporter(conn, IntegrationSettings(), ledger)
            task = asyncio.create_task(exporter.export(invoice()))
            await asyncio.sleep(0.05)  # inside the ledger's begin, in its thread
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(main())
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.PENDING  # recorded; never sent
    assert fake.documents == []


def test_virtual_time_waits_for_worker_threads() -> None:
    clock = VirtualClock()

    async def main() -> float:
        start = clock.monotonic()
        sleeper = asyncio.create_task(asyncio.sleep(100))  # a pending timer the loop could jump to
        await asyncio.to_thread(time.sleep, 0.05)
        waited = clock.monotonic() - start
        sleeper.cancel()
        return waited

    assert clock.run(main()) < 1.0


def test_virtual_time_exports_with_the_ledger_in_a_thread_pace_at_the_ceiling(tmp_path: Path) -> None:
    clock = VirtualClock()
    fake = SmartBillFake.demo(clock=clock)

    async def main() -> float:
        async with ac.connect_async("smartbill", CREDENTIALS, transport=fake, clock=clock) as conn:
            exporter = AsyncExporter(conn, IntegrationSettings(), SQLiteLedger(tmp_path / "l.db"))
            await exporter.check()
            started = clock.monotonic()
            report = await exporter.export_many(invoice(f"ORD-{index}") for index in range(90))
            assert report.sent == 90
            return clock.monotonic() - started

    elapsed = clock.run(main())
    assert fake.penalties == 0
    assert elapsed < 35.0  # 90 creates at 30 per 10 s: three windows, not slower


def test_every_default_connector_shares_one_ssl_context_and_keeps_no_cookies() -> None:
    first = ac.connect("smartbill", CREDENTIALS)
    second = ac.connect_async("smartbill", CREDENTIALS)
    transports: list[Any] = [first._http._transport, second._http._transport]
    contexts = {transport._pool._ssl_context for transport in transports}
    assert contexts == {default_ssl_context()}
    request = httpx.Request("GET", "https://ws.smartbill.ro/SBORO/api/tax")
    response = httpx.Response(200, headers={"Set-Cookie": "session=1; Path=/"}, request=request)
    for client in (first, second):
        client._http.cookies.extract_cookies(response)
        assert not client._http.cookies
    first.close()


def test_a_client_passed_in_is_left_as_it_is() -> None:
    shared = httpx.Client()
    with ac.connect("smartbill", CREDENTIALS, http_client=shared) as conn:
        assert conn._http is shared
    request = httpx.Request("GET", "https://ws.smartbill.ro/SBORO/api/tax")
    shared.cookies.extract_cookies(httpx.Response(200, headers={"Set-Cookie": "a=1; Path=/"}, request=request))
    assert shared.cookies.get("a") == "1"
    assert not shared.is_closed
    shared.close()
