"""wFirma's KSeF status: the read-only ``ksef_*`` fields of ``invoices/get`` mapped onto ``EInvoiceStatus``.

From the e-invoicing sheet (EINVOICING §3.3, §4.1, §5.5): with KSeF on, wFirma sends every
invoice added through the API at issue; there is no send call, so a resend is never the
connector's to make. ``invoices/get/{id}`` carries ``ksef_reference_number``, ``ksef_status``
and ``ksef_registration_date`` (W-WEBIT, W-DEKOZA). **UNCERTAIN:** the ``ksef_status`` values
(``ok`` / ``accepted`` and ``processing`` seen by a production client, W-WFSYNC; ``sent`` in a
test fixture, W-DEKOZA) and any error value (none seen). Safest reading: ``ok`` or a number
or a registration date = accepted; ``processing`` / ``sent`` = pending; another value =
unknown, kept verbatim; all three empty = pending on an account the settings say has KSeF
on, not sent on one without, unknown when the settings do not say (the API cannot tell
"KSeF off" from "not yet").
"""

from __future__ import annotations

from ...einvoicing import parse_timestamp
from ...model import EInvoiceState, EInvoiceStatus, EInvoiceSystem, SentDocument

ACCEPTED = frozenset({"ok", "accepted"})
PENDING = frozenset({"processing", "sent", "pending"})
NOT_APPLICABLE_TYPES = frozenset({"receipt_fiscal_normal", "receipt_normal", "proforma", "bill"})
"""Document types that never go to KSeF (receipts; a pro forma is not an invoice)."""
DRAFT_TYPES = frozenset({"normal_draft"})
"""A draft is not yet an invoice: a person accepts it in the app, which then sends it (W-WFSYNC)."""


def ksef_state(status: str, number: str, registered: str, doc_type: str, ksef_on: bool | None) -> EInvoiceState:
    """The common state of wFirma's three KSeF fields for a document of ``doc_type``."""
    if doc_type in NOT_APPLICABLE_TYPES:
        return EInvoiceState.NOT_APPLICABLE
    if doc_type in DRAFT_TYPES:
        return EInvoiceState.NOT_SENT
    folded = status.strip().casefold()
    if folded in ACCEPTED or number.strip() or registered.strip():
        return EInvoiceState.ACCEPTED
    if folded in PENDING:
        return EInvoiceState.PENDING
    if folded:
        return EInvoiceState.UNKNOWN
    if ksef_on is None:
        return EInvoiceState.UNKNOWN
    return EInvoiceState.PENDING if ksef_on else EInvoiceState.NOT_SENT


def status_from(
    fields: dict[str, str], document: SentDocument, ksef_on: bool | None, provider: str = "wfirma"
) -> EInvoiceStatus:
    """The ``EInvoiceStatus`` of one ``invoices/get`` row's fields."""
    status = fields.get("ksef_status", "")
    number = fields.get("ksef_reference_number", "")
    registered = fields.get("ksef_registration_date", "")
    state = ksef_state(status, number, registered, fields.get("type", ""), ksef_on)
    return EInvoiceStatus(
        provider=provider,
        system=EInvoiceSystem.KSEF,
        state=state,
        reference=document.reference,
        document_id=document.external_id,
        number=number.strip() or None,
        provider_status=status.strip() or None,
        # wFirma writes local Polish time without an offset (W-WEBIT): kept naive.
        accepted_at=parse_timestamp(registered),
        raw=dict(fields),
    )
