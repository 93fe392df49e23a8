"""Fakturownia's KSeF status (EINVOICING §3.1): every documented ``gov_status``, the demo
prefix, and the fake's clearance on its clock, through both drivers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.connectors.fakturownia.einvoice import GOV_STATES, gov_state, status_from
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.fakturownia import FakturowniaFake

from ..drivers import DRIVERS, open_connector
from .test_fakturownia import invoice

S = ac.EInvoiceState

# Every raw value the sheet documents (§3.1 c, §4.1) and its reading: (state, resend, needs configuration).
DOCUMENTED = {
    None: (S.NOT_SENT, True, False),
    "ok": (S.ACCEPTED, False, False),
    "processing": (S.PENDING, False, False),
    "send_error": (S.REJECTED, True, False),
    "server_error": (S.REJECTED, True, False),
    "not_applicable": (S.NOT_APPLICABLE, False, False),
    "not_connected": (S.NOT_SENT, True, True),
    "offline": (S.PENDING, False, False),
    "offline24": (S.PENDING, False, False),
    "offline_error": (S.REJECTED, True, False),
    "blocked_403_error": (S.REJECTED, True, False),
    "duplicate_error": (S.REJECTED, False, False),
    "status_check_error": (S.PENDING, False, False),
    "rejected": (S.REJECTED, False, False),
}


@pytest.mark.parametrize("raw", list(DOCUMENTED), ids=[str(r) for r in DOCUMENTED])
def test_every_documented_gov_status_maps(raw: str | None) -> None:
    state, resend, configure = DOCUMENTED[raw]
    assert gov_state(raw, "vat") == (state, resend, configure, False)
    if raw is not None:
        assert gov_state(f"demo_{raw}", "vat") == (state, resend, configure, True)
    assert set(GOV_STATES) == set(DOCUMENTED)


@pytest.mark.parametrize("raw", ["ok", "processing", "status_check_error", "duplicate_error"])
def test_never_resent_when_it_may_be_accepted_or_is_a_duplicate(raw: str) -> None:
    assert gov_state(raw)[1] is False


def test_an_unknown_value_is_unknown_and_kept_verbatim() -> None:
    sent = ac.SentDocument(provider="fakturownia", kind=ac.DocumentKind.INVOICE, reference="R", external_id="1")
    status = status_from({"gov_status": "something_new", "kind": "vat"}, sent)
    assert status.state is S.UNKNOWN and status.provider_status == "something_new" and not status.resend_allowed


def test_a_null_status_on_a_kind_ksef_does_not_take_is_not_applicable() -> None:
    assert gov_state(None, "proforma")[0] is S.NOT_APPLICABLE
    assert gov_state(None, "vat")[0] is S.NOT_SENT


def test_the_documented_ok_answer_is_read_whole() -> None:
    body = {
        "id": 12345,
        "number": "FV/1/2026",
        "gov_status": "ok",
        "gov_id": "5213704420-20260215-ABC123DEF456",
        "gov_corrected_invoice_number": None,
        "gov_sell_date": "2026-02-01T00:00:00.000+01:00",
        "gov_send_date": "2026-02-01T10:30:00.000+01:00",
        "gov_error_messages": None,
        "gov_verification_link": "https://ksef.mf.gov.pl/web/verify/5213704420-20260215-ABC123DEF456/YwucKLcs88uk",
        "gov_link": "https://ksef.mf.gov.pl/invoice/123",
    }
    sent = ac.SentDocument(provider="fakturownia", kind=ac.DocumentKind.INVOICE, reference="R", external_id="12345")
    status = status_from(body, sent)
    assert status.state is S.ACCEPTED and status.number == "5213704420-20260215-ABC123DEF456"
    assert status.sent_at is not None and status.sent_at.isoformat() == "2026-02-01T10:30:00+01:00"
    assert status.verification_url is not None and status.verification_url.endswith("YwucKLcs88uk")
    assert status.system is ac.EInvoiceSystem.KSEF and status.errors == ()


@pytest.fixture
def fake(fake_clock: FakeClock) -> FakturowniaFake:
    fake = FakturowniaFake.demo(clock=fake_clock)
    fake.add_account("ksef", "k", ksef=True)
    fake.add_account("lax", "l", ksef=True, ksef_validate=False)
    fake.add_account("demoksef", "d", ksef=True, ksef_demo=True)
    return fake


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, fake: FakturowniaFake, fake_clock: FakeClock) -> Iterator[Any]:
    made: list[Any] = []

    def factory(account: str, token: str) -> Any:
        client = open_connector(
            request.param, "fakturownia", account=account, api_token=token, transport=fake, clock=fake_clock
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def test_pending_then_accepted_with_a_ksef_number(connect: Any, fake: FakturowniaFake, fake_clock: FakeClock) -> None:
    conn = connect("ksef", "k")
    sent = conn.send_invoice(invoice())
    pending = conn.einvoice_status(sent)
    assert pending.state is S.PENDING and pending.number is None and not pending.resend_allowed
    assert pending.provider_status == "processing" and pending.sent_at is not None
    fake_clock.advance(fake.ksef_delay)
    accepted = conn.einvoice_status(sent)
    assert accepted.state is S.ACCEPTED and accepted.final and not accepted.demo
    assert accepted.number is not None and len(accepted.number) == 35
    assert accepted.verification_url and accepted.number in accepted.verification_url
    reads = [r for r in fake.requests if r.url.path == f"/invoices/{sent.external_id}.json"]
    assert reads and all("send_to_ksef" not in r.url.params for r in reads), "a status read never sends"


def test_a_company_buyer_without_tax_id_is_rejected_by_ksef(
    connect: Any, fake: FakturowniaFake, fake_clock: FakeClock
) -> None:
    # With validate_invoices_for_gov off the document is saved, and KSeF refuses it once sent.
    # The model cannot build a company without a tax id, so the create is another system's.
    http = httpx.Client(transport=fake, base_url="https://lax.fakturownia.pl", headers={"Authorization": "Bearer l"})
    body = {
        "kind": "vat",
        "buyer_name": "Bez NIP Sp. z o.o.",
        "buyer_company": "1",
        "positions": [{"name": "A", "quantity": "1", "total_price_gross": "123.00", "tax": "23"}],
    }
    created = http.post("/invoices.json", json={"invoice": body})
    assert created.status_code == 201
    sent = ac.SentDocument(
        provider="fakturownia", kind=ac.DocumentKind.INVOICE, reference="other", external_id=str(created.json()["id"])
    )
    conn = connect("lax", "l")
    assert conn.einvoice_status(sent).state is S.PENDING
    fake_clock.advance(fake.ksef_delay)
    status = conn.einvoice_status(sent)
    assert status.state is S.REJECTED and status.resend_allowed and status.provider_status == "send_error"
    assert status.errors == ("NIP nabywcy - nie może być puste",)
    strict = httpx.Client(transport=fake, base_url="https://ksef.fakturownia.pl", headers={"Authorization": "Bearer k"})
    assert strict.post("/invoices.json", json={"invoice": body}).status_code == 422


def test_the_demo_integration_prefixes_every_status(connect: Any, fake: FakturowniaFake, fake_clock: FakeClock) -> None:
    conn = connect("demoksef", "d")
    sent = conn.send_invoice(invoice())
    status = conn.einvoice_status(sent)
    assert status.provider_status == "demo_processing" and status.state is S.PENDING and status.demo
    fake_clock.advance(fake.ksef_delay)
    assert conn.einvoice_status(sent).provider_status == "demo_ok"


def test_an_account_without_ksef_is_not_sent_and_a_receipt_not_applicable(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect("demo", "demo-token")
    sent = conn.send_invoice(invoice())
    status = conn.einvoice_status(sent)
    assert status.state is S.NOT_SENT and not status.needs_configuration
    receipt = conn.send_receipt(
        ac.Receipt(reference="R-1", issue_date="2026-01-15", lines=invoice().lines, currency="PLN")
    )
    assert conn.einvoice_status(receipt).state is S.NOT_APPLICABLE


@pytest.mark.parametrize(("raw", "state"), [("server_error", S.REJECTED), ("duplicate_error", S.REJECTED)])
def test_provider_side_values_read_through(
    connect: Any, fake: FakturowniaFake, raw: str, state: ac.EInvoiceState
) -> None:
    conn = connect("ksef", "k")
    sent = conn.send_invoice(invoice())
    fake.set_gov_status(int(sent.external_id), raw, errors=["KSeF: błąd"], prefix="ksef")
    status = conn.einvoice_status(sent)
    assert status.state is state and status.errors == ("KSeF: błąd",)
    assert status.resend_allowed is (raw == "server_error")


def test_a_payment_or_a_foreign_document_is_refused_without_a_request(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect("ksef", "k")
    before = fake.request_count
    with pytest.raises(ac.ValidationError):
        conn.einvoice_status(ac.SentDocument(provider="oblio", kind=ac.DocumentKind.INVOICE, reference="x"))
    with pytest.raises(ac.UnsupportedOperation):
        conn.einvoice_status(ac.SentDocument(provider="fakturownia", kind=ac.DocumentKind.PAYMENT, reference="x"))
    assert fake.request_count == before


def test_the_model_refuses_a_resend_of_a_document_that_may_be_accepted() -> None:
    with pytest.raises(ac.ValidationError, match="resend_allowed"):
        ac.EInvoiceStatus(
            provider="fakturownia", system=ac.EInvoiceSystem.KSEF, state=S.PENDING, reference="R", resend_allowed=True
        )


# send_einvoice: GET ?send_to_ksef=yes, only when the status allows it.


def sends(fake: FakturowniaFake) -> list[Any]:
    return [r for r in fake.requests if r.url.params.get("send_to_ksef") == "yes"]


def test_a_failed_document_is_sent_again_and_cleared(
    connect: Any, fake: FakturowniaFake, fake_clock: FakeClock
) -> None:
    conn = connect("ksef", "k")
    sent = conn.send_invoice(invoice())
    fake.set_gov_status(
        int(sent.external_id), "send_error", errors=["Telefon klienta - pole jest za długie"], prefix="ksef"
    )
    resent = conn.send_einvoice(sent)
    assert resent.state is S.PENDING and len(sends(fake)) == 1
    fake_clock.advance(fake.ksef_delay)
    assert conn.einvoice_status(sent).state is S.ACCEPTED


@pytest.mark.parametrize("raw", ["processing", "ok", "status_check_error", "duplicate_error", "brand_new"])
def test_never_sent_again_when_it_may_be_accepted_or_is_a_duplicate(
    connect: Any, fake: FakturowniaFake, raw: str
) -> None:
    conn = connect("ksef", "k")
    sent = conn.send_invoice(invoice())
    fake.set_gov_status(int(sent.external_id), raw, prefix="ksef")
    status = conn.send_einvoice(sent)
    assert status.provider_status == raw and sends(fake) == []


def test_the_send_is_a_get_marked_as_a_create_so_a_lost_answer_is_never_retried() -> None:
    from accounting_connectors.connectors.fakturownia import Fakturownia
    from accounting_connectors.flow import Call

    provider = Fakturownia.configure(account="demo", api_token="t")
    sent = ac.SentDocument(provider="fakturownia", kind=ac.DocumentKind.INVOICE, reference="R", external_id="5")
    flow = provider.send_einvoice(sent)
    read = next(flow)
    assert isinstance(read, Call) and not read.creates and "send_to_ksef" not in read.request.url.params
    send = flow.send(
        httpx.Response(200, json={"id": 5, "kind": "vat", "gov_status": "send_error"}, request=read.request)
    )
    assert isinstance(send, Call) and send.creates and send.request.method == "GET"
    assert send.request.url.params["send_to_ksef"] == "yes"
    with pytest.raises(StopIteration) as done:
        flow.send(httpx.Response(200, json={"id": 5, "kind": "vat", "gov_status": "processing"}, request=send.request))
    assert done.value.value.state is S.PENDING
