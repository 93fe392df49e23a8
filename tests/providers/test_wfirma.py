"""wFirma end to end against the fake, through Client and AsyncClient; the envelope and the wire codec."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.wfirma import PAYMENT_TYPES, WFirma, WFirmaSettings, vat_code_of, vat_rate_of
from accounting_connectors.connectors.wfirma.wire import UnreadableAnswer, field_errors, parse_xml, xml_document
from accounting_connectors.flow import Call
from accounting_connectors.limits import RateLimit
from accounting_connectors.money import TotalsMethod, document_totals
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.wfirma import DEMO_COMPANY, DEMO_KEYS, SECOND_COMPANY, WFirmaFake

from ..drivers import DRIVERS, open_connector
from ..strategies import decimals

SETTINGS = {**DEMO_KEYS, "company_id": DEMO_COMPANY}
DAY = dt.date(2026, 1, 15)


def invoice(reference: str = "order-1001", **changes: Any) -> ac.Invoice:
    base = ac.Invoice(
        reference=reference,
        issue_date=DAY,
        due_date=DAY + dt.timedelta(days=14),
        currency="PLN",
        buyer=ac.Party(
            name="Kowalski Sp. z o.o.",
            tax_id="PL 525-234-40-78",
            is_company=True,
            address=ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
        ),
        lines=[
            ac.Line(
                name="Produkt A",
                quantity=2,
                unit="szt.",
                unit_price="100.00",
                vat=ac.VatRate.of(23),
                sku="SKU-1",
                discount_percent=10,
            ),
            ac.Line(
                name="Książka B", quantity=1, unit="szt.", unit_price="50.00", vat=ac.VatRate.of(5), is_service=True
            ),
        ],
    )
    return attrs.evolve(base, **changes)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> WFirmaFake:
    return WFirmaFake.demo(clock=clock)


@pytest.fixture
def connect(driver: str, fake: WFirmaFake, clock: FakeClock) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def factory(transport: Any = None, **options: Any) -> Any:
        client = open_connector(driver, "wfirma", transport=transport or fake, clock=clock, **{**SETTINGS, **options})
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def paths(fake: WFirmaFake) -> list[str]:
    return [request.url.path for request in fake.requests]


def envelope(code: str, body: str = "", message: str | None = None) -> bytes:
    extra = f"<message>{message}</message>" if message else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><api>{body}<status><code>{code}</code>{extra}</status></api>'.encode()
    )


def answering(content: bytes, status: int = 200) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering ``content`` to every request, and the requests it saw."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=content, headers={"Content-Type": "application/xml"})

    return httpx.MockTransport(handler), seen


def hijacked(fake: WFirmaFake, path: str, content: bytes, status: int = 200) -> httpx.MockTransport:
    """The fake, except that ``path`` answers ``content``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == path:
            return httpx.Response(status, content=content, headers={"Content-Type": "application/xml"})
        return fake.handle_request(request)

    return httpx.MockTransport(handler)


# Settings and what goes on every call.


def test_settings_are_checked_and_keys_stay_out_of_repr() -> None:
    with pytest.raises(ac.ConfigurationError, match="missing setting company_id"):
        WFirma.configure(**DEMO_KEYS)
    with pytest.raises(ac.ConfigurationError, match="unknown setting token"):
        WFirma.configure(**SETTINGS, token="x")
    with pytest.raises(ac.ConfigurationError, match="numeric company id"):
        WFirma.configure(**{**SETTINGS, "company_id": "acme"})
    with pytest.raises(ac.ConfigurationError, match="receipt_type"):
        WFirma.configure(**SETTINGS, receipt_type="bill")
    with pytest.raises(ac.ConfigurationError, match="max_calls"):
        WFirma.configure(**SETTINGS, max_calls=0)
    with pytest.raises(ac.ConfigurationError):
        WFirma.configure(**{**SETTINGS, "secret_key": " "})
    provider = WFirma.configure(**{**SETTINGS, "company_id": 1001})
    assert provider.settings.company_id == "1001"
    text = repr(provider.settings) + repr(provider)
    assert all(DEMO_KEYS[key] not in text for key in DEMO_KEYS)
    assert provider.account() == "1001"
    assert set(provider.secrets()) == set(DEMO_KEYS.values())
    assert WFirmaSettings.__doc__ and provider.country == "PL" and provider.title == "wFirma.pl"


def test_the_rate_limit_is_the_safest_reading_and_configurable() -> None:
    assert WFirma.rate_limits == (RateLimit(1, 1.0),)
    assert WFirma.configure(**SETTINGS).rate_limits == (RateLimit(1, 1.0),)
    assert WFirma.configure(**SETTINGS, max_calls=5, per_seconds=2).rate_limits == (RateLimit(5, 2.0),)


def test_every_call_carries_the_three_keys_the_company_and_xml(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice(use_stock=True))
    client.fetch_pdf(sent)
    client.record_payment(sent, ac.Payment(method="transfer", amount="100.00"))
    client.find_document(ac.DocumentKind.INVOICE, "order-1001")
    assert len(fake.requests) >= 5
    for request in fake.requests:
        assert request.headers["accessKey"] == DEMO_KEYS["access_key"]
        assert request.headers["secretKey"] == DEMO_KEYS["secret_key"]
        assert request.headers["appKey"] == DEMO_KEYS["app_key"]
        assert request.url.params["company_id"] == DEMO_COMPANY
        assert request.url.params["inputFormat"] == "xml" and request.url.params["outputFormat"] == "xml"
        if request.content:
            assert request.headers["Content-Type"].startswith("application/xml")
            parse_xml(request.content)
    # Never an edit: accounts on full accounting books cannot edit (§16).
    assert not any("/edit" in path for path in paths(fake))


def test_the_account_is_the_company_and_documents_land_in_it(connect: Any, fake: WFirmaFake) -> None:
    first, second = connect(), connect(company_id=SECOND_COMPANY)
    assert first.account() == DEMO_COMPANY and second.account() == SECOND_COMPANY
    a = first.send_invoice(invoice("a"))
    b = second.send_invoice(invoice("b"))
    assert a.number == b.number == "FV 1/2026"  # numbering is per company and series
    assert fake.find(reference="a").account == DEMO_COMPANY
    assert fake.find(reference="b").account == SECOND_COMPANY


# The invoice on the wire.


def test_invoice_fields_and_totals(connect: Any, fake: WFirmaFake) -> None:
    sent = connect().send_invoice(invoice(use_stock=True))
    assert sent.number == "FV 1/2026" and sent.external_id and sent.kind is ac.DocumentKind.INVOICE
    assert sent.issue_date == DAY and sent.raw["line_ids"]
    root = parse_xml(fake.requests[-1].content)
    record = root.find("invoices/invoice")
    assert record is not None
    assert record.findtext("type") == "normal"
    assert record.findtext("id_external") == "order-1001"
    assert record.findtext("paymentmethod") == "transfer"
    assert record.findtext("paymentdate") == "2026-01-29"
    assert record.findtext("price_type") == "netto"
    assert record.findtext("contractor/nip") == "5252344078"
    assert record.findtext("contractor/tax_id_type") == "nip"
    lines = record.findall("invoicecontents/invoicecontent")
    # Always the account's vat_code id, never a bare vat that could be reset to 23 % (§16).
    assert [line.findtext("vat_code/id") for line in lines] == [
        fake.vat_code_id(DEMO_COMPANY, "23"),
        fake.vat_code_id(DEMO_COMPANY, "5"),
    ]
    assert all(line.find("vat") is None for line in lines)
    assert lines[0].findtext("discount") == "1" and lines[0].findtext("discount_percent") == "10"
    assert lines[0].findtext("good/id") == fake.good(DEMO_COMPANY, "SKU-1")["id"]
    assert lines[1].find("good") is None
    stored = fake.find(reference="order-1001")
    expected = document_totals(invoice().lines, prices_include_vat=False, method=TotalsMethod.PER_RATE)
    assert stored.total == expected.total.gross == Decimal("273.90")


def test_vat_ids_are_the_accounts_own(connect: Any, fake: WFirmaFake) -> None:
    connect(company_id=SECOND_COMPANY).send_invoice(invoice())
    record = parse_xml(fake.requests[-1].content).find("invoices/invoice")
    assert record is not None
    ids = [line.findtext("vat_code/id") for line in record.findall("invoicecontents/invoicecontent")]
    assert ids == [fake.vat_code_id(SECOND_COMPANY, "23"), fake.vat_code_id(SECOND_COMPANY, "5")]
    assert ids[0] != fake.vat_code_id(DEMO_COMPANY, "23")


def test_a_rate_the_account_lacks_is_refused_before_the_create(connect: Any, fake: WFirmaFake) -> None:
    line = ac.Line(name="X", quantity=1, unit="szt.", unit_price="10.00", vat=ac.VatRate.of(25))
    with pytest.raises(ac.ValidationError, match=r"lines\[0\].vat"):
        connect().send_invoice(invoice(lines=[line]))
    assert "/invoices/add" not in paths(fake)


def test_special_vat_codes_and_their_listing(connect: Any) -> None:
    assert vat_code_of(ac.VatRate.special(ac.VatKind.EXEMPT)) == "ZW"
    assert vat_code_of(ac.VatRate.special(ac.VatKind.REVERSE_CHARGE)) == "VAT_BUYER"
    assert vat_code_of(ac.VatRate.of("8.0")) == "8"
    assert vat_rate_of("zw") == ac.VatRate.special(ac.VatKind.EXEMPT)
    assert vat_rate_of("nonsense") is None
    rates = connect().list_vat_rates()
    names = {rate.name for rate in rates}
    assert {"23", "8", "5", "0", "ZW", "NP", "WDT", "EXP"} <= names
    assert next(rate for rate in rates if rate.is_default).name == "23"
    exempt = ac.Line(
        name="Usługa", quantity=1, unit="usł.", unit_price="10.00", vat=ac.VatRate.special(ac.VatKind.EXEMPT)
    )
    assert connect().send_invoice(invoice("zw", lines=[exempt])).number


def test_gross_prices_foreign_buyers_and_persons(connect: Any, fake: WFirmaFake) -> None:
    person = ac.Party(name="Jan Nowak", address=ac.Address(city="Kraków", country="PL"))
    client = connect()
    client.send_invoice(invoice("person", buyer=person, prices_include_vat=True))
    record = parse_xml(fake.requests[-1].content).find("invoices/invoice")
    assert record is not None
    assert record.findtext("price_type") == "brutto"
    assert record.findtext("contractor/tax_id_type") == "none"
    assert record.findtext("contractor/zip") == "-"  # W-GUIDE: non-empty zip and city
    german = ac.Party(
        name="GmbH", tax_id="DE123456789", is_company=True, address=ac.Address(city="Berlin", country="DE")
    )
    client.send_invoice(invoice("de", buyer=german))
    record = parse_xml(fake.requests[-1].content).find("invoices/invoice")
    assert record is not None and record.findtext("contractor/tax_id_type") == "vat"
    expected = document_totals(invoice().lines, prices_include_vat=True, method=TotalsMethod.PER_RATE)
    assert fake.find(reference="person").total == expected.total.gross


def test_paid_at_issue_and_series_by_name(connect: Any, fake: WFirmaFake) -> None:
    series_id = fake.add_series(DEMO_COMPANY, "WEB", "WEB/[numer]/[rok]", "normal")
    client = connect()
    sent = client.send_invoice(invoice(series="WEB", payment=ac.Payment(method="card", amount="273.90")))
    assert sent.number == "WEB/1/2026"
    record = parse_xml(fake.requests[-1].content).find("invoices/invoice")
    assert record is not None and record.findtext("series/id") == series_id
    assert record.findtext("paymentmethod") == "payment_card"
    assert fake.find(reference="order-1001").paid == Decimal("273.90")
    with pytest.raises(ac.ValidationError, match="not a wFirma series"):
        client.send_invoice(invoice("x", series="NOPE"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"exchange_rate": "4.30"}, "exchange_rate"),
        ({"number": "7"}, "number"),
        ({"language": "en"}, "language"),
        ({"warehouse": "Główny"}, "warehouse"),
    ],
)
def test_what_wfirma_cannot_take_is_refused_before_any_request(
    connect: Any, fake: WFirmaFake, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(**changes))
    assert caught.value.field == field and fake.request_count == 0


def test_more_decimals_than_wfirma_keeps_is_refused(connect: Any, fake: WFirmaFake) -> None:
    line = ac.Line(name="X", quantity="1.23456", unit="kg", unit_price="1.00", vat=ac.VatRate.of(23))
    with pytest.raises(ac.ValidationError, match="four decimal"):
        connect().send_invoice(invoice(lines=[line]))
    line = ac.Line(name="X", quantity=1, unit="kg", unit_price="1.005", vat=ac.VatRate.of(23))
    with pytest.raises(ac.ValidationError, match="two decimal"):
        connect().send_invoice(invoice(lines=[line]))
    assert "/invoices/add" not in paths(fake)


def test_a_missing_sku_stops_the_create(connect: Any, fake: WFirmaFake) -> None:
    line = ac.Line(name="Nieznany", quantity=1, unit="szt.", unit_price="1.00", vat=ac.VatRate.of(23), sku="NOPE-9")
    with pytest.raises(ac.ValidationError, match=r"lines\[0\].sku.*NOPE-9"):
        connect().send_invoice(invoice(lines=[line], use_stock=True))
    assert "/goods/find" in paths(fake) and "/invoices/add" not in paths(fake)


def test_stock_moves_only_when_asked(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    client.send_invoice(invoice("no-stock"))
    assert fake.good(DEMO_COMPANY, "SKU-1")["count"] == 100
    assert "/goods/find" not in paths(fake)
    client.send_invoice(invoice("stock", use_stock=True))
    assert fake.good(DEMO_COMPANY, "SKU-1")["count"] == 98


# Receipts, corrections, PDF, payments, lists.


def test_receipts(connect: Any, fake: WFirmaFake) -> None:
    line = ac.Line(name="Kawa", quantity=2, unit="szt.", unit_price="12.30", vat=ac.VatRate.of(23))
    receipt = ac.Receipt(reference="r-1", issue_date=DAY, currency="PLN", lines=[line], payment_method="cash")
    sent = connect().send_receipt(receipt)
    assert sent.kind is ac.DocumentKind.RECEIPT and sent.number == "PAR 1/2026"
    record = parse_xml(fake.requests[-1].content).find("invoices/invoice")
    assert record is not None
    assert record.findtext("type") == "receipt_fiscal_normal" and record.find("contractor") is None
    assert record.findtext("price_type") == "brutto" and record.findtext("alreadypaid_initial") == "24.60"
    stored = fake.find(reference="r-1")
    assert stored.total == stored.paid == Decimal("24.60")
    other = connect(receipt_type="receipt_normal").send_receipt(attrs.evolve(receipt, reference="r-2"))
    assert other.number == "DS 1/2026" and fake.find(reference="r-2").kind == "receipt_normal"
    buyer = ac.Party(name="Anna", address=ac.Address(city="Gdańsk", postal_code="80-001", country="PL"))
    connect().send_receipt(attrs.evolve(receipt, reference="r-3", buyer=buyer))
    assert fake.find(reference="r-3").detail["contractor"]["name"] == "Anna"


def test_a_full_reversal_links_every_line(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    original = invoice()
    sent = client.send_invoice(original)
    correction = ac.Correction.full_reversal(
        reference="order-1001-k", original=original, original_document=sent, reason="Zwrot", issue_date=DAY
    )
    corrected = client.send_correction(correction)
    assert corrected.kind is ac.DocumentKind.CORRECTION and corrected.number == "KOR 1/2026"
    record = parse_xml(fake.requests[-1].content).find("invoices/invoice")
    assert record is not None
    assert record.findtext("type") == "correction" and record.findtext("parent_id") == sent.external_id
    assert record.findtext("description") == "Zwrot"
    lines = record.findall("invoicecontents/invoicecontent")
    assert [line.findtext("parent_id") for line in lines] == sent.raw["line_ids"]
    assert [line.findtext("count") for line in lines] == ["0", "0"]
    stored = fake.find(reference="order-1001-k")
    assert stored.corrects == sent.external_id and stored.total == -fake.find(reference="order-1001").total


def test_a_partial_correction_sends_the_after_state(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    original = invoice()
    sent = client.send_invoice(original)
    after = (attrs.evolve(original.lines[0], quantity=1), original.lines[1])
    correction = ac.Correction(
        reference="k-2", original=original, original_document=sent, lines=after, reason="Zwrot 1 szt.", issue_date=DAY
    )
    client.send_correction(correction)
    # 1 x 100 x 0.9 = 90 net at 23 %: the total falls by 90 + 20.70.
    assert fake.find(reference="k-2").total == Decimal("-110.70")


def test_a_correction_of_a_found_document_reads_its_lines(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    original = invoice()
    client.send_invoice(original)
    found = client.find_document(ac.DocumentKind.INVOICE, "order-1001")
    bare = attrs.evolve(found, raw={})
    correction = ac.Correction.full_reversal(
        reference="k-3", original=original, original_document=bare, reason="Zwrot", issue_date=DAY
    )
    assert client.send_correction(correction).number
    assert any(path.startswith("/invoices/get/") for path in paths(fake))
    foreign = attrs.evolve(found, provider="ifirma")
    with pytest.raises(ac.ValidationError, match=r"original_document\.provider"):
        client.send_correction(attrs.evolve(correction, original_document=foreign))


def test_pdf(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice())
    pdf = client.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"FV 1/2026" in pdf
    request = fake.requests[-1]
    assert request.url.path == f"/invoices/download/{sent.external_id}"
    names = [p.findtext("name") for p in parse_xml(request.content).iter("parameter")]
    values = {p.findtext("name"): p.findtext("value") for p in parse_xml(request.content).iter("parameter")}
    assert "page" in names and values["page"] == "invoice"
    with pytest.raises(ac.NotFound):
        client.fetch_pdf(attrs.evolve(sent, external_id="999"))
    with pytest.raises(ac.ValidationError):
        client.fetch_pdf(attrs.evolve(sent, external_id="FV 1/2026"))


def test_a_pdf_answer_that_is_not_a_pdf(connect: Any) -> None:
    transport, _ = answering(b"<html>busy</html>")
    document = ac.SentDocument(provider="wfirma", kind=ac.DocumentKind.INVOICE, reference="x", external_id="1")
    with pytest.raises(ac.ServerError):
        connect(transport=transport).fetch_pdf(document)


def test_payments(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice())
    recorded = client.record_payment(sent, ac.Payment(method="przelew", amount="273.90", paid_on=DAY))
    assert recorded.kind is ac.DocumentKind.PAYMENT and recorded.external_id
    body = parse_xml(fake.requests[-1].content).find("payments/payment")
    assert body is not None
    assert body.findtext("object_name") == "invoice" and body.findtext("object_id") == sent.external_id
    assert body.findtext("value") == "273.90" and body.findtext("date") == "2026-01-15"
    assert body.findtext("payment_method") == "transfer"
    assert fake.find(reference="order-1001").paid == Decimal("273.90")
    with pytest.raises(ac.ValidationError, match="payment_card"):
        client.record_payment(sent, ac.Payment(method="bitcoin", amount="1.00"))
    with pytest.raises(ac.ProviderValidationError) as caught:
        client.record_payment(attrs.evolve(sent, external_id="999"), ac.Payment(method="cash", amount="1.00"))
    assert "payment.object_id" in caught.value.field_errors


def test_series_and_payment_types(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    series = client.list_series()
    assert {(s.name, s.kind) for s in series} >= {("FV", ac.DocumentKind.INVOICE), ("KOR", ac.DocumentKind.CORRECTION)}
    before = fake.request_count
    types = client.list_payment_types()
    assert fake.request_count == before
    assert (
        [t.name for t in types]
        == ["cash", "transfer", "compensation", "cod", "payment_card"]
        == [t.name for t in PAYMENT_TYPES]
    )


def test_paging_reads_every_vat_code(connect: Any, fake: WFirmaFake) -> None:
    company = fake.companies[DEMO_COMPANY]
    from accounting_connectors.testing.wfirma.fake import _VatCode

    for index in range(150):  # ~144 codes per account (§6.1): more than one page of 100
        company.vat_codes[str(5000 + index)] = _VatCode(str(5000 + index), "", Decimal(19), "DE")
    company.vat_codes["9999"] = _VatCode("9999", "7", Decimal(7))
    connect().list_vat_rates()
    pages = [r for r in fake.requests if r.url.path == "/vat_codes/find"]
    assert len(pages) == 2


# Lookup by reference and send-once.


def test_find_document(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice())
    found = client.find_document(ac.DocumentKind.INVOICE, "order-1001")
    assert found is not None and found.number == sent.number and found.external_id == sent.external_id
    condition = parse_xml(fake.requests[-1].content).find("invoices/parameters/conditions/condition")
    assert condition is not None and condition.findtext("field") == "id_external"
    assert client.find_document(ac.DocumentKind.INVOICE, "never-sent") is None
    assert client.find_document(ac.DocumentKind.RECEIPT, "order-1001") is None
    with pytest.raises(ac.ValidationError):
        client.find_document(ac.DocumentKind.PAYMENT, "order-1001")


def test_find_document_when_find_ignores_the_filter(driver: str, clock: FakeClock) -> None:
    fake = WFirmaFake.demo(clock=clock)
    fake.filters_id_external = False  # UNCERTAIN (§14): the other reading
    client = open_connector(driver, "wfirma", transport=fake, clock=clock, **SETTINGS)
    try:
        for index in range(130):
            client.send_invoice(invoice(f"bulk-{index}"))
        found = client.find_document(ac.DocumentKind.INVOICE, "bulk-120")
        assert found is not None and found.reference == "bulk-120"
        assert found.number == fake.find(reference="bulk-120").number
        assert client.find_document(ac.DocumentKind.INVOICE, "nothing") is None
    finally:
        client.close()


def test_a_lost_answer_after_commit_is_ambiguous_and_found(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "invoices/add")
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        client.send_invoice(invoice())
    assert caught.value.retry_safe is False
    assert paths(fake).count("/invoices/add") == 1 and len(fake.documents) == 1
    assert client.find_document(ac.DocumentKind.INVOICE, "order-1001") is not None
    assert "id_external" in client.reconcile_hint(ac.DocumentKind.INVOICE, "order-1001")


def test_fatal_on_a_write_is_ambiguous(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    fake.inject_fatal_after_commit()
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        client.send_invoice(invoice())
    assert isinstance(caught.value.__cause__, ac.ServerError) and "FATAL" in caught.value.message
    assert paths(fake).count("/invoices/add") == 1
    assert client.find_document(ac.DocumentKind.INVOICE, "order-1001") is not None


def test_a_server_error_on_a_create_is_ambiguous_and_nothing_was_stored(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    fake.inject(Fault.SERVER_ERROR, "invoices/add")
    with pytest.raises(ac.AmbiguousOutcome):
        client.send_invoice(invoice())
    assert paths(fake).count("/invoices/add") == 1 and fake.documents == []
    assert client.find_document(ac.DocumentKind.INVOICE, "order-1001") is None


def test_an_error_under_200_is_fatal_and_ambiguous(connect: Any, fake: WFirmaFake) -> None:
    fake.inject(Fault.ERROR_TEXT_200, "invoices/add")
    with pytest.raises(ac.AmbiguousOutcome):
        connect().send_invoice(invoice())


def test_a_reset_before_sending_is_retried_once_sent(connect: Any, fake: WFirmaFake) -> None:
    fake.inject(Fault.CONNECTION_RESET, "invoices/add")
    sent = connect().send_invoice(invoice())
    assert sent.number == "FV 1/2026" and len(fake.documents) == 1 and len(fake.dropped_requests) == 1


def test_a_lost_payment_answer_is_not_resent(connect: Any, fake: WFirmaFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice())
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "payments/add")
    with pytest.raises(ac.AmbiguousOutcome):
        client.record_payment(sent, ac.Payment(method="cash", amount="10.00"))
    assert paths(fake).count("/payments/add") == 1 and fake.find(reference="order-1001").paid == Decimal("10.00")
    fake.inject_fatal_after_commit("payments/add")
    with pytest.raises(ac.AmbiguousOutcome):
        client.record_payment(sent, ac.Payment(method="cash", amount="10.00"))


def test_reads_are_retried_after_a_timeout(connect: Any, fake: WFirmaFake) -> None:
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "series/find")
    assert connect().list_series()
    assert paths(fake).count("/series/find") == 2


# Authentication, companies, limits.


def test_wrong_keys_then_the_five_minute_lock(connect: Any, fake: WFirmaFake, clock: FakeClock) -> None:
    wrong = connect(secret_key="wrong")
    for _ in range(5):
        with pytest.raises(ac.AuthenticationError):
            wrong.list_series()
    with pytest.raises(ac.RateLimited) as caught:
        wrong.list_series()
    assert caught.value.retry_at == pytest.approx(clock.time() + 300)
    before = fake.request_count
    with pytest.raises(ac.RateLimited):
        wrong.list_series()  # the driver holds the credential: no request is made
    assert fake.request_count == before
    right = connect()
    with pytest.raises(ac.RateLimited, match="5 MINUTES"):
        right.list_series()  # the lock is on the login, right keys or not
    clock.advance(301)
    assert connect().list_series()


def test_key_rotation(connect: Any, fake: WFirmaFake) -> None:
    access, secret = fake.rotate_keys(DEMO_KEYS["access_key"])
    with pytest.raises(ac.AuthenticationError):
        connect().list_series()
    assert connect(access_key=access, secret_key=secret).list_series()


def test_a_company_of_someone_else_is_denied(connect: Any, fake: WFirmaFake) -> None:
    fake.add_company("2002", "Cudza")
    with pytest.raises(ac.PermissionDenied):
        connect(company_id="2002").list_series()


def test_secrets_are_redacted(connect: Any) -> None:
    transport, _ = answering(envelope("AUTH", message=f"bad key {DEMO_KEYS['secret_key']}"))
    with pytest.raises(ac.AuthenticationError) as caught:
        connect(transport=transport).list_series()
    assert DEMO_KEYS["secret_key"] not in str(caught.value) and "***" in str(caught.value)


def test_the_request_limit_backs_off_a_minute(driver: str, clock: FakeClock) -> None:
    fake = WFirmaFake(clock=clock, requests_per_minute=10)
    demo = WFirmaFake.demo(clock=clock)
    fake.companies, fake.users, fake.app_keys = demo.companies, demo.users, demo.app_keys
    client = open_connector(driver, "wfirma", transport=fake, clock=clock, **SETTINGS, max_calls=100)
    try:
        start = clock.time()
        for _ in range(12):
            client.list_series()
        assert fake.penalties >= 1
        assert clock.time() - start >= 60  # TOTAL REQUESTS LIMIT EXCEEDED: waited limit_backoff_seconds
    finally:
        client.close()


# The envelope, code by code.

VALIDATION = """<invoices><invoice><type>normal</type>
<errors><error><field>date</field><message>Data musi być w formacie RRRR-MM-DD</message></error></errors>
<contractor><errors><error><field>name</field><message>Pole nie może być puste</message></error>
<error><field>zip</field><message>Pole nie może być puste</message></error></errors></contractor>
<invoicecontents><invoicecontent><name>a</name></invoicecontent><invoicecontent><errors><error><field>name</field>
<message>Treść nie moze być pusta</message><method><name>require</name><parameters></parameters></method></error>
</errors></invoicecontent></invoicecontents></invoice></invoices>"""


@pytest.mark.parametrize(
    ("code", "read_error", "write_error"),
    [
        ("ACCESS DENIED", ac.PermissionDenied, ac.PermissionDenied),
        ("ACTION NOT FOUND", ac.ProviderError, ac.ProviderError),
        ("AUTH", ac.AuthenticationError, ac.AuthenticationError),
        ("AUTH FAILED LIMIT WAIT 5 MINUTES", ac.RateLimited, ac.RateLimited),
        ("COMPANY ID REQUIRED", ac.ConfigurationError, ac.ConfigurationError),
        ("DENIED SCOPE REQUESTED", ac.PermissionDenied, ac.PermissionDenied),
        ("FATAL", ac.ServerError, ac.AmbiguousOutcome),
        ("INPUT ERROR", ac.ProviderValidationError, ac.ProviderValidationError),
        ("NOT FOUND", ac.NotFound, ac.NotFound),
        ("OUT OF SERVICE", ac.ServerError, ac.ProviderError),
        ("SNAPSHOT LOCK", ac.ServerError, ac.ProviderError),
        ("TOTAL REQUESTS LIMIT EXCEEDED", ac.RateLimited, ac.RateLimited),
        ("TOTAL EXECUTION TIME LIMIT EXCEEDED", ac.RateLimited, ac.RateLimited),
        ("SOMETHING NEW", ac.ServerError, ac.AmbiguousOutcome),
    ],
)
def test_every_status_code_is_mapped(
    connect: Any, code: str, read_error: type[Exception], write_error: type[Exception]
) -> None:
    transport, seen = answering(envelope(code))
    client = connect(transport=transport, max_retries=0)
    with pytest.raises(read_error) as caught:
        client.list_series()
    assert code in str(caught.value) or isinstance(caught.value, ac.ConfigurationError)
    document = ac.SentDocument(provider="wfirma", kind=ac.DocumentKind.INVOICE, reference="x", external_id="1")
    with pytest.raises(write_error) as written:
        client.record_payment(document, ac.Payment(method="cash", amount="1.00"))
    if write_error is ac.ProviderError:
        assert not isinstance(written.value, (ac.AmbiguousOutcome, ac.ServerError)) and written.value.retry_safe
    if write_error is ac.RateLimited:
        assert written.value.retry_at is not None
    assert all(request.url.params["company_id"] == DEMO_COMPANY for request in seen)


def test_the_5_minute_penalty_is_the_retry_time(connect: Any, clock: FakeClock) -> None:
    transport, seen = answering(envelope("AUTH FAILED LIMIT WAIT 5 MINUTES"))
    client = connect(transport=transport)
    with pytest.raises(ac.RateLimited) as caught:
        client.list_series()
    assert caught.value.retry_at == pytest.approx(clock.time() + 300) and len(seen) == 1
    with pytest.raises(ac.RateLimited):
        client.list_series()
    assert len(seen) == 1


def test_a_limit_code_is_retried_after_the_backoff(connect: Any, clock: FakeClock) -> None:
    answers = [envelope("TOTAL REQUESTS LIMIT EXCEEDED"), envelope("OK", "<series></series>")]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answers.pop(0) if len(answers) > 1 else answers[0])

    start = clock.time()
    assert connect(transport=httpx.MockTransport(handler)).list_series() == []
    assert clock.time() - start >= 60


def test_validation_errors_are_collected_from_every_record(connect: Any, fake: WFirmaFake) -> None:
    transport = hijacked(fake, "/invoices/add", envelope("ERROR", VALIDATION))
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect(transport=transport).send_invoice(invoice())
    errors = caught.value.field_errors
    assert errors == {
        "invoice.date": ["Data musi być w formacie RRRR-MM-DD"],
        "invoice.contractor.name": ["Pole nie może być puste"],
        "invoice.contractor.zip": ["Pole nie może być puste"],
        "invoice.invoicecontents[1].name": ["Treść nie moze być pusta"],
    }
    assert "invoice.contractor.zip" in caught.value.message and caught.value.retry_safe


def test_a_generic_error_with_a_message_and_the_not_found_text(connect: Any) -> None:
    message = "Nie można zlecić automatycznej wysyłki emaila z dokumentem danego typu."
    transport, _ = answering(envelope("ERROR", message=message))
    with pytest.raises(ac.ProviderValidationError, match="automatycznej") as caught:
        connect(transport=transport).list_series()
    assert caught.value.field_errors == {"": [message]}
    text = "Nie znaleziono obiektu. Wybrany zasób nie istnieje lub został usunięty."
    transport, _ = answering(envelope("ERROR", message=text))
    with pytest.raises(ac.NotFound):
        connect(transport=transport).list_series()


def test_an_answer_without_status_is_outcome_unknown(connect: Any, fake: WFirmaFake) -> None:
    transport = hijacked(fake, "/invoices/add", b"<api><invoices/></api>")
    with pytest.raises(ac.AmbiguousOutcome, match="without status"):
        connect(transport=transport).send_invoice(invoice())


@pytest.mark.parametrize("status", [500, 502, 404])
def test_http_errors_are_transport_level(connect: Any, status: int) -> None:
    transport, seen = answering(b"oops", status)
    with pytest.raises(ac.ServerError):
        connect(transport=transport, max_retries=1).list_series()
    assert len(seen) == 2  # a read is retried
    transport, seen = answering(b"oops", status)
    document = ac.SentDocument(provider="wfirma", kind=ac.DocumentKind.INVOICE, reference="x", external_id="1")
    with pytest.raises(ac.AmbiguousOutcome):
        connect(transport=transport).record_payment(document, ac.Payment(method="cash", amount="1.00"))
    assert len(seen) == 1


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<api><status><code>&lol9;</code></status></api>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE api [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<api><status><code>&x;</code></status></api>"""


@pytest.mark.parametrize("content", [BOMB, EXTERNAL, b"<api><status><code>OK</code>", b'{"status": 1}'])
def test_a_hostile_or_broken_answer_is_a_typed_error_at_once(connect: Any, fake: WFirmaFake, content: bytes) -> None:
    transport, _ = answering(content)
    started = time.perf_counter()
    with pytest.raises(ac.ServerError, match="unreadabl"):
        connect(transport=transport, max_retries=0).list_series()
    with pytest.raises(ac.AmbiguousOutcome, match="unreadabl"):
        connect(transport=hijacked(fake, "/invoices/add", content)).send_invoice(invoice())
    assert time.perf_counter() - started < 2.0
    with pytest.raises(UnreadableAnswer):
        parse_xml(content)


def test_error_for_directly() -> None:
    provider = WFirma.configure(**SETTINGS)
    request = httpx.Request("POST", "https://api2.wfirma.pl/invoices/add")
    call = Call(request, "send_invoice", creates=True)
    ok = httpx.Response(200, content=envelope("OK"), request=request)
    assert provider.error_for(ok, call, 0.0) is None
    pdf = httpx.Response(200, content=b"%PDF-1.4 ...", request=request)
    assert provider.error_for(pdf, call, 0.0) is None
    locked = provider.error_for(httpx.Response(200, content=envelope("AUTH FAILED LIMIT WAIT 5 MINUTES")), call, 100.0)
    assert isinstance(locked, ac.RateLimited) and locked.retry_at == 400.0
    limited = provider.error_for(httpx.Response(200, content=envelope("TOTAL REQUESTS LIMIT EXCEEDED")), call, 100.0)
    assert isinstance(limited, ac.RateLimited) and limited.retry_at == 160.0
    throttled = provider.error_for(httpx.Response(429, content=b""), call, 0.0)
    assert isinstance(throttled, ac.RateLimited)


# The wire codec.

xml_texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=40,
)


@given(xml_texts)
@settings(max_examples=300, deadline=None)
def test_xml_escaping_round_trips_exactly(value: str) -> None:
    try:
        document = xml_document(("api", [("invoices", [("invoice", [("description", value), ("x", "&<>")])])]))
    except ac.ValidationError as error:
        assert any((ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff" for ch in value)
        assert error.field == "api.invoices.invoice.description"
        return
    parsed = parse_xml(document)
    assert (parsed.findtext("invoices/invoice/description") or "") == value
    assert parsed.findtext("invoices/invoice/x") == "&<>"


@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
        lambda value: value.strip() == value and value != ""
    )
)
@settings(max_examples=60, deadline=None)
def test_names_arrive_at_the_fake_exactly(name: str) -> None:
    clock = FakeClock()
    fake = WFirmaFake.demo(clock=clock)
    with ac.connect("wfirma", SETTINGS, transport=fake, clock=clock) as client:
        line = ac.Line(name=name, quantity=1, unit="szt.", unit_price="1.00", vat=ac.VatRate.of(23))
        client.send_invoice(invoice(notes=name + "\r\n&", lines=[line]))
    stored = fake.documents[-1]
    assert stored.detail["lines"][0]["name"] == name
    assert stored.detail["description"] == (name + "\r\n&").strip()


def test_control_characters_are_refused_before_sending(connect: Any, fake: WFirmaFake) -> None:
    with pytest.raises(ac.ValidationError, match="U\\+0007"):
        connect().send_invoice(invoice(notes="bell \x07"))
    assert "/invoices/add" not in paths(fake)


line_strategy = st.builds(
    ac.Line,
    name=st.just("Towar"),
    quantity=decimals("0.0001", "500", 4),
    unit=st.just("szt."),
    unit_price=decimals("0.01", "5000", 2),
    vat=st.sampled_from(["23", "8", "5", "0"]).map(ac.VatRate.of) | st.just(ac.VatRate.special(ac.VatKind.EXEMPT)),
    discount_percent=st.none() | decimals("0.01", "100", 2),
)


@given(st.lists(line_strategy, min_size=1, max_size=6), st.booleans())
@settings(max_examples=120, deadline=None)
def test_the_totals_wfirma_books_are_the_polish_per_rate_totals(lines: list[ac.Line], gross: bool) -> None:
    clock = FakeClock()
    fake = WFirmaFake.demo(clock=clock)
    with ac.connect("wfirma", SETTINGS, transport=fake, clock=clock) as client:
        client.send_invoice(invoice(lines=lines, prices_include_vat=gross))
    expected = document_totals(lines, prices_include_vat=gross, method=TotalsMethod.PER_RATE).total
    stored = fake.documents[-1]
    assert stored.total == expected.gross
    assert stored.detail["netto"] == expected.net and stored.detail["tax"] == expected.vat


def test_field_errors_of_a_payment_answer() -> None:
    root = parse_xml(
        envelope(
            "ERROR",
            "<payments><payment><errors><error><field>value</field><message>x</message></error></errors>"
            "</payment></payments>",
        )
    )
    assert field_errors(root) == {"payment.value": ["x"]}


# Bulk export and the connect overload.


def test_bulk_export_stays_under_the_limit_without_a_penalty(tmp_path: Any) -> None:
    from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger

    clock = FakeClock()
    fake = WFirmaFake.demo(clock=clock)
    conn = ac.connect("wfirma", SETTINGS, transport=fake, clock=clock)
    exporter = Exporter(conn, IntegrationSettings(max_concurrency=4), SQLiteLedger(tmp_path / "l.db"), clock=clock.time)
    start = clock.time()
    report = exporter.export_many(invoice(f"B-{index}") for index in range(60))
    elapsed = clock.time() - start
    # One vat_codes read, then one create per document, one a second (§13's safest reading).
    assert report.sent == 60 and fake.penalties == 0 and fake.request_count == 61
    assert 59 <= elapsed < 62
    conn.close()


def test_the_connect_overload_catches_misspelt_settings(tmp_path: Any) -> None:
    from mypy import api as mypy_api

    source = tmp_path / "uses_wfirma.py"
    source.write_text(
        "import accounting_connectors as ac\n"
        'ac.connect("wfirma", access_key="a", secret_key="s", app_key="k", company_id="1", max_calls=2)\n'
        'ac.connect("wfirma", access_key="a", secret_key="s", app_key="k", company="1")\n'
        'ac.connect_async("wfirma", access_key="a", secret_key="s", app_key="k", company_id="1", timeout=5.0)\n'
        'ac.connect_async("wfirma", access_key="a", secret_key="s", company_id="1")\n',
        encoding="utf-8",
    )
    out, err, _ = mypy_api.run(["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(source)])
    errors = {line.split(":")[1] for line in out.splitlines() if ": error:" in line}
    assert errors == {"3", "5"}, out + err


CREATE_FAULTS = st.sampled_from(
    [Fault.TIMEOUT_BEFORE_COMMIT, Fault.TIMEOUT_AFTER_COMMIT, Fault.SERVER_ERROR, Fault.CONNECTION_RESET, None]
)


@given(CREATE_FAULTS, st.booleans())
@settings(max_examples=40, deadline=None)
def test_whatever_fails_a_create_ends_as_at_most_one_document_and_lookup_tells(
    fault: Fault | None, fatal: bool
) -> None:
    clock = FakeClock()
    fake = WFirmaFake.demo(clock=clock)
    if fault is not None:
        fake.inject(fault, "invoices/add")
    elif fatal:
        fake.inject_fatal_after_commit()
    with ac.connect("wfirma", SETTINGS, transport=fake, clock=clock) as client:
        try:
            sent = client.send_invoice(invoice())
        except ac.AmbiguousOutcome:
            sent = None
        found = client.find_document(ac.DocumentKind.INVOICE, "order-1001")
    assert paths(fake).count("/invoices/add") <= 1 and len(fake.documents) <= 1
    assert (found is not None) == (len(fake.documents) == 1)
    if sent is not None:
        assert found is not None and found.number == sent.number
