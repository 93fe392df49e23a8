"""The wire codec: Decimals leave as exact JSON numbers, whatever the text around them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.provider import dump_json, json_number, json_request, read_json

from .strategies import invoices

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)
valid_text = st.text(st.characters(codec="utf-8"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_decimals | valid_text | finite_decimals.map(json_number),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(valid_text, children, max_size=4),
    max_leaves=25,
)


def expected(value: Any) -> Any:
    """What the provider should read back: a marked number is that number."""
    if isinstance(value, str) and value.startswith("\udfff"):
        return Decimal(value[1:-1])
    if isinstance(value, list):
        return [expected(item) for item in value]
    if isinstance(value, dict):
        return {key: expected(item) for key, item in value.items()}
    return value


@given(json_values)
def test_dump_json_round_trips_exactly(value: Any) -> None:
    written = dump_json(value)
    assert written.isascii()
    assert json.loads(written, parse_float=Decimal) == expected(value)


@given(finite_decimals)
def test_numbers_keep_their_exact_digits(number: Decimal) -> None:
    text = dump_json({"price": number}).decode()
    written = text.removeprefix('{"price":').removesuffix("}")
    assert "E" not in written
    assert Decimal(written) == number
    assert written == format(number, "f")


def test_trailing_zeros_are_kept() -> None:
    assert dump_json({"price": Decimal("49.90"), "qty": Decimal("2.000")}) == b'{"price":49.90,"qty":2.000}'


def test_text_that_looks_like_a_marker_is_refused_not_misread() -> None:
    with pytest.raises(ac.ValidationError):
        dump_json({"name": 'a"\udfff1'})
    with pytest.raises(ac.ValidationError) as caught:
        ac.Party(name="bad \udfff name")
    assert caught.value.field == "name"


def test_other_types_are_refused() -> None:
    with pytest.raises(TypeError):
        dump_json({"when": object()})


@given(invoices())
def test_any_invoice_body_is_valid_json(invoice: ac.Invoice) -> None:
    body = {
        "lines": [
            {"name": line.name, "price": line.unit_price, "q": json_number(line.quantity)} for line in invoice.lines
        ]
    }
    parsed = json.loads(json_request("POST", "https://x.test/", body).content, parse_float=Decimal)
    assert [item["price"] for item in parsed["lines"]] == [line.unit_price for line in invoice.lines]
    assert [item["name"] for item in parsed["lines"]] == [line.name for line in invoice.lines]


def test_read_json_parses_once_and_tolerates_non_json() -> None:
    response = httpx.Response(200, content=b'{"total": 10.50}')
    first = read_json(response)
    assert first == {"total": Decimal("10.50")}
    assert read_json(response) is first
    assert read_json(httpx.Response(200, content=b"%PDF-1.4")) is None
