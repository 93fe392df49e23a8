"""Bulk export: streaming, pacing at the provider's ceiling without penalty, stopping."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import (
    AsyncExporter,
    Exporter,
    ExportResult,
    ExportStatus,
    IntegrationSettings,
    SQLiteLedger,
)
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.smartbill import SmartBillFake

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}
LINE = ac.Line(name="Carte", quantity=1, unit="buc", unit_price="30.00", vat=ac.VatRate.of(11))


def invoices(count: int, prefix: str = "order") -> Iterator[ac.Invoice]:
    """A lazy stream: nothing holds the whole batch."""
    for index in range(count):
        yield ac.Invoice(
            reference=f"{prefix}-{index}",
            issue_date="2026-01-15",
            buyer=ac.Party(name="Client"),
            lines=[LINE],
            currency="RON",
        )


def test_5000_documents_run_at_the_ceiling_with_no_block(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = SmartBillFake(clock=clock)
    with ac.connect("smartbill", transport=fake, clock=clock, **CREDENTIALS) as conn:
        exporter = Exporter(conn, IntegrationSettings(max_concurrency=4), SQLiteLedger(tmp_path / "l.db"))
        seen: list[tuple[int, int | None, str]] = []
        started = clock.time()
        report = exporter.export_many(invoices(5000), progress=lambda *event: seen.append(event))
        elapsed = clock.time() - started
    assert report.sent == 5000 and report.ok
    assert fake.penalties == 0
    assert len(fake.invoices()) == 5000
    calls = len(fake.requests)  # the creates plus one read of the VAT names
    achieved = calls / elapsed
    ceiling = 30 / 10
    assert achieved <= ceiling
    assert achieved >= ceiling * 0.95, f"{achieved:.3f} calls/s is more than 5 % under the ceiling"
    assert seen[-1][0] == 5000 and seen[-1][1] is None  # a generator has no length


def test_progress_knows_the_total_of_a_list(
    tmp_path: Path, smartbill_fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    with ac.connect("smartbill", transport=smartbill_fake, clock=fake_clock, **CREDENTIALS) as conn:
        exporter = Exporter(conn, IntegrationSettings(), SQLiteLedger(tmp_path / "l.db"))
        seen: list[tuple[int, int | None, str]] = []
        batch = list(invoices(5))
        exporter.export_many(batch, progress=lambda *event: seen.append(event))
    assert [event[0] for event in seen] == [1, 2, 3, 4, 5]
    assert {event[1] for event in seen} == {5}
    assert {event[2] for event in seen} == {document.reference for document in batch}


def test_stop_after_failure_leaves_the_rest_unsent(
    tmp_path: Path, smartbill_fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    def refuse_the_fourth(result: ExportResult) -> None:
        if result.reference == "order-2":
            smartbill_fake.inject(Fault.ERROR_TEXT_200, path="invoice")

    with ac.connect("smartbill", transport=smartbill_fake, clock=fake_clock, **CREDENTIALS) as conn:
        exporter = Exporter(conn, IntegrationSettings(stop_after_failure=True), SQLiteLedger(tmp_path / "l.db"))
        report = exporter.export_many(invoices(10), on_result=refuse_the_fourth)
    assert report.sent == 3
    assert [result.reference for result in report.failed] == ["order-3"]
    assert report.not_attempted == [f"order-{index}" for index in range(4, 10)]
    assert len(smartbill_fake.invoices()) == 3
    assert not report.ok


def test_without_stopping_every_failure_is_reported(
    tmp_path: Path, smartbill_fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    with ac.connect("smartbill", transport=smartbill_fake, clock=fake_clock, **CREDENTIALS) as conn:
        exporter = Exporter(conn, IntegrationSettings(max_concurrency=1), SQLiteLedger(tmp_path / "l.db"))
        exporter.check()
        conn.list_vat_rates()
        smartbill_fake.inject(Fault.ERROR_TEXT_200, path="invoice", times=2)
        results: list[ExportResult] = []
        report = exporter.export_many(invoices(6), on_result=results.append)
    assert len(report.failed) == 2 and report.sent == 4 and not report.not_attempted
    assert [result.status for result in results].count(ExportStatus.SENT) == 4
    assert "failed 2" in str(report)


def test_async_bulk_streams_an_async_iterable(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = SmartBillFake(clock=clock)

    async def stream() -> AsyncIterator[ac.Invoice]:
        for document in invoices(300):
            yield document

    async def scenario() -> Any:
        async with ac.connect_async("smartbill", transport=fake, clock=clock, **CREDENTIALS) as aconn:
            exporter = AsyncExporter(aconn, IntegrationSettings(max_concurrency=8), SQLiteLedger(tmp_path / "l.db"))
            first = await exporter.export_many(stream())
            again = await exporter.export_many(list(invoices(300)))
            return first, again

    first, again = asyncio.run(scenario())
    assert first.sent == 300 and again.already_sent == 300
    assert fake.penalties == 0 and len(fake.invoices()) == 300


def test_async_stop_after_failure(tmp_path: Path, smartbill_fake: SmartBillFake, fake_clock: FakeClock) -> None:
    async def scenario() -> Any:
        async with ac.connect_async("smartbill", transport=smartbill_fake, clock=fake_clock, **CREDENTIALS) as aconn:
            exporter = AsyncExporter(
                aconn, IntegrationSettings(stop_after_failure=True), SQLiteLedger(tmp_path / "l.db")
            )
            await exporter.check()
            await aconn.list_vat_rates()
            smartbill_fake.inject(Fault.ERROR_TEXT_200, path="invoice")
            return await exporter.export_many(invoices(5))

    report = asyncio.run(scenario())
    assert [result.reference for result in report.failed] == ["order-0"]
    assert report.not_attempted == ["order-1", "order-2", "order-3", "order-4"]


def _export_batch_in_a_process(ledger_path: str, base_url: str, results: Any) -> None:
    # Each process has its own connector; they share the ledger file and the fake's state
    # through the loopback server. Whatever happens is reported back to the test.
    try:
        from accounting_connectors.export import Exporter as ChildExporter
        from accounting_connectors.export import IntegrationSettings as ChildSettings
        from accounting_connectors.export import SQLiteLedger as ChildLedger

        with ac.connect("smartbill", base_url=base_url, max_retries=0, **CREDENTIALS) as conn:
            exporter = ChildExporter(conn, ChildSettings(max_concurrency=2), ChildLedger(ledger_path))
            report = exporter.export_many(invoices(40))
        problems = [f"{result.reference}: {result.message}" for result in [*report.failed, *report.uncertain]]
        results.put(problems)
    except BaseException as error:  # the test must hear of it, whatever it is
        results.put([repr(error)])


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="needs fork")
def test_two_processes_with_one_ledger_issue_one_document_per_reference(tmp_path: Path) -> None:
    from accounting_connectors.testing.server import serve

    fake = SmartBillFake(rate_limit=10_000)
    with serve(fake) as base_url:
        results: Any = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(
                target=_export_batch_in_a_process, args=(str(tmp_path / "shared.db"), base_url + "/SBORO/api/", results)
            )
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        problems = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
    assert problems == [[], []]
    references = [document.body["observations"] for document in fake.invoices()]
    assert sorted(references) == sorted(f"ref: order-{index}" for index in range(40))
    ledger = SQLiteLedger(tmp_path / "shared.db")
    assert len(ledger.entries()) == 40
