"""Providers by name and through entry points; the capability matrix and its renderings."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any, ClassVar

import attrs
import pytest

import accounting_connectors as ac
from accounting_connectors import registry
from accounting_connectors.capabilities import Capabilities, Capability, Entry, Support
from accounting_connectors.provider import Provider


@attrs.frozen(kw_only=True)
class PluggedSettings:
    """A plugin's settings."""

    api_key: str = ""
    """Its key."""


class Plugged(Provider):
    """A third-party provider, as another package would ship it."""

    name: ClassVar[str] = "plugged"
    settings_class: ClassVar[type[Any]] = PluggedSettings
    capabilities: ClassVar[Capabilities] = Capabilities(
        "plugged", {Capability.SEND_INVOICE: Entry(Support.SUPPORTED, "a | pipe & <tag>")}
    )

    def credential_fingerprint(self) -> str:
        return "plugged"


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint(name="plugged", value=f"{__name__}:Plugged", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point] if group == registry.ENTRY_POINT_GROUP else [])


def test_builtin_providers_are_listed() -> None:
    assert "smartbill" in ac.providers()


def test_entry_point_plugins_are_found_and_connectable(plugin: None) -> None:
    assert "plugged" in ac.providers()
    assert ac.providers() == sorted(ac.providers())
    client = ac.connect("plugged", {"api_key": "k"})
    assert isinstance(client.provider, Plugged)
    assert client.provider.settings == PluggedSettings(api_key="k")
    with pytest.raises(ac.ConfigurationError, match="unknown setting api_kye for plugged; valid settings: api_key"):
        ac.connect("plugged", {"api_kye": "k"})
    assert isinstance(ac.connect_async("plugged"), ac.AsyncClient)


def test_unknown_provider_is_a_configuration_error() -> None:
    with pytest.raises(ac.ConfigurationError, match="smartbill"):
        ac.connect("nosuch")


def test_an_entry_point_that_is_not_a_provider_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint(name="broken", value="json:dumps", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point])
    with pytest.raises(ac.ConfigurationError, match="not a Provider"):
        ac.connect("broken")


def test_matrix_renders_every_capability_in_three_forms(plugin: None) -> None:
    matrix = ac.capability_matrix()
    text, markdown, html = str(matrix), matrix.to_markdown(), matrix._repr_html_()
    for capability in Capability:
        assert capability.value in text
        assert capability.value in markdown
        assert capability.value in html
    # The text fits 80 columns: providers go in blocks side by side, each under its header.
    headers = [line.split() for line in text.splitlines() if line.startswith("capability")]
    assert [name for header in headers for name in header[1:]] == [name[:12] for name in ac.providers()]
    assert max(len(line) for line in text.splitlines()) <= 80
    assert markdown.splitlines()[1] == "|" + "---|" * (len(ac.providers()) + 1)
    assert "a \\| pipe" in markdown  # a pipe in a note does not break the table
    assert "&lt;tag&gt;" in html and "<tag>" not in html
    assert "not yet" in text  # capabilities left out count as not implemented


def test_unlisted_capabilities_are_not_implemented() -> None:
    row = Capabilities("x")
    assert row[Capability.FETCH_PDF].support is Support.NOT_IMPLEMENTED
    assert not row.supports(Capability.FETCH_PDF)
    assert dict(row)[Capability.SEND_INVOICE] == Entry(Support.NOT_IMPLEMENTED)


def test_unsupported_operations_explain_themselves() -> None:
    with pytest.raises(ac.UnsupportedOperation, match="send_receipt is not implemented for plugged") as caught:
        Plugged(PluggedSettings()).send_receipt(None)  # type: ignore[arg-type]
    assert caught.value.provider == "plugged"
    assert caught.value.retry_safe
