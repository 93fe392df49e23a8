"""The wFirma fake's validation and arithmetic rules, as pure functions.

Dates, numbers and money, ``find`` conditions (§14), validation errors attached to the
records (W-DOC "Walidacyjne komunikaty błędów") and the booked totals (art. 106e).
No state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.etree.ElementTree import Element, SubElement

from . import texts
from .records import _Line

_CENT = Decimal("0.01")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return f"{_round(value):f}"


def _matches(group: Element, fields: Mapping[str, str], ignored: set[str], joiner: str) -> bool:
    results: list[bool] = []
    for child in group:
        if child.tag == "condition":
            name = (_text(child, "field") or "").rsplit(".", 1)[-1]
            if name in ignored or name not in fields:
                continue  # unknown fields are ignored, as everywhere in wFirma (§16)
            results.append(_compare(fields[name], (_text(child, "operator") or "eq").lower(), _text(child, "value")))
        elif child.tag in ("and", "or"):
            results.append(_matches(child, fields, ignored, child.tag))
        elif child.tag == "not":
            results.append(not _matches(child, fields, ignored, "and"))
    if not results:
        return True
    return all(results) if joiner == "and" else any(results)


def _compare(actual: str, operator: str, expected: str | None) -> bool:
    wanted = expected or ""
    if operator in ("is null", "is not null"):
        return (actual == "") is (operator == "is null")
    if operator in ("like", "not like"):
        pattern = "^" + ".*".join(re.escape(part) for part in wanted.split("%")) + "$"
        found = re.match(pattern, actual, re.IGNORECASE | re.DOTALL) is not None
        return found is (operator == "like")
    if operator == "in":
        return actual in [part.strip() for part in wanted.split(",")]
    left, right = _decimal(actual), _decimal(wanted)
    if operator in ("gt", "lt", "ge", "le") and left is not None and right is not None:
        return {"gt": left > right, "lt": left < right, "ge": left >= right, "le": left <= right}[operator]
    if operator == "ne":
        return actual != wanted
    return actual == wanted


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _branch(element: Element, tag: str) -> Element:
    found = element.find(tag)
    return element if found is None else found


def _add(element: Element, **fields: str) -> None:
    for name, value in fields.items():
        SubElement(element, name).text = value


def _attach(element: Element, field: str, message: str) -> None:
    """Attach a validation error to the record it concerns [W-DOC "Walidacyjne komunikaty błędów"]."""
    errors = element.find("errors")
    if errors is None:
        errors = SubElement(element, "errors")
    error = SubElement(errors, "error")
    _add(error, field=field, message=message)
    method = SubElement(error, "method")
    _add(method, name="require" if message == texts.EMPTY_FIELD else "validate", parameters="")


def _totals(lines: list[_Line], price_type: str) -> tuple[Decimal, Decimal, Decimal]:
    """The totals wFirma books: lines summed per VAT code, VAT once per code (art. 106e)."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        amount, rate = sums.get(line.vat_code_id, (Decimal(0), line.rate))
        sums[line.vat_code_id] = (amount + (line.brutto if price_type == "brutto" else line.netto), rate)
    netto = tax = Decimal("0.00")
    for amount, rate in sums.values():
        if price_type == "brutto":
            net = _round(amount / (1 + rate / 100))
            netto, tax = netto + net, tax + amount - net
        else:
            netto, tax = netto + amount, tax + _round(amount * rate / 100)
    return netto, tax, netto + tax
