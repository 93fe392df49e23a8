"""wFirma.pl (API2, ``https://api2.wfirma.pl``), sans-I/O.

Facts come from ``shared/providers/wfirma.md`` (the sheet; section numbers in comments)
and the official Postman collection ``shared/specs/wfirma-postman.json`` (W-DOC). The traps
this package guards against:

* Errors come under HTTP 200 as ``status > code`` (§2); validation details are attached
  to the records at any depth and are all collected (§16: clients that read only the code
  show "Invalid input data").
* ``AUTH FAILED LIMIT WAIT 5 MINUTES`` blocks the login for 5 minutes: it is raised as
  ``RateLimited`` with ``retry_at`` and the credential is held, never hammered (§13).
* ``company_id`` goes on every call; without it a multi-company user hits the wrong
  company or gets ``COMPANY ID REQUIRED`` (§1), a configuration error.
* A plain ``vat`` the account does not know is silently reset to 23 % (§6.1, §16): every
  line names its VAT code by the account's own ``vat_code`` id, read from ``vat_codes``.
* Unknown fields are silently ignored (§16): only documented names are sent.
* No idempotency key; the caller's reference goes into ``id_external`` (§14) and
  ``find_document`` looks it up (UNCERTAIN whether ``find`` filters on it, so the rows are
  matched client-side too).
* ``FATAL`` on a write leaves the outcome unknown (``AmbiguousOutcome``); an answer
  without ``status`` too (§16, W-ISSUES #50).
* Accounts on full accounting books cannot edit invoices (§16): nothing here edits.
* ``invoices/download`` answers raw PDF bytes (§10).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Required
from xml.etree.ElementTree import Element

import attrs
import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    AuthenticationError,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    ServerError,
    ValidationError,
)
from ...flow import Call, Flow
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
from ...money import TotalsMethod, document_totals
from ...options import ConnectOptions
from ...provider import Provider, base_url
from .wire import (
    Node,
    UnreadableAnswer,
    answer,
    decimal_text,
    field_errors,
    number_of,
    paging,
    records,
    status_code,
    status_message,
    text_of,
    xml_document,
)

__all__ = ["BASE_URL", "PAYMENT_TYPES", "WFirma", "WFirmaArgs", "WFirmaSettings"]

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

# The wFirma VAT code (§6.1) of each special treatment; plain rates are their percentage.
_SPECIAL_CODES: Mapping[VatKind, str] = {
    VatKind.EXEMPT: "ZW",
    VatKind.NOT_SUBJECT: "NP",
    # UNCERTAIN: VAT_BUYER is named only in the doc's print-template chapter [§6.1].
    VatKind.REVERSE_CHARGE: "VAT_BUYER",  # domestic reverse charge (odwrotne obciążenie)
    VatKind.INTRA_EU: "WDT",
    VatKind.EXPORT: "EXP",
}
_KIND_OF_CODE: Mapping[str, VatKind] = {code: kind for kind, code in _SPECIAL_CODES.items()} | {
    "NPUE": VatKind.NOT_SUBJECT  # not subject, EU services: listed as not subject
}

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

_CENT = Decimal("0.01")
_COUNT_PLACES = Decimal("0.0001")

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


# status > code -> what it means (§2 table). Codes not here are unknown: outcome unknown.
_AUTH_CODES = frozenset({"AUTH"})
_DENIED_CODES = frozenset({"ACCESS DENIED", "DENIED SCOPE REQUESTED"})
_LIMIT_CODES = frozenset({"TOTAL REQUESTS LIMIT EXCEEDED", "TOTAL EXECUTION TIME LIMIT EXCEEDED"})
_UNAVAILABLE_CODES = frozenset({"OUT OF SERVICE", "SNAPSHOT LOCK"})
_NOT_FOUND_TEXT = "Nie znaleziono obiektu"  # W-WEBIT treats this text as not-found [§2]

_MEANINGS: Mapping[str, str] = {
    "ACCESS DENIED": "the user's rights forbid this action",
    "ACTION NOT FOUND": "no such module or action",
    "AUTH": "the API keys were refused",
    "AUTH FAILED LIMIT WAIT 5 MINUTES": "too many failed logins; wFirma blocks this login for 5 minutes",
    "COMPANY ID REQUIRED": "the user has several companies and the company_id was not accepted",
    "DENIED SCOPE REQUESTED": "the authorisation does not cover this module",
    "FATAL": "internal wFirma error",
    "INPUT ERROR": "wFirma could not read the request",
    "NOT FOUND": "no such object",
    "OUT OF SERVICE": "the API is switched off for maintenance",
    "SNAPSHOT LOCK": "the company is being restored from a backup; everything is blocked",
    "TOTAL REQUESTS LIMIT EXCEEDED": "request-count limit exceeded",
    "TOTAL EXECUTION TIME LIMIT EXCEEDED": "execution-time limit exceeded",
}


class WFirma(Provider):
    """wFirma.pl connector (API keys in headers, XML on the wire)."""

    name: ClassVar[str] = "wfirma"
    title: ClassVar[str] = "wFirma.pl"
    country: ClassVar[str] = "PL"
    settings_class: ClassVar[type[Any]] = WFirmaSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # UNCERTAIN (§13, §17.2): wFirma publishes no number; the sheet's safest reading is
    # at most one request a second, sequential. ``max_calls``/``per_seconds`` change it.
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(1, 1.0),)
    retry_after_default: ClassVar[float | None] = 60.0
    # REC (§13): sequential writes; bulk export sends one document after another.
    one_document_at_a_time: ClassVar[bool] = True

    def __init__(self, settings: WFirmaSettings) -> None:
        super().__init__(settings)
        self.settings: WFirmaSettings = settings
        limits = (RateLimit(settings.max_calls, float(settings.per_seconds)),)
        if limits != type(self).rate_limits:
            setattr(self, "rate_limits", limits)  # noqa: B010 - an instance's own limits
        self._vat_codes: dict[str, str] | None = None
        self._series: list[tuple[str, str, str]] | None = None
        self._headers = {
            "accessKey": settings.access_key,
            "secretKey": settings.secret_key,
            "appKey": settings.app_key,
            "Accept": "application/xml",
        }

    def __repr__(self) -> str:
        return f"WFirma(company_id={self.settings.company_id!r})"

    # What the drivers ask.

    def credential_fingerprint(self) -> str:
        """The API keys, hashed: the failed-login lock and the limits count by login."""
        return credential_fingerprint(self.settings.access_key, self.settings.secret_key, self.settings.app_key)

    def account(self) -> str:
        """The issuing company's id (one set of keys may serve many companies)."""
        return self.settings.company_id

    def secrets(self) -> tuple[str, ...]:
        """The three API keys."""
        return (self.settings.access_key, self.settings.secret_key, self.settings.app_key)

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where to look after an ambiguous create."""
        return (
            f"look in wFirma company {self.settings.company_id} for a document whose id_external "
            f"(external identifier) is {reference!r}, or call find_document({kind.name}, {reference!r})"
        )

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """The ``status > code`` envelope mapped (errors come under HTTP 200, §2)."""
        if response.content.startswith(b"%PDF"):
            return None
        if response.status_code >= 400:
            return self._http_error(response)
        try:
            root = answer(response)
        except UnreadableAnswer as error:
            # Not an envelope at all (an XML bomb, HTML): whether a write took effect is unknown.
            return ServerError(f"{self.display_name} answered unreadably: {error.reason}", response=response)
        code = status_code(root)
        if code is None:
            return ServerError(f"{self.display_name} answered without status > code", response=response)
        if code == "OK":
            return None
        return self._code_error(code, root, response, call, now)

    def _http_error(self, response: httpx.Response) -> ProviderError:
        # UNCERTAIN (§2, §17.1): the doc names no HTTP errors. A 429 is a limit; anything else
        # is treated as transport-level (reads retried, writes outcome-unknown).
        text = f"{self.display_name} answered HTTP {response.status_code}"
        if response.status_code == 429:
            return RateLimited(text, response=response)
        return ServerError(text, response=response)

    def _code_error(
        self, code: str, root: Element, response: httpx.Response, call: Call, now: float
    ) -> AccountingError:
        detail = status_message(root)
        meaning = _MEANINGS.get(code, "unknown status code")
        text = f"{self.display_name} {code}: {detail or meaning}"
        if code == "ERROR":
            errors = field_errors(root)
            if detail is not None and _NOT_FOUND_TEXT in detail:
                return NotFound(text, response=response)
            listed = "; ".join(f"{field or 'document'}: {', '.join(messages)}" for field, messages in errors.items())
            message = f"{self.display_name} ERROR: {listed or detail or 'validation failed'}"
            return ProviderValidationError(message, field_errors=errors or {"": [detail or "ERROR"]}, response=response)
        if code == "INPUT ERROR":
            return ProviderValidationError(text, field_errors={"": [detail or meaning]}, response=response)
        if code in _AUTH_CODES:
            return AuthenticationError(text, response=response)
        if code == "AUTH FAILED LIMIT WAIT 5 MINUTES":
            return RateLimited(text, retry_at=now + LOCKOUT_SECONDS, response=response)
        if code in _DENIED_CODES:
            return PermissionDenied(text, response=response)
        if code == "COMPANY ID REQUIRED":
            return ConfigurationError(f"{text}; set company_id to one of the user's companies (user_companies/find)")
        if code == "NOT FOUND":
            return NotFound(text, response=response)
        if code in _LIMIT_CODES:
            return RateLimited(text, retry_at=now + self.settings.limit_backoff_seconds, response=response)
        if code in _UNAVAILABLE_CODES:
            # The call was refused, nothing was done: a read may be retried; a create is not
            # resent automatically, but is safe to send later.
            if call.creates:
                return ProviderError(text, response=response, retry_safe=True)
            return ServerError(text, response=response)
        if code == "ACTION NOT FOUND":
            return ProviderError(text, response=response, retry_safe=True)
        # FATAL and any code the table lacks: on a write the outcome is unknown.
        return ServerError(text, response=response)

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue ``invoice`` (``type`` ``normal``)."""
        self._check_common(invoice.exchange_rate, invoice.number, invoice.language, invoice.warehouse)
        method = self._method(invoice.payment.method if invoice.payment else "transfer", "payment.method")
        series_id = yield from self._series_id(invoice.series, "series", "send_invoice")
        codes = yield from self._codes("send_invoice")
        goods = (yield from self._goods(invoice.lines)) if invoice.use_stock else {}
        fields: list[Node] = [
            self._contractor(invoice.buyer),
            ("type", "normal"),
            ("date", invoice.issue_date.isoformat()),
            ("disposaldate", (invoice.sale_date or invoice.issue_date).isoformat()),
            ("paymentmethod", method),
        ]
        if invoice.due_date is not None:
            fields.append(("paymentdate", invoice.due_date.isoformat()))
        if invoice.payment is not None:
            fields.append(("alreadypaid_initial", decimal_text(invoice.payment.amount)))
        fields += self._document_tail(invoice.currency, invoice.prices_include_vat, series_id, invoice.reference)
        if invoice.notes:
            fields.append(("description", invoice.notes))
        fields.append(("invoicecontents", [self._line(line, i, codes, goods) for i, line in enumerate(invoice.lines)]))
        response = yield self._post("invoices/add", ("invoices", [("invoice", fields)]), "send_invoice", creates=True)
        return self._sent(response, DocumentKind.INVOICE, invoice.reference)

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue ``receipt`` (``receipt_fiscal_normal`` or the ``receipt_type`` setting), paid in full."""
        self._check_common(None, receipt.number, receipt.language, None)
        method = self._method(receipt.payment_method, "payment_method")
        series_id = yield from self._series_id(receipt.series, "series", "send_receipt")
        codes = yield from self._codes("send_receipt")
        fields: list[Node] = []
        if receipt.buyer is not None:
            fields.append(self._contractor(receipt.buyer))
        # A fiscal receipt has no contractor of its own (W-DOC ereceipt_integration_receipt).
        fields += [
            ("type", self.settings.receipt_type),
            ("date", receipt.issue_date.isoformat()),
            ("disposaldate", receipt.issue_date.isoformat()),
            ("paymentmethod", method),
        ]
        totals = document_totals(
            receipt.lines, prices_include_vat=receipt.prices_include_vat, method=TotalsMethod.PER_RATE
        )
        fields.append(("alreadypaid_initial", decimal_text(totals.total.gross)))
        fields += self._document_tail(receipt.currency, receipt.prices_include_vat, series_id, receipt.reference)
        if receipt.notes:
            fields.append(("description", receipt.notes))
        fields.append(("invoicecontents", [self._line(line, i, codes, {}) for i, line in enumerate(receipt.lines)]))
        response = yield self._post("invoices/add", ("invoices", [("invoice", fields)]), "send_receipt", creates=True)
        return self._sent(response, DocumentKind.RECEIPT, receipt.reference)

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Issue a correction (``type`` ``correction``, ``parent_id``, after state per line, §9)."""
        original = self.own_document(correction.original_document, "original_document")
        parent_id = _document_id(original, "original_document")
        line_ids = original.raw.get("line_ids") if isinstance(original.raw, Mapping) else None
        if not isinstance(line_ids, Sequence) or len(line_ids) != len(correction.lines):
            line_ids = yield from self._line_ids(parent_id)
        if len(line_ids) != len(correction.lines):
            raise ValidationError(
                "lines",
                f"wFirma holds {len(line_ids)} lines on invoice {parent_id}; "
                f"the correction gives {len(correction.lines)}",
            )
        codes = yield from self._codes("send_correction")
        invoice = correction.original
        contents: list[Node] = []
        for index, (line, line_id) in enumerate(zip(correction.lines, line_ids, strict=True)):
            before = invoice.lines[index]
            # name, unit and good cannot change on a linked line (§9): the original's are sent.
            after = attrs.evolve(line, name=before.name, unit=before.unit)
            nodes = self._line_fields(after, index, codes, {})
            contents.append(("invoicecontent", [("parent_id", str(line_id)), *nodes]))
        fields: list[Node] = [
            self._contractor(invoice.buyer),
            ("type", "correction"),
            # UNCERTAIN (§9, §17.5): W-WEBIT writes <parent><id>; the doc's parent_id is sent.
            ("parent_id", parent_id),
            ("date", correction.issue_date.isoformat()),
            ("description", correction.reason),
            ("id_external", correction.reference),
            ("invoicecontents", contents),
        ]
        response = yield self._post(
            "invoices/add", ("invoices", [("invoice", fields)]), "send_correction", creates=True
        )
        return self._sent(response, DocumentKind.CORRECTION, correction.reference)

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The document's PDF (``invoices/download``; REC ``page=invoice``, §10)."""
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise ValidationError("document.kind", "a payment has no PDF; pass the invoice")
        # UNCERTAIN (§17.6): the case of ``invoicecopy`` differs between sources; ``invoice`` is safe.
        parameters: list[Node] = [
            ("parameter", [("name", name), ("value", value)])
            for name, value in (("page", "invoice"), ("address", "0"), ("leaflet", "0"), ("duplicate", "0"))
        ]
        body = ("invoices", [("parameters", parameters)])
        response = yield self._post(f"invoices/download/{_document_id(document, 'document')}", body, "fetch_pdf")
        return self.pdf_bytes(response, "the document")

    def list_series(self) -> Flow[list[Series]]:
        """The company's numbering series (``series/find``)."""
        rows = yield from self._series_rows("list_series", refresh=True)
        return [Series(name=name, kind=_SERIES_KINDS.get(kind)) for _, name, kind in rows]

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The fixed ``paymentmethod`` list (no request is made)."""
        return list(PAYMENT_TYPES)
        yield  # pragma: no cover - makes this a generator

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The company's Polish VAT codes (``vat_codes/find``; OSS codes have no ``code``)."""
        codes = yield from self._codes("list_vat_rates", refresh=True)
        rates = []
        for code in codes:
            vat = vat_rate_of(code)
            if vat is not None:
                rates.append(VatRateInfo(name=code, vat=vat, is_default=code == "23"))
        return rates

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Record ``payment`` against an issued invoice (``payments/add``, §11)."""
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise ValidationError("document.kind", "pass the invoice, not a payment")
        method = self._method(payment.method, "payment.method")
        fields: list[Node] = [
            ("object_name", "invoice"),
            ("object_id", _document_id(document, "document")),
            ("value", decimal_text(_money(payment.amount, "payment.amount"))),
            # The invoice's method list; payments answers carry ``payment_method`` [§11, W-WEBIT].
            ("payment_method", method),
        ]
        if payment.paid_on is not None:
            fields.append(("date", payment.paid_on.isoformat()))
        response = yield self._post("payments/add", ("payments", [("payment", fields)]), "record_payment", creates=True)
        row = _first(records(answer(response), "payments", "payment"), "payments/add")
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.PAYMENT,
            reference=document.reference,
            number=document.number,
            external_id=text_of(row, "id"),
            issue_date=payment.paid_on,
            raw={"payment_id": text_of(row, "id"), "invoice_id": document.external_id},
        )

    def find_document(self, kind: DocumentKind, reference: str) -> Flow[SentDocument | None]:
        """The document whose ``id_external`` is ``reference`` (§14), or ``None``.

        UNCERTAIN (§17.10): whether ``find`` filters on ``id_external``. The filter is sent
        and every row is matched client-side; when the answer holds more rows than match,
        further pages are read (up to 1,000 rows).
        """
        if not isinstance(reference, str) or not reference.strip():
            raise ValidationError("reference", "must be a non-empty string")
        wanted = {
            DocumentKind.INVOICE: {"normal"},
            DocumentKind.RECEIPT: set(RECEIPT_TYPES),
            DocumentKind.CORRECTION: {"correction"},
        }.get(kind)
        if wanted is None:
            raise ValidationError("kind", "payments are not looked up by reference")
        for page in range(1, _LOOKUP_PAGES + 1):
            body: Node = (
                "invoices",
                [
                    (
                        "parameters",
                        [
                            (
                                "conditions",
                                [("condition", [("field", "id_external"), ("operator", "eq"), ("value", reference)])],
                            ),
                            ("page", str(page)),
                            ("limit", str(_PAGE_LIMIT)),
                        ],
                    )
                ],
            )
            response = yield self._post("invoices/find", body, "find_document")
            root = answer(response)
            rows = records(root, "invoices", "invoice")
            for row in rows:
                if text_of(row, "id_external") == reference and text_of(row, "type") in wanted:
                    return self._document(row, kind, reference)
            _, limit, total = paging(root, "invoices")
            if not rows or page * max(limit, len(rows), 1) >= total:
                return None
        return None

    # Requests.

    def _url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    def _params(self) -> dict[str, str]:
        # UNCERTAIN (§17.3): two JSON dialects disagree; XML is the documented default and is
        # used both ways. No ``type_of_sale`` and no ``normal_draft`` are ever sent (§17.7, §17.8).
        return {"inputFormat": "xml", "outputFormat": "xml", "company_id": self.settings.company_id}

    def _post(self, path: str, body: Node, operation: str, *, creates: bool = False) -> Call:
        # REC (§1): POST for every action with a body, ``find`` included.
        content = xml_document(("api", [body]))
        headers = {**self._headers, "Content-Type": "application/xml; charset=utf-8"}
        request = httpx.Request("POST", self._url(path), params=self._params(), headers=headers, content=content)
        return Call(request, operation, creates=creates)

    def _get(self, path: str, operation: str) -> Call:
        return Call(httpx.Request("GET", self._url(path), params=self._params(), headers=self._headers), operation)

    def _find_all(
        self, module: str, record: str, operation: str, conditions: list[Node] | None = None
    ) -> Flow[list[Element]]:
        found: list[Element] = []
        for page in range(1, 1000):
            parameters: list[Node] = [("page", str(page)), ("limit", str(_PAGE_LIMIT))]
            if conditions:
                parameters.insert(0, ("conditions", conditions))
            response = yield self._post(f"{module}/find", (module, [("parameters", parameters)]), operation)
            root = answer(response)
            rows = records(root, module, record)
            found += rows
            _, limit, total = paging(root, module)
            if not rows or page * max(limit, len(rows)) >= total:
                break
        return found

    def _codes(self, operation: str, *, refresh: bool = False) -> Flow[dict[str, str]]:
        """VAT code -> the account's ``vat_code`` id; Polish codes only (non-empty ``code``)."""
        if self._vat_codes is None or refresh:
            rows = yield from self._find_all("vat_codes", "vat_code", operation)
            codes: dict[str, str] = {}
            for row in rows:
                code, identifier = text_of(row, "code"), text_of(row, "id")
                if code and identifier:
                    codes.setdefault(code.upper(), identifier)  # UNCERTAIN (§17.12): upper case only
            self._vat_codes = codes
        return self._vat_codes

    def _series_rows(self, operation: str, *, refresh: bool = False) -> Flow[list[tuple[str, str, str]]]:
        if self._series is None or refresh:
            rows = yield from self._find_all("series", "series", operation)
            self._series = [
                (text_of(row, "id") or "", text_of(row, "name") or "", text_of(row, "type") or "") for row in rows
            ]
        return self._series

    def _series_id(self, series: str | None, field: str, operation: str) -> Flow[str | None]:
        """The id of the series named ``series`` (by name or id); ``None`` for the default."""
        if series is None:
            return None
        rows = yield from self._series_rows(operation)
        for identifier, name, _ in rows:
            if series in (identifier, name):
                return identifier
        names = ", ".join(name for _, name, _ in rows) or "none"
        raise ValidationError(
            field, f"{series!r} is not a wFirma series of company {self.settings.company_id}; series: {names}"
        )

    def _goods(self, lines: Sequence[Line]) -> Flow[dict[str, str]]:
        """SKU -> good id, by ``goods/find`` on ``code`` (§12); a missing SKU stops the create."""
        ids: dict[str, str] = {}
        for index, line in enumerate(lines):
            if line.is_service or not line.sku or line.sku in ids:
                continue
            condition: list[Node] = [("condition", [("field", "code"), ("operator", "eq"), ("value", line.sku)])]
            rows = yield from self._find_all("goods", "good", "send_invoice", condition)
            match = next((text_of(row, "id") for row in rows if text_of(row, "code") == line.sku), None)
            if match is None:
                raise ValidationError(
                    f"lines[{index}].sku",
                    f"no good with code {line.sku!r} in wFirma company {self.settings.company_id}",
                )
            ids[line.sku] = match
        return ids

    def _line_ids(self, invoice_id: str) -> Flow[list[str]]:
        response = yield self._get(f"invoices/get/{invoice_id}", "send_correction")
        row = _first(records(answer(response), "invoices", "invoice"), "invoices/get")
        return [text_of(content, "id") or "" for content in row.findall("invoicecontents/invoicecontent")]

    # Bodies.

    def _check_common(
        self, rate: Decimal | None, number: str | None, language: str | None, warehouse: str | None
    ) -> None:
        if rate is not None:
            raise ValidationError("exchange_rate", "wFirma takes the NBP rate itself (currency_exchange is read-only)")
        if number is not None:
            raise ValidationError("number", "wFirma numbers documents itself (EXTERNAL_NUMBERING is not implemented)")
        if language is not None and language.lower() != "pl":
            raise ValidationError("language", "bilingual prints (translation_language) are not implemented")
        if warehouse is not None:
            raise ValidationError("warehouse", "wFirma takes stock from the account's active warehouse")

    def _method(self, method: str, field: str) -> str:
        alias = _PAYMENT_ALIASES.get(method.strip().casefold())
        if alias is not None:
            return alias
        return self.payment_type_named(PAYMENT_TYPES, method, field).name

    def _document_tail(self, currency: str, gross: bool, series_id: str | None, reference: str) -> list[Node]:
        fields: list[Node] = [("currency", currency), ("price_type", "brutto" if gross else "netto")]
        if series_id is not None:
            fields.append(("series", [("id", series_id)]))
        fields.append(("id_external", reference))
        return fields

    def _contractor(self, party: Party) -> Node:
        address = party.address
        country = address.country if address is not None else "PL"
        fields: list[Node] = [("name", party.name)]
        if party.tax_id:
            if country == "PL":
                nip = party.tax_id.upper().removeprefix("PL").replace("-", "").replace(" ", "")
                fields += [("tax_id_type", "nip"), ("nip", nip)]
            elif country in EU_COUNTRIES:
                fields += [("tax_id_type", "vat"), ("nip", party.tax_id)]
            else:
                fields += [("tax_id_type", "custom"), ("nip", party.tax_id)]
        else:
            fields.append(("tax_id_type", "none"))
        # W-GUIDE: name, zip and city must not be empty; it sends "-" when unknown.
        if address is not None and address.street:
            fields.append(("street", address.street))
        fields.append(("zip", (address.postal_code if address is not None else None) or "-"))
        fields.append(("city", (address.city if address is not None else None) or "-"))
        fields.append(("country", country))
        if party.email:
            fields.append(("email", party.email))
        if party.phone:
            fields.append(("phone", party.phone))
        return ("contractor", fields)

    def _line(self, line: Line, index: int, codes: Mapping[str, str], goods: Mapping[str, str]) -> Node:
        return ("invoicecontent", self._line_fields(line, index, codes, goods))

    def _line_fields(self, line: Line, index: int, codes: Mapping[str, str], goods: Mapping[str, str]) -> list[Node]:
        where = f"lines[{index}]"
        code = vat_code_of(line.vat)
        vat_id = codes.get(code)
        if vat_id is None:
            raise ValidationError(
                f"{where}.vat", f"wFirma company {self.settings.company_id} has no VAT code {code!r} (vat_codes)"
            )
        fields: list[Node] = [("name", line.name)]
        if line.sku and line.sku in goods:
            fields.append(("good", [("id", goods[line.sku])]))
        fields += [
            ("unit", line.unit),
            ("count", decimal_text(_quantity(line.quantity, f"{where}.quantity"))),
            ("price", decimal_text(_money(line.unit_price, f"{where}.unit_price"))),
            # Always the id: a plain ``vat`` the account lacks is silently reset to 23 % (§16).
            ("vat_code", [("id", vat_id)]),
        ]
        if line.discount_percent is not None:
            # UNCERTAIN (§6.3, §17.4): the doc's switch reading, discount=1 + discount_percent.
            percent = _money(line.discount_percent, f"{where}.discount_percent")
            fields += [("discount", "1"), ("discount_percent", decimal_text(percent))]
        return fields

    # Answers.

    def _sent(self, response: httpx.Response, kind: DocumentKind, reference: str) -> SentDocument:
        row = _first(records(answer(response), "invoices", "invoice"), "invoices/add")
        return self._document(row, kind, reference)

    def _document(self, row: Element, kind: DocumentKind, reference: str) -> SentDocument:
        identifier = text_of(row, "id")
        if identifier is None:
            raise ServerError(f"{self.display_name} returned a document without its id")
        issued = text_of(row, "date")
        try:
            issue_date = dt.date.fromisoformat(issued) if issued else None
        except ValueError:
            issue_date = None
        line_ids = [text_of(content, "id") or "" for content in row.findall("invoicecontents/invoicecontent")]
        raw: dict[str, Any] = {
            "id": identifier,
            "fullnumber": text_of(row, "fullnumber"),
            "type": text_of(row, "type"),
            "series_id": text_of(row, "series/id"),
            "total": text_of(row, "total"),
            "line_ids": line_ids,
            "company_id": self.settings.company_id,
        }
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=text_of(row, "fullnumber") or text_of(row, "number"),
            external_id=identifier,
            issue_date=issue_date,
            raw=raw,
        )


def vat_code_of(vat: VatRate) -> str:
    """The wFirma VAT code of a rate (§6.1): ``23``, ``8``, ``5``, ``0``, ``ZW``, ``NP``, ..."""
    if vat.kind is VatKind.RATE:
        return f"{vat.percent.normalize():f}"
    return _SPECIAL_CODES[vat.kind]


def vat_rate_of(code: str) -> VatRate | None:
    """The rate a wFirma VAT code stands for, or ``None`` for codes this library cannot express."""
    upper = code.upper()
    if upper in _KIND_OF_CODE:
        return VatRate.special(_KIND_OF_CODE[upper])
    number = number_of(upper)
    if number is None or not Decimal(0) <= number < 100:
        return None
    return VatRate.of(number)


def _money(value: Decimal, field: str) -> Decimal:
    # UNCERTAIN: wFirma's examples carry prices with two places; more would be rounded by
    # wFirma and the totals would no longer be the ones the caller computed.
    if value != value.quantize(_CENT):
        raise ValidationError(field, f"{value} has more than two decimal places, which wFirma does not keep")
    return value


def _quantity(value: Decimal, field: str) -> Decimal:
    if value != value.quantize(_COUNT_PLACES):
        raise ValidationError(field, f"{value} has more than four decimal places (wFirma keeps four)")
    return value


def _document_id(document: SentDocument, field: str) -> str:
    identifier = document.external_id
    if not identifier or not identifier.isdigit():
        raise ValidationError(f"{field}.external_id", "is not a wFirma document id")
    return identifier


def _first(rows: list[Element], what: str) -> Element:
    if not rows:
        raise ServerError(f"wFirma's {what} answer holds no record")
    return rows[0]
