"""Every inFakt operation end to end against the fake, through Client and AsyncClient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import httpx
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.infakt import (
    BASE_URL,
    SANDBOX_URL,
    InFakt,
    InFaktSettings,
    InFaktTaskPending,
    from_grosze,
    round_to_grosze,
    to_grosze,
)
from accounting_connectors.flow import Call, Sleep
from accounting_connectors.money import document_totals
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.documents import StoredDocument
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.infakt import InFaktFake

from ..conformance.cases.infakt import CASE
from ..conformance.checks import undocumented_fields
from ..drivers import DRIVERS, open_connector
from ..strategies import invoices as any_invoice

KEY = "demo-key"
COMPANY = "1234563218"  # the issuing company's NIP (company_tax_id)


def invoices(fake: InFaktFake) -> list[StoredDocument]:
    """The VAT invoices the fake holds (``detail`` is an ``InFaktDetail``)."""
    return [document for document in fake.documents if document.kind == "vat"]


def corrections(fake: InFaktFake) -> list[StoredDocument]:
    """The corrective invoices the fake holds."""
    return [document for document in fake.documents if document.kind == "correction"]


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, infakt_fake: InFaktFake, fake_clock: FakeClock) -> Iterator[Any]:
    """A factory of connectors to the fake, sync or async, with the same blocking interface."""
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        settings = {"api_key": KEY, "company_tax_id": COMPANY, **options}
        client = open_connector(request.param, "infakt", transport=infakt_fake, clock=fake_clock, **settings)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def company() -> ac.Party:
    return ac.Party(
        name="Sklep Przykład Sp. z o.o.",
        tax_id="5260250995",
        is_company=True,
        address=ac.Address(street="ul. Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
        email="biuro@przyklad.pl",
    )


def invoice(**changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": "order-1001",
        "issue_date": "2026-01-15",
        "buyer": company(),
        "lines": [
            ac.Line(name="Koszulka", quantity=2, unit="szt.", unit_price="49.99", vat=ac.VatRate.of(23)),
            ac.Line(name="Książka", quantity=1, unit="szt.", unit_price="30.00", vat=ac.VatRate.of(5)),
        ],
        "currency": "PLN",
        "due_date": "2026-01-29",
    }
    values.update(changes)
    return ac.Invoice(**values)


# The gross total of invoice(): 2 x 49.99 net at 23 % and 30.00 net at 5 %, VAT per rate.
TOTAL = Decimal("154.48")


def body_of(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content, parse_float=Decimal)  # type: ignore[no-any-return]


def calls(fake: InFaktFake, method: str, suffix: str) -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == method and r.url.path.endswith("/api/v3/" + suffix)]


def creates(fake: InFaktFake) -> list[dict[str, Any]]:
    return [body_of(r) for r in calls(fake, "POST", "async/invoices.json")]


def status_polls(fake: InFaktFake) -> list[httpx.Request]:
    return [r for r in fake.requests if "/status/" in r.url.path]


# ------------------------------------------------------------------ send_invoice


def test_send_invoice_creates_polls_and_reads_the_number(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    second = conn.send_invoice(invoice(reference="order-1002"))
    assert (first.kind, first.reference, first.number) == (ac.DocumentKind.INVOICE, "order-1001", "1/01/2026")
    assert second.number == "2/01/2026"
    assert first.external_id == invoices(infakt_fake)[0].id
    assert first.raw["invoice_task_reference_number"]
    assert len(creates(infakt_fake)) == 2
    assert invoices(infakt_fake)[0].detail.gross_price == 15448 and invoices(infakt_fake)[0].detail.status == "draft"


def test_send_invoice_sends_what_infakt_documents(connect: Any, infakt_fake: InFaktFake) -> None:
    connect().send_invoice(invoice(notes="Zamówienie 1001", sale_date="2026-01-14"))
    request = calls(infakt_fake, "POST", "async/invoices.json")[0]
    assert request.headers["X-inFakt-ApiKey"] == KEY
    body = body_of(request)["invoice"]
    assert body["currency"] == "PLN"  # always sent: omitted, inFakt uses the account's currency
    assert (body["invoice_date"], body["sale_date"], body["payment_date"]) == ("2026-01-15", "2026-01-14", "2026-01-29")
    assert body["payment_method"] == "transfer" and body["notes"] == "Zamówienie 1001"
    assert body["client_company_name"] == "Sklep Przykład Sp. z o.o." and body["client_tax_code"] == "5260250995"
    assert body["client_post_code"] == "00-001" and body["client_country"] == "PL"
    assert body["client_business_activity_kind"] == "other_business"
    assert "number" not in body and "kind" not in body
    service = body["services"][0]
    assert service == {"name": "Koszulka", "tax_symbol": "23", "unit": "szt.", "quantity": 2, "unit_net_price": 4999}
    assert type(service["unit_net_price"]) is int  # integer grosze on the wire
    assert infakt_fake.ignored_fields == []


def test_prices_with_vat_go_as_the_line_gross_value(connect: Any, infakt_fake: InFaktFake) -> None:
    lines = [
        ac.Line(name="Kubek", quantity=3, unit="szt.", unit_price="19.99", vat=ac.VatRate.of(23)),
        ac.Line(name="Kawa", quantity="0.5", unit="kg", unit_price="59.99", vat=ac.VatRate.of(5), discount_percent=10),
    ]
    connect().send_invoice(invoice(lines=lines, prices_include_vat=True))
    services = creates(infakt_fake)[0]["invoice"]["services"]
    assert services[0]["gross_price"] == 5997 and "unit_net_price" not in services[0]
    # 0.5 x 59.99 x 0.9 = 26.9955, half-up per line to 27.00
    assert services[1]["gross_price"] == 2700 and "discount" not in services[1]
    assert invoices(infakt_fake)[0].detail.gross_price == 8697


def test_a_net_discount_sends_the_price_before_and_after(connect: Any, infakt_fake: InFaktFake) -> None:
    line = ac.Line(
        name="Buty", quantity=1, unit="para", unit_price="100.00", vat=ac.VatRate.of(23), discount_percent=15
    )
    connect().send_invoice(invoice(lines=[line]))
    service = creates(infakt_fake)[0]["invoice"]["services"][0]
    assert (service["unit_net_price_before_discount"], service["discount"], service["unit_net_price"]) == (
        10000,
        15,
        8500,
    )
    # 99.99 x 0.85 = 84.9915: three numbers that cannot all agree, so it is refused.
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(lines=[ac.Line(**{**_line_args(line), "unit_price": "99.99"})]))
    assert caught.value.field == "lines[0].discount_percent"
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(lines=[ac.Line(**{**_line_args(line), "discount_percent": "12.5"})]))
    assert caught.value.field == "lines[0].discount_percent"


def _line_args(line: ac.Line) -> dict[str, Any]:
    return {
        "name": line.name,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "vat": line.vat,
        "discount_percent": line.discount_percent,
    }


def test_a_person_buyer(connect: Any, infakt_fake: InFaktFake) -> None:
    person = ac.Party(name="Jan Maria Kowalski", address=ac.Address(city="Kraków", country="PL"))
    connect().send_invoice(invoice(buyer=person))
    body = creates(infakt_fake)[0]["invoice"]
    assert (body["client_first_name"], body["client_last_name"]) == ("Jan Maria", "Kowalski")
    assert body["client_business_activity_kind"] == "private_person"
    assert "client_company_name" not in body and "client_tax_code" not in body


def test_a_sole_trader_is_sent_with_its_business_name(connect: Any, infakt_fake: InFaktFake) -> None:
    # IF-DEV-CLIENTS (infakt.md "Newer findings" a3): a JDG needs client_company_name too.
    trader = ac.Party(name="Jan Kowalski", tax_id="5260250995", address=ac.Address(city="Kraków", country="PL"))
    sent = connect().send_invoice(invoice(buyer=trader))
    body = creates(infakt_fake)[0]["invoice"]
    assert body["client_business_activity_kind"] == "self_employed"
    assert (body["client_company_name"], body["client_first_name"], body["client_last_name"]) == (
        "Jan Kowalski",
        "Jan",
        "Kowalski",
    )
    assert body["client_tax_code"] == "5260250995" and sent.number == "1/01/2026"


def test_vat_symbols_for_exempt_and_not_subject(connect: Any, infakt_fake: InFaktFake) -> None:
    lines = [
        ac.Line(name="Kurs", quantity=1, unit="usł.", unit_price=100, vat=ac.VatRate.special(ac.VatKind.EXEMPT)),
        ac.Line(
            name="Usługa UE", quantity=1, unit="usł.", unit_price=50, vat=ac.VatRate.special(ac.VatKind.NOT_SUBJECT)
        ),
        ac.Line(name="Eksport", quantity=1, unit="szt.", unit_price=10, vat=ac.VatRate.of("8.0")),
    ]
    connect().send_invoice(invoice(lines=lines))
    assert [s["tax_symbol"] for s in creates(infakt_fake)[0]["invoice"]["services"]] == ["zw", "np", "8"]


def test_reverse_charge_needs_an_explicit_symbol(connect: Any, infakt_fake: InFaktFake) -> None:
    reverse = ac.VatRate.special(ac.VatKind.REVERSE_CHARGE)
    line = ac.Line(name="Usługa", quantity=1, unit="usł.", unit_price=100, vat=reverse)
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(lines=[line]))
    assert caught.value.field == "lines[0].vat" and "tax_symbols" in str(caught.value)
    assert infakt_fake.requests == []
    infakt_fake.vat_rates.append(("odwrotne obciążenie", "oo", Decimal(0)))
    connect(tax_symbols={reverse: "oo"}).send_invoice(invoice(lines=[line]))
    assert creates(infakt_fake)[0]["invoice"]["services"][0]["tax_symbol"] == "oo"


def test_amounts_that_are_not_whole_grosze_are_refused(connect: Any, infakt_fake: InFaktFake) -> None:
    odd = ac.Line(name="Śruba", quantity=1000, unit="szt.", unit_price="0.015", vat=ac.VatRate.of(23))
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(lines=[odd]))
    assert caught.value.field == "lines[0].unit_price" and "grosze" in str(caught.value)
    with pytest.raises(ac.ValidationError):
        connect().send_invoice(invoice(lines=[odd], prices_include_vat=True))
    assert infakt_fake.requests == []


def test_own_numbers_ask_for_a_duplicate_check(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice(number="FV/7/2026"))
    assert sent.number == "FV/7/2026"
    body = creates(infakt_fake)[0]["invoice"]
    assert body["number"] == "FV/7/2026" and body["check_duplicate_number"] is True
    with pytest.raises(ac.ProviderValidationError) as caught:
        conn.send_invoice(invoice(reference="order-2", number="FV/7/2026"))
    assert "number" in caught.value.field_errors
    assert len(invoices(infakt_fake)) == 1


def test_what_infakt_cannot_take_is_refused_before_any_request(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_invoice(invoice(series="FV"))
    assert caught.value.field == "series"
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_invoice(invoice(currency="EUR", exchange_rate="4.3"))
    assert caught.value.field == "exchange_rate"
    stock = invoice(lines=[ac.Line(name="x", quantity=1, unit="szt.", unit_price=1, vat=ac.VatRate.of(23), sku="X")])
    with pytest.raises(ac.UnsupportedOperation, match="stock"):
        conn.send_invoice(ac.Invoice(**{**_invoice_args(stock), "use_stock": True}))
    receipt = ac.Receipt(reference="r", issue_date="2026-01-15", lines=stock.lines, currency="PLN")
    with pytest.raises(ac.UnsupportedOperation, match="receipt"):
        conn.send_receipt(receipt)
    with pytest.raises(ac.UnsupportedOperation):
        conn.list_series()
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_invoice(invoice(payment=ac.Payment(method="blik", amount=TOTAL)))
    assert caught.value.field == "payment.method"
    assert infakt_fake.requests == []


def _invoice_args(document: ac.Invoice) -> dict[str, Any]:
    return {
        "reference": document.reference,
        "issue_date": document.issue_date,
        "buyer": document.buyer,
        "lines": document.lines,
        "currency": document.currency,
    }


def test_foreign_currency(connect: Any, infakt_fake: InFaktFake) -> None:
    connect().send_invoice(invoice(currency="EUR"))
    assert creates(infakt_fake)[0]["invoice"]["currency"] == "EUR"
    assert invoices(infakt_fake)[0].currency == "EUR"


def test_an_invoice_paid_at_issue_is_marked_paid(connect: Any, infakt_fake: InFaktFake) -> None:
    paid = ac.Payment(method="card", amount=TOTAL, paid_on="2026-01-16")
    connect().send_invoice(invoice(payment=paid))
    assert creates(infakt_fake)[0]["invoice"]["payment_method"] == "card"
    mark = calls(infakt_fake, "POST", f"async/invoices/{invoices(infakt_fake)[0].id}/paid.json")
    assert [body_of(r) for r in mark] == [{"invoice": {"paid_date": "2026-01-16"}}]
    assert (invoices(infakt_fake)[0].detail.status, invoices(infakt_fake)[0].detail.paid_date) == ("paid", "2026-01-16")
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(reference="o-2", payment=ac.Payment(method="cash", amount="10.00")))
    assert caught.value.field == "payment.amount"


class _LockedPaidMarks(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The fake, except that every paid mark answers 423 (resource locked)."""

    def __init__(self, fake: InFaktFake) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/paid.json"):
            return httpx.Response(423, json={"error": "Zasób zablokowany"})
        return self.fake.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_failed_paid_mark_after_the_create_is_not_safe_to_resend(
    driver: str, infakt_fake: InFaktFake, fake_clock: FakeClock
) -> None:
    transport = _LockedPaidMarks(infakt_fake)
    conn = open_connector(driver, "infakt", transport=transport, clock=fake_clock, api_key=KEY, company_tax_id=COMPANY)
    try:
        with pytest.raises(InFaktTaskPending) as caught:
            conn.send_invoice(invoice(payment=ac.Payment(method="cash", amount=TOTAL)))
    finally:
        conn.close()
    assert isinstance(caught.value, ac.AmbiguousOutcome) and caught.value.retry_safe is False
    assert caught.value.document_uuid == invoices(infakt_fake)[0].id
    assert "record_payment" in str(caught.value)


# ------------------------------------------------------------------ the asynchronous task


def test_success_after_n_polls_with_growing_waits(connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock) -> None:
    infakt_fake.task_polls = 4
    start = fake_clock.time()
    sent = connect(poll_interval=0.5, poll_backoff=2.0, max_poll_interval=3.0).send_invoice(invoice())
    assert sent.number == "1/01/2026"
    assert len(status_polls(infakt_fake)) == 5
    # Waits 0.5, 1, 2, 3, 3 (capped).
    assert fake_clock.time() - start == pytest.approx(9.5, abs=0.01)


def test_a_failed_task_is_a_provider_validation_error(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.fail_next_task({"client_tax_code": ["nieprawidłowy NIP"]})
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect().send_invoice(invoice())
    assert caught.value.field_errors == {"client_tax_code": ["nieprawidłowy NIP"]}
    assert caught.value.retry_safe and invoices(infakt_fake) == []


def test_document_errors_found_by_the_task_are_mapped_field_by_field(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.bank_account = False  # IF-OL: transfer needs a bank account
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect().send_invoice(invoice())
    assert list(caught.value.field_errors) == ["payment_method"]
    assert "rachunku" in caught.value.field_errors["payment_method"][0]


def test_synchronous_422_is_mapped_field_by_field(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.sync_validation = True
    infakt_fake.bank_account = False
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect().send_invoice(invoice())
    assert caught.value.status_code == 422
    assert caught.value.field_errors == {"payment_method": ["brak zdefiniowanego rachunku bankowego"]}
    assert status_polls(infakt_fake) == []


def test_a_deadline_is_ambiguous_names_the_task_and_never_creates_twice(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.task_polls = None  # never finishes
    with pytest.raises(InFaktTaskPending) as caught:
        connect(poll_timeout=10.0).send_invoice(invoice())
    error = caught.value
    assert isinstance(error, ac.AmbiguousOutcome) and not error.retry_safe
    assert error.task_reference == infakt_fake.pending_tasks[0]
    assert error.task_reference in str(error)
    assert len(creates(infakt_fake)) == 1


def test_failing_status_reads_end_as_pending_not_as_a_failure(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.inject(Fault.SERVER_ERROR, path=None, method="GET", times=None)
    with pytest.raises(InFaktTaskPending) as caught:
        connect().send_invoice(invoice())
    assert isinstance(caught.value.__cause__, ac.ServerError)
    assert len(creates(infakt_fake)) == 1


def test_a_server_error_on_a_status_poll_is_retried(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.inject(Fault.SERVER_ERROR, method="GET", times=2)
    assert connect().send_invoice(invoice()).number == "1/01/2026"


def test_timeout_after_commit_is_ambiguous_and_not_resent(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="async/invoices.json")
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        connect().send_invoice(invoice())
    assert isinstance(caught.value.__cause__, ac.Timeout)
    assert len(creates(infakt_fake)) == 1 and len(infakt_fake.pending_tasks) == 1


def test_timeout_before_commit_and_5xx_are_ambiguous(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    for fault in (Fault.TIMEOUT_BEFORE_COMMIT, Fault.SERVER_ERROR):
        infakt_fake.inject(fault, path="async/invoices.json")
        with pytest.raises(ac.AmbiguousOutcome):
            conn.send_invoice(invoice())
    assert len(creates(infakt_fake)) == 2 and infakt_fake.pending_tasks == []


def test_connection_reset_before_sending_is_retried(connect: Any, infakt_fake: InFaktFake) -> None:
    infakt_fake.inject(Fault.CONNECTION_RESET, path="async/invoices.json")
    assert connect().send_invoice(invoice()).number == "1/01/2026"
    assert len(infakt_fake.dropped_requests) == 1 and len(invoices(infakt_fake)) == 1


# ------------------------------------------------------------------ rate limits


def test_429_on_a_read_waits_for_retry_after_and_then_succeeds(
    connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock
) -> None:
    # Another program on the same IP used the whole read budget.
    with httpx.Client(transport=infakt_fake, headers={"X-inFakt-ApiKey": KEY}) as other:
        for _ in range(300):
            other.get(BASE_URL + "vat_rates.json")
    start = fake_clock.time()
    assert connect().list_vat_rates()
    assert infakt_fake.penalties == 1
    assert fake_clock.time() - start >= 60


def test_429_on_a_create_is_a_refusal_waited_out_and_sent_once(
    connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock
) -> None:
    # IF-README "Kody błędów": 429 is the request limit refusing the call ("przekroczony
    # limit zapytań"), not an unknown outcome: it is waited out and the create sent again.
    with httpx.Client(transport=infakt_fake, headers={"X-inFakt-ApiKey": KEY}) as other:
        for _ in range(150):
            other.post(BASE_URL + "async/invoices.json", json={"invoice": {}})
    start = fake_clock.time()
    assert connect().send_invoice(invoice()).number == "1/01/2026"
    assert fake_clock.time() - start >= 60 and infakt_fake.penalties == 1
    assert len(invoices(infakt_fake)) == 1  # the refused create stored nothing


def test_429_beyond_the_retry_cap_is_rate_limited_with_retry_at(
    connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock
) -> None:
    with httpx.Client(transport=infakt_fake, headers={"X-inFakt-ApiKey": KEY}) as other:
        for _ in range(300):
            other.get(BASE_URL + "vat_rates.json")
    with pytest.raises(ac.RateLimited) as caught:
        connect(retry_cap=5.0).list_vat_rates()
    assert caught.value.retry_at == pytest.approx(fake_clock.time() + 60, abs=1)


def test_a_burst_stays_under_both_limits(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    for index in range(160):
        conn.send_invoice(invoice(reference=f"order-{index}"))
    assert infakt_fake.penalties == 0 and len(invoices(infakt_fake)) == 160


def test_marking_paid_counts_as_a_write_not_a_create() -> None:
    provider = InFakt.configure(api_key=KEY, company_tax_id=COMPANY)
    sent = ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="r", external_id="u-1")
    flow = provider.record_payment(sent, ac.Payment(method="cash", amount="1.00", paid_on="2026-01-20"))
    read = next(flow)
    assert isinstance(read, Call) and not read.writes and not read.creates
    response = httpx.Response(200, json={"gross_price": 100, "left_to_pay": 100, "status": "draft"})
    mark = flow.send(response)
    assert isinstance(mark, Call) and mark.writes and not mark.creates
    assert [limit.scope.value for limit in InFakt.rate_limits] == ["writes", "reads"]
    assert [(limit.calls, limit.per_seconds) for limit in InFakt.rate_limits] == [(150, 60.0), (300, 60.0)]


# ------------------------------------------------------------------ corrections


def test_a_correction_sends_before_and_after_pairs(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    after = [
        original.lines[0],
        ac.Line(name="Książka", quantity=0, unit="szt.", unit_price="30.00", vat=ac.VatRate.of(5)),
    ]
    correction = ac.Correction(
        reference="c-1", original=original, original_document=sent, lines=after, reason="zwrot", issue_date="2026-01-20"
    )
    corrected = conn.send_correction(correction)
    assert (corrected.kind, corrected.number) == (ac.DocumentKind.CORRECTION, "KOR/1/01/2026")
    body = body_of(calls(infakt_fake, "POST", "async/corrective_invoices.json")[0])["corrective_invoice"]
    assert (body["corrected_invoice_number"], body["corrected_invoice_date"]) == ("1/01/2026", "2026-01-15")
    assert body["corrected_invoice_uuid"] == sent.external_id
    assert (body["correction_reason"], body["notes"]) == ("other", "zwrot")
    assert body["invoice_date"] == "2026-01-20" and body["currency"] == "PLN"
    # Only the changed line, as a pair in one group.
    assert [(s["name"], s["quantity"], s["group"], s["correction"]) for s in body["services"]] == [
        ("Książka", 1, "1", False),
        ("Książka", 0, "1", True),
    ]
    stored = corrections(infakt_fake)[0]
    assert stored.corrects == sent.external_id and stored.detail.gross_price == -3150
    assert infakt_fake.ignored_fields == []
    # Never through the plain invoice endpoint.
    assert calls(infakt_fake, "POST", "invoices.json") == []


def test_full_reversal_and_reason_symbols(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    reversal = ac.Correction.full_reversal(
        reference="c-2", original=original, original_document=sent, reason="mistake", issue_date="2026-01-20"
    )
    conn.send_correction(reversal)
    body = body_of(calls(infakt_fake, "POST", "async/corrective_invoices.json")[0])["corrective_invoice"]
    assert body["correction_reason"] == "mistake" and "notes" not in body
    assert [s["group"] for s in body["services"]] == ["1", "1", "2", "2"]
    assert corrections(infakt_fake)[0].detail.gross_price == -invoices(infakt_fake)[0].detail.gross_price


def test_a_correction_without_changes_or_of_an_unknown_invoice(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    unchanged = ac.Correction(
        reference="c",
        original=original,
        original_document=sent,
        lines=original.lines,
        reason="x",
        issue_date="2026-01-20",
    )
    with pytest.raises(ac.ValidationError) as caught:
        conn.send_correction(unchanged)
    assert caught.value.field == "lines"
    ghost = ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="x", external_id="no-such-uuid")
    reversal = ac.Correction.full_reversal(
        reference="c", original=original, original_document=ghost, reason="r", issue_date="2026-01-20"
    )
    with pytest.raises(ac.NotFound):
        conn.send_correction(reversal)
    assert calls(infakt_fake, "POST", "async/corrective_invoices.json") == []


def test_a_correction_uses_the_originals_client_record(connect: Any, infakt_fake: InFaktFake) -> None:
    client_id = infakt_fake.add_client(company_name="Sklep", nip="5260250995", country="PL")
    conn = connect()
    original = invoice()
    with httpx.Client(transport=infakt_fake, headers={"X-inFakt-ApiKey": KEY}) as raw:
        body = {"invoice": {"client_id": client_id, "currency": "PLN", "invoice_date": "2026-01-15",
                            "payment_method": "cash",
                            "services": [{"name": "Koszulka", "tax_symbol": "23", "quantity": 2, "unit": "szt.",
                                          "unit_net_price": 4999},
                                         {"name": "Książka", "tax_symbol": "5", "quantity": 1, "unit": "szt.",
                                          "unit_net_price": 3000}]}}  # fmt: skip
        created = raw.post(BASE_URL + "invoices.json", json=body).json()
    sent = ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="x", external_id=created["uuid"])
    conn.send_correction(
        ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="other", issue_date="2026-01-20"
        )
    )
    correction = body_of(calls(infakt_fake, "POST", "async/corrective_invoices.json")[0])["corrective_invoice"]
    assert correction["client_id"] == client_id and "client_company_name" not in correction
    assert correction["payment_method"] == "cash"


# ------------------------------------------------------------------ PDF, payments, lists


def test_fetch_pdf(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect(pdf_locale="pe", pdf_document_type="original_copy")
    sent = conn.send_invoice(invoice())
    pdf = conn.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"1/01/2026" in pdf
    request = infakt_fake.requests[-1]
    assert request.url.path.endswith(f"/invoices/{sent.external_id}/pdf.json")
    assert dict(request.url.params) == {"document_type": "original_copy", "locale": "pe"}
    assert invoices(infakt_fake)[0].detail.status == "printed"  # IF-README: the download marks it printed
    with pytest.raises(ac.NotFound):
        conn.fetch_pdf(ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="x", external_id="x"))
    with pytest.raises(ac.ValidationError):
        conn.fetch_pdf(ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="x"))
    with pytest.raises(ac.UnsupportedOperation):
        conn.fetch_pdf(ac.SentDocument(provider="infakt", kind=ac.DocumentKind.RECEIPT, reference="x", external_id="x"))


def test_fetch_pdf_of_a_correction(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    corrected = conn.send_correction(
        ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="other", issue_date="2026-01-20"
        )
    )
    assert b"KOR/1/01/2026" in conn.fetch_pdf(corrected)
    assert infakt_fake.requests[-1].url.path.endswith(f"/corrective_invoices/{corrected.external_id}/pdf.json")


def test_fetch_pdf_follows_a_download_link_without_the_key_elsewhere() -> None:
    provider = InFakt.configure(api_key=KEY, company_tax_id=COMPANY)
    sent = ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="r", external_id="u-1")
    flow = provider.fetch_pdf(sent)
    next(flow)
    follow = flow.send(httpx.Response(200, json={"download_link": "https://files.example.com/a.pdf"}))
    assert isinstance(follow, Call) and str(follow.request.url) == "https://files.example.com/a.pdf"
    assert "X-inFakt-ApiKey" not in follow.request.headers
    with pytest.raises(StopIteration) as done:
        flow.send(httpx.Response(200, content=b"%PDF-1.4 ..."))
    assert done.value.value == b"%PDF-1.4 ..."


def test_record_payment_marks_the_whole_invoice_paid(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    with pytest.raises(ac.UnsupportedOperation, match="partial"):
        conn.record_payment(sent, ac.Payment(method="transfer", amount="50.00", paid_on="2026-01-20"))
    with pytest.raises(ac.ValidationError):
        conn.record_payment(sent, ac.Payment(method="blik", amount=TOTAL, paid_on="2026-01-20"))
    paid = conn.record_payment(sent, ac.Payment(method="transfer", amount=TOTAL, paid_on="2026-01-20"))
    assert (paid.kind, paid.external_id, paid.number) == (ac.DocumentKind.PAYMENT, sent.external_id, "1/01/2026")
    assert (invoices(infakt_fake)[0].detail.status, invoices(infakt_fake)[0].detail.paid_date) == ("paid", "2026-01-20")
    with pytest.raises(ac.UnsupportedOperation, match="already paid"):
        conn.record_payment(sent, ac.Payment(method="transfer", amount=TOTAL, paid_on="2026-01-21"))
    assert len([r for r in infakt_fake.requests if r.url.path.endswith("/paid.json")]) == 1


def test_a_paid_mark_is_confirmed_by_reading_the_invoice_back(
    connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock
) -> None:
    # IF-README: 201 on paid.json means the order was accepted, not that the invoice is paid.
    conn = connect()
    sent = conn.send_invoice(invoice())
    infakt_fake.paid_reads = 3
    started, before = fake_clock.time(), len(calls(infakt_fake, "GET", f"invoices/{sent.external_id}.json"))
    paid = conn.record_payment(sent, ac.Payment(method="transfer", amount=TOTAL, paid_on="2026-01-20"))
    assert paid.raw["status"] == "paid" and paid.raw["paid_date"] == "2026-01-20"
    reads = calls(infakt_fake, "GET", f"invoices/{sent.external_id}.json")[before:]
    assert len(reads) == 1 + 4  # the check before the mark, then three unpaid reads and the paid one
    assert fake_clock.time() > started  # with waits between the reads


@pytest.mark.parametrize("with_the_invoice", [False, True], ids=["record_payment", "paid-at-issue"])
def test_a_paid_mark_that_never_lands_is_pending_not_paid(
    connect: Any, infakt_fake: InFaktFake, with_the_invoice: bool
) -> None:
    conn = connect(poll_timeout=5)
    infakt_fake.paid_reads = None
    if with_the_invoice:
        with pytest.raises(InFaktTaskPending) as caught:
            conn.send_invoice(invoice(payment=ac.Payment(method="cash", amount=TOTAL, paid_on="2026-01-16")))
    else:
        sent = conn.send_invoice(invoice())
        with pytest.raises(InFaktTaskPending) as caught:
            conn.record_payment(sent, ac.Payment(method="transfer", amount=TOTAL, paid_on="2026-01-20"))
    assert isinstance(caught.value, ac.AmbiguousOutcome)
    assert caught.value.document_uuid == invoices(infakt_fake)[0].id
    assert "not paid" in str(caught.value) or "marking it paid failed" in str(caught.value)
    assert invoices(infakt_fake)[0].detail.status != "paid"


def test_a_paid_date_before_the_issue_date_is_refused_by_infakt(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    with pytest.raises(ac.ProviderValidationError) as caught:
        conn.record_payment(sent, ac.Payment(method="cash", amount=TOTAL, paid_on="2026-01-01"))
    assert caught.value.status_code == 422 and "paid_date" in caught.value.field_errors


def test_list_payment_types_needs_no_call(connect: Any, infakt_fake: InFaktFake) -> None:
    names = [item.name for item in connect().list_payment_types()]
    assert {"transfer", "cash", "card", "delivery", "przelewy24", "other"} <= set(names)
    assert infakt_fake.requests == []


def test_list_vat_rates(connect: Any, infakt_fake: InFaktFake) -> None:
    rates = {item.name: item.vat for item in connect().list_vat_rates()}
    assert rates["23%"] == ac.VatRate.of(23) and rates["zw"] == ac.VatRate.special(ac.VatKind.EXEMPT)
    assert rates["np"] == ac.VatRate.special(ac.VatKind.NOT_SUBJECT)


# ------------------------------------------------------------------ configuration and errors


def test_wrong_key_is_an_authentication_error(connect: Any) -> None:
    with pytest.raises(ac.AuthenticationError):
        connect(api_key="wrong").list_vat_rates()


def test_the_key_stays_out_of_repr_and_configuration_is_checked(connect: Any) -> None:
    conn = connect(api_key="very-secret-key")
    assert "very-secret-key" not in repr(conn) and "very-secret-key" not in repr(conn.provider)
    with pytest.raises(ac.ConfigurationError, match="api_key"):
        ac.connect("infakt", api_key="")
    with pytest.raises(ac.ConfigurationError, match="payment_method"):
        ac.connect("infakt", api_key=KEY, company_tax_id=COMPANY, payment_method="blik")


def test_settings_are_typed_and_checked() -> None:
    settings = InFakt.configure(api_key=KEY, company_tax_id=COMPANY, payment_method="CASH", tax_symbols=None).settings
    assert isinstance(settings, InFaktSettings) and settings.payment_method == "cash" and settings.tax_symbols == {}
    assert KEY not in repr(settings)
    with pytest.raises(ac.ConfigurationError, match=r"unknown setting api_kye .*api_key \(required\)"):
        ac.connect("infakt", api_kye=KEY)  # type: ignore[call-overload]
    with pytest.raises(ac.ConfigurationError, match="missing settings api_key, company_tax_id"):
        ac.connect("infakt", {})
    for bad in (
        {"pdf_locale": "de"},
        {"pdf_document_type": "scan"},
        {"poll_interval": 0},
        {"poll_backoff": 0.5},
        {"max_poll_interval": 0.1},
        {"poll_timeout": -1},
        {"base_url": "http://api.infakt.pl/api/v3"},
    ):
        with pytest.raises(ac.ConfigurationError):
            InFakt.configure(api_key=KEY, company_tax_id=COMPANY, **bad)
    served = InFakt.configure(api_key=KEY, company_tax_id=COMPANY, base_url="http://127.0.0.1:8080/api/v3")
    assert served.base_url == "http://127.0.0.1:8080/api/v3/"


def test_sandbox_and_production_urls(connect: Any, infakt_fake: InFaktFake) -> None:
    assert InFakt.configure(api_key=KEY, company_tax_id=COMPANY).base_url == BASE_URL == "https://api.infakt.pl/api/v3/"
    assert (
        InFakt.configure(api_key=KEY, company_tax_id=COMPANY, sandbox=True).base_url
        == SANDBOX_URL
        == "https://api.sandbox-infakt.pl/api/v3/"
    )
    connect(sandbox=True).send_invoice(invoice())
    assert {r.url.host for r in infakt_fake.requests} == {"api.sandbox-infakt.pl"}


def test_422_bodies_are_mapped_field_by_field() -> None:
    provider = InFakt.configure(api_key=KEY, company_tax_id=COMPANY)
    call = Call(httpx.Request("GET", BASE_URL + "x"), operation="op")
    body = {"error": "Błędy walidacji", "errors": {"client_tax_code": ["zły NIP"], "services": [{"gross": ["puste"]}],
                                                   "services.gross": "puste"}}  # fmt: skip
    error = provider.error_for(httpx.Response(422, json=body), call, 0.0)
    assert isinstance(error, ac.ProviderValidationError) and error.message == "Błędy walidacji"
    assert error.field_errors == {
        "client_tax_code": ["zły NIP"],
        "services[0].gross": ["puste"],
        "services.gross": ["puste"],
    }
    bare = provider.error_for(httpx.Response(422, text="not json"), call, 0.0)
    assert isinstance(bare, ac.ProviderValidationError) and bare.field_errors == {"": ["inFakt.pl answered HTTP 422"]}
    listed = provider.error_for(httpx.Response(400, json={"errors": {"number": ["jest już zajęty"]}}), call, 0.0)
    assert isinstance(listed, ac.ProviderValidationError) and listed.message == "number: jest już zajęty"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, ac.AuthenticationError),
        (402, ac.PermissionDenied),
        (403, ac.PermissionDenied),
        (404, ac.NotFound),
        (400, ac.ProviderValidationError),
        (423, ac.ProviderError),
        (503, ac.ServerError),
    ],
)
def test_status_codes_map_to_the_taxonomy(status: int, expected: type[ac.AccountingError]) -> None:
    call = Call(httpx.Request("GET", BASE_URL + "x"), operation="op")
    error = InFakt.configure(api_key=KEY, company_tax_id=COMPANY).error_for(
        httpx.Response(status, json={"error": "x"}), call, 0.0
    )
    assert type(error) is expected


@pytest.mark.parametrize("driver", DRIVERS)
def test_retry_after_as_seconds_or_a_date(driver: str) -> None:
    # The driver reads Retry-After in both forms; inFakt's default without one is its 60 s window.
    now = FakeClock().time()
    assert now == 1_767_225_600.0
    expected = {"17": now + 17, "Thu, 01 Jan 2026 00:00:30 GMT": now + 30, None: now + 60, "soon": now + 60}
    for header, retry_at in expected.items():
        headers = {} if header is None else {"Retry-After": header}
        sent: list[httpx.Request] = []
        transport = httpx.MockTransport(
            lambda request, h=headers, log=sent: log.append(request) or httpx.Response(429, headers=h)
        )
        # A clock of its own each time: the limiter of a clock remembers the block.
        conn = open_connector(
            driver, "infakt", transport=transport, clock=FakeClock(), api_key=KEY, company_tax_id=COMPANY, retry_cap=5.0
        )
        try:
            with pytest.raises(ac.RateLimited) as caught:
                conn.list_vat_rates()
        finally:
            conn.close()
        assert len(sent) == 1 and caught.value.retry_at == pytest.approx(retry_at), header
        assert (caught.value.provider, caught.value.operation) == ("infakt", "list_vat_rates")
    provider = InFakt.configure(api_key=KEY, company_tax_id=COMPANY)
    call = Call(httpx.Request("GET", BASE_URL + "x"), operation="op")
    limited = provider.error_for(httpx.Response(429, headers={"Retry-After": "17"}), call, now)
    assert isinstance(limited, ac.RateLimited) and limited.retry_at is None  # left to the driver
    assert InFakt.retry_after_default == 60


def test_polling_is_a_sans_io_flow_of_sleeps_and_reads() -> None:
    provider = InFakt.configure(
        api_key=KEY,
        company_tax_id=COMPANY,
        poll_interval=1.0,
        poll_backoff=3.0,
        max_poll_interval=5.0,
        poll_timeout=20.0,
    )
    flow = provider.send_invoice(invoice())
    create = next(flow)
    assert isinstance(create, Call) and create.creates and create.writes
    pending = {"invoice_task_reference_number": "t-1", "processing_code": 100}
    effect = flow.send(httpx.Response(202, json=pending))
    sleeps = []
    while isinstance(effect, Sleep):
        sleeps.append(effect.seconds)
        poll = flow.send(None)
        assert isinstance(poll, Call) and not poll.creates and not poll.writes
        assert poll.request.url.path.endswith("/async/invoices/status/t-1.json")
        try:
            effect = flow.send(httpx.Response(200, json={**pending, "processing_code": 140}))
        except InFaktTaskPending as error:
            assert error.task_reference == "t-1"
            break
    assert sleeps == [1.0, 3.0, 5.0, 5.0, 5.0, 1.0]


# ------------------------------------------------------------------ capabilities


def exercise(capability: ac.Capability, conn: Any, fake: InFaktFake) -> None:
    """One working call for each capability inFakt's row declares supported."""
    if capability is ac.Capability.SEND_INVOICE:
        assert conn.send_invoice(invoice()).number
    elif capability is ac.Capability.SEND_CORRECTION:
        original = invoice(reference="c-orig")
        sent = conn.send_invoice(original)
        reversal = ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="other", issue_date="2026-01-16"
        )
        assert conn.send_correction(reversal).number
    elif capability is ac.Capability.FETCH_PDF:
        assert conn.fetch_pdf(conn.send_invoice(invoice(reference="pdf"))).startswith(b"%PDF")
    elif capability is ac.Capability.LIST_PAYMENT_TYPES:
        assert conn.list_payment_types()
    elif capability is ac.Capability.LIST_VAT_RATES:
        assert conn.list_vat_rates()
    elif capability is ac.Capability.RECORD_PAYMENT:
        sent = conn.send_invoice(invoice(reference="pay"))
        assert conn.record_payment(sent, ac.Payment(method="cash", amount=TOTAL, paid_on="2026-01-16"))
        assert fake.find(id=sent.external_id) is not None
    elif capability is ac.Capability.EXTERNAL_NUMBERING:
        assert conn.send_invoice(invoice(reference="own", number="WEB/1/2026")).number == "WEB/1/2026"
    elif capability is ac.Capability.EINVOICE:
        assert conn.einvoice_status(conn.send_invoice(invoice(reference="ksef"))).state is ac.EInvoiceState.NOT_SENT
    else:
        raise AssertionError(f"no exercise written for {capability}")


@pytest.mark.parametrize(
    "capability", [capability for capability, entry in InFakt.capabilities if entry.support is ac.Support.SUPPORTED]
)
def test_every_supported_capability_works_against_the_fake(
    capability: ac.Capability, connect: Any, infakt_fake: InFaktFake
) -> None:
    exercise(capability, connect(), infakt_fake)


def test_capabilities_row_has_notes_for_what_is_missing() -> None:
    row = InFakt.capabilities
    assert row.provider == "infakt" and "infakt" in ac.providers()
    for capability in (ac.Capability.SEND_RECEIPT, ac.Capability.SKU_STOCK, ac.Capability.LIST_SERIES):
        assert row[capability].support is ac.Support.NOT_SUPPORTED and row[capability].note
    assert all(entry.note for capability, entry in row if entry.support is not ac.Support.SUPPORTED)


# ------------------------------------------------------------------ field names against the documented list


def test_every_field_name_sent_is_in_the_documented_list(connect: Any, infakt_fake: InFaktFake) -> None:
    # The list is tests/conformance/cases/infakt.py's `fields`, written from the inFakt
    # sheet with a source tag per name; the conformance suite checks it on every exercise.
    conn = connect()
    person = ac.Party(
        name="Anna Nowak", tax_id="123", address=ac.Address(street="a", city="b", postal_code="c", country="PL")
    )
    lines = [
        *invoice().lines,
        ac.Line(name="x", quantity=1, unit="szt.", unit_price=10, vat=ac.VatRate.of(23), discount_percent=10),
    ]
    original = invoice(lines=lines, number="A/1", notes="n", payment=ac.Payment(method="cash", amount="165.55"))
    sent = conn.send_invoice(original)
    conn.send_invoice(invoice(reference="2", buyer=person, prices_include_vat=True))
    conn.send_correction(
        ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="zwrot", issue_date="2026-01-20"
        )
    )
    conn.fetch_pdf(sent)
    conn.list_vat_rates()
    third = conn.send_invoice(invoice(reference="3"))
    conn.record_payment(third, ac.Payment(method="cash", amount=TOTAL, paid_on="2026-01-20"))
    assert undocumented_fields(CASE, infakt_fake.requests) == {}
    sent_names = {name for request in infakt_fake.requests for name in CASE.field_names(request)}
    assert "X-inFakt-ApiKey" in CASE.fields
    assert {"services", "client_post_code", "corrected_invoice_uuid", "unit_net_price_before_discount"} <= sent_names
    assert {"?document_type", "?locale", "paid_date", "client_first_name", "gross_price", "nip"} <= sent_names
    assert infakt_fake.ignored_fields == []


def test_the_documented_list_refuses_the_names_infakt_silently_drops() -> None:
    # IF-OL: `post_code`/`name` on a client, `client_postal_code` inline are dropped without an error.
    bad = httpx.Request("POST", BASE_URL + "clients.json", json={"client": {"name": "x", "post_code": "00-001"}})
    assert undocumented_fields(CASE, [bad]) == {"POST /api/v3/clients.json": {"post_code"}}
    inline = httpx.Request("POST", BASE_URL + "async/invoices.json", json={"invoice": {"client_postal_code": "1"}})
    assert undocumented_fields(CASE, [inline]) == {"POST /api/v3/async/invoices.json": {"client_postal_code"}}
    assert all(tag.startswith("infakt.md §") for tag in CASE.fields.values())


# ------------------------------------------------------------------ the grosze codec


def _exact_grosze(value: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 200
        return value * 100


two_places = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2)


@given(two_places, st.integers(min_value=0, max_value=6))
def test_to_grosze_is_exact_and_round_trips(value: Decimal, extra_zeros: int) -> None:
    padded = Decimal((*value.as_tuple()[:2], value.as_tuple()[2]))
    if extra_zeros:
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        padded = Decimal((sign, (*digits, *([0] * extra_zeros)), exponent - extra_zeros))
    assert padded == value
    grosze = to_grosze(padded)
    assert type(grosze) is int and Decimal(grosze) == _exact_grosze(value)
    back = from_grosze(grosze)
    assert back == value and back.as_tuple().exponent == -2


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6))
def test_to_grosze_refuses_fractions_of_a_grosz(value: Decimal) -> None:
    assume(value != value.quantize(Decimal("0.01")))
    with pytest.raises(ac.ValidationError, match="grosze"):
        to_grosze(value, "x")


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6))
def test_round_to_grosze_is_half_up_to_a_grosz(value: Decimal) -> None:
    expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert round_to_grosze(value) == int(_exact_grosze(expected))


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_from_grosze_then_to_grosze_is_identity(grosze: int) -> None:
    assert to_grosze(from_grosze(grosze)) == grosze


def test_the_codec_refuses_what_is_not_a_decimal_amount() -> None:
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("1E+40")):
        with pytest.raises(ac.ValidationError):
            to_grosze(bad)
    with pytest.raises(TypeError):
        from_grosze(True)
    with pytest.raises(ac.ValidationError):
        to_grosze(0.1)  # type: ignore[arg-type]  # a float is never money


# ------------------------------------------------------------------ any invoice


@settings(max_examples=60, deadline=None)
@given(any_invoice())
def test_any_invoice_is_either_sent_once_or_refused_locally_with_a_field(document: ac.Invoice) -> None:
    clock = FakeClock()
    fake = InFaktFake(clock=clock)
    conn = ac.connect("infakt", transport=fake, clock=clock, api_key=KEY, company_tax_id=COMPANY)
    try:
        sent = conn.send_invoice(document)
    except ac.ValidationError as error:
        event(f"refused locally: {error.field}")
        assert error.field
        assert fake.requests == []
    except ac.UnsupportedOperation:
        event("unsupported")
        assert fake.requests == []
    except ac.ProviderValidationError as error:
        event(f"refused by inFakt: {sorted(error.field_errors)}")
        assert len(calls(fake, "POST", "async/invoices.json")) == 1 and invoices(fake) == []
    else:
        event("sent")
        assert len(calls(fake, "POST", "async/invoices.json")) == 1
        assert [stored.id for stored in invoices(fake)] == [sent.external_id]
        assert fake.ignored_fields == []


def _twisted(fake: InFaktFake, twist: Any) -> httpx.MockTransport:
    """The fake, with ``twist(request, response)`` free to replace an answer."""

    def handler(request: httpx.Request) -> httpx.Response:
        return twist(request, fake.handle_request(request))

    return httpx.MockTransport(handler)


def _exporter(transport: httpx.BaseTransport, clock: FakeClock) -> Any:
    from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger

    conn = ac.connect("infakt", api_key=KEY, company_tax_id=COMPANY, transport=transport, clock=clock)
    return Exporter(conn, IntegrationSettings(), SQLiteLedger(":memory:"))


@pytest.mark.parametrize(
    "twist_name",
    ["create answered with an empty 202", "read-back answered with HTML", "task ended with processing_code 500"],
)
def test_anything_odd_after_an_accepted_create_is_held_never_resent(
    infakt_fake: InFaktFake, fake_clock: FakeClock, twist_name: str
) -> None:
    from accounting_connectors.export import ExportStatus

    twisted: list[str] = []

    def twist(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        path = request.url.path
        if twisted:
            return response
        if twist_name.startswith("create") and request.method == "POST" and path.endswith("async/invoices.json"):
            twisted.append(path)
            return httpx.Response(202, content=b"")
        if (
            twist_name.startswith("read-back")
            and request.method == "GET"
            and "/invoices/" in path
            and "status" not in path
        ):
            twisted.append(path)
            return httpx.Response(200, content=b"<html>maintenance</html>")
        if twist_name.startswith("task") and "status" in path:
            twisted.append(path)
            return httpx.Response(200, json={"processing_code": 500, "processing_description": "Błąd"})
        return response

    exporter = _exporter(_twisted(infakt_fake, twist), fake_clock)
    first = exporter.export(invoice())
    assert first.status is ExportStatus.UNCERTAIN, first
    # The next export asks inFakt by the task reference recorded with the hold: it settles
    # when inFakt can tell, and stays held when no task reference came back.
    expected = ExportStatus.UNCERTAIN if twist_name.startswith("create") else ExportStatus.SENT
    assert exporter.export(invoice()).status is expected
    assert len(creates(infakt_fake)) == 1


def test_the_documented_task_failure_is_final_and_safe_to_fix(infakt_fake: InFaktFake, fake_clock: FakeClock) -> None:
    from accounting_connectors.export import ExportStatus

    exporter = _exporter(infakt_fake, fake_clock)
    infakt_fake.fail_next_task()
    assert exporter.export(invoice()).status is ExportStatus.FAILED
    assert exporter.export(invoice(notes="fixed")).status is ExportStatus.SENT


def test_a_partly_paid_invoice_is_not_marked_paid_whole(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())

    def partly(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith(f"invoices/{sent.external_id}.json"):
            body = json.loads(response.content)
            body["left_to_pay"] = body["gross_price"] // 2
            return httpx.Response(200, json=body)
        return response

    partial = ac.connect(
        "infakt", api_key=KEY, company_tax_id=COMPANY, transport=_twisted(infakt_fake, partly), clock=infakt_fake.clock
    )
    gross = (
        Decimal(
            json.loads(
                infakt_fake.handle_request(
                    httpx.Request(
                        "GET", f"{BASE_URL}invoices/{sent.external_id}.json", headers={"X-inFakt-ApiKey": KEY}
                    )
                ).read()
            )["gross_price"]
        )
        / 100
    )
    with pytest.raises(ac.UnsupportedOperation, match="partly paid"):
        partial.record_payment(sent, ac.Payment(method="transfer", amount=gross, paid_on="2026-01-20"))


def test_the_paid_mark_always_carries_a_date(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    gross = document_totals(invoice().lines, prices_include_vat=False).total.gross
    conn.record_payment(sent, ac.Payment(method="transfer", amount=gross))
    marks = [json.loads(r.content) for r in infakt_fake.requests if r.url.path.endswith("/paid.json")]
    assert marks and all(mark["invoice"].get("paid_date") for mark in marks)


def test_a_correction_of_an_inline_buyer_stores_the_client_first(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    reversal = ac.Correction.full_reversal(
        reference="k-1", original=original, original_document=sent, reason="other", issue_date="2026-01-20"
    )
    conn.send_correction(reversal)
    stored = [json.loads(r.content) for r in infakt_fake.requests if r.url.path.endswith("/clients.json")]
    assert stored == [{"client": {**stored[0]["client"], "country": original.buyer.address.country}}]  # type: ignore[union-attr]
    assert stored[0]["client"]["company_name"] == original.buyer.name
    body = [
        json.loads(r.content) for r in infakt_fake.requests if r.url.path.endswith("async/corrective_invoices.json")
    ]
    assert isinstance(body[0]["corrective_invoice"]["client_id"], int)
    assert "client_company_name" not in body[0]["corrective_invoice"]
