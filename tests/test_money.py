"""Totals: half-up to 0.01, net + VAT = gross per line and per document, per country."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.money import (
    CENT,
    TotalsMethod,
    document_totals,
    line_amount,
    line_totals,
    round_money,
)

from .strategies import lines

CENTS = Decimal("0.01")


def is_cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENTS)


@given(lines, st.booleans())
def test_line_totals_add_up_and_are_rounded(line: ac.Line, gross_prices: bool) -> None:
    totals = line_totals(line, prices_include_vat=gross_prices)
    assert totals.net + totals.vat == totals.gross
    assert all(is_cents(amount) for amount in (totals.net, totals.vat, totals.gross))
    if gross_prices:
        assert totals.gross == line_amount(line)
    else:
        assert totals.net == line_amount(line)
        assert totals.vat == round_money(totals.net * line.vat.fraction)


@given(st.lists(lines, min_size=1, max_size=12), st.booleans(), st.sampled_from(list(TotalsMethod)))
def test_document_totals_add_up(document_lines: list[ac.Line], gross_prices: bool, method: TotalsMethod) -> None:
    result = document_totals(document_lines, prices_include_vat=gross_prices, method=method)
    total = result.total
    assert total.net + total.vat == total.gross
    assert total.gross == sum((part.gross for part in result.by_rate.values()), Decimal(0))
    assert set(result.by_rate) == {line.vat for line in document_lines}
    for rate, part in result.by_rate.items():
        assert part.net + part.vat == part.gross
        if method is TotalsMethod.PER_RATE and not gross_prices:
            assert part.vat == round_money(part.net * rate.fraction)


@given(st.lists(lines, min_size=1, max_size=12), st.booleans())
def test_per_line_total_is_the_sum_of_rounded_lines(document_lines: list[ac.Line], gross_prices: bool) -> None:
    result = document_totals(document_lines, prices_include_vat=gross_prices, method=TotalsMethod.PER_LINE)
    expected = sum((line_totals(line, prices_include_vat=gross_prices).vat for line in document_lines), Decimal(0))
    assert result.total.vat == expected


def test_half_up_rounding() -> None:
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")
    assert Decimal("0.01") == CENT


def test_per_rate_and_per_line_can_differ_by_a_cent() -> None:
    # Three lines of 0.03 net at 23 %: per line 3 x 0.01 VAT, per rate 0.09 x 23 % = 0.02.
    line = ac.Line(name="x", quantity=1, unit="szt", unit_price="0.03", vat=ac.VatRate.of(23))
    per_line = document_totals([line] * 3, prices_include_vat=False, method=TotalsMethod.PER_LINE)
    per_rate = document_totals([line] * 3, prices_include_vat=False, method=TotalsMethod.PER_RATE)
    assert per_line.total.vat == Decimal("0.03")
    assert per_rate.total.vat == Decimal("0.02")


def test_discount_lowers_the_line_amount() -> None:
    line = ac.Line(name="x", quantity=3, unit="buc", unit_price="10.00", vat=ac.VatRate.of(21), discount_percent="10")
    assert line_amount(line) == Decimal("27.00")
    totals = line_totals(line, prices_include_vat=True)
    assert (totals.net, totals.vat, totals.gross) == (Decimal("22.31"), Decimal("4.69"), Decimal("27.00"))
