"""The wFirma connector's answers: the ``status > code`` envelope mapped to errors, records read.

:class:`WFirmaAnswers` is the half of :class:`~.connector.WFirma` that reads what wFirma
answers: errors come under HTTP 200 as ``status > code`` (§2) with validation details
attached to the records; documents are read into :class:`~accounting_connectors.model.SentDocument`.
Section numbers (§) are those of ``shared/providers/wfirma.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

import httpx

from ...errors import (
    AccountingError,
    AuthenticationError,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    ServerError,
)
from ...flow import Call
from ...model import DocumentKind, SentDocument
from ...provider import Provider
from .settings import LOCKOUT_SECONDS, WFirmaSettings
from .wire import UnreadableAnswer, answer, field_errors, records, status_code, status_message, text_of

__all__ = ["WFirmaAnswers"]

# status > code -> what it means (§2 table). Codes not here are unknown: outcome unknown.
_AUTH_CODES = frozenset({"AUTH"})
_DENIED_CODES = frozenset({"ACCESS DENIED", "DENIED SCOPE REQUESTED"})
_LIMIT_CODES = frozenset({"TOTAL REQUESTS LIMIT EXCEEDED", "TOTAL EXECUTION TIME LIMIT EXCEEDED"})
_UNAVAILABLE_CODES = frozenset({"OUT OF SERVICE", "SNAPSHOT LOCK"})
_KSEF_AUTHORISATION = "Brak autoryzacji w KSeF"  # invoices/add refused for KSeF (W-WFSYNC)
_NOT_FOUND_TEXT = "Nie znaleziono obiektu"  # W-WEBIT treats this text as not-found [§2]

_MEANINGS: Mapping[str, str] = {
    "ACCESS DENIED": "the user's rights forbid this action",
    "ACTION NOT FOUND": "no such module or action",
    "AUTH": "the API keys were refused",
    "AUTH FAILED LIMIT WAIT 5 MINUTES": "too many failed logins; wFirma blocks this login for 5 minutes",
    "COMPANY ID REQUIRED": "the user has several companies and the company_id was not accepted",
    "DENIED SCOPE REQUESTED": "the authorisation does not cover this module",
    "FATAL": "internal wFirma error",
    "INPUT ERROR": "wFirma could not read the request",
    "NOT FOUND": "no such object",
    "OUT OF SERVICE": "the API is switched off for maintenance",
    "SNAPSHOT LOCK": "the company is being restored from a backup; everything is blocked",
    "TOTAL REQUESTS LIMIT EXCEEDED": "request-count limit exceeded",
    "TOTAL EXECUTION TIME LIMIT EXCEEDED": "execution-time limit exceeded",
}


class WFirmaAnswers(Provider):
    """The half of the wFirma connector that reads answers and maps their errors."""

    settings: WFirmaSettings

    # Errors.

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """The ``status > code`` envelope mapped (errors come under HTTP 200, §2)."""
        if response.content.startswith(b"%PDF"):
            return None
        if response.status_code >= 400:
            return self._http_error(response)
        try:
            root = answer(response)
        except UnreadableAnswer as error:
            # Not an envelope at all (an XML bomb, HTML): whether a write took effect is unknown.
            return ServerError(f"{self.display_name} answered unreadably: {error.reason}", response=response)
        code = status_code(root)
        if code is None:
            return ServerError(f"{self.display_name} answered without status > code", response=response)
        if code == "OK":
            return None
        return self._code_error(code, root, response, call, now)

    def _http_error(self, response: httpx.Response) -> ProviderError:
        # UNCERTAIN (§2, §17.1): the doc names no HTTP errors. A 429 is a limit; anything else
        # is treated as transport-level (reads retried, writes outcome-unknown).
        text = f"{self.display_name} answered HTTP {response.status_code}"
        if response.status_code == 429:
            return RateLimited(text, response=response)
        return ServerError(text, response=response)

    def _code_error(
        self, code: str, root: Element, response: httpx.Response, call: Call, now: float
    ) -> AccountingError:
        detail = status_message(root)
        meaning = _MEANINGS.get(code, "unknown status code")
        text = f"{self.display_name} {code}: {detail or meaning}"
        if code == "ERROR" and detail is not None and _KSEF_AUTHORISATION in detail:
            # invoices/add refused: the key's user shares no KSeF authorisation, no invoice exists
            # (W-WFSYNC, EINVOICING §3.3). A person fixes it in the app; resending cannot help.
            return PermissionDenied(
                f'{text} (a KSeF-authorised user must tick "Udostępnij moją autoryzację do połączeń API" '
                "under PRZYCHODY » KSEF I INTEGRACJE » ZAAWANSOWANE and be chosen as the API user)",
                response=response,
            )
        if code == "ERROR":
            errors = field_errors(root)
            if detail is not None and _NOT_FOUND_TEXT in detail:
                return NotFound(text, response=response)
            listed = "; ".join(f"{field or 'document'}: {', '.join(messages)}" for field, messages in errors.items())
            message = f"{self.display_name} ERROR: {listed or detail or 'validation failed'}"
            return ProviderValidationError(message, field_errors=errors or {"": [detail or "ERROR"]}, response=response)
        if code == "INPUT ERROR":
            return ProviderValidationError(text, field_errors={"": [detail or meaning]}, response=response)
        if code in _AUTH_CODES:
            return AuthenticationError(text, response=response)
        if code == "AUTH FAILED LIMIT WAIT 5 MINUTES":
            return RateLimited(text, retry_at=now + LOCKOUT_SECONDS, response=response)
        if code in _DENIED_CODES:
            return PermissionDenied(text, response=response)
        if code == "COMPANY ID REQUIRED":
            return ConfigurationError(f"{text}; set company_id to one of the user's companies (user_companies/find)")
        if code == "NOT FOUND":
            return NotFound(text, response=response)
        if code in _LIMIT_CODES:
            return RateLimited(text, retry_at=now + self.settings.limit_backoff_seconds, response=response)
        if code in _UNAVAILABLE_CODES:
            # The call was refused, nothing was done: a read may be retried; a create is not
            # resent automatically, but is safe to send later.
            if call.creates:
                return ProviderError(text, response=response, retry_safe=True)
            return ServerError(text, response=response)
        if code == "ACTION NOT FOUND":
            return ProviderError(text, response=response, retry_safe=True)
        # FATAL and any code the table lacks: on a write the outcome is unknown.
        return ServerError(text, response=response)

    # Answers.

    def _sent(self, response: httpx.Response, kind: DocumentKind, reference: str) -> SentDocument:
        row = _first(records(answer(response), "invoices", "invoice"), "invoices/add")
        return self._document(row, kind, reference)

    def _document(self, row: Element, kind: DocumentKind, reference: str) -> SentDocument:
        identifier = text_of(row, "id")
        if identifier is None:
            raise ServerError(f"{self.display_name} returned a document without its id")
        issued = text_of(row, "date")
        try:
            issue_date = dt.date.fromisoformat(issued) if issued else None
        except ValueError:
            issue_date = None
        line_ids = [text_of(content, "id") or "" for content in row.findall("invoicecontents/invoicecontent")]
        raw: dict[str, Any] = {
            "id": identifier,
            "fullnumber": text_of(row, "fullnumber"),
            "type": text_of(row, "type"),
            "series_id": text_of(row, "series/id"),
            "total": text_of(row, "total"),
            "line_ids": line_ids,
            "company_id": self.settings.company_id,
        }
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=text_of(row, "fullnumber") or text_of(row, "number"),
            external_id=identifier,
            issue_date=issue_date,
            raw=raw,
        )


def _first(rows: list[Element], what: str) -> Element:
    if not rows:
        raise ServerError(f"wFirma's {what} answer holds no record")
    return rows[0]
