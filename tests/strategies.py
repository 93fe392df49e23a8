"""Hypothesis strategies for the domain model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

import accounting_connectors as ac

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda value: value.strip() != ""
)


def decimals(min_value: str, max_value: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(min_value), max_value=Decimal(max_value), places=places)


money = decimals("0", "100000", 2)
quantities = decimals("0.001", "10000", 3)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))

vat_rates = st.one_of(
    st.sampled_from(["0", "5", "8", "9", "11", "19", "21", "23"]).map(ac.VatRate.of),
    st.sampled_from([kind for kind in ac.VatKind if kind is not ac.VatKind.RATE]).map(ac.VatRate.special),
)

addresses = st.builds(
    ac.Address,
    street=st.none() | text,
    city=st.none() | text,
    postal_code=st.none() | text,
    region=st.none() | text,
    country=st.sampled_from(["RO", "PL", "DE", "MD"]),
)


@st.composite
def parties(draw: st.DrawFn) -> ac.Party:
    is_company = draw(st.booleans())
    return ac.Party(
        name=draw(text),
        tax_id=draw(text) if is_company else draw(st.none() | text),
        is_company=is_company,
        registration_number=draw(st.none() | text),
        address=draw(st.none() | addresses),
        email=draw(st.none() | text),
        phone=draw(st.none() | text),
    )


lines = st.builds(
    ac.Line,
    name=text,
    quantity=quantities,
    unit=st.sampled_from(["buc", "kg", "h", "szt."]),
    unit_price=money,
    vat=vat_rates,
    sku=st.none() | text,
    discount_percent=st.none() | decimals("0.01", "100", 2),
    is_service=st.booleans(),
)

payments = st.builds(
    ac.Payment,
    method=st.sampled_from(["Card", "Ordin plata", "cash"]),
    amount=decimals("0.01", "1000", 2),
    paid_on=dates,
)


@st.composite
def invoices(draw: st.DrawFn, max_lines: int = 6) -> ac.Invoice:
    issue_date = draw(dates)
    return ac.Invoice(
        reference=draw(text),
        issue_date=issue_date,
        buyer=draw(parties()),
        lines=draw(st.lists(lines, min_size=1, max_size=max_lines)),
        currency=draw(st.sampled_from(["RON", "EUR", "PLN", "USD"])),
        sale_date=draw(st.none() | dates),
        due_date=draw(st.none() | st.just(issue_date + dt.timedelta(days=14))),
        prices_include_vat=draw(st.booleans()),
        payment=draw(st.none() | payments),
        series=draw(st.none() | text),
        notes=draw(st.none() | text),
        language=draw(st.none() | st.sampled_from(["RO", "EN", "pl"])),
        exchange_rate=draw(st.none() | decimals("0.0001", "10", 4)),
    )


sent_documents = st.builds(
    ac.SentDocument,
    provider=st.just("smartbill"),
    kind=st.sampled_from(list(ac.DocumentKind)),
    reference=text,
    number=st.none() | st.from_regex(r"\A[0-9]{4}\Z"),
    series=st.none() | text,
    external_id=st.none() | text,
    issue_date=st.none() | dates,
    url=st.none() | text,
    raw=st.dictionaries(text, st.none() | st.booleans() | st.integers() | text, max_size=4),
)


@st.composite
def corrections(draw: st.DrawFn) -> ac.Correction:
    original = draw(invoices(max_lines=4))
    after = [
        ac.Line(
            name=line.name,
            quantity=draw(st.sampled_from([Decimal(0), line.quantity])),
            unit=line.unit,
            unit_price=line.unit_price,
            vat=line.vat,
        )
        for line in original.lines
    ]
    return ac.Correction(
        reference=draw(text),
        original=original,
        original_document=draw(sent_documents),
        lines=after,
        reason=draw(text),
        issue_date=original.issue_date + dt.timedelta(days=draw(st.integers(0, 30))),
    )


receipts = st.builds(
    ac.Receipt,
    reference=text,
    issue_date=dates,
    lines=st.lists(lines, min_size=1, max_size=4),
    currency=st.sampled_from(["RON", "EUR"]),
    payment_method=st.just("cash"),
    buyer=st.none() | parties(),
    prices_include_vat=st.booleans(),
)
