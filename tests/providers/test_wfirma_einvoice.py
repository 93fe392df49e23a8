"""wFirma's KSeF status (EINVOICING §3.3): the ``ksef_*`` fields, the ``ksef`` setting, the
refused ``invoices/add`` without KSeF authorisation, and the fake's clearance on its clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.connectors.wfirma.einvoice import ksef_state, status_from
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.wfirma import DEMO_COMPANY, WFirmaFake

from ..drivers import DRIVERS, open_connector
from .test_wfirma import SETTINGS, invoice

S = ac.EInvoiceState


@pytest.mark.parametrize(
    ("status", "number", "registered", "doc_type", "ksef_on", "state"),
    [
        ("ok", "5273103291-20260715-3D8A71800003-34", "2026-07-15 08:45:07", "normal", None, S.ACCEPTED),
        ("accepted", "", "", "normal", None, S.ACCEPTED),
        ("", "5273103291-20260715-3D8A71800003-34", "", "normal", None, S.ACCEPTED),
        ("", "", "2026-07-15 08:45:07", "normal", None, S.ACCEPTED),
        ("processing", "", "", "normal", None, S.PENDING),
        ("sent", "", "", "correction", None, S.PENDING),
        ("weird", "", "", "normal", True, S.UNKNOWN),
        ("", "", "", "normal", True, S.PENDING),
        ("", "", "", "normal", False, S.NOT_SENT),
        ("", "", "", "normal", None, S.UNKNOWN),
        ("", "", "", "normal_draft", True, S.NOT_SENT),
        ("", "", "", "receipt_fiscal_normal", True, S.NOT_APPLICABLE),
        ("", "", "", "proforma", True, S.NOT_APPLICABLE),
    ],
)
def test_every_reading_of_the_ksef_fields(
    status: str, number: str, registered: str, doc_type: str, ksef_on: bool | None, state: ac.EInvoiceState
) -> None:
    assert ksef_state(status, number, registered, doc_type, ksef_on) is state


def test_no_status_allows_a_resend_and_the_fields_are_read_whole() -> None:
    sent = ac.SentDocument(provider="wfirma", kind=ac.DocumentKind.INVOICE, reference="R", external_id="1")
    fields = {
        "type": "normal",
        "ksef_reference_number": "5273103291-20260715-3D8A71800003-34",
        "ksef_status": "ok",
        "ksef_registration_date": "2026-07-15 08:45:07",
    }
    status = status_from(fields, sent, None)
    assert status.number == "5273103291-20260715-3D8A71800003-34" and status.provider_status == "ok"
    assert status.accepted_at is not None and status.accepted_at.isoformat() == "2026-07-15T08:45:07"
    assert not status.resend_allowed


@pytest.fixture
def fake(fake_clock: FakeClock) -> WFirmaFake:
    return WFirmaFake.demo(clock=fake_clock)


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, fake: WFirmaFake, fake_clock: FakeClock) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        client = open_connector(request.param, "wfirma", transport=fake, clock=fake_clock, **{**SETTINGS, **options})
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def test_a_ksef_account_is_pending_then_accepted(connect: Any, fake: WFirmaFake, fake_clock: FakeClock) -> None:
    fake.companies[DEMO_COMPANY].ksef = True
    conn = connect(ksef=True)
    sent = conn.send_invoice(invoice())
    pending = conn.einvoice_status(sent)
    assert pending.state is S.PENDING and pending.provider_status == "processing" and pending.number is None
    fake_clock.advance(fake.ksef_delay)
    accepted = conn.einvoice_status(sent)
    assert accepted.state is S.ACCEPTED and accepted.number and len(accepted.number) == 35
    assert accepted.accepted_at is not None and not accepted.resend_allowed


def test_without_ksef_the_setting_decides_between_not_sent_and_unknown(connect: Any, fake: WFirmaFake) -> None:
    sent = connect().send_invoice(invoice())
    assert connect().einvoice_status(sent).state is S.UNKNOWN
    assert connect(ksef=False).einvoice_status(sent).state is S.NOT_SENT


def test_a_receipt_is_not_applicable_without_a_request(connect: Any, fake: WFirmaFake) -> None:
    conn = connect(ksef=True)
    receipt = conn.send_receipt(
        ac.Receipt(reference="r-1", issue_date="2026-01-15", lines=invoice().lines[1:], currency="PLN")
    )
    before = fake.request_count
    assert conn.einvoice_status(receipt).state is S.NOT_APPLICABLE
    assert fake.request_count == before


def test_a_user_without_ksef_authorisation_gets_no_invoice(connect: Any, fake: WFirmaFake) -> None:
    company = fake.companies[DEMO_COMPANY]
    company.ksef, company.ksef_authorised = True, False
    with pytest.raises(ac.PermissionDenied, match="Brak autoryzacji w KSeF") as caught:
        connect(ksef=True).send_invoice(invoice())
    assert "Udostępnij moją autoryzację" in str(caught.value)
    assert not company.documents
