"""What the conformance suite needs to know of one provider: samples and documented fields.

Each provider has one module in ``tests/conformance/cases/`` that defines ``CASE``, a
:class:`ProviderCase`. The suite finds those modules by itself; the fake, its demo
account and the connect settings come from the registry (``fake_class(name).demo()``
and ``demo_settings``).

``fields`` is the provider's documented field list, written from its sheet and specs,
each name with its source tag: every field name the connector sends (JSON keys at any
depth, form fields, XML element names, query parameters) must be in it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import attrs
import httpx

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability

Exercise = Callable[[Any, Any, "ProviderCase"], None]
"""A check of one capability: ``(connector, fake, case)``; raises ``AssertionError`` when it fails."""


def _reversal(invoice: ac.Invoice, sent: ac.SentDocument) -> ac.Correction:
    return ac.Correction.full_reversal(
        reference=f"{invoice.reference}-corr",
        original=invoice,
        original_document=sent,
        reason="Returned goods",
        issue_date=invoice.issue_date,
    )


def _full_payment(invoice: ac.Invoice) -> ac.Payment:
    from accounting_connectors.money import TotalsMethod, document_totals

    method = TotalsMethod.PER_RATE if invoice.currency != "RON" else TotalsMethod.PER_LINE
    gross = document_totals(invoice.lines, method=method, prices_include_vat=invoice.prices_include_vat).total.gross
    return ac.Payment(method="transfer", amount=gross, paid_on=invoice.issue_date)


@attrs.frozen(kw_only=True)
class ProviderCase:
    """One provider's entry in the conformance suite.

    Attributes:
        name: the registered provider name.
        invoice: an ordinary invoice the demo account accepts.
        fields: documented field name -> source tag (sheet section or spec file).
        receipt: a receipt the demo account accepts, where receipts are supported.
        correction: builds a correction of ``invoice`` from what the provider returned.
        payment: builds a payment of ``invoice`` that the provider accepts.
        settings: extra connect settings on top of the fake's ``demo_settings``.
        exercises: checks of capabilities the generic ones do not cover
            (``SKU_STOCK``, ``EXTERNAL_NUMBERING``, ``DOCUMENT_LINK``, ...).
        field_names: the field names one request sends (the default reads JSON,
            form and XML bodies and the query).
        checked: whether a request's fields are checked (default: every request).
    """

    name: str
    invoice: ac.Invoice
    fields: Mapping[str, str]
    receipt: ac.Receipt | None = None
    correction: Callable[[ac.Invoice, ac.SentDocument], ac.Correction] = _reversal
    payment: Callable[[ac.Invoice], ac.Payment] = _full_payment
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    exercises: Mapping[Capability, Exercise] = attrs.field(factory=dict)
    field_names: Callable[[httpx.Request], set[str]] = attrs.field(default=None)
    checked: Callable[[httpx.Request], bool] = lambda request: True

    def __attrs_post_init__(self) -> None:
        if self.field_names is None:
            object.__setattr__(self, "field_names", sent_field_names)

    def invoice_for(self, reference: str) -> ac.Invoice:
        """The sample invoice under another reference."""
        return attrs.evolve(self.invoice, reference=reference)


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def sent_field_names(request: httpx.Request) -> set[str]:
    """Every field name in a request: query parameters, and JSON keys, form names or XML tags."""
    names = {f"?{name}" for name in request.url.params}
    content = request.content
    if not content:
        return names
    kind = request.headers.get("Content-Type", "")
    if "x-www-form-urlencoded" in kind:
        names.update(name for name, _ in urllib.parse.parse_qsl(content.decode(), keep_blank_values=True))
    elif "xml" in kind:
        root = ElementTree.fromstring(content)  # our own request, not network input
        names.update(re.sub(r"^\{.*\}", "", element.tag) for element in root.iter())
    else:
        names.update(_keys(json.loads(content, parse_float=Decimal)))
    return names


def today() -> dt.date:
    """A fixed issue date for samples (the fakes' clocks start on 2026-01-01)."""
    return dt.date(2026, 1, 15)
