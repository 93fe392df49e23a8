"""The export workflow against the SmartBill fake: settings, mapping, send once."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import (
    AsyncExporter,
    Exporter,
    ExportStatus,
    IntegrationSettings,
    LedgerState,
    Numbering,
    PaymentFallback,
    SeriesRule,
    SQLiteLedger,
)
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.smartbill import SmartBillFake

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


def invoice(reference: str = "order-1", **changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": reference,
        "issue_date": "2026-01-15",
        "buyer": ac.Party(name="Ion Popescu"),
        "lines": [
            ac.Line(name="Tricou", quantity=2, unit="buc", unit_price="49.90", vat=ac.VatRate.of(21), sku="TR-1")
        ],
        "currency": "RON",
        "prices_include_vat": True,
    }
    values.update(changes)
    return ac.Invoice(**values)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SQLiteLedger]:
    ledger = SQLiteLedger(tmp_path / "exports.db")
    yield ledger
    ledger.close()


@pytest.fixture
def conn(smartbill_fake: SmartBillFake, fake_clock: FakeClock) -> Iterator[ac.Client]:
    with ac.connect(
        "smartbill", transport=smartbill_fake, clock=fake_clock, receipt_series="CHT", **CREDENTIALS
    ) as client:
        yield client


def posted(fake: SmartBillFake, path: str = "invoice") -> list[dict[str, Any]]:
    return [
        json.loads(request.content, parse_float=Decimal)
        for request in fake.requests
        if request.method == "POST" and request.url.path.endswith("/api/" + path)
    ]


# Settings: every invalid combination fails at construction, saying what to change.


@pytest.mark.parametrize(
    ("settings", "hint"),
    [
        ({"warehouse": "Magazin"}, "turn transfer_sku on"),
        ({"max_concurrency": 0}, "at least 1"),
        ({"series": {"WEB": ""}}, "series['WEB']"),
        ({"payment_types": {"card": " "}}, "payment_types['card']"),
        ({"unmapped_payment": ""}, "unmapped_payment"),
        ({"numbering": "external"}, "Numbering"),
    ],
)
def test_invalid_settings_fail_at_construction(settings: dict[str, Any], hint: str) -> None:
    with pytest.raises(ac.ConfigurationError, match=re.escape(hint)):
        IntegrationSettings(**settings)


def test_external_numbering_on_smartbill_is_refused_at_construction(conn: ac.Client, ledger: SQLiteLedger) -> None:
    with pytest.raises(ac.ConfigurationError, match=r"Numbering\.PROVIDER"):
        Exporter(conn, IntegrationSettings(numbering=Numbering.EXTERNAL), ledger)


def test_mapping_to_unknown_series_or_payment_type_is_refused_before_any_create(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    with pytest.raises(ac.ConfigurationError, match="NOPE"):
        Exporter(conn, IntegrationSettings(series={"WEB": "NOPE"}), ledger).export(invoice())
    with pytest.raises(ac.ConfigurationError, match="paypal-ish"):
        Exporter(conn, IntegrationSettings(payment_types={"paypal": "paypal-ish"}), ledger).check()
    with pytest.raises(ac.ConfigurationError, match="unmapped_payment"):
        Exporter(conn, IntegrationSettings(unmapped_payment="Bitcoin"), ledger).check()
    assert posted(smartbill_fake) == []


# Mapping, visible in what the fake receives.


def test_series_map_default_and_do_not_send(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    smartbill_fake.add_series("WEB", "f")
    settings = IntegrationSettings(
        series={"shop": "WEB", "internal": SeriesRule.DO_NOT_SEND, "pos": SeriesRule.PROVIDER_DEFAULT}
    )
    exporter = Exporter(conn, settings, ledger)
    assert exporter.export(invoice("a", series="shop")).document.series == "WEB"  # type: ignore[union-attr]
    assert exporter.export(invoice("b", series="pos")).document.series == "FCT"  # type: ignore[union-attr]
    assert exporter.export(invoice("c", series="unknown-local")).document.series == "FCT"  # type: ignore[union-attr]
    skipped = exporter.export(invoice("d", series="internal"))
    assert skipped.status is ExportStatus.SKIPPED
    bodies = posted(smartbill_fake)
    assert [body.get("seriesName") for body in bodies] == ["WEB", None, None]
    assert ledger.get(exporter.key("d")) is None


def test_unmapped_series_can_default_to_do_not_send(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(unmapped_series=SeriesRule.DO_NOT_SEND), ledger)
    assert exporter.export(invoice("a", series="other")).status is ExportStatus.SKIPPED
    assert exporter.export(invoice("b")).status is ExportStatus.SENT  # no local series: the provider's default


def test_payment_mapping_fallback_and_date(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    paid = ac.Payment(method="card", amount="99.80", paid_on="2026-01-15")
    exporter = Exporter(conn, IntegrationSettings(payment_types={"card": "Card"}), ledger)
    assert exporter.export(invoice("a", payment=paid)).ok
    body = posted(smartbill_fake)[-1]
    assert body["payment"]["type"] == "Card" and body["paymentDate"] == "2026-01-15"

    unmapped = exporter.export(invoice("b", payment=attrs_evolve(paid, method="voucher")))
    assert unmapped.status is ExportStatus.FAILED
    assert unmapped.error is not None and "voucher" in str(unmapped.error)
    assert len(posted(smartbill_fake)) == 1

    fallback = Exporter(conn, IntegrationSettings(unmapped_payment="Alta incasare", send_payment_date=False), ledger)
    assert fallback.export(invoice("c", payment=attrs_evolve(paid, method="voucher"))).ok
    body = posted(smartbill_fake)[-1]
    assert body["payment"]["type"] == "Alta incasare"
    assert "paymentDate" not in body


def test_provider_names_pass_without_mapping(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(unmapped_payment=PaymentFallback.FAIL), ledger)
    assert exporter.export(invoice(payment=ac.Payment(method="Ordin plata", amount="99.80"))).ok


def test_sku_transfer_on_and_off(conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake) -> None:
    smartbill_fake.stock_enabled, smartbill_fake.warehouses = True, {"Magazin"}
    Exporter(conn, IntegrationSettings(transfer_sku=True, warehouse="Magazin"), ledger).export(invoice("a"))
    Exporter(conn, IntegrationSettings(), ledger).export(invoice("b", use_stock=True, warehouse="Magazin"))
    first, second = posted(smartbill_fake)
    assert first["useStock"] is True and first["products"][0]["warehouseName"] == "Magazin"
    assert second["useStock"] is False and second["products"][0]["warehouseName"] == ""


def test_provider_document_is_attached(conn: ac.Client, ledger: SQLiteLedger) -> None:
    exporter = Exporter(conn, IntegrationSettings(use_provider_document=True), ledger)
    result = exporter.export(invoice())
    assert result.pdf is not None and result.pdf.startswith(b"%PDF")
    again = exporter.export(invoice())
    assert again.status is ExportStatus.ALREADY_SENT and again.pdf is not None
    receipt = ac.Receipt(reference="r-1", issue_date="2026-01-15", lines=invoice().lines, currency="RON")
    held = exporter.export(receipt)
    assert held.status is ExportStatus.SENT and held.pdf is None
    assert isinstance(held.document_error, ac.UnsupportedOperation)


# Send once.


def test_a_reference_already_sent_returns_the_stored_result_without_a_call(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    first = exporter.export(invoice())
    calls = len(smartbill_fake.requests)
    second = Exporter(conn, IntegrationSettings(), SQLiteLedger(ledger.path)).export(invoice())
    assert second.status is ExportStatus.ALREADY_SENT
    assert second.document == first.document
    assert len(smartbill_fake.requests) == calls
    assert len(smartbill_fake.invoices()) == 1


def test_the_same_reference_with_other_content_is_a_clear_error(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    exporter.export(invoice())
    changed = exporter.export(invoice(notes="changed after issuing"))
    assert changed.status is ExportStatus.FAILED
    assert isinstance(changed.error, ac.ReferenceConflict)
    assert "correction" in changed.message
    assert len(smartbill_fake.invoices()) == 1


def test_a_failure_leaves_the_reference_free_to_send_again(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    exporter.check()
    smartbill_fake.inject(Fault.ERROR_TEXT_200, path="invoice")
    failed = exporter.export(invoice())
    assert failed.status is ExportStatus.FAILED
    assert ledger.get(exporter.key("order-1")).state is LedgerState.FAILED  # type: ignore[union-attr]
    assert exporter.export(invoice(notes="fixed")).status is ExportStatus.SENT
    assert len(smartbill_fake.invoices()) == 1


def test_an_ambiguous_create_is_held_and_never_resent(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    exporter.check()
    conn.list_vat_rates()
    smartbill_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice")
    held = exporter.export(invoice())
    assert held.status is ExportStatus.UNCERTAIN
    assert "ref: order-1" in held.message and "exporter.resolve" in held.message
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    assert len(posted(smartbill_fake)) == 1
    assert len(smartbill_fake.invoices()) == 1
    stored = smartbill_fake.invoices()[0]
    document = ac.SentDocument(
        provider="smartbill",
        kind=ac.DocumentKind.INVOICE,
        reference="order-1",
        series=stored.series,
        number=stored.number,
    )
    exporter.resolve("order-1", document)
    assert exporter.export(invoice()).status is ExportStatus.ALREADY_SENT


def test_resolving_as_not_issued_lets_it_go_again(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    exporter.check()
    conn.list_vat_rates()
    smartbill_fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="invoice")
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    exporter.resolve("order-1", None)
    assert exporter.export(invoice()).status is ExportStatus.SENT
    assert len(smartbill_fake.invoices()) == 1


class Crash(BaseException):
    """Stands for the process being killed."""


def test_a_crash_between_intent_and_result_is_held_on_the_next_run(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    exporter.check()

    def die(*args: Any) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(ledger, "complete", die)
        with pytest.raises(Crash):
            exporter.export(invoice())
    assert ledger.get(exporter.key("order-1")).state is LedgerState.PENDING  # type: ignore[union-attr]
    after_restart = Exporter(conn, IntegrationSettings(), SQLiteLedger(ledger.path))
    assert after_restart.export(invoice()).status is ExportStatus.UNCERTAIN
    assert len(smartbill_fake.invoices()) == 1


def test_an_intent_of_another_live_exporter_is_left_alone(
    conn: ac.Client, ledger: SQLiteLedger, smartbill_fake: SmartBillFake
) -> None:
    exporter = Exporter(conn, IntegrationSettings(), ledger)
    key = exporter.key("order-1")
    # Another process on this machine (the pid of this test run's parent, alive) holds it.
    import os

    ledger.begin(
        key, ac_fingerprint(invoice()), f"{exporter.owner.split(':')[0]}:{os.getppid()}:other", lambda entry: False
    )
    assert exporter.export(invoice()).status is ExportStatus.IN_PROGRESS
    assert posted(smartbill_fake) == []


def test_async_exporter_has_the_same_behaviour(
    smartbill_fake: SmartBillFake, fake_clock: FakeClock, ledger: SQLiteLedger
) -> None:
    async def scenario() -> None:
        async with ac.connect_async("smartbill", transport=smartbill_fake, clock=fake_clock, **CREDENTIALS) as aconn:
            exporter = AsyncExporter(aconn, IntegrationSettings(use_provider_document=True), ledger)
            sent = await exporter.export(invoice())
            assert sent.status is ExportStatus.SENT and sent.pdf
            assert (await exporter.export(invoice())).status is ExportStatus.ALREADY_SENT
            await aconn.list_vat_rates()
            smartbill_fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice")
            assert (await exporter.export(invoice("order-2"))).status is ExportStatus.UNCERTAIN

    asyncio.run(scenario())
    assert len(smartbill_fake.invoices()) == 2


def attrs_evolve(payment: ac.Payment, **changes: Any) -> ac.Payment:
    import attrs

    return attrs.evolve(payment, **changes)


def ac_fingerprint(document: Any) -> str:
    from accounting_connectors.export import fingerprint

    return fingerprint(document)


def test_an_unreadable_answer_to_a_create_is_held_not_failed(
    smartbill_fake: SmartBillFake, fake_clock: FakeClock, ledger: SQLiteLedger
) -> None:
    import httpx

    garbled: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = smartbill_fake.handle_request(request)
        if request.method == "POST" and not garbled:
            garbled.append(True)
            return httpx.Response(200, content=b"<html>proxy error</html>")
        return response

    with ac.connect("smartbill", transport=httpx.MockTransport(handler), clock=fake_clock, **CREDENTIALS) as conn:
        with pytest.raises(ac.AmbiguousOutcome):
            conn.send_invoice(invoice("direct"))
        exporter = Exporter(conn, IntegrationSettings(), ledger)
        assert exporter.export(invoice()).status is ExportStatus.SENT
        garbled.clear()
        held = exporter.export(invoice("order-2"))
        assert held.status is ExportStatus.UNCERTAIN
        assert exporter.export(invoice("order-2")).status is ExportStatus.UNCERTAIN
    assert len(smartbill_fake.invoices()) == 3  # one each; the garbled ones were never resent


def test_refusals_that_create_nothing_are_safe_to_send_again() -> None:
    assert ac.AuthenticationError("no").retry_safe
    assert ac.PermissionDenied("no").retry_safe
    assert not ac.ServerError("down").retry_safe
    assert not ac.ProviderError("odd").retry_safe
