"""Firmao's document parts: constants, entries, totals, error texts and answer rows.

Split from the connector module; tags in comments cite the sources of the project's
Firmao sheet (``firmao.md``): F-DOC is Firmao's official API guide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from ...errors import (
    ProviderError,
    ValidationError,
)
from ...model import (
    DocumentKind,
    Line,
    SentDocument,
)
from ...provider import read_json
from .wire import (
    EntryAmounts,
    entry_amounts,
    money_text,
    quantity,
    unit_net_price,
    vat_percent,
)

_TYPES: Mapping[DocumentKind, tuple[str, str]] = {
    DocumentKind.INVOICE: ("INVOICE", "invoice"),
    # UNCERTAIN 1: the numbering API's lower-case "receipt", upper-cased as INVOICE/CORRECTION are.
    DocumentKind.RECEIPT: ("RECEIPT", "receipt"),
    DocumentKind.CORRECTION: ("CORRECTION", "correction"),
}
"""The POST ``type`` and the ``invoicenumbers/next`` type of each kind (F-DOC §2e, §4o)."""

_COUNTRIES: Mapping[str, str] = {
    "PL": "Polska", "DE": "Niemcy", "CZ": "Czechy", "SK": "Słowacja", "LT": "Litwa", "UA": "Ukraina",
    "GB": "Wielka Brytania", "FR": "Francja", "IT": "Włochy", "ES": "Hiszpania", "NL": "Holandia",
    "AT": "Austria", "BE": "Belgia", "US": "Stany Zjednoczone", "SE": "Szwecja", "DK": "Dania",
}  # fmt: skip
"""F-DOC writes ``customerAddress.country`` as a Polish name (``Polska``); UNCERTAIN, other codes
are sent as the ISO code."""

_LIMIT = 50
_MAX_PAGES = 20
_MARKER = "Zamówienie "
"""The prefix of the annotation line that holds the caller's reference (firmao.md §4, §14)."""

_NOT_DIGIT = re.compile(r"\D")
_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


_CORRECTION_ENTRY: Mapping[str, Any] = {"entryPaid": "NOT_PAID", "entrySize": 1, "variant": 1}
"""Entry fields every correction entry of F-DOC's example carries (their meaning is not documented)."""


def _check_language(language: str | None) -> None:
    if language is not None and language.casefold() != "pl":
        raise ValidationError("language", "Firmao documents no document language; documents are issued in Polish")


def _check_numbering(series: str | None, number: str | None) -> None:
    if series and number:
        raise ValidationError(
            "series",
            "Firmao transactions have no series field: give the whole number in number, or a numbering line "
            "name in series without a number",
        )


def _priced(
    lines: Sequence[Line], prices_include_vat: bool, prefix: str
) -> list[tuple[Decimal, Decimal, EntryAmounts]]:
    """Each line's quantity, net unit price and amounts, validated before any request."""
    priced = []
    for index, line in enumerate(lines):
        field = f"{prefix}[{index}]"
        unit = unit_net_price(line, f"{field}.unit_price", prices_include_vat=prices_include_vat)
        count = quantity(line.quantity, f"{field}.quantity")
        percent = vat_percent(line.vat, f"{field}.vat")
        priced.append((count, unit, entry_amounts(count, unit, percent)))
    return priced


def _entry(line: Line, priced: tuple[Decimal, Decimal, EntryAmounts], products: Mapping[str, int]) -> dict[str, Any]:
    count, unit, _ = priced
    linked = products.get(line.sku) if line.sku else None
    # A number links a catalogue product; a string makes a free-text entry (F-DOC §2e).
    entry: dict[str, Any] = {"product": linked if linked is not None else line.name}
    if line.sku:
        entry["productCode"] = line.sku
    entry.update(
        {
            "quantity": count,
            "unit": line.unit,
            "vatPercent": vat_percent(line.vat, "vat"),
            "unitNettoPrice": money_text(unit),
            "discount": None,
        }
    )
    return entry


def _totals(amounts: EntryAmounts) -> dict[str, str]:
    return {
        "transactionNettoPrice": money_text(amounts.net),
        "transactionVatPrice": money_text(amounts.vat),
        "transactionBruttoPrice": money_text(amounts.gross),
    }


def _warehouse(named: str | None, default: int | None) -> int | None:
    if named is not None:
        if not named.isdigit():
            raise ValidationError("warehouse", f"Firmao warehouses are named by id (a number), not {named!r}")
        return int(named)
    return default


def _describe(body: Mapping[str, Any]) -> str:
    parts = [str(body["errorCode"])]
    field = body.get("field") or body.get("fieldName")
    if field:
        owner = body.get("objectName")
        parts.append(f"field {owner}.{field}" if owner else f"field {field}")
    if body.get("rejectedValue") is not None:
        parts.append(f"rejected value {body['rejectedValue']!r}")
    info = body.get("additionalInfo")
    if isinstance(info, Mapping) and info:
        if info.get("suggestedNumber"):
            parts.append(f"suggested number {info['suggestedNumber']}")
        else:
            parts.append(", ".join(f"{key}={value}" for key, value in info.items()))
    duplicates = body.get("duplicateValues")
    if isinstance(duplicates, list) and duplicates:
        values = [
            f"{item.get('value')} (object {item.get('objectId')})" for item in duplicates if isinstance(item, Mapping)
        ]
        parts.append("duplicates " + ", ".join(values))
    return "; ".join(parts)


def _suggested_number(response: httpx.Response | None) -> str | None:
    if response is None:
        return None
    body = read_json(response)
    if not isinstance(body, Mapping) or body.get("errorCode") != "transactionNumberAlreadyExists":
        return None
    info = body.get("additionalInfo")
    suggested = info.get("suggestedNumber") if isinstance(info, Mapping) else None
    return str(suggested) if suggested else ""


def _body(response: httpx.Response) -> Mapping[str, Any]:
    body = read_json(response)
    if not isinstance(body, Mapping):
        raise ProviderError("Firmao answered something that is not a JSON object", response=response)
    return body


def _rows(response: httpx.Response) -> list[Mapping[str, Any]]:
    data = _body(response).get("data")
    if not isinstance(data, list):
        raise ProviderError("Firmao's list answer has no data list", response=response)
    return [row for row in data if isinstance(row, Mapping)]


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _same_id(value: Any, identifier: int) -> bool:
    return _int(value) == identifier


def _nested_id(value: Any) -> int | None:
    return _int(value.get("id")) if isinstance(value, Mapping) else _int(value)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return Decimal(0)
    return Decimal(0)


def _line_name(line: Mapping[str, Any]) -> str:
    for key in ("name", "label"):
        value = line.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return str(line.get("id"))


def _document_id(document: SentDocument, field: str) -> int:
    identifier = _int(document.external_id)
    if identifier is None:
        raise ValidationError(f"{field}.external_id", "must be the Firmao transaction id")
    return identifier


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _sent_document(
    row: Mapping[str, Any],
    kind: DocumentKind,
    reference: str,
    number: str | None,
    identifier: int | None,
    changelog: Any,
) -> SentDocument:
    printed = row.get("transactionNumber") or row.get("documentNumber") or number
    raw: dict[str, Any] = {"transaction": dict(row)}
    if changelog is not None:
        raw["changelog"] = changelog
    return SentDocument(
        provider="firmao",
        kind=kind,
        reference=reference,
        number=None if printed is None else str(printed),
        external_id=None if identifier is None else str(identifier),
        issue_date=_date(row.get("invoiceDate")),
        raw=raw,
    )
