"""iFirma's KSeF status (EINVOICING §3.4): ``NumerKSEF`` / ``StatusKSEF`` (third-party, UNCERTAIN),
the wrapper-less answer, and the fake's clearance on its clock after the explicit send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.connectors.ifirma import IFirma
from accounting_connectors.connectors.ifirma.einvoice import ksef_state, status_from
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.ifirma import IFirmaFake

from ..drivers import DRIVERS, open_connector
from .test_ifirma import CREDENTIALS, invoice

S = ac.EInvoiceState
SENT = ac.SentDocument(
    provider="ifirma", kind=ac.DocumentKind.INVOICE, reference="R", external_id="7", raw={"endpoint": "fakturakraj"}
)


@pytest.mark.parametrize(
    ("number", "status", "state"),
    [
        ("5252344078-20260115-0100001AF629-AF", "PRZYJETA_W_KSEF", S.ACCEPTED),
        (None, "PRZYJETA_W_KSEF", S.ACCEPTED),
        ("5252344078-20260115-0100001AF629-AF", None, S.ACCEPTED),
        (None, "ODRZUCONA_PRZEZ_KSEF", S.REJECTED),
        (None, "BŁĄD_WYSYŁKI", S.REJECTED),
        (None, "BLAD_WALIDACJI", S.REJECTED),
        (None, "W_KOLEJCE", S.PENDING),
        (None, None, S.NOT_SENT),
    ],
)
def test_every_documented_reading(number: str | None, status: str | None, state: ac.EInvoiceState) -> None:
    assert ksef_state(number, status) is state


def test_a_failure_is_not_resent_and_an_answer_without_the_fields_is_unknown() -> None:
    rejected = status_from({"NumerKSEF": "", "StatusKSEF": {"Status": "ODRZUCONA", "Opis": "Zły NIP"}}, SENT)
    assert rejected.state is S.REJECTED and rejected.errors == ("Zły NIP",) and not rejected.resend_allowed
    never = status_from({"NumerKSEF": "", "StatusKSEF": {"Status": ""}}, SENT)
    assert never.state is S.NOT_SENT and never.resend_allowed
    assert status_from({"PelnyNumer": "1/01/2026"}, SENT).state is S.UNKNOWN


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, ifirma_fake: IFirmaFake, fake_clock: FakeClock) -> Iterator[Any]:
    made: list[Any] = []

    def factory() -> Any:
        client = open_connector(request.param, "ifirma", transport=ifirma_fake, clock=fake_clock, **CREDENTIALS)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def send_to_ksef(fake: IFirmaFake, sent: ac.SentDocument) -> httpx.Response:
    """The explicit send ``POST {kind}/ksef/send/{id}.json`` (signed like every call)."""
    provider = IFirma.configure(**CREDENTIALS)
    path = f"{sent.raw['endpoint']}/ksef/send/{sent.external_id}.json"
    request = provider._request("POST", path, "faktura", {"DataWysylki": None})
    return httpx.Client(transport=fake).send(request)


def test_sent_then_accepted_with_a_ksef_number(connect: Any, ifirma_fake: IFirmaFake, fake_clock: FakeClock) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    assert conn.einvoice_status(sent).state is S.NOT_SENT, "an API invoice is not sent by itself"
    assert send_to_ksef(ifirma_fake, sent).json()["response"]["Kod"] == 0
    pending = conn.einvoice_status(sent)
    assert pending.state is S.PENDING and pending.sent_at is not None and not pending.resend_allowed
    assert send_to_ksef(ifirma_fake, sent).json()["response"]["Kod"] != 0, "not sent twice"
    fake_clock.advance(ifirma_fake.ksef_delay)
    accepted = conn.einvoice_status(sent)
    assert accepted.state is S.ACCEPTED and accepted.number and len(accepted.number) == 35
    assert accepted.provider_status == "PRZYJETA_W_KSEF"


def test_a_company_buyer_without_nip_is_rejected(connect: Any, ifirma_fake: IFirmaFake, fake_clock: FakeClock) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    doc = next(d for d in ifirma_fake.documents if d.id == sent.external_id)
    doc.body["Kontrahent"].pop("NIP", None)  # as an invoice typed in the app without the buyer's NIP
    send_to_ksef(ifirma_fake, sent)
    fake_clock.advance(ifirma_fake.ksef_delay)
    status = conn.einvoice_status(sent)
    assert status.state is S.REJECTED and status.errors and "NIP" in status.errors[0]


def test_a_payment_is_refused_without_a_request(connect: Any, ifirma_fake: IFirmaFake) -> None:
    conn = connect()
    before = ifirma_fake.request_count
    with pytest.raises(ac.UnsupportedOperation):
        conn.einvoice_status(ac.SentDocument(provider="ifirma", kind=ac.DocumentKind.PAYMENT, reference="x"))
    assert ifirma_fake.request_count == before
