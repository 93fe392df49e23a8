"""Fakturownia.pl (= InvoiceOcean, VosFactures, BitFactura), sans-I/O.

Facts used here come from the project's Fakturownia sheet (``providers/fakturownia.md``;
section numbers in brackets), which cites the official ``fakturownia/API`` README
(FK-README), its KSeF guide (FK-KSEF) and peer clients verified against live accounts
(FK-CLIENT, FK-CLI, FK-KODA). The traps this module guards against:

* The account prefix is in the host (``https://{prefix}.fakturownia.pl``); the token goes
  in the ``Authorization: Bearer`` header only, never in a URL, where it leaks into logs
  (§1).
* Send once: every create carries ``oid`` (a kind-specific form of the caller's reference,
  ``ORDER-1/vat``) and ``oid_unique: "yes"``, so Fakturownia refuses a second document for
  it (§14). A refusal naming ``oid`` means the document exists: it is read back. A create
  whose answer is lost is never blindly resent: the document is first looked up with
  ``GET /invoices.json?oid=...&period=all&kind=...``, matched exactly on ``oid`` and
  ``kind`` (the filter's exactness is undocumented), paging on a full page and stopping
  when a page repeats (§15).
* A read-only user's token gets HTTP 200 on a create and nothing is created (§16): a create
  is confirmed only by 201 and an integer ``id``; any other success is checked by reading
  back, and ``PermissionDenied`` is raised when nothing exists.
* Errors under HTTP 200 (``{"code": "error"}``, ``{"status": "error"}``, §2); 422 field maps
  ``{"code":"error","message":{field:[...]}}`` become ``field_errors``.
* ``discount_percent`` is dropped unless ``show_discount`` and ``discount_kind`` are sent (§5).
* A fresh document's PDF answers 422 for a few seconds, and KSeF accounts show an HTML page
  until the KSeF number exists (§10): the PDF is retried within ``pdf_wait`` seconds.
* Receipts cannot be cancelled (§8); corrections carry before/after states per line (§9).
* A bank payment (``payment_records``) is a create with no ``oid``: a lost answer is settled
  by reading the invoice's paid amount back, never by a blind resend (§11, §13).
* ``zw`` lines carry ``exempt_tax_kind`` on every document, corrections included (KSeF);
  ``lang`` uses Fakturownia's own codes (``cz``, ``cn``); stock needs a warehouse (§12).
* Rate limits are undocumented: 60 calls a minute by default, bulk export one document at
  a time for "two concurrent requests" (§13). KSeF fields
  (``gov_status``, ``gov_id``) are kept in ``SentDocument.raw``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    AmbiguousOutcome,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    ServerError,
    TransportError,
    ValidationError,
)
from ...flow import Call, Flow, Sleep
from ...limits import RateLimit, credential_fingerprint
from ...model import (
    Correction,
    DocumentKind,
    Invoice,
    Line,
    Party,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatKind,
    VatRate,
    VatRateInfo,
)
from ...provider import Provider, base_url, json_request, read_json
from .codec import (
    booked_totals,
    date_text,
    money_text,
    parse_date,
    parse_money,
    position_totals,
    quantity_text,
    tax_code,
)
from .settings import DOMAINS, FakturowniaArgs, FakturowniaSettings

__all__ = [
    "CAPABILITIES",
    "DOMAINS",
    "KIND_CODES",
    "LANGUAGES",
    "PAYMENT_TYPES",
    "Fakturownia",
    "FakturowniaArgs",
    "FakturowniaPdfNotReady",
    "FakturowniaSettings",
    "lang_for",
    "oid_for",
]

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
    },
)
"""Fakturownia's row of the capability matrix."""


class FakturowniaPdfNotReady(ProviderError):
    """The PDF was still not ready when ``pdf_wait`` ran out (422, or an HTML page on KSeF accounts)."""

    retry_safe_default = True


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


def _names_oid(error: ProviderError) -> bool:
    status = error.status_code
    if status is None or not 400 <= status < 500 or status in (401, 403, 404, 429):
        return False
    fields = getattr(error, "field_errors", {}) or {}
    return any(_OID.search(name) for name in fields) or bool(_OID.search(error.message))


class Fakturownia(Provider):
    """Fakturownia.pl connector (also InvoiceOcean, VosFactures and BitFactura by ``domain``)."""

    name: ClassVar[str] = "fakturownia"
    title: ClassVar[str] = "Fakturownia.pl"
    country: ClassVar[str] = "PL"
    settings_class: ClassVar[type[Any]] = FakturowniaSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # UNCERTAIN (§13): no official limit. 60/min is the production plugin's pace (FK-KODA);
    # the instance replaces this with its requests_per_minute setting.
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(60, 60.0),)
    # A 429 without Retry-After (its headers are UNCERTAIN, §2): wait a whole window.
    retry_after_default: ClassVar[float | None] = 60.0
    # UNCERTAIN (§13): "two concurrent requests per IP" (FK-CL). The kit has no in-flight
    # cap, so bulk export goes one document at a time: one request in flight, at most two
    # with a caller's own concurrent calls beside it. At 60/min the pace is the limit anyway.
    one_document_at_a_time: ClassVar[bool] = True

    def __init__(self, settings: FakturowniaSettings) -> None:
        super().__init__(settings)
        self.settings: FakturowniaSettings = settings
        if settings.base_url is not None:
            self._base = base_url(settings.base_url)
        else:
            self._base = f"https://{settings.account}.{settings.domain}/"
        self._public = f"https://{settings.account}.{settings.domain}/"
        self._headers = {"Authorization": f"Bearer {settings.api_token}"}
        # The driver reads rate_limits from the instance: the configured pace.
        self.__dict__["rate_limits"] = (RateLimit(settings.requests_per_minute, 60.0),)
        self._products: dict[str, int] | None = None
        self._departments: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"Fakturownia(account={self.settings.account!r}, domain={self.settings.domain!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for one account, whatever its token: the limit is per account (or IP), not per token."""
        return credential_fingerprint(self.settings.account, self.settings.domain)

    def account(self) -> str:
        """The account prefix (with the domain when regional, and the department when one is set)."""
        text = self.settings.account
        if self.settings.domain != DOMAINS[0]:
            text += "." + self.settings.domain
        if self.settings.department_id is not None:
            text += f"/{self.settings.department_id}"
        return text

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where the document would be: its order id (``oid``) in the account's document list."""
        if kind not in KIND_CODES:
            return f"look in {self._public} for a payment of the document {reference!r}"
        return (
            f"look in {self._public} for a document of kind {KIND_CODES[kind]!r} whose order id (oid) is "
            f"{oid_for(kind, reference)!r} (GET /invoices.json?oid=...&period=all)"
        )

    def secrets(self) -> tuple[str, ...]:
        """The API token."""
        return (self.settings.api_token,)

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map an answer: HTTP errors by status, and ``code``/``status`` ``"error"`` under 2xx (§2)."""
        status = response.status_code
        if status < 300:
            body = read_json(response)
            if isinstance(body, Mapping) and "error" in (body.get("code"), body.get("status")):
                message = self.error_message(response) or f"Fakturownia reported an error under HTTP {status}"
                return ProviderValidationError(
                    message, field_errors=self.field_errors(response) or {"": [message]}, response=response
                )
            return None
        if status < 400:
            return None
        return self.status_error(response)

    def error_message(self, response: httpx.Response) -> str | None:
        """``message`` as a string, or its field map written out (``buyer_tax_no - nie może być puste``)."""
        body = read_json(response)
        if isinstance(body, Mapping):
            message = body.get("message")
            if isinstance(message, Mapping):
                parts = [f"{field} {text}" for field, texts in self.field_errors(response).items() for text in texts]
                return "; ".join(parts) or None
        return super().error_message(response)

    def field_errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """The 422 field map ``{"message": {field: [texts]}}`` (§2)."""
        body = read_json(response)
        message = body.get("message") if isinstance(body, Mapping) else None
        if not isinstance(message, Mapping):
            return {}
        errors: dict[str, list[str]] = {}
        for field, texts in message.items():
            items = texts if isinstance(texts, list) else [texts]
            errors[str(field)] = [str(text).strip() for text in items]
        return errors

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue a VAT invoice: ``POST /invoices.json`` with ``kind: "vat"``."""
        if invoice.number is not None:
            raise ValidationError(
                "number",
                "Fakturownia numbers documents by the account's pattern; whether it refuses a duplicate "
                "explicit number is undocumented, so none is sent (sheet §7)",
            )
        oid = oid_for(DocumentKind.INVOICE, invoice.reference)
        domestic = invoice.buyer.address is None or invoice.buyer.address.country == "PL"
        positions = self._positions(invoice.lines, invoice.prices_include_vat, domestic=domestic, field="lines")
        body: dict[str, Any] = {
            "kind": "vat",
            "issue_date": date_text(invoice.issue_date),
            "sell_date": date_text(invoice.sale_date or invoice.issue_date),
            "currency": invoice.currency,
            "oid": oid,
            "oid_unique": "yes",
        }
        if invoice.due_date is not None:
            body["payment_to_kind"] = "other_date"
            body["payment_to"] = date_text(invoice.due_date)
        body.update(self._buyer(invoice.buyer))
        self._common(body, invoice.lines, invoice.prices_include_vat, invoice.notes, invoice.language, domestic)
        if invoice.payment is not None:
            gross = booked_totals(invoice.lines, prices_include_vat=invoice.prices_include_vat).gross
            if invoice.payment.amount > gross:
                raise ValidationError("payment.amount", f"{invoice.payment.amount} is more than the total {gross}")
            body["payment_type"] = payment_type_for(invoice.payment.method)
            body["paid"] = money_text(invoice.payment.amount, "payment.amount")
            body["status"] = "paid" if invoice.payment.amount == gross else "partial"
            body["paid_date"] = date_text(invoice.payment.paid_on or invoice.issue_date)
        else:
            body["payment_type"] = payment_type_for(self.settings.payment_type)
        if invoice.exchange_rate is not None and invoice.currency != "PLN":
            body["exchange_currency"] = "PLN"
            body["exchange_kind"] = "own"
            body["exchange_currency_rate"] = quantity_text(invoice.exchange_rate, "exchange_rate")
        warehouse = self._warehouse(invoice.warehouse) if invoice.use_stock else None
        if invoice.use_stock and warehouse is None:
            # The documented stock link is product_id + warehouse_id (§12); without a
            # warehouse the invoice would be issued and the stock silently left alone.
            raise ValidationError(
                "warehouse", "stock moves only from a warehouse: set Invoice.warehouse or the warehouse_id setting"
            )
        if invoice.series is not None:
            department = yield from self._department_named(invoice.series)
            if department is not None:
                body["department_id"] = department
        if warehouse is not None:
            body["warehouse_id"] = warehouse
            codes = yield from self._product_ids()
            skus = {line.sku for line in invoice.lines if not line.is_service and line.sku}
            if not skus <= codes.keys():
                codes = yield from self._product_ids(refresh=True)  # a product added since the last read
            for index, (line, position) in enumerate(zip(invoice.lines, positions, strict=True)):
                if line.is_service or line.sku is None:
                    continue
                product = codes.get(line.sku)
                if product is None:
                    raise ValidationError(f"lines[{index}].sku", f"no Fakturownia product has the code {line.sku!r}")
                if product == 0:
                    raise ValidationError(
                        f"lines[{index}].sku", f"several Fakturownia products have the code {line.sku!r}"
                    )
                position["product_id"] = product
        body["positions"] = positions
        return (
            yield from self._create(
                {"invoice": body}, DocumentKind.INVOICE, invoice.reference, operation="send_invoice"
            )
        )

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue a receipt (paragon): ``POST /invoices.json`` with ``kind: "receipt"``, paid at issue (§8)."""
        if receipt.number is not None:
            raise ValidationError("number", "Fakturownia numbers receipts itself (sheet §7)")
        domestic = receipt.buyer is None or receipt.buyer.address is None or receipt.buyer.address.country == "PL"
        positions = self._positions(receipt.lines, receipt.prices_include_vat, domestic=domestic, field="lines")
        gross = booked_totals(receipt.lines, prices_include_vat=receipt.prices_include_vat).gross
        body: dict[str, Any] = {
            "kind": "receipt",
            "issue_date": date_text(receipt.issue_date),
            "sell_date": date_text(receipt.issue_date),
            "currency": receipt.currency,
            "oid": oid_for(DocumentKind.RECEIPT, receipt.reference),
            "oid_unique": "yes",
            "payment_type": payment_type_for(receipt.payment_method),
            "status": "paid",
            "paid": money_text(gross),
            "paid_date": date_text(receipt.issue_date),
        }
        body.update(self._buyer(receipt.buyer) if receipt.buyer is not None else {"buyer_company": "0"})
        self._common(body, receipt.lines, receipt.prices_include_vat, receipt.notes, receipt.language, domestic)
        if receipt.series is not None:
            department = yield from self._department_named(receipt.series)
            if department is not None:
                body["department_id"] = department
        body["positions"] = positions
        return (
            yield from self._create(
                {"invoice": body}, DocumentKind.RECEIPT, receipt.reference, operation="send_receipt"
            )
        )

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Issue a correction (``kind: "correction"``): per changed line the difference and both states (§9)."""
        original = self.own_document(correction.original_document, "original_document")
        if original.kind is not DocumentKind.INVOICE:
            raise ValidationError("original_document.kind", "only a VAT invoice can be corrected here")
        invoice_id = _int_id(original.external_id)
        if invoice_id is None:
            raise ValidationError("original_document.external_id", "is not a Fakturownia document id")
        if len(correction.reason) > _REASON_MAX:
            raise ValidationError("reason", f"has more than {_REASON_MAX} characters (the KSeF limit)")
        invoice = correction.original
        include_vat = invoice.prices_include_vat
        domestic = invoice.buyer.address is None or invoice.buyer.address.country == "PL"
        positions: list[dict[str, Any]] = []
        for index, (before_line, after_line) in enumerate(zip(invoice.lines, correction.lines, strict=True)):
            field = f"lines[{index}]"
            before = position_totals(before_line, prices_include_vat=include_vat)
            after = position_totals(after_line, prices_include_vat=include_vat)
            if before_line == after_line:
                continue
            positions.append(
                {
                    "name": after_line.name,
                    "quantity": quantity_text(after_line.quantity - before_line.quantity, f"{field}.quantity"),
                    "quantity_unit": after_line.unit,
                    "total_price_gross": money_text(after.gross - before.gross, f"{field}.unit_price"),
                    "tax": tax_code(after_line.vat, domestic_buyer=domestic, field=f"{field}.vat"),
                    "kind": "correction",
                    "correction_before_attributes": self._state(before_line, before.gross, domestic, field, "before"),
                    "correction_after_attributes": self._state(after_line, after.gross, domestic, field, "after"),
                }
            )
        if not positions:
            raise ValidationError("lines", "the correction changes no line of the original invoice")
        body: dict[str, Any] = {
            "kind": "correction",
            "correction_reason": correction.reason,
            "invoice_id": invoice_id,
            "from_invoice_id": invoice_id,
            "issue_date": date_text(correction.issue_date),
            "sell_date": date_text(invoice.sale_date or invoice.issue_date),
            "currency": invoice.currency,
            "oid": oid_for(DocumentKind.CORRECTION, correction.reference),
            "oid_unique": "yes",
        }
        # Both states' VAT context: KSeF refuses zw lines without exempt_tax_kind on a
        # correction too, and oo goes with reverse_charge (§6.1, carried-over §1.3).
        self._tax_context(body, [*invoice.lines, *correction.lines])
        client_id = _int_id(original.raw.get("client_id"))
        if client_id is not None:
            body["client_id"] = client_id
        # KSeF: the buyer may not change (§9); these are the fields the invoice was sent with.
        body.update(self._buyer(invoice.buyer))
        department = _int_id(original.raw.get("department_id")) or self.settings.department_id
        if department is not None:
            body["department_id"] = department
        body["positions"] = positions
        return (
            yield from self._create(
                {"invoice": body}, DocumentKind.CORRECTION, correction.reference, operation="send_correction"
            )
        )

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """``GET /invoices/{id}.pdf``, retried while it is not ready, redirects followed (§10)."""
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise self.unsupported(Capability.FETCH_PDF, "a payment has no PDF; fetch the invoice's")
        ident = _int_id(document.external_id)
        if ident is None:
            raise ValidationError("document.external_id", "is not a Fakturownia document id")
        interval = self.settings.pdf_poll_interval
        polls = 0 if interval <= 0 else math.ceil(self.settings.pdf_wait / interval)
        request = json_request("GET", f"{self._base}invoices/{ident}.pdf", headers=self._headers)
        request.headers["Accept"] = "application/pdf"
        reason = ""
        for poll in range(polls + 1):
            if poll:
                yield Sleep(interval)
            try:
                response = yield from self._follow(Call(request, "fetch_pdf"))
            except ProviderValidationError as error:
                if error.status_code != 422:
                    raise
                reason = f"HTTP 422 ({error.message})"
                continue
            if response.content.startswith(b"%PDF"):
                return response.content
            kind = response.headers.get("Content-Type", "no content type")
            reason = f"HTTP {response.status_code}, {kind} instead of a PDF"
        raise FakturowniaPdfNotReady(
            f"the PDF of document {ident} was not ready after {self.settings.pdf_wait:g} s ({reason}); "
            "a fresh document needs a few seconds, a KSeF account shows a page until the KSeF number exists"
        )

    def list_series(self) -> Flow[list[Series]]:
        """The departments (issuing companies): Fakturownia's only API-visible numbering selector (§7)."""
        departments = yield from self._fetch_departments()
        if not departments:
            return [Series(name="default", is_default=True)]
        return [
            Series(
                name=str(item.get("name") or item.get("shortcut") or item.get("id")),
                is_default=_int_id(item.get("id")) == self.settings.department_id,
            )
            for item in departments
        ]

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The documented fixed ``payment_type`` list (§6.2); no request."""
        return list(PAYMENT_TYPES)
        yield  # pragma: no cover - makes this a generator

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The documented ``tax`` codes (§6.1); Fakturownia has no VAT-rate endpoint."""
        return [
            VatRateInfo(name="23", vat=VatRate.of(23), is_default=True),
            VatRateInfo(name="8", vat=VatRate.of(8)),
            VatRateInfo(name="5", vat=VatRate.of(5)),
            VatRateInfo(name="0", vat=VatRate.of(0)),
            VatRateInfo(name="zw", vat=VatRate.special(VatKind.EXEMPT)),
            VatRateInfo(name="np", vat=VatRate.special(VatKind.NOT_SUBJECT)),
            VatRateInfo(name="oo", vat=VatRate.special(VatKind.REVERSE_CHARGE)),
        ]
        yield  # pragma: no cover - makes this a generator

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Set the invoice's paid amount (``PUT``, idempotent), or create a bank payment (``payment_records``)."""
        self.own_document(document)
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "payments are recorded against a VAT invoice")
        ident = _int_id(document.external_id)
        if ident is None:
            raise ValidationError("document.external_id", "is not a Fakturownia document id")
        response = yield self._get(f"invoices/{ident}.json", "record_payment")
        current = read_json(response)
        if not isinstance(current, Mapping):
            raise ProviderError("Fakturownia answered no document to read the paid amount from", response=response)
        gross = parse_money(current.get("price_gross"))
        paid = parse_money(current.get("paid")) or Decimal("0.00")
        total = paid + payment.amount
        if gross is not None and total > gross:
            raise ValidationError("payment.amount", f"{payment.amount} is more than the unpaid {gross - paid}")
        when = payment.paid_on
        if self.settings.payment_records:
            record: dict[str, Any] = {
                "name": f"{payment.method} {document.number or document.reference}",
                "price": money_text(payment.amount, "payment.amount"),
                "invoice_id": ident,
                "paid": True,
                "kind": "api",
            }
            if when is not None:
                record["paid_date"] = date_text(when)
            answer = yield from self._create_payment(ident, {"banking_payment": record}, paid, total)
            if isinstance(answer, Mapping):
                # The answer was lost but the invoice shows the payment: it was recorded
                # (its id is not known; a bank payment carries no order id to look it up by).
                return SentDocument(
                    provider=self.name,
                    kind=DocumentKind.PAYMENT,
                    reference=document.reference,
                    number=document.number,
                    external_id=None,
                    issue_date=when,
                    raw=dict(answer),
                )
            raw = read_json(answer)
            record_id = _int_id(raw.get("id")) if isinstance(raw, Mapping) else None
            if record_id is None:
                raise PermissionDenied(
                    f"Fakturownia answered HTTP {answer.status_code} to the payment without a new id: the API "
                    "token probably belongs to a read-only user (a known Fakturownia bug). Nothing was recorded.",
                    response=answer,
                )
            return SentDocument(
                provider=self.name,
                kind=DocumentKind.PAYMENT,
                reference=document.reference,
                number=document.number,
                external_id=str(record_id) if record_id is not None else None,
                issue_date=when,
                raw=raw if isinstance(raw, Mapping) else {},
            )
        update: dict[str, Any] = {
            "paid": money_text(total, "payment.amount"),
            "status": "paid" if gross is None or total == gross else "partial",
        }
        if when is not None:
            update["paid_date"] = date_text(when)
        try:
            answer = yield self._send("PUT", f"invoices/{ident}.json", {"invoice": update}, "record_payment")
        except (TransportError, ServerError) as error:
            # The driver retried the absolute PUT and ran out: whether it landed is unknown,
            # and recording the payment again would add it on top of itself. Read back (§11).
            settled = yield from self._paid_now(ident, error, paid, total)
            return SentDocument(
                provider=self.name,
                kind=DocumentKind.PAYMENT,
                reference=document.reference,
                number=document.number,
                external_id=str(ident),
                issue_date=when,
                raw=dict(settled),
            )
        raw = read_json(answer)
        if isinstance(raw, Mapping) and "paid" in raw and parse_money(raw.get("paid")) != total:
            # A read-only user's write answers 200 and changes nothing, as its creates do (§16).
            raise PermissionDenied(
                f"Fakturownia answered the payment but the invoice's paid amount is {raw.get('paid')}, not "
                f"{total}: the API token probably belongs to a read-only user. Nothing was recorded.",
                response=answer,
            )
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.PAYMENT,
            reference=document.reference,
            number=document.number,
            external_id=str(ident),
            issue_date=when,
            raw=raw if isinstance(raw, Mapping) else {},
        )

    def _paid_now(self, ident: int, error: AccountingError, before: Decimal, after: Decimal) -> Flow[Mapping[str, Any]]:
        """The invoice, when it shows the paid amount ``after``; else ``error`` (unchanged) or ambiguity."""
        try:
            check = yield self._get(f"invoices/{ident}.json", "record_payment")
        except AccountingError:
            raise AmbiguousOutcome(
                f"{error.message} (reading the invoice back failed too): check its paid amount, {before} "
                "before this payment, before recording it again.",
                provider=self.name,
                operation="record_payment",
                retry_safe=False,
            ) from error
        current = read_json(check)
        paid = parse_money(current.get("paid")) if isinstance(current, Mapping) else None
        if paid is not None and paid == after and isinstance(current, Mapping):
            return current
        if paid is not None and paid == before:
            raise error  # nothing landed: recording it again is safe
        raise AmbiguousOutcome(
            f"{error.message} (the invoice's paid amount now reads {paid}, neither {before} before nor {after} "
            "after this payment): check it before recording the payment again.",
            provider=self.name,
            operation="record_payment",
            retry_safe=False,
        ) from error

    def _create_payment(
        self, ident: int, body: dict[str, Any], before: Decimal, after: Decimal
    ) -> Flow[httpx.Response | Mapping[str, Any]]:
        """``POST /banking/payments.json`` once: a lost answer is settled by the invoice's paid amount.

        A bank payment is a create with no ``oid`` and no lookup (§11), so it is never resent
        blindly (§13): after a lost answer the invoice is read back. Its paid amount moved
        to ``after``: the payment was recorded (the invoice is returned). Still ``before``:
        nothing was recorded and it is sent once more. Anything else, or a second loss:
        ``AmbiguousOutcome``.
        """
        call = self._send("POST", "banking/payments.json", body, "record_payment", creates=True)
        lost: AmbiguousOutcome | None = None
        for _attempt in range(2):
            try:
                response: httpx.Response = yield call
            except AmbiguousOutcome as error:
                lost = error
                try:
                    check = yield self._get(f"invoices/{ident}.json", "record_payment")
                except AccountingError:
                    raise error from None
                current = read_json(check)
                paid = parse_money(current.get("paid")) if isinstance(current, Mapping) else None
                if paid is not None and paid == after:
                    assert isinstance(current, Mapping)
                    return current
                if paid is None or paid != before:
                    raise
                continue  # the invoice shows nothing of it: it was not recorded
            return response
        assert lost is not None
        again = AmbiguousOutcome(
            f"{lost.message} (the invoice was read back and still showed the paid amount {before}, it was sent "
            "again and that answer was lost too). Recording it again is safe once the invoice's paid amount "
            f"still reads {before}.",
            provider=self.name,
            operation=lost.operation,
            response=lost.response,
            retry_safe=True,
        )
        again.__cause__ = lost
        raise again

    def find_document(self, kind: DocumentKind, reference: str) -> Flow[SentDocument | None]:
        """The document whose ``oid`` is ``oid_for(kind, reference)``, matched exactly, paging on (§14, §15)."""
        if kind not in KIND_CODES:
            raise self.unsupported(Capability.LOOKUP_BY_REFERENCE, "payments carry no order id")
        if not isinstance(reference, str) or not reference.strip():
            raise ValidationError("reference", "must be a non-empty string")
        return (yield from self._find(kind, reference, "find_document"))

    # The send-once create.

    def _create(
        self, body: dict[str, Any], kind: DocumentKind, reference: str, *, operation: str
    ) -> Flow[SentDocument]:
        """Create once: look up before any resend, read back on a duplicate refusal, confirm a 2xx."""
        call = self._send("POST", "invoices.json", body, operation, creates=True)
        lost: AmbiguousOutcome | None = None
        for _attempt in range(2):
            try:
                response = yield call
            except AmbiguousOutcome as error:
                # Never resent blindly (§13): first look for the document by its oid.
                lost = error
                try:
                    found = yield from self._find(kind, reference, operation)
                except AccountingError as lookup:
                    raise self._still_ambiguous(error, f"looking it up failed: {lookup.message}") from lookup
                if found is not None:
                    return found
                continue  # nothing there: resending is safe, oid_unique refuses a second one
            except ProviderError as error:
                if not _names_oid(error):
                    raise
                found = yield from self._find(kind, reference, operation)
                if found is not None:
                    return found
                raise
            return (yield from self._confirm(response, kind, reference, operation))
        assert lost is not None
        raise self._still_ambiguous(lost, "it was looked up and sent again, and the answer was lost again")

    def _still_ambiguous(self, error: AmbiguousOutcome, why: str) -> AmbiguousOutcome:
        again = AmbiguousOutcome(
            f"{error.message} ({why}). Sending it again is safe: the document carries oid_unique.",
            provider=self.name,
            operation=error.operation,
            response=error.response,
            retry_safe=True,
        )
        again.__cause__ = error
        return again

    def _confirm(
        self, response: httpx.Response, kind: DocumentKind, reference: str, operation: str
    ) -> Flow[SentDocument]:
        body = read_json(response)
        ident = _int_id(body.get("id")) if isinstance(body, Mapping) else None
        if response.status_code == 201 and ident is not None and isinstance(body, Mapping):
            return self._document(body, kind, reference)
        # A success without the documented 201 and a new id: a read-only user's token gets
        # 200 and nothing is created (§16). Read back before believing it.
        if ident is not None:
            try:
                check = yield self._get(f"invoices/{ident}.json", operation)
            except NotFound:
                pass
            else:
                stored = read_json(check)
                if isinstance(stored, Mapping) and stored.get("oid") == oid_for(kind, reference):
                    return self._document(stored, kind, reference)
        found = yield from self._find(kind, reference, operation)
        if found is not None:
            return found
        raise PermissionDenied(
            f"Fakturownia answered HTTP {response.status_code} to the create but no document exists for oid "
            f"{oid_for(kind, reference)!r}: the API token probably belongs to a read-only user (a known "
            "Fakturownia bug). Nothing was created; use an administrator's token.",
            response=response,
        )

    def _find(self, kind: DocumentKind, reference: str, operation: str) -> Flow[SentDocument | None]:
        oid = oid_for(kind, reference)
        code = KIND_CODES[kind]
        seen: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            params = {"oid": oid, "period": "all", "kind": code, "per_page": str(PER_PAGE), "page": str(page)}
            response = yield self._get("invoices.json", operation, params)
            rows = read_json(response)
            if not isinstance(rows, list):
                raise ProviderError("Fakturownia's document list was not a JSON array", response=response)
            items = [row for row in rows if isinstance(row, Mapping)]
            matches = [row for row in items if row.get("oid") == oid and row.get("kind") == code]
            if matches:
                first = min(matches, key=lambda row: _int_id(row.get("id")) or 0)
                return self._document(first, kind, reference)
            if len(rows) < PER_PAGE:
                return None
            ids = {str(row.get("id")) for row in items}
            if ids <= seen:
                break  # the API ignored `page` (§15): the rest cannot be seen
            seen |= ids
        raise ProviderError(
            f"looking up oid {oid!r} was inconclusive: every page was full of other documents and the "
            f"listing {'repeated a page' if page < MAX_PAGES else f'ran past {MAX_PAGES} pages'}"
        )

    # Building blocks.

    def _document(self, body: Mapping[str, Any], kind: DocumentKind, reference: str) -> SentDocument:
        ident = _int_id(body.get("id"))
        token = body.get("token")
        url = f"{self._public}invoice/{token}" if isinstance(token, str) and token else None
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=str(body.get("number") or "") or None,
            external_id=str(ident) if ident is not None else None,
            issue_date=parse_date(body.get("issue_date")),
            url=url,
            raw=dict(body),
        )

    def _get(self, path: str, operation: str, params: dict[str, str] | None = None) -> Call:
        return Call(json_request("GET", self._base + path, headers=self._headers, params=params), operation)

    def _send(self, method: str, path: str, body: Any, operation: str, *, creates: bool = False) -> Call:
        return Call(json_request(method, self._base + path, body, headers=self._headers), operation, creates=creates)

    def _follow(self, call: Call) -> Flow[httpx.Response]:
        """Send ``call``, following up to three redirects (a 302 body was once saved as the PDF, §10)."""
        response: httpx.Response = yield call
        for _hop in range(3):
            location = response.headers.get("Location")
            if not 300 <= response.status_code < 400 or not location:
                return response
            target = call.request.url.join(location)
            headers = {"Accept": call.request.headers.get("Accept", "*/*")}
            if target.host == call.request.url.host:
                headers.update(self._headers)  # the token never goes to another host
            call = Call(httpx.Request("GET", target, headers=headers), call.operation)
            response = yield call
        return response

    def _positions(
        self, lines: Sequence[Line], include_vat: bool, *, domestic: bool, field: str
    ) -> list[dict[str, Any]]:
        positions = []
        for index, line in enumerate(lines):
            where = f"{field}[{index}]"
            if len(line.name) > _NAME_MAX:
                raise ValidationError(f"{where}.name", f"has more than {_NAME_MAX} characters (the KSeF limit)")
            totals = position_totals(line, prices_include_vat=include_vat)
            position: dict[str, Any] = {
                "name": line.name,
                "quantity": quantity_text(line.quantity, f"{where}.quantity"),
                "quantity_unit": line.unit,
                "total_price_gross": money_text(totals.gross, f"{where}.unit_price"),
                "tax": tax_code(line.vat, domestic_buyer=domestic, field=f"{where}.vat"),
            }
            if line.sku:
                position["code"] = line.sku
            if line.discount_percent is not None:
                # The undiscounted unit price and the percentage, with the discounted total:
                # consistent values, counted only with show_discount + discount_kind (§5).
                position["price_gross" if include_vat else "price_net"] = quantity_text(line.unit_price)
                position["discount_percent"] = quantity_text(line.discount_percent)
            positions.append(position)
        return positions

    def _state(self, line: Line, gross: Any, domestic: bool, field: str, side: str) -> dict[str, Any]:
        return {
            "name": line.name,
            "quantity": quantity_text(line.quantity, f"{field}.quantity"),
            "quantity_unit": line.unit,
            "total_price_gross": money_text(gross, f"{field}.unit_price"),
            "tax": tax_code(line.vat, domestic_buyer=domestic, field=f"{field}.vat"),
            "kind": f"correction_{side}",
        }

    def _common(
        self,
        body: dict[str, Any],
        lines: Sequence[Line],
        include_vat: bool,
        notes: str | None,
        language: str | None,
        domestic: bool,
    ) -> None:
        if self.settings.department_id is not None:
            body["department_id"] = self.settings.department_id
        if any(line.discount_percent is not None for line in lines):
            body["show_discount"] = "1"
            # UNCERTAIN (§5.1): percent_unit reads as "percent of the net unit price",
            # percent_unit_gross of the gross one.
            body["discount_kind"] = "percent_unit_gross" if include_vat else "percent_unit"
        self._tax_context(body, lines)
        if notes:
            body["description"] = notes
        if language:
            body["lang"] = lang_for(language)

    def _tax_context(self, body: dict[str, Any], lines: Sequence[Line]) -> None:
        """``reverse_charge`` and ``exempt_tax_kind`` for the lines' VAT (§6.1; KSeF needs the latter, §1.3)."""
        if any(line.vat.kind is VatKind.REVERSE_CHARGE for line in lines):
            body["reverse_charge"] = True
        if self.settings.exempt_tax_kind and any(line.vat.kind is VatKind.EXEMPT for line in lines):
            body["exempt_tax_kind"] = self.settings.exempt_tax_kind

    def _buyer(self, party: Party) -> dict[str, Any]:
        buyer: dict[str, Any] = {"buyer_company": "1" if party.is_company else "0", "buyer_name": party.name}
        country = party.address.country if party.address is not None else None
        if party.is_company:
            if country not in (None, "PL"):
                buyer["buyer_tax_no_kind"] = "nip_ue" if country in _EU else "other"
        else:
            first, _, last = party.name.strip().rpartition(" ")
            buyer["buyer_first_name"] = first.strip()
            buyer["buyer_last_name"] = last
        if party.tax_id:
            buyer["buyer_tax_no"] = party.tax_id
        if party.address is not None:
            address = party.address
            for key, value in (
                ("buyer_street", address.street),
                ("buyer_post_code", address.postal_code),
                ("buyer_city", address.city),
            ):
                if value:
                    buyer[key] = value
            buyer["buyer_country"] = address.country
        if party.email:
            buyer["buyer_email"] = party.email
        if party.phone:
            if len(party.phone) > _PHONE_MAX:
                raise ValidationError("buyer.phone", f"has more than {_PHONE_MAX} characters (the KSeF limit)")
            buyer["buyer_phone"] = party.phone
        return buyer

    def _warehouse(self, name: str | None) -> int | None:
        if name is None:
            return self.settings.warehouse_id
        ident = _int_id(name.strip())
        if ident is None:
            raise ValidationError("warehouse", f"{name!r} is not a Fakturownia warehouse id")
        return ident

    def _product_ids(self, *, refresh: bool = False) -> Flow[dict[str, int]]:
        """Product code (SKU) to ``product_id``, read once per connector and again on a miss (§12)."""
        if self._products is not None and not refresh:
            return self._products
        codes: dict[str, int] = {}
        seen: set[int] = set()
        for page in range(1, MAX_PAGES + 1):
            params = {"page": str(page), "per_page": str(PER_PAGE)}
            response = yield self._get("products.json", "send_invoice", params)
            rows = read_json(response)
            if not isinstance(rows, list):
                raise ProviderError("Fakturownia's product list was not a JSON array", response=response)
            ids = {ident for row in rows if isinstance(row, Mapping) and (ident := _int_id(row.get("id"))) is not None}
            if ids and ids <= seen:
                break
            seen |= ids
            for row in rows:
                if isinstance(row, Mapping) and isinstance(row.get("code"), str):
                    ident = _int_id(row.get("id"))
                    if ident is not None:
                        # Two products with one code: 0 marks the code as naming no one product.
                        codes[row["code"]] = ident if codes.get(row["code"], ident) == ident else 0
            if len(rows) < PER_PAGE:
                break
        self._products = codes
        return codes

    def _fetch_departments(self) -> Flow[list[dict[str, Any]]]:
        if self._departments is None:
            response = yield self._get("departments.json", "list_series")
            rows = read_json(response)
            if not isinstance(rows, list):
                raise ProviderError("Fakturownia's department list was not a JSON array", response=response)
            self._departments = [dict(row) for row in rows if isinstance(row, Mapping)]
        return self._departments

    def _department_named(self, series: str) -> Flow[int | None]:
        """The ``department_id`` of ``series``; ``None`` for ``default`` on an account without departments."""
        departments = yield from self._fetch_departments()
        wanted = series.strip().casefold()
        if not departments and wanted == "default":
            return None  # what list_series offers then: the account's own company data (§5.1, §7)
        for item in departments:
            names = {str(item.get(key) or "").strip().casefold() for key in ("name", "shortcut", "id")}
            ident = _int_id(item.get("id"))
            if wanted in names and ident is not None:
                return ident
        known = ", ".join(str(item.get("name")) for item in departments) or "none"
        raise ValidationError("series", f"{series!r} is not a department of this account (departments: {known})")
