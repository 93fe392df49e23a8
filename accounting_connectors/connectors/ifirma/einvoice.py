"""iFirma's KSeF status: ``NumerKSEF`` and ``StatusKSEF`` of the single-invoice read mapped onto ``EInvoiceStatus``.

From the e-invoicing sheet (EINVOICING §3.4, §4.1, §5.6): **UNCERTAIN** throughout (third-party
clients, live-verified, I-TP): ``GET {kind}/{id}.json`` carries ``NumerKSEF`` and ``StatusKSEF``
``{Status, Opis, TrybWysylki, CzasWysylki, CzasWlasciwejWysylki}``, possibly without the usual
``{"response": …}`` wrapper. ``PRZYJETA_W_KSEF`` = accepted, and a non-empty ``NumerKSEF``
alone means accepted; ``ODRZUCONA…`` (rejected) and ``BŁĄD…`` (error) = failed; any other
value = in progress. The full enum is not known. Whether a failed invoice may be sent again is
not documented, so no status allows a resend here but a never-sent one (both fields present and
empty); an answer with neither field is unknown. The list's ``CzyWyslano`` is not a KSeF
signal (it reads false for accepted invoices) and is never read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from ...einvoicing import parse_timestamp
from ...model import EInvoiceState, EInvoiceStatus, EInvoiceSystem, SentDocument

ACCEPTED = "PRZYJETA_W_KSEF"
FAILED_PREFIXES = ("ODRZUCONA", "BLAD")
"""Value prefixes of a refusal, compared without diacritics (``BŁĄD`` -> ``BLAD``)."""


def _folded(text: str) -> str:
    plain = text.upper().replace("Ł", "L")
    return "".join(ch for ch in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(ch))


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def ksef_state(number: str | None, status: str | None) -> EInvoiceState:
    """The common state of ``NumerKSEF`` and ``StatusKSEF.Status`` (both present)."""
    if number or (status and _folded(status) == ACCEPTED):
        return EInvoiceState.ACCEPTED
    if not status:
        return EInvoiceState.NOT_SENT
    if _folded(status).startswith(FAILED_PREFIXES):
        return EInvoiceState.REJECTED
    return EInvoiceState.PENDING


def status_from(details: Mapping[str, Any], document: SentDocument) -> EInvoiceStatus:
    """The ``EInvoiceStatus`` of one single-invoice read (envelope and ``Wynik`` merged, or bare)."""
    base: dict[str, Any] = {
        "provider": document.provider,
        "system": EInvoiceSystem.KSEF,
        "reference": document.reference,
        "document_id": document.external_id,
        "raw": dict(details),
    }
    if "NumerKSEF" not in details and "StatusKSEF" not in details:
        return EInvoiceStatus(state=EInvoiceState.UNKNOWN, **base)
    number = _text(details.get("NumerKSEF"))
    found = details.get("StatusKSEF")
    block: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    status = _text(block.get("Status"))
    state = ksef_state(number, status)
    opis = _text(block.get("Opis"))
    return EInvoiceStatus(
        state=state,
        number=number,
        provider_status=status,
        errors=[opis] if opis and state is EInvoiceState.REJECTED else [],
        sent_at=parse_timestamp(block.get("CzasWlasciwejWysylki")) or parse_timestamp(block.get("CzasWysylki")),
        resend_allowed=state is EInvoiceState.NOT_SENT,
        **base,
    )
