"""The wFirma fake's accounts and records, as it keeps them in memory.

The demo keys and companies, numbering series, VAT codes, goods, document lines,
documents, companies and users.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "DEMO_COMPANY",
    "DEMO_KEYS",
    "FAILED_LOGINS",
    "LOCKOUT_SECONDS",
    "SECOND_COMPANY",
]

DEMO_KEYS = {"access_key": "demo-access-key", "secret_key": "demo-secret-key", "app_key": "demo-app-key"}
"""The demo user's API keys."""
DEMO_COMPANY = "1001"
"""The demo user's first company (warehouse module on)."""
SECOND_COMPANY = "1002"
"""The demo user's second company (kept on full accounting books: no edits)."""

FAILED_LOGINS = 5
LOCKOUT_SECONDS = 300.0

_FAILED = object()


@attrs.define
class _Series:
    id: str
    name: str
    template: str
    type: str
    reset: str = "yearly"
    initnumber: int = 1
    counters: dict[str, int] = attrs.field(factory=dict)

    def next_number(self, day: dt.date) -> tuple[int, str]:
        period = {"monthly": day.strftime("%Y-%m"), "monthy": day.strftime("%Y-%m"), "daily": day.isoformat()}.get(
            self.reset, str(day.year)
        )
        number = self.counters.get(period, self.initnumber - 1) + 1
        self.counters[period] = number
        full = (
            self.template.replace("[numer]", str(number))
            .replace("[rok]", str(day.year))
            .replace("[miesiąc]", f"{day.month:02d}")
            .replace("[dzień]", f"{day.day:02d}")
        )
        return number, full


@attrs.define
class _VatCode:
    id: str
    code: str
    rate: Decimal
    country: str = "PL"


@attrs.define
class _Good:
    id: str
    name: str
    code: str
    unit: str = "szt."
    netto: Decimal = Decimal("0.00")
    count: Decimal = Decimal(0)
    vat_code_id: str = ""


@attrs.define
class _Line:
    id: str
    name: str
    unit: str
    count: Decimal
    price: Decimal
    vat: str
    vat_code_id: str
    rate: Decimal
    discount_percent: Decimal
    good_id: str
    netto: Decimal = Decimal(0)
    brutto: Decimal = Decimal(0)


@attrs.define
class _Document:
    id: str
    type: str
    number: int
    fullnumber: str
    series_id: str
    date: str
    currency: str
    price_type: str
    paymentmethod: str
    lines: list[_Line]
    netto: Decimal
    tax: Decimal
    total: Decimal
    contractor: dict[str, str]
    id_external: str | None
    description: str | None
    parent_id: str | None
    alreadypaid: Decimal = Decimal(0)
    cancelled: bool = False
    fiscalized: bool = False
    body: Any = None
    ksef_sent_at: float | None = None
    """When wFirma handed it to KSeF (automatically, at issue); ``None`` if it never goes."""
    ksef_reference_number: str = ""
    ksef_status: str = ""
    ksef_registration_date: str = ""


@attrs.define
class _Company:
    id: str
    name: str
    books: bool = False
    warehouse: bool = False
    series: dict[str, _Series] = attrs.field(factory=dict)
    defaults: dict[str, str] = attrs.field(factory=dict)
    vat_codes: dict[str, _VatCode] = attrs.field(factory=dict)
    goods: dict[str, _Good] = attrs.field(factory=dict)
    documents: dict[str, _Document] = attrs.field(factory=dict)
    payments: list[dict[str, str]] = attrs.field(factory=list)
    ksef: bool = False
    """KSeF is on (USTAWIENIA » FAKTURY » E-FAKTURY): every invoice added is sent at issue (EINVOICING §3.3)."""
    ksef_authorised: bool = True
    """The API key's user shares a KSeF authorisation; without it ``invoices/add`` is refused (W-WFSYNC)."""


@attrs.define
class _User:
    secret_key: str
    companies: list[str]
