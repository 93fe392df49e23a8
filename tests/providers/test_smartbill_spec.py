"""Every field name the SmartBill connector sends exists in SmartBill's own Swagger or Postman files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.smartbill import SmartBillFake

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"
SWAGGER = SPECS / "smartbill-swagger.json"
POSTMAN = SPECS / "smartbill-postman.json"

pytestmark = pytest.mark.skipif(
    not (SWAGGER.exists() and POSTMAN.exists()),
    reason="SmartBill's spec files (../shared/specs) are not beside the checkout",
)


def keys_of(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


@cache
def documented_names() -> frozenset[str]:
    """Property, parameter and body-field names in the Swagger and the Postman collection."""
    names: set[str] = set()
    swagger = json.loads(SWAGGER.read_text())

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "properties" and isinstance(item, dict):
                    names.update(item)
                if key in ("parameters", "x-parameters") and isinstance(item, list | dict):
                    entries = item.values() if isinstance(item, dict) else item
                    names.update(str(entry["name"]) for entry in entries if isinstance(entry, dict) and "name" in entry)
                if key == "description" and isinstance(item, str):
                    # Parameter tables in the descriptions: |<span ...>name</span>| or |name|
                    names.update(re.findall(r'label-default">([A-Za-z][A-Za-z0-9]*)<', item))
                    names.update(re.findall(r"\|\s*([a-z][A-Za-z0-9]*)\s*\|\s*(?:query|body)\s*\|", item))
                visit(item)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(swagger)

    def requests(items: list[Any]) -> Iterator[dict[str, Any]]:
        for item in items:
            if "item" in item:
                yield from requests(item["item"])
            else:
                yield item["request"]

    postman = json.loads(POSTMAN.read_text())
    for request in requests(postman["item"]):
        url = request.get("url")
        if isinstance(url, dict):
            names.update(str(query["key"]) for query in url.get("query", []) if "key" in query)
        raw = (request.get("body") or {}).get("raw")
        if raw:
            try:
                names.update(keys_of(json.loads(re.sub(r"\{\{[^}]+\}\}", "0", raw))))
            except ValueError:
                names.update(re.findall(r'"([A-Za-z][A-Za-z0-9]*)"\s*:', raw))
    return frozenset(names)


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
    documented = documented_names()
    sent: set[str] = set()
    for request in smartbill_fake.requests:
        sent.update(request.url.params.keys())
        if request.content:
            sent.update(keys_of(json.loads(request.content, parse_float=Decimal)))
    assert len(sent) > 40, "the scenario should exercise most of the connector"
    assert sorted(sent - documented) == []


def test_the_check_can_fail() -> None:
    documented = documented_names()
    assert "taxName" in documented and "seriesname" in documented
    assert "invoiceSeries" in documented  # a payment/v2 query key
    assert "taxRate" not in documented and "saveClient" not in documented
