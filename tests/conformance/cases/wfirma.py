"""wFirma's conformance case: samples the demo account accepts and the documented field names."""

from __future__ import annotations

from typing import Any

import attrs

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability

from ..case import ProviderCase, today

_INVOICES_ADD = "wfirma-postman.json: invoices/add"
_FIND = "wfirma-postman.json: invoices/find"

FIELDS = {
    # Query parameters on every call [W-DOC "Parametr company_id", "Format wejściowy / wyjściowy"].
    "?inputFormat": "wfirma.md §1",
    "?outputFormat": "wfirma.md §1",
    "?company_id": "wfirma.md §1",
    # Envelope.
    "api": "wfirma.md §1.1",
    "invoices": _INVOICES_ADD,
    "invoice": _INVOICES_ADD,
    # Buyer (§5.3).
    "contractor": _INVOICES_ADD,
    "name": _INVOICES_ADD,
    "tax_id_type": "wfirma.md §5.3",
    "nip": "wfirma.md §5.3",
    "street": "wfirma.md §4",
    "zip": _INVOICES_ADD,
    "city": _INVOICES_ADD,
    "country": "wfirma.md §5.3",
    "email": "wfirma.md §5.3",
    "phone": "wfirma.md §5.3",
    # Document (§5.1).
    "type": _INVOICES_ADD,
    "date": "wfirma.md §5.1",
    "disposaldate": "wfirma.md §5.1",
    "paymentmethod": "wfirma.md §5.1",
    "paymentdate": "wfirma.md §5.1",
    "alreadypaid_initial": "wfirma.md §5.1",
    "currency": "wfirma.md §5.1",
    "price_type": "wfirma.md §5.1",
    "series": "wfirma.md §5.1",
    "id": "wfirma.md §5.1",
    "id_external": "wfirma.md §14",
    "description": "wfirma.md §5.1",
    "parent_id": "wfirma-postman.json: invoices/add (invoices_correction)",
    # Lines (§5.2).
    "invoicecontents": _INVOICES_ADD,
    "invoicecontent": _INVOICES_ADD,
    "good": "wfirma.md §5.2",
    "unit": _INVOICES_ADD,
    "count": _INVOICES_ADD,
    "price": _INVOICES_ADD,
    "vat_code": "wfirma-postman.json: goods/add",
    "discount": "wfirma.md §5.2",
    "discount_percent": "wfirma.md §5.2",
    # find and download parameters [W-DOC "Konstruowanie zapytań find"].
    "parameters": _FIND,
    "conditions": _FIND,
    "condition": _FIND,
    "field": _FIND,
    "operator": _FIND,
    "value": _FIND,
    "page": _FIND,
    "limit": _FIND,
    "parameter": "wfirma-postman.json: invoices/download",
    "goods": "wfirma-postman.json: goods/find",
    "vat_codes": "wfirma.md §3",
    # Payments (§11).
    "payments": "wfirma-postman.json: payments/add",
    "payment": "wfirma-postman.json: payments/add",
    "object_name": "wfirma-postman.json: payments/add",
    "object_id": "wfirma-postman.json: payments/add",
    "payment_method": "wfirma.md §11",
}


INVOICE = ac.Invoice(
    reference="conf-sample",
    issue_date=today(),
    sale_date=today(),
    currency="PLN",
    buyer=ac.Party(
        name="Kowalski Sp. z o.o.",
        tax_id="5252344078",
        is_company=True,
        email="biuro@example.pl",
        address=ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
    ),
    lines=[
        ac.Line(name="Produkt A", quantity=2, unit="szt.", unit_price="100.00", vat=ac.VatRate.of(23), sku="SKU-1"),
        ac.Line(name="Książka B", quantity=1, unit="szt.", unit_price="50.00", vat=ac.VatRate.of(5), sku="SKU-2"),
    ],
)

RECEIPT = ac.Receipt(
    reference="conf-receipt",
    issue_date=today(),
    currency="PLN",
    payment_method="card",
    lines=[ac.Line(name="Kawa", quantity=1, unit="szt.", unit_price="24.60", vat=ac.VatRate.of(23))],
)


def _sku_stock(connector: Any, fake: Any, case: ProviderCase) -> None:
    before = fake.good("1001", "SKU-1")["count"]
    invoice = attrs.evolve(case.invoice_for("conf-stock"), use_stock=True)
    sent = connector.send_invoice(invoice)
    stored = fake.find(number=sent.number)
    assert stored is not None
    assert stored.detail["lines"][0]["good_id"] == fake.good("1001", "SKU-1")["id"], "no good id on the line"
    assert fake.good("1001", "SKU-1")["count"] == before - 2, "the stock did not move"


CASE = ProviderCase(
    name="wfirma",
    invoice=INVOICE,
    receipt=RECEIPT,
    fields=FIELDS,
    exercises={Capability.SKU_STOCK: _sku_stock},
)
