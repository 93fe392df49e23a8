"""A SmartBill create answered with a number is a created document, whatever else it says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, SQLiteLedger
from accounting_connectors.testing import FakeClock, Fault, Reply, SmartBillFake
from accounting_connectors.testing.wire import FakeRequest


class WarningFake(SmartBillFake):
    """Issues the invoice, then answers with both its number and an errorText."""

    def _post_invoice(self, request: FakeRequest) -> Reply:
        issued = super()._post_invoice(request)
        body = json.loads(issued.content)
        body["errorText"] = "Atentie: clientul nu are adresa completa."
        return Reply.json(body)


def invoice(reference: str) -> ac.Invoice:
    return ac.Invoice(
        reference=reference,
        issue_date="2026-01-15",
        buyer=ac.Party(name="Ion Popescu", address=ac.Address(city="Cluj-Napoca", country="RO")),
        lines=[ac.Line(name="Tricou", quantity=1, unit="buc", unit_price="49.90", vat=ac.VatRate.of(21))],
        currency="RON",
    )


def test_an_answer_with_a_number_and_an_error_text_is_sent_once(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = WarningFake.demo(clock=clock)
    ledger = SQLiteLedger(tmp_path / "l.db")
    with ac.connect("smartbill", SmartBillFake.demo_settings, transport=fake, clock=clock) as conn:
        exporter = Exporter(conn, IntegrationSettings(), ledger)
        first = exporter.export(invoice("ORD-9"))
        again = exporter.export(invoice("ORD-9"))
    assert first.status is ExportStatus.SENT
    assert first.document is not None and first.document.number == "0001"
    assert "Atentie" in str(first.document.raw["errorText"])
    assert again.status is ExportStatus.ALREADY_SENT
    assert len(fake.documents) == 1


def test_an_error_text_without_a_number_is_still_a_refusal(smartbill_fake: Any) -> None:
    smartbill_fake.inject(Fault.ERROR_TEXT_200, "invoice")
    with (
        ac.connect("smartbill", SmartBillFake.demo_settings, transport=smartbill_fake) as conn,
        pytest.raises(ac.ProviderValidationError),
    ):
        conn.send_invoice(invoice("ORD-10"))
    assert smartbill_fake.documents == []
