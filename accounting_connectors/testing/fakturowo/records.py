"""The Fakturowo fake's data: the demo account, its code lists and its records.

The demo account's key and seller, the fake's own copies of the sheet's code lists (§5, §6,
all UNCERTAIN there), the list's page size and the answer time, and the records: an
account (its keys, documents, waiting documents and counters), a document (with its
:class:`~accounting_connectors.testing.documents.StoredDocument` snapshot) and the
principal a call authenticates as.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..documents import StoredDocument
from ..wire import FakeError, Reply

DEMO_API_ID = "demo-api-id"
DEMO_SELLER_NIP = "1111111111"  # the sheet's §4 example seller (a valid check digit)
DEMO_SELLER_NAME = "Sprzedawca Sp. z o.o."

# The fake's own copies of the sheet's code lists (§5, §6), all UNCERTAIN there.
KINDS: Mapping[str, str] = {
    "0": "VAT invoice", "2": "proforma (VAT)", "53": "proforma", "3": "advance", "4": "internal", "5": "margin",
    "6": "bill", "12": "simplified", "13": "cash-register invoice", "14": "collective", "20": "receipt",
    "21": "invoice without VAT", "26": "VAT RR", "29": "external issue", "33": "external issue", "31": "final",
    "35": "reverse charge", "36": "PW", "37": "PZ", "38": "WZ", "40": "internal VAT", "41": "WDT",
    "42": "export of goods", "43": "WNT", "44": "VAT MP", "45": "reverse charge without VAT",
    "48": "services export", "49": "services export VAT-UE", "50": "goods import", "51": "services import",
    "52": "services import VAT-UE", "58": "margin advance", "59": "margin final", "60": "margin final",
    "62": "faktura",
}  # fmt: skip
"""``dokument_rodzaj`` (FO-LARAVEL 2019, §5.1)."""
KIND_WORDS: Mapping[str, str] = {"0": "invoice", "20": "receipt"}
NUMBER_PREFIX: Mapping[str, str] = {"0": "FV", "20": "PAR"}  # the fake's own printed format
CURRENCIES = (
    "PLN EUR USD GBP CHF CAD AUD JPY THB HKD NZD SGD HUF UAH CZK DKK ISK NOK SEK HRK RON BGN TRY ILS CLP PHP "
    "MXN ZAR BRL MYR RUB IDR INR KRW CNY XDR".split()
)
"""``dokument_waluta`` 0..35 (FO-CS, §5.1)."""
VAT_PERCENT: Mapping[str, Decimal] = {
    "23": Decimal(23), "8": Decimal(8), "5": Decimal(5), "0": Decimal(0),
    "zw": Decimal(0), "np": Decimal(0), "oo": Decimal(0),
}  # fmt: skip
"""``produkt_stawka_vat`` (FO-LARAVEL ``Price``, §6)."""
PAYMENT_CODES = frozenset(str(code) for code in range(45))
"""``dokument_zaplata`` 0..44 (FO-LARAVEL 2019, §6)."""
PAID_STATUS = frozenset({"0", "1", "2"})
"""``dokument_status``: 0 unpaid, 1 paid, 2 partially paid (§6)."""
LINE_FIELDS = frozenset(
    {
        "produkt_nazwa",
        "produkt_ilosc",
        "produkt_jm",
        "produkt_stawka_vat",
        "produkt_cena_netto",
        "produkt_wartosc_brutto",
    }
)
"""The per-line fields (§5.3)."""
PAGE_SIZE = 100
"""Documents per page of the list (FO-LIST, §3)."""
ANSWER_SECONDS = 0.01
"""How long the fake takes to answer an API call: the call is in flight (the account busy)
from its arrival until then. The service's own time is not documented; this is short so
that a client pacing itself at the sheet's advice (§13) stays near that ceiling."""


def _api_call(request: Any) -> bool:
    return bool(request is not None and request.path in ("api", "pobierz"))


def _refuse(text: str) -> FakeError:
    return FakeError(Reply.text(f"0\n{text}\n"))


@attrs.define
class _Account:
    nip: str
    name: str
    keys: set[str]
    documents: list[_Document] = attrs.field(factory=list)
    waiting: list[_Document] = attrs.field(factory=list)
    counters: dict[tuple[str, int, int], int] = attrs.field(factory=dict)


@attrs.define
class _Document:
    account: _Account
    api_numer: str
    kind: str
    number: str
    issued: dt.date
    sold: dt.date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    status: str
    paid: Decimal
    payment_code: str | None
    due_days: str | None
    reference: str | None
    buyer: dict[str, str]
    seller: dict[str, str]
    lines: list[dict[str, Any]]
    by_rate: dict[str, dict[str, Decimal]]
    notes: str | None
    token: str
    fields: dict[str, str]

    def snapshot(self, link: str) -> StoredDocument:
        detail = {
            "api_numer": self.api_numer,
            "kind_code": self.kind,
            "net": self.net,
            "vat": self.vat,
            "status": self.status,
            "payment_code": self.payment_code,
            "due_days": self.due_days,
            "buyer": dict(self.buyer),
            "seller": dict(self.seller),
            "lines": [dict(line) for line in self.lines],
            "by_rate": {rate: dict(sums) for rate, sums in self.by_rate.items()},
            "notes": self.notes,
            "link": link,
        }
        return StoredDocument(
            provider="fakturowo",
            account=self.account.nip,
            kind=KIND_WORDS.get(self.kind, f"rodzaj {self.kind}"),
            number=self.number,
            id=self.api_numer,
            issue_date=self.issued.isoformat(),
            currency=self.currency,
            total=self.gross,
            paid=self.paid,
            reference=self.reference,
            body=dict(self.fields),
            detail=detail,
        )


@attrs.frozen
class _Principal:
    account: _Account
    fields: Mapping[str, str]
