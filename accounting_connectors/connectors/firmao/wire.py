"""Firmao's wire codec: money, VAT, quantities, dates and the change-log answer.

Firmao's examples send totals computed by the client (F-DOC; whether it recomputes them
is UNCERTAIN 5), so they are computed here exactly as an entry is priced: the line net is
quantity * net unit price rounded half-up to 0.01, its VAT is net * rate rounded half-up
to 0.01 (Firmao's read-back entries carry ``nettoPrice`` and ``vatPrice`` per entry), and
the document totals are the sums (firmao.md §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from ...errors import ValidationError
from ...model import Line, VatKind, VatRate

__all__ = [
    "CENT",
    "EntryAmounts",
    "created_id",
    "date_text",
    "entry_amounts",
    "money",
    "money_text",
    "next_number",
    "quantity",
    "unit_net_price",
    "vat_percent",
]

CENT = Decimal("0.01")
_QUANTITY = Decimal("0.001")  # read-back entries show quantities like 1.000 (F-DOC §4g)
_HUNDRED = Decimal(100)


def money(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to 0.01."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    """A decimal string with two places, as F-DOC writes prices (``"1000.00"``)."""
    return format(money(amount), "f")


def date_text(value: dt.date) -> str:
    """``YYYY-MM-DD``."""
    return value.isoformat()


def vat_percent(vat: VatRate, field: str) -> Decimal:
    """The numeric ``vatPercent`` of ``vat`` (``23``, ``8``, ``5``, ``0``).

    Raises:
        ValidationError: an exempt, not-subject or other special treatment. UNCERTAIN 3:
            Firmao documents no code for ``zw``/``np`` (nor reverse charge, WDT, export), and
            sending 0 would book a 0 % sale, so they are refused.
    """
    if vat.kind is not VatKind.RATE:
        raise ValidationError(
            field,
            f"Firmao documents no representation of a {vat.kind.value} line (only a numeric vatPercent); "
            "issue it in Firmao itself",
        )
    return vat.percent.normalize() if vat.percent == vat.percent.to_integral_value() else vat.percent


def unit_net_price(line: Line, field: str, *, prices_include_vat: bool) -> Decimal:
    """The net unit price to send: the discounted price, in whole grosze.

    UNCERTAIN 4: the unit of ``discount`` is not documented, so the discount is applied here
    and ``discount`` is sent as null. A discounted price that is not a whole number of grosze
    (or a price with more than two places) would be rounded by Firmao in an unknown way, so
    it is refused instead.

    Raises:
        ValidationError: gross prices (``unitNettoPrice`` is the only documented price of an
            entry; ``calculateFromGross`` is not described), or a price finer than 0.01.
    """
    if prices_include_vat:
        raise ValidationError(
            "prices_include_vat",
            "Firmao entries take a net unit price (unitNettoPrice); send net prices (prices_include_vat=False)",
        )
    price = line.unit_price
    if line.discount_percent is not None:
        price = price * (1 - line.discount_percent / _HUNDRED)
    if price != price.quantize(CENT):
        what = "the discounted unit price" if line.discount_percent is not None else "unit_price"
        raise ValidationError(field, f"{what} {price.normalize():f} is not a whole number of grosze")
    return price.quantize(CENT)


def quantity(value: Decimal, field: str) -> Decimal:
    """``value`` as sent (at most three decimal places, as Firmao shows quantities)."""
    if value != value.quantize(_QUANTITY):
        raise ValidationError(field, f"{value} has more than three decimal places")
    return value.normalize() if value == value.to_integral_value() else value


@attrs.frozen
class EntryAmounts:
    """Net, VAT and gross of one entry or a whole document, each to 0.01."""

    net: Decimal
    vat: Decimal
    gross: Decimal

    def __add__(self, other: EntryAmounts) -> EntryAmounts:
        return EntryAmounts(self.net + other.net, self.vat + other.vat, self.gross + other.gross)

    def __sub__(self, other: EntryAmounts) -> EntryAmounts:
        return EntryAmounts(self.net - other.net, self.vat - other.vat, self.gross - other.gross)


ZERO = EntryAmounts(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def entry_amounts(count: Decimal, unit_net: Decimal, percent: Decimal) -> EntryAmounts:
    """One entry's amounts: net = quantity * unit net, VAT = net * rate, each rounded half-up."""
    net = money(count * unit_net)
    tax = money(net * percent / _HUNDRED)
    return EntryAmounts(net, tax, net + tax)


def total(amounts: Iterable[EntryAmounts]) -> EntryAmounts:
    """The sum of entries' amounts."""
    result = ZERO
    for amount in amounts:
        result = result + amount
    return result


def created_id(body: Any, object_class: str) -> int | None:
    """The id of the created ``object_class`` in a change-log answer, or ``None``.

    The new id is the ``objectId`` of the entry with ``modification`` ``CREATE`` and that
    ``objectClass`` — not of the first entry: a transaction's log also lists the customer
    and commission records it created or changed (F-DOC §2, firmao.md §16).
    """
    if not isinstance(body, Mapping):
        return None
    log = body.get("changelog")
    if not isinstance(log, list):
        return None
    for entry in log:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("modification") == "CREATE" and entry.get("objectClass") == object_class:
            value = entry.get("objectId")
            try:
                return int(str(value))
            except ValueError:
                return None
    return None


_NUMBER_KEYS = ("number", "nextNumber", "transactionNumber", "value", "documentNumber")


def next_number(body: Any) -> str | None:
    """The number in an ``invoicenumbers/next`` answer.

    UNCERTAIN 9: F-DOC does not show the answer, so a JSON string, or an object whose
    ``number``-like field (or ``data``) is a non-empty string, is accepted.
    """
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, Mapping):
        for key in _NUMBER_KEYS:
            value = body.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()
        data = body.get("data")
        if data is not None and data is not body:
            return next_number(data)
    return None
