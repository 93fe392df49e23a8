"""Every iFirma operation end to end against the fake, through Client and AsyncClient."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.ifirma import (
    DOMESTIC,
    EXPORT_OF_GOODS,
    FOREIGN_CURRENCY,
    INTRA_EU_SUPPLY,
    IFirma,
    authentication_header,
    hmac_sha1_hex,
)
from accounting_connectors.flow import Call
from accounting_connectors.money import TotalsMethod, document_totals
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.documents import StoredDocument
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.ifirma import DEFAULT_KEYS, IFirmaFake

from ..conformance.cases.ifirma import CASE as FIELD_CASE
from ..conformance.cases.ifirma import PATH_SEGMENTS
from ..conformance.checks import undocumented_fields
from ..drivers import DRIVERS, open_connector
from ..strategies import decimals, invoices, text

CREDENTIALS = {
    "username": "demo",
    "company_tax_id": "5252344078",
    "invoice_key": DEFAULT_KEYS["faktura"],
    "subscriber_key": DEFAULT_KEYS["abonent"],
}


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, ifirma_fake: IFirmaFake, fake_clock: FakeClock) -> Iterator[Any]:
    """A factory of connectors to the fake, sync or async, with the same blocking interface."""
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        client = open_connector(
            request.param, "ifirma", transport=ifirma_fake, clock=fake_clock, **{**CREDENTIALS, **options}
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def issued(fake: IFirmaFake) -> list[StoredDocument]:
    """The invoices the fake holds (its documents but the corrections), in issue order."""
    return [document for document in fake.documents if document.kind != "korekta"]


def corrections_of(fake: IFirmaFake) -> list[StoredDocument]:
    """The corrections the fake holds (``kind`` ``korekta``)."""
    return [document for document in fake.documents if document.kind == "korekta"]


def buyer(country: str = "PL", **changes: Any) -> ac.Party:
    values: dict[str, Any] = {
        "name": "Sklep Przykład Sp. z o.o.",
        "tax_id": "5260250274",
        "is_company": True,
        "address": ac.Address(street="ul. Długa 1", city="Kraków", postal_code="30-001", country=country),
        "email": "biuro@przyklad.pl",
    }
    values.update(changes)
    return ac.Party(**values)


def invoice(**changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": "order-1001",
        "issue_date": "2026-01-15",
        "buyer": buyer(),
        "lines": [
            ac.Line(name="Koszulka", quantity="2", unit="szt.", unit_price="49.90", vat=ac.VatRate.of(23)),
            ac.Line(name="Wysyłka", quantity="1", unit="usł.", unit_price="15.00", vat=ac.VatRate.of(23)),
        ],
        "currency": "PLN",
        "prices_include_vat": True,
        "due_date": "2026-01-29",
    }
    values.update(changes)
    return ac.Invoice(**values)


def body_of(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content, parse_float=Decimal)  # type: ignore[no-any-return]


def sent_to(fake: IFirmaFake, path: str, method: str = "POST") -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == method and r.url.path == "/iapi/" + path]


# ---------------------------------------------------------------------------------------- signing


def test_the_documented_test_vector() -> None:
    # I-DOC FAQ: key 111111 (hex-decoded), message 222222.
    assert hmac_sha1_hex("111111", b"222222") == "cec153ee6350475f117a307111e2bd7d83034925"


def test_the_header_is_an_independent_recomputation_of_the_spec() -> None:
    # "url + login + keyName + requestContent", url without query, key hex-decoded, lowercase hex.
    body = '{"Nazwa":"Zażółć"}'.encode()
    url = "https://www.ifirma.pl/iapi/fakturakraj/list.json?limit=10"
    expected = hmac.new(
        bytes.fromhex("EAB0D8ACF3308F3B"),
        b"https://www.ifirma.pl/iapi/fakturakraj/list.json" + b"jan" + b"faktura" + body,
        hashlib.sha1,
    ).hexdigest()
    assert authentication_header(url, "jan", "faktura", "EAB0D8ACF3308F3B", body) == (
        f"IAPIS user=jan, hmac-sha1={expected}"
    )


def test_each_call_is_signed_with_its_key_over_the_bytes_sent(connect: Any, ifirma_fake: IFirmaFake) -> None:
    connect().send_invoice(invoice())
    keys = {"abonent": DEFAULT_KEYS["abonent"], "faktura": DEFAULT_KEYS["faktura"]}
    for request in ifirma_fake.requests:
        key_name = "abonent" if request.url.path.startswith("/iapi/abonent/") else "faktura"
        url = str(request.url).split("?")[0]
        digest = hmac.new(
            bytes.fromhex(keys[key_name]), url.encode() + b"demo" + key_name.encode() + request.content, hashlib.sha1
        ).hexdigest()
        assert request.headers["Authentication"] == f"IAPIS user=demo, hmac-sha1={digest}"
    assert [r.method for r in ifirma_fake.requests] == ["GET", "POST", "GET"]


def test_wrong_key_or_user_is_an_authentication_error(connect: Any) -> None:
    with pytest.raises(ac.AuthenticationError, match="Kod 403"):
        connect(invoice_key="00" * 8).fetch_pdf(_document("1001"))
    with pytest.raises(ac.AuthenticationError, match="Kod 401"):
        connect(username="someone").send_invoice(invoice())


def test_a_key_name_the_user_never_generated(connect: Any, ifirma_fake: IFirmaFake) -> None:
    del ifirma_fake.keys["abonent"]
    with pytest.raises(ac.AuthenticationError, match="Kod 402"):
        connect().send_invoice(invoice())
    assert issued(ifirma_fake) == []


def test_keys_are_checked_and_never_shown() -> None:
    with pytest.raises(ac.ConfigurationError, match="hex") as caught:
        ac.connect(
            "ifirma", username="demo", company_tax_id="5252344078", invoice_key="not-hex-secret", subscriber_key="00"
        )
    assert "not-hex-secret" not in str(caught.value)
    with pytest.raises(ac.ConfigurationError, match="subscriber_key"):
        ac.connect("ifirma", username="demo", company_tax_id="5252344078", invoice_key="00")
    conn = ac.connect("ifirma", **CREDENTIALS)
    assert DEFAULT_KEYS["faktura"] not in repr(conn) + repr(conn.provider)
    assert set(conn.provider.secrets()) == set(DEFAULT_KEYS.values())


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"usernme": "demo"}, "unknown setting usernme"),
        ({"username": "jan,kowalski"}, "printable ASCII"),
        ({"username": "  "}, "needs username"),
        ({"recipient_signature": "XYZ"}, "recipient_signature"),
        ({"correction_reason": "zwrot"}, "correction_reason"),
        ({"default_payment_method": "bitcoin"}, "default_payment_method"),
        ({"max_month_moves": -1}, "max_month_moves"),
        ({"base_url": "ftp://example.com/"}, "base_url"),
    ],
)
def test_impossible_settings_are_refused_by_name(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ac.ConfigurationError, match=match):
        ac.connect("ifirma", **{**CREDENTIALS, **changes})


def test_settings_are_typed_and_normalised() -> None:
    from accounting_connectors.connectors.ifirma import IFirmaSettings

    provider = ac.connect("ifirma", **CREDENTIALS, base_url="https://www.ifirma.pl/iapi").provider
    assert isinstance(provider.settings, IFirmaSettings)
    assert provider.settings.base_url == "https://www.ifirma.pl/iapi/"
    assert DEFAULT_KEYS["abonent"] not in repr(provider.settings)
    assert ac.connect(
        "ifirma", username="demo", company_tax_id="5252344078", invoice_key="00", align_accounting_month=False
    ).provider.secrets()


# ---------------------------------------------------------------------------------------- invoices


def test_send_invoice_reads_the_number_back(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    second = conn.send_invoice(invoice(reference="order-1002"))
    assert (first.number, second.number) == ("1/2026", "2/2026")
    assert first.kind is ac.DocumentKind.INVOICE and first.reference == "order-1001"
    assert first.external_id == issued(ifirma_fake)[0].id
    assert first.raw["endpoint"] == DOMESTIC and first.raw["invoice"]["PelnyNumer"] == "1/2026"
    assert issued(ifirma_fake)[0].total == Decimal("114.80")


def test_the_domestic_body_follows_the_field_table(connect: Any, ifirma_fake: IFirmaFake) -> None:
    exempt = ac.Line(
        name="Książka", quantity=1, unit="szt.", unit_price="30", vat=ac.VatRate.special(ac.VatKind.EXEMPT)
    )
    discounted = ac.Line(
        name="Kubek", quantity=3, unit="szt.", unit_price="20", vat=ac.VatRate.of(8), discount_percent="10"
    )
    paid = ac.Payment(method="card", amount="50.00", paid_on="2026-01-15")
    conn = connect(exemption_basis="art. 43 ust. 1 pkt 32", place_of_issue="Kraków")
    conn.send_invoice(invoice(lines=[*invoice().lines, exempt, discounted], payment=paid, notes="Zamówienie 1001"))
    body = body_of(sent_to(ifirma_fake, "fakturakraj.json")[0])
    assert body["LiczOd"] == "BRT" and body["SposobZaplaty"] == "KAR"
    assert body["Zaplacono"] == body["ZaplaconoNaDokumencie"] == Decimal("50.00")
    assert (body["DataWystawienia"], body["DataSprzedazy"], body["FormatDatySprzedazy"]) == (
        "2026-01-15",
        "2026-01-15",
        "DZN",
    )
    assert body["TerminPlatnosci"] == "2026-01-29" and body["Uwagi"] == "Zamówienie 1001"
    assert body["RodzajPodpisuOdbiorcy"] == "BPO" and body["Numer"] is None
    assert body["MiejsceWystawienia"] == "Kraków" and "NazwaSeriiNumeracji" not in body
    first, _, zw, rabat = body["Pozycje"]
    assert (first["StawkaVat"], first["TypStawkiVat"], first["CenaJednostkowa"]) == (
        Decimal("0.23"),
        "PRC",
        Decimal("49.90"),
    )
    assert zw["TypStawkiVat"] == "ZW" and "StawkaVat" not in zw and zw["PodstawaPrawna"].startswith("art. 43")
    assert rabat["Rabat"] == 10 and rabat["StawkaVat"] == Decimal("0.08")
    assert body["Kontrahent"] == {
        "Nazwa": "Sklep Przykład Sp. z o.o.",
        "KodPocztowy": "30-001",
        "Miejscowosc": "Kraków",
        "KodKraju": "PL",
        "OsobaFizyczna": False,
        "Ulica": "ul. Długa 1",
        "NIP": "5260250274",
        "Email": "biuro@przyklad.pl",
    }


def test_net_prices_and_an_unpaid_invoice(connect: Any, ifirma_fake: IFirmaFake) -> None:
    connect(default_payment_method="przelew").send_invoice(invoice(prices_include_vat=False))
    body = body_of(sent_to(ifirma_fake, "fakturakraj.json")[0])
    assert body["LiczOd"] == "NET" and body["SposobZaplaty"] == "PRZ" and body["Zaplacono"] == 0
    assert issued(ifirma_fake)[0].total == Decimal("141.20")  # (99.80 + 15.00) * 1.23, VAT per rate


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({}, DOMESTIC),
        ({"currency": "EUR"}, FOREIGN_CURRENCY),
        (
            {
                "currency": "EUR",
                "buyer": buyer("DE", tax_id="DE123456789"),
                "lines": [
                    ac.Line(
                        name="Rower",
                        quantity=1,
                        unit="szt.",
                        unit_price=500,
                        vat=ac.VatRate.special(ac.VatKind.INTRA_EU),
                    )
                ],
            },
            INTRA_EU_SUPPLY,
        ),
        (
            {
                "currency": "USD",
                "buyer": buyer("US", tax_id="12-3456789"),
                "lines": [
                    ac.Line(
                        name="Rower", quantity=1, unit="szt.", unit_price=500, vat=ac.VatRate.special(ac.VatKind.EXPORT)
                    )
                ],
            },
            EXPORT_OF_GOODS,
        ),
    ],
)
def test_the_endpoint_follows_the_invoice(
    connect: Any, ifirma_fake: IFirmaFake, changes: dict[str, Any], kind: str
) -> None:
    assert ac.connect("ifirma", **CREDENTIALS).provider.invoice_kind(invoice(**changes)) == kind
    sent = connect().send_invoice(invoice(**changes))
    assert sent.raw["endpoint"] == kind and sent.number
    assert [stored.kind for stored in issued(ifirma_fake)] == [kind]
    body = body_of(sent_to(ifirma_fake, f"{kind}.json")[0])
    if kind == DOMESTIC:
        assert "Waluta" not in body
    else:
        assert body["Waluta"] == invoice(**changes).currency and body["Jezyk"]
        assert all(line["NazwaPelnaObca"] and line["JednostkaObca"] for line in body["Pozycje"])
    if kind in (INTRA_EU_SUPPLY, EXPORT_OF_GOODS):
        assert "LiczOd" not in body
        assert body["Pozycje"][0]["StawkaVat"] == Decimal("0.00")
    if kind == INTRA_EU_SUPPLY:
        assert (body["Kontrahent"]["PrefiksUE"], body["Kontrahent"]["NIP"]) == ("DE", "123456789")


def test_foreign_currency_extras(connect: Any, ifirma_fake: IFirmaFake) -> None:
    connect().send_invoice(invoice(currency="EUR", exchange_rate="4.2512", language="EN"))
    body = body_of(sent_to(ifirma_fake, "fakturawaluta.json")[0])
    assert body["TypSprzedazy"] == "KRAJOWA" and body["Jezyk"] == "en"
    assert body["KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury"] == Decimal("4.2512")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {
                "lines": [
                    ac.Line(
                        name="x", quantity=1, unit="h", unit_price=1, vat=ac.VatRate.special(ac.VatKind.REVERSE_CHARGE)
                    )
                ]
            },
            "lines[0].vat",
        ),
        (
            {
                "lines": [
                    ac.Line(
                        name="x", quantity=1, unit="h", unit_price=1, vat=ac.VatRate.special(ac.VatKind.NOT_SUBJECT)
                    )
                ]
            },
            "lines[0].vat",
        ),
        (
            {
                "lines": [
                    ac.Line(name="a", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.of(23)),
                    ac.Line(
                        name="b", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.special(ac.VatKind.INTRA_EU)
                    ),
                ]
            },
            "lines",
        ),
        (
            {
                "lines": [
                    ac.Line(
                        name="x", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.special(ac.VatKind.INTRA_EU)
                    )
                ]
            },
            "buyer.address.country",
        ),
        (
            {
                "lines": [
                    ac.Line(
                        name="x",
                        quantity=1,
                        unit="h",
                        unit_price=1,
                        vat=ac.VatRate.special(ac.VatKind.EXPORT),
                        is_service=True,
                    )
                ]
            },
            "lines[0].is_service",
        ),
        ({"buyer": ac.Party(name="Jan Kowalski")}, "buyer.address"),
        ({"buyer": buyer(address=ac.Address(city="Kraków", country="PL"))}, "buyer.address.postal_code"),
        ({"number": "7"}, "number"),
        ({"sale_date": "2026-01-20"}, "sale_date"),
        ({"sale_date": "2025-11-30"}, "issue_date"),
        ({"payment": ac.Payment(method="card", amount="999", paid_on="2026-01-15")}, "payment.amount"),
        ({"payment": ac.Payment(method="Ordin plata", amount="1", paid_on="2026-01-15")}, "payment.method"),
        ({"notes": "x" * 1001}, "Uwagi"),
        ({"buyer": buyer(name="N" * 151)}, "buyer.name"),
    ],
)
def test_what_iFirma_cannot_take_is_refused_before_any_request(  # noqa: N802 - the provider's name
    connect: Any, ifirma_fake: IFirmaFake, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(**changes))
    assert caught.value.field == field
    assert ifirma_fake.requests == []


def test_stock_is_not_supported(connect: Any, ifirma_fake: IFirmaFake) -> None:
    line = ac.Line(name="x", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.of(23), sku="X-1")
    with pytest.raises(ac.UnsupportedOperation, match="warehouse"):
        connect().send_invoice(invoice(lines=[line], use_stock=True))
    assert ifirma_fake.requests == []


def test_series_by_name_per_invoice_or_by_default(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.add_series("SKLEP", prefix="S/", monthly=True)
    conn = connect(invoice_series="SKLEP")
    assert conn.send_invoice(invoice()).number == "S/1/01/2026"
    assert conn.send_invoice(invoice(reference="o-2", series="Domyślna")).number == "1/2026"
    assert conn.send_invoice(invoice(reference="o-3")).number == "S/2/01/2026"
    assert [body_of(r).get("NazwaSeriiNumeracji") for r in sent_to(ifirma_fake, "fakturakraj.json")] == [
        "SKLEP",
        "Domyślna",
        "SKLEP",
    ]
    with pytest.raises(ac.ProviderValidationError, match="NIE-MA"):
        conn.send_invoice(invoice(reference="o-4", series="NIE-MA"))


def test_list_series_is_not_supported_and_sends_nothing(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    with pytest.raises(ac.UnsupportedOperation, match="NazwaSeriiNumeracji"):
        conn.list_series()
    with pytest.raises(ac.UnsupportedOperation, match="receipt"):
        conn.send_receipt(
            ac.Receipt(
                reference="r",
                issue_date="2026-01-15",
                lines=[ac.Line(name="x", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.of(23))],
                currency="PLN",
            )
        )
    assert ifirma_fake.requests == []


def test_list_payment_types_needs_no_call(connect: Any, ifirma_fake: IFirmaFake) -> None:
    codes = [item.name for item in connect().list_payment_types()]
    assert codes == ["GTK", "POB", "PRZ", "KAR", "PZA", "CZK", "KOM", "BAR", "DOT", "PAL", "ALG", "P24", "TPA", "ELE"]
    assert ifirma_fake.requests == []


def test_payment_methods_map_local_names(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect(payment_methods={"Blik": "ELE"})
    conn.send_invoice(invoice(payment=ac.Payment(method="blik", amount="10", paid_on="2026-01-15")))
    assert body_of(sent_to(ifirma_fake, "fakturakraj.json")[0])["SposobZaplaty"] == "ELE"
    with pytest.raises(ac.ConfigurationError):
        connect(payment_methods={"x": "NOPE"})


# ---------------------------------------------------------------------------------------- accounting month


def test_a_month_behind_is_moved_forward_then_the_invoice_issued(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.accounting_month = (2025, 11)
    sent = connect().send_invoice(invoice())
    assert ifirma_fake.accounting_month == (2026, 1) and ifirma_fake.month_moves == 2
    assert sent.number == "1/2026"
    puts = sent_to(ifirma_fake, "abonent/miesiacksiegowy.json", "PUT")
    assert [body_of(r) for r in puts] == [{"MiesiacKsiegowy": "NAST", "PrzeniesDaneZPoprzedniegoRoku": True}] * 2
    # read the month and move one step, twice; read it again to confirm; create; read the number
    assert [r.method for r in ifirma_fake.requests] == ["GET", "PUT", "GET", "PUT", "GET", "POST", "GET"]


def test_a_month_ahead_is_not_moved_back_unless_allowed(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.accounting_month = (2026, 3)
    with pytest.raises(ac.ValidationError, match="allow_month_back") as caught:
        connect().send_invoice(invoice())
    assert caught.value.field == "issue_date"
    assert ifirma_fake.month_moves == 0 and sent_to(ifirma_fake, "fakturakraj.json") == []
    connect(allow_month_back=True).send_invoice(invoice())
    assert ifirma_fake.accounting_month == (2026, 1)
    assert {body_of(r)["MiesiacKsiegowy"] for r in sent_to(ifirma_fake, "abonent/miesiacksiegowy.json", "PUT")} == {
        "POPRZ"
    }


def test_a_month_too_far_away_is_refused_before_the_create(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.accounting_month = (2024, 1)
    with pytest.raises(ac.ValidationError, match="max_month_moves") as caught:
        connect().send_invoice(invoice())
    assert caught.value.field == "issue_date"
    assert ifirma_fake.month_moves == 0 and sent_to(ifirma_fake, "fakturakraj.json") == []


def test_a_lost_month_move_is_repaired_by_reading_again(connect: Any, ifirma_fake: IFirmaFake) -> None:
    # The first PUT fails with a 5xx (not applied) and is retried by the driver; the
    # month is read again after the moves, so the result is right whatever happened.
    ifirma_fake.accounting_month = (2025, 12)
    ifirma_fake.inject(Fault.SERVER_ERROR, path="abonent/miesiacksiegowy.json", method="PUT")
    assert connect().send_invoice(invoice()).number == "1/2026"
    assert ifirma_fake.accounting_month == (2026, 1)


def test_without_alignment_the_provider_refuses_outside_the_month(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.accounting_month = (2025, 12)
    with pytest.raises(ac.ProviderValidationError, match="miesiącem księgowym"):
        connect(align_accounting_month=False).send_invoice(invoice())
    assert issued(ifirma_fake) == []


# ---------------------------------------------------------------------------------------- corrections


def test_full_reversal_is_a_domestic_correction(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    reversal = ac.Correction.full_reversal(
        reference="order-1001-k",
        original=original,
        original_document=sent,
        reason="ZWR_SPRZ_TOW",
        issue_date="2026-01-20",
    )
    corrected = conn.send_correction(reversal)
    assert (corrected.kind, corrected.number) == (ac.DocumentKind.CORRECTION, "1/2026/K")
    stored = corrections_of(ifirma_fake)[0]
    assert stored.corrects == sent.external_id and stored.detail.reason == "ZWR_SPRZ_TOW"
    assert stored.total == 0
    body = body_of(sent_to(ifirma_fake, f"fakturakraj/korekta/{sent.external_id}.json")[0])
    assert [line["Ilosc"] for line in body["Pozycje"]] == [0, 0]
    assert body["PowodKorekty"] == "ZWR_SPRZ_TOW" and body["DataWystawienia"] == "2026-01-20"
    assert body["SpelnionoWarunki"] is True  # required (T) on the official page (ifirma.md §2.10, corrected)


def test_partial_correction_with_a_free_text_reason(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect(correction_reason="POMYLKI", correction_series="KOR")
    ifirma_fake.add_series("KOR")
    original = invoice(
        lines=[
            ac.Line(name="Kubek", quantity=2, unit="szt.", unit_price=20, vat=ac.VatRate.of(23), discount_percent=10)
        ]
    )
    sent = conn.send_invoice(original)
    after = [ac.Line(name="Kubek", quantity=1, unit="szt.", unit_price=20, vat=ac.VatRate.of(23), discount_percent=10)]
    correction = ac.Correction(
        reference="k-1",
        original=original,
        original_document=sent,
        lines=after,
        reason="zwrot jednej sztuki",
        issue_date="2026-01-21",
    )
    conn.send_correction(correction)
    body = body_of(sent_to(ifirma_fake, f"fakturakraj/korekta/{sent.external_id}.json")[0])
    assert (body["PowodKorekty"], body["Uwagi"], body["NazwaSeriiNumeracji"]) == (
        "POMYLKI",
        "zwrot jednej sztuki",
        "KOR",
    )
    assert "Rabat" not in body["Pozycje"][0] and body["Pozycje"][0]["CenaJednostkowa"] == Decimal("18.0")
    assert corrections_of(ifirma_fake)[0].total == Decimal("18.00")


def test_correction_refusals(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    free_text = ac.Correction.full_reversal(
        reference="k", original=original, original_document=sent, reason="zwrot", issue_date="2026-01-20"
    )
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_correction(free_text)
    assert caught.value.field == "reason"
    foreign = invoice(currency="EUR")
    with pytest.raises(ac.UnsupportedOperation, match="domestic"):
        conn.send_correction(
            ac.Correction.full_reversal(
                reference="k", original=foreign, original_document=sent, reason="POMYLKI", issue_date="2026-01-20"
            )
        )
    ghost = ac.SentDocument(provider="ifirma", kind=ac.DocumentKind.INVOICE, reference="x", external_id="999999")
    with pytest.raises(ac.NotFound):
        conn.send_correction(
            ac.Correction.full_reversal(
                reference="k", original=original, original_document=ghost, reason="POMYLKI", issue_date="2026-01-20"
            )
        )
    assert corrections_of(ifirma_fake) == []


# ---------------------------------------------------------------------------------------- PDF and payments


def _document(external_id: str, kind: str = DOMESTIC, number: str | None = None) -> ac.SentDocument:
    return ac.SentDocument(
        provider="ifirma",
        kind=ac.DocumentKind.INVOICE,
        reference="x",
        external_id=external_id,
        number=number,
        raw={"endpoint": kind},
    )


def test_fetch_pdf(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    pdf = conn.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"1/2026" in pdf
    request = ifirma_fake.requests[-1]
    assert request.headers["Accept"] == "application/pdf"
    assert request.url.path == f"/iapi/fakturakraj/{sent.external_id}.pdf"
    with pytest.raises(ac.NotFound):
        conn.fetch_pdf(_document("424242"))
    with pytest.raises(ac.NotFound):  # the id exists, but not as an intra-EU invoice
        conn.fetch_pdf(_document(sent.external_id, INTRA_EU_SUPPLY))
    with pytest.raises(ac.ValidationError):
        conn.fetch_pdf(ac.SentDocument(provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="x"))


def test_record_payment(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    recorded = conn.record_payment(sent, ac.Payment(method="PRZ", amount="100.00", paid_on="2026-01-20"))
    assert recorded.kind is ac.DocumentKind.PAYMENT and recorded.number == "1/2026"
    request = sent_to(ifirma_fake, "faktury/wplaty/prz_faktura_kraj/1_2026.json")[0]
    assert body_of(request) == {"Kwota": Decimal("100.00"), "Data": "2026-01-20"}
    conn.record_payment(sent, ac.Payment(method="PRZ", amount="14.80"))
    assert issued(ifirma_fake)[0].paid == Decimal("114.80")
    assert [p.amount for p in ifirma_fake.payments] == [Decimal("100.00"), Decimal("14.80")]


def test_record_payment_refusals(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    payment = ac.Payment(method="PRZ", amount="1", paid_on="2026-01-20")
    with pytest.raises(ac.ValidationError) as caught:
        conn.record_payment(_document("1"), payment)
    assert caught.value.field == "document.number"
    assert ifirma_fake.requests == []
    with pytest.raises(ac.NotFound):
        conn.record_payment(_document("1", number="77/2026"), payment)


def test_payments_against_intra_eu_invoices_use_their_type(connect: Any, ifirma_fake: IFirmaFake) -> None:
    wdt = invoice(
        currency="EUR",
        buyer=buyer("DE", tax_id="DE123456789"),
        lines=[
            ac.Line(name="Rower", quantity=1, unit="szt.", unit_price=500, vat=ac.VatRate.special(ac.VatKind.INTRA_EU))
        ],
    )
    conn = connect()
    sent = conn.send_invoice(wdt)
    conn.record_payment(sent, ac.Payment(method="PRZ", amount="500", paid_on="2026-01-20"))
    assert sent_to(ifirma_fake, f"faktury/wplaty/prz_dostawa_ue_towarow/{sent.number.replace('/', '_')}.json")
    with pytest.raises(ac.ValidationError, match="payment date") as caught:
        conn.record_payment(sent, ac.Payment(method="PRZ", amount="1"))
    assert caught.value.field == "payment.paid_on"


def test_payments_against_foreign_currency_invoices_use_prz_faktura_wys_ter_kraj(
    connect: Any, ifirma_fake: IFirmaFake
) -> None:
    # ifirma.md §2.11 (corrected, the official payments page): typ_faktury of fakturawaluta.
    conn = connect()
    sent = conn.send_invoice(invoice(currency="EUR"))
    assert sent.raw["endpoint"] == FOREIGN_CURRENCY
    conn.record_payment(sent, ac.Payment(method="PRZ", amount="10.00", paid_on="2026-01-20"))
    request = sent_to(ifirma_fake, f"faktury/wplaty/prz_faktura_wys_ter_kraj/{sent.number.replace('/', '_')}.json")
    assert [body_of(r) for r in request] == [{"Kwota": Decimal("10.00"), "Data": "2026-01-20"}]
    assert issued(ifirma_fake)[0].paid == Decimal("10.00")
    with pytest.raises(ac.ValidationError) as caught:  # a date is needed for invoices not in PLN
        conn.record_payment(sent, ac.Payment(method="PRZ", amount="1"))
    assert caught.value.field == "payment.paid_on"


# ---------------------------------------------------------------------------------------- errors


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = json.dumps(body).encode() if body is not None else b""
    return httpx.Response(status, content=content, headers=headers)


@pytest.mark.parametrize(
    ("status", "kod", "text", "error"),
    [
        (200, 0, "", None),
        (200, 100, "problem techniczny", ac.ServerError),
        (200, 101, "kodowanie", ac.ProviderValidationError),
        (200, 102, "typ zawartości", ac.ProviderValidationError),
        (200, 200, "struktura", ac.ProviderValidationError),
        (200, 201, "Pole Pozycje jest wymagane.", ac.ProviderValidationError),
        (200, 202, "ustawienia", ac.ProviderValidationError),
        (200, 400, "nagłówek", ac.AuthenticationError),
        (200, 401, "login", ac.AuthenticationError),
        (200, 402, "klucz", ac.AuthenticationError),
        (200, 403, "hash", ac.AuthenticationError),
        (200, 499, "regulamin", ac.PermissionDenied),
        (200, 500, "uprawnienia", ac.PermissionDenied),
        (200, 201, "Nie znaleziono faktury.", ac.NotFound),
        (404, 201, "x", ac.NotFound),
        (404, None, "", ac.NotFound),
        (429, 100, "Przekroczono limit zapytań", ac.RateLimited),
        (200, 100, "Przekroczono limit zapytań API", ac.RateLimited),
        (503, None, "", ac.ServerError),
        (401, None, "", ac.AuthenticationError),
        (403, None, "", ac.AuthenticationError),
        (302, None, "", ac.ProviderError),
    ],
)
def test_the_envelope_maps_to_the_taxonomy(status: int, kod: int | None, text: str, error: type | None) -> None:
    provider = ac.connect("ifirma", **CREDENTIALS).provider
    body = None if kod is None else {"response": {"Kod": kod, "Informacja": text}}
    call = Call(httpx.Request("GET", "https://www.ifirma.pl/iapi/x.json"), operation="x")
    mapped = provider.error_for(_response(status, body), call, 1000.0)
    if error is None:
        assert mapped is None
    else:
        assert type(mapped) is error
        if text:
            assert text in mapped.message


@pytest.mark.parametrize(("headers", "wait"), [({"Retry-After": "30"}, 30.0), ({}, 60.0)])
def test_rate_limited_answer_carries_retry_at(headers: dict[str, str], wait: float) -> None:
    # The driver reads Retry-After for the provider; without one, iFirma's default is a minute.
    clock = FakeClock()
    transport = httpx.MockTransport(lambda request: _response(429, None, headers))
    conn = ac.connect("ifirma", transport=transport, clock=clock, retry_cap=0, **CREDENTIALS)
    with pytest.raises(ac.RateLimited) as caught:
        conn.fetch_pdf(_document("1001"))
    assert caught.value.retry_at == clock.time() + wait
    assert caught.value.provider == "ifirma" and caught.value.operation == "fetch_pdf"


def test_an_error_under_http_200_on_a_create_is_ambiguous(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.inject(Fault.ERROR_TEXT_200, path="fakturakraj.json")
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        connect().send_invoice(invoice())
    assert isinstance(caught.value.__cause__, ac.ServerError)
    assert caught.value.__cause__.status_code == 200
    assert len(sent_to(ifirma_fake, "fakturakraj.json")) == 1


def test_timeout_after_commit_is_ambiguous_and_not_resent(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="fakturakraj.json")
    with pytest.raises(ac.AmbiguousOutcome):
        connect().send_invoice(invoice())
    assert len(issued(ifirma_fake)) == 1 and len(sent_to(ifirma_fake, "fakturakraj.json")) == 1


def test_a_failed_read_back_still_returns_the_created_document(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.inject(Fault.SERVER_ERROR, path="fakturakraj/1001.json", times=None)
    sent = connect(max_retries=1).send_invoice(invoice())
    assert sent.external_id == "1001" and sent.number is None and "read_back_error" in sent.raw
    ifirma_fake.faults.clear()
    assert connect().fetch_pdf(sent).startswith(b"%PDF")


def test_a_connection_reset_before_sending_is_retried(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.inject(Fault.CONNECTION_RESET, path="fakturakraj.json")
    assert connect().send_invoice(invoice()).number == "1/2026"
    assert len(issued(ifirma_fake)) == 1


# ---------------------------------------------------------------------------------------- rate limits


def test_declared_limits() -> None:
    assert [(limit.calls, limit.per_seconds) for limit in IFirma.rate_limits] == [(100, 60.0), (15_000, 86_400.0)]


def test_a_burst_never_exceeds_100_a_minute(connect: Any, ifirma_fake: IFirmaFake, fake_clock: FakeClock) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    start = fake_clock.time()
    for _ in range(250):
        conn.fetch_pdf(sent)
    assert ifirma_fake.penalties == 0
    assert fake_clock.time() - start >= 120  # 253 calls need at least two full minutes


def _other_client_calls(fake: IFirmaFake, times: int) -> None:
    url = "https://www.ifirma.pl/iapi/abonent/limit.json"
    header = authentication_header(url, "demo", "abonent", DEFAULT_KEYS["abonent"], b"")
    with httpx.Client(transport=fake) as other:
        for _ in range(times):
            other.get(url, headers={"Authentication": header})


def test_a_minute_exhausted_elsewhere_is_waited_out(connect: Any, ifirma_fake: IFirmaFake) -> None:
    _other_client_calls(ifirma_fake, 100)
    assert connect().send_invoice(invoice()).number == "1/2026"
    assert ifirma_fake.penalties == 1  # one 429, then the driver waited Retry-After and retried


def test_the_daily_limit_is_raised_with_retry_at(fake_clock: FakeClock) -> None:
    fake = IFirmaFake(clock=fake_clock, per_day=5)
    _other_client_calls(fake, 5)
    conn = ac.connect("ifirma", transport=fake, clock=fake_clock, **CREDENTIALS)
    with pytest.raises(ac.RateLimited) as caught:
        conn.send_invoice(invoice())
    assert caught.value.retry_at is not None and caught.value.retry_at > fake_clock.time() + 3600
    before = len(fake.requests)
    with pytest.raises(ac.RateLimited):
        conn.send_invoice(invoice())
    assert len(fake.requests) == before  # the credential is held, nothing is sent


# ---------------------------------------------------------------------------------------- capabilities, field names


def test_capabilities_row() -> None:
    row = ac.connect("ifirma", **CREDENTIALS).capabilities
    assert row.supports(ac.Capability.SEND_CORRECTION)
    assert row[ac.Capability.LIST_SERIES].support is ac.Support.NOT_SUPPORTED
    assert row[ac.Capability.SEND_RECEIPT].support is ac.Support.NOT_SUPPORTED
    assert "ifirma" in ac.providers()


def exercise(capability: ac.Capability, conn: Any) -> None:
    """One working call for each capability iFirma's row declares supported."""
    if capability is ac.Capability.SEND_INVOICE:
        assert conn.send_invoice(invoice()).number
    elif capability is ac.Capability.SEND_CORRECTION:
        original = invoice(reference="c-orig")
        sent = conn.send_invoice(original)
        reversal = ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="POMYLKI", issue_date="2026-01-16"
        )
        assert conn.send_correction(reversal).number
    elif capability is ac.Capability.FETCH_PDF:
        assert conn.fetch_pdf(conn.send_invoice(invoice(reference="pdf"))).startswith(b"%PDF")
    elif capability is ac.Capability.LIST_PAYMENT_TYPES:
        assert conn.list_payment_types()
    elif capability is ac.Capability.RECORD_PAYMENT:
        sent = conn.send_invoice(invoice(reference="pay"))
        assert conn.record_payment(sent, ac.Payment(method="PRZ", amount="114.80", paid_on="2026-01-16"))
    elif capability is ac.Capability.EINVOICE:
        assert conn.einvoice_status(conn.send_invoice(invoice(reference="ksef"))).state is ac.EInvoiceState.NOT_SENT
    else:
        raise AssertionError(f"no exercise written for {capability}")


@pytest.mark.parametrize(
    "capability", [capability for capability, entry in IFirma.capabilities if entry.support is ac.Support.SUPPORTED]
)
def test_every_supported_capability_works_against_the_fake(capability: ac.Capability, connect: Any) -> None:
    exercise(capability, connect())


def test_every_field_name_sent_is_in_the_documented_list(connect: Any, ifirma_fake: IFirmaFake) -> None:
    # The documented names (with their ifirma.md sections) are the conformance case's test data.
    ifirma_fake.accounting_month = (2025, 12)
    ifirma_fake.add_series("SKLEP")
    conn = connect(
        invoice_series="SKLEP",
        exemption_basis="art. 43",
        place_of_issue="Kraków",
        bank_account="BRAK",
        correction_reason="POMYLKI",
    )
    exempt = ac.Line(
        name="Książka",
        quantity=1,
        unit="szt.",
        unit_price=30,
        vat=ac.VatRate.special(ac.VatKind.EXEMPT),
        discount_percent=5,
    )
    original = invoice(
        lines=[*invoice().lines, exempt],
        notes="n",
        payment=ac.Payment(method="KAR", amount="10", paid_on="2026-01-15"),
        buyer=buyer(phone="+48 600 000 000"),
    )
    sent = conn.send_invoice(original)
    conn.send_invoice(invoice(reference="eur", currency="EUR", exchange_rate="4.25", language="de"))
    wdt_line = ac.Line(
        name="Rower", quantity=1, unit="szt.", unit_price=500, vat=ac.VatRate.special(ac.VatKind.INTRA_EU)
    )
    conn.send_invoice(invoice(reference="wdt", currency="EUR", buyer=buyer("DE", tax_id="123456789"), lines=[wdt_line]))
    export_line = ac.Line(
        name="Rower", quantity=1, unit="szt.", unit_price=500, vat=ac.VatRate.special(ac.VatKind.EXPORT)
    )
    conn.send_invoice(invoice(reference="exp", currency="USD", buyer=buyer("US", tax_id="1"), lines=[export_line]))
    conn.send_correction(
        ac.Correction.full_reversal(
            reference="k", original=original, original_document=sent, reason="free text", issue_date="2026-01-20"
        )
    )
    conn.record_payment(sent, ac.Payment(method="PRZ", amount="1", paid_on="2026-01-20"))
    sent_names = {name for request in ifirma_fake.requests for name in FIELD_CASE.field_names(request)}
    assert len(sent_names) > 40
    assert undocumented_fields(FIELD_CASE, ifirma_fake.requests) == {}
    assert sent_names - set(FIELD_CASE.fields) == set()
    paths = {segment for request in ifirma_fake.requests for segment in re.findall(r"[a-z][a-z_]*", request.url.path)}
    assert paths - set(PATH_SEGMENTS) == set()


@settings(max_examples=60, deadline=None)
@given(invoices())
def test_any_invoice_is_either_issued_once_or_refused_with_a_reason(document: ac.Invoice) -> None:
    clock = FakeClock()
    fake = IFirmaFake(clock=clock, accounting_month=(document.issue_date.year, document.issue_date.month))
    if document.series:
        fake.add_series(document.series)
    conn = ac.connect("ifirma", transport=fake, clock=clock, **CREDENTIALS)
    creates = lambda: [r for r in fake.requests if r.method == "POST"]  # noqa: E731
    try:
        sent = conn.send_invoice(document)
    except ac.ValidationError as error:
        event(f"refused locally: {error.field}")
        assert error.field
        assert creates() == []
    except ac.UnsupportedOperation:
        event("unsupported")
        assert creates() == []
    except ac.ProviderValidationError as error:
        event(f"refused by iFirma: {error.message[:50]}")
        assert len(creates()) == 1
        assert issued(fake) == []
    else:
        event(f"issued as {sent.raw['endpoint']}")
        assert len(creates()) == 1
        assert [stored.number for stored in issued(fake)] == [sent.number]


polish_lines = st.builds(
    ac.Line,
    name=text,
    quantity=decimals("0.001", "1000", 3),
    unit=st.sampled_from(["szt.", "kg", "godz.", "usł."]),
    unit_price=decimals("0.01", "10000", 2),
    vat=st.sampled_from(["23", "8", "5", "0"]).map(ac.VatRate.of) | st.just(ac.VatRate.special(ac.VatKind.EXEMPT)),
    discount_percent=st.none() | decimals("0.01", "99.99", 2),
)


@st.composite
def polish_invoices(draw: st.DrawFn) -> ac.Invoice:
    issue = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)))
    lines = draw(st.lists(polish_lines, min_size=1, max_size=5))
    return ac.Invoice(
        reference="p",
        issue_date=issue,
        sale_date=issue - dt.timedelta(days=draw(st.integers(0, 10))),
        buyer=buyer(name=draw(text), is_company=draw(st.booleans())),
        lines=lines,
        currency=draw(st.sampled_from(["PLN", "PLN", "EUR"])),
        prices_include_vat=draw(st.booleans()),
        notes=draw(st.none() | text),
    )


@settings(max_examples=60, deadline=None)
@given(polish_invoices())
def test_any_polish_invoice_is_issued_with_the_fakes_totals(document: ac.Invoice) -> None:
    clock = FakeClock()
    fake = IFirmaFake(clock=clock, accounting_month=(2020, 1))
    conn = ac.connect("ifirma", transport=fake, clock=clock, max_month_moves=200, **CREDENTIALS)
    sent = conn.send_invoice(document)
    event(sent.raw["endpoint"])
    assert fake.accounting_month == (document.issue_date.year, document.issue_date.month)
    (stored,) = issued(fake)
    assert stored.number == sent.number
    # The fake totals per rate (art. 106e) the way the money module does.
    totals = document_totals(
        document.lines, prices_include_vat=document.prices_include_vat, method=TotalsMethod.PER_RATE
    )
    assert stored.total == totals.total.gross


def _answer_create_with(fake: IFirmaFake, content: bytes) -> httpx.MockTransport:
    """The fake, except that the first create's answer comes back as ``content``."""
    replaced: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = fake.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("fakturakraj.json") and not replaced:
            replaced.append(True)
            return httpx.Response(200, content=content)
        return response

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    "content",
    [b"<html>maintenance</html>", json.dumps({"response": {"Kod": 0, "Informacja": "ok"}}).encode()],
)
def test_a_create_answered_oddly_is_ambiguous_never_failed(
    ifirma_fake: IFirmaFake, fake_clock: FakeClock, content: bytes
) -> None:
    from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, SQLiteLedger

    conn = ac.connect("ifirma", transport=_answer_create_with(ifirma_fake, content), clock=fake_clock, **CREDENTIALS)
    with pytest.raises(ac.AmbiguousOutcome):
        conn.send_invoice(invoice())
    exporter = Exporter(
        ac.connect("ifirma", transport=_answer_create_with(ifirma_fake, content), clock=fake_clock, **CREDENTIALS),
        IntegrationSettings(),
        SQLiteLedger(":memory:"),
    )
    assert exporter.export(invoice(reference="other")).status is ExportStatus.UNCERTAIN
    assert exporter.export(invoice(reference="other")).status is ExportStatus.UNCERTAIN  # never sent again
    assert len(sent_to(ifirma_fake, "fakturakraj.json")) == 2


def test_the_document_quota_is_not_a_rate_limit() -> None:
    provider = IFirma.configure(**CREDENTIALS)
    quota = _response(200, {"response": {"Kod": 201, "Informacja": "Przekroczono limit dokumentów w miesiącu"}})
    error = provider.error_for(quota, Call(httpx.Request("GET", "https://www.ifirma.pl/iapi/x.json"), "x"), 0.0)
    assert isinstance(error, ac.ProviderValidationError)


def test_every_call_says_its_content_type(connect: Any, ifirma_fake: IFirmaFake) -> None:
    connect().send_invoice(invoice())
    assert all(request.headers["Content-Type"].startswith("application/json") for request in ifirma_fake.requests)


def test_a_document_that_does_not_say_its_kind_is_refused(connect: Any, ifirma_fake: IFirmaFake) -> None:
    bare = ac.SentDocument(provider="ifirma", kind=ac.DocumentKind.INVOICE, reference="x", number="1/2026")
    with pytest.raises(ac.ValidationError) as caught:
        connect().record_payment(bare, ac.Payment(method="PRZ", amount="1", paid_on="2026-01-20"))
    assert caught.value.field == "document.raw"
    assert ifirma_fake.requests == []


def test_bulk_export_sends_ifirma_documents_one_at_a_time(ifirma_fake: IFirmaFake, fake_clock: FakeClock) -> None:
    from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger

    conn = ac.connect("ifirma", transport=ifirma_fake, clock=fake_clock, **CREDENTIALS)
    exporter = Exporter(conn, IntegrationSettings(max_concurrency=8), SQLiteLedger(":memory:"))
    assert exporter._workers() == 1
    report = exporter.export_many(invoice(reference=f"o-{index}") for index in range(5))
    assert report.sent == 5


def test_a_correction_whose_discounted_price_is_not_whole_grosze_is_refused(
    connect: Any, ifirma_fake: IFirmaFake
) -> None:
    odd = ac.Line(
        name="Kubek", quantity=3, unit="szt.", unit_price="49.90", vat=ac.VatRate.of(23), discount_percent="15"
    )
    original = invoice(lines=[odd])
    conn = connect()
    sent = conn.send_invoice(original)
    correction = ac.Correction.full_reversal(
        reference="k-1", original=original, original_document=sent, reason="ZWR_SPRZ_TOW", issue_date="2026-01-20"
    )
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_correction(correction)
    assert caught.value.field == "lines[0].discount_percent"


def test_a_month_move_whose_answer_is_lost_is_read_back_not_repeated(connect: Any, ifirma_fake: IFirmaFake) -> None:
    # The PUT lands (the month moves) and its answer is lost: a blind retry would move the
    # month twice, past the invoice's own. The month is read again and is already right.
    ifirma_fake.accounting_month = (2025, 12)
    ifirma_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="abonent/miesiacksiegowy.json", method="PUT")
    assert connect().send_invoice(invoice()).number == "1/2026"
    assert ifirma_fake.accounting_month == (2026, 1) and ifirma_fake.month_moves == 1
    assert len(sent_to(ifirma_fake, "abonent/miesiacksiegowy.json", "PUT")) == 1


def test_a_month_move_that_never_lands_is_given_up_after_reading_back(connect: Any, ifirma_fake: IFirmaFake) -> None:
    ifirma_fake.accounting_month = (2025, 12)
    ifirma_fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="abonent/miesiacksiegowy.json", method="PUT", times=10)
    with pytest.raises(ac.ServerError, match="could not be moved") as caught:
        connect().send_invoice(invoice())
    assert not isinstance(caught.value, ac.AmbiguousOutcome) and caught.value.retry_safe
    assert ifirma_fake.accounting_month == (2025, 12) and issued(ifirma_fake) == []
