"""The Oblio fake's data: its constants and the records of logins, companies, series, stock and documents.

Every constant is the fake's own copy, taken from the Oblio sheet (``shared/providers/oblio.md``),
never from the connector.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

BASE_URL = "https://www.oblio.eu/"
"""Oblio's host; the API lives under ``api/`` and the document links under ``utils/``."""

TOKEN_SECONDS = 3600
"""Lifetime of an access token (``expires_in`` of the token answer, §1)."""

COLLECT_TYPES: tuple[str, ...] = (
    "Chitanta",
    "Bon fiscal",
    "Bon fiscal card",
    "Alta incasare numerar",
    "Ordin de plata",
    "Mandat postal",
    "Card",
    "CEC",
    "Bilet ordin",
    "Alta incasare banca",
    "Ramburs",
)
"""The collect types, exactly as the doc lists them (§6)."""

PRODUCT_TYPES: tuple[str, ...] = (
    "Marfa",
    "Materii prime",
    "Materiale consumabile",
    "Semifabricate",
    "Produs finit",
    "Produs rezidual",
    "Produse agricole",
    "Animale si pasari",
    "Ambalaje",
    "Obiecte de inventar",
    "Serviciu",
)
"""``productType`` values (§5.2)."""

DEFAULT_VAT_RATES: tuple[tuple[str, Decimal, bool], ...] = (
    ("Normala", Decimal(21), True),
    ("Redusa", Decimal(11), False),
    ("SFDD", Decimal(0), False),
    ("SDD", Decimal(0), False),
    ("Taxare inversa", Decimal(0), False),
)
"""A new company's VAT nomenclature: the doc's names, Romania's rates since 2025-08 (§6)."""

DEFAULT_SERIES: tuple[tuple[str, str, str], ...] = (
    ("Factura", "FCT", "0001"),
    ("Proforma", "PRF", "0001"),
    ("Aviz", "AVZ", "0001"),
    ("Chitanta", "CHT", "0001"),
)
"""A new company's series ``(type, name, start)``; ``Aviz``/``Chitanta`` types are UNCERTAIN (§7)."""

LANGUAGES: tuple[tuple[str, str], ...] = (
    ("RO", "Romana"),
    ("EN", "Engleza"),
    ("FR", "Franceza"),
    ("IT", "Italiana"),
    ("SP", "Spaniola"),
    ("HU", "Maghiara"),
    ("DE", "Germana"),
)
"""``nomenclature/languages``: the doc's sample (``EN``/``Engleza``, §3) and the codes the
official WooCommerce plugin offers (OB-WOO ``_wp_oblio_get_languages``, §18)."""

DEMO_EMAIL = "demo@oblio.example"
DEMO_SECRET = "demo-api-secret-0123456789"
DEMO_CIF = "RO37311090"
SECOND_CIF = "RO12345674"

_DOC_TYPES = {"invoice": "Factura", "proforma": "Proforma", "notice": "Aviz"}
_KINDS = {"Factura": "invoice", "Proforma": "proforma", "Aviz": "notice"}
_CURRENCIES = frozenset("RON EUR USD GBP CHF HUF BGN PLN CZK SEK NOK DKK MDL TRY CAD AUD JPY CNY UAH".split())
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@attrs.define
class _Series:
    type: str
    name: str
    start: str
    next: int
    default: bool = True

    def take(self) -> str:
        number = str(self.next).zfill(len(self.start))
        self.next += 1
        return number


@attrs.define
class _StockItem:
    name: str
    code: str
    management: str
    work_station: str
    quantity: Decimal
    price: Decimal
    measuring_unit: str = "buc"
    product_type: str = "Marfa"


@attrs.define
class _Line:
    name: str
    quantity: Decimal
    price: Decimal
    vat_name: str
    vat_percent: Decimal
    vat_included: bool
    amount: Decimal
    code: str | None = None
    management: str | None = None
    measuring_unit: str = "buc"
    discount: Decimal = _ZERO

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        amount = self.amount - self.discount
        if self.vat_included:
            net = _money(amount / (1 + self.vat_percent / 100))
            return net, amount - net, amount
        vat = _money(amount * self.vat_percent / 100)
        return amount, vat, amount + vat


@attrs.define
class _Document:
    id: int
    cif: str
    doc_type: str
    series: str
    number: str
    issue_date: str
    due_date: str | None
    currency: str
    exchange_rate: Decimal | None
    precision: int
    client: dict[str, Any]
    lines: list[_Line]
    net: Decimal
    vat: Decimal
    total: Decimal
    mentions: str | None
    key: str | None
    link_token: str
    body: Any
    owner: str
    collects: list[dict[str, Any]] = attrs.Factory(list)
    canceled: bool = False
    deleted: bool = False
    storno_of: _Document | None = None
    refund: bool = False
    stornoed: Decimal = _ZERO
    fully_stornoed: bool = False
    spv_code: int = -1
    """``einvoiceStatus.code`` (OB-DOC "Raspuns"): -1 not sent, 0 processing, 1 sent, 2 errors."""
    spv_sent_at: float | None = None
    index_upload: str | None = None
    id_download: str | None = None

    @property
    def paid(self) -> Decimal:
        return sum((Decimal(str(collect["value"])) for collect in self.collects), _ZERO)


@attrs.define
class _Company:
    cif: str
    name: str
    ic: int
    use_stock: bool
    series: list[_Series]
    vat_rates: list[tuple[str, Decimal, bool]]
    managements: list[tuple[str, str, str]]
    stock: dict[tuple[str, str], _StockItem] = attrs.Factory(dict)
    clients: dict[str, dict[str, Any]] = attrs.Factory(dict)
    keys: dict[str, _Document] = attrs.Factory(dict)
    spv: str = "none"
    """The company's SPV: ``none`` (not authorised: "Neconfigurat"), ``manual`` (authorised; sent by
    ``docs/einvoice`` or ``spvExtern``) or ``auto`` (the preference "Trimite automat e-Factura in SPV")."""

    def series_named(self, name: str, kind: str) -> _Series | None:
        return next((s for s in self.series if s.name == name and s.type == kind), None)


@attrs.define
class _User:
    email: str
    secret: str
    cifs: set[str]
    keys: dict[str, _Document] = attrs.Factory(dict)


@attrs.define
class _Token:
    value: str
    email: str
    expires_at: float


def ref_type_is_invoice(document: _Document) -> bool:
    """Whether a referenced document is an invoice (storno), not a proforma or notice to invoice."""
    return document.doc_type == "Factura"
