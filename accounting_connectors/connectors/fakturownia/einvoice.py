"""Fakturownia's KSeF status: ``gov_status`` and its fields mapped onto ``EInvoiceStatus``.

Facts from the e-invoicing sheet (``providers/EINVOICING.md`` §3.1, §4.1): the official
values of FK-KSEF (``ok``, ``processing``, ``send_error``, ``server_error``,
``not_applicable``, ``not_connected``, ``null``, each also prefixed ``demo_`` in DEMO
mode) and the values production clients list (FK-KODA, FK-CIEPLIK; **UNCERTAIN**:
``status_check_error``, ``offline``, ``offline24``, ``offline_error``,
``duplicate_error``, ``blocked_403_error``, ``rejected``). The never-resend rules are the
production plugin's: never for ``ok``, ``processing``, ``status_check_error`` (the
invoice may already be accepted) or ``duplicate_error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...einvoicing import parse_timestamp
from ...model import EInvoiceState, EInvoiceStatus, EInvoiceSystem, SentDocument

KSEF_KINDS = frozenset({"vat", "correction", "vat_mp", "vat_margin", "wdt", "export_products", "advance", "final"})
"""The document kinds Fakturownia sends to KSeF (FK-KSEF "Typy faktur wysyłane do KSeF")."""

STATUS_FIELDS = (
    "id,number,kind,gov_status,gov_id,gov_send_date,gov_sell_date,gov_error_messages,"
    "gov_verification_link,gov_link,gov_corrected_invoice_number"
)
"""``fields[invoice]`` of the status read (FK-KSEF "Przykłady curl")."""

GOV_STATES: Mapping[str | None, tuple[EInvoiceState, bool, bool]] = {
    # raw value: (state, resend_allowed, needs_configuration)
    None: (EInvoiceState.NOT_SENT, True, False),
    "ok": (EInvoiceState.ACCEPTED, False, False),
    "processing": (EInvoiceState.PENDING, False, False),
    "send_error": (EInvoiceState.REJECTED, True, False),  # fix and resend (FK-KSEF)
    "server_error": (EInvoiceState.REJECTED, True, False),  # KSeF failed; resend after a wait (FK-KSEF FAQ)
    "not_applicable": (EInvoiceState.NOT_APPLICABLE, False, False),
    "not_connected": (EInvoiceState.NOT_SENT, True, True),  # no KSeF authorisation on the account
    # UNCERTAIN (FK-KODA, FK-CIEPLIK): not in the KSeF.md versions read.
    "offline": (EInvoiceState.PENDING, False, False),  # issued offline, waiting to be sent
    "offline24": (EInvoiceState.PENDING, False, False),
    "offline_error": (EInvoiceState.REJECTED, True, False),
    "blocked_403_error": (EInvoiceState.REJECTED, True, False),
    "duplicate_error": (EInvoiceState.REJECTED, False, False),  # KSeF holds this number: never resend
    "status_check_error": (EInvoiceState.PENDING, False, False),  # may already be accepted: never resend
    "rejected": (EInvoiceState.REJECTED, False, False),  # one client's value, meaning unknown: a person decides
}
"""Every documented ``gov_status`` (without the ``demo_`` prefix) and what it means here."""


def gov_state(raw: object, kind: object = None) -> tuple[EInvoiceState, bool, bool, bool]:
    """``(state, resend_allowed, needs_configuration, demo)`` for a raw ``gov_status``.

    An unknown value is ``UNKNOWN`` and never resent (the production plugin hands it to a
    person). A ``null`` status on a kind KSeF does not take is ``NOT_APPLICABLE``.
    """
    value = raw if isinstance(raw, str) and raw else None
    demo = value is not None and value.startswith("demo_")
    bare = value[len("demo_") :] if value is not None and demo else value
    if bare is None and isinstance(kind, str) and kind and kind not in KSEF_KINDS:
        return EInvoiceState.NOT_APPLICABLE, False, False, demo
    if bare not in GOV_STATES:
        return EInvoiceState.UNKNOWN, False, False, demo
    state, resend, configure = GOV_STATES[bare]
    return state, resend, configure, demo


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def status_from(body: Mapping[str, Any], document: SentDocument) -> EInvoiceStatus:
    """The ``EInvoiceStatus`` of one ``GET /invoices/{id}.json`` answer."""
    raw = body.get("gov_status")
    kind = body.get("kind") or document.raw.get("kind")
    state, resend, configure, demo = gov_state(raw, kind)
    messages = body.get("gov_error_messages")
    errors = [str(item) for item in messages] if isinstance(messages, list) else []
    if isinstance(messages, str) and messages.strip():
        errors = [messages.strip()]
    return EInvoiceStatus(
        provider=document.provider,
        system=EInvoiceSystem.KSEF,
        state=state,
        reference=document.reference,
        document_id=document.external_id,
        number=_text(body.get("gov_id")),
        errors=errors,
        provider_status=raw if isinstance(raw, str) else None,
        sent_at=parse_timestamp(body.get("gov_send_date")),
        verification_url=_text(body.get("gov_verification_link")),
        demo=demo,
        resend_allowed=resend,
        needs_configuration=configure,
        raw=dict(body),
    )
