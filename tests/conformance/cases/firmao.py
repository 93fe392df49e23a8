"""Firmao.pl in the conformance suite: samples the demo organization accepts, and the documented fields.

Source tags are sections of the project's Firmao sheet (``firmao.md``), which quotes
Firmao's official API guide (F-DOC) field for field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability

from ..case import ProviderCase, today

_BUYER = ac.Party(
    name="Internet Center",
    tax_id="1060000062",
    is_company=True,
    address=ac.Address(street="Piotrkowska 147/8", postal_code="91-477", city="Łódź", country="PL"),
    email="biuro@example.pl",
)

INVOICE = ac.Invoice(
    reference="conformance-invoice",
    issue_date=today(),
    buyer=_BUYER,
    lines=[
        ac.Line(name="Produkt SKU-1", quantity=2, unit="szt.", unit_price="100.00", vat=ac.VatRate.of(23), sku="SKU-1"),
        ac.Line(name="Usługa", quantity=1, unit="szt.", unit_price="50.00", vat=ac.VatRate.of(8), is_service=True),
    ],
    currency="PLN",
    notes="Dziękujemy",
)

RECEIPT = ac.Receipt(
    reference="conformance-receipt",
    issue_date=today(),
    lines=[ac.Line(name="Książka", quantity=1, unit="szt.", unit_price="40.00", vat=ac.VatRate.of(5))],
    currency="PLN",
    payment_method="cash",
    prices_include_vat=False,
)


def _sku_stock(connector: Any, fake: Any, case: ProviderCase) -> None:
    product = fake.organizations["demo"].products[52]
    before = product["currentStoreState"]
    invoice = attrs.evolve(case.invoice_for("conf-stock"), use_stock=True)
    sent = connector.send_invoice(invoice)
    stored = fake.find(number=sent.number)
    assert stored is not None, "the fake holds no new document"
    assert product["currentStoreState"] == before - Decimal(2), "the SKU's stock did not move"
    assert stored.detail["storageStateUpdate"] == "AUTO_UPDATE"


def _external_numbering(connector: Any, fake: Any, case: ProviderCase) -> None:
    invoice = attrs.evolve(case.invoice_for("conf-own-number"), number="EXT/7/2026")
    sent = connector.send_invoice(invoice)
    assert sent.number == "EXT/7/2026"
    assert fake.find(number="EXT/7/2026") is not None
    before = len(fake.documents)
    try:
        connector.send_invoice(attrs.evolve(invoice, reference="conf-other-order"))
    except ac.ProviderValidationError as error:
        assert "transactionNumber" in error.field_errors
    else:
        raise AssertionError("a taken number was accepted")
    assert len(fake.documents) == before


def _payment(invoice: ac.Invoice) -> ac.Payment:
    # The suite's default (_full_payment) reads DocumentTotals.gross, which does not exist
    # (it is .total.gross): the whole gross of the sample, per entry as Firmao books it.
    from accounting_connectors.connectors.firmao.wire import entry_amounts, total

    amounts = total(entry_amounts(line.quantity, line.unit_price, line.vat.percent) for line in invoice.lines)
    return ac.Payment(method="transfer", amount=amounts.gross, paid_on=invoice.issue_date)


_POST = "firmao.md §5.1 (F-DOC POST transactions)"
_ENTRY = "firmao.md §5.2 (F-DOC transactionEntries)"
_CORRECTION = "firmao.md §9 (F-DOC correction example)"
_LIST = "firmao.md §15 (F-DOC §4 paging, sorting, filters)"

FIELDS: dict[str, str] = {
    # POST transactions
    "type": _POST,
    "mode": _POST,
    "transactionNumber": _POST,
    "invoiceDate": _POST,
    "transactionDate": _POST,
    "paymentDate": _POST,
    "paymentType": "firmao.md §5.1, §6",
    "currency": _POST,
    "exchangeRate": _POST,
    "paid": "firmao.md §5.1, §11",
    "paidValue": "firmao.md §5.1, §11",
    "restOfPaidValue": _POST,
    "calculateFromGross": _POST,
    "customer": _POST,
    "createCustomerIfNeeded": "firmao.md §4, §5.1",
    "customerName": "firmao.md §4, §5.1",
    "emails": "firmao.md §4, §5.1",
    "phones": "firmao.md §5.1",
    "nipNumber": _POST,
    "customerAddress.street": "firmao.md §1, §5.1 (dotted notation)",
    "customerAddress.postCode": "firmao.md §1, §5.1 (dotted notation)",
    "customerAddress.city": "firmao.md §1, §5.1 (dotted notation)",
    "customerAddress.country": "firmao.md §1, §5.1 (dotted notation)",
    "issuingPerson": _POST,
    "invoiceAnnotations": "firmao.md §5.1, §14",
    "customFields.custom5": "firmao.md §1, §14 (customFields.customN)",
    "storageStateUpdate": "firmao.md §5.1, §12",
    "warehouse.id": "firmao.md §5.1 (warehouse {id}), §1 (dotted notation)",
    "transactionNettoPrice": _POST,
    "transactionVatPrice": _POST,
    "transactionBruttoPrice": _POST,
    "transactionEntries": "firmao.md §4, §5.2 (transactionEntries[])",
    # entries
    "product": _ENTRY,
    "productCode": _ENTRY,
    "quantity": _ENTRY,
    "unit": _ENTRY,
    "vatPercent": _ENTRY,
    "unitNettoPrice": _ENTRY,
    "discount": "firmao.md §4, §5.2",
    # corrections
    "connectedDocNumber": _CORRECTION,
    "connectedDocDate": _CORRECTION,
    "correctionCause": _CORRECTION,
    "lastSelectedInvoiceReport": "firmao.md §5.1, §9",
    "baseEntryId": _CORRECTION,
    "recordId": _CORRECTION,
    "invalidRecordId": _CORRECTION,
    "entryPaid": _CORRECTION,
    "entrySize": _CORRECTION,
    "variant": _CORRECTION,
    # query parameters
    "?dataFormat": "firmao.md §1 (dataFormat=MEDIUM)",
    "?start": _LIST,
    "?limit": _LIST,
    "?sort": _LIST,
    "?dir": _LIST,
    "?id(eq)": "firmao.md §3 (one transaction: filter id(eq))",
    "?mode(eq)": "firmao.md §14",
    "?type(eq)": "firmao.md §5.1 (type), §15 (filters)",
    "?transactionNumber(eq)": "firmao.md §14",
    "?invoiceAnnotations(contains)": "firmao.md §14, §15 (contains)",
    "?customFields.custom5(eq)": "firmao.md §14, §15",
    "?transaction(eq)": "firmao.md §3, §9 (transactionentries?transaction(eq)=)",
    "?nipNumber(eq)": "firmao.md §5.3 (nipNumber), §15 (filters)",
    "?productCode(eq)": "firmao.md §3, §12 (F-DOC filter syntax)",
    "?filters": 'firmao.md Changes, §12 (F-MAG filters=(productCode="SKU"))',
    "?objectClass": "firmao.md §7 (invoicenumbers/next)",
    "?type": "firmao.md §7 (invoicenumbers/next)",
    "?mode": "firmao.md §7 (invoicenumbers/next)",
    "?id": "firmao.md §7 (invoicenumbers/next), §10 (PDF)",
    "?original": "firmao.md §10 (PDF)",
}

CASE = ProviderCase(
    name="firmao",
    invoice=INVOICE,
    receipt=RECEIPT,
    fields=FIELDS,
    payment=_payment,
    settings={"receipts": True},
    exercises={Capability.SKU_STOCK: _sku_stock, Capability.EXTERNAL_NUMBERING: _external_numbering},
)

assert INVOICE.issue_date == dt.date(2026, 1, 15)
