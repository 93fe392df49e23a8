"""Fakturownia's fixed tables and the small mappings built on them.

The ``kind`` codes, ``payment_type`` names and their aliases, the printed languages, the
KSeF length limits, the connector's row of the capability matrix, and the functions that
turn a caller's values into Fakturownia's (``oid_for``, ``payment_type_for``, ``lang_for``).
Sections in brackets are the Fakturownia sheet's (see the package docstring).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import ValidationError
from ...model import DocumentKind, PaymentType
from ...provider import Provider

PER_PAGE = 100
"""The largest page ``GET /invoices.json`` serves (§3)."""

MAX_PAGES = 50
"""Pages of a lookup read before it gives up as inconclusive (5,000 candidate rows)."""

KIND_CODES: Mapping[DocumentKind, str] = {
    DocumentKind.INVOICE: "vat",
    DocumentKind.RECEIPT: "receipt",
    DocumentKind.CORRECTION: "correction",
}
"""Fakturownia's ``kind`` for each document kind this connector issues (§5.1)."""

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(
    Provider.payment_types(
        [
            ("transfer", "Bank transfer (przelew)"),
            ("card", "Card (karta)"),
            ("cash", "Cash (gotówka)"),
            ("barter", "Barter"),
            ("cheque", "Cheque (czek); not 'czek'"),
            ("bill_of_exchange", "Bill of exchange (weksel)"),
            ("cash_on_delivery", "Cash on delivery (za pobraniem)"),
            ("compensation", "Set-off (kompensata)"),
            ("letter_of_credit", "Letter of credit (akredytywa)"),
            ("payu", "PayU"),
            ("paypal", "PayPal"),
            ("off", "Not shown on the document"),
        ]
    )
)
"""``payment_type`` values, a fixed list (§6.2); Fakturownia also takes any other text."""

_PAYMENT_NAMES = {payment_type.name: payment_type.name for payment_type in PAYMENT_TYPES}
# Polish and common spellings of the fixed names (czek is the trap of fakturownia-python-api, §6.2).
_PAYMENT_ALIASES = {
    "przelew": "transfer",
    "bank_transfer": "transfer",
    "gotówka": "cash",
    "gotowka": "cash",
    "karta": "card",
    "czek": "cheque",
    "check": "cheque",
    "pobranie": "cash_on_delivery",
    "za pobraniem": "cash_on_delivery",
    "kompensata": "compensation",
    "weksel": "bill_of_exchange",
    "akredytywa": "letter_of_credit",
}

_EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)  # EU member states, for buyer_tax_no_kind nip_ue (§5.3)

LANGUAGES = frozenset(
    "pl en de fr cz ru es it nl hr ar sk sl el et cn hu tr fa".split()
)  # lang codes Fakturownia prints (carried-over §1.3); en-GB and pl/en forms are not reachable from the model
_LANGUAGE_ALIASES = {"cs": "cz", "zh": "cn"}  # ISO 639-1 -> Fakturownia's own codes (carried-over §1.3)

_OID = re.compile(r"(?i)\boid\b")
_PHONE_MAX = 16  # buyer_phone under KSeF (§5.3)
_REASON_MAX = 256  # correction_reason under KSeF (§9)
_NAME_MAX = 256  # position name under KSeF (§5.2)

CAPABILITIES = Capabilities(
    provider="fakturownia",
    entries={
        Capability.SEND_INVOICE: Entry(
            Support.SUPPORTED, "kind vat with oid + oid_unique; a 200 without a new id is a read-only token"
        ),
        Capability.SEND_RECEIPT: Entry(Support.SUPPORTED, "kind receipt, issued paid; receipts cannot be cancelled"),
        Capability.SEND_CORRECTION: Entry(Support.SUPPORTED, "kind correction with before/after states per line"),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED, "retried while 422 or HTML (fresh or KSeF documents)"),
        Capability.LIST_SERIES: Entry(Support.SUPPORTED, "departments (issuing companies); no numbering resource"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented fixed list; free text is accepted too"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED, "documented tax codes; no VAT-rate endpoint"),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "sets the paid amount (idempotent) or a bank payment"),
        Capability.SKU_STOCK: Entry(Support.SUPPORTED, "SKU resolved to product_id, sent with warehouse_id"),
        Capability.EXTERNAL_NUMBERING: Entry(
            Support.NOT_IMPLEMENTED, "a duplicate explicit number is not known to be refused; numbered by Fakturownia"
        ),
        Capability.DOCUMENT_LINK: Entry(Support.SUPPORTED, "public link /invoice/{token}, no credential"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.SUPPORTED, "oid_unique refuses a second document per oid"),
        Capability.LOOKUP_BY_REFERENCE: Entry(Support.SUPPORTED, "GET invoices.json?oid=, matched exactly, paged"),
        Capability.EINVOICE: Entry(
            Support.SUPPORTED, "KSeF gov_status read back; never resent on status_check_error or duplicate_error"
        ),
    },
)
"""Fakturownia's row of the capability matrix."""


def oid_for(kind: DocumentKind, reference: str) -> str:
    """The ``oid`` a document of ``kind`` for the caller's ``reference`` carries (``ORDER-1/vat``).

    Kind-specific, because the scope of ``oid_unique`` is undocumented (§14): a correction
    or receipt legitimately shares its order's reference with the invoice.
    """
    return f"{reference}/{KIND_CODES[kind]}"


def payment_type_for(method: str) -> str:
    """Fakturownia's ``payment_type`` for a caller's payment method: a fixed name, an alias, else the text."""
    text = method.strip()
    folded = text.casefold()
    return _PAYMENT_NAMES.get(folded) or _PAYMENT_ALIASES.get(folded) or text


def lang_for(language: str) -> str:
    """Fakturownia's ``lang`` for a two-letter language code (``cs`` is ``cz``, ``zh`` is ``cn``).

    Raises:
        ValidationError: a language Fakturownia does not print (carried-over §1.3).
    """
    code = language.strip().lower()
    code = _LANGUAGE_ALIASES.get(code, code)
    if code not in LANGUAGES:
        raise ValidationError(
            "language", f"{language!r} is not a language Fakturownia prints ({', '.join(sorted(LANGUAGES))})"
        )
    return code


def _int_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
