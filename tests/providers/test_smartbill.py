"""Every SmartBill operation end to end against the fake, through Client and AsyncClient."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.smartbill import BASE_URL, SmartBill, SmartBillSettings
from accounting_connectors.flow import Call
from accounting_connectors.provider import dump_json
from accounting_connectors.ratelimit import CredentialLimiter
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.smartbill import SmartBillFake

from ..drivers import DRIVERS, open_connector
from ..strategies import invoices

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, smartbill_fake: SmartBillFake, fake_clock: FakeClock) -> Iterator[Any]:
    """A factory of connectors to the fake, sync or async, with the same blocking interface."""
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        settings = {**CREDENTIALS, **options}
        client = open_connector(request.param, "smartbill", transport=smartbill_fake, clock=fake_clock, **settings)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def invoice(**changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": "order-1001",
        "issue_date": "2026-01-15",
        "buyer": ac.Party(
            name="Client Exemplu SRL",
            tax_id="RO987654",
            is_company=True,
            registration_number="J40/123/2020",
            address=ac.Address(street="Str. Lunga 1", city="Brasov", region="Brasov", country="RO"),
            email="office@client.ro",
        ),
        "lines": [
            ac.Line(name="Tricou", quantity="2", unit="buc", unit_price="49.90", vat=ac.VatRate.of(21), sku="TR-1"),
            ac.Line(
                name="Transport", quantity="1", unit="buc", unit_price="15.00", vat=ac.VatRate.of(21), is_service=True
            ),
        ],
        "currency": "RON",
        "prices_include_vat": True,
        "due_date": "2026-01-30",
    }
    values.update(changes)
    return ac.Invoice(**values)


def body_of(request: Any) -> dict[str, Any]:
    return json.loads(request.content, parse_float=Decimal)  # type: ignore[no-any-return]


def posts(fake: SmartBillFake, path: str) -> list[dict[str, Any]]:
    return [
        body_of(request)
        for request in fake.requests
        if request.method == "POST" and request.url.path.endswith("/api/" + path)
    ]


def test_send_invoice_issues_the_next_number(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    second = conn.send_invoice(invoice(reference="order-1002"))
    assert (first.series, first.number) == ("FCT", "0001")
    assert second.number == "0002"
    assert first.kind is ac.DocumentKind.INVOICE and first.reference == "order-1001"
    stored = smartbill_fake.invoices("FCT")
    assert [document.number for document in stored] == ["0001", "0002"]
    assert stored[0].total == Decimal("114.80")


def test_send_invoice_sends_what_smartbill_documents(connect: Any, smartbill_fake: SmartBillFake) -> None:
    connect().send_invoice(invoice(notes="Comanda 1001", sale_date="2026-01-14", language="ro"))
    body = posts(smartbill_fake, "invoice")[0]
    assert body["companyVatCode"] == "RO12345678"
    assert body["client"]["saveToDb"] is False  # SmartBill's default would overwrite the stored client
    assert body["client"]["vatCode"] == "RO987654" and body["client"]["isTaxPayer"] is True
    assert body["client"]["county"] == "Brasov" and body["client"]["country"] == "Romania"
    assert body["issueDate"] == "2026-01-15" and body["dueDate"] == "2026-01-30"
    assert body["deliveryDate"] == "2026-01-14" and body["mentions"] == "Comanda 1001"
    assert body["language"] == "RO"
    product = body["products"][0]
    assert product["price"] == Decimal("49.90") and product["quantity"] == 2
    assert (product["taxName"], product["taxPercentage"]) == ("Normala", 21)
    assert product["isTaxIncluded"] is True and product["measuringUnitName"] == "buc"
    assert product["code"] == "TR-1"
    assert body["products"][1]["isService"] is True


def test_vat_names_are_read_from_the_account(connect: Any, smartbill_fake: SmartBillFake) -> None:
    smartbill_fake.taxes = [("Standard", Decimal(21)), ("Taxare inversa", Decimal(0))]
    conn = connect()
    conn.send_invoice(invoice())
    assert posts(smartbill_fake, "invoice")[0]["products"][0]["taxName"] == "Standard"
    reverse = ac.Line(
        name="Servicii", quantity=1, unit="ora", unit_price=100, vat=ac.VatRate.special(ac.VatKind.REVERSE_CHARGE)
    )
    conn.send_invoice(invoice(reference="o-2", lines=[reverse]))
    assert posts(smartbill_fake, "invoice")[1]["products"][0]["taxName"] == "Taxare inversa"
    gets = [request for request in smartbill_fake.requests if request.url.path.endswith("/tax")]
    assert len(gets) == 1  # read once, then cached


def test_a_vat_rate_the_account_lacks_is_refused_before_the_create(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    odd = ac.Line(name="Carte", quantity=1, unit="buc", unit_price=30, vat=ac.VatRate.of(7))
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_invoice(invoice(lines=[odd]))
    assert caught.value.field == "lines[0].vat"
    assert "Normala 21" in str(caught.value)
    assert posts(smartbill_fake, "invoice") == []


def test_discount_becomes_a_smartbill_discount_line(connect: Any, smartbill_fake: SmartBillFake) -> None:
    discounted = ac.Line(
        name="Geaca", quantity=1, unit="buc", unit_price="200.00", vat=ac.VatRate.of(21), discount_percent="10"
    )
    connect().send_invoice(invoice(lines=[discounted]))
    products = posts(smartbill_fake, "invoice")[0]["products"]
    assert products[1]["isDiscount"] is True
    assert (products[1]["discountType"], products[1]["discountPercentage"], products[1]["numberOfItems"]) == (2, 10, 1)
    assert smartbill_fake.invoices()[0].total == Decimal("180.00")


def test_foreign_currency_with_exchange_rate(connect: Any, smartbill_fake: SmartBillFake) -> None:
    connect().send_invoice(invoice(currency="EUR", exchange_rate="4.9731", language="EN"))
    body = posts(smartbill_fake, "invoice")[0]
    assert body["currency"] == "EUR" and body["exchangeRate"] == Decimal("4.9731")
    assert all(product["currency"] == "EUR" for product in body["products"])
    assert smartbill_fake.invoices()[0].currency == "EUR"


def test_paid_invoice_collects_at_issue(connect: Any, smartbill_fake: SmartBillFake) -> None:
    paid = ac.Payment(method="card", amount="114.80", paid_on="2026-01-15")
    connect().send_invoice(invoice(payment=paid))
    body = posts(smartbill_fake, "invoice")[0]
    assert body["payment"] == {"value": Decimal("114.80"), "type": "Card", "isCash": False}
    assert smartbill_fake.invoices()[0].paid == Decimal("114.80")


def test_paid_in_cash_issues_a_receipt_in_the_receipt_series(connect: Any, smartbill_fake: SmartBillFake) -> None:
    paid = ac.Payment(method="Chitanta", amount="114.80", paid_on="2026-01-15")
    with pytest.raises(ac.ValidationError, match="receipt_series"):
        connect().send_invoice(invoice(payment=paid))
    connect(receipt_series="CHT").send_invoice(invoice(payment=paid))
    assert posts(smartbill_fake, "invoice")[0]["payment"]["paymentSeries"] == "CHT"
    assert [receipt.number for receipt in smartbill_fake.receipts("CHT")] == ["0001"]


def test_unknown_payment_method_is_a_local_error(connect: Any, smartbill_fake: SmartBillFake) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(payment=ac.Payment(method="paypal", amount=1, paid_on="2026-01-15")))
    assert caught.value.field == "payment.method"
    assert smartbill_fake.requests == []


def test_stock_transfer_sends_sku_and_warehouse(connect: Any, smartbill_fake: SmartBillFake) -> None:
    smartbill_fake.stock_enabled = True
    smartbill_fake.warehouses = {"Magazin"}
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(use_stock=True))
    assert caught.value.field == "warehouse"
    connect(warehouse="Magazin").send_invoice(invoice(use_stock=True))
    body = posts(smartbill_fake, "invoice")[0]
    assert body["useStock"] is True
    assert body["products"][0]["warehouseName"] == "Magazin" and body["products"][0]["code"] == "TR-1"
    assert body["products"][1]["warehouseName"] == ""  # a service is never taken from stock
    smartbill_fake.warehouses = {"Depozit"}
    with pytest.raises(ac.ProviderValidationError, match="Gestiune"):
        connect().send_invoice(invoice(reference="o-2", use_stock=True, warehouse="Magazin"))


def test_document_links_opt_in(connect: Any, smartbill_fake: SmartBillFake) -> None:
    sent = connect(document_links=True).send_invoice(invoice())
    assert sent.url and sent.external_id
    assert posts(smartbill_fake, "invoice/v2")


class _WithoutViewLink(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The fake, except that ``invoice/v2`` answers carry no ``documentViewUrl``."""

    def __init__(self, fake: SmartBillFake) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.fake.handle_request(request)
        if not request.url.path.endswith("/invoice/v2"):
            return response
        response.read()
        body = {key: value for key, value in response.json().items() if key != "documentViewUrl"}
        return httpx.Response(response.status_code, json=body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_buyers_link_is_the_public_view_never_the_login_only_edit_link(
    driver: str, smartbill_fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    # smartbill.md "Newer findings" (b): documentUrl is an edit link behind a login.
    conn = open_connector(driver, "smartbill", transport=smartbill_fake, clock=fake_clock, document_links=True,
                          **CREDENTIALS)  # fmt: skip
    try:
        sent = conn.send_invoice(invoice())
    finally:
        conn.close()
    assert sent.url == sent.raw["documentViewUrl"] and sent.url != sent.raw["documentUrl"]
    transport = _WithoutViewLink(smartbill_fake)
    conn = open_connector(driver, "smartbill", transport=transport, clock=fake_clock, document_links=True,
                          **CREDENTIALS)  # fmt: skip
    try:
        bare = conn.send_invoice(invoice(reference="order-1002"))
    finally:
        conn.close()
    assert bare.url is None and "/editare/" in bare.raw["documentUrl"]  # kept for a person, not as the link


def test_series_are_chosen_per_invoice_or_by_default(connect: Any, smartbill_fake: SmartBillFake) -> None:
    smartbill_fake.add_series("WEB", "f")
    conn = connect(invoice_series="WEB")
    assert conn.send_invoice(invoice()).series == "WEB"
    assert conn.send_invoice(invoice(reference="o-2", series="FCT")).series == "FCT"
    with pytest.raises(ac.ProviderValidationError, match="Seria nu a fost gasita"):
        conn.send_invoice(invoice(reference="o-3", series="NOPE"))


def test_local_numbering_is_refused(connect: Any) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(number="17"))
    assert caught.value.field == "number"


def test_too_many_lines_are_refused_before_any_request(connect: Any, smartbill_fake: SmartBillFake) -> None:
    line = ac.Line(name="x", quantity=1, unit="buc", unit_price=1, vat=ac.VatRate.of(21))
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(lines=[line] * 401))
    assert caught.value.field == "lines"
    assert smartbill_fake.requests == []


def test_send_receipt(connect: Any, smartbill_fake: SmartBillFake) -> None:
    receipt = ac.Receipt(
        reference="pos-1",
        issue_date="2026-01-15",
        lines=[ac.Line(name="Cafea", quantity=2, unit="buc", unit_price="8.50", vat=ac.VatRate.of(11))],
        currency="RON",
    )
    sent = connect(receipt_series="CHT").send_receipt(receipt)
    assert (sent.kind, sent.series, sent.number) == (ac.DocumentKind.RECEIPT, "CHT", "0001")
    body = posts(smartbill_fake, "payment")[0]
    assert body["type"] == "Chitanta" and body["value"] == Decimal("17.00") and body["isCash"] is True
    assert smartbill_fake.receipts("CHT")[0].total == Decimal("17.00")


def test_full_reversal_is_a_storno(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    reversal = ac.Correction.full_reversal(
        reference="order-1001-storno",
        original=original,
        original_document=sent,
        reason="retur",
        issue_date="2026-01-20",
    )
    storno = conn.send_correction(reversal)
    assert (storno.kind, storno.series, storno.number) == (ac.DocumentKind.CORRECTION, "FCT", "0002")
    stored = smartbill_fake.find(series="FCT", number="0002")
    assert stored is not None and stored.detail.reverses == ("FCT", "0001")
    with pytest.raises(ac.ProviderValidationError, match="deja stornata"):
        conn.send_correction(reversal)


def test_a_partial_correction_is_refused_with_the_reason(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    before = len(smartbill_fake.requests)
    partial = ac.Correction(
        reference="c-1",
        original=original,
        original_document=sent,
        lines=[
            original.lines[0],
            ac.Line(name="Transport", quantity=0, unit="buc", unit_price=15, vat=ac.VatRate.of(21)),
        ],
        reason="transport gratuit",
        issue_date="2026-01-16",
    )
    with pytest.raises(ac.UnsupportedOperation, match="whole invoice"):
        conn.send_correction(partial)
    assert len(smartbill_fake.requests) == before


def test_reversing_an_unknown_invoice_is_not_found(connect: Any) -> None:
    original = invoice()
    ghost = ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="x", series="FCT", number="0099"
    )
    reversal = ac.Correction.full_reversal(
        reference="c", original=original, original_document=ghost, reason="r", issue_date="2026-01-20"
    )
    with pytest.raises(ac.NotFound):
        connect().send_correction(reversal)


def test_fetch_pdf(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    pdf = conn.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF")
    request = smartbill_fake.requests[-1]
    assert request.headers["Accept"] == "application/octet-stream"
    assert request.url.params["seriesname"] == "FCT" and request.url.params["number"] == "0001"
    missing = ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="x", series="FCT", number="0042"
    )
    with pytest.raises(ac.NotFound):
        conn.fetch_pdf(missing)
    receipt = ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.RECEIPT, reference="x", series="CHT", number="0001"
    )
    with pytest.raises(ac.UnsupportedOperation, match="receipt"):
        conn.fetch_pdf(receipt)
    foreign = ac.SentDocument(provider="oblio", kind=ac.DocumentKind.INVOICE, reference="x", series="A", number="1")
    with pytest.raises(ac.ValidationError):
        conn.fetch_pdf(foreign)


def test_list_series(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    conn.send_invoice(invoice())
    series = {item.name: item for item in conn.list_series()}
    assert series["FCT"].kind is ac.DocumentKind.INVOICE and series["FCT"].next_number == "0002"
    assert series["CHT"].kind is ac.DocumentKind.RECEIPT


def test_list_vat_rates(connect: Any, smartbill_fake: SmartBillFake) -> None:
    rates = {item.name: item.vat for item in connect().list_vat_rates()}
    assert rates["Normala"] == ac.VatRate.of(21)
    assert rates["Taxare inversa"] == ac.VatRate.special(ac.VatKind.REVERSE_CHARGE)
    assert {name for name, _ in smartbill_fake.taxes} == set(rates)


def test_list_payment_types_needs_no_call(connect: Any, smartbill_fake: SmartBillFake) -> None:
    types = connect().list_payment_types()
    assert {"Card", "Chitanta", "Ordin plata", "Ramburs"} <= {item.name for item in types}
    assert [item.name for item in types if item.issues_receipt] == ["Chitanta"]
    assert smartbill_fake.requests == []


def test_record_payment(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect(receipt_series="CHT")
    by_transfer = conn.send_invoice(invoice())
    in_cash = conn.send_invoice(invoice(reference="order-1002"))
    transfer = conn.record_payment(by_transfer, ac.Payment(method="Ordin plata", amount="114.80", paid_on="2026-01-20"))
    assert transfer.kind is ac.DocumentKind.PAYMENT
    receipt = conn.record_payment(in_cash, ac.Payment(method="Chitanta", amount="114.80", paid_on="2026-01-21"))
    assert (receipt.kind, receipt.series, receipt.number) == (ac.DocumentKind.RECEIPT, "CHT", "0001")
    assert [document.paid for document in smartbill_fake.invoices()] == [Decimal("114.80")] * 2
    body = posts(smartbill_fake, "payment")[0]
    assert body["invoicesList"] == [{"seriesName": "FCT", "number": "0001"}] and body["useInvoiceDetails"] is True


def test_partial_or_repeated_payments_are_refused_before_the_create(
    connect: Any, smartbill_fake: SmartBillFake
) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    with pytest.raises(ac.UnsupportedOperation, match="whole value"):
        conn.record_payment(sent, ac.Payment(method="Card", amount="50.00", paid_on="2026-01-20"))
    conn.record_payment(sent, ac.Payment(method="Card", amount="114.80", paid_on="2026-01-20"))
    with pytest.raises(ac.UnsupportedOperation, match=r"114\.80 already paid"):
        conn.record_payment(sent, ac.Payment(method="Card", amount="114.80", paid_on="2026-01-21"))
    assert len(posts(smartbill_fake, "payment")) == 1
    assert smartbill_fake.invoices()[0].paid == Decimal("114.80")


def test_wrong_credentials_and_foreign_company(connect: Any) -> None:
    with pytest.raises(ac.AuthenticationError):
        connect(token="wrong").list_series()
    with pytest.raises(ac.AuthenticationError):
        connect(company_vat_code="RO1").list_series()


def test_an_error_under_http_200_is_an_error(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    conn.list_vat_rates()
    smartbill_fake.inject(Fault.ERROR_TEXT_200, path="invoice")
    with pytest.raises(ac.ProviderValidationError) as caught:
        conn.send_invoice(invoice())
    assert caught.value.status_code == 200 and caught.value.message
    assert smartbill_fake.invoices() == []


def test_timeout_after_commit_is_ambiguous_and_not_resent(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    conn.list_vat_rates()
    smartbill_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice")
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        conn.send_invoice(invoice())
    assert isinstance(caught.value.__cause__, ac.Timeout)
    assert len(smartbill_fake.invoices()) == 1
    assert len(posts(smartbill_fake, "invoice")) == 1


def test_server_error_on_create_is_ambiguous(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    conn.list_vat_rates()
    smartbill_fake.inject(Fault.SERVER_ERROR, path="invoice")
    with pytest.raises(ac.AmbiguousOutcome):
        conn.send_invoice(invoice())
    assert len(posts(smartbill_fake, "invoice")) == 1


def test_server_error_on_a_read_is_retried(connect: Any, smartbill_fake: SmartBillFake) -> None:
    smartbill_fake.inject(Fault.SERVER_ERROR, path="series", times=2)
    assert connect().list_series()


def test_connection_reset_before_sending_is_retried_once_stored(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    conn.list_vat_rates()
    smartbill_fake.inject(Fault.CONNECTION_RESET, path="invoice")
    sent = conn.send_invoice(invoice())
    assert sent.number == "0001"
    assert len(smartbill_fake.invoices()) == 1


def test_a_burst_of_100_calls_never_triggers_the_block(connect: Any, smartbill_fake: SmartBillFake) -> None:
    conn = connect()
    for index in range(100):
        conn.send_invoice(invoice(reference=f"order-{index}"))
    assert smartbill_fake.penalties == 0
    assert len(smartbill_fake.invoices()) == 100


def test_the_403_block_is_honoured_for_ten_minutes(
    connect: Any, smartbill_fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    # Another program on the same account exhausts the limit and gets it blocked.
    with httpx.Client(transport=smartbill_fake, auth=("demo@example.ro", "demo-token")) as other:
        for _ in range(31):
            other.get("https://ws.smartbill.ro/SBORO/api/series", params={"cif": "RO12345678"})
    assert smartbill_fake.penalties == 1
    conn = connect()
    with pytest.raises(ac.RateLimited) as caught:
        conn.list_series()
    assert caught.value.retry_at == pytest.approx(fake_clock.time() + 600)
    sent_so_far = len(smartbill_fake.requests)
    with pytest.raises(ac.RateLimited):
        conn.list_vat_rates()
    assert len(smartbill_fake.requests) == sent_so_far  # nothing is sent while blocked
    fake_clock.advance(601)
    assert conn.list_series()
    assert smartbill_fake.penalties == 1


def test_rate_limit_headers_keep_a_shared_account_out_of_the_block(
    connect: Any, smartbill_fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    # Our limiter believes the window is empty; SmartBill's headers say otherwise.
    with httpx.Client(transport=smartbill_fake, auth=("demo@example.ro", "demo-token")) as other:
        for _ in range(29):
            other.get("https://ws.smartbill.ro/SBORO/api/series", params={"cif": "RO12345678"})
    conn = connect(limiter=CredentialLimiter(SmartBill.rate_limits, fake_clock))
    for _ in range(10):
        conn.list_series()
    assert smartbill_fake.penalties == 0


def test_connector_repr_hides_the_token(connect: Any) -> None:
    conn = connect(token="very-secret-token")
    assert "very-secret-token" not in repr(conn) and "very-secret-token" not in repr(conn.provider)


def test_missing_credentials_are_a_configuration_error() -> None:
    with pytest.raises(ac.ConfigurationError, match="token"):
        ac.connect("smartbill", username="a@b.ro", token="", company_vat_code="RO1")


def test_capabilities_row() -> None:
    row = ac.connect("smartbill", **CREDENTIALS).capabilities
    assert row.supports(ac.Capability.SEND_CORRECTION)
    assert not row.supports(ac.Capability.NATIVE_IDEMPOTENCY)
    assert "full reversal" in row[ac.Capability.SEND_CORRECTION].note


def test_issue_date_is_today_in_tests() -> None:
    assert dt.date.fromisoformat(invoice().issue_date.isoformat()) == dt.date(2026, 1, 15)


@settings(max_examples=60, deadline=None)
@given(invoices())
def test_any_invoice_is_either_sent_once_or_refused_locally_with_a_field(document: ac.Invoice) -> None:
    clock = FakeClock()
    fake = SmartBillFake(clock=clock)
    fake.taxes += [(f"Cota {rate}", Decimal(rate)) for rate in (0, 8, 9, 19, 23)]
    if document.series:
        fake.add_series(document.series, "f")
    conn = ac.connect("smartbill", transport=fake, clock=clock, receipt_series="CHT", **CREDENTIALS)
    try:
        sent = conn.send_invoice(document)
    except ac.ValidationError as error:
        event(f"refused locally: {error.field}")
        assert error.field, "a local error names its field"
        assert posts(fake, "invoice") == []
    except ac.ProviderValidationError as error:
        event(f"refused by SmartBill: {error.message[:60]}")
        # SmartBill itself refused (e.g. a language or currency the account lacks): one attempt, nothing stored.
        assert len(posts(fake, "invoice")) == 1
        assert fake.invoices() == []
    else:
        event("sent")
        assert len(posts(fake, "invoice")) == 1
        assert [stored.number for stored in fake.invoices()] == [sent.number]


def exercise(capability: ac.Capability, conn: Any, fake: SmartBillFake) -> None:
    """One working call for each capability SmartBill's row declares supported."""
    cash = ac.Line(name="Cafea", quantity=1, unit="buc", unit_price="8.50", vat=ac.VatRate.of(21))
    if capability is ac.Capability.SEND_INVOICE:
        assert conn.send_invoice(invoice()).number
    elif capability is ac.Capability.SEND_RECEIPT:
        receipt = ac.Receipt(reference="r", issue_date="2026-01-15", lines=[cash], currency="RON")
        assert conn.send_receipt(receipt).number
    elif capability is ac.Capability.SEND_CORRECTION:
        original = invoice(reference="c-orig")
        sent = conn.send_invoice(original)
        reversal = ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="r", issue_date="2026-01-16"
        )
        assert conn.send_correction(reversal).number
    elif capability is ac.Capability.FETCH_PDF:
        assert conn.fetch_pdf(conn.send_invoice(invoice(reference="pdf"))).startswith(b"%PDF")
    elif capability is ac.Capability.LIST_SERIES:
        assert conn.list_series()
    elif capability is ac.Capability.LIST_PAYMENT_TYPES:
        assert conn.list_payment_types()
    elif capability is ac.Capability.LIST_VAT_RATES:
        assert conn.list_vat_rates()
    elif capability is ac.Capability.RECORD_PAYMENT:
        sent = conn.send_invoice(invoice(reference="pay"))
        assert conn.record_payment(sent, ac.Payment(method="Card", amount="114.80", paid_on="2026-01-16"))
    elif capability is ac.Capability.SKU_STOCK:
        fake.stock_enabled, fake.warehouses = True, {"Magazin"}
        assert conn.send_invoice(invoice(reference="stock", use_stock=True, warehouse="Magazin")).number
    elif capability is ac.Capability.DOCUMENT_LINK:
        assert conn.send_invoice(invoice(reference="link")).url is None
        linked = ac.connect("smartbill", transport=fake, clock=fake.clock, document_links=True, **CREDENTIALS)
        assert linked.send_invoice(invoice(reference="link-2")).url
    else:
        raise AssertionError(f"no exercise written for {capability}")


@pytest.mark.parametrize(
    "capability", [capability for capability, entry in SmartBill.capabilities if entry.support is ac.Support.SUPPORTED]
)
def test_every_supported_capability_works_against_the_fake(
    capability: ac.Capability, connect: Any, smartbill_fake: SmartBillFake
) -> None:
    exercise(capability, connect(receipt_series="CHT"), smartbill_fake)


def expected_products(document: ac.Invoice, warehouse: str) -> list[dict[str, Any]]:
    """SmartBill's products for an invoice, spelled out field by field from the Swagger."""
    products: list[dict[str, Any]] = []
    for line in document.lines:
        product: dict[str, Any] = {
            "name": line.name,
            "isDiscount": False,
            "measuringUnitName": line.unit,
            "currency": document.currency,
            "quantity": line.quantity,
            "price": line.unit_price,
            "isTaxIncluded": document.prices_include_vat,
            "taxName": f"Cota {line.vat.percent}",
            "taxPercentage": line.vat.percent,
            "isService": line.is_service,
            "saveToDb": False,
            "warehouseName": warehouse if document.use_stock and not line.is_service else "",
        }
        if line.sku:
            product["code"] = line.sku
        products.append(product)
        if line.discount_percent is not None:
            products.append(
                {
                    "name": f"Discount {line.name}",
                    "isDiscount": True,
                    "numberOfItems": 1,
                    "measuringUnitName": line.unit,
                    "currency": document.currency,
                    "isTaxIncluded": document.prices_include_vat,
                    "taxName": f"Cota {line.vat.percent}",
                    "taxPercentage": line.vat.percent,
                    "discountType": 2,
                    "discountPercentage": line.discount_percent,
                }
            )
    return products


@settings(max_examples=80, deadline=None)
@given(invoices(), st.booleans())
def test_products_are_written_exactly(document: ac.Invoice, stock: bool) -> None:
    lines = [line for line in document.lines if line.vat.kind is ac.VatKind.RATE] or [LINE_21]
    document = attrs.evolve(
        document,
        lines=lines,
        payment=None,
        series=None,
        use_stock=stock and all(line.sku or line.is_service for line in lines),
        warehouse="Depozit central",
    )
    provider = SmartBill.configure(**CREDENTIALS)
    taxes = [(f"Cota {line.vat.percent}", line.vat.percent) for line in document.lines]
    body = json.loads(dump_json(provider._invoice_body(document, taxes)), parse_float=Decimal)
    assert body["products"] == expected_products(document, "Depozit central")


LINE_21 = ac.Line(name="x", quantity=1, unit="buc", unit_price="1.00", vat=ac.VatRate.of(21))


def test_settings_are_typed_and_checked() -> None:
    provider = SmartBill.configure(**CREDENTIALS, receipt_series="CHT")
    assert isinstance(provider.settings, SmartBillSettings)
    assert provider.settings.receipt_series == "CHT" and provider.settings.save_clients is False
    assert "demo-token" not in repr(provider.settings)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        provider.settings.token = "other"  # type: ignore[misc]
    with pytest.raises(ac.ConfigurationError, match=r"unknown setting tokne .*valid settings: username \(required\)"):
        ac.connect("smartbill", username="a@b.ro", tokne="t", company_vat_code="RO1")  # type: ignore[call-overload]
    with pytest.raises(ac.ConfigurationError, match="missing setting company_vat_code"):
        ac.connect("smartbill", username="a@b.ro", token="t")  # type: ignore[call-overload]
    with pytest.raises(ac.ConfigurationError, match="base_url"):
        SmartBill.configure(**CREDENTIALS, base_url="http://ws.smartbill.ro/SBORO/api")
    with pytest.raises(ac.ConfigurationError, match="vat_names"):
        SmartBill.configure(**CREDENTIALS, vat_names={21: "Normala"})
    assert SmartBill.configure(**CREDENTIALS, base_url="https://ws.smartbill.ro/SBORO/api").base_url == BASE_URL


def test_errors_follow_the_common_table_where_smartbill_says_nothing_else() -> None:
    provider = SmartBill.configure(**CREDENTIALS)
    call = Call(httpx.Request("GET", BASE_URL + "series"), "list_series")

    def error(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        response = httpx.Response(status, json=body, headers=headers)
        return provider.error_for(response, call, 1000.0)

    assert error(200, {"errorText": "", "number": "0001"}) is None
    assert isinstance(error(409, {"errorText": "Conflict"}), ac.ProviderValidationError)
    assert isinstance(error(429), ac.RateLimited) and error(429).retry_at is None  # the driver reads Retry-After
    blocked = error(403, {"errorText": ""})
    assert isinstance(blocked, ac.RateLimited) and blocked.retry_at == 1600.0 and "30 calls" in blocked.message
    assert isinstance(error(410), ac.PermissionDenied)
    assert isinstance(error(302), ac.ProviderError) and not isinstance(error(302), ac.ProviderValidationError)
    wrapped = error(200, {"sbcResponse": {"errorText": "Factura nu a fost gasita!"}})
    assert isinstance(wrapped, ac.NotFound) and wrapped.message == "Factura nu a fost gasita!"
    assert error(401).message.startswith("SmartBill refused")
    assert isinstance(error(503, {"errorText": "Mentenanta"}), ac.ServerError)
