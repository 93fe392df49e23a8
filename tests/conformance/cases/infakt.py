"""inFakt.pl in the conformance suite: samples the demo account accepts, and the documented fields.

Every field name is copied from the project's inFakt sheet, ``infakt.md`` (its section is
the source tag). inFakt silently drops names it does not know (IF-OL: ``post_code``
instead of ``client_post_code``), so this list is what keeps a typo from losing data.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability
from accounting_connectors.money import TotalsMethod, document_totals

from ..case import ProviderCase, today

_INVOICE = "infakt.md §2.3 (invoice fields)"
_SERVICE = "infakt.md §2.3 (service fields)"
_CLIENT = "infakt.md §2.4 (client fields)"
_CORRECTION = "infakt.md §2.6"

FIELDS: dict[str, str] = {
    **dict.fromkeys(["invoice", "corrective_invoice", "client"], "infakt.md §2.1 (wrappers)"),
    "X-inFakt-ApiKey": "infakt.md §2.1 (authentication header)",
    **dict.fromkeys(
        "client_id client_company_name client_tax_code client_country client_street client_city client_post_code "
        "client_business_activity_kind client_first_name client_last_name number currency check_duplicate_number "
        "notes invoice_date sale_date payment_date payment_method services".split(),
        _INVOICE,
    ),
    **dict.fromkeys(
        "name tax_symbol unit quantity unit_net_price gross_price discount unit_net_price_before_discount".split(),
        _SERVICE,
    ),
    **dict.fromkeys(
        "corrected_invoice_number corrected_invoice_date corrected_invoice_uuid correction_reason group "
        "correction".split(),
        _CORRECTION,
    ),
    **dict.fromkeys(
        "company_name first_name last_name nip street city postal_code country email phone_number".split(), _CLIENT
    ),
    "paid_date": "infakt.md §2.2 (mark paid), a1",
    **dict.fromkeys(["?document_type", "?locale"], "infakt.md §2.2 (PDF)"),
}
"""Every documented field name the connector may send, with its section."""

INVOICE = ac.Invoice(
    reference="conformance-invoice",
    issue_date=today(),
    due_date="2026-01-29",
    currency="PLN",
    buyer=ac.Party(
        name="Przykładowa Dystrybucja sp. z o.o.",
        tax_id="5260250995",
        is_company=True,
        email="ksiegowosc@przyklad.pl",
        address=ac.Address(street="ul. Marszałkowska 10", city="Warszawa", postal_code="00-590", country="PL"),
    ),
    lines=[
        ac.Line(name="Kawa ziarnista 1 kg", quantity=3, unit="szt.", unit_price="89.90", vat=ac.VatRate.of(23)),
        ac.Line(name="Książka", quantity=1, unit="szt.", unit_price="39.00", vat=ac.VatRate.of(5)),
        ac.Line(name="Transport", quantity=1, unit="usł.", unit_price="19.99", vat=ac.VatRate.of(23)),
    ],
    notes="Zamówienie internetowe nr 1001",
)


def _external_numbering(connector: Any, fake: Any, case: ProviderCase) -> None:
    """An own number is kept, sent with inFakt's duplicate check, and a second use is refused."""
    invoice = case.invoice_for("conf-own-number")
    sent = connector.send_invoice(ac.Invoice(**{**_fields(invoice), "number": "WEB/7/2026"}))
    assert sent.number == "WEB/7/2026"
    stored = fake.find(number="WEB/7/2026")
    assert stored is not None and stored.id == sent.external_id
    assert stored.body["check_duplicate_number"] is True
    before = len(fake.documents)
    again = case.invoice_for("conf-own-number-again")
    with pytest.raises(ac.ProviderValidationError) as caught:
        connector.send_invoice(ac.Invoice(**{**_fields(again), "number": "WEB/7/2026"}))
    assert "number" in caught.value.field_errors
    assert len(fake.documents) == before
    creates = [r for r in fake.requests if r.method == "POST" and r.url.path.endswith("async/invoices.json")]
    assert json.loads(creates[-1].content)["invoice"]["number"] == "WEB/7/2026"


def _payment(invoice: ac.Invoice) -> ac.Payment:
    """The whole gross total (inFakt marks a whole invoice paid), VAT per rate (the Polish rule)."""
    totals = document_totals(invoice.lines, method=TotalsMethod.PER_RATE, prices_include_vat=invoice.prices_include_vat)
    return ac.Payment(method="transfer", amount=totals.total.gross, paid_on=invoice.issue_date)


def _fields(invoice: ac.Invoice) -> dict[str, Any]:
    return {
        "reference": invoice.reference,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "buyer": invoice.buyer,
        "lines": invoice.lines,
        "notes": invoice.notes,
    }


CASE = ProviderCase(
    name="infakt",
    invoice=INVOICE,
    fields=FIELDS,
    # The default full reversal is what inFakt takes: its reason text is not a symbol, so
    # it goes as correction_reason "other" with the words in notes.
    # case.py's default payment reads DocumentTotals.gross, which does not exist (.total.gross).
    payment=_payment,
    exercises={Capability.EXTERNAL_NUMBERING: _external_numbering},
)
