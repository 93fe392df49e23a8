"""Every field name the SmartBill connector sends is in SmartBill's documented field list.

The list is the conformance case's (``tests/conformance/cases/smartbill.py``), written
from SmartBill's Swagger and Postman files with a source tag per name, so this test
reads nothing outside the repository. The scenario here drives more of the connector
than the conformance exercises (a foreign currency, stock, a payment at issue, document
links, every buyer field).
"""

from __future__ import annotations

import accounting_connectors as ac
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.smartbill import SmartBillFake

from ..conformance.case import sent_field_names
from ..conformance.cases.smartbill import FIELDS


def exercise_every_operation(fake: SmartBillFake, clock: FakeClock) -> None:
    fake.stock_enabled = True
    fake.warehouses = {"Magazin"}
    buyer = ac.Party(
        name="Client SRL",
        tax_id="RO987654",
        is_company=True,
        registration_number="J40/1/2020",
        address=ac.Address(street="Str. A 1", city="Cluj-Napoca", region="Cluj", country="RO"),
        email="a@b.ro",
        phone="0700000000",
    )
    lines = [
        ac.Line(
            name="Tricou",
            quantity=2,
            unit="buc",
            unit_price="49.90",
            vat=ac.VatRate.of(21),
            sku="TR-1",
            discount_percent="10",
        ),
        ac.Line(name="Transport", quantity=1, unit="buc", unit_price=15, vat=ac.VatRate.of(21), is_service=True),
    ]
    invoice = ac.Invoice(
        reference="o-1",
        issue_date="2026-01-15",
        buyer=buyer,
        lines=lines,
        currency="EUR",
        exchange_rate="4.97",
        sale_date="2026-01-14",
        due_date="2026-01-30",
        notes="Multumim",
        language="EN",
        series="FCT",
        use_stock=True,
        warehouse="Magazin",
        payment=ac.Payment(method="Chitanta", amount="112.84", paid_on="2026-01-15"),
    )
    with ac.connect(
        "smartbill",
        username="demo@example.ro",
        token="demo-token",
        company_vat_code="RO12345678",
        transport=fake,
        clock=clock,
        receipt_series="CHT",
        document_links=True,
    ) as conn:
        sent = conn.send_invoice(invoice)
        unpaid = conn.send_invoice(
            ac.Invoice(reference="o-2", issue_date="2026-01-15", buyer=buyer, lines=lines[1:], currency="RON")
        )
        conn.record_payment(unpaid, ac.Payment(method="Card", amount="18.15", paid_on="2026-01-16"))
        conn.send_receipt(
            ac.Receipt(
                reference="r-1", issue_date="2026-01-15", lines=lines[1:], currency="RON", buyer=buyer, language="RO"
            )
        )
        conn.send_correction(
            ac.Correction.full_reversal(
                reference="c-1", original=invoice, original_document=sent, reason="retur", issue_date="2026-01-20"
            )
        )
        conn.fetch_pdf(sent)
        conn.list_series()
        conn.list_vat_rates()


def test_every_sent_field_is_documented(smartbill_fake: SmartBillFake, fake_clock: FakeClock) -> None:
    exercise_every_operation(smartbill_fake, fake_clock)
    sent: set[str] = set()
    for request in smartbill_fake.requests:
        sent.update(sent_field_names(request))
    assert len(sent) > 40, "the scenario should exercise most of the connector"
    assert sorted(sent - set(FIELDS)) == []


def test_the_check_can_fail() -> None:
    assert "taxName" in FIELDS and "?seriesname" in FIELDS
    assert "?invoiceSeries" in FIELDS  # a payment/v2 query key
    assert "taxRate" not in FIELDS and "saveClient" not in FIELDS
    assert all(tag.startswith(("smartbill-swagger.json: ", "smartbill-postman.json: ")) for tag in FIELDS.values())
