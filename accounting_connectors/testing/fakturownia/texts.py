"""The error bodies and texts the Fakturownia fake answers with.

Quoted verbatim where the project's Fakturownia sheet gives them (its section in
brackets); the others are marked "text not documented" and follow the shape of the
documented ones (Polish validation messages under ``{"code":"error","message":...}``).
"""

from __future__ import annotations

from typing import Any

NOT_FOUND: dict[str, Any] = {"code": "error", "message": "Not found"}
"""404 body (§2, FK-BANK)."""

CANT_BE_BLANK = "- nie może być puste"
"""A required field left out (§2, FK-KSEF: ``buyer_tax_no``)."""

KSEF_BUYER_TAX_NO = "NIP nabywcy - nie może być puste"
"""KSeF's refusal of a company buyer without a tax id, in ``gov_error_messages`` (the fake's wording,
in the shape of FK-KSEF's examples: ``"<field> - <reason>"``)."""


def TOO_LONG(limit: int) -> str:  # noqa: N802 - reads as the constant it stands for
    """A text over its length limit (§2, FK-KSEF: ``buyer_phone``)."""
    return f"- pole jest za długie (maksymalna ilość znaków: {limit})"


KSEF_NOT_SENT: dict[str, Any] = {"message": "Faktura nie może zostać wysłana - brak numeru KSeF", "status": "error"}
"""``send_by_email`` of a KSeF document without its KSeF number, under HTTP 200 (§2, FK-KSEF)."""

UNAUTHORIZED: dict[str, Any] = {"code": "error", "message": "Brak dostępu - nieprawidłowy kod API"}
"""401 without a valid token. The status is documented (§2, FK-CLIENT); text not documented."""

INVALID = "- jest nieprawidłowe"
"""A value outside its list (text not documented; Rails' Polish "is invalid")."""

NOT_A_NUMBER = "- nie jest liczbą"
"""A number that does not parse (text not documented)."""

OID_TAKEN = "- zamówienie o tym numerze (oid) ma już fakturę"
"""A second document for an ``oid`` sent with ``oid_unique: "yes"``. UNCERTAIN: only "a 4xx naming
``oid``" is known (§2, §14, FK-CL); text not documented."""

NO_SUCH_DOCUMENT = "- dokument nie istnieje"
"""``invoice_id`` of a correction naming no document (text not documented; KSeF requires one, §9)."""

CHANGED_UNDER_KSEF = "- nie może zostać zmienione w korekcie (KSeF)"
"""A correction changing a buyer or seller field under KSeF (§9; text not documented)."""

NOT_A_CORRECTION_LINE = '- pozycja korekty musi mieć "kind": "correction"'
"""A correction line without ``kind: "correction"`` (fakturownia/API PR #5, §16; text not documented)."""

RECEIPT_NOT_CANCELLABLE = "Paragonu nie można anulować"
"""Cancelling a receipt, refused since 2025-02 (§8, FK-CL; text not documented)."""

KSEF_NOT_DELETABLE = "Faktury wysłanej do KSeF nie można usunąć"
"""DELETE of a document with a KSeF number (§3; text not documented)."""

PDF_NOT_READY = "Dokument jest w trakcie generowania, spróbuj ponownie za chwilę"
"""A fresh document's PDF, answered 422 for a few seconds (§10, FK-KODA measured; text not documented)."""

PROFORMA_STATUS = "Nie można zmienić statusu proformy na opłacona"
"""``change_status?status=paid`` on a proforma, refused with 422 (§0 changes, FK-KODA; text not documented)."""

BAD_STATUS = "Nieprawidłowy status"
"""``change_status`` with an unknown status, answered under HTTP 200 (§2, FK-CLIENT; text not documented)."""

TOO_MANY_ADDRESSES = "Można podać maksymalnie 5 adresów e-mail"
"""``send_by_email`` to more than five addresses (§3; text not documented)."""

RATE_LIMITED: dict[str, Any] = {"code": "error", "message": "Too many requests"}
"""429 body. UNCERTAIN: status and body are assumed (§2); text not documented."""

SERVER_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title></head>"
    "<body><h1>We're sorry, but something went wrong.</h1></body></html>"
)
"""An injected 5xx: Rails' production error page (text not documented)."""

KSEF_PENDING_PAGE = (
    "<!DOCTYPE html><html><head><title>Fakturownia</title></head><body>"
    "<p>Dokument oczekuje na numer KSeF. Wydruk będzie dostępny po jego nadaniu.</p></body></html>"
)
"""The HTML page a KSeF account shows on the PDF route until the KSeF number arrives (§10; text not documented)."""


def error(message: Any) -> dict[str, Any]:
    """The error body ``{"code": "error", "message": message}`` (§2)."""
    return {"code": "error", "message": message}


def field_error(errors: dict[str, list[str]]) -> dict[str, Any]:
    """The 422 body with a field map (§2, FK-KSEF)."""
    return {"code": "error", "message": errors}
