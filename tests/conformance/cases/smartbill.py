"""SmartBill.ro in the conformance suite: samples the demo account accepts, and the documented fields.

Every field name is copied from SmartBill's own Swagger (``smartbill-swagger.json``, the
model named in the tag) or Postman collection (``smartbill-postman.json``, the request
named in the tag), as the provider sheet ``smartbill.md`` §0 lists them. Query
parameters are written ``?name``. The wrappers the Swagger shows for XML (``invoice``,
``estimate``) are left out: the JSON API takes the bare object (``smartbill.md`` §1.1).
"""

from __future__ import annotations

from typing import Any

import attrs

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability
from accounting_connectors.money import TotalsMethod, document_totals

from ..case import ProviderCase, today

_SWAGGER = "smartbill-swagger.json: "

FIELDS: dict[str, str] = {
    **dict.fromkeys(
        "companyVatCode client isDraft issueDate seriesName currency exchangeRate language precision issuerCnp "
        "issuerName aviz dueDate mentions observations delegateAuto delegateIdentityCard delegateName deliveryDate "
        "paymentDate useStock useEstimateDetails usePaymentTax paymentBase colectedTax paymentTotal products "
        "payment number".split(),
        _SWAGGER + "factura1",
    ),
    **dict.fromkeys(
        "name vatCode code address regCom isTaxPayer contact phone city county country email bank iban "
        "saveToDb".split(),
        _SWAGGER + "client",
    ),
    **dict.fromkeys(
        "productDescription translatedName translatedMeasuringUnit isDiscount measuringUnitName quantity price "
        "isTaxIncluded taxName taxPercentage warehouseName isService".split(),
        _SWAGGER + "dateProdus",
    ),
    **dict.fromkeys("numberOfItems discountType discountPercentage discountValue".split(), _SWAGGER + "dateDiscount"),
    **dict.fromkeys("value paymentSeries type isCash".split(), _SWAGGER + "dateIncasare"),
    **dict.fromkeys(
        "text translatedText observation useInvoiceDetails invoicesList".split(),
        _SWAGGER + "exempluEmitereIncasareCuChitanta",
    ),
    **dict.fromkeys(["?cif", "?seriesname", "?number"], "smartbill-postman.json: Vizualizare PDF Factura"),
    "?type": "smartbill-postman.json: Interogare serie facturi",
    **dict.fromkeys(
        ["?paymentType", "?invoiceSeries", "?invoiceNumber"],
        "smartbill-postman.json: Stergerea altor incasari pe baza facturii incasate",
    ),
}
"""Every documented field name the connector may send, with its source."""

BUYER = ac.Party(
    name="Client Exemplu SRL",
    tax_id="RO987654",
    is_company=True,
    registration_number="J40/123/2020",
    address=ac.Address(street="Str. Lunga 1", city="Brasov", region="Brasov", country="RO"),
    email="office@client.ro",
    phone="0700000000",
)

INVOICE = ac.Invoice(
    reference="conformance-invoice",
    issue_date=today(),
    buyer=BUYER,
    lines=[
        ac.Line(name="Tricou", quantity="2", unit="buc", unit_price="49.90", vat=ac.VatRate.of(21), sku="TR-1"),
        ac.Line(
            name="Geaca",
            quantity="1",
            unit="buc",
            unit_price="200",
            vat=ac.VatRate.of(21),
            sku="GE-1",
            discount_percent="10",
        ),
        ac.Line(name="Transport", quantity="1", unit="buc", unit_price="15", vat=ac.VatRate.of(21), is_service=True),
    ],
    currency="RON",
    prices_include_vat=True,
    due_date="2026-01-30",
    notes="Comanda conformance",
)

RECEIPT = ac.Receipt(
    reference="conformance-receipt",
    issue_date=today(),
    lines=[ac.Line(name="Cafea", quantity="2", unit="buc", unit_price="8.50", vat=ac.VatRate.of(11))],
    currency="RON",
)


def _bank_transfer(invoice: ac.Invoice) -> ac.Payment:
    # SmartBill records a payment of the whole invoice only, under its own type names.
    gross = document_totals(invoice.lines, method=TotalsMethod.PER_LINE, prices_include_vat=True).total.gross
    return ac.Payment(method="Ordin plata", amount=gross, paid_on=invoice.issue_date)


def _sku_stock(connector: Any, fake: Any, case: ProviderCase) -> None:
    fake.stock_enabled, fake.warehouses = True, {"Magazin"}
    sent = connector.send_invoice(
        attrs.evolve(case.invoice, reference="conf-stock", use_stock=True, warehouse="Magazin")
    )
    stored = fake.find(series=sent.series, number=sent.number)
    assert stored is not None and stored.body["useStock"] is True
    product, _, _, service = stored.body["products"]
    assert (product["code"], product["warehouseName"]) == ("TR-1", "Magazin")
    assert service["warehouseName"] == "", "a service is never taken from stock"


def _document_link(connector: Any, fake: Any, case: ProviderCase) -> None:
    assert connector.send_invoice(case.invoice_for("conf-no-link")).url is None, "links are opt-in"
    settings = {**fake.demo_settings, **case.settings, "document_links": True}
    with ac.connect("smartbill", settings, transport=fake, clock=fake.clock) as linked:
        sent = linked.send_invoice(case.invoice_for("conf-link"))
    assert sent.url and sent.external_id
    stored = fake.find(series=sent.series, number=sent.number)
    assert stored is not None and stored.id == sent.external_id


CASE = ProviderCase(
    name="smartbill",
    invoice=INVOICE,
    receipt=RECEIPT,
    payment=_bank_transfer,
    fields=FIELDS,
    exercises={Capability.SKU_STOCK: _sku_stock, Capability.DOCUMENT_LINK: _document_link},
)
