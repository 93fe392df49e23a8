"""The Fakturowo.pl connector against its fake (and hand-written answers), through both drivers."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import urllib.parse
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability, Support
from accounting_connectors.connectors.fakturowo import Fakturowo, FakturowoSettings, NotAPdf, codes, wire
from accounting_connectors.limits import RateLimit
from accounting_connectors.money import TotalsMethod, document_totals
from accounting_connectors.testing.clock import FakeClock, VirtualClock
from accounting_connectors.testing.fakturowo import DEMO_API_ID, DEMO_SELLER_NIP, FakturowoFake, messages
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.wire import FakeRequest, Reply

from ..drivers import DRIVERS, open_connector

SETTINGS = dict(FakturowoFake.demo_settings)
ENDPOINT = "https://www.fakturowo.pl/api"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakturowoFake:
    return FakturowoFake.demo(clock=clock)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(driver: str, fake: FakturowoFake, clock: FakeClock) -> Iterator[Callable[..., Any]]:
    """Connectors to the fake (or to ``transport=``), sync or async behind one blocking interface."""
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        transport = options.pop("transport", fake)
        connector = open_connector(driver, "fakturowo", transport=transport, clock=clock, **{**SETTINGS, **options})
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        connector.close()


def invoice(**changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": "order-1001",
        "issue_date": "2026-01-15",
        "buyer": ac.Party(
            name="Kowalski Sp. z o.o.",
            tax_id="5252344078",
            is_company=True,
            address=ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
            email="biuro@example.pl",
        ),
        "lines": [
            ac.Line(
                name="Produkt A", quantity="2", unit="szt.", unit_price="90.00", vat=ac.VatRate.of(23), sku="SKU-1"
            ),
            ac.Line(name="Książka B", quantity="1", unit="szt.", unit_price="50.00", vat=ac.VatRate.of(5)),
        ],
        "currency": "PLN",
        "due_date": "2026-01-29",
    }
    values.update(changes)
    return ac.Invoice(**values)


def form_of(request: httpx.Request) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(request.content.decode("utf-8"), keep_blank_values=True)


def issue_posts(fake: FakturowoFake) -> list[dict[str, str]]:
    forms = [dict(form_of(request)) for request in fake.requests if request.method == "POST"]
    return [form for form in forms if form.get("api_zadanie") == "1"]


def answering(*bodies: bytes | Reply) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that answers each request with the next body (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = bodies[min(len(seen), len(bodies)) - 1]
        reply = body if isinstance(body, Reply) else Reply(200, body, {"Content-Type": "text/plain; charset=utf-8"})
        return reply.to_response(request)

    return httpx.MockTransport(handle), seen


# Issuing.


def test_send_invoice_returns_id_printed_number_and_link(connect: Any, fake: FakturowoFake) -> None:
    sent = connect().send_invoice(invoice())
    stored = fake.documents[0]
    assert sent.external_id == stored.id  # api_numer, answer line 2
    assert sent.number == stored.number == "FV 1/01/2026"  # read from the list task
    assert sent.url == stored.detail["link"]
    assert sent.raw["api_numer"] == stored.id and sent.raw["line_2"] == ""
    assert stored.total == Decimal("273.90") and stored.reference == "order-1001"


def test_lines_go_only_as_numbered_fields_utf8_without_api_kodowanie(connect: Any, fake: FakturowoFake) -> None:
    connect().send_invoice(invoice())
    (request,) = [r for r in fake.requests if dict(form_of(r)).get("api_zadanie") == "1"]
    names = [name for name, _ in form_of(request)]
    assert "api_kodowanie" not in names
    line_names = [name for name in names if name.startswith("produkt_")]
    assert line_names and all(re.fullmatch(r"produkt_[a-z_]+_[12]", name) for name in line_names)
    assert "Ksi%C4%85%C5%BCka" in request.content.decode()  # UTF-8 percent-encoded
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.url == ENDPOINT and request.method == "POST"
    assert len(fake.documents[0].detail["lines"]) == 2
    form = dict(form_of(request))
    assert form["produkt_nazwa_1"] == "Produkt A (SKU-1)"  # no SKU field: appended as FO-PHP does
    assert form["dokument_data_w"] == "15-01-2026" and form["dokument_termin"] == "14"
    assert form["dokument_dostep"] == "1" and form["dokument_zamowienie"] == "order-1001"
    assert form["dokument_status"] == "0"  # unpaid, said explicitly as in the sheet's example (§4)


def test_the_key_goes_in_the_form_never_in_a_url(connect: Any, fake: FakturowoFake) -> None:
    conn = connect()
    conn.fetch_pdf(conn.send_invoice(invoice()))
    assert all(DEMO_API_ID not in str(request.url) for request in fake.requests)
    assert all(dict(form_of(r)).get("api_id") == DEMO_API_ID for r in fake.requests if r.method == "POST")


def test_gross_prices_are_sent_as_line_values(connect: Any, fake: FakturowoFake) -> None:
    lines = [ac.Line(name="Kubek", quantity="3", unit="szt.", unit_price="12.33", vat=ac.VatRate.of(23))]
    connect().send_invoice(invoice(lines=lines, prices_include_vat=True))
    (form,) = issue_posts(fake)
    assert form["produkt_wartosc_brutto_1"] == "36.99" and "produkt_cena_netto_1" not in form
    assert fake.documents[0].total == Decimal("36.99")


def test_a_discount_is_a_discounted_price_and_a_note(connect: Any, fake: FakturowoFake) -> None:
    lines = [
        ac.Line(
            name="Produkt A", quantity="2", unit="szt.", unit_price="90", vat=ac.VatRate.of(23), discount_percent=10
        )
    ]
    connect().send_invoice(invoice(lines=lines, notes="Dziękujemy\nZapraszamy"))
    (form,) = issue_posts(fake)
    assert form["produkt_cena_netto_1"] == "81.00"
    assert form["dokument_uwagi"] == "Dziękujemy[n]Zapraszamy[n]Rabat 10% na Produkt A"
    assert fake.documents[0].detail["notes"] == "Dziękujemy\nZapraszamy\nRabat 10% na Produkt A"


def test_a_person_buyer_is_sent_by_first_and_last_name(connect: Any, fake: FakturowoFake) -> None:
    buyer = ac.Party(name="Anna Maria Nowak", address=ac.Address(city="Kraków", country="PL"))
    connect().send_invoice(invoice(buyer=buyer))
    (form,) = issue_posts(fake)
    assert (form["nabywca_osoba"], form["nabywca_imie"], form["nabywca_nazwisko"]) == ("1", "Anna Maria", "Nowak")
    assert "nabywca_nazwa" not in form and form["nabywca_kraj"] == "PL"


def test_paid_at_issue_in_full_and_in_part(connect: Any, fake: FakturowoFake) -> None:
    conn = connect()
    conn.send_invoice(invoice(payment=ac.Payment(method="paid by transfer", amount="273.90", paid_on="2026-01-15")))
    conn.send_invoice(invoice(reference="order-1002", payment=ac.Payment(method="card", amount="100")))
    full, part = issue_posts(fake)
    assert (full["dokument_status"], full["dokument_zaplacono"], full["dokument_zaplata"]) == ("1", "273.90", "14")
    assert full["dokument_data_p"] == "15-01-2026"
    assert (part["dokument_status"], part["dokument_zaplacono"], part["dokument_zaplata"]) == ("2", "100.00", "21")
    assert [document.paid for document in fake.documents] == [Decimal("273.90"), Decimal("100.00")]


def test_own_numbering(connect: Any, fake: FakturowoFake) -> None:
    sent = connect().send_invoice(invoice(number="SKLEP/1/2026"))
    assert sent.number == "SKLEP/1/2026" and fake.documents[0].number == "SKLEP/1/2026"
    assert [dict(form_of(r)).get("api_zadanie") for r in fake.requests] == ["1"]  # no lookup needed


def test_read_number_off_makes_one_call(connect: Any, fake: FakturowoFake) -> None:
    sent = connect(read_number=False).send_invoice(invoice())
    assert sent.number is None and sent.external_id == fake.documents[0].id and fake.request_count == 1


@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
def test_the_printed_number_is_found_whatever_the_list_order(driver: str, clock: FakeClock, order: str) -> None:
    fake = FakturowoFake(list_order=order, clock=clock)  # type: ignore[arg-type]
    quiet = open_connector(driver, "fakturowo", transport=fake, clock=clock, read_number=False, **SETTINGS)
    for index in range(100):
        quiet.send_invoice(invoice(reference=f"bulk-{index}"))
    quiet.close()
    conn = open_connector(driver, "fakturowo", transport=fake, clock=clock, **SETTINGS)
    try:
        sent = conn.send_invoice(invoice(reference="the-101st"))
    finally:
        conn.close()
    assert sent.number == "FV 101/01/2026"
    pages = [dict(form_of(r)).get("p") for r in fake.requests[100:] if dict(form_of(r)).get("api_zadanie") == "3"]
    assert pages == (["1"] if order == "newest_first" else ["1", "2"])


def test_a_failed_number_lookup_still_returns_the_issued_document(connect: Any, fake: FakturowoFake) -> None:
    conn = connect(max_retries=0)
    original = fake.api

    def issue_then_break(request: FakeRequest) -> Reply:
        if request.principal.fields.get("api_zadanie") == "3":
            return Reply.text("<html>maintenance</html>")
        return original(request)

    fake.api = issue_then_break  # type: ignore[method-assign]
    sent = conn.send_invoice(invoice())
    assert sent.number is None and sent.external_id == fake.documents[0].id and sent.url


def test_receipts_are_off_until_opted_in(connect: Any, fake: FakturowoFake) -> None:
    receipt = ac.Receipt(
        reference="r-1",
        issue_date="2026-01-15",
        lines=[ac.Line(name="Kawa", quantity="2", unit="szt.", unit_price="12.30", vat=ac.VatRate.of(23))],
        currency="PLN",
    )
    with pytest.raises(ac.UnsupportedOperation, match="receipts=True"):
        connect().send_receipt(receipt)
    assert fake.request_count == 0
    sent = connect(receipts=True).send_receipt(receipt)
    stored = fake.documents[0]
    assert sent.kind is ac.DocumentKind.RECEIPT and stored.kind == "receipt" and sent.number == stored.number
    assert stored.paid == stored.total == Decimal("24.60") and stored.detail["payment_code"] == "13"


# Local refusals: every code outside the table, before any request.


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [ac.Line(name="X", quantity=1, unit="kg", unit_price=1, vat=ac.VatRate.of(23))]}, "lines[0].unit"),
        ({"lines": [ac.Line(name="X", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.of(7))]}, "lines[0].vat"),
        (
            {"lines": [ac.Line(name="X", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.special(ac.VatKind.INTRA_EU))]},
            "lines[0].vat",
        ),
        ({"lines": [ac.Line(name="X", quantity=3, unit="szt.", unit_price="0.333", vat=ac.VatRate.of(23))]}, "lines[0].unit_price"),
        (
            {"lines": [ac.Line(name="X", quantity=1, unit="szt.", unit_price="9.99", vat=ac.VatRate.of(23), discount_percent=15)]},
            "lines[0].unit_price",
        ),
        ({"lines": [ac.Line(name="X", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.special(ac.VatKind.EXEMPT))]}, "lines"),
        ({"currency": "ARS"}, "currency"),
        ({"language": "en"}, "language"),
        ({"series": "FV"}, "series"),
        ({"exchange_rate": "4.30", "currency": "EUR"}, "exchange_rate"),
        ({"payment": ac.Payment(method="bitcoin", amount=1)}, "payment.method"),
        ({"payment": ac.Payment(method="cash", amount="273.91")}, "payment.amount"),
        ({"payment": ac.Payment(method="cash", amount="1.001")}, "payment.amount"),
    ],
)  # fmt: skip
def test_values_outside_the_tables_are_refused_locally(
    connect: Any, fake: FakturowoFake, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(**changes))
    assert caught.value.field == field
    assert fake.request_count == 0


def test_stock_is_unsupported_before_any_request(connect: Any, fake: FakturowoFake) -> None:
    lines = [ac.Line(name="X", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.of(23), sku="X-1")]
    with pytest.raises(ac.UnsupportedOperation):
        connect().send_invoice(invoice(use_stock=True, lines=lines))
    assert fake.request_count == 0


def test_configured_codes_extend_the_tables(connect: Any, fake: FakturowoFake) -> None:
    lines = [
        ac.Line(name="Mąka", quantity="1.5", unit="kg", unit_price="4.00", vat=ac.VatRate.of(5)),
        ac.Line(name="Porada", quantity=1, unit="h", unit_price="100", vat=ac.VatRate.special(ac.VatKind.EXEMPT)),
    ]
    conn = connect(
        unit_codes={"kg": "15", "h": "8"},
        payment_codes={"BLIK": "31"},
        exemption_basis_code="3",
        exemption_basis="art. 43 ust. 1 pkt 29 ustawy o VAT",
    )
    conn.send_invoice(invoice(lines=lines, payment=ac.Payment(method="blik", amount="106.30")))
    (form,) = issue_posts(fake)
    assert (form["produkt_jm_1"], form["produkt_ilosc_1"], form["produkt_jm_2"]) == ("15", "1.5", "8")
    assert form["produkt_stawka_vat_2"] == "zw" and form["dokument_rodzaj_podstawa_zw"] == "3"
    assert form["dokument_podstawa_zw"].startswith("art. 43") and form["dokument_zaplata"] == "31"
    assert fake.documents[0].total == Decimal("106.30")
    assert "BLIK" in [payment_type.name for payment_type in conn.list_payment_types()]


def test_every_code_list_can_be_configured(connect: Any, fake: FakturowoFake) -> None:
    # §17.1: every numeric code list (dokument_rodzaj, dokument_zaplata, produkt_jm, dokument_waluta,
    # dokument_jezyk) is UNCERTAIN, so each is a configurable mapping over the sheet's defaults.
    conn = connect(language_codes={"EN": "1"}, currency_codes={"eur": "1"}, document_kind_codes={"invoice": "62"})
    conn.send_invoice(invoice(language="en", currency="EUR"))
    (form,) = issue_posts(fake)
    assert (form["dokument_jezyk"], form["dokument_waluta"], form["dokument_rodzaj"]) == ("1", "1", "62")
    transport, seen = answering(b"0\nNieznana waluta\n")
    with pytest.raises(ac.ProviderValidationError):
        connect(transport=transport, currency_codes={"ARS": "36"}).send_invoice(invoice(currency="ARS"))
    assert dict(form_of(seen[0]))["dokument_waluta"] == "36"
    with pytest.raises(ac.ConfigurationError, match="invoice and receipt"):
        connect(document_kind_codes={"correction": "7"})


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("record_payment", lambda sent: (sent, ac.Payment(method="transfer", amount=1))),
        ("find_document", lambda sent: (ac.DocumentKind.INVOICE, "order-1001")),
        (
            "send_correction",
            lambda sent: (
                ac.Correction.full_reversal(
                    reference="c",
                    original=invoice(),
                    original_document=sent,
                    reason="zwrot",
                    issue_date=dt.date(2026, 1, 20),
                ),
            ),
        ),
    ],
)
def test_unsupported_operations_say_why_and_send_nothing(
    connect: Any, fake: FakturowoFake, operation: str, arguments: Callable[[ac.SentDocument], tuple[Any, ...]]
) -> None:
    sent = ac.SentDocument(provider="fakturowo", kind=ac.DocumentKind.INVOICE, reference="order-1001", external_id="1")
    with pytest.raises(ac.UnsupportedOperation) as caught:
        getattr(connect(), operation)(*arguments(sent))
    assert fake.request_count == 0
    assert {"record_payment": "only at issue", "find_document": "reference", "send_correction": "correction"}[
        operation
    ] in str(caught.value)


# The answer format and its traps.


def test_a_zero_answer_is_a_refusal_with_the_providers_message(connect: Any, fake: FakturowoFake) -> None:
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect(api_id="wrong-key").send_invoice(invoice())
    assert caught.value.message == messages.BAD_KEY and caught.value.retry_safe
    assert caught.value.status_code == 200 and caught.value.provider == "fakturowo"
    assert fake.documents == []


def test_an_error_under_200_is_an_error_and_nothing_is_stored(connect: Any, fake: FakturowoFake) -> None:
    fake.inject(Fault.ERROR_TEXT_200, "api")
    with pytest.raises(ac.ProviderValidationError, match="Spróbuj ponownie"):
        connect().send_invoice(invoice())
    assert fake.documents == [] and fake.request_count == 1


@pytest.mark.parametrize(
    "body",
    [
        b"1\n1000001\n",  # no link line
        b"1\n1000001\n\nhttps://www.fakturowo.pl/x\nextra\n",  # a fifth line
        b"1\nABC\n\nhttps://www.fakturowo.pl/x\n",  # the id is not a number
        b"1\n1000001\n\nnot a link\n",
        b"<html><body>Przerwa techniczna</body></html>",
        b"",
        b"\xff\xfe1\n",
        b"OK\n1000001\n\nhttps://www.fakturowo.pl/x\n",
    ],
)
def test_any_other_shape_on_an_issue_is_ambiguous_and_not_resent(connect: Any, body: bytes) -> None:
    transport, seen = answering(body)
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        connect(transport=transport).send_invoice(invoice())
    assert len(seen) == 1
    assert "line format" in str(caught.value.__cause__)


def test_a_well_formed_answer_with_crlf_and_a_bom_is_read(connect: Any) -> None:
    transport, _ = answering(b"\xef\xbb\xbf1\r\n77\r\nwhatever\r\nhttps://konto.fakturowo.pl/d/77\r\n")
    sent = connect(transport=transport, read_number=False).send_invoice(invoice())
    assert (sent.external_id, sent.url, sent.raw["line_2"]) == ("77", "https://konto.fakturowo.pl/d/77", "whatever")


def test_timeout_after_commit_is_ambiguous_and_not_resent(connect: Any, fake: FakturowoFake) -> None:
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "api")
    conn = connect()
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        conn.send_invoice(invoice())
    assert len(fake.documents) == 1 and fake.request_count == 1
    assert not caught.value.retry_safe
    assert "order number" in conn.reconcile_hint(ac.DocumentKind.INVOICE, "order-1001")


def test_a_5xx_after_commit_is_ambiguous_and_not_resent(connect: Any, fake: FakturowoFake) -> None:
    original = fake.api

    def commit_then_fail(request: FakeRequest) -> Reply:
        original(request)
        return fake.server_error(request)

    fake.api = commit_then_fail  # type: ignore[method-assign]
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        connect().send_invoice(invoice())
    assert isinstance(caught.value.__cause__, ac.ServerError)
    assert len(fake.documents) == 1 and fake.request_count == 1


def test_a_5xx_before_commit_on_an_issue_is_still_ambiguous(connect: Any, fake: FakturowoFake) -> None:
    fake.inject(Fault.SERVER_ERROR, "api")
    with pytest.raises(ac.AmbiguousOutcome):
        connect().send_invoice(invoice())
    assert fake.documents == [] and fake.request_count == 1


def test_a_reset_before_sending_is_retried_and_issues_once(connect: Any, fake: FakturowoFake) -> None:
    fake.inject(Fault.CONNECTION_RESET, "api")
    sent = connect().send_invoice(invoice())
    assert len(fake.dropped_requests) == 1 and len(fake.documents) == 1 and sent.external_id == fake.documents[0].id


def test_a_refused_concurrent_call_is_a_refusal() -> None:
    # Another process on the same account is mid-call (its answer not out yet): Fakturowo answers 0.
    clock = VirtualClock()
    fake = FakturowoFake.demo(clock=clock)

    async def main() -> tuple[httpx.Response, BaseException | ac.SentDocument]:
        async with (
            httpx.AsyncClient(transport=fake) as other,
            ac.connect_async("fakturowo", transport=fake, clock=clock, **SETTINGS) as conn,
        ):
            theirs, mine = await asyncio.gather(
                other.post(ENDPOINT, data={"api_id": DEMO_API_ID, "api_zadanie": "3"}),
                conn.send_invoice(invoice()),
                return_exceptions=True,
            )
        assert isinstance(theirs, httpx.Response)
        return theirs, mine

    theirs, mine = clock.run(main())
    assert theirs.text.startswith("1\n")
    assert isinstance(mine, ac.ProviderValidationError) and "synchronicznie" in mine.message
    assert fake.documents == [] and fake.penalties == 1


def test_a_client_that_waits_for_each_answer_is_never_refused(connect: Any, fake: FakturowoFake) -> None:
    # FO-DOC asks only that calls be synchronous; a plain client calling right after an answer passes.
    httpx.Client(transport=fake).post(ENDPOINT, data={"api_id": DEMO_API_ID, "api_zadanie": "3"})
    sent = connect().send_invoice(invoice())
    assert sent.external_id == fake.documents[0].id and fake.penalties == 0


# PDFs.


def test_fetch_pdf_gets_the_document_link(connect: Any, fake: FakturowoFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    pdf = conn.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"FV 1/01/2026" in pdf
    assert fake.requests[-1].url == sent.url


def test_an_html_page_instead_of_a_pdf_is_a_typed_error(connect: Any, fake: FakturowoFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    fake.link_serves = "html"
    with pytest.raises(NotAPdf) as caught:
        conn.fetch_pdf(sent)
    assert isinstance(caught.value, ac.ProviderError)
    assert "HTML page" in caught.value.message and "pdf_download=True" in caught.value.message
    assert caught.value.content_type == "text/html"


def test_pobierz_only_on_opt_in_and_the_key_is_redacted(
    connect: Any, fake: FakturowoFake, caplog: pytest.LogCaptureFixture
) -> None:
    conn = connect(pdf_download=True)
    sent = conn.send_invoice(invoice())
    fake.link_serves = "html"  # the link is not used
    with caplog.at_level(logging.DEBUG, logger="accounting_connectors"):
        assert conn.fetch_pdf(sent).startswith(b"%PDF")
        foreign = attrs.evolve(sent, external_id="999")
        with pytest.raises(ac.ProviderValidationError) as caught:
            conn.fetch_pdf(foreign)
    request = fake.requests[-2]
    assert request.url.path == "/pobierz" and request.url.params["api_numer"] == sent.external_id
    assert "pobierz" in caplog.text and DEMO_API_ID not in caplog.text
    assert DEMO_API_ID not in str(caught.value) and DEMO_API_ID not in repr(caught.value)
    assert caught.value.message == messages.NOT_FOUND


def test_a_document_without_a_link_is_refused_locally(connect: Any, fake: FakturowoFake) -> None:
    document = ac.SentDocument(provider="fakturowo", kind=ac.DocumentKind.INVOICE, reference="x", external_id="1")
    with pytest.raises(ac.ValidationError, match=r"document\.url"):
        connect().fetch_pdf(document)
    with pytest.raises(ac.ValidationError, match="provider"):
        connect().fetch_pdf(attrs.evolve(document, provider="smartbill"))
    assert fake.request_count == 0


def test_the_key_never_appears_in_errors_or_logs(connect: Any, caplog: pytest.LogCaptureFixture) -> None:
    secret = "sekretny-klucz-123"
    transport, _ = answering(f"0\nNieprawidłowy klucz {secret}\n".encode())
    with caplog.at_level(logging.DEBUG, logger="accounting_connectors"):
        with pytest.raises(ac.ProviderValidationError) as caught:
            connect(transport=transport, api_id=secret).send_invoice(invoice())
        transport, _ = answering(b"<html></html>")
        with pytest.raises(ac.AmbiguousOutcome) as ambiguous:
            connect(transport=transport, api_id=secret, pdf_download=True).send_invoice(invoice())
    for error in (caught.value, ambiguous.value, ambiguous.value.__cause__):
        assert secret not in str(error) and secret not in repr(error)
    assert "***" in caught.value.message
    assert secret not in caplog.text
    settings = FakturowoSettings(api_id=secret, seller_nip=DEMO_SELLER_NIP, seller_name="X")
    assert secret not in repr(settings) and secret not in repr(Fakturowo(settings))


# Lists without calls.


def test_lists_need_no_call(connect: Any, fake: FakturowoFake) -> None:
    conn = connect()
    (series,) = conn.list_series()
    assert series.is_default
    assert {rate.name for rate in conn.list_vat_rates()} == {"23", "8", "5", "0", "zw", "np", "oo"}
    types = conn.list_payment_types()
    assert [t.name for t in types][:3] == ["transfer", "cash on delivery", "cash"]
    assert "dokument_zaplata=13" in (types[2].description or "")
    assert fake.request_count == 0


# Accounts, keys, settings, limits.


def test_account_is_the_issuing_company_never_the_key(connect: Any) -> None:
    conn = connect(seller_nip="PL 111-111-11-11")
    assert conn.account() == DEMO_SELLER_NIP
    assert DEMO_API_ID not in conn.account()


def test_key_rotation_keeps_the_account_and_its_numbering(driver: str, fake: FakturowoFake, clock: FakeClock) -> None:
    first = open_connector(driver, "fakturowo", transport=fake, clock=clock, **SETTINGS)
    first.send_invoice(invoice())
    new_key = fake.rotate_key(DEMO_API_ID)
    with pytest.raises(ac.ProviderValidationError, match="api_id"):
        first.send_invoice(invoice(reference="order-1002"))
    second = open_connector(driver, "fakturowo", transport=fake, clock=clock, **{**SETTINGS, "api_id": new_key})
    try:
        sent = second.send_invoice(invoice(reference="order-1002"))
        assert sent.number == "FV 2/01/2026" and second.account() == first.account()
        assert first.provider.credential_fingerprint() == second.provider.credential_fingerprint()
    finally:
        first.close()
        second.close()


def test_one_account_through_either_host_shares_one_limiter() -> None:
    # §1: www.fakturowo.pl and konto.fakturowo.pl both serve the API; §13: one call in flight per account.
    www = Fakturowo(FakturowoSettings(api_id="k1", seller_nip=DEMO_SELLER_NIP, seller_name="X"))
    konto = Fakturowo(
        FakturowoSettings(
            api_id="k2", seller_nip=DEMO_SELLER_NIP, seller_name="X", base_url="https://konto.fakturowo.pl/api"
        )
    )
    other = Fakturowo(FakturowoSettings(api_id="k1", seller_nip="5252344078", seller_name="Y"))
    assert www.credential_fingerprint() == konto.credential_fingerprint() != other.credential_fingerprint()


def test_a_hub_issues_for_several_merchants(driver: str, fake: FakturowoFake, clock: FakeClock) -> None:
    other_key = fake.add_account("5252344078", "Kowalski Sp. z o.o.")
    other = {"api_id": other_key, "seller_nip": "5252344078", "seller_name": "Kowalski Sp. z o.o."}
    mine = open_connector(driver, "fakturowo", transport=fake, clock=clock, **SETTINGS)
    theirs = open_connector(driver, "fakturowo", transport=fake, clock=clock, **other)
    try:
        assert mine.send_invoice(invoice()).number == theirs.send_invoice(invoice()).number == "FV 1/01/2026"
    finally:
        mine.close()
        theirs.close()
    assert [document.account for document in fake.documents] == [DEMO_SELLER_NIP, "5252344078"]
    assert mine.account() != theirs.account()


def test_a_burst_never_sends_two_calls_at_once(connect: Any, fake: FakturowoFake) -> None:
    conn = connect()
    for index in range(20):
        conn.send_invoice(invoice(reference=f"burst-{index}"))
    assert len(fake.documents) == 20 and fake.penalties == 0


def test_declared_limits() -> None:
    assert Fakturowo.rate_limits == (RateLimit(1, 0.5),)
    assert Fakturowo.one_document_at_a_time
    row = Fakturowo.capabilities
    assert row[Capability.SEND_CORRECTION].support is Support.NOT_SUPPORTED and row[Capability.SEND_CORRECTION].note
    assert all(entry.note for _, entry in row)


def test_a_custom_base_url_is_used_for_the_api_and_pobierz(connect: Any, fake: FakturowoFake) -> None:
    conn = connect(base_url="https://konto.fakturowo.pl/api/", pdf_download=True)
    conn.fetch_pdf(conn.send_invoice(invoice()))
    assert {str(r.url).split("?")[0] for r in fake.requests} == {
        "https://konto.fakturowo.pl/api",
        "https://konto.fakturowo.pl/pobierz",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seller_nip": "1234567890"}, "not a valid NIP"),
        ({"api_id": " "}, "needs api_id"),
        ({"base_url": "http://www.fakturowo.pl/api"}, "https"),
        ({"unit_codes": {"kg": ""}}, "code"),
        ({"bogus": 1}, "unknown setting"),
    ],
)
def test_bad_settings_are_configuration_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ac.ConfigurationError, match=message):
        ac.connect("fakturowo", {**SETTINGS, **changes})
    with pytest.raises(ac.ConfigurationError, match="seller_nip"):
        ac.connect("fakturowo", {"api_id": "x", "seller_name": "y"})


# Properties: the codec and the totals.

_ANSWER = re.compile(r"\A(\ufeff)?1\r?\n[0-9]+\r?\n[^\n]*\r?\n[^\s]+\r?\n?\Z")


@given(st.binary(max_size=80) | st.text(max_size=80).map(str.encode))
def test_arbitrary_bodies_never_parse_as_a_success_unless_well_formed(body: bytes) -> None:
    try:
        parsed = wire.parse_issue(body)
    except wire.MalformedAnswer:
        return
    if isinstance(parsed, wire.Refusal):
        assert wire.answer_lines(body)[0] == "0"
        return
    assert _ANSWER.match(body.decode("utf-8"))
    assert parsed.api_numer.isdigit() and wire.is_link(parsed.link)


@given(
    st.from_regex(r"\A[0-9]{1,10}\Z"),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=20),
    st.sampled_from(["https://www.fakturowo.pl/dokument/abc", "https://konto.fakturowo.pl/x?y=1"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_well_formed_answers_always_parse(number: str, middle: str, link: str, separator: str, end: bool) -> None:
    body = separator.join(["1", number, middle, link]) + (separator if end else "")
    parsed = wire.parse_issue(body.encode())
    assert parsed == wire.IssueAnswer(api_numer=number, line_2=middle.removesuffix("\r"), link=link)


@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=30)), max_size=8))
def test_the_form_codec_round_trips_any_text(fields: list[tuple[str, str]]) -> None:
    decoded = urllib.parse.parse_qsl(wire.encode_form(fields).decode("ascii"), keep_blank_values=True)
    assert decoded == fields


@given(st.text(max_size=40))
def test_text_params_hold_no_line_breaks(text: str) -> None:
    encoded = wire.text_param(text)
    assert "\n" not in encoded and "\r" not in encoded
    if "[n]" not in text:
        assert encoded.replace("[n]", "\n") == re.sub(r"\r\n|\r", "\n", text)


@given(st.dates(min_value=dt.date(1900, 1, 1)), st.decimals(min_value=0, max_value=10**9, places=2))
def test_dates_and_amounts_are_written_exactly(day: dt.date, amount: Decimal) -> None:
    assert dt.datetime.strptime(wire.date_text(day), "%d-%m-%Y").date() == day
    assert Decimal(wire.amount_text(amount)) == amount and re.fullmatch(r"[0-9]+\.[0-9]{2}", wire.amount_text(amount))


_RATES = [rate for rate in codes.VAT_CODES if rate.kind is not ac.VatKind.EXEMPT]
_lines = st.builds(
    ac.Line,
    name=st.sampled_from(["Produkt", "Usługa", "Książka"]),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3),
    unit=st.sampled_from(["szt.", "usł."]),
    unit_price=st.decimals(min_value=0, max_value=10000, places=2),
    vat=st.sampled_from(_RATES),
    discount_percent=st.none() | st.sampled_from([Decimal(10), Decimal(50), Decimal(100)]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_lines, min_size=1, max_size=6), st.booleans())
def test_the_connectors_totals_are_what_fakturowo_books(lines: list[ac.Line], gross: bool) -> None:
    clock = FakeClock()
    fake = FakturowoFake.demo(clock=clock)
    document = invoice(lines=lines, prices_include_vat=gross, due_date=None)
    expected = document_totals(lines, prices_include_vat=gross, method=TotalsMethod.PER_RATE)
    with ac.connect("fakturowo", transport=fake, clock=clock, read_number=False, **SETTINGS) as conn:
        try:
            conn.send_invoice(document)
        except ac.ValidationError as error:
            # A discounted net price finer than a grosz: refused, since Fakturowo's rounding is unknown.
            assert re.fullmatch(r"lines\[[0-9]+\]\.unit_price", error.field) and not gross
            assert fake.request_count == 0
            return
    stored = fake.documents[0]
    assert stored.total == expected.total.gross
    assert stored.detail["net"] == expected.total.net and stored.detail["vat"] == expected.total.vat
    by_code = {codes.VAT_CODES[rate].value: totals for rate, totals in expected.by_rate.items()}
    assert {code: sums["gross"] for code, sums in stored.detail["by_rate"].items()} == {
        code: totals.gross for code, totals in by_code.items()
    }


def test_bulk_export_sends_one_document_at_a_time_without_refusals(tmp_path: Any) -> None:
    from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger

    clock = FakeClock()
    fake = FakturowoFake.demo(clock=clock)
    with ac.connect("fakturowo", transport=fake, clock=clock, **SETTINGS) as conn:
        exporter = Exporter(conn, IntegrationSettings(max_concurrency=4), SQLiteLedger(tmp_path / "ledger.db"))
        started = clock.time()
        report = exporter.export_many(invoice(reference=f"bulk-{index}") for index in range(30))
        elapsed = clock.time() - started
    assert report.sent == 30 and report.ok and fake.penalties == 0
    # Two calls per document (issue, number read) at the declared ceiling of one call per 0.5 s.
    achieved, ceiling = fake.request_count / elapsed, 1 / 0.5
    assert ceiling * 0.95 <= achieved <= ceiling
    assert [document.number for document in fake.documents] == [f"FV {n}/01/2026" for n in range(1, 31)]


def test_the_docs_page_repeats_the_matrix_and_its_example_runs() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "providers" / "fakturowo.md").read_text(encoding="utf-8")
    # The docs build writes the capability row there from CAPABILITIES (docs/hooks.py).
    assert "<!-- capabilities:fakturowo -->" in page
    for table in (codes.UNIT_CODES, codes.PAYMENT_CODES, codes.DOCUMENT_KINDS):
        assert all(f"`{code.value}` | {code.source}" in page for code in table.values())
    example = re.search(
        r"```python\n(import accounting_connectors as ac\nfrom accounting_connectors.testing import.*?)```", page, re.S
    )
    assert example is not None
    exec(compile(example[1], "fakturowo.md", "exec"), {})


def test_fetch_pdf_follows_the_links_https_redirects_only(connect: Any) -> None:
    from accounting_connectors.testing.pdf import make_pdf

    document = ac.SentDocument(
        provider="fakturowo", kind=ac.DocumentKind.INVOICE, reference="x", url="https://www.fakturowo.pl/d/1"
    )
    moved = Reply(302, b"", {"Location": "https://files.fakturowo.pl/1.pdf"})
    transport, seen = answering(moved, Reply.pdf(make_pdf("FV 1")))
    assert connect(transport=transport).fetch_pdf(document).startswith(b"%PDF")
    assert [str(request.url) for request in seen] == [
        "https://www.fakturowo.pl/d/1",
        "https://files.fakturowo.pl/1.pdf",
    ]
    transport, seen = answering(Reply(302, b"", {"Location": "http://files.example/1.pdf"}))
    with pytest.raises(NotAPdf):
        connect(transport=transport).fetch_pdf(document)
    assert len(seen) == 1
