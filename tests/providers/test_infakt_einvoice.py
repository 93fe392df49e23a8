"""inFakt's KSeF status (EINVOICING §3.2): every ``ksef_data.status``, the never-sent draft, the
sandbox as demo, and the fake's clearance on its clock after an explicit send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.connectors.infakt.einvoice import status_from
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.infakt import InFaktFake

from ..drivers import DRIVERS, open_connector
from .test_infakt import COMPANY, KEY, invoice

S = ac.EInvoiceState
SENT = ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="R", external_id="0be870f9")


def answer(status: str, *, number: str | None = None, text: str = "") -> dict[str, Any]:
    return {"uuid": "0be870f9", "ksef_data": {
        "request_uuid": "d34279dc", "ksef_number": number, "status": status, "status_description": text,
        "timestamps": {"request_created_at": "2024-01-15 16:00:00 +0100", "request_finished_at": "2024-01-15 16:01:30 +0100"},
    }}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "state", "resend"),
    [
        ("sent", S.PENDING, False),
        ("pending", S.PENDING, False),
        ("success", S.ACCEPTED, False),
        ("error", S.REJECTED, True),
        ("brand_new", S.UNKNOWN, False),
    ],
)
def test_every_documented_status_maps(status: str, state: ac.EInvoiceState, resend: bool) -> None:
    read = status_from(answer(status, text="Opis"), SENT, demo=False)
    assert (read.state, read.resend_allowed, read.provider_status) == (state, resend, status)
    assert read.errors == (("Opis",) if state in (S.REJECTED, S.UNKNOWN) else ())


def test_the_documented_success_answer_and_the_never_sent_draft() -> None:
    read = status_from(answer("success", number="7343521162-20231004-47A70D8BD670-57"), SENT, demo=True)
    assert read.number == "7343521162-20231004-47A70D8BD670-57" and read.demo
    assert read.sent_at is not None and read.sent_at.isoformat() == "2024-01-15T16:00:00+01:00"
    assert read.accepted_at is not None and read.accepted_at.isoformat() == "2024-01-15T16:01:30+01:00"
    never = status_from({"uuid": "0be870f9", "ksef_data": None}, SENT, demo=False)
    assert never.state is S.NOT_SENT and never.resend_allowed
    assert status_from({"uuid": "0be870f9"}, SENT, demo=False).state is S.UNKNOWN


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, infakt_fake: InFaktFake, fake_clock: FakeClock) -> Iterator[Any]:
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        settings = {"api_key": KEY, "company_tax_id": COMPANY, **options}
        client = open_connector(request.param, "infakt", transport=infakt_fake, clock=fake_clock, **settings)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def send_to_ksef(fake: InFaktFake, uuid: str, folder: str = "invoices") -> httpx.Response:
    """The explicit send, as the merchant's app (or a later send_einvoice) makes it."""
    http = httpx.Client(transport=fake, base_url="https://api.infakt.pl/api/v3/", headers={"X-inFakt-ApiKey": KEY})
    return http.post(f"{folder}/{uuid}/send_to_ksef.json")


def test_a_draft_is_never_sent_by_itself(connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    fake_clock.advance(3600)
    status = conn.einvoice_status(sent)
    assert status.state is S.NOT_SENT and status.resend_allowed and not status.demo


def test_sent_then_accepted_with_a_ksef_number(connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    answered = send_to_ksef(infakt_fake, str(sent.external_id))
    assert answered.status_code == 200 and answered.json()["status"] == "sent"
    pending = conn.einvoice_status(sent)
    assert pending.state is S.PENDING and not pending.resend_allowed and pending.sent_at is not None
    assert send_to_ksef(infakt_fake, str(sent.external_id)).status_code == 422, "a sent document is not sent again"
    fake_clock.advance(infakt_fake.ksef_delay)
    accepted = conn.einvoice_status(sent)
    assert accepted.state is S.ACCEPTED and accepted.number and len(accepted.number) == 35
    assert accepted.accepted_at is not None


def test_a_company_buyer_without_nip_is_rejected_and_resent_under_the_same_uuid(
    connect: Any, infakt_fake: InFaktFake, fake_clock: FakeClock
) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    doc = next(iter(infakt_fake._books(None).docs.values()))
    doc.fields.pop("client_tax_code", None)  # as a document typed in the app without the buyer's NIP
    send_to_ksef(infakt_fake, str(sent.external_id))
    fake_clock.advance(infakt_fake.ksef_delay)
    rejected = conn.einvoice_status(sent)
    assert rejected.state is S.REJECTED and rejected.resend_allowed and rejected.errors == ("Brak NIP nabywcy.",)
    assert send_to_ksef(infakt_fake, str(sent.external_id)).status_code == 200


def test_a_company_without_the_integration_is_refused_the_send(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    infakt_fake.set_ksef_integration("demo", False)
    refused = send_to_ksef(infakt_fake, str(sent.external_id))
    assert refused.status_code == 422 and refused.json() == {"error": "Użytkownik nie jest zintegrowany z KSeF."}
    assert conn.einvoice_status(sent).state is S.NOT_SENT


def test_a_correction_is_read_under_its_own_folder(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect()
    original = invoice(reference="c-orig")
    sent = conn.send_invoice(original)
    correction = conn.send_correction(
        ac.Correction.full_reversal(
            reference="c", original=original, original_document=sent, reason="other", issue_date="2026-01-16"
        )
    )
    assert send_to_ksef(infakt_fake, str(correction.external_id), "corrective_invoices").status_code == 200
    assert conn.einvoice_status(correction).state is S.PENDING
    assert any(r.url.path.endswith(f"corrective_invoices/{correction.external_id}.json") for r in infakt_fake.requests)


def test_the_sandbox_is_demo(connect: Any, infakt_fake: InFaktFake) -> None:
    conn = connect(sandbox=True)
    assert conn.einvoice_status(conn.send_invoice(invoice())).demo
