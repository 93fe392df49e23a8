"""A closed connector and a broken plugin give typed errors and warnings, not tracebacks."""

from __future__ import annotations

import asyncio
import warnings
from importlib.metadata import EntryPoint
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors import registry
from accounting_connectors.capabilities import Capability, Support

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


def test_a_connector_used_after_its_with_block_says_it_is_closed(smartbill_fake: Any) -> None:
    with ac.connect("smartbill", CREDENTIALS, transport=smartbill_fake) as conn:
        pass
    before = smartbill_fake.request_count
    with pytest.raises(ac.ConnectorClosed, match="connector is closed") as caught:
        conn.list_series()
    assert caught.value.operation == "list_series" and caught.value.provider == "smartbill"
    assert smartbill_fake.request_count == before


def test_an_async_connector_used_after_it_is_closed_says_so(smartbill_fake: Any) -> None:
    async def main() -> None:
        async with ac.connect_async("smartbill", CREDENTIALS, transport=smartbill_fake) as conn:
            pass
        await conn.list_series()

    with pytest.raises(ac.ConnectorClosed):
        asyncio.run(main())


def test_a_broken_plugin_is_a_warning_and_an_unavailable_row(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint("brokenco", "no_such_module_anywhere:Broken", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [broken])
    with pytest.raises(ac.ConfigurationError, match="failed to load"):
        registry.provider_class("brokenco")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        matrix = ac.capability_matrix()
    assert any("brokenco" in str(warning.message) for warning in caught)
    row = next(row for row in matrix.rows if row.provider == "brokenco")
    assert row[Capability.SEND_INVOICE].support is Support.NOT_IMPLEMENTED
    assert "unavailable" in row[Capability.SEND_INVOICE].note
    assert "smartbill" in [row.provider for row in matrix.rows]
