"""The wFirma connector's settings and constants.

The API root, payment methods, receipt types, limits, paging, the capability table,
:class:`WFirmaSettings` and :class:`WFirmaArgs`.

Section numbers (§) are those of ``shared/providers/wfirma.md``, the sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Required

import attrs

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import ConfigurationError
from ...model import DocumentKind, PaymentType
from ...options import ConnectOptions
from ...provider import Provider, base_url

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "EU_COUNTRIES",
    "LOCKOUT_SECONDS",
    "PAYMENT_TYPES",
    "RECEIPT_TYPES",
    "WFirmaArgs",
    "WFirmaSettings",
]

BASE_URL = "https://api2.wfirma.pl/"
"""The API root [§1, W-DOC]."""

LOCKOUT_SECONDS = 300.0
"""``AUTH FAILED LIMIT WAIT 5 MINUTES``: failed logins block for five minutes [§2, §13]."""

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(
    Provider.payment_types(
        [
            ("cash", "Gotówka (cash)"),
            ("transfer", "Przelew (bank transfer)"),
            ("compensation", "Kompensata (set-off)"),
            ("cod", "Za pobraniem (cash on delivery)"),
            ("payment_card", "Karta płatnicza (payment card)"),
        ]
    )
)
"""``paymentmethod`` values, a fixed list with no endpoint [§6.2, W-DOC, W-WEBIT]."""

_PAYMENT_ALIASES: Mapping[str, str] = {
    "card": "payment_card", "karta": "payment_card", "credit card": "payment_card",
    "gotowka": "cash", "gotówka": "cash", "przelew": "transfer", "bank transfer": "transfer",
    "kompensata": "compensation", "pobranie": "cod", "za pobraniem": "cod", "cash on delivery": "cod",
}  # fmt: skip

RECEIPT_TYPES = ("receipt_fiscal_normal", "receipt_normal")
"""Receipt ``type`` values for VAT payers [§8]: a fiscal receipt record, or the non-fiscal
"dowód sprzedaży"."""

_SERIES_KINDS: Mapping[str, DocumentKind] = {
    "normal": DocumentKind.INVOICE,
    "correction": DocumentKind.CORRECTION,
    "receipt_normal": DocumentKind.RECEIPT,
    "receipt_fiscal_normal": DocumentKind.RECEIPT,
}

_PAGE_LIMIT = 100
"""``find`` returns at most 100 rows a page [§15, W-GUIDE]."""
_LOOKUP_PAGES = 10
"""Pages ``find_document`` reads when ``find`` ignores the ``id_external`` filter."""

EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
"""EU member states, for the buyer's ``tax_id_type`` (``vat`` for EU VAT ids)."""

CAPABILITIES = Capabilities(
    provider="wfirma",
    entries={
        Capability.SEND_INVOICE: Entry(
            Support.SUPPORTED, "invoices/add type normal; VAT by the account's vat_code ids (a bare vat resets to 23 %)"
        ),
        Capability.SEND_RECEIPT: Entry(
            Support.SUPPORTED, "receipt_fiscal_normal (or receipt_normal); wFirma records it, a printer fiscalises"
        ),
        Capability.SEND_CORRECTION: Entry(
            Support.SUPPORTED, "type correction with parent_id; each linked line carries its after state"
        ),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED, "invoices/download answers raw PDF (page=invoice)"),
        Capability.LIST_SERIES: Entry(Support.SUPPORTED, "series/find"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented fixed list"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED, "the account's Polish vat_codes"),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "payments/add; never resent after a lost answer"),
        Capability.SKU_STOCK: Entry(
            Support.SUPPORTED, "goods/find by code, good id on each line; stock moves only with the warehouse module"
        ),
        Capability.EXTERNAL_NUMBERING: Entry(
            Support.NOT_IMPLEMENTED, "number is honoured only with the account's numbering control off"
        ),
        Capability.DOCUMENT_LINK: Entry(Support.NOT_SUPPORTED, "the API gives no public document link"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key"),
        Capability.LOOKUP_BY_REFERENCE: Entry(
            Support.SUPPORTED, "id_external via invoices/find, matched client-side (filter UNCERTAIN)"
        ),
        Capability.EINVOICE: Entry(
            Support.SUPPORTED,
            "ksef_* fields of invoices/get; sent automatically at issue, no send call; values UNCERTAIN",
        ),
    },
)


def _required_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("must be a non-empty string")
    return value.strip()


def _check_receipt_type(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in RECEIPT_TYPES:
        raise ConfigurationError(f"receipt_type must be one of {', '.join(RECEIPT_TYPES)}, not {value!r}")


def _check_positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{attribute.name} must be a positive number, not {value!r}")


def _company_text(value: object) -> str:
    return _required_text(str(value))


def _check_company(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.isdigit():
        raise ConfigurationError(f"company_id must be wFirma's numeric company id, not {value!r}")


@attrs.frozen(kw_only=True)
class WFirmaSettings:
    """Settings of the wFirma connector (API-key authentication, §1).

    OAuth 2.0 is the other documented way in; this connector does not implement it.
    """

    access_key: str = attrs.field(converter=_required_text, repr=False)
    """``accessKey`` from Ustawienia » Bezpieczeństwo » Aplikacje » Klucze API."""
    secret_key: str = attrs.field(converter=_required_text, repr=False)
    """``secretKey``, shown once when the key is made (editing the key regenerates both)."""
    app_key: str = attrs.field(converter=_required_text, repr=False)
    """``appKey``, issued by wFirma per integration (one serves many customer accounts)."""
    company_id: str = attrs.field(converter=_company_text, validator=_check_company)
    """The issuing company's id (``user_companies/find``), sent as ``company_id`` on every call."""
    receipt_type: str = attrs.field(default="receipt_fiscal_normal", validator=_check_receipt_type)
    """Document type of receipts: ``receipt_fiscal_normal`` (fiscal receipt) or ``receipt_normal``."""
    max_calls: int = attrs.field(default=1, validator=_check_positive)
    """Calls allowed per ``per_seconds`` window; wFirma publishes no number (§13 REC: 1 a second)."""
    per_seconds: float = attrs.field(default=1.0, validator=_check_positive)
    """The window of ``max_calls``, in seconds."""
    limit_backoff_seconds: float = attrs.field(default=60.0, validator=_check_positive)
    """Wait after ``TOTAL REQUESTS LIMIT EXCEEDED`` and friends (§13 REC: at least 60 s)."""
    base_url: str = attrs.field(default=BASE_URL, converter=base_url)
    """The API root."""
    ksef: bool | None = None
    """Whether the company has KSeF switched on (USTAWIENIA » FAKTURY » E-FAKTURY). The API cannot
    tell, so an invoice with empty KSeF fields is pending with ``True``, not sent with ``False`` and
    unknown with ``None`` (EINVOICING §3.3)."""


class WFirmaArgs(ConnectOptions, total=False):
    """The keyword arguments of ``connect("wfirma", ...)``."""

    access_key: Required[str]
    secret_key: Required[str]
    app_key: Required[str]
    company_id: Required[str]
    receipt_type: str
    max_calls: int
    per_seconds: float
    limit_backoff_seconds: float
    base_url: str
    ksef: bool | None
