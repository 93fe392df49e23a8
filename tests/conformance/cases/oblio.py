"""Oblio.eu in the conformance suite: samples the demo account accepts, and Oblio's documented fields.

The field list is written from the Oblio sheet (``shared/providers/oblio.md``): every
field name Oblio documents for the calls this SDK makes, JSON keys at any depth, form
fields and query parameters (``?name``), each with the sheet section it comes from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability
from accounting_connectors.money import document_totals

from ..case import ProviderCase, today

_DOC = "oblio.md §5.1"
_PRODUCT = "oblio.md §5.2"
_CLIENT = "oblio.md §5.3"

FIELDS: dict[str, str] = {
    # Token (§1): form-encoded per the doc, JSON with grant_type per OB-PHP / OB-JS.
    "client_id": "oblio.md §1",
    "client_secret": "oblio.md §1",
    "grant_type": "oblio.md §1 (OB-PHP, OB-WOO)",
    # Document parameters (§5.1, §4).
    **{
        name: _DOC
        for name in (
            "cif", "client", "clientLocation", "issueDate", "dueDate", "deliveryDate", "collectDate",
            "seriesName", "disableAutoSeries", "number", "language", "precision", "currency", "exchangeRate",
            "products", "issuerName", "issuerId", "noticeNumber", "orderNumber", "contractNumber",
            "receptionNotice", "projectNumber", "buyerIdentifier", "clientAccountReference", "internalNote",
            "mentions", "deputyName", "deputyIdentityCard", "deputyAuto", "selesAgent", "workStation",
            "sendEmail", "idempotencyKey", "referenceDocument", "collect", "useStock", "spvExtern",
        )
    },
    # clientLocation (§5.1, "Carried over": BT-71..BT-78).
    "identity": _DOC,
    "postalCode": _DOC,
    # referenceDocument (§5.1, §9).
    "type": "oblio.md §5.1, §9, §11",
    "refund": "oblio.md §9",
    # Product and discount lines (§5.2).
    **{
        name: _PRODUCT
        for name in (
            "name", "code", "codeClient", "codeEAN", "description", "price", "measuringUnit", "vatName",
            "vatPercentage", "vatIncluded", "quantity", "management", "productType", "nameTranslation",
            "measuringUnitTranslation", "save", "discount", "discountType", "discountAllAbove",
        )
    },
    # Client (§5.3).
    **{
        name: _CLIENT
        for name in (
            "rc", "address", "state", "city", "country", "iban", "bank", "email", "phone", "contact",
            "vatPayer", "autocomplete",
        )
    },
    # Collect (§11).
    "documentNumber": "oblio.md §11",
    "value": "oblio.md §11",
    # Delete (§3) and webhooks (§3).
    "deleteCollect": "oblio.md §3",
    "topic": "oblio.md §3 (webhooks)",
    "endpoint": "oblio.md §3 (webhooks)",
    # Query parameters: reads, list, nomenclatures (§3, §15).
    **{
        f"?{name}": "oblio.md §3"
        for name in (
            "cif", "seriesName", "number", "id", "client[cif]", "client[email]", "client[phone]", "client[code]",
            "draft", "canceled", "collected", "issuedAfter", "issuedBefore", "withProducts", "withCollects",
            "withEinvoiceStatus", "orderBy", "orderDir", "limitPerPage", "offset", "name", "clientCif", "code",
            "management", "workStation",
        )
    },
    "?type": "oblio.md §3 (series, OB-WOO)",
    # The document's public link (§10).
    "?ic": "oblio.md §10",
    "?it": "oblio.md §10",
    "?preload": "oblio.md §10",
}  # fmt: skip

# Names documented in more than one place carry every section that documents them.
FIELDS.update({
    "cif": "oblio.md §5.1, §5.3 (client), §3 (collect, cancel, delete), §11",
    "name": "oblio.md §5.2, §5.3 (client), §5.1 (clientLocation)",
    "code": "oblio.md §5.2, §5.3 (client), §12",
    "save": "oblio.md §5.2, §5.3 (client)",
    "seriesName": "oblio.md §5.1, §9 (referenceDocument), §11 (collect)",
    "number": "oblio.md §5.1, §9 (referenceDocument), §11",
    "issueDate": "oblio.md §5.1, §11 (collect)",
    "mentions": "oblio.md §5.1, §11 (collect)",
    "currency": "oblio.md §5.1, §5.2",
    "exchangeRate": "oblio.md §5.1, §5.2",
    "management": "oblio.md §5.2, §12",
    "workStation": "oblio.md §5.1, §12",
    "country": "oblio.md §5.3, §5.1 (clientLocation)",
    "state": "oblio.md §5.3, §5.1 (clientLocation)",
    "city": "oblio.md §5.3, §5.1 (clientLocation)",
    "address": "oblio.md §5.3, §5.1 (clientLocation)",
    "idempotencyKey": "oblio.md §5.1, §14, §3 (delete)",
    "value": "oblio.md §11 (collect)",
})  # fmt: skip

INVOICE = ac.Invoice(
    reference="conformance-oblio-1",
    issue_date=today(),
    buyer=ac.Party(
        name="Client Exemplu SRL",
        tax_id="RO12345678",
        is_company=True,
        registration_number="J40/123/2020",
        address=ac.Address(street="Str. Exemplu 1", city="Sector 1", region="Bucuresti", country="RO"),
        email="office@client.example",
    ),
    lines=[
        ac.Line(name="Produs A", quantity="2", unit="buc", unit_price="100", vat=ac.VatRate.of(21), sku="SKU-1"),
        ac.Line(name="Carte B", quantity="1", unit="buc", unit_price="50", vat=ac.VatRate.of(11), sku="SKU-2"),
    ],
    currency="RON",
    due_date="2026-01-29",
)

RECEIPT = ac.Receipt(
    reference="conformance-oblio-receipt",
    issue_date=today(),
    lines=[ac.Line(name="Tricou", quantity="1", unit="buc", unit_price="49.90", vat=ac.VatRate.of(21))],
    currency="RON",
    payment_method="cash",
)


def _stock(connector: Any, fake: Any, case: ProviderCase) -> None:
    cif = fake.demo_settings["company_vat_code"]
    before = fake.stock_of(cif, "SKU-1")
    invoice = ac.Invoice(
        reference="conf-stock",
        issue_date=today(),
        buyer=INVOICE.buyer,
        lines=INVOICE.lines,
        currency="RON",
        use_stock=True,
        warehouse="Magazin",
    )
    connector.send_invoice(invoice)
    assert fake.stock_of(cif, "SKU-1") == before - Decimal(2), "the stock did not move"


def _own_number(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(attrs.evolve(case.invoice, reference="conf-own-number", series="FCT", number="0900"))
    assert (sent.series, sent.number) == ("FCT", "0900")
    assert fake.find(series="FCT", number="0900") is not None


def _link(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(case.invoice_for("conf-link"))
    assert sent.url and sent.url.startswith("https://www.oblio.eu/utils/show_file/"), sent.url
    assert connector.fetch_pdf(sent).startswith(b"%PDF")


def _payment(invoice: ac.Invoice) -> ac.Payment:
    # The case's default (_full_payment) reads DocumentTotals.gross, which does not exist
    # (it is .total.gross); this is the same payment of the whole invoice, by transfer.
    gross = document_totals(invoice.lines, prices_include_vat=invoice.prices_include_vat).total.gross
    return ac.Payment(method="transfer", amount=gross, paid_on=invoice.issue_date)


CASE = ProviderCase(
    name="oblio",
    invoice=INVOICE,
    receipt=RECEIPT,
    fields=FIELDS,
    payment=_payment,
    exercises={
        Capability.SKU_STOCK: _stock,
        Capability.EXTERNAL_NUMBERING: _own_number,
        Capability.DOCUMENT_LINK: _link,
    },
)
