"""The Fakturowo.pl fake on its own, spoken to as the sheet's peer clients speak to the service."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.registry import fake_class
from accounting_connectors.testing.clock import FakeClock, VirtualClock
from accounting_connectors.testing.fakturowo import DEMO_API_ID, DEMO_SELLER_NIP, FakturowoFake, messages
from accounting_connectors.testing.faults import Fault

API = "https://www.fakturowo.pl/api"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakturowoFake:
    return FakturowoFake(clock=clock)


@pytest.fixture
def http(fake: FakturowoFake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake) as client:
        yield client


def call(http: httpx.Client, clock: FakeClock, fields: dict[str, str], **kwargs: Any) -> list[str]:
    """POST ``fields`` with the demo key, 0.5 s after the previous call (the sheet's advice, §13)."""
    clock.advance(0.5)
    response = http.post(API, data={"api_id": DEMO_API_ID, **fields}, **kwargs)
    assert response.status_code == 200
    return response.text.split("\n")


ISSUE = {
    "api_zadanie": "1",
    "dokument_dostep": "1",
    "dokument_rodzaj": "0",
    "dokument_data_w": "20-11-2026",
    "nabywca_osoba": "0",
    "nabywca_nazwa": "Kowalski Sp. z o.o.",
    "nabywca_nip": "5252344078",
}


def line(suffix: str, name: str, price: str, vat: str = "23", quantity: str = "1") -> dict[str, str]:
    return {
        f"produkt_nazwa{suffix}": name,
        f"produkt_ilosc{suffix}": quantity,
        f"produkt_jm{suffix}": "2",
        f"produkt_stawka_vat{suffix}": vat,
        f"produkt_cena_netto{suffix}": price,
    }


def test_the_sheets_example_is_accepted_and_answered_in_four_lines(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    fields = {
        **ISSUE,
        **line("_1", "Produkt A (SKU-1)", "90.00", quantity="2"),
        **line("_2", "Książka B", "50.00", "5"),
    }
    status, api_numer, unknown, link, end = call(http, clock, fields)
    assert (status, unknown, end) == ("1", "", "")
    stored = fake.documents[0]
    assert stored.id == api_numer and stored.detail["link"] == link and stored.number == "FV 1/11/2026"
    assert stored.total == Decimal("273.90") and stored.issue_date == "2026-11-20"
    assert [entry["name"] for entry in stored.detail["lines"]] == ["Produkt A (SKU-1)", "Książka B"]


def test_without_dokument_dostep_the_answer_has_no_link(http: httpx.Client, clock: FakeClock) -> None:
    fields = {**ISSUE, **line("_1", "A", "1.00")}
    del fields["dokument_dostep"]
    assert call(http, clock, fields)[2:] == [""]


def test_fo_php_unsuffixed_shipping_plus_numbered_products_are_separate_lines(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    fields = {**ISSUE, **line("", "Wysyłka", "10.00"), **line("_1", "A", "20.00"), **line("_2", "B", "30.00")}
    assert call(http, clock, fields)[0] == "1"
    lines = fake.documents[0].detail["lines"]
    assert [(entry["slot"], entry["name"]) for entry in lines] == [("unsuffixed", "Wysyłka"), ("_1", "A"), ("_2", "B")]
    assert fake.documents[0].detail["net"] == Decimal("60.00")


def test_fo_laravel_multipart_unsuffixed_then_2_and_3(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    fields = {
        **ISSUE,
        **line("", "A", "1.00"),
        **line("_2", "B", "2.00"),
        **line("_3", "C", "3.00"),
        "api_kodowanie": "1",
    }
    boundary = uuid.uuid4().hex
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
            for name, value in {"api_id": DEMO_API_ID, **fields}.items()
        )
        + f"--{boundary}--\r\n".encode()
    )
    clock.advance(0.5)
    response = http.post(API, content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.text.startswith("1\n")
    assert [entry["name"] for entry in fake.documents[0].detail["lines"]] == ["A", "B", "C"]


def test_fo_cs_numbered_lines_with_api_kodowanie_0_and_utf8_bytes(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    fields = {**ISSUE, **line("_1", "Żółć", "5.00"), "api_kodowanie": "0", "dokument_waluta": "1"}
    assert call(http, clock, fields)[0] == "1"
    assert fake.documents[0].detail["lines"][0]["name"] == "Żółć" and fake.documents[0].currency == "EUR"


def test_get_with_the_fields_in_the_query_works_for_testing(http: httpx.Client, clock: FakeClock) -> None:
    clock.advance(0.5)
    response = http.get(API, params={"api_id": DEMO_API_ID, **ISSUE, **line("_1", "A", "1.00")})
    assert response.text.startswith("1\n")


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"api_id": "nope"}, messages.BAD_KEY),
        ({"api_zadanie": ""}, messages.NO_TASK),
        ({"api_zadanie": "7"}, messages.UNKNOWN_TASK.format(task="7")),
        ({"produkt_nazwa_1": ""}, messages.MISSING.format(field="produkt_nazwa_1")),
        ({"produkt_cena_netto_1": ""}, messages.NO_PRICE.format(field="produkt_nazwa_1")),
        ({"produkt_wartosc_brutto_1": "1.23"}, messages.BOTH_PRICES.format(field="produkt_nazwa_1")),
        ({"produkt_stawka_vat_1": "22"}, messages.BAD_VALUE.format(field="produkt_stawka_vat_1", value="22")),
        ({"produkt_ilosc_1": "1,5"}, messages.BAD_VALUE.format(field="produkt_ilosc_1", value="1,5")),
        ({"produkt_stawka_vat_1": "zw"}, messages.NO_EXEMPTION_BASIS),
        ({"dokument_data_w": "2026-11-20"}, messages.BAD_VALUE.format(field="dokument_data_w", value="2026-11-20")),
        ({"dokument_waluta": "36"}, messages.BAD_VALUE.format(field="dokument_waluta", value="36")),
        ({"dokument_rodzaj": "99"}, messages.BAD_VALUE.format(field="dokument_rodzaj", value="99")),
        ({"nabywca_nazwa": ""}, messages.MISSING.format(field="nabywca_nazwa")),
        # Every date is DD-MM-YYYY (§1), the payment date too; the due term is a number of days (§6).
        ({"dokument_data_p": "2026-11-20"}, messages.BAD_VALUE.format(field="dokument_data_p", value="2026-11-20")),
        ({"dokument_termin": "14 dni"}, messages.BAD_VALUE.format(field="dokument_termin", value="14 dni")),
    ],
)
def test_refusals_are_zero_and_a_polish_text_under_200(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake, changes: dict[str, str], text: str
) -> None:
    fields = {**ISSUE, **line("_1", "A", "1.00"), **changes}
    assert call(http, clock, fields) == ["0", text, ""]
    assert fake.documents == []


def test_no_lines_is_refused(http: httpx.Client, clock: FakeClock) -> None:
    assert call(http, clock, ISSUE)[:2] == ["0", messages.NO_LINES]


def test_a_body_that_is_not_utf8_is_refused(http: httpx.Client, clock: FakeClock) -> None:
    clock.advance(0.5)
    body = f"api_id={DEMO_API_ID}&api_zadanie=1&produkt_nazwa_1=".encode() + b"\xb3\xf3d\xbc"
    response = http.post(API, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.text.split("\n")[:2] == ["0", messages.BAD_ENCODING]


def test_numbering_per_kind_and_month_and_own_numbers(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    base = {**ISSUE, **line("_1", "A", "1.00")}
    call(http, clock, base)
    call(http, clock, {**base, "dokument_data_w": "02-12-2026"})
    call(http, clock, {**base, "dokument_rodzaj": "20"})
    call(http, clock, {**base, "dokument_numer": "WŁASNY/1"})
    assert [document.number for document in fake.documents] == [
        "FV 1/11/2026",
        "FV 1/12/2026",
        "PAR 1/11/2026",
        "WŁASNY/1",
    ]
    assert [document.kind for document in fake.documents] == ["invoice", "invoice", "receipt", "invoice"]
    assert len({document.id for document in fake.documents}) == 4


def test_no_duplicate_guard_a_repeated_own_number_is_issued_again(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    # §14: "No duplicate guard". A resent document is a second document, own number or not.
    base = {**ISSUE, **line("_1", "A", "1.00"), "dokument_numer": "WŁASNY/1"}
    first, second = call(http, clock, base), call(http, clock, base)
    assert first[0] == second[0] == "1" and first[1] != second[1]
    assert [document.number for document in fake.documents] == ["WŁASNY/1", "WŁASNY/1"]


def test_receipts_need_no_buyer(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    fields = {"api_zadanie": "1", "dokument_rodzaj": "20", "dokument_status": "1", **line("_1", "Kawa", "10.00")}
    assert call(http, clock, fields)[0] == "1"
    assert fake.documents[0].paid == fake.documents[0].total == Decimal("12.30")


def test_totals_are_per_vat_rate(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    # Three lines of 0.33 net at 23 %: per line 0.08 VAT each (0.24), per rate 0.99 * 23 % = 0.23.
    fields = {**ISSUE, **line("_1", "A", "0.33"), **line("_2", "B", "0.33"), **line("_3", "C", "0.33")}
    call(http, clock, fields)
    assert fake.documents[0].detail["vat"] == Decimal("0.23")
    gross = {**ISSUE, "produkt_nazwa_1": "D", "produkt_ilosc_1": "3", "produkt_stawka_vat_1": "8"}
    call(http, clock, {**gross, "produkt_wartosc_brutto_1": "10.80"})
    assert (fake.documents[1].detail["net"], fake.documents[1].total) == (Decimal("10.00"), Decimal("10.80"))


def test_payment_at_issue(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    fields = {**ISSUE, **line("_1", "A", "100.00"), "dokument_status": "2", "dokument_zaplacono": "50.00"}
    call(http, clock, {**fields, "dokument_zaplata": "14"})
    assert fake.documents[0].paid == Decimal("50.00") and fake.documents[0].detail["payment_code"] == "14"
    assert call(http, clock, {**fields, "dokument_zaplata": "45"})[0] == "0"
    assert call(http, clock, {**fields, "dokument_status": "3"})[0] == "0"


def test_the_list_task_pages_of_100_in_either_order(clock: FakeClock) -> None:
    for order in ("newest_first", "oldest_first"):
        fake = FakturowoFake(clock=clock, list_order=order)
        with httpx.Client(transport=fake) as http:
            for index in range(101):
                call(http, clock, {**ISSUE, **line("_1", f"P{index}", "1.00")})
            first = call(http, clock, {"api_zadanie": "3", "p": "1"})
            second = call(http, clock, {"api_zadanie": "3", "p": "2"})
        assert first[:2] == ["1", "2"] and len(first) == 2 + 100 + 1 and len(second) == 2 + 1 + 1
        row = first[2].split(";")
        assert len(row) == 18 and row[1] == "0" and row[3] == "20-11-2026" and row[5] == "PLN" and row[8] == "1.23"
        newest = "FV 101/11/2026"
        assert (row[2] == newest) is (order == "newest_first")
        assert (second[2].split(";")[2] == newest) is (order == "oldest_first")


def test_the_document_link_serves_a_pdf_or_a_page(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    link = call(http, clock, {**ISSUE, **line("_1", "A", "1.00")})[3]
    pdf = http.get(link)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"FV 1/11/2026" in pdf.content
    fake.link_serves = "html"
    page = http.get(link)
    assert page.headers["Content-Type"].startswith("text/html") and b"FV 1/11/2026" in page.content
    assert http.get("https://www.fakturowo.pl/dokument/unknown").status_code == 404


def test_pobierz_serves_the_accounts_pdf_only(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    api_numer = call(http, clock, {**ISSUE, **line("_1", "A", "1.00")})[1]
    other = fake.add_account("5252344078", "Kowalski Sp. z o.o.")
    clock.advance(0.5)
    assert (
        http.get("https://www.fakturowo.pl/pobierz", params={"api_id": DEMO_API_ID, "api_numer": api_numer}).content[:4]
        == b"%PDF"
    )
    refused = http.get("https://www.fakturowo.pl/pobierz", params={"api_id": other, "api_numer": api_numer})
    assert refused.text.split("\n")[:2] == ["0", messages.NOT_FOUND]


def test_a_second_call_while_one_is_in_flight_is_refused() -> None:
    clock = VirtualClock()
    fake = FakturowoFake(clock=clock)
    other = fake.add_account("5252344078", "Kowalski Sp. z o.o.")

    async def main() -> list[str]:
        async with httpx.AsyncClient(transport=fake) as http:
            answers = await asyncio.gather(
                http.post(API, data={"api_id": DEMO_API_ID, "api_zadanie": "3"}),
                http.post(API, data={"api_id": DEMO_API_ID, "api_zadanie": "3"}),  # sent before the first's answer
                http.post(API, data={"api_id": other, "api_zadanie": "3"}),  # another account is not busy
            )
            # Once the answer is out, the account is free again at once: calling synchronously is enough.
            answers.append(await http.post(API, data={"api_id": DEMO_API_ID, "api_zadanie": "3"}))
        assert all(answer.status_code == 200 for answer in answers)
        return [answer.text for answer in answers]

    first, busy, theirs, after = clock.run(main())
    assert first.startswith("1\n") and theirs.startswith("1\n") and after.startswith("1\n")
    assert busy.split("\n")[:2] == ["0", messages.CONCURRENT]
    assert fake.penalties == 1
    # Document links are not API calls and are never refused.
    with httpx.Client(transport=fake) as http:
        assert http.get("https://www.fakturowo.pl/dokument/x").status_code == 404


def test_synchronous_peers_pass_whatever_their_spacing(clock: FakeClock, fake: FakturowoFake) -> None:
    # FO-DOC asks only for synchronous calls: wait for each answer. FO-LIST's TS sync waits
    # 300 ms between list pages; no sheet source spaces calls further, and a client may call
    # again the moment it has its answer.
    with httpx.Client(transport=fake) as http:
        for index in range(3):
            answer = http.post(API, data={"api_id": DEMO_API_ID, "api_zadanie": "3", "p": "1"})
            assert answer.text.startswith("1\n")
            clock.advance(0.3 if index == 0 else 0.0)
        issued = http.post(API, data={"api_id": DEMO_API_ID, **ISSUE, **line("_1", "A", "1.00")})
        assert issued.text.startswith("1\n")
    assert fake.penalties == 0 and len(fake.documents) == 1


def test_key_rotation(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    new = fake.rotate_key(DEMO_API_ID)
    assert call(http, clock, {"api_zadanie": "3"})[:2] == ["0", messages.BAD_KEY]
    clock.advance(0.5)
    assert http.post(API, data={"api_id": new, "api_zadanie": "3"}).text.startswith("1\n")
    with pytest.raises(ValueError, match="exists"):
        fake.add_account(DEMO_SELLER_NIP, "again")


def test_documents_to_issue_mode_saves_without_issuing(
    http: httpx.Client, clock: FakeClock, fake: FakturowoFake
) -> None:
    fields = {**ISSUE, **line("_1", "A", "1.00"), "api_status": "0", "api_parametr": "order-7", "api_parametr1": "x"}
    del fields["api_zadanie"]
    status, api_numer, *echoed = call(http, clock, fields)
    assert status == "1" and echoed == ["order-7", "x", "", ""]
    assert fake.documents == [] and fake.waiting(DEMO_SELLER_NIP)[0].id == api_numer


def test_faults_store_nothing_or_lose_the_answer(http: httpx.Client, clock: FakeClock, fake: FakturowoFake) -> None:
    fields = {**ISSUE, **line("_1", "A", "1.00")}
    fake.inject(Fault.ERROR_TEXT_200, "api")
    assert call(http, clock, fields)[:2] == ["0", messages.TRY_LATER]
    fake.inject(Fault.SERVER_ERROR, "api")
    clock.advance(0.5)
    failed = http.post(API, data={"api_id": DEMO_API_ID, **fields})
    assert failed.status_code == 500 and failed.headers["Content-Type"].startswith("text/html")
    assert fake.documents == []
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "api")
    clock.advance(0.5)
    with pytest.raises(httpx.ReadTimeout):
        http.post(API, data={"api_id": DEMO_API_ID, **fields})
    assert len(fake.documents) == 1
    fake.inject(Fault.CONNECTION_RESET, "api")
    with pytest.raises(httpx.ConnectError):
        http.post(API, data={"api_id": DEMO_API_ID, **fields})
    assert len(fake.documents) == 1 and len(fake.dropped_requests) == 1


def test_the_other_host_and_unknown_paths(http: httpx.Client, clock: FakeClock) -> None:
    clock.advance(0.5)
    assert http.post("https://konto.fakturowo.pl/api", data={"api_id": DEMO_API_ID, "api_zadanie": "3"}).text[0] == "1"
    assert http.get("https://www.fakturowo.pl/nic").status_code == 404
    assert http.delete("https://www.fakturowo.pl/dokument/x").status_code == 405
    assert http.delete(API).text.split("\n")[:2] == ["0", messages.BAD_KEY]  # the key is checked first
    with pytest.raises(httpx.ConnectError):
        http.get("https://api.fakturowo.pl/api")


def test_keep_log_false_keeps_counting(clock: FakeClock) -> None:
    fake = FakturowoFake(clock=clock, keep_log=False)
    with httpx.Client(transport=fake) as http:
        call(http, clock, {"api_zadanie": "3"})
    assert fake.requests == [] and fake.request_count == 1


def test_the_fake_is_an_async_transport_too(clock: FakeClock, fake: FakturowoFake) -> None:
    async def main() -> str:
        async with httpx.AsyncClient(transport=fake) as http:
            response = await http.post(API, data={"api_id": DEMO_API_ID, **ISSUE, **line("_1", "A", "1.00")})
            return response.text

    assert asyncio.run(main()).startswith("1\n")


def test_demo_registry_and_fixture(fakturowo_fake: FakturowoFake, fake_clock: FakeClock) -> None:
    assert fake_class("fakturowo") is FakturowoFake
    assert fakturowo_fake.clock is fake_clock
    with ac.connect("fakturowo", dict(FakturowoFake.demo_settings), transport=fakturowo_fake, clock=fake_clock) as conn:
        sent = conn.send_invoice(
            ac.Invoice(
                reference="demo-1",
                issue_date="2026-01-15",
                buyer=ac.Party(name="Jan Kowalski"),
                lines=[ac.Line(name="A", quantity=1, unit="szt.", unit_price="10.00", vat=ac.VatRate.of(23))],
                currency="PLN",
            )
        )
    assert fakturowo_fake.find(reference="demo-1") is not None
    assert fakturowo_fake.find(api_numer=sent.external_id) is not None
    assert fakturowo_fake.account_documents(DEMO_SELLER_NIP)[0].number == sent.number
