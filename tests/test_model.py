"""The domain model: validation with field paths, and the lossless JSON round trip."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import accounting_connectors as ac

from .strategies import corrections, invoices, receipts, sent_documents


def sample_line(**changes: Any) -> ac.Line:
    values: dict[str, Any] = {
        "name": "Widget",
        "quantity": "2",
        "unit": "buc",
        "unit_price": "10.00",
        "vat": ac.VatRate.of(21),
    }
    values.update(changes)
    return ac.Line(**values)


def sample_invoice(**changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": "order-1",
        "issue_date": "2026-03-01",
        "buyer": ac.Party(name="Client SRL", tax_id="RO123", is_company=True),
        "lines": [sample_line(), sample_line(name="Gadget")],
        "currency": "RON",
    }
    values.update(changes)
    return ac.Invoice(**values)


@given(invoices())
def test_invoice_json_round_trip_is_lossless(invoice: ac.Invoice) -> None:
    data = json.loads(json.dumps(ac.to_dict(invoice)))
    assert ac.from_dict(data, ac.Invoice) == invoice


@given(st.one_of(corrections(), receipts, sent_documents))
def test_other_documents_round_trip(document: Any) -> None:
    data = json.loads(json.dumps(ac.to_dict(document)))
    assert ac.from_dict(data, type(document)) == document


def test_money_is_written_as_decimal_strings_and_dates_as_iso() -> None:
    data = ac.to_dict(sample_invoice())
    assert data["lines"][0]["unit_price"] == "10.00"
    assert data["issue_date"] == "2026-03-01"
    assert data["lines"][0]["vat"] == {"percent": "21", "kind": "rate"}


def test_floats_are_refused_with_the_field_named() -> None:
    with pytest.raises(ac.ValidationError) as caught:
        sample_line(unit_price=10.1)
    assert caught.value.field == "unit_price"
    assert "Decimal('10.1')" in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [sample_line(), sample_line(), sample_line(quantity=-1)]}, "lines[2].quantity"),
        ({"lines": [sample_line(quantity=0)]}, "lines[0].quantity"),
        ({"currency": "XYZ"}, "currency"),
        ({"reference": " "}, "reference"),
        ({"issue_date": "31.01.2026"}, "issue_date"),
        ({"due_date": "2026-02-01"}, "due_date"),
        ({"language": "romanian"}, "language"),
        ({"exchange_rate": "0"}, "exchange_rate"),
        ({"use_stock": True}, "lines[0].sku"),
        ({"buyer": "Client SRL"}, "buyer"),
    ],
)
def test_invalid_invoices_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        sample_invoice(**changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: sample_line(name=""), "name"),
        (lambda: sample_line(unit_price="-1"), "unit_price"),
        (lambda: sample_line(discount_percent="120"), "discount_percent"),
        (lambda: sample_line(quantity="abc"), "quantity"),
        (lambda: sample_line(quantity=True), "quantity"),
        (lambda: sample_line(quantity=[1]), "quantity"),
        (lambda: sample_line(quantity="NaN"), "quantity"),
        (lambda: ac.VatRate.of(100), "percent"),
        (lambda: ac.VatRate(percent=5, kind=ac.VatKind.EXEMPT), "percent"),
        (lambda: ac.Address(country="Romania"), "country"),
        (lambda: ac.Party(name="X", is_company=True), "tax_id"),
        (lambda: ac.Payment(method="Card", amount="0", paid_on="2026-01-01"), "amount"),
        (lambda: ac.Party(name="X", email=5), "email"),
    ],
)
def test_invalid_parts_name_the_field(build: Any, field: str) -> None:
    with pytest.raises(ac.ValidationError) as caught:
        build()
    assert caught.value.field == field


def test_from_dict_locates_nested_errors() -> None:
    data = ac.to_dict(sample_invoice())
    data["lines"][1]["quantity"] = "x"
    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict(data, ac.Invoice)
    assert caught.value.field == "lines[1].quantity"

    data = ac.to_dict(sample_invoice())
    del data["buyer"]["name"]
    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict(data, ac.Invoice)
    assert caught.value.field == "buyer.name"

    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict("not a document", ac.Invoice)
    assert caught.value.field == "$"


INVALID_LINE_VALUES = {
    "quantity": [-1, 0, "x", 1.5, None, "Infinity"],
    "unit_price": ["-0.01", "x", 2.5, None],
    "name": ["", "  ", None, 5],
    "unit": ["", None, 3],
    "vat": [None, "21", {"percent": "150", "kind": "rate"}],
}


@given(invoices(), st.sampled_from(sorted(INVALID_LINE_VALUES)), st.data())
def test_any_broken_line_field_is_reported_with_its_path(invoice: ac.Invoice, field: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(invoice.lines) - 1))
    bad = data.draw(st.sampled_from(INVALID_LINE_VALUES[field]))
    raw = ac.to_dict(invoice)
    raw["lines"][index][field] = bad
    with pytest.raises(ac.ValidationError) as caught:
        ac.from_dict(raw, ac.Invoice)
    assert caught.value.field.startswith(f"lines[{index}].{field}")


def test_full_reversal_zeroes_every_line() -> None:
    original = sample_invoice()
    sent = ac.SentDocument(provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="order-1")
    correction = ac.Correction.full_reversal(
        reference="c-1", original=original, original_document=sent, reason="returned", issue_date="2026-03-02"
    )
    assert correction.is_full_reversal
    partial = attrs.evolve(correction, lines=[sample_line(quantity=1), sample_line(name="Gadget", quantity=0)])
    assert not partial.is_full_reversal
    with pytest.raises(ac.ValidationError) as caught:
        attrs.evolve(correction, lines=[sample_line()])
    assert caught.value.field == "lines"
    with pytest.raises(ac.ValidationError) as caught:
        attrs.evolve(correction, issue_date=dt.date(2026, 2, 1))
    assert caught.value.field == "issue_date"


def test_vat_rate_text_and_fraction() -> None:
    assert str(ac.VatRate.of("21.00")) == "21%"
    assert ac.VatRate.of(21).fraction == Decimal("0.21")
    assert str(ac.VatRate.special(ac.VatKind.EXEMPT)) == "exempt"
    assert ac.VatRate.special(ac.VatKind.EXEMPT).fraction == 0


def test_sent_document_full_number() -> None:
    sent = ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="r", series="FCT", number="0007"
    )
    assert sent.full_number == "FCT0007"
