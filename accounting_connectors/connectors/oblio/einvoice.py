"""Oblio's RO e-Factura status: the list row's ``einvoiceStatus`` mapped onto ``EInvoiceStatus``.

From the e-invoicing sheet (EINVOICING §3.8, §4.1; OB-DOC "Listare facturi", "Raspuns"):
``GET api/docs/invoice/list?cif=&id=&withEinvoiceStatus=1`` answers ``einvoiceStatus``
``{text, sent, code}``. ``code`` -1 is not sent (``text`` "Neconfigurat": SPV not set up),
0 in SPV and being processed, 1 sent successfully, 2 has errors and was not sent.
**UNCERTAIN:** whether 1 means ANAF validated it or only that the upload succeeded (read as
accepted, the doc's wording), whether 2 is Oblio's validation or ANAF's ``nok`` (either way
nothing was accepted, so a resend after fixing is safe), and ``indexUpload`` / ``idDownload``
as ANAF's upload index and download id (undocumented fields). The ``einvoice`` XML link is
there even on a -1 row, so it is never read as "sent".
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...model import EInvoiceState, EInvoiceStatus, EInvoiceSystem, SentDocument

CODES: Mapping[int, tuple[EInvoiceState, bool]] = {
    -1: (EInvoiceState.NOT_SENT, True),
    0: (EInvoiceState.PENDING, False),
    1: (EInvoiceState.ACCEPTED, False),
    2: (EInvoiceState.REJECTED, True),
}
"""``einvoiceStatus.code`` -> (state, resend allowed)."""

NOT_CONFIGURED = "neconfigurat"
"""``einvoiceStatus.text`` of a company whose SPV access is not set up (OB-DOC list example), folded."""


def _code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return int(value) if value == int(value) else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _text(value: object) -> str | None:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def status_from(row: Mapping[str, Any], document: SentDocument) -> EInvoiceStatus:
    """The ``EInvoiceStatus`` of one invoice-list row read with ``withEinvoiceStatus=1``."""
    spv = row.get("einvoiceStatus")
    base: dict[str, Any] = {
        "provider": document.provider,
        "system": EInvoiceSystem.RO_EFACTURA,
        "reference": document.reference,
        "document_id": _text(row.get("id")) or document.external_id,
        "number": _text(row.get("indexUpload")),
        "download_id": _text(row.get("idDownload")),
        "raw": dict(row),
    }
    if not isinstance(spv, Mapping):
        return EInvoiceStatus(state=EInvoiceState.UNKNOWN, **base)
    code = _code(spv.get("code"))
    text = _text(spv.get("text"))
    raw_code = _text(spv.get("code"))
    if code is None or code not in CODES:
        return EInvoiceStatus(
            state=EInvoiceState.UNKNOWN, provider_status=raw_code, errors=[text] if text else [], **base
        )
    state, resend = CODES[code]
    configure = state is EInvoiceState.NOT_SENT and text is not None and text.casefold() == NOT_CONFIGURED
    return EInvoiceStatus(
        state=state,
        provider_status=raw_code,
        errors=[text] if text and state is EInvoiceState.REJECTED else [],
        resend_allowed=resend,
        needs_configuration=configure,
        **base,
    )
