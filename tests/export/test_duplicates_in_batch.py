"""A reference that comes twice in one batch is named as a duplicate, not as someone else's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportReport, ExportStatus, IntegrationSettings, SQLiteLedger
from accounting_connectors.testing.clock import FakeClock

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


def invoice() -> ac.Invoice:
    return ac.Invoice(
        reference="ORD-7",
        issue_date="2026-01-15",
        buyer=ac.Party(name="Ion Popescu", address=ac.Address(city="Cluj-Napoca", country="RO")),
        lines=[ac.Line(name="Tricou", quantity=1, unit="buc", unit_price="49.90", vat=ac.VatRate.of(21))],
        currency="RON",
    )


def test_the_second_copy_of_a_reference_in_flight_is_a_duplicate(smartbill_fake: Any, tmp_path: Path) -> None:
    with ac.connect("smartbill", CREDENTIALS, transport=smartbill_fake, clock=FakeClock()) as conn:
        exporter = Exporter(conn, IntegrationSettings(), SQLiteLedger(tmp_path / "l.db"))
        exporter.check()
        first = exporter.export_flow(invoice())
        send = next(first)  # the first copy is about to be sent
        assert send.name == "send_invoice"
        second = exporter.export(invoice())
        assert second.status is ExportStatus.DUPLICATE
        assert "appears twice in this batch" in second.message
        with pytest.raises(StopIteration) as finished:
            first.send(send.run(conn))
    assert finished.value.value.status is ExportStatus.SENT
    assert len(smartbill_fake.documents) == 1
    report = ExportReport()
    report.add(second)
    assert report.duplicates == ["ORD-7"]
    assert "duplicates in batch 1 (ORD-7)" in str(report)
    assert report.ok  # the first copy is the document; the duplicate is named, not failed
