"""The exporter never aborts with a raw exception: one document's surprise is its own result."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import AsyncExporter, Exporter, ExportStatus, IntegrationSettings, SQLiteLedger
from accounting_connectors.registry import fake_class
from accounting_connectors.testing.clock import FakeClock

from ..conformance.cases import all_cases

CASE = all_cases()["smartbill"]


def _connected(driver: str = "sync") -> tuple[Any, Any]:
    clock = FakeClock()
    fake = fake_class("smartbill").demo(clock=clock)
    settings = {**fake.demo_settings, **CASE.settings}
    if driver == "sync":
        return ac.connect("smartbill", transport=fake, clock=clock, **settings), fake
    return ac.connect_async("smartbill", transport=fake, clock=clock, **settings), fake


def _invoices(count: int) -> list[ac.Invoice]:
    return [CASE.invoice_for(f"raw-{index}") for index in range(count)]


def _explode_after_sending(conn: Any, reference: str) -> None:
    real = conn.send_invoice

    def send_invoice(invoice: ac.Invoice) -> ac.SentDocument:
        sent = real(invoice)
        if invoice.reference == reference:
            raise RuntimeError("a bug after the create")
        return sent

    conn.send_invoice = send_invoice


def test_a_raw_exception_after_a_create_holds_that_document_and_the_batch_goes_on(tmp_path: Path) -> None:
    conn, fake = _connected()
    exporter = Exporter(conn, IntegrationSettings(), SQLiteLedger(str(tmp_path / "l.db")))
    _explode_after_sending(conn, "raw-1")
    results: list[Any] = []
    report = exporter.export_many(_invoices(3), on_result=results.append)
    by_reference = {result.reference: result for result in results}
    assert [by_reference[f"raw-{i}"].status for i in range(3)] == [
        ExportStatus.SENT,
        ExportStatus.UNCERTAIN,
        ExportStatus.SENT,
    ]
    assert "RuntimeError" in by_reference["raw-1"].message
    assert report.sent == 2 and len(report.uncertain) == 1
    entry = exporter.ledger.get(exporter.key("raw-1"))
    assert entry is not None and entry.state.value == "uncertain"
    assert len(fake.documents) == 3
    # Held, so never sent twice.
    again = exporter.export(CASE.invoice_for("raw-1"))
    assert again.status is ExportStatus.UNCERTAIN and len(fake.documents) == 3


def test_stop_after_failure_applies_to_an_unexpected_error(tmp_path: Path) -> None:
    conn, _ = _connected()
    exporter = Exporter(conn, IntegrationSettings(stop_after_failure=True), SQLiteLedger(str(tmp_path / "l.db")))
    _explode_after_sending(conn, "raw-0")
    report = exporter.export_many(_invoices(3))
    assert len(report.uncertain) == 1 and report.not_attempted == ["raw-1", "raw-2"]


def test_something_that_is_not_a_document_fails_without_a_ledger_entry(tmp_path: Path) -> None:
    conn, fake = _connected()
    exporter = Exporter(conn, IntegrationSettings(), SQLiteLedger(str(tmp_path / "l.db")))
    results: list[Any] = []
    batch: list[Any] = [{"reference": "a dict"}, CASE.invoice_for("raw-ok")]
    exporter.export_many(batch, on_result=results.append)
    by_reference = {result.reference: result for result in results}
    assert by_reference["{'reference': 'a dict'}"].status is ExportStatus.FAILED
    assert by_reference["raw-ok"].status is ExportStatus.SENT
    assert isinstance(by_reference["{'reference': 'a dict'}"].error, ac.AccountingError)
    assert len(fake.documents) == 1


def test_a_raw_exception_before_any_intent_fails_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn, fake = _connected()
    exporter = Exporter(conn, IntegrationSettings(), SQLiteLedger(str(tmp_path / "l.db")))
    exporter.check()
    real = exporter.prepare

    def prepare(document: Any) -> Any:
        if document.reference == "raw-0":
            raise KeyError("a bug in the settings step")
        return real(document)

    monkeypatch.setattr(exporter, "prepare", prepare)
    results: list[Any] = []
    exporter.export_many(_invoices(2), on_result=results.append)
    by_reference = {result.reference: result.status for result in results}
    assert by_reference == {"raw-0": ExportStatus.FAILED, "raw-1": ExportStatus.SENT}
    assert exporter.ledger.get(exporter.key("raw-0")) is None and len(fake.documents) == 1


def test_a_raw_exception_in_the_pdf_step_keeps_the_document_sent(tmp_path: Path) -> None:
    conn, _ = _connected()
    exporter = Exporter(conn, IntegrationSettings(use_provider_document=True), SQLiteLedger(str(tmp_path / "l.db")))

    def fetch_pdf(document: ac.SentDocument) -> bytes:
        raise ValueError("a bug in the PDF step")

    conn.fetch_pdf = fetch_pdf
    result = exporter.export(CASE.invoice_for("raw-pdf"))
    assert result.status is ExportStatus.SENT and result.pdf is None
    assert isinstance(result.document_error, ac.AccountingError)


def test_the_async_exporter_holds_on_a_raw_exception_too(tmp_path: Path) -> None:
    conn, fake = _connected("async")
    real = conn.send_invoice

    async def send_invoice(invoice: ac.Invoice) -> ac.SentDocument:
        sent = await real(invoice)
        if invoice.reference == "raw-0":
            raise RuntimeError("a bug after the create")
        return sent

    conn.send_invoice = send_invoice

    async def run() -> Any:
        exporter = AsyncExporter(conn, IntegrationSettings(), SQLiteLedger(str(tmp_path / "l.db")))
        try:
            return await exporter.export_many(_invoices(2))
        finally:
            await conn.aclose()

    report = asyncio.run(run())
    assert report.sent == 1 and len(report.uncertain) == 1 and len(fake.documents) == 2
