"""Fakturownia's conformance case: samples the demo account accepts, and its documented field names.

The field list is written from the project's Fakturownia sheet (``providers/fakturownia.md``),
each name with the section that documents it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability
from accounting_connectors.connectors.fakturownia.codec import booked_totals

from ..case import ProviderCase, today

SHEET = "fakturownia.md"


def _tag(section: str, *names: str) -> dict[str, str]:
    return {name: f"{SHEET} {section}" for name in names}


FIELDS: dict[str, str] = {
    # Wrappers and options next to them (§1; carried-over §1.1).
    **_tag("§1", "invoice", "client", "product", "banking_payment", "warehouse_document", "api_token"),
    # Document fields (§4, §5.1; carried-over §1.3).
    **_tag(
        "§5.1",
        "kind", "number", "issue_date", "sell_date", "payment_to_kind", "payment_to", "payment_type", "paid",
        "paid_date", "status", "currency", "exchange_currency", "exchange_kind", "exchange_currency_rate",
        "department_id", "client_id", "oid", "oid_unique", "warehouse_id", "exclude_from_stock_level",
        "show_discount", "discount_kind", "reverse_charge", "exempt_tax_kind", "np_tax_kind", "split_payment",
        "lang", "invoice_id", "from_invoice_id", "copy_invoice_from", "description", "descriptions",
        "internal_note",
    ),
    # Buyer (§5.3).
    **_tag(
        "§5.3",
        "buyer_name", "buyer_company", "buyer_tax_no", "buyer_tax_no_kind", "buyer_first_name", "buyer_last_name",
        "buyer_street", "buyer_post_code", "buyer_city", "buyer_country", "buyer_email", "buyer_phone",
        "buyer_override",
    ),
    # Positions (§5.2).
    **_tag(
        "§5.2",
        "positions", "name", "code", "product_id", "quantity", "quantity_unit", "price_net", "price_gross",
        "total_price_net", "total_price_gross", "tax", "discount_percent", "discount", "gtu_code",
    ),
    # Corrections (§9).
    **_tag("§9", "correction_reason", "correction_before_attributes", "correction_after_attributes"),
    # Payments (§11).
    **_tag("§11", "price", "invoice_ids"),
    # Warehouse documents (§12).
    **_tag("§12", "warehouse_actions"),
    # Lines by id on update (§3).
    **_tag("§3", "id", "_destroy", "cancel_invoice_id", "cancel_reason"),
    # Options next to the wrapper (§1, FK-KSEF).
    **_tag("§1", "identify_oss", "fill_default_descriptions", "gov_save_and_send"),
    # More document fields (carried-over "Invoice body", from FK-README "Pola faktury").
    **_tag(
        "carried-over §1.3",
        "income", "invoice_template_id", "category_id", "place", "advance_creation_mode", "advance_value",
        "position_name", "exchange_note", "skonto_active", "skonto_discount_date", "skonto_discount_value",
        "procedure_designations", "use_oss", "description_footer", "description_long", "additional_invoice_field",
    ),
    **_tag("§5.1", "calculating_strategy"),
    # Invoice for a receipt (§8).
    **_tag("§8", "additional_params"),
    # Correction extras (carried-over "Correction invoice", earlier §1.7).
    **_tag("carried-over §1.7", "corrected_content_before", "corrected_content_after", "buyer_mobile_phone"),
    # Buyer, seller and recipient (carried-over "Buyer, seller and recipient").
    **_tag(
        "carried-over §1.4",
        "buyer_note", "buyer_person", "buyer_jst", "buyer_gv", "disable_tax_no_validation",
        "seller_name", "seller_tax_no", "seller_tax_no_kind", "seller_bank_account", "seller_bank",
        "seller_post_code", "seller_city", "seller_street", "seller_country", "seller_email", "seller_www",
        "seller_fax", "seller_phone", "seller_bdo_no", "seller_person", "recipient_id", "recipient_name",
        "recipient_street", "recipient_post_code", "recipient_city", "recipient_country", "recipient_email",
        "recipient_phone", "recipient_note", "recipients", "issuers",
    ),
    # Position extras and products (carried-over "Payment types, positions, products").
    **_tag(
        "carried-over §1.6",
        "additional_info", "additional_info_desc", "use_prices_from_price_lists", "price_list_id", "lump_sum_tax",
        "total_purchase_price", "vat_margin_tax", "ean_code", "limited", "stock_level", "package",
    ),
    # Query parameters (§3, §14, §15; carried-over §1.2).
    **_tag(
        "§3",
        "?page", "?per_page", "?period", "?date_from", "?date_to", "?oid", "?number", "?kind", "?kinds[]",
        "?client_id", "?invoice_ids", "?from_invoice_id", "?include_positions", "?order", "?correction_positions",
        "?additional_fields[invoice]", "?fields[invoice]", "?print_option", "?status", "?email_to", "?email_cc",
        "?email_pdf", "?warehouse_id", "?send_to_ksef", "?inline", "?email", "?tax_no", "?external_id",
    ),
    # The token in the query: documented, never sent by the connector (§1).
    **_tag("§1", "?api_token"),
    # More query parameters (carried-over "Endpoints", earlier §1.2).
    **_tag("carried-over §1.2", "?income", "?search_date_type", "?update_buyer_email", "?include", "?name", "?shortcut"),
}  # fmt: skip
"""Every field name the sheet documents, with its section."""

BUYER = ac.Party(
    name="Kowalski Sp. z o.o.",
    tax_id="5252344078",
    is_company=True,
    address=ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
    email="biuro@example.pl",
)

INVOICE = ac.Invoice(
    reference="conf-order-1",
    issue_date=today(),
    buyer=BUYER,
    currency="PLN",
    lines=[
        ac.Line(name="Produkt A", quantity=2, unit="szt", unit_price=Decimal("100.00"), vat=ac.VatRate.of(23)),
        ac.Line(name="Książka B", quantity=1, unit="szt", unit_price=Decimal("50.00"), vat=ac.VatRate.of(5)),
    ],
)

RECEIPT = ac.Receipt(
    reference="conf-receipt-1",
    issue_date=today(),
    currency="PLN",
    payment_method="cash",
    lines=[ac.Line(name="Kawa", quantity=2, unit="szt", unit_price=Decimal("12.30"), vat=ac.VatRate.of(23))],
)


def _payment(invoice: ac.Invoice) -> ac.Payment:
    # The full amount as Fakturownia books it: the sum of its positions (the default
    # payment totals per VAT rate, which can differ by a grosz).
    gross = booked_totals(invoice.lines, prices_include_vat=invoice.prices_include_vat).gross
    return ac.Payment(method="transfer", amount=gross, paid_on=invoice.issue_date)


def _stock(connector: Any, fake: Any, case: ProviderCase) -> None:
    product = next(p for p in fake.account("demo").products if p["code"] == "SKU-1")
    before = Decimal(product["stock_level"])
    invoice = ac.Invoice(
        reference="conf-stock",
        issue_date=today(),
        buyer=BUYER,
        currency="PLN",
        use_stock=True,
        warehouse="7",
        lines=[ac.Line(name="Produkt A", quantity=3, unit="szt", unit_price="100", vat=ac.VatRate.of(23), sku="SKU-1")],
    )
    connector.send_invoice(invoice)
    assert Decimal(product["stock_level"]) == before - 3, "the stock did not move"


def _link(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(case.invoice_for("conf-link"))
    assert sent.url and sent.url.startswith("https://demo.fakturownia.pl/invoice/")
    fake.clock.advance(10)
    answer = httpx.Client(transport=fake).get(sent.url + ".pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")


CASE = ProviderCase(
    name="fakturownia",
    invoice=INVOICE,
    receipt=RECEIPT,
    fields=FIELDS,
    payment=_payment,
    exercises={Capability.SKU_STOCK: _stock, Capability.DOCUMENT_LINK: _link},
)
