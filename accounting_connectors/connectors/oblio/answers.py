"""Reading Oblio's answers: the error mapping (HTTP status and the body's ``status``, §2) and the ``data`` parts.

Oblio answers ``{"status","statusMessage","data"}``; errors come as HTTP 400/401 with
``statusMessage`` in Romanian, and also as ``status`` 400 inside an HTTP 200 body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx

from ...errors import (
    AccountingError,
    AuthenticationError,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    ServerError,
    ValidationError,
)
from ...flow import Call
from ...model import DocumentKind, SentDocument
from ...provider import read_json, unreadable_answer

_BLOCKED = re.compile(r"(?i)\b(blocat|blocked|too many|prea multe|limita de|rate limit)")
_NOT_FOUND = re.compile(r"(?i)\b(nu a fost gasit|nu exista|not found)")
_DUPLICATE = re.compile(r"(?i)(idempotency|duplicat|deja (exista|emis|folosit))")


def error_message(response: httpx.Response) -> str | None:
    """Oblio's ``statusMessage`` (or an OAuth ``error_description``)."""
    body = read_json(response)
    if isinstance(body, Mapping):
        for key in ("statusMessage", "error_description", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def error_of(
    response: httpx.Response, call: Call, message_of: Callable[[httpx.Response], str | None]
) -> AccountingError | None:
    """HTTP status and the body's ``status`` both count: a 200 carrying ``status`` 400 is an error (§2)."""
    status = response.status_code
    body = read_json(response)
    if status < 300:
        inner = body.get("status") if isinstance(body, Mapping) else None
        try:
            status = int(str(inner)) if inner is not None else status
        except ValueError:
            status = 200
        if status < 300:
            return None
    message = message_of(response) or f"Oblio answered status {status}"
    if status == 429 or _BLOCKED.search(message):
        # UNCERTAIN answer (§13): a 429 or a "blocked" text is the 10-minute penalty.
        return RateLimited(message)
    if status == 401:
        return AuthenticationError(message)
    if status == 403:
        return PermissionDenied(message)
    if status >= 500:
        return ServerError(message)
    if status == 404 or (call.request.method == "GET" and _NOT_FOUND.search(message)):
        return NotFound(message)
    if status in (400, 409, 422):
        return ProviderValidationError(message, field_errors={"": [message]})
    return ProviderError(message)


def _named(value: Any) -> bool:
    """A field a create's answer names: a non-empty string or number (OB-FG casts them to strings)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return False
    return bool(str(value).strip())


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true")


def _data(response: httpx.Response) -> dict[str, Any]:
    # An answer that cannot be read is an error (MalformedAnswer), never an empty object.
    body = read_json(response)
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        raise unreadable_answer(response, "an object with a 'data' object", "Oblio")
    return dict(data)


def _data_list(response: httpx.Response) -> list[dict[str, Any]]:
    # Never [] for an answer that cannot be read: a lookup would find nothing and resend.
    body = read_json(response)
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise unreadable_answer(response, "an object with a 'data' list of objects", "Oblio")
    return [dict(item) for item in data]


def _rate_of(response: httpx.Response, item: Mapping[str, Any]) -> tuple[str, Decimal]:
    """A VAT rate's name and percentage; an item without them is an unreadable answer."""
    name, percent = item.get("name"), item.get("percent")
    if isinstance(name, str) and name and isinstance(percent, (int, str, Decimal)) and not isinstance(percent, bool):
        try:
            value = Decimal(str(percent))
        except ArithmeticError:
            value = Decimal("NaN")
        if value.is_finite():
            return name, value
    raise unreadable_answer(response, "a list of VAT rates with names and percentages", "Oblio")


def _invoice_key(document: SentDocument) -> tuple[str, str]:
    """The invoice's series and number; a receipt's invoice is in its ``raw``."""
    if document.kind is DocumentKind.RECEIPT and isinstance(document.raw.get("invoice"), Mapping):
        invoice = document.raw["invoice"]
        series, number = invoice.get("seriesName"), invoice.get("number")
    else:
        series, number = document.series, document.number
    if not series or not number:
        raise ValidationError("document.number", "Oblio finds documents by series and number; both are needed")
    return str(series), str(number)
