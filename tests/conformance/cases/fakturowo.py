"""Fakturowo.pl in the conformance suite: samples, exercises and the documented field names.

Tags name sections of the project's Fakturowo sheet (``fakturowo.md §N``). Line fields are
sent numbered (``produkt_nazwa_1`` ...) and listed here as ``produkt_nazwa_N``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import httpx

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability
from accounting_connectors.money import TotalsMethod, document_totals

from ..case import ProviderCase, sent_field_names, today

_NUMBERED = re.compile(r"\A(produkt_[a-z_]+?)_[0-9]+\Z")

SHEET = "fakturowo.md"

FIELDS = {
    # §1: the one endpoint, the key and the task.
    "api_id": f"{SHEET} §1",
    "api_zadanie": f"{SHEET} §1, §3",
    # §3, §15: the list task's page.
    "p": f"{SHEET} §3, §15",
    # §5.1: the document.
    "dokument_dostep": f"{SHEET} §5.1, §10",
    "dokument_rodzaj": f"{SHEET} §5.1",
    "dokument_numer": f"{SHEET} §5.1, §7",
    "dokument_pokaz_numer": f"{SHEET} §5.1",
    "dokument_data_w": f"{SHEET} §5.1, §4",
    "dokument_pokaz_data_w": f"{SHEET} §5.1, §4",
    "dokument_data_s": f"{SHEET} §5.1, §4",
    "dokument_pokaz_data_s": f"{SHEET} §5.1, §4",
    "dokument_miejsce": f"{SHEET} §5.1, §4",
    "dokument_pokaz_miejsce": f"{SHEET} §5.1, §4",
    "dokument_waluta": f"{SHEET} §5.1",
    "dokument_jezyk": f"{SHEET} §5.1",
    "dokument_uwagi": f"{SHEET} §5.1, §4",
    "dokument_pokaz_uwagi": f"{SHEET} §5.1, §4",
    "dokument_zamowienie": f"{SHEET} §5.1, §14",
    "dokument_pokaz_zamowienie": f"{SHEET} §5.1, §4",
    "dokument_rodzaj_podstawa_zw": f"{SHEET} §5.1, §6",
    "dokument_podstawa_zw": f"{SHEET} §5.1, §6",
    # §6, §11: payment.
    "dokument_zaplata": f"{SHEET} §6",
    "dokument_pokaz_zaplata": f"{SHEET} §4",
    "dokument_status": f"{SHEET} §6, §11",
    "dokument_zaplacono": f"{SHEET} §6, §11",
    "dokument_data_p": f"{SHEET} §6",
    "dokument_termin": f"{SHEET} §6, §4",
    "dokument_pokaz_termin": f"{SHEET} §4",
    # §5.2: seller and buyer.
    "sprzedawca_nazwa": f"{SHEET} §5.2, §4",
    "sprzedawca_nip": f"{SHEET} §5.2, §4",
    "sprzedawca_ulica": f"{SHEET} §5.2, §4",
    "sprzedawca_miasto": f"{SHEET} §5.2, §4",
    "sprzedawca_kod": f"{SHEET} §5.2, §4",
    "nabywca_osoba": f"{SHEET} §5.2",
    "nabywca_nazwa": f"{SHEET} §5.2",
    "nabywca_nip": f"{SHEET} §5.2",
    "nabywca_imie": f"{SHEET} §5.2",
    "nabywca_nazwisko": f"{SHEET} §5.2",
    "nabywca_ulica": f"{SHEET} §5.2",
    "nabywca_miasto": f"{SHEET} §5.2",
    "nabywca_kod": f"{SHEET} §5.2",
    "nabywca_kraj": f"{SHEET} §5.2",
    "nabywca_email": f"{SHEET} §5.2",
    "nabywca_telefon": f"{SHEET} §5.2",
    # §5.3: lines, numbered _1.._N.
    "produkt_nazwa_N": f"{SHEET} §5.3",
    "produkt_ilosc_N": f"{SHEET} §5.3",
    "produkt_jm_N": f"{SHEET} §5.3",
    "produkt_stawka_vat_N": f"{SHEET} §5.3, §6",
    "produkt_cena_netto_N": f"{SHEET} §5.3, §4",
    "produkt_wartosc_brutto_N": f"{SHEET} §5.3, §4",
    # §10: the opt-in PDF download.
    "?api_id": f"{SHEET} §10",
    "?api_numer": f"{SHEET} §10",
}


def field_names(request: httpx.Request) -> set[str]:
    """The request's field names, numbered line fields as ``produkt_..._N``."""
    return {_NUMBERED.sub(r"\1_N", name) for name in sent_field_names(request)}


def _own_number(connector: Any, fake: Any, case: ProviderCase) -> None:
    invoice = case.invoice_for("conf-own-number")
    own = attrs.evolve(invoice, number="SKLEP/7/2026")
    sent = connector.send_invoice(own)
    assert sent.number == "SKLEP/7/2026"
    stored = fake.find(id=sent.external_id)
    assert stored is not None and stored.number == "SKLEP/7/2026"


def _document_link(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(case.invoice_for("conf-link"))
    stored = fake.find(id=sent.external_id)
    assert sent.url and stored is not None and sent.url == stored.detail["link"]


def _payment(invoice: ac.Invoice) -> ac.Payment:
    # Own builder: the default in case.py reads DocumentTotals.gross, which does not exist
    # (it is DocumentTotals.total.gross), so it raises AttributeError for every provider.
    totals = document_totals(invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_RATE)
    return ac.Payment(method="transfer", amount=totals.total.gross, paid_on=invoice.issue_date)


CASE = ProviderCase(
    name="fakturowo",
    invoice=ac.Invoice(
        reference="conformance-invoice",
        issue_date=today(),
        buyer=ac.Party(
            name="Kowalski Sp. z o.o.",
            tax_id="5252344078",
            is_company=True,
            address=ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
            email="biuro@example.pl",
        ),
        lines=[
            ac.Line(name="Produkt A", quantity="2", unit="szt.", unit_price="90.00", vat=ac.VatRate.of(23), sku="A-1"),
            ac.Line(name="Książka B", quantity="1", unit="szt.", unit_price="50.00", vat=ac.VatRate.of(5)),
        ],
        currency="PLN",
        due_date="2026-01-29",
    ),
    receipt=ac.Receipt(
        reference="conformance-receipt",
        issue_date=today(),
        lines=[ac.Line(name="Kawa", quantity="2", unit="szt.", unit_price="12.30", vat=ac.VatRate.of(23))],
        currency="PLN",
        payment_method="cash",
    ),
    fields=FIELDS,
    # base_url spelled out (it is the default): the endpoint is /api under the host the fake
    # serves, so the loopback test finds the API path from it.
    settings={"receipts": True, "base_url": "https://www.fakturowo.pl/api"},
    exercises={
        Capability.EXTERNAL_NUMBERING: _own_number,
        Capability.DOCUMENT_LINK: _document_link,
    },
    payment=_payment,
    field_names=field_names,
)
