"""Decimal rounding and document totals.

Two ways of totalling exist among the providers' countries:

* ``PER_LINE`` (Romania): each line's net, VAT and gross are rounded half-up to 0.01 and
  the document total is the sum of the lines.
* ``PER_RATE`` (Poland, art. 106e of the VAT act): lines are summed per VAT rate first
  and VAT is computed once per rate on that sum.

Both keep ``net + vat == gross`` exactly, per line and per document.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import attrs

from .model import Line, VatRate

CENT = Decimal("0.01")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def round_money(amount: Decimal, quantum: Decimal = CENT) -> Decimal:
    """Round half-up to ``quantum`` (0.01 unless given)."""
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


class TotalsMethod(enum.Enum):
    """How a document's VAT is totalled (see the module docstring)."""

    PER_LINE = "per_line"
    PER_RATE = "per_rate"


@attrs.frozen
class Totals:
    """Net, VAT and gross amounts, each rounded to 0.01, with ``net + vat == gross``."""

    net: Decimal
    vat: Decimal
    gross: Decimal

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.net + other.net, self.vat + other.vat, self.gross + other.gross)


ZERO_TOTALS = Totals(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def effective_unit_price(line: Line) -> Decimal:
    """The unit price after the line's discount, unrounded."""
    if line.discount_percent is None:
        return line.unit_price
    return line.unit_price * (_ONE - line.discount_percent / _HUNDRED)


def line_amount(line: Line) -> Decimal:
    """Quantity times the discounted unit price, rounded: net or gross per the document."""
    return round_money(line.quantity * effective_unit_price(line))


def split_amount(amount: Decimal, vat: VatRate, *, includes_vat: bool) -> Totals:
    """Split a rounded amount into net, VAT and gross at ``vat``."""
    if includes_vat:
        gross = amount
        net = round_money(gross / (_ONE + vat.fraction))
        return Totals(net, gross - net, gross)
    net = amount
    tax = round_money(net * vat.fraction)
    return Totals(net, tax, net + tax)


def line_totals(line: Line, *, prices_include_vat: bool) -> Totals:
    """One line's totals, rounded half-up to 0.01."""
    return split_amount(line_amount(line), line.vat, includes_vat=prices_include_vat)


@attrs.frozen
class DocumentTotals:
    """A document's totals, overall and per VAT rate."""

    total: Totals
    by_rate: Mapping[VatRate, Totals]


def document_totals(
    lines: Iterable[Line],
    *,
    prices_include_vat: bool,
    method: TotalsMethod = TotalsMethod.PER_LINE,
) -> DocumentTotals:
    """Total ``lines`` the way the provider's country does (see :class:`TotalsMethod`)."""
    by_rate: dict[VatRate, Totals] = {}
    if method is TotalsMethod.PER_LINE:
        for line in lines:
            by_rate[line.vat] = by_rate.get(line.vat, ZERO_TOTALS) + line_totals(
                line, prices_include_vat=prices_include_vat
            )
    else:
        sums: dict[VatRate, Decimal] = {}
        for line in lines:
            sums[line.vat] = sums.get(line.vat, Decimal("0.00")) + line_amount(line)
        by_rate = {rate: split_amount(amount, rate, includes_vat=prices_include_vat) for rate, amount in sums.items()}
    total = ZERO_TOTALS
    for part in by_rate.values():
        total = total + part
    return DocumentTotals(total=total, by_rate=by_rate)
