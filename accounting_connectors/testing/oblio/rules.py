"""The Oblio fake's validation rules: reading request values as Oblio's PHP service does, and its answers.

A value that breaks a rule raises :func:`_refuse` (a :class:`~accounting_connectors.testing.wire.FakeError`
carrying Oblio's ``{"status","statusMessage"}`` envelope); :func:`_ok` is the success envelope.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from ..wire import FakeError, Reply
from . import texts

_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


def _refuse(message: str, status: int = 400) -> FakeError:
    return FakeError(Reply.json({"status": status, "statusMessage": message}, status))


def _ok(data: Any, message: str = texts.MSG_SUCCESS) -> Reply:
    return Reply.json({"status": 200, "statusMessage": message, "data": data})


# Reading values the way a PHP service does: numbers may come as JSON numbers or numeric
# strings, 0/1 flags as numbers, strings or booleans (OB-WOO sends ``save: true``, OB-FG
# ``vatIncluded: true``).


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _refuse(texts.ERR_FIELD_TYPE.format(field=field)) from None
        if number.is_finite():
            return number
    raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))


def _flag(value: Any, field: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))


def _empty(value: Any) -> bool:
    """PHP's "nothing here", as a PHP service reads it.

    OB-WOO and OB-PHP's README send ``[]`` for no collect or reference document, and
    ``false`` for an option never saved (``get_option``); OB-GO's structs always marshal,
    so it sends ``{}`` for them. PHP's ``json_decode($body, true)`` reads ``[]`` and ``{}``
    as the same empty array.
    """
    return (
        value is None or value is False or value == [] or value == {} or (isinstance(value, str) and not value.strip())
    )


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if _empty(value):
        if required:
            raise _refuse(texts.ERR_FIELD_REQUIRED.format(field=field))
        return None
    if isinstance(value, (bool, dict, list)):
        raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _date(value: Any, field: str) -> str | None:
    text = _text(value, field)
    if text is None:
        return None
    if not _DATE.match(text):
        raise _refuse(texts.ERR_DATE.format(field=field))
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise _refuse(texts.ERR_DATE.format(field=field)) from None
    return text


def _same_number(stored: str, asked: str) -> bool:
    """``number=55`` finds ``"0055"`` (§3)."""
    if stored == asked:
        return True
    return stored.isdigit() and asked.isdigit() and int(stored) == int(asked)


def _unflatten(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Form fields with PHP brackets (``collect[type]=Card``) as nested dicts."""
    result: dict[str, Any] = {}
    for key, value in items:
        parts = re.findall(r"[^\[\]]+", key)
        if not parts:
            continue
        target = result
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[parts[-1]] = value
    return result
