"""Oblio end to end against its fake, through Client and AsyncClient: every trap of the sheet."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.oblio import Oblio, codec
from accounting_connectors.money import document_totals
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.oblio import DEMO_CIF, DEMO_EMAIL, DEMO_SECRET, SECOND_CIF, OblioFake

from ..drivers import DRIVERS, open_connector
from ..strategies import invoices

SETTINGS = {"email": DEMO_EMAIL, "api_secret": DEMO_SECRET, "company_vat_code": DEMO_CIF}


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    # The token cache is process-wide (shared by every client of a credential); each test
    # starts from an empty one so request counts are its own.
    Oblio.forget_tokens()
    yield
    Oblio.forget_tokens()


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(driver: str, oblio_fake: OblioFake, fake_clock: FakeClock) -> Iterator[Callable[..., Any]]:
    """A factory of connectors to the fake, sync or async, with the same blocking interface."""
    made: list[Any] = []

    def factory(transport: Any = None, **options: Any) -> Any:
        client = open_connector(
            driver, "oblio", transport=transport or oblio_fake, clock=fake_clock, **{**SETTINGS, **options}
        )
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
            address=ac.Address(street="Str. Lunga 1", city="S1", region="Bucuresti", country="RO"),
            email="office@client.ro",
        ),
        "lines": [
            ac.Line(name="Tricou", quantity="2", unit="buc", unit_price="49.90", vat=ac.VatRate.of(21), sku="TR-1"),
            ac.Line(
                name="Transport", quantity="1", unit="buc", unit_price="15", vat=ac.VatRate.of(21), is_service=True
            ),
        ],
        "currency": "RON",
        "prices_include_vat": True,
        "due_date": "2026-01-30",
    }
    values.update(changes)
    return ac.Invoice(**values)


def body_of(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content, parse_float=Decimal, parse_int=Decimal)  # type: ignore[no-any-return]


def creates(fake: OblioFake) -> list[dict[str, Any]]:
    return [body_of(r) for r in fake.requests if r.method == "POST" and r.url.path == "/api/docs/invoice"]


def live(fake: OblioFake) -> list[Any]:
    return [document for document in fake.documents if not document.cancelled]


# Invoices and the wire codec.


def test_invoice_numbers_are_zero_padded_and_kept(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    second = conn.send_invoice(invoice(reference="order-1002"))
    assert (first.series, first.number, second.number) == ("FCT", "0001", "0002")
    assert first.url and first.external_id == first.url.split("id=")[1].split("&")[0]
    assert first.kind is ac.DocumentKind.INVOICE and first.issue_date == dt.date(2026, 1, 15)


def test_invoice_body_is_what_oblio_documents(connect: Any, oblio_fake: OblioFake) -> None:
    connect().send_invoice(invoice(notes="Comanda 1001", sale_date="2026-01-14", language="en"))
    body = creates(oblio_fake)[0]
    assert body["cif"] == DEMO_CIF and body["seriesName"] == "FCT" and body["idempotencyKey"].startswith("ac-i-")
    assert body["client"]["save"] == 0 and body["client"]["vatPayer"] == 1  # 0: do not overwrite stored data
    assert body["client"]["city"] == "Sector 1" and body["client"]["country"] == "Romania"
    assert body["deliveryDate"] == "2026-01-14" and body["language"] == "EN"
    assert body["mentions"] == "Comanda 1001\nRef: order-1001"
    line = body["products"][0]
    assert (line["vatName"], line["vatPercentage"], line["vatIncluded"]) == ("Normala", 21, 1)
    assert (line["code"], line["price"], line["quantity"], line["measuringUnit"]) == (
        "TR-1",
        Decimal("49.90"),
        2,
        "buc",
    )
    assert body["products"][1]["productType"] == "Serviciu"


def test_vat_included_is_always_sent_because_oblio_defaults_to_1(connect: Any, oblio_fake: OblioFake) -> None:
    net = invoice(prices_include_vat=False)
    connect().send_invoice(net)
    assert all(line["vatIncluded"] == 0 for line in creates(oblio_fake)[0]["products"])
    booked = oblio_fake.documents[0].total
    assert booked == document_totals(net.lines, prices_include_vat=False).total.gross == Decimal("138.91")


def test_vat_names_come_from_the_account_and_are_read_once(connect: Any, oblio_fake: OblioFake) -> None:
    oblio_fake.add_company(
        "RO999", "Alt SRL", vat_rates=[("Standard", Decimal(21), True), ("Taxare inversa", Decimal(0), False)]
    )
    oblio_fake.grant(DEMO_EMAIL, "RO999")
    conn = connect(company_vat_code="RO999")
    conn.send_invoice(invoice())
    reverse = ac.Line(
        name="Consultanta", quantity=1, unit="ora", unit_price=100, vat=ac.VatRate.special(ac.VatKind.REVERSE_CHARGE)
    )
    conn.send_invoice(invoice(reference="o-2", lines=[reverse]))
    sent = creates(oblio_fake)
    assert sent[0]["products"][0]["vatName"] == "Standard"
    assert (sent[1]["products"][0]["vatName"], sent[1]["products"][0]["vatPercentage"]) == ("Taxare inversa", 0)
    assert sum(1 for r in oblio_fake.requests if r.url.path.endswith("vat_rates")) == 1


def test_a_rate_the_account_lacks_is_refused_before_the_create(connect: Any, oblio_fake: OblioFake) -> None:
    odd = ac.Line(name="Carte", quantity=1, unit="buc", unit_price=30, vat=ac.VatRate.of(7))
    with pytest.raises(ac.ValidationError) as caught:
        connect().send_invoice(invoice(lines=[odd]))
    assert caught.value.field == "lines[0].vat" and "Normala 21" in str(caught.value)
    assert creates(oblio_fake) == []


def test_a_discount_is_a_valoric_line_that_books_the_models_amount(connect: Any, oblio_fake: OblioFake) -> None:
    line = ac.Line(
        name="Tricou", quantity="3", unit="buc", unit_price="0.05", vat=ac.VatRate.of(21), discount_percent="50"
    )
    sent = invoice(lines=[line], prices_include_vat=False)
    connect().send_invoice(sent)
    products = creates(oblio_fake)[0]["products"]
    assert products[1] == {
        "name": "Discount 50% Tricou",
        "discount": Decimal("0.07"),
        "discountType": "valoric",
        "discountAllAbove": 0,
    }
    assert oblio_fake.documents[0].total == document_totals([line], prices_include_vat=False).total.gross


def test_own_numbering_uses_disable_auto_series(connect: Any, oblio_fake: OblioFake) -> None:
    sent = connect().send_invoice(invoice(series="FCT", number="0777"))
    assert creates(oblio_fake)[0]["disableAutoSeries"] == 1 and sent.number == "0777"


def test_stock_lines_carry_code_management_and_work_station(connect: Any, oblio_fake: OblioFake) -> None:
    before = oblio_fake.stock_of(DEMO_CIF, "TR-1")
    connect(work_station="Sediu").send_invoice(invoice(use_stock=True, warehouse="Magazin"))
    body = creates(oblio_fake)[0]
    assert (body["useStock"], body["workStation"]) == (1, "Sediu")
    assert (body["products"][0]["management"], body["products"][0]["productType"]) == ("Magazin", "Marfa")
    assert "management" not in body["products"][1]  # a service takes no stock
    assert before is not None and oblio_fake.stock_of(DEMO_CIF, "TR-1") == before - 2


def test_stock_without_a_warehouse_is_refused_before_any_request(connect: Any, oblio_fake: OblioFake) -> None:
    with pytest.raises(ac.ValidationError, match="warehouse"):
        connect().send_invoice(invoice(use_stock=True))
    assert oblio_fake.request_count == 0


# Send once: the idempotency key.


def test_the_key_is_derived_from_namespace_company_and_reference() -> None:
    key = codec.idempotency_key("", "37311090", "invoice", "order-1")
    assert key == codec.idempotency_key("", "37311090", "invoice", "order-1")
    assert len({key, codec.idempotency_key("shop2", "37311090", "invoice", "order-1"),
                codec.idempotency_key("", "12345674", "invoice", "order-1"),
                codec.idempotency_key("", "37311090", "receipt", "order-1")}) == 4  # fmt: skip


def test_the_account_is_the_company_not_the_login(connect: Any) -> None:
    assert connect().account() == "37311090"
    assert connect(company_vat_code="37311090").account() == "37311090"
    assert connect(company_vat_code=SECOND_CIF).account() == "12345674"


def test_a_replay_answers_the_first_document(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    again = conn.send_invoice(invoice())
    assert again.number == first.number and len(oblio_fake.documents) == 1


def test_two_installations_on_one_account_do_not_collide(connect: Any, oblio_fake: OblioFake) -> None:
    one = connect(key_namespace="shop-1").send_invoice(invoice())
    two = connect(key_namespace="shop-2").send_invoice(invoice())
    assert one.number != two.number and len(oblio_fake.documents) == 2
    assert connect(key_namespace="shop-2").find_document(ac.DocumentKind.INVOICE, "order-1001").number == two.number


@pytest.mark.parametrize("fault", [Fault.TIMEOUT_AFTER_COMMIT, Fault.TIMEOUT_BEFORE_COMMIT, Fault.SERVER_ERROR])
def test_an_unknown_outcome_is_retried_with_the_same_key(connect: Any, oblio_fake: OblioFake, fault: Fault) -> None:
    conn = connect()
    conn.list_series()  # token and nomenclature first, so the fault hits the create
    oblio_fake.inject(fault, "api/docs/invoice", method="POST")
    sent = conn.send_invoice(invoice())
    assert len(oblio_fake.documents) == 1 and sent.number == "0001"
    keys = {body["idempotencyKey"] for body in creates(oblio_fake)}
    assert len(creates(oblio_fake)) == 2 and len(keys) == 1


def test_a_5xx_after_commit_is_retried_and_issues_one_document(connect: Any, oblio_fake: OblioFake) -> None:
    oblio_fake.fail_after_commit()
    sent = connect().send_invoice(invoice())
    assert len(oblio_fake.documents) == 1 and sent.number == "0001"


def test_a_reset_before_send_is_retried(connect: Any, oblio_fake: OblioFake) -> None:
    oblio_fake.inject(Fault.CONNECTION_RESET, "api/docs/invoice", method="POST")
    sent = connect().send_invoice(invoice())
    assert sent.number == "0001" and len(oblio_fake.dropped_requests) == 1 and len(oblio_fake.documents) == 1


def test_retries_running_out_are_ambiguous_but_safe_to_resend(connect: Any, oblio_fake: OblioFake) -> None:
    oblio_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "api/docs/invoice", method="POST", times=None)
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        connect(max_retries=2).send_invoice(invoice())
    assert caught.value.retry_safe
    oblio_fake.faults.clear()
    again = connect().send_invoice(invoice())
    assert len(oblio_fake.documents) == 1 and again.number == oblio_fake.documents[0].number


class Mangle(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps the fake; rewrites the answers of the first ``times`` creates."""

    def __init__(self, fake: OblioFake, rewrite: Callable[[httpx.Response], httpx.Response], times: int = 1) -> None:
        self.fake, self.rewrite, self.times = fake, rewrite, times

    def _maybe(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if self.times and request.method == "POST" and request.url.path == "/api/docs/invoice":
            self.times -= 1
            return self.rewrite(response)
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._maybe(request, self.fake.handle_request(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._maybe(request, await self.fake.handle_async_request(request))


def test_a_200_without_series_number_and_link_is_sent_again_with_the_same_key(
    connect: Any, oblio_fake: OblioFake
) -> None:
    unreadable = Mangle(oblio_fake, lambda response: httpx.Response(200, json={"status": 200, "data": {}}))
    sent = connect(transport=unreadable).send_invoice(invoice())
    assert sent.number == "0001" and len(oblio_fake.documents) == 1 and len(creates(oblio_fake)) == 2


def test_a_200_that_never_names_the_document_is_ambiguous_and_retry_safe(connect: Any, oblio_fake: OblioFake) -> None:
    unreadable = Mangle(oblio_fake, lambda response: httpx.Response(200, content=b"<html>"), times=99)
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        connect(transport=unreadable).send_invoice(invoice())
    assert caught.value.retry_safe and len(oblio_fake.documents) == 1


def test_a_duplicate_key_refusal_is_looked_up(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    refusing = Mangle(
        oblio_fake,
        lambda response: httpx.Response(400, json={"status": 400, "statusMessage": "idempotencyKey deja folosit"}),
    )
    again = connect(transport=refusing).send_invoice(invoice())
    assert again.number == first.number and len(oblio_fake.documents) == 1


def test_an_error_inside_a_200_body_is_an_error(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    conn.list_series()
    oblio_fake.inject(Fault.ERROR_TEXT_200, "api/docs/invoice", method="POST")
    with pytest.raises(ac.ProviderValidationError) as caught:
        conn.send_invoice(invoice())
    assert "nu a putut fi salvat" in caught.value.message and oblio_fake.documents == []


def test_validation_errors_keep_oblios_romanian_text(connect: Any) -> None:
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect(invoice_series="NOPE").send_invoice(invoice())
    assert caught.value.message == "Seria NOPE nu exista" and caught.value.status_code == 400
    assert caught.value.retry_safe


# The token.


def test_the_token_is_fetched_in_the_flow_and_shared_by_every_client(connect: Any, oblio_fake: OblioFake) -> None:
    connect().list_vat_rates()
    connect().list_vat_rates()
    ac.connect("oblio", dict(SETTINGS), transport=oblio_fake, clock=oblio_fake.clock).list_vat_rates()
    assert oblio_fake.tokens_issued == 1
    token_call = oblio_fake.requests[0]
    assert token_call.url.path == "/api/authorize/token" and b"client_secret=" in token_call.content


def test_the_token_is_renewed_before_it_expires(connect: Any, oblio_fake: OblioFake, fake_clock: FakeClock) -> None:
    conn = connect()
    conn.list_vat_rates()
    fake_clock.advance(3550)
    conn.list_vat_rates()  # still valid at Oblio (3600 s); its answer tells the connector the time
    conn.list_vat_rates()  # past 3540 s: renewed before Oblio would refuse it
    statuses = [r for r in oblio_fake.requests if r.url.path == "/api/authorize/token"]
    assert len(statuses) == 2 and oblio_fake.tokens_issued == 2


def test_an_expired_token_is_dropped_and_fetched_once_more(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    conn.list_vat_rates()
    oblio_fake.expire_tokens()
    sent = conn.send_invoice(invoice())
    assert sent.number == "0001" and oblio_fake.tokens_issued == 2 and len(oblio_fake.documents) == 1


def test_an_invalid_token_is_refetched_once_then_the_refusal_is_raised(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    conn.list_vat_rates()
    oblio_fake.rotate_secret(DEMO_EMAIL)  # the old secret and its tokens stop working
    with pytest.raises(ac.AuthenticationError) as caught:
        conn.list_vat_rates()
    assert caught.value.message == "The client credentials are invalid" and caught.value.retry_safe
    assert [r.url.path for r in oblio_fake.requests[-2:]] == ["/api/nomenclature/vat_rates", "/api/authorize/token"]


def test_a_rotated_secret_works_for_a_new_connector(connect: Any, oblio_fake: OblioFake) -> None:
    secret = oblio_fake.rotate_secret(DEMO_EMAIL)
    assert connect(api_secret=secret).list_vat_rates()


def test_the_token_and_secret_never_appear_in_logs_or_errors(
    connect: Any, oblio_fake: OblioFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="accounting_connectors")
    conn = connect()
    conn.send_invoice(invoice())
    token = next(iter(oblio_fake._tokens))
    oblio_fake.expire_tokens()
    oblio_fake.rotate_secret(DEMO_EMAIL)
    with pytest.raises(ac.AuthenticationError) as caught:
        conn.send_invoice(invoice(reference="o-2"))
    shown = caplog.text + str(caught.value) + repr(caught.value) + str(caught.value.__cause__)
    assert token not in shown and DEMO_SECRET not in shown and "api/authorize/token" in caplog.text
    assert DEMO_SECRET not in repr(Oblio.configure(**SETTINGS).settings)


# Companies and access.


def test_each_company_numbers_on_its_own(connect: Any, oblio_fake: OblioFake) -> None:
    connect().send_invoice(invoice())
    other = connect(company_vat_code=SECOND_CIF).send_invoice(invoice())
    assert other.number == "0001" and {d.account for d in oblio_fake.documents} == {DEMO_CIF, SECOND_CIF}


def test_a_company_the_login_cannot_reach_is_an_authentication_error(connect: Any, oblio_fake: OblioFake) -> None:
    oblio_fake.add_company("RO5555", "Straina SRL")
    with pytest.raises(ac.AuthenticationError, match="RO5555"):
        connect(company_vat_code="RO5555").list_vat_rates()


# Receipts, corrections, payments.


def receipt(**changes: Any) -> ac.Receipt:
    values: dict[str, Any] = {
        "reference": "bon-1",
        "issue_date": "2026-01-15",
        "lines": [ac.Line(name="Tricou", quantity=1, unit="buc", unit_price="49.90", vat=ac.VatRate.of(21))],
        "currency": "RON",
    }
    return ac.Receipt(**{**values, **changes})


def test_a_receipt_is_an_invoice_with_a_chitanta_collect(connect: Any, oblio_fake: OblioFake) -> None:
    sent = connect().send_receipt(receipt())
    body = creates(oblio_fake)[0]
    assert body["collect"] == {
        "type": "Chitanta",
        "seriesName": "CHT",
        "value": Decimal("49.90"),
        "issueDate": "2026-01-15",
    }
    assert body["client"]["name"] == "Persoana fizica"
    assert (sent.kind, sent.series, sent.number) == (ac.DocumentKind.RECEIPT, "CHT", "0001")
    assert sent.raw["invoice"]["number"] == "0001" and oblio_fake.documents[0].paid == Decimal("49.90")


def test_a_card_receipt_is_refused_before_any_request(connect: Any, oblio_fake: OblioFake) -> None:
    with pytest.raises(ac.ValidationError, match="cash"):
        connect().send_receipt(receipt(payment_method="card"))
    assert oblio_fake.request_count == 0


def test_an_account_without_a_chitanta_series_needs_receipt_series(connect: Any, oblio_fake: OblioFake) -> None:
    oblio_fake.add_company("RO777", "Fara Chitante SRL", series=[("Factura", "F", "001")])
    oblio_fake.grant(DEMO_EMAIL, "RO777")
    with pytest.raises(ac.ValidationError, match="receipt_series"):
        connect(company_vat_code="RO777").send_receipt(receipt())
    assert creates(oblio_fake) == []


def test_a_full_storno_sends_refund_1_and_removes_the_payment(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    original = invoice(payment=ac.Payment(method="card", amount="114.80"))
    sent = conn.send_invoice(original)
    assert oblio_fake.documents[0].paid == Decimal("114.80")
    storno = conn.send_correction(
        ac.Correction.full_reversal(
            reference="c-1", original=original, original_document=sent, reason="Retur", issue_date=dt.date(2026, 1, 16)
        )
    )
    body = creates(oblio_fake)[-1]
    assert body["referenceDocument"] == {"type": "Factura", "seriesName": "FCT", "number": "0001", "refund": 1}
    assert "products" not in body and storno.kind is ac.DocumentKind.CORRECTION and storno.number == "0002"
    assert oblio_fake.documents[1].total == -Decimal("114.80") and oblio_fake.documents[0].paid == 0


def test_a_partial_storno_sends_negative_quantities(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    after = [attrs.evolve(original.lines[0], quantity=1), original.lines[1]]
    conn.send_correction(
        ac.Correction(
            reference="c-1",
            original=original,
            original_document=sent,
            lines=after,
            reason="Retur",
            issue_date="2026-01-16",
        )
    )
    body = creates(oblio_fake)[-1]
    assert body["referenceDocument"]["refund"] == 0
    assert [(p["quantity"], p["price"]) for p in body["products"]] == [(-1, Decimal("49.90"))]
    assert oblio_fake.documents[1].total == Decimal("-49.90") and oblio_fake.documents[1].corrects == "FCT0001"


def test_a_storno_cannot_raise_a_quantity_or_split_a_discount(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    discounted = invoice(lines=[attrs.evolve(invoice().lines[0], discount_percent=10)])
    sent = conn.send_invoice(discounted)
    before = oblio_fake.request_count
    for quantity, match in ((3, "lower"), (1, "discounted")):
        lines = [attrs.evolve(discounted.lines[0], quantity=quantity)]
        with pytest.raises(ac.ValidationError, match=match):
            conn.send_correction(
                ac.Correction(
                    reference="c",
                    original=discounted,
                    original_document=sent,
                    lines=lines,
                    reason="r",
                    issue_date="2026-01-16",
                )
            )
    assert creates(oblio_fake)[1:] == [] and oblio_fake.request_count == before  # the VAT rates are cached


def test_payments_map_to_collect_types(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    paid = conn.record_payment(sent, ac.Payment(method="transfer", amount="50", paid_on="2026-01-20"))
    cash = conn.record_payment(sent, ac.Payment(method="cash", amount="64.80"))
    puts = [body_of(r) for r in oblio_fake.requests if r.method == "PUT"]
    assert puts[0]["collect"] == {
        "type": "Ordin de plata",
        "value": 50,
        "documentNumber": "order-1001",
        "issueDate": "2026-01-20",
    }
    assert puts[1]["collect"] == {"type": "Chitanta", "value": Decimal("64.80"), "seriesName": "CHT"}
    assert paid.kind is ac.DocumentKind.PAYMENT and (cash.kind, cash.number) == (ac.DocumentKind.RECEIPT, "0001")
    assert oblio_fake.documents[0].paid == Decimal("114.80")


def test_an_unknown_collect_type_is_refused_before_any_request(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    before = oblio_fake.request_count
    with pytest.raises(ac.ValidationError, match="Ordin de plata"):
        conn.record_payment(sent, ac.Payment(method="bitcoin", amount="1"))
    assert oblio_fake.request_count == before


def test_a_collect_with_an_unknown_outcome_is_never_resent(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    oblio_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "api/docs/invoice/collect")
    with pytest.raises(ac.AmbiguousOutcome):
        conn.record_payment(sent, ac.Payment(method="card", amount="10"))
    assert sum(1 for r in oblio_fake.requests if r.method == "PUT") == 1


# PDFs, lookup, lists.


def test_the_pdf_comes_from_the_public_link_without_the_token(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    pdf = conn.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"FCT 0001" in pdf
    link_call = oblio_fake.requests[-1]
    assert link_call.url.path == "/utils/show_file/" and "Authorization" not in link_call.headers
    no_link = attrs.evolve(sent, url=None)
    assert conn.fetch_pdf(no_link).startswith(b"%PDF")  # the link is read back first


def test_a_dead_link_is_not_found_and_a_page_is_not_a_pdf(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    with pytest.raises(ac.NotFound):
        conn.fetch_pdf(attrs.evolve(sent, url=str(sent.url).replace("it=", "it=x")))
    conn_html = connect(transport=_HtmlLink(oblio_fake))
    with pytest.raises(ac.ProviderError, match="link only"):
        conn_html.fetch_pdf(sent)


class _HtmlLink(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(self, fake: OblioFake) -> None:
        self.fake = fake

    def _answer(self, request: httpx.Request) -> httpx.Response | None:
        if request.url.path.startswith("/utils/"):
            return httpx.Response(200, content=b"<html>login</html>", headers={"Content-Type": "text/html"})
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request) or self.fake.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request) or await self.fake.handle_async_request(request)


class _Redirect(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(self, fake: OblioFake, target: str) -> None:
        self.fake, self.target = fake, target

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/short":
            return httpx.Response(302, headers={"Location": self.target})
        return self.fake.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


def test_a_link_that_redirects_is_followed(connect: Any, oblio_fake: OblioFake) -> None:
    sent = connect().send_invoice(invoice())
    assert sent.url is not None
    relative = sent.url.removeprefix("https://www.oblio.eu")
    conn = connect(transport=_Redirect(oblio_fake, relative))
    assert conn.fetch_pdf(attrs.evolve(sent, url="https://www.oblio.eu/short")).startswith(b"%PDF")


def test_find_document_matches_the_whole_reference_line(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    ten = conn.send_invoice(invoice(reference="order-10"))
    conn.send_invoice(invoice(reference="order-1", notes="Livrare rapida"))
    found = conn.find_document(ac.DocumentKind.INVOICE, "order-10")
    assert found is not None and found.number == ten.number and found.external_id == ten.external_id
    assert conn.find_document(ac.DocumentKind.INVOICE, "order-1").number == "0002"
    assert conn.find_document(ac.DocumentKind.INVOICE, "order-") is None
    assert conn.find_document(ac.DocumentKind.RECEIPT, "order-10") is None


def test_find_document_pages_through_recent_invoices(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    conn.send_invoice(invoice(reference="old"))
    for index in range(105):
        conn.send_invoice(invoice(reference=f"new-{index}"))
    assert conn.find_document(ac.DocumentKind.INVOICE, "old").number == "0001"
    lists = [r.url.params["offset"] for r in oblio_fake.requests if r.url.path.endswith("invoice/list")]
    assert lists == ["0", "100"] and oblio_fake.penalties == 0


def test_find_document_finds_receipts_and_stornos(connect: Any, oblio_fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_receipt(receipt())
    found = conn.find_document(ac.DocumentKind.RECEIPT, "bon-1")
    assert found is not None and (found.series, found.number) == (sent.series, sent.number)


def test_lists(connect: Any) -> None:
    conn = connect()
    series = {s.name: s for s in conn.list_series()}
    assert series["FCT"].kind is ac.DocumentKind.INVOICE and series["FCT"].next_number == "0001"
    assert series["CHT"].kind is ac.DocumentKind.RECEIPT
    rates = {r.name: r for r in conn.list_vat_rates()}
    assert rates["Normala"].vat == ac.VatRate.of(21) and rates["Normala"].is_default
    assert rates["SFDD"].vat == ac.VatRate.special(ac.VatKind.EXEMPT)
    types = {t.name: t for t in conn.list_payment_types()}
    assert len(types) == 11 and types["Chitanta"].issues_receipt and "Ordin de plata" in types


# Limits.


def test_a_burst_stays_under_every_limit(connect: Any, oblio_fake: OblioFake, fake_clock: FakeClock) -> None:
    conn = connect()
    start = fake_clock.time()
    for index in range(35):
        conn.send_invoice(invoice(reference=f"burst-{index}"))
    assert oblio_fake.penalties == 0 and len(oblio_fake.documents) == 35
    assert fake_clock.time() - start >= 100  # 30 creates per 100 s


def test_a_429_is_the_ten_minute_penalty(connect: Any, oblio_fake: OblioFake, fake_clock: FakeClock) -> None:
    blocked = Mangle(
        oblio_fake, lambda r: httpx.Response(429, json={"status": 429, "statusMessage": "Too many requests"})
    )
    with pytest.raises(ac.RateLimited) as caught:
        connect(transport=blocked).send_invoice(invoice())
    assert caught.value.retry_at == pytest.approx(fake_clock.time() + 600, abs=2)
    before = oblio_fake.request_count
    with pytest.raises(ac.RateLimited):  # the credential is held until then, with no request
        connect(transport=blocked).list_vat_rates()
    assert oblio_fake.request_count == before


def test_the_declared_limits_are_the_sheets() -> None:
    limits = {(limit.calls, limit.per_seconds, limit.scope.value, limit.penalty_seconds) for limit in Oblio.rate_limits}
    assert limits == {(30, 100.0, "creates", None), (30, 10.0, "others", None), (2, 1.0, "all", 600.0)}


# Settings.


def test_settings_are_checked() -> None:
    with pytest.raises(ac.ConfigurationError, match="api_secret"):
        Oblio.configure(email="a@b.ro", company_vat_code="RO1")
    with pytest.raises(ac.ConfigurationError, match="unknown setting token"):
        Oblio.configure(**SETTINGS, token="x")
    with pytest.raises(ac.ConfigurationError, match="https"):
        Oblio.configure(**SETTINGS, base_url="http://oblio.example/")


# Property tests of the codec.


def _oblio_friendly(candidate: ac.Invoice) -> ac.Invoice:
    lines = tuple(
        attrs.evolve(
            line,
            vat=line.vat if line.vat.kind is not ac.VatKind.RATE or line.vat.percent in (21, 11) else ac.VatRate.of(21),
        )
        for line in candidate.lines
    )
    return attrs.evolve(
        candidate,
        lines=lines,
        series=None,
        number=None,
        language=None,
        payment=None,
        currency="RON",
        exchange_rate=None,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices(max_lines=5))
def test_what_oblio_books_equals_the_connectors_totals(generated: ac.Invoice) -> None:
    Oblio.forget_tokens()
    clock = FakeClock()
    fake = OblioFake(clock=clock)
    candidate = _oblio_friendly(generated)
    with ac.connect("oblio", dict(SETTINGS), transport=fake, clock=clock) as conn:
        conn.send_invoice(candidate)
    body = creates(fake)[0]
    expected = document_totals(candidate.lines, prices_include_vat=candidate.prices_include_vat).total
    assert fake.documents[0].total == expected.gross
    assert fake.documents[0].detail["net"] == expected.net
    priced = [p for p in body["products"] if "price" in p]
    assert [p["price"] for p in priced] == [line.unit_price for line in candidate.lines]  # exact decimals
    assert [p["quantity"] for p in priced] == [line.quantity for line in candidate.lines]


@given(
    st.lists(
        st.builds(
            ac.Line,
            name=st.just("x"),
            quantity=st.decimals("0.001", "1000", places=3),
            unit=st.just("buc"),
            unit_price=st.decimals("0", "10000", places=2),
            vat=st.sampled_from([ac.VatRate.of(21), ac.VatRate.of(11)]),
            discount_percent=st.none() | st.decimals("0.01", "100", places=2),
        ),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_a_discount_value_never_exceeds_the_line(lines: list[ac.Line], gross: bool) -> None:
    for line in lines:
        value = codec.discount_value(line)
        assert Decimal(0) <= value <= round(line.quantity * line.unit_price, 2) + Decimal("0.01")
    assert codec.totals(lines, prices_include_vat=gross) == document_totals(lines, prices_include_vat=gross).total


@given(st.text(min_size=1, max_size=40), st.text(max_size=10))
def test_keys_are_short_stable_and_ascii(reference: str, namespace: str) -> None:
    key = codec.idempotency_key(namespace, "37311090", "invoice", reference)
    assert (
        key.isascii() and len(key) == 45 and key == codec.idempotency_key(namespace, "37311090", "invoice", reference)
    )
    note = codec.reference_note("invoice", namespace, reference)
    assert codec.has_note(codec.mentions("Nota", note), note)


def test_the_exporter_resends_an_ambiguous_create_and_never_holds_it(
    oblio_fake: OblioFake, fake_clock: FakeClock, tmp_path: Any
) -> None:
    from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, SQLiteLedger

    ledger = SQLiteLedger(tmp_path / "exports.db")
    try:
        with ac.connect("oblio", dict(SETTINGS), transport=oblio_fake, clock=fake_clock) as conn:
            exporter = Exporter(conn, IntegrationSettings(), ledger)
            oblio_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "api/docs/invoice", method="POST", times=4)
            result = exporter.export(invoice())
            again = exporter.export(invoice())
    finally:
        ledger.close()
    assert result.status is ExportStatus.SENT and result.document is not None
    assert again.document is not None and again.document.number == result.document.number
    assert len(oblio_fake.documents) == 1


def test_the_fake_on_loopback_http_serves_the_link_too(oblio_fake: OblioFake, fake_clock: FakeClock) -> None:
    from accounting_connectors.testing import serve

    with serve(oblio_fake) as url, ac.connect("oblio", dict(SETTINGS), base_url=url + "/", clock=fake_clock) as conn:
        sent = conn.send_invoice(invoice())
        assert sent.url is not None and sent.url.startswith("https://www.oblio.eu/")
        assert conn.fetch_pdf(sent).startswith(b"%PDF")


def test_every_field_sent_on_every_path_is_documented(connect: Any, oblio_fake: OblioFake) -> None:
    from ..conformance.case import sent_field_names
    from ..conformance.cases.oblio import FIELDS

    conn = connect(work_station="Sediu")
    stock = conn.send_invoice(invoice(use_stock=True, warehouse="Magazin", payment=ac.Payment(method="cash", amount=1)))
    own = conn.send_invoice(
        invoice(reference="o-2", series="FCT", number="0500", sale_date="2026-01-14", language="EN")
    )
    lines = [attrs.evolve(invoice().lines[0], quantity=1), invoice().lines[1]]
    conn.send_correction(
        ac.Correction(reference="c-1", original=invoice(reference="o-2"), original_document=own, lines=lines,
                      reason="r", issue_date="2026-01-16")
    )  # fmt: skip
    conn.send_receipt(receipt())
    conn.record_payment(stock, ac.Payment(method="transfer", amount=1, paid_on="2026-01-20"))
    conn.find_document(ac.DocumentKind.RECEIPT, "bon-1")
    conn.fetch_pdf(stock)
    sent = set().union(*(sent_field_names(request) for request in oblio_fake.requests))
    assert sent - set(FIELDS) == set()
    assert {"useStock", "workStation", "management", "disableAutoSeries", "referenceDocument", "collect"} <= sent


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices(max_lines=4), st.data())
def test_a_partial_storno_books_minus_the_removed_quantities(generated: ac.Invoice, data: st.DataObject) -> None:
    Oblio.forget_tokens()
    clock = FakeClock()
    fake = OblioFake(clock=clock)
    original = _oblio_friendly(generated)
    original = attrs.evolve(original, lines=tuple(attrs.evolve(line, discount_percent=None) for line in original.lines))
    after = [attrs.evolve(line, quantity=data.draw(st.sampled_from([Decimal(0), line.quantity / 2, line.quantity])))
             for line in original.lines]  # fmt: skip
    if all(a.quantity == b.quantity for a, b in zip(after, original.lines, strict=True)):
        after[0] = attrs.evolve(after[0], quantity=Decimal(0))
    with ac.connect("oblio", dict(SETTINGS), transport=fake, clock=clock) as conn:
        sent = conn.send_invoice(original)
        correction = ac.Correction(reference="c", original=original, original_document=sent, lines=after,
                                   reason="r", issue_date=original.issue_date)  # fmt: skip
        conn.send_correction(correction)
    removed = [
        attrs.evolve(before, quantity=before.quantity - kept.quantity)
        for before, kept in zip(original.lines, after, strict=True)
        if before.quantity != kept.quantity
    ]
    expected = document_totals(removed, prices_include_vat=original.prices_include_vat).total.gross
    if correction.is_full_reversal:
        expected = fake.documents[0].total
    assert fake.documents[1].total == -expected


def test_threads_share_one_client_and_one_token() -> None:
    import threading

    from accounting_connectors.clock import SYSTEM_CLOCK

    # On the real clock: threads cannot share a FakeClock faithfully (a thread that sleeps
    # until its slot moves time for every other thread, so calls reserved apart arrive at
    # the same virtual instant and the fake's 3-a-second penalty fires about 1 run in 10).
    oblio_fake = OblioFake(clock=SYSTEM_CLOCK)
    errors: list[BaseException] = []
    with ac.connect("oblio", dict(SETTINGS), transport=oblio_fake, clock=SYSTEM_CLOCK) as conn:
        conn.list_vat_rates()

        def work(worker: int) -> None:
            try:
                for index in range(2):
                    conn.send_invoice(invoice(reference=f"t{worker}-{index}"))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and len(oblio_fake.documents) == 8
    assert oblio_fake.tokens_issued == 1 and oblio_fake.penalties == 0
    assert len({d.number for d in oblio_fake.documents}) == 8


# Found in review.


def test_a_duplicate_key_refusal_of_a_receipt_reads_the_receipts_invoice(connect: Any, oblio_fake: OblioFake) -> None:
    # The lookup (§14) finds the receipt; the follow-up read needs its invoice's series and number.
    first = connect().send_receipt(receipt())
    refusing = Mangle(
        oblio_fake,
        lambda response: httpx.Response(400, json={"status": 400, "statusMessage": "idempotencyKey deja folosit"}),
    )
    again = connect(transport=refusing).send_receipt(receipt())
    assert (again.series, again.number) == (first.series, first.number) and len(oblio_fake.documents) == 1
    assert again.raw["invoice"]["number"] == first.raw["invoice"]["number"]


def test_a_partial_storno_names_the_original_currency(connect: Any, oblio_fake: OblioFake) -> None:
    # The document currency defaults to RON (§5.1): a storno of a EUR invoice must say EUR.
    conn = connect()
    original = invoice(currency="EUR", exchange_rate="4.9751", language="EN")
    sent = conn.send_invoice(original)
    after = [attrs.evolve(original.lines[0], quantity=1), original.lines[1]]
    conn.send_correction(
        ac.Correction(reference="c-eur", original=original, original_document=sent, lines=after, reason="Retur",
                      issue_date="2026-01-16")
    )  # fmt: skip
    body = creates(oblio_fake)[-1]
    assert (body["currency"], body["exchangeRate"], body["language"]) == ("EUR", Decimal("4.9751"), "EN")
    assert oblio_fake.documents[1].currency == "EUR"


class _ListTotal(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps the fake; rewrites the ``total`` of every ``invoice/list`` row."""

    def __init__(self, fake: OblioFake, total: str) -> None:
        self.fake, self.total = fake, total

    def _fix(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if not request.url.path.endswith("/invoice/list"):
            return response
        body = json.loads(response.content)
        for row in body["data"]:
            row["total"] = self.total
        return httpx.Response(response.status_code, json=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._fix(request, self.fake.handle_request(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._fix(request, await self.fake.handle_async_request(request))


def _partial(sent: ac.SentDocument, original: ac.Invoice) -> ac.Correction:
    after = [attrs.evolve(original.lines[0], quantity=1), original.lines[1]]
    return ac.Correction(reference="c-verify", original=original, original_document=sent, lines=after,
                         reason="Retur", issue_date="2026-01-16")  # fmt: skip


def test_a_partial_storno_is_verified_by_its_booked_total(
    connect: Any, oblio_fake: OblioFake, caplog: pytest.LogCaptureFixture
) -> None:
    # §9, §17.3: the partial-storno shape is UNCERTAIN in the docs -> verify the total Oblio booked.
    original = invoice()
    sent = connect().send_invoice(original)
    storno = connect().send_correction(_partial(sent, original))
    reads = [r for r in oblio_fake.requests if r.url.path.endswith("/invoice/list")]
    assert len(reads) == 1 and reads[0].url.params["id"] == storno.external_id
    assert storno.raw["total"] == storno.raw["expected_total"] == "-49.90"
    caplog.set_level(logging.WARNING, logger="accounting_connectors")
    other = connect(transport=_ListTotal(oblio_fake, "-50.00")).send_correction(
        attrs.evolve(_partial(sent, original), reference="c-verify-2")
    )
    assert other.number is not None and other.raw["total"] == "-50.00" and other.raw["expected_total"] == "-49.90"
    assert "-50.00" in caplog.text and "-49.90" in caplog.text and other.number in caplog.text


def test_a_failed_storno_check_still_returns_the_issued_storno(connect: Any, oblio_fake: OblioFake) -> None:
    original = invoice()
    sent = connect().send_invoice(original)
    oblio_fake.inject(Fault.SERVER_ERROR, "api/docs/invoice/list", times=None)
    storno = connect(max_retries=1).send_correction(_partial(sent, original))
    assert storno.number == "0002" and storno.raw["total"] is None and len(oblio_fake.documents) == 2


def test_a_number_answered_as_a_json_number_is_not_ambiguous(connect: Any, oblio_fake: OblioFake) -> None:
    # A 200 is ambiguous only when it lacks seriesName/number/link (§2, OB-FG casts them to
    # strings); a number written as a JSON number is still the number.
    def numeric(response: httpx.Response) -> httpx.Response:
        body = json.loads(response.content)
        body["data"]["number"] = int(body["data"]["number"])
        return httpx.Response(200, json=body)

    sent = connect(transport=Mangle(oblio_fake, numeric)).send_invoice(invoice())
    assert sent.number == "1" and len(creates(oblio_fake)) == 1 and len(oblio_fake.documents) == 1


def test_two_installations_on_one_account_never_collide_on_their_references(
    oblio_fake: OblioFake, fake_clock: FakeClock
) -> None:
    # Two shops export to one Oblio company, each with its own login; both have an ORDER-1.
    oblio_fake.add_user("second@example.ro", "second-secret", [DEMO_CIF])
    other = {**SETTINGS, "email": "second@example.ro", "api_secret": "second-secret"}
    with (
        ac.connect("oblio", dict(SETTINGS), transport=oblio_fake, clock=fake_clock) as first,
        ac.connect("oblio", other, transport=oblio_fake) as second,
    ):
        one = first.send_invoice(invoice(reference="ORDER-1"))
        two = second.send_invoice(invoice(reference="ORDER-1"))
        again = first.send_invoice(invoice(reference="ORDER-1"))
    assert one.number != two.number and len(oblio_fake.documents) == 2
    assert again.number == one.number  # the same installation still deduplicates
