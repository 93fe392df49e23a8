"""The exporter depends on the Connector protocol alone, not on Client or Provider."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import accounting_connectors as ac
from accounting_connectors.connector import AsyncConnector, Connector
from accounting_connectors.export import AsyncExporter, Exporter, ExportStatus, IntegrationSettings, SQLiteLedger
from accounting_connectors.testing.clock import FakeClock

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


def invoice(reference: str) -> ac.Invoice:
    return ac.Invoice(
        reference=reference,
        issue_date="2026-01-15",
        buyer=ac.Party(name="Ion Popescu", address=ac.Address(city="Cluj-Napoca", country="RO")),
        lines=[ac.Line(name="Tricou", quantity=2, unit="buc", unit_price="49.90", vat=ac.VatRate.of(21))],
        currency="RON",
    )


class Metered:
    """A wrapper a user might write (metrics around every call): a Connector, not a Client."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._inner, name)
        if callable(member):

            def counted(*args: Any) -> Any:
                self.calls.append(name)
                return member(*args)

            return counted
        return member

    @property
    def name(self) -> str:
        return str(self._inner.name)

    @property
    def capabilities(self) -> ac.Capabilities:
        return self._inner.capabilities  # type: ignore[no-any-return]

    @property
    def one_document_at_a_time(self) -> bool:
        return bool(self._inner.one_document_at_a_time)


def test_a_wrapped_sync_connector_exports_through_the_protocol(smartbill_fake: Any, tmp_path: Path) -> None:
    clock = FakeClock()
    with ac.connect("smartbill", CREDENTIALS, transport=smartbill_fake, clock=clock) as client:
        metered = Metered(client)
        assert isinstance(metered, Connector)
        exporter = Exporter(metered, IntegrationSettings(), SQLiteLedger(tmp_path / "l.db"))
        result = exporter.export(invoice("wrapped-1"))
    assert result.status is ExportStatus.SENT
    assert "send_invoice" in metered.calls and "account" in metered.calls


def test_a_wrapped_async_connector_exports_through_the_protocol(smartbill_fake: Any, tmp_path: Path) -> None:
    async def main() -> ExportStatus:
        async with ac.connect_async("smartbill", CREDENTIALS, transport=smartbill_fake, clock=FakeClock()) as client:
            metered = Metered(client)
            assert isinstance(metered, AsyncConnector)
            exporter = AsyncExporter(metered, IntegrationSettings(), SQLiteLedger(tmp_path / "a.db"))
            return (await exporter.export(invoice("wrapped-2"))).status

    assert asyncio.run(main()) is ExportStatus.SENT
