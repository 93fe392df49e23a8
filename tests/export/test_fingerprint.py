"""The send-once fingerprint: exact, stable, and the value existing ledgers hold."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.export.ledger import _canonical, fingerprint
from accounting_connectors.serialization import from_dict, to_dict
from tests.strategies import corrections, invoices, receipts, sent_documents

documents = st.one_of(invoices(), receipts, corrections(), sent_documents)


def reference_fingerprint(document: Any) -> str:
    """The fingerprint as ledgers written before the direct writer recorded it."""
    canonical = json.dumps(to_dict(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{type(document).__name__}:{canonical}".encode()).hexdigest()


@settings(max_examples=300)
@given(documents)
def test_the_direct_writer_gives_the_value_existing_ledgers_hold(document: Any) -> None:
    assert _canonical(document) == json.dumps(
        to_dict(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert fingerprint(document) == reference_fingerprint(document)


@settings(max_examples=200)
@given(documents)
def test_an_equal_document_has_the_same_fingerprint(document: Any) -> None:
    copy = from_dict(to_dict(document), type(document))
    assert copy == document and copy is not document
    assert fingerprint(copy) == fingerprint(document)


@settings(max_examples=300)
@given(documents, documents)
def test_different_documents_have_different_fingerprints(first: Any, second: Any) -> None:
    if to_dict(first) != to_dict(second) or type(first) is not type(second):
        assert fingerprint(first) != fingerprint(second)
    else:
        assert fingerprint(first) == fingerprint(second)


def replaced(lines: tuple[ac.Line, ...], index: int, line: ac.Line) -> tuple[ac.Line, ...]:
    return (*lines[:index], line, *lines[index + 1 :])


@settings(max_examples=200)
@given(invoices(), st.data())
def test_changing_any_one_thing_changes_the_fingerprint(invoice: ac.Invoice, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(invoice.lines) - 1))
    line = invoice.lines[index]
    changed = [
        attrs.evolve(invoice, reference=invoice.reference + "x"),
        attrs.evolve(invoice, notes=(invoice.notes or "") + "x"),
        attrs.evolve(invoice, prices_include_vat=not invoice.prices_include_vat),
        attrs.evolve(invoice, buyer=attrs.evolve(invoice.buyer, name=invoice.buyer.name + "x")),
        attrs.evolve(invoice, lines=invoice.lines[:index] + invoice.lines[index + 1 :] or invoice.lines * 2),
        attrs.evolve(invoice, lines=replaced(invoice.lines, index, attrs.evolve(line, quantity=line.quantity + 1))),
        attrs.evolve(invoice, lines=replaced(invoice.lines, index, attrs.evolve(line, is_service=not line.is_service))),
    ]
    seen = {fingerprint(invoice)}
    for other in changed:
        assert other != invoice
        seen.add(fingerprint(other))
    assert len(seen) == len(changed) + 1


def test_documents_of_other_kinds_and_unusual_values_take_the_reference_path() -> None:
    @attrs.frozen
    class Custom:
        amount: Any
        tags: list[str]

    custom = Custom(amount=Decimal("1.50"), tags=["a", "b"])
    assert fingerprint(custom) == reference_fingerprint(custom)
    # A value unlike its declared type is written exactly as to_dict writes it.
    odd = ac.Party(name="Client", is_company=True, tax_id="RO1")
    object.__setattr__(odd, "is_company", 1)  # past validation, as no document can be built
    assert fingerprint(odd) == reference_fingerprint(odd) != fingerprint(attrs.evolve(odd, is_company=True))
