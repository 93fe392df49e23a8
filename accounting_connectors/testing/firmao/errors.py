"""Firmao's error answers, as the fake sends them (firmao.md §2).

Documented bodies (F-DOC) are copied field for field: ``entityNotFoundForId``,
``duplicateValueFoundException`` (409) and ``transactionNumberAlreadyExists``. F-DOC
documents no body for the other refusals the fake must make (a missing field, a bad
value, a nested object in a PUT); those use the same shape (``errorCode``, ``field``,
``rejectedValue``) with codes of the fake's own, marked below. 401, 403, 404, 429 and
5xx have no documented body and are answered empty.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "duplicate_value",
    "entity_not_found",
    "field_required",
    "invalid_correction",
    "invalid_filter",
    "invalid_json",
    "invalid_value",
    "nested_put",
    "number_exists",
    "stock_modification_disabled",
]


def entity_not_found(field: str, value: Any, cls: str) -> dict[str, Any]:
    """A reference to a missing object (F-DOC §2, HTTP 400)."""
    return {
        "errorCode": "entityNotFoundForId",
        "field": field,
        "rejectedValue": str(value),
        "additionalInfo": {"id": str(value), "cls": cls},
    }


def duplicate_value(object_name: str, field_name: str, object_id: int, value: str) -> dict[str, Any]:
    """A duplicate identifier or NIP (F-DOC §2d, HTTP 409)."""
    return {
        "errorCode": "duplicateValueFoundException",
        "objectName": object_name,
        "fieldName": field_name,
        "duplicateValues": [{"lineNumber": -1, "objectId": object_id, "value": value}],
    }


def number_exists(suggested: str) -> dict[str, Any]:
    """A sale transaction number already used (F-DOC §2e, HTTP 400)."""
    return {"errorCode": "transactionNumberAlreadyExists", "additionalInfo": {"suggestedNumber": suggested}}


# Not documented by F-DOC: the fake's own codes, in F-DOC's shape.


def field_required(field: str) -> dict[str, Any]:
    """A required field is missing (fake's own code)."""
    return {"errorCode": "fieldRequired", "field": field, "rejectedValue": None}


def invalid_value(field: str, value: Any) -> dict[str, Any]:
    """A field has a value of the wrong type or outside its dictionary (fake's own code)."""
    return {"errorCode": "invalidFieldValue", "field": field, "rejectedValue": None if value is None else str(value)}


def nested_put(field: str) -> dict[str, Any]:
    """A PUT carried a nested object; Firmao wants dotted keys (F-MISC; fake's own code)."""
    return {
        "errorCode": "nestedObjectNotAllowed",
        "field": field,
        "rejectedValue": None,
        "additionalInfo": {"hint": "use dotted keys, e.g. customerAddress.city"},
    }


def invalid_correction(field: str, reason: str) -> dict[str, Any]:
    """A correction whose entries do not pair with the original's (fake's own code)."""
    return {"errorCode": "invalidCorrectionEntries", "field": field, "rejectedValue": None,
            "additionalInfo": {"reason": reason}}  # fmt: skip


def invalid_filter(name: str) -> dict[str, Any]:
    """A list filter with an unknown operator (fake's own code)."""
    return {"errorCode": "invalidFilter", "field": name, "rejectedValue": None}


def invalid_json() -> dict[str, Any]:
    """A body that is not a JSON object (fake's own code)."""
    return {"errorCode": "invalidJson", "field": "", "rejectedValue": None}


def stock_modification_disabled() -> dict[str, Any]:
    """``currentStoreState`` set without the organisation's direct-modification setting (F-DOC §3c; fake's code)."""
    return {"errorCode": "directStockModificationDisabled", "field": "currentStoreState", "rejectedValue": None}
