"""iFirma.pl in the conformance suite: samples the demo account accepts, and the documented fields.

Every field name is copied from ``shared/providers/ifirma.md`` (the section is the
source tag). The demo fake's accounting month is the month of its clock (2026-01), so
the samples are dated 2026-01-15; the invoice exercise also moves the month.
"""

from __future__ import annotations

from typing import Any

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability

from ..case import ProviderCase, today
from ..checks import GENERIC_EXERCISES

_INVOICE = "ifirma.md §2.5"
_CURRENCY = "ifirma.md §2.5 (fakturawaluta)"
_LINES = "ifirma.md §2.6"
_BUYER = "ifirma.md §2.7"

FIELDS: dict[str, str] = {
    **dict.fromkeys(
        "Zaplacono ZaplaconoNaDokumencie LiczOd NumerKontaBankowego SplitPayment DataWystawienia "
        "MiejsceWystawienia DataSprzedazy FormatDatySprzedazy TerminPlatnosci SposobZaplaty NazwaSeriiNumeracji "
        "NazwaSzablonu RodzajPodpisuOdbiorcy PodpisOdbiorcy PodpisWystawcy Uwagi WidocznyNumerGios "
        "WidocznyNumerBdo Numer IdentyfikatorKontrahenta PrefiksUEKontrahenta NIPKontrahenta Kontrahent Pozycje "
        "ProceduryJpk DodatkoweUwagi".split(),
        _INVOICE,
    ),
    **dict.fromkeys(
        "TypSprzedazy Waluta Jezyk KursWalutyWidoczny KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury "
        "NazwaPelnaObca JednostkaObca".split(),
        _CURRENCY,
    ),
    **dict.fromkeys(
        "NazwaPelna Jednostka Ilosc CenaJednostkowa StawkaVat TypStawkiVat PKWiU GTU Rabat StawkaRyczaltu "
        "PodstawaPrawna Zal15".split(),
        _LINES,
    ),
    **dict.fromkeys(
        "Nazwa Nazwa2 Identyfikator PrefiksUE NIP Ulica KodPocztowy Miejscowosc Kraj KodKraju Email Telefon "
        "OsobaFizyczna JestOdbiorca JestDostawca PodmiotPowiazany".split(),
        _BUYER,
    ),
    **dict.fromkeys(["MiesiacKsiegowy", "PrzeniesDaneZPoprzedniegoRoku"], "ifirma.md §2.3"),
    **dict.fromkeys(["PowodKorekty", "PowodKorektyNaWydruku", "SpelnionoWarunki"], "ifirma.md §2.10"),
    **dict.fromkeys(["Kwota", "Data", "KwotaPln", "Kurs"], "ifirma.md §2.11"),
}
"""Every documented field name the connector may send, with its section."""

PATH_SEGMENTS: dict[str, str] = {
    **dict.fromkeys(["iapi", "json", "pdf"], "ifirma.md §2.1, §2.9"),
    **dict.fromkeys(["abonent", "miesiacksiegowy", "limit"], "ifirma.md §2.3, §2.4"),
    **dict.fromkeys(["fakturakraj", "fakturawaluta", "fakturawdt", "fakturaeksporttowarow"], "ifirma.md §2.4"),
    "korekta": "ifirma.md §2.10",
    **dict.fromkeys(
        [
            "faktury",
            "wplaty",
            "prz_faktura_kraj",
            "prz_faktura_wys_ter_kraj",
            "prz_dostawa_ue_towarow",
            "prz_eksport_towarow",
        ],
        "ifirma.md §2.11",
    ),
}
"""The documented words of the paths the connector calls."""

BUYER = ac.Party(
    name="Sklep Przykład Sp. z o.o.",
    tax_id="5260250274",
    is_company=True,
    address=ac.Address(street="ul. Długa 1", city="Kraków", postal_code="30-001", country="PL"),
    email="biuro@przyklad.pl",
    phone="+48 600 000 000",
)

INVOICE = ac.Invoice(
    reference="conformance-invoice",
    issue_date=today(),
    buyer=BUYER,
    lines=[
        ac.Line(name="Koszulka", quantity="2", unit="szt.", unit_price="49.90", vat=ac.VatRate.of(23)),
        ac.Line(name="Kubek", quantity="3", unit="szt.", unit_price="20", vat=ac.VatRate.of(8), discount_percent="10"),
        ac.Line(name="Książka", quantity="1", unit="szt.", unit_price="30", vat=ac.VatRate.special(ac.VatKind.EXEMPT)),
    ],
    currency="PLN",
    prices_include_vat=True,
    due_date="2026-01-29",
    notes="Zamówienie 1001",
)


def _correction(invoice: ac.Invoice, sent: ac.SentDocument) -> ac.Correction:
    # iFirma wants a PowodKorekty code (free text only with the correction_reason setting).
    return ac.Correction.full_reversal(
        reference=f"{invoice.reference}-k",
        original=invoice,
        original_document=sent,
        reason="ZWR_SPRZ_TOW",
        issue_date=invoice.issue_date,
    )


def _every_invoice_kind(connector: Any, fake: Any, case: ProviderCase) -> None:
    """The generic check, then each endpoint iFirma issues to, after moving the month forward."""
    GENERIC_EXERCISES[Capability.SEND_INVOICE](connector, fake, case)
    fake.accounting_month = (2025, 12)
    goods = {"quantity": 1, "unit": "szt.", "unit_price": 500, "name": "Rower"}
    variants = {
        "fakturawaluta": {"currency": "EUR", "exchange_rate": "4.2512", "language": "de", "series": "Domyślna"},
        "fakturawdt": {
            "currency": "EUR",
            "buyer": ac.Party(
                name="Fahrrad GmbH",
                tax_id="DE123456789",
                is_company=True,
                address=ac.Address(city="Berlin", postal_code="10115", country="DE"),
            ),
            "lines": [ac.Line(vat=ac.VatRate.special(ac.VatKind.INTRA_EU), **goods)],
        },
        "fakturaeksporttowarow": {
            "currency": "USD",
            "buyer": ac.Party(name="Bikes Inc.", address=ac.Address(city="Boston", postal_code="02101", country="US")),
            "lines": [ac.Line(vat=ac.VatRate.special(ac.VatKind.EXPORT), **goods)],
        },
    }
    for endpoint, changes in variants.items():
        invoice = case.invoice_for(f"conf-{endpoint}")
        sent = connector.send_invoice(ac.Invoice(**{**_fields(invoice), **changes}))
        assert sent.raw["endpoint"] == endpoint and sent.number
        stored = fake.find(number=sent.number)
        assert stored is not None and stored.detail.endpoint == endpoint
    assert fake.accounting_month == (2026, 1)


def _fields(invoice: ac.Invoice) -> dict[str, Any]:
    return {name: getattr(invoice, name) for name in ("reference", "issue_date", "buyer", "lines", "currency")}


CASE = ProviderCase(
    name="ifirma",
    invoice=INVOICE,
    fields=FIELDS,
    correction=_correction,
    settings={"place_of_issue": "Kraków", "bank_account": "BRAK", "exemption_basis": "art. 43 ust. 1 pkt 32"},
    exercises={Capability.SEND_INVOICE: _every_invoice_kind},
)
