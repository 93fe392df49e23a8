"""Malformed documents fail in the model, naming the field, and no request is made.

Bounds (``accounting_connectors.model``): every amount, quantity, price and rate is below
10^12 in absolute value; quantities and exchange rates have at most 6 decimal places,
prices, payment amounts and percentages at most 4; document dates lie in 2000..2100.
``from_dict`` refuses unknown keys, booleans given as anything but true/false, and a
plain VAT rate without its percentage.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.model import LAST_DATE, MAX_PRICE_PLACES, MAX_QUANTITY_PLACES

from .strategies import invoices


def _line(**changes: Any) -> ac.Line:
    fields: dict[str, Any] = {
        "name": "Tricou",
        "quantity": "1",
        "unit": "buc",
        "unit_price": "10",
        "vat": ac.VatRate.of(21),
    }
    fields.update(changes)
    return ac.Line(**fields)


def _invoice(**changes: Any) -> ac.Invoice:
    fields: dict[str, Any] = {
        "reference": "bad-1",
        "issue_date": "2026-01-15",
        "buyer": ac.Party(name="Client"),
        "lines": [_line()],
        "currency": "RON",
    }
    fields.update(changes)
    return ac.Invoice(**fields)


huge = st.one_of(
    st.integers(min_value=10**12, max_value=10**40).map(str),
    st.integers(min_value=12, max_value=999_999_999).map(lambda exponent: f"1e{exponent}"),
    st.integers(min_value=10**12, max_value=10**40).map(lambda n: f"-{n}"),
)


@given(huge, st.sampled_from(["quantity", "unit_price"]))
def test_amounts_outside_what_any_provider_books_are_refused(value: str, field: str) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        _line(**{field: value})
    assert caught.value.field == field


@given(huge)
def test_a_huge_payment_or_exchange_rate_is_refused(value: str) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        ac.Payment(method="card", amount=value)
    assert caught.value.field == "amount"
    with pytest.raises(ac.ValidationError) as caught:
        _invoice(exchange_rate=value)
    assert caught.value.field == "exchange_rate"


@given(st.integers(min_value=MAX_QUANTITY_PLACES + 1, max_value=10_000))
def test_quantities_with_too_many_decimal_places_are_refused(places: int) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        _line(quantity=f"1.{'0' * (places - 1)}1")
    assert caught.value.field == "quantity"


@given(st.integers(min_value=MAX_PRICE_PLACES + 1, max_value=100))
def test_prices_with_too_many_decimal_places_are_refused(places: int) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        _line(unit_price=f"1.{'0' * (places - 1)}1")
    assert caught.value.field == "unit_price"


def test_values_at_the_bounds_are_accepted_and_trailing_zeros_do_not_count() -> None:
    line = _line(quantity="999999999999.999999", unit_price="999999999999.9999")
    assert line.quantity == Decimal("999999999999.999999")
    assert _line(quantity="2.50000000000").quantity == Decimal("2.5")


def test_the_one_gigabyte_quantity_is_refused_without_building_anything() -> None:
    with pytest.raises(ac.ValidationError, match="10\\^12") as caught:
        _line(quantity="1e999999999")
    assert caught.value.field == "quantity"
    with pytest.raises(ac.ValidationError):
        _line(quantity="1" * 10_000)


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(1999, 12, 31)) | st.dates(min_value=dt.date(2101, 1, 1)))
def test_dates_no_provider_can_book_are_refused(date: dt.date) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        _invoice(issue_date=date)
    assert caught.value.field == "issue_date"
    with pytest.raises(ac.ValidationError) as caught:
        ac.Payment(method="card", amount="1", paid_on=date)
    assert caught.value.field == "paid_on"


def test_year_9999_is_refused_in_the_model() -> None:
    with pytest.raises(ac.ValidationError) as caught:
        _invoice(issue_date="9999-12-31", due_date="9999-12-31")
    assert caught.value.field == "issue_date"
    assert _invoice(issue_date=LAST_DATE).issue_date == LAST_DATE


@given(st.text(alphabet=" \t\n\u00a0\u2003", min_size=0, max_size=5))
def test_a_blank_tax_id_is_refused(blank: str) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        ac.Party(name="Client", tax_id=blank)
    assert caught.value.field == "tax_id"


@given(st.sampled_from(["false", "true", "0", "1", 0, 1, None, "no"]))
def test_booleans_must_be_booleans(value: object) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        _invoice(prices_include_vat=value)
    assert caught.value.field == "prices_include_vat"
    with pytest.raises(ac.ValidationError) as caught:
        _line(is_service=value)
    assert caught.value.field == "is_service"


# from_dict


@given(invoices())
def test_from_dict_refuses_a_boolean_given_as_a_string(invoice: ac.Invoice) -> None:
    data = ac.to_dict(invoice)
    data["prices_include_vat"] = "false"
    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict(data, ac.Invoice)
    assert caught.value.field == "prices_include_vat"


@given(invoices(), st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_from_dict_refuses_unknown_keys_at_any_depth(invoice: ac.Invoice, key: str) -> None:
    data = ac.to_dict(invoice)
    for target, path in ((data, ""), (data["lines"][0], "lines[0]."), (data["buyer"], "buyer.")):
        if key in target:
            continue
        changed = copy.deepcopy(data)
        {"": changed, "lines[0].": changed["lines"][0], "buyer.": changed["buyer"]}[path][key] = 1
        with pytest.raises(ac.ValidationError) as caught:
            ac.from_dict(changed, ac.Invoice)
        assert caught.value.field == f"{path}{key}"


@given(invoices())
def test_from_dict_refuses_a_vat_object_without_its_percentage(invoice: ac.Invoice) -> None:
    data = ac.to_dict(invoice)
    data["lines"][0]["vat"] = {}
    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict(data, ac.Invoice)
    assert caught.value.field == "lines[0].vat.percent"
    data["lines"][0]["vat"] = {"kind": "rate"}
    with pytest.raises(ac.ValidationError):
        ac.from_dict(data, ac.Invoice)
    data["lines"][0]["vat"] = {"kind": "exempt"}
    assert ac.from_dict(data, ac.Invoice).lines[0].vat == ac.VatRate.special(ac.VatKind.EXEMPT)


@given(invoices())
def test_to_dict_still_round_trips(invoice: ac.Invoice) -> None:
    assert ac.from_dict(ac.to_dict(invoice), ac.Invoice) == invoice


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["lines"][0].update(quantity="1e30"), "lines[0].quantity"),
        (lambda d: d["lines"][0].update(unit_price="1e999999999"), "lines[0].unit_price"),
        (lambda d: d.update(issue_date="9999-01-01"), "issue_date"),
        (lambda d: d["buyer"].update(tax_id="   "), "buyer.tax_id"),
        (lambda d: d["lines"][0].update(is_service="yes"), "lines[0].is_service"),
    ],
)
def test_from_dict_names_the_bad_field(change: Any, field: str) -> None:
    data = ac.to_dict(_invoice())
    change(data)
    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict(data, ac.Invoice)
    assert caught.value.field == field


def test_a_bad_document_makes_zero_requests() -> None:
    from accounting_connectors.registry import fake_class
    from accounting_connectors.testing.clock import FakeClock

    clock = FakeClock()
    fake = fake_class("smartbill").demo(clock=clock)
    with ac.connect("smartbill", transport=fake, clock=clock, **fake.demo_settings) as conn:
        for build in (
            lambda: _invoice(lines=[_line(quantity="1e999999999")]),
            lambda: ac.from_dict({**ac.to_dict(_invoice()), "prices_include_vat": "false"}, ac.Invoice),
        ):
            with pytest.raises(ac.ValidationError):
                conn.send_invoice(build())
    assert fake.requests == []
