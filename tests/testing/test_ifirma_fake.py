"""The iFirma fake on its own: signing, envelope, accounting month, numbering, limits, faults.

Requests here are built by hand and signed by an HMAC written from the documentation's
text (not by the connector), so the fake is checked against the spec, not against us.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.documents import StoredDocument
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.ifirma import DEFAULT_KEYS, IFirmaFake

ROOT = "https://www.ifirma.pl/iapi/"
AUTH_CODES = {400, 401, 402, 403}


def sign(url: str, body: bytes, *, user: str = "demo", key_name: str = "faktura", key: str | None = None) -> str:
    """I-DOC: HMAC-SHA1(hex-decoded key, url-without-query + login + key name + body), lowercase hex."""
    message = url.split("?")[0].encode() + user.encode() + key_name.encode() + body
    digest = hmac.new(bytes.fromhex(key or DEFAULT_KEYS[key_name]), message, hashlib.sha1).hexdigest()
    return f"IAPIS user={user}, hmac-sha1={digest}"


def call(
    fake: IFirmaFake,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    key_name: str | None = None,
    content_type: str = "application/json; charset=UTF-8",
    **signing: Any,
) -> httpx.Response:
    url = ROOT + path
    content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    name = key_name or ("abonent" if path.startswith("abonent/") else "faktura")
    headers = {"Authentication": sign(url, content, key_name=name, **signing), "Accept": "application/json"}
    if content:
        headers["Content-Type"] = content_type
    with httpx.Client(transport=fake) as client:
        return client.request(method, url, content=content, headers=headers)


def issued(fake: IFirmaFake) -> list[StoredDocument]:
    """The invoices the fake holds (its documents but the corrections), in issue order."""
    return [document for document in fake.documents if document.kind != "korekta"]


def corrections_of(fake: IFirmaFake) -> list[StoredDocument]:
    """The corrections the fake holds (``kind`` ``korekta``)."""
    return [document for document in fake.documents if document.kind == "korekta"]


def kod(response: httpx.Response) -> int:
    return int(response.json()["response"]["Kod"])


def info(response: httpx.Response) -> str:
    return str(response.json()["response"]["Informacja"])


def invoice_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Zaplacono": 0,
        "ZaplaconoNaDokumencie": 0,
        "LiczOd": "NET",
        "DataWystawienia": "2026-01-15",
        "DataSprzedazy": "2026-01-15",
        "FormatDatySprzedazy": "DZN",
        "SposobZaplaty": "PRZ",
        "RodzajPodpisuOdbiorcy": "BPO",
        "WidocznyNumerGios": False,
        "Kontrahent": {"Nazwa": "Jan Kowalski", "KodPocztowy": "00-001", "Miejscowosc": "Warszawa"},
        "Pozycje": [
            {
                "NazwaPelna": "Usługa",
                "Jednostka": "szt.",
                "Ilosc": 2,
                "CenaJednostkowa": 100,
                "StawkaVat": 0.23,
                "TypStawkiVat": "PRC",
            }
        ],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def fake(fake_clock: FakeClock) -> IFirmaFake:
    return IFirmaFake(clock=fake_clock)


# ---------------------------------------------------------------------------------------- signing


def test_a_correctly_signed_call_is_answered(fake: IFirmaFake) -> None:
    response = call(fake, "GET", "abonent/miesiacksiegowy.json")
    assert response.status_code == 200 and kod(response) == 0
    assert (response.json()["response"]["MiesiacKsiegowy"], response.json()["response"]["RokKsiegowy"]) == (1, 2026)


def test_the_query_string_is_not_signed(fake: IFirmaFake) -> None:
    assert kod(call(fake, "GET", "abonent/limit.json?x=1")) == 0


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, 400),
        ("Basic abc", 400),
        ("IAPIS user=demo, hmac-sha1=XYZ", 400),
        ("IAPIS user=ktos, hmac-sha1=" + "0" * 40, 401),
        ("IAPIS user=demo, hmac-sha1=" + "0" * 40, 403),
    ],
)
def test_bad_headers_get_the_documented_codes(fake: IFirmaFake, header: str | None, code: int) -> None:
    headers = {} if header is None else {"Authentication": header}
    with httpx.Client(transport=fake) as client:
        response = client.get(ROOT + "abonent/limit.json", headers=headers)
    assert response.status_code == 200 and kod(response) == code


def test_a_key_name_without_a_key_is_402_and_the_key_name_is_signed(fake: IFirmaFake) -> None:
    del fake.keys["abonent"]
    assert kod(call(fake, "GET", "abonent/limit.json", key_name="abonent", key="00")) == 402
    # Signing an invoice path with the abonent key name fails even with the faktura key.
    response = call(fake, "GET", "fakturakraj/1.json", key_name="abonent", key=DEFAULT_KEYS["faktura"])
    assert kod(response) == 403


def test_terms_and_permissions(fake: IFirmaFake) -> None:
    fake.terms_accepted = False
    assert kod(call(fake, "GET", "abonent/limit.json")) == 499
    fake.terms_accepted, fake.super_account = True, False
    assert kod(call(fake, "GET", "abonent/limit.json")) == 500


paths = st.from_regex(r"\A[a-z]{1,12}(/[a-z0-9_]{1,10}){0,2}\.json\Z")
bodies = st.binary(max_size=200)


@settings(max_examples=150, deadline=None)
@given(path=paths, body=bodies)
def test_correctly_signed_requests_always_pass_authentication(path: str, body: bytes) -> None:
    fake = IFirmaFake(clock=FakeClock())
    response = call(fake, "POST", path, raw=body, key_name="abonent" if path.startswith("abonent/") else "faktura")
    assert kod(response) not in AUTH_CODES


def _flip(data: bytes, index: int, delta: int) -> bytes:
    position = index % len(data)
    return data[:position] + bytes([(data[position] + delta) % 256]) + data[position + 1 :]


@settings(max_examples=150, deadline=None)
@given(
    path=paths,
    body=bodies.filter(bool),
    index=st.integers(0, 10_000),
    delta=st.integers(1, 255),
    part=st.sampled_from(["body", "path", "user", "key"]),
)
def test_any_one_byte_change_is_rejected(path: str, body: bytes, index: int, delta: int, part: str) -> None:
    fake = IFirmaFake(clock=FakeClock())
    url = ROOT + path
    key_name = "faktura"
    user, key = "demo", DEFAULT_KEYS[key_name]
    header = sign(url, body, user=user, key_name=key_name, key=key)
    sent_body, sent_url = body, url
    if part == "body":
        sent_body = _flip(body, index, delta)
    elif part == "path":
        # Change one letter of the path to another letter (keeping it a valid URL path).
        letters = [i for i, ch in enumerate(path) if ch.isalpha()]
        i = letters[index % len(letters)]
        replacement = chr((ord(path[i]) - 97 + delta % 25 + 1) % 26 + 97)
        sent_url = ROOT + path[:i] + replacement + path[i + 1 :]
    elif part == "user":
        # Signed for another login (one byte changed), presented as demo: the hash cannot match.
        other = _flip(user.encode(), index, delta)
        message = url.encode() + other + key_name.encode() + body
        header = "IAPIS user=demo, hmac-sha1=" + hmac.new(bytes.fromhex(key), message, hashlib.sha1).hexdigest()
    else:
        wrong_key = _flip(bytes.fromhex(key), index, delta).hex()
        header = sign(url, body, user=user, key_name=key_name, key=wrong_key)
    with httpx.Client(transport=fake) as client:
        response = client.post(
            sent_url,
            content=sent_body,
            headers={"Authentication": header, "Content-Type": "application/json"},
        )
    assert kod(response) in AUTH_CODES


def test_a_changed_user_in_the_header_is_an_unknown_login(fake: IFirmaFake) -> None:
    url = ROOT + "abonent/limit.json"
    header = sign(url, b"", key_name="abonent").replace("user=demo", "user=demO")
    with httpx.Client(transport=fake) as client:
        assert kod(client.get(url, headers={"Authentication": header})) == 401


# ---------------------------------------------------------------------------------------- envelope and content


def test_content_type_encoding_and_structure(fake: IFirmaFake) -> None:
    assert kod(call(fake, "POST", "fakturakraj.json", raw=b"{}", content_type="text/plain")) == 102
    assert kod(call(fake, "POST", "fakturakraj.json", raw=b'{"Uwagi":"\xff"}')) == 101
    assert kod(call(fake, "POST", "fakturakraj.json", raw=b"[1]")) == 200
    assert kod(call(fake, "POST", "fakturakraj.json", invoice_body(Nieznane=1))) == 200


def test_unknown_paths_are_404_in_the_envelope(fake: IFirmaFake) -> None:
    response = call(fake, "GET", "nie/ma.json")
    assert response.status_code == 404 and kod(response) != 0


def test_required_fields_are_reported_in_polish(fake: IFirmaFake) -> None:
    response = call(fake, "POST", "fakturakraj.json", invoice_body(SposobZaplaty=None, LiczOd=None))
    assert kod(response) == 201 and "SposobZaplaty" in info(response) and "LiczOd" in info(response)
    response = call(fake, "POST", "fakturakraj.json", invoice_body(Kontrahent={"Nazwa": "X"}))
    assert kod(response) == 201 and "KodPocztowy" in info(response)
    response = call(fake, "POST", "fakturakraj.json", invoice_body(Pozycje=[]))
    assert kod(response) == 201
    line = {
        "NazwaPelna": "x",
        "Jednostka": "szt.",
        "Ilosc": 1,
        "CenaJednostkowa": 1,
        "StawkaVat": 0.21,
        "TypStawkiVat": "PRC",
    }
    assert "stawka" in info(call(fake, "POST", "fakturakraj.json", invoice_body(Pozycje=[line])))
    assert issued(fake) == []


def test_variant_field_sets(fake: IFirmaFake) -> None:
    line = {
        "NazwaPelna": "Rower", "NazwaPelnaObca": "Bike", "Jednostka": "szt.", "JednostkaObca": "pcs",
        "Ilosc": 1, "CenaJednostkowa": 500, "StawkaVat": 0, "TypStawkiVat": "PRC",
    }  # fmt: skip
    buyer = {"Nazwa": "GmbH", "KodPocztowy": "10115", "Miejscowosc": "Berlin", "NIP": "123", "PrefiksUE": "DE"}
    wdt = invoice_body(LiczOd=None, WidocznyNumerGios=None, Waluta="EUR", Jezyk="de", Kontrahent=buyer, Pozycje=[line])
    assert kod(call(fake, "POST", "fakturawdt.json", {**wdt, "LiczOd": "NET"})) == 200  # no LiczOd on WDT
    assert kod(call(fake, "POST", "fakturawdt.json", wdt)) == 0
    assert kod(call(fake, "POST", "fakturawaluta.json", invoice_body(Waluta="EUR", TypSprzedazy="KRAJOWA"))) == 201
    waluta = invoice_body(Waluta="EUR", TypSprzedazy="KRAJOWA", Pozycje=[{**line, "StawkaVat": 0.23}])
    assert kod(call(fake, "POST", "fakturawaluta.json", waluta)) == 0
    assert [i.kind for i in issued(fake)] == ["fakturawdt", "fakturawaluta"]


def test_totals_per_rate_and_paid_limit(fake: IFirmaFake) -> None:
    line = {
        "NazwaPelna": "a",
        "Jednostka": "szt.",
        "Ilosc": 1,
        "CenaJednostkowa": 0.05,
        "StawkaVat": 0.23,
        "TypStawkiVat": "PRC",
    }
    raw = json.dumps(invoice_body(Pozycje=[line] * 3)).encode()  # JSON text: 0.05 is exact on the wire
    assert kod(call(fake, "POST", "fakturakraj.json", raw=raw)) == 0
    stored = issued(fake)[0]
    assert (stored.detail.net, stored.detail.vat, stored.total) == (
        Decimal("0.15"),
        Decimal("0.03"),
        Decimal("0.18"),
    )  # not 3 x 0.01
    too_much = invoice_body(Zaplacono=1000, ZaplaconoNaDokumencie=1000)
    assert "brutto" in info(call(fake, "POST", "fakturakraj.json", too_much))


# ---------------------------------------------------------------------------------------- accounting month


def test_an_invoice_outside_the_month_is_refused_until_the_month_moves(fake: IFirmaFake) -> None:
    body = invoice_body(DataWystawienia="2026-02-03", DataSprzedazy="2026-02-03")
    refused = call(fake, "POST", "fakturakraj.json", body)
    assert kod(refused) == 201 and "miesiącem księgowym" in info(refused)
    moved = call(
        fake, "PUT", "abonent/miesiacksiegowy.json", {"MiesiacKsiegowy": "NAST", "PrzeniesDaneZPoprzedniegoRoku": True}
    )
    assert kod(moved) == 0 and fake.accounting_month == (2026, 2)
    assert kod(call(fake, "POST", "fakturakraj.json", body)) == 0
    assert kod(call(fake, "PUT", "abonent/miesiacksiegowy.json", {"MiesiacKsiegowy": "WCZORAJ"})) == 201
    call(fake, "PUT", "abonent/miesiacksiegowy.json", {"MiesiacKsiegowy": "POPRZ"})
    call(fake, "PUT", "abonent/miesiacksiegowy.json", {"MiesiacKsiegowy": "POPRZ"})
    assert fake.accounting_month == (2025, 12) and fake.month_moves == 3
    # Month changes need the abonent key.
    assert kod(call(fake, "GET", "abonent/miesiacksiegowy.json", key_name="faktura")) == 403


def test_date_rules_of_the_field_table(fake: IFirmaFake) -> None:
    assert "sprzedaży" in info(call(fake, "POST", "fakturakraj.json", invoice_body(DataSprzedazy="2026-01-20")))
    late = invoice_body(DataSprzedazy="2025-11-30")
    assert "15." in info(call(fake, "POST", "fakturakraj.json", late))
    assert (
        kod(
            call(
                fake, "POST", "fakturakraj.json", invoice_body(DataWystawienia="2026-01-20", DataSprzedazy="2026-01-20")
            )
        )
        == 0
    )
    earlier = call(fake, "POST", "fakturakraj.json", invoice_body())
    assert "poprzedniej" in info(earlier)  # issue dates in a series never go back


# ---------------------------------------------------------------------------------------- numbering, reads, PDF


def test_numbering_per_series(fake: IFirmaFake) -> None:
    fake.add_series("SKLEP", prefix="S/", monthly=True)
    for series in (None, "SKLEP", None, "SKLEP"):
        assert kod(call(fake, "POST", "fakturakraj.json", invoice_body(NazwaSeriiNumeracji=series))) == 0
    assert [i.number for i in issued(fake)] == ["1/2026", "S/1/01/2026", "2/2026", "S/2/01/2026"]
    assert "nie istnieje" in info(call(fake, "POST", "fakturakraj.json", invoice_body(NazwaSeriiNumeracji="X")))


def test_read_back_and_pdf(fake: IFirmaFake) -> None:
    identifier = call(fake, "POST", "fakturakraj.json", invoice_body()).json()["response"]["Identyfikator"]
    details = call(fake, "GET", f"fakturakraj/{identifier}.json").json()["response"]
    assert details["PelnyNumer"] == "1/2026" and details["FakturaId"] == identifier
    assert Decimal(str(details["Brutto"])) == Decimal("246.00")
    for suffix in ("pdf", "pdf.single", "pdf.oryg"):
        response = call(fake, "GET", f"fakturakraj/{identifier}.{suffix}")
        assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    missing = call(fake, "GET", "fakturakraj/999.json")
    assert missing.status_code == 404 and "Nie znaleziono" in info(missing)
    assert call(fake, "GET", f"fakturawdt/{identifier}.json").status_code == 404


def test_corrections_and_payments(fake: IFirmaFake) -> None:
    identifier = call(fake, "POST", "fakturakraj.json", invoice_body()).json()["response"]["Identyfikator"]
    line = {
        "NazwaPelna": "Usługa",
        "Jednostka": "szt.",
        "Ilosc": 1,
        "CenaJednostkowa": 100,
        "StawkaVat": 0.23,
        "TypStawkiVat": "PRC",
    }
    correction = {
        "PowodKorekty": "ZWR_SPRZ_TOW", "DataWystawienia": "2026-01-20", "Pozycje": [line], "SpelnionoWarunki": True
    }  # fmt: skip
    assert kod(call(fake, "POST", "fakturakraj/korekta/1_2026.json", {**correction, "PowodKorekty": "ZLY"})) == 201
    assert kod(call(fake, "POST", "fakturakraj/korekta/1_2026.json", {**correction, "Pozycje": [line, line]})) == 201
    assert kod(call(fake, "POST", f"fakturakraj/korekta/{identifier}.json", correction)) == 0
    assert kod(call(fake, "POST", "fakturakraj/korekta/1_2026.json", correction)) == 0  # by number, / as _
    assert [c.number for c in corrections_of(fake)] == ["1/2026/K", "2/2026/K"]
    assert corrections_of(fake)[0].total == Decimal("123.00")
    assert call(fake, "POST", "fakturakraj/korekta/5_2026.json", correction).status_code == 404

    assert (
        kod(call(fake, "POST", "faktury/wplaty/prz_faktura_kraj/1_2026.json", {"Kwota": 46, "Data": "2026-01-21"})) == 0
    )
    assert kod(call(fake, "POST", "faktury/wplaty/prz_faktura_kraj/1_2026.json", {"Kwota": 0})) == 201
    assert kod(call(fake, "POST", "faktury/wplaty/prz_zle/1_2026.json", {"Kwota": 1})) == 201
    assert call(fake, "POST", f"faktury/wplaty/prz_faktura_kraj/{identifier}.json", {"Kwota": 1}).status_code == 404
    assert issued(fake)[0].paid == Decimal(46)
    assert [(p.amount, p.date) for p in fake.payments] == [(Decimal(46), "2026-01-21")]


def test_a_correction_without_spelniono_warunki_is_refused(fake: IFirmaFake) -> None:
    # ifirma.md §2.10 (corrected): the official page marks SpelnionoWarunki required (T).
    call(fake, "POST", "fakturakraj.json", invoice_body())
    line = {"NazwaPelna": "Usługa", "Jednostka": "szt.", "Ilosc": 1, "CenaJednostkowa": 100,
            "StawkaVat": 0.23, "TypStawkiVat": "PRC"}  # fmt: skip
    correction = {"PowodKorekty": "ZWR_SPRZ_TOW", "DataWystawienia": "2026-01-20", "Pozycje": [line]}
    refused = call(fake, "POST", "fakturakraj/korekta/1_2026.json", correction)
    assert kod(refused) == 201 and "SpelnionoWarunki" in info(refused)
    not_a_flag = call(fake, "POST", "fakturakraj/korekta/1_2026.json", {**correction, "SpelnionoWarunki": "tak"})
    assert kod(not_a_flag) == 201
    assert kod(call(fake, "POST", "fakturakraj/korekta/1_2026.json", {**correction, "SpelnionoWarunki": True})) == 0


def test_a_foreign_currency_invoice_is_paid_as_prz_faktura_wys_ter_kraj(fake: IFirmaFake) -> None:
    # ifirma.md §2.11 (corrected): typ_faktury of a fakturawaluta invoice.
    line = {"NazwaPelna": "Rower", "NazwaPelnaObca": "Bike", "Jednostka": "szt.", "JednostkaObca": "pcs",
            "Ilosc": 1, "CenaJednostkowa": 500, "StawkaVat": 0.23, "TypStawkiVat": "PRC"}  # fmt: skip
    body = invoice_body(Waluta="EUR", TypSprzedazy="KRAJOWA", Pozycje=[line])
    assert kod(call(fake, "POST", "fakturawaluta.json", body)) == 0
    payment = {"Kwota": 100, "Data": "2026-01-20"}
    assert kod(call(fake, "POST", "faktury/wplaty/prz_faktura_wys_ter_kraj/1_2026.json", payment)) == 0
    assert issued(fake)[0].paid == Decimal(100)
    assert call(fake, "POST", "faktury/wplaty/prz_faktura_kraj/1_2026.json", payment).status_code == 404


def test_what_the_live_service_accepts_is_accepted(fake: IFirmaFake) -> None:
    # AdresZagraniczny: sent by a widely used client, read back by I-BUNDLE; a flag.
    buyer = {"Nazwa": "GmbH", "KodPocztowy": "10115", "Miejscowosc": "Berlin", "AdresZagraniczny": True}
    assert kod(call(fake, "POST", "fakturakraj.json", invoice_body(Kontrahent=buyer))) == 0
    assert kod(call(fake, "POST", "fakturakraj.json", invoice_body(Kontrahent={**buyer, "AdresZagraniczny": 1}))) == 201
    # A live invoice was issued from a body without ZaplaconoNaDokumencie.
    assert kod(call(fake, "POST", "fakturakraj.json", invoice_body(ZaplaconoNaDokumencie=None))) == 0
    assert kod(call(fake, "POST", "fakturakraj.json", invoice_body(ZaplaconoNaDokumencie="0"))) == 201
    assert len(issued(fake)) == 2


def test_the_contractor_register(fake: IFirmaFake) -> None:
    # ifirma.md §2.4: POST kontrahenci.json, PUT (all data), GET kontrahenci/id/{id}.json, GET kontrahenci/{q}.json.
    record = {"Nazwa": "Sklep Przykład", "NIP": "5260250274", "KodPocztowy": "30-001", "Miejscowosc": "Kraków"}
    added = call(fake, "POST", "kontrahenci.json", {**record, "Identyfikator": "SKLEP1"})
    assert kod(added) == 0 and added.json()["response"]["Wynik"] == "SKLEP1"
    assert kod(call(fake, "POST", "kontrahenci.json", {**record, "Identyfikator": "SKLEP1"})) == 201
    assert kod(call(fake, "POST", "kontrahenci.json", {"Nazwa": "Bez adresu"})) == 201
    assert kod(call(fake, "POST", "kontrahenci.json", {**record, "Nieznane": 1})) == 200
    other = call(fake, "POST", "kontrahenci.json", {"Nazwa": "Jan Nowak", "KodPocztowy": "00-001",
                                                    "Miejscowosc": "Warszawa", "OsobaFizyczna": True})  # fmt: skip
    other_id = other.json()["response"]["Wynik"]
    read = call(fake, "GET", "kontrahenci/id/SKLEP1.json")
    assert kod(read) == 0 and read.json()["response"]["Wynik"]["Nazwa"] == "Sklep Przykład"
    assert call(fake, "GET", "kontrahenci/id/NIEMA.json").status_code == 404
    found = call(fake, "GET", "kontrahenci/sklep.json").json()["response"]["Wynik"]
    assert [r["Identyfikator"] for r in found] == ["SKLEP1"]
    assert call(fake, "GET", "kontrahenci/Jan%20Nowak.json").json()["response"]["Wynik"][0]["Identyfikator"] == (
        other_id
    )
    assert call(fake, "GET", "kontrahenci/zzz.json").json()["response"]["Wynik"] == []
    # An invoice refers to a known contractor by its id or its NIP; an unknown one is refused.
    assert (
        kod(call(fake, "POST", "fakturakraj.json", invoice_body(Kontrahent=None, IdentyfikatorKontrahenta="SKLEP1")))
        == 0
    )
    by_nip = invoice_body(Kontrahent=None, NIPKontrahenta="526-025-02-74")
    assert kod(call(fake, "POST", "fakturakraj.json", by_nip)) == 0
    unknown = call(fake, "POST", "fakturakraj.json", invoice_body(Kontrahent=None, IdentyfikatorKontrahenta="X"))
    assert kod(unknown) == 201 and "kontrahenta" in info(unknown)
    assert [(i.detail.buyer_name, i.detail.buyer_nip) for i in issued(fake)] == [("Sklep Przykład", "5260250274")] * 2
    # PUT replaces the whole record: omitted fields are wiped.
    assert kod(call(fake, "PUT", "kontrahenci/SKLEP1.json", {"Nazwa": "Nowa", "KodPocztowy": "30-001",
                                                             "Miejscowosc": "Kraków"})) == 0  # fmt: skip
    assert "NIP" not in call(fake, "GET", "kontrahenci/id/SKLEP1.json").json()["response"]["Wynik"]
    assert [r["Identyfikator"] for r in fake.contractors] == ["SKLEP1", other_id]


# ---------------------------------------------------------------------------------------- limits and faults


def test_100_a_minute_per_user(fake: IFirmaFake, fake_clock: FakeClock) -> None:
    for _ in range(100):
        assert kod(call(fake, "GET", "abonent/limit.json")) == 0
    refused = call(fake, "GET", "abonent/limit.json")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert fake.penalties == 1
    fake_clock.advance(60)
    usage = call(fake, "GET", "abonent/limit.json").json()["response"]
    assert (usage["LimitWykorzystany"], usage["LimitPrzyznany"]) == (101, 15_000)


def test_the_daily_limit(fake_clock: FakeClock) -> None:
    fake = IFirmaFake(clock=fake_clock, per_day=3)
    for _ in range(3):
        call(fake, "GET", "abonent/limit.json")
        fake_clock.advance(61)
    refused = call(fake, "GET", "abonent/limit.json")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 80_000
    fake_clock.advance(86_400)
    assert kod(call(fake, "GET", "abonent/limit.json")) == 0


@pytest.mark.parametrize(
    ("fault", "stored", "outcome"),
    [
        (Fault.TIMEOUT_BEFORE_COMMIT, 0, httpx.ReadTimeout),
        (Fault.TIMEOUT_AFTER_COMMIT, 1, httpx.ReadTimeout),
        (Fault.CONNECTION_RESET, 0, httpx.ConnectError),
        (Fault.SERVER_ERROR, 0, 500),
        (Fault.ERROR_TEXT_200, 0, 200),
    ],
)
def test_faults(fake: IFirmaFake, fault: Fault, stored: int, outcome: Any) -> None:
    fake.inject(fault, path="fakturakraj.json")
    if isinstance(outcome, int):
        response = call(fake, "POST", "fakturakraj.json", invoice_body())
        assert response.status_code == outcome and kod(response) == 100
    else:
        with pytest.raises(outcome):
            call(fake, "POST", "fakturakraj.json", invoice_body())
    assert len(issued(fake)) == stored
    assert fake.faults.fired[0][0] is fault
    assert (len(fake.dropped_requests) == 1) is (fault is Fault.CONNECTION_RESET)


def test_threads_share_one_fake_without_duplicate_numbers(fake: IFirmaFake) -> None:
    def issue() -> None:
        for _ in range(10):
            assert kod(call(fake, "POST", "fakturakraj.json", invoice_body())) == 0

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = [i.detail.sequence for i in issued(fake)]
    assert sorted(numbers) == list(range(1, 81))


def test_the_async_transport(fake: IFirmaFake) -> None:
    async def main() -> httpx.Response:
        url = ROOT + "abonent/miesiacksiegowy.json"
        async with httpx.AsyncClient(transport=fake) as client:
            return await client.get(url, headers={"Authentication": sign(url, b"", key_name="abonent")})

    assert kod(asyncio.run(main())) == 0


def test_only_the_ifirma_host_is_served(fake: IFirmaFake) -> None:
    with httpx.Client(transport=fake) as client, pytest.raises(httpx.ConnectError):
        client.get("http://www.ifirma.pl/iapi/abonent/limit.json")


# ---------------------------------------------------------------------------------------- the kit's vocabulary


def test_documents_are_the_kits_stored_documents(fake: IFirmaFake) -> None:
    identifier = call(fake, "POST", "fakturakraj.json", invoice_body()).json()["response"]["Identyfikator"]
    (stored,) = fake.documents
    assert (stored.provider, stored.account, stored.kind) == ("ifirma", fake.company, "fakturakraj")
    assert (stored.id, stored.number, stored.series) == (str(identifier), "1/2026", "Domyślna")
    assert (stored.issue_date, stored.currency, stored.total, stored.paid) == (
        "2026-01-15",
        "PLN",
        Decimal("246.00"),
        Decimal(0),
    )
    assert (stored.detail.endpoint, stored.detail.sequence, stored.detail.user) == ("fakturakraj", 1, "demo")
    assert fake.find(number="1/2026") == stored
    assert fake.find(endpoint="fakturakraj", sequence=1) == stored  # detail fields too
    assert fake.find(number="2/2026") is None


def test_demo_is_the_fixtures_account(fake_clock: FakeClock) -> None:
    demo = IFirmaFake.demo(clock=fake_clock)
    assert demo.clock is fake_clock and demo.username == "demo" and demo.keys == dict(DEFAULT_KEYS)
    assert dict(IFirmaFake.demo_settings) == {
        "username": "demo",
        "company_tax_id": "5252344078",
        "invoice_key": DEFAULT_KEYS["faktura"],
        "subscriber_key": DEFAULT_KEYS["abonent"],
    }
    assert demo.accounting_month == (2026, 1)


def test_a_second_user_of_the_company_shares_its_documents_not_its_limits(fake: IFirmaFake) -> None:
    keys = {"faktura": "00112233445566778899", "abonent": "99887766554433221100"}
    fake.add_user("ksiegowa", keys)
    with pytest.raises(ValueError, match="exists"):
        fake.add_user("ksiegowa", keys)
    for _ in range(100):
        assert kod(call(fake, "GET", "abonent/limit.json")) == 0
    assert call(fake, "GET", "abonent/limit.json").status_code == 429
    other = call(fake, "POST", "fakturakraj.json", invoice_body(), user="ksiegowa", key=keys["faktura"])
    assert kod(other) == 0
    assert (
        call(fake, "GET", "abonent/limit.json", user="ksiegowa", key=keys["abonent"]).json()["response"][
            "LimitWykorzystany"
        ]
        == 2
    )
    assert [(d.account, d.detail.user) for d in fake.documents] == [(fake.company, "ksiegowa")]
    assert fake.used_today() == 100 and fake.used_today("ksiegowa") == 2


def test_without_a_log_the_fake_stays_flat(fake_clock: FakeClock) -> None:
    fake = IFirmaFake(clock=fake_clock, keep_log=False, per_day=50)
    for _ in range(80):
        fake_clock.advance(1)
        call(fake, "GET", "abonent/limit.json")
    assert fake.requests == [] and fake.request_count == 80 and fake.penalties == 30
    assert fake.used_today() == 50  # the daily count holds at most the limit's calls
