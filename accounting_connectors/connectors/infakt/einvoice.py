"""inFakt's KSeF status: the document's ``ksef_data`` mapped onto ``EInvoiceStatus``.

From the e-invoicing sheet (EINVOICING §3.2, §4.1; IF-KSEF, IF-OL): ``ksef_data.status`` is
``sent`` (handed to KSeF), ``success`` (processed, ``ksef_number`` assigned) or ``error``
(details in ``status_description``); ``ksef_data: null`` means never sent, and a document
created through the API is a draft that never goes by itself (IF-OL, verified live), so
sending it is safe. **UNCERTAIN:** ``pending``, declared only by a third-party type
(IF-OL), read as pending. After ``error`` the same uuid is sent again, never re-created
(IF-OL ADR-030). The sandbox talks to a test KSeF: its numbers are demo numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...einvoicing import parse_timestamp
from ...model import EInvoiceState, EInvoiceStatus, EInvoiceSystem, SentDocument

KSEF_STATES: Mapping[str, tuple[EInvoiceState, bool]] = {
    "sent": (EInvoiceState.PENDING, False),
    "pending": (EInvoiceState.PENDING, False),  # UNCERTAIN (IF-OL type only)
    "success": (EInvoiceState.ACCEPTED, False),
    "error": (EInvoiceState.REJECTED, True),  # resend the same uuid (IF-OL ADR-030)
}
"""``ksef_data.status`` -> (state, resend allowed)."""


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def status_from(body: Mapping[str, Any], document: SentDocument, *, demo: bool) -> EInvoiceStatus:
    """The ``EInvoiceStatus`` of one ``GET invoices/{uuid}.json`` (or ``corrective_invoices``) answer."""
    base: dict[str, Any] = {
        "provider": document.provider,
        "system": EInvoiceSystem.KSEF,
        "reference": document.reference,
        "document_id": document.external_id,
        "demo": demo,
        "raw": dict(body),
    }
    if "ksef_data" not in body:
        # An answer without the block says nothing either way.
        return EInvoiceStatus(state=EInvoiceState.UNKNOWN, number=_text(body.get("ksef_number")), **base)
    data = body.get("ksef_data")
    if data is None:
        return EInvoiceStatus(state=EInvoiceState.NOT_SENT, resend_allowed=True, **base)
    if not isinstance(data, Mapping):
        return EInvoiceStatus(state=EInvoiceState.UNKNOWN, **base)
    raw = _text(data.get("status"))
    state, resend = KSEF_STATES.get(raw or "", (EInvoiceState.UNKNOWN, False))
    description = _text(data.get("status_description"))
    found = data.get("timestamps")
    stamps: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return EInvoiceStatus(
        state=state,
        number=_text(data.get("ksef_number")) or _text(body.get("ksef_number")),
        errors=[description] if description and state in (EInvoiceState.REJECTED, EInvoiceState.UNKNOWN) else [],
        provider_status=raw,
        sent_at=parse_timestamp(stamps.get("request_created_at")),
        accepted_at=parse_timestamp(stamps.get("request_finished_at")) if state is EInvoiceState.ACCEPTED else None,
        resend_allowed=resend,
        **base,
    )
