"""The Fakturownia fake's data: its constants, value readers and account records.

The service's domains and document kinds (§1, §5.1), the fake's own copies of the value
sets it checks (tax codes, statuses, periods, KSeF limits), the readers of numbers, tax
codes and flags as clients send them, :class:`FakeAccount` (one account's tokens,
companies, catalogue and documents) and the principal a request authenticates as.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs

BASE_URL = "https://demo.fakturownia.pl/"
"""The demo account's API root."""

DOMAINS = ("fakturownia.pl", "invoiceocean.com", "invoiceocean.de", "vosfactures.fr", "bitfactura.es")
"""The service's domains (§1)."""

KINDS = (
    "vat", "proforma", "bill", "receipt", "advance", "final", "correction", "invoice_other", "vat_margin", "kp",
    "kw", "estimate", "vat_mp", "vat_rr", "correction_note", "accounting_note", "client_order", "dw", "wnt", "wdt",
    "import_service", "import_service_eu", "import_products", "export_products",
)  # fmt: skip
"""Document kinds (§5.1)."""

_NOT_SUBJECT = frozenset({"np", "n/a", "nie podlega", "not applicable", "na"})
_SPECIAL_TAXES = frozenset({"zw", "oo", "disabled"})
_DISCOUNT_KINDS = frozenset({"percent_unit", "percent_unit_gross", "percent_total", "amount"})
_STATUSES = frozenset({"issued", "sent", "paid", "partial", "rejected"})
_PERIODS = frozenset(
    {"all", "this_month", "last_month", "this_year", "last_year", "last_30_days", "last_12_months", "more"}
)
_PREFIXES = {"receipt": "PAR ", "correction": "KOR ", "proforma": "PRO "}
_TRUE = frozenset({"1", "yes", "true", "t", "on"})
_CENT = Decimal("0.01")
_MAX_PER_PAGE = 100
_DEFAULT_PER_PAGE = 25  # UNCERTAIN: not documented
_ISSUER_FIELDS = ("use_invoice_issuer", "invoice_issuer", "use_delivery_address", "delivery_address")
# What a KSeF correction may not change (FK-KSEF, §9, carried-over §1.7).
_KSEF_FIXED = (
    "department_id", "seller_tax_no", "seller_email", "seller_phone", "seller_fax", "seller_www",
    "seller_tax_no_kind", "seller_bdo_no", "buyer_company", "buyer_tax_no", "buyer_note", "buyer_email",
    "buyer_phone", "buyer_mobile_phone", "buyer_tax_no_kind", *_ISSUER_FIELDS,
)  # fmt: skip
_KSEF_TEXT_MAX = 256  # descriptions[].content, correction_reason, position names under KSeF (§5, §9)


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _rails(amount: Decimal) -> str:
    """A decimal as Rails writes it: ``"221.4"``, ``"250.0"``, ``"2.0"``."""
    text = f"{amount.normalize():f}"
    return text if "." in text else text + ".0"


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return value != 0
    return isinstance(value, str) and value.strip().casefold() in _TRUE


def _number(value: object) -> Decimal | None:
    """A number as clients send it: a JSON number, a string, even a decimal comma (carried-over §1.1)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _int(value: object) -> int | None:
    number = _number(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _tax(value: object) -> tuple[str, Decimal] | None:
    """``(printed code, rate)`` of a ``tax`` value (§6.1); ``None`` when invalid."""
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _NOT_SUBJECT:
            return "np", Decimal(0)
        if text in _SPECIAL_TAXES:
            return text, Decimal(0)
    number = _number(value)
    if number is None or not Decimal(0) <= number < Decimal(100):
        return None
    return f"{number.normalize():f}", number / 100


@attrs.define
class FakeAccount:
    """One Fakturownia account of the fake: its tokens, companies, catalogue and documents."""

    prefix: str
    domain: str = "fakturownia.pl"
    tokens: dict[str, bool] = attrs.field(factory=dict)
    """Token -> read-only user."""
    departments: list[dict[str, Any]] = attrs.field(factory=list)
    products: list[dict[str, Any]] = attrs.field(factory=list)
    warehouses: list[dict[str, Any]] = attrs.field(factory=list)
    ksef: bool = False
    """KSeF is switched on (``validate_invoices_for_gov``): its rules apply and PDFs wait for the number."""
    ksef_demo: bool = False
    """The KSeF (DEMO) integration: every ``gov_status`` is prefixed ``demo_`` (FK-KSEF "Tryb DEMO")."""
    ksef_validate: bool = True
    """``validate_invoices_for_gov``: a document breaking KSeF rules is refused with 422; off, it is
    saved and KSeF rejects it (``send_error`` with ``gov_error_messages``) once sent."""
    documents: list[dict[str, Any]] = attrs.field(factory=list)
    payments: list[dict[str, Any]] = attrs.field(factory=list)
    warehouse_documents: list[dict[str, Any]] = attrs.field(factory=list)
    clients: list[dict[str, Any]] = attrs.field(factory=list)
    counters: dict[tuple[Any, ...], int] = attrs.field(factory=dict)

    @property
    def key(self) -> str:
        """``prefix.domain``: what the fake's limits count by."""
        return f"{self.prefix}.{self.domain}"


@attrs.frozen
class _Principal:
    account: FakeAccount
    read_only: bool
