"""Oblio's RO e-Factura status (EINVOICING §3.8): every documented ``einvoiceStatus.code``,
"Neconfigurat", and the fake's SPV processing on its clock, through both drivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.connectors.oblio import Oblio
from accounting_connectors.connectors.oblio.einvoice import status_from
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.oblio import DEMO_CIF, OblioFake

from ..drivers import DRIVERS, open_connector
from .test_oblio import SETTINGS, invoice

S = ac.EInvoiceState
SENT = ac.SentDocument(
    provider="oblio", kind=ac.DocumentKind.INVOICE, reference="R", series="FCT", number="0126", external_id="105595937"
)


def row(code: object, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": "105595937", "seriesName": "FCT", "number": "0126", "indexUpload": None, "idDownload": None,
            "einvoiceStatus": {"text": text, "sent": code in (0, 1), "code": code}, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "text", "state", "resend", "configure"),
    [
        (-1, "e-Factura netrimisa in SPV.", S.NOT_SENT, True, False),
        (-1, "Neconfigurat", S.NOT_SENT, True, True),
        (0, "e-Factura a ajuns in SPV si este in prelucrare.", S.PENDING, False, False),
        (1, "e-Factura trimisa cu succes in SPV.", S.ACCEPTED, False, False),
        (2, "e-Factura are erori si nu a fost trimisa in SPV.", S.REJECTED, True, False),
        ("1", "e-Factura trimisa cu succes in SPV.", S.ACCEPTED, False, False),
        (7, "?", S.UNKNOWN, False, False),
    ],
)
def test_every_documented_code_maps(
    code: object, text: str, state: ac.EInvoiceState, resend: bool, configure: bool
) -> None:
    status = status_from(row(code, text), SENT)
    assert (status.state, status.resend_allowed, status.needs_configuration) == (state, resend, configure)
    assert status.system is ac.EInvoiceSystem.RO_EFACTURA and status.provider_status == str(code)
    assert status.errors == ((text,) if state in (S.REJECTED, S.UNKNOWN) else ())


def test_the_documented_row_and_the_anaf_ids() -> None:
    status = status_from(
        row(1, "e-Factura trimisa cu succes in SPV.", indexUpload="5001120362", idDownload="3001"), SENT
    )
    assert status.number == "5001120362" and status.download_id == "3001" and not status.demo
    assert status_from({"id": "1", "seriesName": "FCT", "number": "0126"}, SENT).state is S.UNKNOWN


@pytest.fixture
def fake(fake_clock: FakeClock) -> Iterator[OblioFake]:
    Oblio.forget_tokens()
    yield OblioFake.demo(clock=fake_clock)
    Oblio.forget_tokens()


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, fake: OblioFake, fake_clock: FakeClock) -> Iterator[Callable[[], Any]]:
    made: list[Any] = []

    def factory() -> Any:
        client = open_connector(request.param, "oblio", transport=fake, clock=fake_clock, **SETTINGS)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def test_without_spv_an_invoice_is_not_sent_and_needs_configuration(connect: Any, fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    status = conn.einvoice_status(sent)
    assert status.state is S.NOT_SENT and status.needs_configuration and status.resend_allowed
    read = [r for r in fake.requests if r.url.path == "/api/docs/invoice/list"][-1]
    assert read.url.params["withEinvoiceStatus"] == "1" and read.url.params["id"] == sent.external_id


def test_automatic_spv_is_pending_then_accepted_with_anaf_indexes(
    connect: Any, fake: OblioFake, fake_clock: FakeClock
) -> None:
    fake.set_spv(DEMO_CIF, "auto")
    conn = connect()
    sent = conn.send_invoice(invoice())
    pending = conn.einvoice_status(sent)
    assert pending.state is S.PENDING and pending.provider_status == "0" and not pending.resend_allowed
    fake_clock.advance(fake.spv_delay)
    accepted = conn.einvoice_status(sent)
    assert accepted.state is S.ACCEPTED and accepted.number and accepted.download_id and accepted.final


def test_anaf_refuses_a_buyer_without_an_address(connect: Any, fake: OblioFake, fake_clock: FakeClock) -> None:
    fake.set_spv(DEMO_CIF, "auto")
    conn = connect()
    sent = conn.send_invoice(invoice(buyer=ac.Party(name="Ion Popescu")))
    fake_clock.advance(fake.spv_delay)
    status = conn.einvoice_status(sent)
    assert status.state is S.REJECTED and status.resend_allowed
    assert status.errors == ("e-Factura are erori si nu a fost trimisa in SPV.",)


def test_a_manual_spv_waits_for_the_send_call(connect: Any, fake: OblioFake, fake_clock: FakeClock) -> None:
    fake.set_spv(DEMO_CIF, "manual")
    conn = connect()
    sent = conn.send_invoice(invoice())
    status = conn.einvoice_status(sent)
    assert status.state is S.NOT_SENT and not status.needs_configuration
    http = httpx.Client(transport=fake)
    token = http.post(
        "https://www.oblio.eu/api/authorize/token",
        data={"client_id": SETTINGS["email"], "client_secret": SETTINGS["api_secret"]},
    ).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    answer = http.post(
        "https://www.oblio.eu/api/docs/einvoice",
        json={"cif": DEMO_CIF, "seriesName": sent.series, "number": sent.number},
    ).json()
    assert answer["data"] == {"text": "e-Factura trimisa cu succes in SPV.", "sent": True, "code": 0}
    assert conn.einvoice_status(sent).state is S.PENDING
    again = http.post(
        "https://www.oblio.eu/api/docs/einvoice",
        json={"cif": DEMO_CIF, "seriesName": sent.series, "number": sent.number},
    )
    assert again.status_code == 400, "a second send of an invoice in SPV is refused"
    fake_clock.advance(fake.spv_delay)
    assert conn.einvoice_status(sent).state is S.ACCEPTED


def test_a_receipt_reads_the_invoice_that_carries_it(connect: Any, fake: OblioFake) -> None:
    fake.set_spv(DEMO_CIF, "auto")
    conn = connect()
    receipt = conn.send_receipt(
        ac.Receipt(reference="r-1", issue_date="2026-01-15", lines=invoice().lines, currency="RON")
    )
    assert conn.einvoice_status(receipt).state is S.PENDING


def test_a_payment_is_refused_without_a_request(connect: Any, fake: OblioFake) -> None:
    conn = connect()
    before = fake.request_count
    with pytest.raises(ac.UnsupportedOperation):
        conn.einvoice_status(ac.SentDocument(provider="oblio", kind=ac.DocumentKind.PAYMENT, reference="x"))
    assert fake.request_count == before


def spv_sends(fake: OblioFake) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.url.path == "/api/docs/einvoice"]


def test_send_einvoice_sends_a_manual_invoice_once(connect: Any, fake: OblioFake, fake_clock: FakeClock) -> None:
    fake.set_spv(DEMO_CIF, "manual")
    conn = connect()
    sent = conn.send_invoice(invoice())
    status = conn.send_einvoice(sent)
    assert status.state is S.PENDING and len(spv_sends(fake)) == 1
    assert conn.send_einvoice(sent).state is S.PENDING and len(spv_sends(fake)) == 1, "never sent twice"
    fake_clock.advance(fake.spv_delay)
    assert conn.send_einvoice(sent).state is S.ACCEPTED and len(spv_sends(fake)) == 1


def test_send_einvoice_without_spv_is_refused_by_oblio(connect: Any, fake: OblioFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    with pytest.raises(ac.ProviderError):
        conn.send_einvoice(sent)


def test_providers_without_an_explicit_send_refuse_it_before_any_request() -> None:
    from accounting_connectors.registry import builtin_providers, fake_class

    for name in builtin_providers():
        if name in ("fakturownia", "oblio"):
            continue
        fake = fake_class(name).demo(clock=FakeClock())
        with ac.connect(name, dict(fake.demo_settings), transport=fake) as conn:
            before = fake.request_count
            with pytest.raises(ac.UnsupportedOperation):
                conn.send_einvoice(ac.SentDocument(provider=name, kind=ac.DocumentKind.INVOICE, reference="x"))
            assert fake.request_count == before, name
