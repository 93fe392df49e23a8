"""Fakturownia's wire codec: money, VAT codes, dates and the totals it books.

Facts from the project's Fakturownia sheet (section numbers in brackets):

* Money goes out as decimal strings with two places (``"221.40"``); answers give prices as
  strings (``"89.0"``), sometimes numbers, once a decimal comma (``"10,23"``) [§1, carried
  over §1.1]; unset values are ``""``.
* ``tax`` is the rate as a number (``"23"``) or a code: ``zw`` exempt, ``np`` not subject
  (also ``n/a``, ``nie podlega``, ``not applicable``, ``na``, any case), ``oo`` domestic
  reverse charge, ``disabled`` hidden [§6.1].
* Each position is sent with its gross total (``total_price_gross``) and ``tax`` [§4 REC];
  Fakturownia derives the net from the gross. The document's totals are the sum of its
  positions (``calculating_strategy`` left at its default, ``sum``; §5.1 says to omit it).
  UNCERTAIN: the per-rate rule Fakturownia applies is not documented; because every
  position's gross is sent and the net is derived from it, the sum of the positions is
  what it books.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ...errors import ValidationError
from ...model import Line, VatKind, VatRate
from ...money import Totals, effective_unit_price

__all__ = [
    "booked_totals",
    "date_text",
    "money_text",
    "parse_date",
    "parse_money",
    "parse_tax",
    "position_totals",
    "quantity_text",
    "tax_code",
]

CENT = Decimal("0.01")
_ONE = Decimal(1)
_ZERO = Decimal("0.00")
_MAX_DIGITS = 15  # integer digits of an amount: far beyond any invoice, far below a DoS

NOT_SUBJECT_CODES = frozenset({"np", "n/a", "nie podlega", "not applicable", "na"})
"""Spellings Fakturownia reads as "not subject to VAT" (§6.1, any case)."""


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal, field: str = "amount") -> str:
    """``amount`` as Fakturownia's decimal string with two places (``"221.40"``).

    Raises:
        ValidationError: the amount is not finite, too large, or has more than two places.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(field, f"{amount!r} is not a finite Decimal amount")
    if amount.adjusted() >= _MAX_DIGITS:
        raise ValidationError(field, f"{amount} is too large for an amount")
    rounded = _round(amount)
    if rounded != amount:
        raise ValidationError(field, f"{amount} has more than two decimal places")
    return f"{rounded:f}"


def quantity_text(quantity: Decimal, field: str = "quantity") -> str:
    """A quantity as a plain decimal string without trailing zeros (``"2"``, ``"1.5"``)."""
    if not quantity.is_finite() or quantity.adjusted() >= _MAX_DIGITS:
        raise ValidationError(field, f"{quantity} is not a quantity Fakturownia can book")
    text = f"{quantity:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def parse_money(value: object) -> Decimal | None:
    """An amount as Fakturownia answers it (``"89.0"``, ``89``, ``"10,23"``; ``""`` is ``None``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def tax_code(vat: VatRate, *, domestic_buyer: bool = True, field: str = "vat") -> str:
    """The ``tax`` value for ``vat`` (§6.1).

    Reverse charge is ``oo`` for a Polish buyer and ``np`` for a foreign one (Fakturownia
    turns ``oo`` into ``np`` for a foreign buyer itself, §6.1).

    Raises:
        ValidationError: intra-EU supply and export, whose Fakturownia form (a document kind
            such as ``wdt`` / ``export_products`` or a 0 rate) the sheet does not settle.
    """
    if vat.kind is VatKind.RATE:
        return quantity_text(vat.percent, field)
    if vat.kind is VatKind.EXEMPT:
        return "zw"
    if vat.kind is VatKind.NOT_SUBJECT:
        return "np"
    if vat.kind is VatKind.REVERSE_CHARGE:
        return "oo" if domestic_buyer else "np"
    raise ValidationError(
        field,
        f"{vat.kind.value} has no settled Fakturownia tax code (the sheet names the document kinds wdt and "
        "export_products but not how their lines are taxed); use VatRate.of(0) or VatKind.NOT_SUBJECT explicitly",
    )


def parse_tax(value: object) -> VatRate | None:
    """The VAT rate of a ``tax`` value as Fakturownia answers it; ``None`` for ``disabled`` or unknown."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().casefold()
        if text == "zw":
            return VatRate.special(VatKind.EXEMPT)
        if text in NOT_SUBJECT_CODES:
            return VatRate.special(VatKind.NOT_SUBJECT)
        if text == "oo":
            return VatRate.special(VatKind.REVERSE_CHARGE)
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite() or not Decimal(0) <= number < Decimal(100):
        return None
    return VatRate.of(number)


def date_text(value: dt.date) -> str:
    """A date as Fakturownia takes it (``YYYY-MM-DD``)."""
    return value.isoformat()


def parse_date(value: object) -> dt.date | None:
    """A date as Fakturownia answers it: ``YYYY-MM-DD``, a timestamp, ``YYYY-MM`` (a ``sell_date``), or ``""``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:7] + "-01")
    except ValueError:
        return None


def position_totals(line: Line, *, prices_include_vat: bool) -> Totals:
    """What Fakturownia books for one position sent with its gross total and ``tax``.

    The connector sends ``total_price_gross``: the line's rounded gross (net prices: the
    rounded net plus its rounded VAT). Fakturownia derives the net back from it, which
    gives the connector's net again (the round trip loses less than half a grosz).
    """
    amount = _round(line.quantity * effective_unit_price(line))
    fraction = line.vat.fraction
    gross = amount if prices_include_vat else amount + _round(amount * fraction)
    net = _round(gross / (_ONE + fraction))
    return Totals(net, gross - net, gross)


def booked_totals(lines: Iterable[Line], *, prices_include_vat: bool) -> Totals:
    """The document totals Fakturownia books: the sum of :func:`position_totals`."""
    net = tax = gross = _ZERO
    for line in lines:
        part = position_totals(line, prices_include_vat=prices_include_vat)
        net += part.net
        tax += part.vat
        gross += part.gross
    return Totals(net, tax, gross)
