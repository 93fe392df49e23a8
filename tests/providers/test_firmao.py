"""The Firmao connector against its fake: every trap of the sheet, every send-once path, both drivers."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.firmao import Firmao, FirmaoSettings
from accounting_connectors.connectors.firmao.wire import (
    created_id,
    entry_amounts,
    money_text,
    next_number,
    total,
    unit_net_price,
)
from accounting_connectors.flow import Call
from accounting_connectors.ratelimit import CredentialLimiter
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.firmao import DEMO_LOGIN, DEMO_PASSWORD, FirmaoFake

from ..drivers import DRIVERS, open_connector

ISSUE = dt.date(2026, 1, 15)
TRANSACTIONS = "demo/svc/v1/transactions"
SETTINGS: dict[str, Any] = {"organization_id": "demo", "login": DEMO_LOGIN, "password": DEMO_PASSWORD}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FirmaoFake:
    return FirmaoFake(clock=clock)


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, fake: FirmaoFake, clock: FakeClock) -> Iterator[Any]:
    """A factory of connectors to the fake, sync or async behind one blocking interface."""
    made: list[Any] = []

    def factory(transport: Any = None, **options: Any) -> Any:
        client = open_connector(
            request.param, "firmao", transport=transport or fake, clock=clock, **{**SETTINGS, **options}
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def company(name: str = "Internet Center", nip: str = "1060000062") -> ac.Party:
    return ac.Party(
        name=name,
        tax_id=nip,
        is_company=True,
        address=ac.Address(street="Piotrkowska 147/8", postal_code="91-477", city="Łódź", country="PL"),
    )


def invoice(reference: str = "order-1", **changes: Any) -> ac.Invoice:
    base = ac.Invoice(
        reference=reference,
        issue_date=ISSUE,
        buyer=company(),
        lines=[
            ac.Line(name="Produkt", quantity=2, unit="szt.", unit_price="100.00", vat=ac.VatRate.of(23), sku="SKU-1"),
            ac.Line(name="Książka B", quantity=1, unit="szt.", unit_price="50.00", vat=ac.VatRate.of(5)),
        ],
        currency="PLN",
    )
    return attrs.evolve(base, **changes)


def posts(fake: FirmaoFake) -> list[httpx.Request]:
    return [request for request in fake.requests if request.method == "POST"]


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content, parse_float=Decimal)


# What is sent.


def test_an_invoice_is_a_transaction_written_as_firmao_documents(connect: Any, fake: FirmaoFake) -> None:
    sent = connect().send_invoice(invoice(notes="Dziękujemy"))
    assert sent.number == "1/1/2026"
    assert sent.external_id == fake.documents[0].id
    assert sent.issue_date == ISSUE
    (post,) = posts(fake)
    assert (
        post.headers["Authorization"] == "Basic " + base64.b64encode(f"{DEMO_LOGIN}:{DEMO_PASSWORD}".encode()).decode()
    )
    assert str(post.url) == "https://system.firmao.pl/demo/svc/v1/transactions"
    body = body_of(post)
    assert body["type"] == "INVOICE" and body["mode"] == "SALE"
    assert body["transactionNumber"] == "1/1/2026"
    assert body["customer"] == 50  # matched by NIP, not createCustomerIfNeeded
    assert "createCustomerIfNeeded" not in body
    assert body["customerAddress.city"] == "Łódź" and body["customerAddress.country"] == "Polska"
    assert "customerAddress" not in body  # dotted, flat
    assert body["invoiceAnnotations"] == "Dziękujemy\nZamówienie order-1"
    assert body["transactionEntries"][0] == {
        "product": "Produkt",
        "productCode": "SKU-1",
        "quantity": 2,
        "unit": "szt.",
        "vatPercent": 23,
        "unitNettoPrice": "100.00",
        "discount": None,
    }
    assert (body["transactionNettoPrice"], body["transactionVatPrice"], body["transactionBruttoPrice"]) == (
        "250.00",
        "48.50",
        "298.50",
    )
    assert body["paid"] is False and body["paidValue"] == 0 and body["restOfPaidValue"] == 298.5
    assert body["paymentDate"] == "2026-01-29" and body["paymentType"] == "TRANSFER"
    stored = fake.documents[0]
    assert stored.total == Decimal("298.50") and stored.account == "demo"


def test_without_read_back_the_number_sent_is_returned(connect: Any, fake: FirmaoFake) -> None:
    sent = connect(read_back=False).send_invoice(invoice())
    assert sent.number == "1/1/2026" and sent.external_id == fake.documents[0].id and sent.issue_date == ISSUE
    assert fake.requests[-1].method == "POST"


def test_the_number_comes_from_invoicenumbers_next_right_before_the_post(connect: Any, fake: FirmaoFake) -> None:
    connect().send_invoice(invoice())
    paths = [(request.method, request.url.path) for request in fake.requests]
    at = paths.index(("POST", "/demo/svc/v1/transactions"))
    assert paths[at - 1] == ("GET", "/demo/svc/v1/invoicenumbers/next")
    params = fake.requests[at - 1].url.params
    assert dict(params) == {"objectClass": "transaction", "type": "invoice", "mode": "SALE", "id": "1"}


def test_the_next_number_answer_may_be_an_object(clock: FakeClock, connect: Any) -> None:
    other = FirmaoFake(next_answer="object", clock=clock)
    assert connect(transport=other).send_invoice(invoice()).number == "1/1/2026"
    assert next_number({"number": "5/1/2026"}) == "5/1/2026"
    assert next_number("7/1/2026") == "7/1/2026"
    assert next_number({"data": {"nextNumber": "8/1/2026"}}) == "8/1/2026"
    assert next_number({"unexpected": True}) is None


def test_a_numbering_line_by_setting_or_by_series_name(connect: Any, fake: FirmaoFake) -> None:
    fake.organizations["demo"].lines.append({"id": 2, "name": "Sklep", "patterns": {"invoice": "S/{n}/{yyyy}"}})
    assert connect(numbering_line_id=2).send_invoice(invoice("a")).number == "S/1/2026"
    assert connect().send_invoice(invoice("b", series="Sklep")).number == "S/2/2026"
    with pytest.raises(ac.ValidationError, match="not a Firmao numbering line"):
        connect().send_invoice(invoice("c", series="Nope"))


def test_the_new_id_is_the_create_entry_of_the_transaction_not_the_first_entry(connect: Any, fake: FirmaoFake) -> None:
    person = ac.Party(name="Jan Nowak")
    sent = connect().send_invoice(invoice(buyer=person))
    stored = fake.documents[0]
    assert sent.external_id == stored.id
    log = sent.raw["changelog"]["changelog"]
    assert log[0]["objectClass"] == "customer" and log[0]["modification"] == "CREATE"  # the trap
    assert str(log[0]["objectId"]) != sent.external_id


def test_created_id_reads_the_documented_change_log() -> None:
    answer = {
        "changelog": [
            {"modification": "CREATE", "objectClass": "commisionuser", "objectId": 35},
            {"modification": "CHANGE", "objectClass": "customer", "objectId": 50, "property": "transactionsCount"},
            {"modification": "CREATE", "objectClass": "transaction", "objectId": 50035},
        ],
        "showCustomVatWarning": "true",
    }
    assert created_id(answer, "transaction") == 50035
    assert created_id({"changelog": answer["changelog"][:2]}, "transaction") is None
    assert created_id([], "transaction") is None


def test_a_person_buyer_is_created_by_name_and_namesakes_merge(connect: Any, fake: FirmaoFake) -> None:
    person = ac.Party(name="Internet Center", email="a@example.pl", phone="111222333")
    connect().send_invoice(invoice(buyer=person))
    body = body_of(posts(fake)[0])
    assert body["createCustomerIfNeeded"] is True and body["customerName"] == "Internet Center"
    assert body["emails"] == ["a@example.pl"] and body["phones"] == ["111222333"]
    # The trap: Firmao attaches the existing customer of that name (F-DOC).
    assert fake.documents[0].detail["customer"]["id"] == 50


def test_a_company_with_an_unknown_nip_is_created_by_name(connect: Any, fake: FirmaoFake) -> None:
    connect().send_invoice(invoice(buyer=company("Nowa Firma", "5252344078")))
    body = body_of(posts(fake)[0])
    assert body["createCustomerIfNeeded"] is True and body["nipNumber"] == "5252344078"
    assert fake.documents[0].detail["customer"]["id"] != 50


def test_nip_matching_can_be_switched_off(connect: Any, fake: FirmaoFake) -> None:
    connect(match_customers_by_nip=False).send_invoice(invoice())
    assert not any(request.url.path.endswith("/customers") for request in fake.requests)


def test_a_discount_is_sent_in_the_price_and_stated_in_the_note(connect: Any, fake: FirmaoFake) -> None:
    line = ac.Line(
        name="Rower", quantity=1, unit="szt.", unit_price="200.00", vat=ac.VatRate.of(23), discount_percent=10
    )
    connect().send_invoice(invoice(lines=[line]))
    body = body_of(posts(fake)[0])
    assert body["transactionEntries"][0]["unitNettoPrice"] == "180.00"
    assert body["transactionEntries"][0]["discount"] is None
    assert "Rower: rabat 10%" in body["invoiceAnnotations"]
    assert fake.documents[0].total == Decimal("221.40")


def test_what_firmao_cannot_take_is_refused_before_any_request(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    zw = ac.Line(name="Usługa", quantity=1, unit="szt.", unit_price="10.00", vat=ac.VatRate.special(ac.VatKind.EXEMPT))
    odd = ac.Line(name="X", quantity=3, unit="szt.", unit_price="9.99", vat=ac.VatRate.of(23), discount_percent=10)
    fine = ac.Line(name="Y", quantity="0.0001", unit="kg", unit_price="1.00", vat=ac.VatRate.of(23))
    cases = [
        (invoice(lines=[zw]), "exempt"),
        (invoice(prices_include_vat=True), "net prices"),
        (invoice(lines=[odd]), "whole number of grosze"),
        (invoice(lines=[fine]), "three decimal places"),
        (invoice(language="en"), "language"),
        (invoice(series="A", number="1"), "no series field"),
        (invoice(payment=ac.Payment(method="card", amount="10")), "CASH and TRANSFER"),
        (invoice(payment=ac.Payment(method="cash", amount="1000")), "more than"),
    ]
    for document, message in cases:
        with pytest.raises(ac.ValidationError, match=message):
            client.send_invoice(document)
    assert fake.request_count == 0


def test_other_payment_methods_only_by_explicit_mapping(connect: Any, fake: FirmaoFake) -> None:
    client = connect(payment_methods={"card": "TRANSFER"})
    paid = invoice(payment=ac.Payment(method="Card", amount="298.50"))
    client.send_invoice(paid)
    body = body_of(posts(fake)[0])
    assert body["paymentType"] == "TRANSFER" and body["paid"] is True and body["restOfPaidValue"] == 0
    assert fake.documents[0].paid == Decimal("298.50")
    with pytest.raises(ac.ConfigurationError, match="CASH and TRANSFER"):
        connect(payment_methods={"card": "CARD"})


def test_local_numbering_sends_the_callers_number(connect: Any, fake: FirmaoFake) -> None:
    sent = connect().send_invoice(invoice(number="FV/1/2026"))
    assert sent.number == "FV/1/2026"
    assert not any("invoicenumbers" in request.url.path for request in fake.requests)


# Send once.


def test_a_201_without_the_create_entry_is_reconciled_by_the_number(connect: Any, fake: FirmaoFake) -> None:
    # An ambiguous answer (issue: "a 201 without such an entry") is looked up by the number sent,
    # as after any ambiguous answer (firmao.md §14); it is never resent.
    fake.omit_create_entry()
    sent = connect().send_invoice(invoice())
    assert sent.number == "1/1/2026" and sent.external_id == fake.documents[0].id
    assert len(posts(fake)) == 1 and len(fake.documents) == 1


def test_a_201_without_the_create_entry_and_no_lookup_is_ambiguous(connect: Any, fake: FirmaoFake) -> None:
    fake.omit_create_entry()
    fake.inject(Fault.SERVER_ERROR, TRANSACTIONS, method="GET", times=None)
    with pytest.raises(ac.AmbiguousOutcome, match="without a CREATE entry") as caught:
        connect().send_invoice(invoice())
    fake.faults.clear()
    assert "1/1/2026" in str(caught.value)
    assert len(posts(fake)) == 1 and len(fake.documents) == 1


def test_an_empty_change_log_under_200_is_ambiguous(connect: Any, fake: FirmaoFake) -> None:
    fake.inject(Fault.ERROR_TEXT_200, TRANSACTIONS, method="POST")
    with pytest.raises(ac.AmbiguousOutcome, match="HTTP 200 without a CREATE entry"):
        connect().send_invoice(invoice())
    assert len(posts(fake)) == 1 and fake.documents == []


def test_a_lost_answer_after_commit_is_reconciled_by_the_number(connect: Any, fake: FirmaoFake) -> None:
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, TRANSACTIONS, method="POST")
    sent = connect().send_invoice(invoice())
    assert sent.number == "1/1/2026" and sent.external_id == fake.documents[0].id
    assert len(posts(fake)) == 1 and len(fake.documents) == 1
    lookup = [r for r in fake.requests if r.method == "GET" and "transactionNumber(eq)" in r.url.params]
    assert lookup and lookup[0].url.params["mode(eq)"] == "SALE"


def test_a_server_error_after_commit_is_reconciled(connect: Any, fake: FirmaoFake) -> None:
    fake.fail_after_commit(status=502)
    sent = connect().send_invoice(invoice())
    assert sent.external_id == fake.documents[0].id
    assert len(posts(fake)) == 1


def test_a_create_that_did_not_happen_stays_ambiguous_and_is_never_resent(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    for fault in (Fault.SERVER_ERROR, Fault.TIMEOUT_BEFORE_COMMIT):
        fake.inject(fault, TRANSACTIONS, method="POST")
        with pytest.raises(ac.AmbiguousOutcome):
            client.send_invoice(invoice())
    assert len(posts(fake)) == 2 and fake.documents == []


def test_a_failed_read_back_does_not_turn_the_create_into_an_error(connect: Any, fake: FirmaoFake) -> None:
    fake.inject(Fault.SERVER_ERROR, TRANSACTIONS, method="GET", times=None)
    sent = connect().send_invoice(invoice())
    fake.faults.clear()
    assert sent.number == "1/1/2026" and sent.external_id == fake.documents[0].id
    assert len(posts(fake)) == 1


def test_a_failed_lookup_after_a_lost_answer_stays_ambiguous(connect: Any, fake: FirmaoFake) -> None:
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, TRANSACTIONS, method="POST")
    fake.inject(Fault.SERVER_ERROR, TRANSACTIONS, method="GET", times=None)
    with pytest.raises(ac.AmbiguousOutcome):
        connect().send_invoice(invoice())
    fake.faults.clear()
    assert len(posts(fake)) == 1 and len(fake.documents) == 1


def test_a_reset_before_sending_is_retried(connect: Any, fake: FirmaoFake) -> None:
    fake.inject(Fault.CONNECTION_RESET, TRANSACTIONS, method="POST")
    sent = connect().send_invoice(invoice())
    assert len(fake.dropped_requests) == 1 and len(posts(fake)) == 1
    assert [document.number for document in fake.documents] == [sent.number]


def test_a_taken_own_number_is_refused_with_the_suggestion(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    client.send_invoice(invoice("first", number="1/1/2026"))
    with pytest.raises(ac.ProviderValidationError, match="already used") as caught:
        client.send_invoice(invoice("second", number="1/1/2026"))
    assert "suggests 2/1/2026" in caught.value.message
    assert "transactionNumber" in caught.value.field_errors
    assert len(fake.documents) == 1


def test_a_resend_that_hits_its_own_number_is_the_document(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    first = client.send_invoice(invoice("same", number="9/1/2026"))
    again = client.send_invoice(invoice("same", number="9/1/2026"))
    assert again.external_id == first.external_id and len(fake.documents) == 1


class _Racing(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers invoicenumbers/next with a number someone else has just taken."""

    def __init__(self, fake: FirmaoFake, number: str) -> None:
        self.fake, self.number = fake, number

    def _answer(self, request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("invoicenumbers/next"):
            return httpx.Response(200, json=self.number, request=request)
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request) or self.fake.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request) or await self.fake.handle_async_request(request)


def test_a_next_number_taken_meanwhile_uses_the_suggestion_once(connect: Any, fake: FirmaoFake) -> None:
    connect().send_invoice(invoice("someone-else", number="1/1/2026"))
    sent = connect(transport=_Racing(fake, "1/1/2026")).send_invoice(invoice("mine"))
    assert sent.number == "2/1/2026"
    assert [body_of(r)["transactionNumber"] for r in posts(fake)] == ["1/1/2026", "1/1/2026", "2/1/2026"]


# Errors.


def _error(status: int, body: Any) -> ac.AccountingError | None:
    provider = Firmao.configure(**SETTINGS)
    request = httpx.Request("POST", "https://system.firmao.pl/demo/svc/v1/transactions")
    return provider.error_for(httpx.Response(status, json=body, request=request), Call(request, "send_invoice"), 0.0)


def test_the_documented_error_bodies_are_mapped_field_by_field() -> None:
    missing = _error(
        400,
        {"errorCode": "entityNotFoundForId", "field": "project", "rejectedValue": "50",
         "additionalInfo": {"id": "50", "cls": "project"}},
    )  # fmt: skip
    assert isinstance(missing, ac.ProviderValidationError)
    assert list(missing.field_errors) == ["project"] and "entityNotFoundForId" in missing.message
    duplicate = _error(
        409,
        {"errorCode": "duplicateValueFoundException", "objectName": "customer", "fieldName": "nipNumber",
         "duplicateValues": [{"lineNumber": -1, "objectId": 51, "value": "7291077843"}]},
    )  # fmt: skip
    assert isinstance(duplicate, ac.ProviderValidationError)
    assert list(duplicate.field_errors) == ["nipNumber"] and "7291077843 (object 51)" in duplicate.message
    taken = _error(
        400, {"errorCode": "transactionNumberAlreadyExists", "additionalInfo": {"suggestedNumber": "2/8/2012"}}
    )
    assert isinstance(taken, ac.ProviderValidationError)
    assert "suggested number 2/8/2012" in taken.field_errors["transactionNumber"][0]
    assert isinstance(_error(401, None), ac.AuthenticationError)
    assert isinstance(_error(403, None), ac.PermissionDenied)
    assert isinstance(_error(404, None), ac.NotFound)
    assert isinstance(_error(501, None), ac.ServerError)
    assert _error(201, {"changelog": []}) is None


def test_repeated_429s_back_off_from_5_to_30_seconds() -> None:
    provider = Firmao.configure(**SETTINGS)
    request = httpx.Request("GET", "https://system.firmao.pl/demo/svc/v1/transactions")
    waits = []
    for _ in range(5):
        error = provider.error_for(httpx.Response(429, request=request), Call(request, "x"), 100.0)
        assert isinstance(error, ac.RateLimited) and error.retry_at is not None
        waits.append(error.retry_at - 100.0)
    assert waits == [5.0, 10.0, 20.0, 30.0, 30.0]
    assert provider.error_for(httpx.Response(200, request=request), Call(request, "x"), 100.0) is None
    again = provider.error_for(httpx.Response(429, request=request), Call(request, "x"), 100.0)
    assert isinstance(again, ac.RateLimited) and again.retry_at == 105.0


def test_a_wrong_password_is_an_authentication_error_without_the_secret(connect: Any, fake: FirmaoFake) -> None:
    with pytest.raises(ac.AuthenticationError) as caught:
        connect(password="wrong-secret").send_invoice(invoice())
    assert "wrong-secret" not in str(caught.value) and caught.value.provider == "firmao"


def test_credential_rotation(connect: Any, fake: FirmaoFake) -> None:
    old = connect()
    old.send_invoice(invoice("before"))
    fake.add_user("demo", DEMO_LOGIN, "rotated-password")
    with pytest.raises(ac.AuthenticationError):
        old.send_invoice(invoice("during"))
    connect(password="rotated-password").send_invoice(invoice("after"))
    assert [document.number for document in fake.documents] == ["1/1/2026", "2/1/2026"]


def test_one_fake_serves_several_organizations(connect: Any, fake: FirmaoFake) -> None:
    fake.add_organization("stellis", "api@stellis.pl", "s3cret")
    shop = connect(organization_id="stellis", login="api@stellis.pl", password="s3cret")
    assert shop.account() == "stellis" and connect().account() == "demo"
    shop.send_invoice(invoice(buyer=company("Stellis Klient", "5252344078")))
    connect().send_invoice(invoice())
    assert [(d.account, d.number) for d in fake.documents] == [("stellis", "1/1/2026"), ("demo", "1/1/2026")]
    with pytest.raises(ac.AuthenticationError):
        connect(organization_id="stellis").send_invoice(invoice())


def test_the_pace_is_one_request_per_second_with_no_penalty(connect: Any, fake: FirmaoFake, clock: FakeClock) -> None:
    start = clock.time()
    client = connect()
    for index in range(3):
        client.send_invoice(invoice(f"order-{index}"))
    assert fake.penalties == 0
    assert clock.time() - start >= fake.request_count - 1


def test_a_429_is_waited_out(connect: Any, fake: FirmaoFake, clock: FakeClock) -> None:
    unpaced = CredentialLimiter((), clock)
    start = clock.time()
    sent = connect(limiter=unpaced).send_invoice(invoice())
    assert sent.number and fake.penalties > 0
    assert clock.time() - start >= 5.0
    assert len(fake.documents) == 1


# Lookup.


def test_find_document_by_the_reference_in_the_annotations(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice("order-10"))
    client.send_invoice(invoice("order-1"))
    found = client.find_document(ac.DocumentKind.INVOICE, "order-1")
    assert found is not None and found.number == "2/1/2026" and found.external_id != sent.external_id
    assert client.find_document(ac.DocumentKind.INVOICE, "order-") is None
    assert client.find_document(ac.DocumentKind.RECEIPT, "order-1") is None


def test_find_document_by_a_custom_field(connect: Any, fake: FirmaoFake) -> None:
    client = connect(reference_field="customFields.custom5")
    client.send_invoice(invoice("order-7"))
    body = body_of(posts(fake)[0])
    assert body["customFields.custom5"] == "order-7" and "invoiceAnnotations" not in body
    assert fake.documents[0].detail["customFields"] == {"custom5": "order-7"}
    found = client.find_document(ac.DocumentKind.INVOICE, "order-7")
    assert found is not None and found.reference == "order-7"
    assert client.find_document(ac.DocumentKind.INVOICE, "order-8") is None
    with pytest.raises(ac.ConfigurationError):
        connect(reference_field="invoiceAnnotations")


def test_an_ignored_filter_is_an_error_not_a_missing_document(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    client.send_invoice(invoice("order-1"))
    fake.ignore_filters = True
    with pytest.raises(ac.ProviderError, match="ignored the filter"):
        client.find_document(ac.DocumentKind.INVOICE, "order-2")
    # A product lookup whose filters (both syntaxes) are ignored finds another product's code:
    # an error, neither linked nor reported as a missing product.
    with pytest.raises(ac.ProviderError, match="ignored the filter") as caught:
        client.send_invoice(invoice("order-3", use_stock=True, lines=invoice().lines[:1]))
    assert not isinstance(caught.value, ac.ValidationError)
    assert len(fake.documents) == 1


def test_the_product_lookup_falls_back_to_the_magento_filter_syntax(connect: Any, fake: FirmaoFake) -> None:
    # firmao.md "Changes" and §12: F-DOC's productCode(eq)= first, F-MAG's filters=(productCode="...")
    # kept; a server that ignores the first form still finds the product by the second.
    fake.ignored_filters = {"productCode(eq)"}
    connect().send_invoice(invoice(use_stock=True, lines=invoice().lines[:1]))
    assert body_of(posts(fake)[0])["transactionEntries"][0]["product"] == 52
    lookups = [r.url.params for r in fake.requests if r.url.path.endswith("/products")]
    assert [dict(params) for params in lookups] == [
        {"productCode(eq)": "SKU-1", "limit": "1"},
        {"filters": '(productCode="SKU-1")', "limit": "1"},
    ]


def test_an_unknown_sku_is_still_refused_when_firmao_answers_no_rows(connect: Any, fake: FirmaoFake) -> None:
    fake.ignored_filters = {"productCode(eq)"}
    line = attrs.evolve(invoice().lines[0], sku="NOPE")
    with pytest.raises(ac.ValidationError, match="NOPE"):
        connect().send_invoice(invoice(use_stock=True, lines=[line]))
    assert posts(fake) == []


def _crowd(fake: FirmaoFake, count: int) -> None:
    """``count`` older sale transactions (ids below the fake's), filling the first pages of a list."""
    rows = fake.organizations["demo"].transactions
    for identifier in range(1, count + 1):
        rows[identifier] = {"id": identifier, "type": "INVOICE", "mode": "SALE", "deleted": False,
                            "transactionNumber": f"OLD/{identifier}", "invoiceAnnotations": None}  # fmt: skip


def test_a_taken_number_is_not_replaced_when_the_number_lookup_is_blind(connect: Any, fake: FirmaoFake) -> None:
    # firmao.md §14 and UNCERTAIN 13: after transactionNumberAlreadyExists the number is looked up
    # before anything is resent; a lookup whose transactionNumber(eq) filter was ignored (and whose
    # page does not hold the number) cannot tell whose document it is, so nothing is resent.
    connect().send_invoice(invoice("someone-else", number="1/1/2026"))
    _crowd(fake, 60)
    fake.ignore_filters = True
    with pytest.raises(ac.ProviderError, match="ignored the filter"):
        connect(transport=_Racing(fake, "1/1/2026")).send_invoice(invoice("mine"))
    assert [body_of(r)["transactionNumber"] for r in posts(fake)] == ["1/1/2026", "1/1/2026"]
    assert len(fake.documents) == 1


def test_find_document_pages_on_when_the_total_size_is_unknown(connect: Any, fake: FirmaoFake) -> None:
    # firmao.md §2, §15: totalSize -1 means "at least limit results, probably more".
    rows = fake.organizations["demo"].transactions
    for identifier in range(1, 61):  # older transactions whose annotations contain the marker
        rows[identifier] = {"id": identifier, "type": "INVOICE", "mode": "SALE", "deleted": False,
                            "transactionNumber": f"OLD/{identifier}",
                            "invoiceAnnotations": f"Zamówienie order-1{identifier}"}  # fmt: skip
    client = connect()
    sent = client.send_invoice(invoice("order-1"))
    fake.unknown_total_size = True
    found = client.find_document(ac.DocumentKind.INVOICE, "order-1")
    assert found is not None and found.external_id == sent.external_id


def test_a_payment_is_not_a_document_to_look_up(connect: Any, fake: FirmaoFake) -> None:
    with pytest.raises(ac.UnsupportedOperation):
        connect().find_document(ac.DocumentKind.PAYMENT, "x")
    assert fake.request_count == 0


# Stock.


def test_use_stock_links_the_catalogue_product_and_moves_stock(connect: Any, fake: FirmaoFake) -> None:
    product = fake.organizations["demo"].products[52]
    before = product["currentStoreState"]
    line = invoice().lines[0]
    connect(warehouse_id=3).send_invoice(invoice(use_stock=True, lines=[line]))
    body = body_of(posts(fake)[0])
    assert body["transactionEntries"][0]["product"] == 52
    assert body["storageStateUpdate"] == "AUTO_UPDATE" and body["warehouse.id"] == 3
    assert product["currentStoreState"] == before - 2
    lookup = next(r for r in fake.requests if r.url.path.endswith("/products"))
    assert lookup.url.params["productCode(eq)"] == "SKU-1"


def test_an_unknown_sku_is_refused_before_the_create(connect: Any, fake: FirmaoFake) -> None:
    line = attrs.evolve(invoice().lines[0], sku="NOPE")
    with pytest.raises(ac.ValidationError, match="NOPE"):
        connect().send_invoice(invoice(use_stock=True, lines=[line]))
    assert posts(fake) == []
    with pytest.raises(ac.ValidationError, match="by id"):
        connect().send_invoice(invoice(use_stock=True, lines=invoice().lines[:1], warehouse="Magazyn 1"))


# Receipts, corrections, PDFs, payments, series.


def test_receipts_are_off_unless_asked_for(connect: Any, fake: FirmaoFake) -> None:
    receipt = ac.Receipt(
        reference="r", issue_date=ISSUE, lines=invoice().lines, currency="PLN", prices_include_vat=False
    )
    with pytest.raises(ac.UnsupportedOperation, match="receipts=True"):
        connect().send_receipt(receipt)
    assert fake.request_count == 0
    sent = connect(receipts=True).send_receipt(receipt)
    assert sent.kind is ac.DocumentKind.RECEIPT and sent.number == "1/1/2026/PAR"
    body = body_of(posts(fake)[0])
    assert body["type"] == "RECEIPT" and body["paid"] is True and body["paymentType"] == "CASH"
    assert body["customerName"] == "Klient detaliczny"
    assert connect(receipts=True).fetch_pdf(sent).startswith(b"%PDF")
    assert "/Paragon/" in fake.requests[-1].url.path


def test_a_correction_pairs_each_original_entry_before_and_after(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    original = invoice()
    sent = client.send_invoice(original)
    lines = (attrs.evolve(original.lines[0], quantity=1), original.lines[1])
    correction = ac.Correction(
        reference="order-1-kor",
        original=original,
        original_document=sent,
        lines=lines,
        reason="Zwrot 1 szt.",
        issue_date=dt.date(2026, 1, 20),
    )
    corrected = client.send_correction(correction)
    assert corrected.kind is ac.DocumentKind.CORRECTION and corrected.number == "2026/01/001/KOR"
    body = body_of(posts(fake)[-1])
    assert body["type"] == "CORRECTION" and body["connectedDocNumber"] == sent.number
    assert body["connectedDocDate"] == "2026-01-15" and body["correctionCause"] == "Zwrot 1 szt."
    entries = body["transactionEntries"]
    assert [entry.get("baseEntryId") is not None for entry in entries] == [True, False, True, False]
    assert entries[1]["invalidRecordId"] == entries[0]["recordId"] and entries[1]["quantity"] == 1
    assert (body["transactionNettoPrice"], body["transactionVatPrice"], body["transactionBruttoPrice"]) == (
        "-100.00",
        "-23.00",
        "-123.00",
    )
    stored = fake.find(number=corrected.number)
    assert stored is not None and stored.total == Decimal("-123.00") and stored.corrects == sent.number


def test_a_correction_of_another_providers_document_is_refused(connect: Any, fake: FirmaoFake) -> None:
    foreign = ac.SentDocument(
        provider="infakt", kind=ac.DocumentKind.INVOICE, reference="x", number="1", external_id="1"
    )
    correction = ac.Correction.full_reversal(
        reference="k", original=invoice(), original_document=foreign, reason="r", issue_date=ISSUE
    )
    with pytest.raises(ac.ValidationError, match=r"not a Firmao\.pl document"):
        connect().send_correction(correction)
    assert fake.request_count == 0


def test_the_pdf_uses_the_print_template(connect: Any, fake: FirmaoFake) -> None:
    client = connect(invoice_template="Faktura")
    sent = client.send_invoice(invoice())
    pdf = client.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"1/1/2026" in pdf
    last = fake.requests[-1]
    assert last.url.path == "/demo/svc/v1/reports/invoices/transaction/Faktura/1_1_2026.pdf"
    assert dict(last.url.params) == {"original": "true", "id": sent.external_id}
    with pytest.raises(ac.NotFound):
        connect(invoice_template="Nieznany").fetch_pdf(sent)


def test_payments_are_one_field_puts_verified_by_reading_back(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice())
    client.record_payment(sent, ac.Payment(method="transfer", amount="100.00"))
    puts = [request for request in fake.requests if request.method == "PUT"]
    assert [body_of(request) for request in puts] == [{"paidValue": 100}]
    recorded = client.record_payment(sent, ac.Payment(method="transfer", amount="198.50"))
    puts = [request for request in fake.requests if request.method == "PUT"]
    assert body_of(puts[-1]) == {"paid": True}
    stored = fake.find(number=sent.number)
    assert stored is not None and stored.paid == Decimal("298.50") and stored.detail["paymentStatus"] == "PAID"
    assert recorded.raw["transaction"]["paid"] is True
    with pytest.raises(ac.ValidationError, match="already paid"):
        client.record_payment(sent, ac.Payment(method="transfer", amount="1"))


def test_an_overpayment_is_refused_before_any_put(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    sent = client.send_invoice(invoice())
    with pytest.raises(ac.ValidationError, match="more than the unpaid"):
        client.record_payment(sent, ac.Payment(method="transfer", amount="1000"))
    assert not any(request.method == "PUT" for request in fake.requests)


def test_series_and_payment_types(connect: Any, fake: FirmaoFake) -> None:
    client = connect()
    assert [(s.name, s.is_default) for s in client.list_series()] == [("Domyślna", True)]
    assert [p.name for p in client.list_payment_types()] == ["CASH", "TRANSFER"]
    with pytest.raises(ac.UnsupportedOperation, match="no VAT listing"):
        client.list_vat_rates()


# Settings.


def test_settings_are_checked_and_the_password_is_hidden() -> None:
    with pytest.raises(ac.ConfigurationError, match="password"):
        ac.connect("firmao", organization_id="demo", login="x")  # type: ignore[call-overload]
    with pytest.raises(ac.ConfigurationError, match="organization_id"):
        ac.connect("firmao", organization_id="demo/../x", login="x", password="y")
    with pytest.raises(ac.ConfigurationError, match="https"):
        ac.connect("firmao", organization_id="demo", login="x", password="y", base_url="ftp://x")
    settings = FirmaoSettings(organization_id="demo", login="x", password="top-secret")
    assert "top-secret" not in repr(settings)
    provider = Firmao(settings)
    assert "top-secret" in provider.secrets()
    assert provider.root == "https://system.firmao.pl/demo/svc/v1/"
    net = Firmao.configure(organization_id="demo", login="x", password="y", base_url="https://system.firmao.net")
    assert net.root == "https://system.firmao.net/demo/svc/v1/"
    assert net.credential_fingerprint() != provider.credential_fingerprint()
    assert Firmao.configure(organization_id="demo", login="other", password="z").credential_fingerprint() == (
        provider.credential_fingerprint()
    )


def test_through_a_loopback_server(fake: FirmaoFake, clock: FakeClock) -> None:
    from accounting_connectors.testing import serve

    with serve(fake) as url, ac.connect("firmao", base_url=url, clock=clock, **SETTINGS) as client:
        assert client.send_invoice(invoice()).number == "1/1/2026"


# The wire codec, property-tested.

_rates = st.sampled_from(["0", "5", "8", "23"]).map(ac.VatRate.of)
_lines = st.builds(
    ac.Line,
    name=st.just("Pozycja"),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999"), places=3),
    unit=st.just("szt."),
    unit_price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
    vat=_rates,
)


@given(st.lists(_lines, min_size=1, max_size=5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_totals_sent_are_the_totals_firmao_books(lines: list[ac.Line]) -> None:
    clock = FakeClock()
    fake = FirmaoFake(clock=clock)
    with ac.connect("firmao", transport=fake, clock=clock, match_customers_by_nip=False, **SETTINGS) as client:
        client.send_invoice(invoice(lines=lines))
    body = body_of(posts(fake)[0])
    stored = fake.documents[0]
    assert body["transactionBruttoPrice"] == money_text(stored.total or Decimal(0))
    assert body["transactionNettoPrice"] == money_text(stored.detail["transactionNettoPrice"])
    assert body["transactionVatPrice"] == money_text(stored.detail["transactionVatPrice"])


@given(st.lists(_lines, min_size=1, max_size=3), st.data())
@settings(max_examples=25, deadline=None)
def test_correction_totals_are_the_difference_firmao_books(lines: list[ac.Line], data: st.DataObject) -> None:
    clock = FakeClock()
    fake = FirmaoFake(clock=clock)
    original = invoice(lines=lines)
    corrected = tuple(
        attrs.evolve(line, quantity=data.draw(st.decimals(min_value=Decimal(0), max_value=line.quantity, places=3)))
        for line in lines
    )
    with ac.connect("firmao", transport=fake, clock=clock, match_customers_by_nip=False, **SETTINGS) as client:
        sent = client.send_invoice(original)
        correction = ac.Correction(
            reference="k", original=original, original_document=sent, lines=corrected, reason="r", issue_date=ISSUE
        )
        client.send_correction(correction)
    body = body_of(posts(fake)[-1])
    stored = fake.documents[-1]
    assert stored.kind == "correction"
    assert body["transactionBruttoPrice"] == money_text(stored.total or Decimal(0))
    assert Decimal(body["transactionNettoPrice"]) + Decimal(body["transactionVatPrice"]) == stored.total
    assert Decimal(body["restOfPaidValue"]) == stored.total


@given(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("10000"), places=3),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
    st.sampled_from([Decimal(0), Decimal(5), Decimal(8), Decimal(23)]),
)
def test_an_entry_adds_up_exactly(count: Decimal, unit: Decimal, percent: Decimal) -> None:
    amounts = entry_amounts(count, unit, percent)
    assert amounts.net + amounts.vat == amounts.gross
    assert amounts.net == amounts.net.quantize(Decimal("0.01")) and amounts.vat == amounts.vat.quantize(Decimal("0.01"))
    assert abs(amounts.net - count * unit) <= Decimal("0.005")
    doubled = total([amounts, amounts])
    assert doubled.gross == 2 * amounts.gross
    assert Decimal(money_text(amounts.gross)) == amounts.gross


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2),
    st.integers(min_value=1, max_value=100),
)
def test_a_discounted_price_is_sent_only_in_whole_grosze(price: Decimal, percent: int) -> None:
    line = ac.Line(name="x", quantity=1, unit="szt.", unit_price=price, vat=ac.VatRate.of(23), discount_percent=percent)
    exact = price * (1 - Decimal(percent) / 100)
    if exact == exact.quantize(Decimal("0.01")):
        assert unit_net_price(line, "f", prices_include_vat=False) == exact
    else:
        with pytest.raises(ac.ValidationError):
            unit_net_price(line, "f", prices_include_vat=False)


@given(st.permutations(["customer", "commisionuser", "transaction", "product"]))
def test_the_create_entry_is_found_wherever_it_is_in_the_log(order: list[str]) -> None:
    log = [{"modification": "CREATE", "objectClass": name, "objectId": index} for index, name in enumerate(order)]
    assert created_id({"changelog": log}, "transaction") == order.index("transaction")


# The docs page.

_PAGE = Path(__file__).resolve().parents[2] / "docs" / "providers" / "firmao.md"


def test_the_docs_table_is_the_capability_row() -> None:
    # The docs build writes the row there from CAPABILITIES (docs/hooks.py), so it cannot drift.
    assert "<!-- capabilities:firmao -->" in _PAGE.read_text(encoding="utf-8")


def test_the_docs_example_runs_against_the_fake() -> None:
    text = _PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    example = next(block for block in blocks if "FirmaoFake" in block)
    exec(compile(example, str(_PAGE), "exec"), {})
