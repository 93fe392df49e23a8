"""SmartBill.ro (SmartBill Cloud REST API), sans-I/O.

Facts used here come from SmartBill's Swagger ("SmartBill REST API" 1.0.0) and its
Postman collection (``shared/specs``), as the SmartBill sheet (``shared/providers/smartbill.md``)
records them; the traps this module guards against:

* Errors can arrive with HTTP 200 and a non-empty ``errorText``: that is a failure.
* 30 calls per 10 s per account; the 31st blocks the account for 10 minutes (HTTP 403).
* No idempotency key: a create that timed out is never retried (``AmbiguousOutcome``).
* ``client.saveToDb`` defaults to *true* at SmartBill and then overwrites the stored
  client with every document, so this connector sends ``false`` unless asked.
* VAT names (``taxName``) must be the account's own: they are read with ``GET tax``.
* Numbers are zero-padded strings ("0023") and are kept exactly as returned.
* Only whole invoices can be reversed (``invoice/reverse``); there is no receipt PDF.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Required

import attrs
import httpx

from ..capabilities import Capabilities, Capability, Entry, Support
from ..countries import romanian_name
from ..errors import (
    AccountingError,
    AmbiguousOutcome,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    ProviderValidationError,
    RateLimited,
    UnsupportedOperation,
    ValidationError,
)
from ..flow import Call, Flow
from ..limits import RateLimit, credential_fingerprint
from ..model import (
    Correction,
    DocumentKind,
    Invoice,
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
from ..money import TotalsMethod, document_totals
from ..options import ConnectOptions
from ..provider import (
    Provider,
    RawJSON,
    base_url,
    json_request,
    json_string,
    number_text,
    read_json,
    unreadable_answer,
)

logger = logging.getLogger("accounting_connectors")

BASE_URL = "https://ws.smartbill.ro/SBORO/api/"

MAX_PRODUCTS = 400
"""SmartBill refuses documents with more than 400 product entries (discount lines count)."""

BLOCK_SECONDS = 600.0
"""How long SmartBill blocks an account that exceeded the rate limit (HTTP 403)."""

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(
    Provider.payment_types(
        [
            ("Alta incasare", "Other or unspecified method"), ("Bilet ordin", "Promissory note"), ("Card", "Card"),
            ("Card online", "Online card payment"), ("CEC", "Cheque"),
            ("Chitanta", "Cash, with a receipt (chitanta) issued"), ("Extras de cont", "Bank statement"),
            ("Mandat postal", "Postal order"), ("Ordin plata", "Bank transfer"), ("Ramburs", "Cash on delivery"),
        ],
        receipts=("Chitanta",),
    )
)  # fmt: skip
"""``POST payment`` types, a fixed list documented in the Swagger (there is no endpoint)."""

# The types the invoice's own ``payment`` object accepts (SB-SWAGGER "dateIncasare"); "Bon"
# needs a fiscal printer and is left out.
_AT_ISSUE_TYPES = tuple(
    kind
    for kind in PAYMENT_TYPES
    if kind.name in {"Chitanta", "Card", "CEC", "Bilet ordin", "Ordin plata", "Mandat postal", "Alta incasare"}
)

# VAT treatments that are not a plain percentage, by the names SmartBill predefines.
_SPECIAL_VAT_NAMES: Mapping[VatKind, str] = {
    VatKind.REVERSE_CHARGE: "Taxare inversa",
    VatKind.INTRA_EU: "SDD",  # scutit cu drept de deducere (art. 294 Cod fiscal)
    VatKind.EXPORT: "SDD",
    VatKind.EXEMPT: "SFDD",  # scutit fara drept de deducere (art. 292 Cod fiscal)
}
# Listing and sending agree: a rate read from list_vat_rates() is sent back under the
# same name (SDD serves intra-EU supplies and exports alike; it is listed as INTRA_EU).
_SPECIAL_BY_NAME: Mapping[str, VatKind] = {
    "Taxare inversa": VatKind.REVERSE_CHARGE,
    "SDD": VatKind.INTRA_EU,
    "SFDD": VatKind.EXEMPT,
}

_NOT_FOUND = re.compile(r"(?i)^(factura|documentul|chitanta|proforma)\b.*\bnu (a fost|este) gasit")

# What an error without an errorText means, where SmartBill's status says more than its number.
_WITHOUT_TEXT: Mapping[int, str] = {
    400: "SmartBill rejected the request (HTTP 400)",
    401: "SmartBill refused the username/token, or the company CIF does not belong to this user",
    403: f"SmartBill blocked the account for exceeding 30 calls per 10 seconds ({BLOCK_SECONDS / 60:.0f} minutes)",
    404: "SmartBill blocked the call by its internal rules",
    410: "SmartBill blocked the call by its internal rules",
}

_BOOL = {True: "true", False: "false"}
_EMPTY = json_string("")

_WRAPPERS = ("sbcResponse", "Response", "sbcInvoicePaymentStatusResponse", "sbcSeries", "sbcTaxes")

CAPABILITIES = Capabilities(
    provider="smartbill",
    entries={
        Capability.SEND_INVOICE: Entry(Support.SUPPORTED),
        Capability.SEND_RECEIPT: Entry(Support.SUPPORTED, "chitanta via POST payment"),
        Capability.SEND_CORRECTION: Entry(Support.SUPPORTED, "full reversal (storno) only"),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED, "invoices only; SmartBill has no receipt PDF"),
        Capability.LIST_SERIES: Entry(Support.SUPPORTED),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented fixed list"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "the whole unpaid invoice at once"),
        Capability.SKU_STOCK: Entry(Support.SUPPORTED, "exact unit and warehouse names"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.NOT_SUPPORTED, "SmartBill numbers each series itself"),
        Capability.DOCUMENT_LINK: Entry(Support.SUPPORTED, "opt-in document_links=True (invoice/v2, not in Swagger)"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key"),
        Capability.LOOKUP_BY_REFERENCE: Entry(Support.NOT_SUPPORTED, "no search or listing of invoices"),
        Capability.EINVOICE: Entry(
            Support.NOT_SUPPORTED, "e-Factura is sent from the SmartBill app; status not in the API (EINVOICING §3.7)"
        ),
    },
)


def _needed(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"smartbill needs {attribute.name}", provider="smartbill")


def _vat_names(value: Mapping[VatRate, str] | None) -> dict[VatRate, str]:
    names = dict(value or {})
    for rate, name in names.items():
        if not isinstance(rate, VatRate) or not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"smartbill vat_names maps VatRate to a tax name, not {rate!r}: {name!r}")
    return names


@attrs.frozen(kw_only=True)
class SmartBillSettings:
    """Settings of the SmartBill connector (``ac.connect("smartbill", ...)``)."""

    username: str = attrs.field(validator=_needed)
    """The e-mail address used to log in to SmartBill."""
    token: str = attrs.field(validator=_needed, repr=False)
    """The API token from *Contul Meu > Integrari*."""
    company_vat_code: str = attrs.field(validator=_needed)
    """The issuing company's CIF, e.g. ``"RO12345678"``."""
    invoice_series: str | None = None
    """Series for invoices that name none (else the account's default)."""
    receipt_series: str | None = None
    """Series for receipts (chitante), also used when an invoice is paid at issue by ``Chitanta``."""
    warehouse: str | None = None
    """Stock location (gestiune) for invoices with ``use_stock`` that name none."""
    save_clients: bool = False
    """Let SmartBill store buyers (it then overwrites stored data with every document)."""
    document_links: bool = False
    """Create through ``invoice/v2`` to get the document's public link (``SentDocument.url``,
    SmartBill's ``documentViewUrl``). SmartBill's own plugins use that endpoint for every
    invoice, but it is not in its Swagger and no sample of its answer exists: opt-in."""
    vat_names: Mapping[VatRate, str] = attrs.field(factory=dict, converter=_vat_names, hash=False)
    """SmartBill tax names for given VAT rates, overriding the match against ``GET tax``."""
    walk_in_client_name: str = attrs.field(default="Persoana fizica", validator=_needed)
    """The payer printed on receipts that have no buyer."""
    reference_in_observations: bool = True
    """Write the caller's reference into the document's internal ``observations`` (not
    printed; shown in SmartBill's reports)."""
    base_url: str = attrs.field(default=BASE_URL, converter=base_url)
    """The API root (https; http only on loopback, where the testing kit serves fakes)."""


class SmartBillArgs(ConnectOptions, total=False):
    """The keyword arguments of ``ac.connect("smartbill", ...)``: the settings and the driver's."""

    username: Required[str]
    token: Required[str]
    company_vat_code: Required[str]
    invoice_series: str | None
    receipt_series: str | None
    warehouse: str | None
    save_clients: bool
    document_links: bool
    vat_names: Mapping[VatRate, str] | None
    walk_in_client_name: str
    reference_in_observations: bool
    base_url: str


class SmartBill(Provider):
    """SmartBill.ro connector; build it with ``ac.connect("smartbill", ...)`` (see :class:`SmartBillSettings`)."""

    name: ClassVar[str] = "smartbill"
    title: ClassVar[str] = "SmartBill.ro"
    country: ClassVar[str] = "RO"
    settings_class: ClassVar[type[SmartBillSettings]] = SmartBillSettings
    status_errors: ClassVar = {**Provider.status_errors, 404: PermissionDenied, 410: PermissionDenied}
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(30, 10.0, penalty_seconds=BLOCK_SECONDS),)

    settings: SmartBillSettings

    def __init__(self, settings: SmartBillSettings) -> None:
        super().__init__(settings)
        self.base_url = settings.base_url
        self._authorization = "Basic " + base64.b64encode(f"{settings.username}:{settings.token}".encode()).decode()
        self._taxes: list[tuple[str, Decimal]] | None = None

    def __repr__(self) -> str:
        return f"SmartBill(username={self.settings.username!r}, company_vat_code={self.settings.company_vat_code!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for the same SmartBill login (the limit is per account)."""
        return credential_fingerprint(self.settings.username.casefold())

    def account(self) -> str:
        """The issuing company's CIF: one login can issue for several companies."""
        return self.settings.company_vat_code.upper().removeprefix("RO")

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """SmartBill has no search: the reference is in the document's internal observations."""
        where = "receipts (chitante)" if kind is DocumentKind.RECEIPT else "invoices"
        note = f" whose observations read {_reference_note(reference)!r}" * self.settings.reference_in_observations
        return (
            f"look in SmartBill's {where} of company {self.settings.company_vat_code} for a document{note}, "
            "issued at the time of the export (the series' next number moves by one per document)"
        )

    def secrets(self) -> tuple[str, ...]:
        """The token and the Basic header built from it."""
        return (self.settings.token, self._authorization.removeprefix("Basic "))

    def error_message(self, response: httpx.Response) -> str | None:
        """SmartBill's ``errorText`` (in a root element or not); ``message`` is never an error."""
        body = _unwrap(read_json(response))
        text = str(body.get("errorText") or "").strip() if isinstance(body, dict) else ""
        return text or None

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """The base's status table, except where SmartBill differs.

        Any ``errorText`` is a failure, even under HTTP 200; 403 is the rate-limit block
        (10 minutes); 404 and 410 are SmartBill's internal rules; a 3xx is an error.
        """
        status = response.status_code
        text = self.error_message(response) or _WITHOUT_TEXT.get(status)
        if text is not None and status < 300 and call.creates and _has_number(response):
            # A create answered with a number is a created document, whatever its
            # errorText says: failing it would let the next run issue a second one. The
            # text stays in SentDocument.raw["errorText"] and is logged.
            logger.warning("SmartBill issued %s with a message: %s", call.operation, text)
            return None
        if status == 403:
            return RateLimited(text or "", retry_at=now + BLOCK_SECONDS, response=response)
        if status < 300 and text is None:
            return None
        if status < 300 or status == 400:
            message = text or ""
            if _NOT_FOUND.search(message):
                return NotFound(message, response=response)
            return ProviderValidationError(message, field_errors={"": [message]}, response=response)
        return self.status_error(response, text)

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue an invoice with ``POST invoice`` (``invoice/v2`` with ``document_links``)."""
        self._check_invoice(invoice)
        taxes = yield from self._account_taxes()
        body = self._invoice_body(invoice, taxes)
        path = "invoice/v2" if self.settings.document_links else "invoice"
        response = yield self._post(path, body, operation="send_invoice")
        return self._sent(response, DocumentKind.INVOICE, invoice.reference)

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue a receipt (chitanta) with ``POST payment`` of type ``Chitanta``."""
        totals = document_totals(
            receipt.lines, prices_include_vat=receipt.prices_include_vat, method=TotalsMethod.PER_LINE
        )
        body: dict[str, Any] = {
            "companyVatCode": self.settings.company_vat_code,
            "issueDate": receipt.issue_date.isoformat(),
            "currency": receipt.currency,
            "value": totals.total.gross,
            "type": "Chitanta",
            "isCash": True,
            "isDraft": False,
            "text": receipt.notes or "reprezentand " + ", ".join(line.name for line in receipt.lines),
        }
        series = receipt.series or self.settings.receipt_series
        if series:
            body["seriesName"] = series
        if receipt.language:
            body["language"] = receipt.language.upper()
        if self.settings.reference_in_observations:
            body["observation"] = _reference_note(receipt.reference)  # singular for payments
        # A chitanta names who paid ("Client invalid!" without one), so a walk-in sale
        # is issued to a generic natural person.
        body["client"] = self._client(receipt.buyer or Party(name=self.settings.walk_in_client_name))
        response = yield self._post("payment", body, operation="send_receipt")
        return self._sent(response, DocumentKind.RECEIPT, receipt.reference)

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Reverse a whole invoice (storno) with ``POST invoice/reverse``."""
        if not correction.is_full_reversal:
            raise self.unsupported(
                Capability.SEND_CORRECTION,
                "SmartBill can only reverse a whole invoice (invoice/reverse); it documents no partial "
                "correction. Send Correction.full_reversal(...) and then a new invoice with the corrected lines.",
            )
        series, number = self._document_key(correction.original_document, "correction.original_document")
        body = {
            "companyVatCode": self.settings.company_vat_code,
            "seriesName": series,
            "number": number,
            "issueDate": correction.issue_date.isoformat(),
        }
        response = yield self._post("invoice/reverse", body, operation="send_correction")
        return self._sent(response, DocumentKind.CORRECTION, correction.reference)

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The invoice's PDF from ``GET invoice/pdf``."""
        if document.kind in (DocumentKind.RECEIPT, DocumentKind.PAYMENT):
            raise self.unsupported(Capability.FETCH_PDF, "SmartBill has no PDF endpoint for receipts or payments")
        series, number = self._document_key(document, "document")
        request = httpx.Request(
            "GET",
            self.base_url + "invoice/pdf",
            # SmartBill's own clients spell it "seriesname"; the Swagger has both spellings.
            params={"cif": self.settings.company_vat_code, "seriesname": series, "number": number},
            headers={"Authorization": self._authorization, "Accept": "application/octet-stream"},
        )
        response: httpx.Response = yield Call(request, operation="fetch_pdf")
        return self.pdf_bytes(response, f"invoice {series}{number}")

    def list_series(self) -> Flow[list[Series]]:
        """Every series of the company (``GET series``) with its next number."""
        response = yield self._get("series", operation="list_series")
        kinds = {"f": DocumentKind.INVOICE, "c": DocumentKind.RECEIPT}
        return [
            Series(
                name=str(item["name"]),
                kind=kinds.get(str(item.get("type", ""))),
                next_number=None if item.get("nextNumber") is None else str(item["nextNumber"]),
            )
            for item in _items(response, "list", "name")
        ]

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The company's VAT rates (``GET tax``)."""
        taxes = yield from self._fetch_taxes()
        return [
            VatRateInfo(
                name=name,
                vat=VatRate.special(_SPECIAL_BY_NAME[name]) if name in _SPECIAL_BY_NAME else VatRate.of(percent),
            )
            for name, percent in taxes
        ]

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """SmartBill's documented payment types (a fixed list; no call is made)."""
        return list(PAYMENT_TYPES)
        yield  # a flow with no calls

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Record that an issued invoice was paid in full, with ``POST payment``.

        SmartBill takes the client, currency and *value* from the invoice when a payment
        refers to it (``useInvoiceDetails``), and matching a payment to an invoice
        otherwise needs the buyer's exact details. So the connector first reads
        ``GET invoice/paymentstatus`` and records only a payment of the whole, still
        unpaid, invoice; anything else is refused before the create.
        """
        series, number = self._document_key(document, "document")
        payment_type = self.payment_type_named(PAYMENT_TYPES, payment.method).name
        receipt_series = self._receipt_series("payment.method") if payment_type == "Chitanta" else None
        status = yield self._get(
            "invoice/paymentstatus", operation="record_payment", params={"seriesname": series, "number": number}
        )
        total, paid = _amounts(status, "invoiceTotalAmount", "paidAmount")
        if paid != 0 or payment.amount != total:
            raise UnsupportedOperation(
                f"SmartBill records a payment against an invoice for the invoice's whole value only; "
                f"{series}{number} totals {total} with {paid} already paid, and the payment is "
                f"{payment.amount}. Record partial payments in SmartBill itself."
            )
        body: dict[str, Any] = {
            "companyVatCode": self.settings.company_vat_code,
            "type": payment_type,
            "isCash": payment_type == "Chitanta",
            "value": payment.amount,
            "useInvoiceDetails": True,
            "invoicesList": [{"seriesName": series, "number": number}],
        }
        if receipt_series:
            body["seriesName"] = receipt_series
        if payment.paid_on is not None:  # else SmartBill dates the payment today
            body["issueDate"] = payment.paid_on.isoformat()
        response = yield self._post("payment", body, operation="record_payment")
        kind = DocumentKind.RECEIPT if receipt_series else DocumentKind.PAYMENT
        return self._sent(response, kind, document.reference, require_number=kind is DocumentKind.RECEIPT)

    # Requests and parsing.

    def _post(self, path: str, body: Mapping[str, Any], *, operation: str) -> Call:
        request = json_request("POST", self.base_url + path, body, headers={"Authorization": self._authorization})
        return Call(request, operation=operation, creates=True)

    def _get(self, path: str, *, operation: str, params: Mapping[str, str] | None = None) -> Call:
        request = json_request(
            "GET",
            self.base_url + path,
            params={"cif": self.settings.company_vat_code, **(params or {})},
            headers={"Authorization": self._authorization},
        )
        return Call(request, operation=operation)

    def _fetch_taxes(self) -> Flow[list[tuple[str, Decimal]]]:
        response = yield self._get("tax", operation="list_vat_rates")
        taxes: list[tuple[str, Decimal]] = []
        for item in _items(response, "taxes", "name"):
            percentage = item.get("percentage")
            if not _is_number(percentage):
                raise unreadable_answer(response, "a list of VAT rates with percentages", "SmartBill")
            taxes.append((item["name"], Decimal(str(percentage))))
        self._taxes = taxes
        return taxes

    def _account_taxes(self) -> Flow[list[tuple[str, Decimal]]]:
        if self._taxes is not None:
            return self._taxes
        return (yield from self._fetch_taxes())

    def _sent(
        self, response: httpx.Response, kind: DocumentKind, reference: str, *, require_number: bool = True
    ) -> SentDocument:
        body = _unwrap(read_json(response))
        number = str(body.get("number") or "") or None if isinstance(body, dict) else None
        if not isinstance(body, dict) or (require_number and number is None):
            # The create was answered with success (no errorText), so the document may
            # exist: an answer we cannot read is an unknown outcome, never a failure.
            what = "is not JSON" if not isinstance(body, dict) else "has no number"
            raise AmbiguousOutcome(
                f"SmartBill accepted the request but its answer {what}; it is not sent again. "
                f"Check SmartBill before sending {reference!r} again.",
                response=response,
            )
        document_id = body.get("documentId")
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=number,
            series=str(body.get("series") or "") or None,
            external_id=None if document_id in (None, "", -1) else str(document_id),
            # A link meant for the buyer is the public documentViewUrl; documentUrl is the
            # edit link behind a SmartBill login (SB-POSTMAN), kept in raw only.
            url=str(body.get("documentViewUrl") or "") or None,
            raw=body,
        )

    def _document_key(self, document: SentDocument, field: str) -> tuple[str, str]:
        self.own_document(document, field)
        if not document.series or not document.number:
            raise ValidationError(f"{field}.number", "SmartBill finds documents by series and number; both are needed")
        return document.series, document.number

    def _check_invoice(self, invoice: Invoice) -> None:
        if invoice.number is not None:
            raise ValidationError("number", "SmartBill numbers invoices itself; leave number empty")
        entries = len(invoice.lines) + sum(1 for line in invoice.lines if line.discount_percent is not None)
        if entries > MAX_PRODUCTS:
            raise ValidationError("lines", f"SmartBill accepts at most {MAX_PRODUCTS} entries; this needs {entries}")
        if invoice.use_stock and not (invoice.warehouse or self.settings.warehouse):
            raise ValidationError("warehouse", "stock transfer needs the SmartBill warehouse name (gestiune)")
        payment = invoice.payment
        if payment is not None and self.payment_type_named(_AT_ISSUE_TYPES, payment.method).name == "Chitanta":
            self._receipt_series("payment.method")

    def _receipt_series(self, field: str) -> str:
        if not self.settings.receipt_series:
            raise ValidationError(field, "a Chitanta payment issues a receipt: configure receipt_series")
        return self.settings.receipt_series

    def _invoice_body(self, invoice: Invoice, taxes: Sequence[tuple[str, Decimal]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "companyVatCode": self.settings.company_vat_code,
            "client": self._client(invoice.buyer),
            "issueDate": invoice.issue_date.isoformat(),
            "currency": invoice.currency,
            "isDraft": False,
            "useStock": invoice.use_stock,
            "products": self._products(invoice, taxes),
        }
        series = invoice.series or self.settings.invoice_series
        if series:
            body["seriesName"] = series
        if invoice.due_date:
            body["dueDate"] = invoice.due_date.isoformat()
        if invoice.sale_date:
            body["deliveryDate"] = invoice.sale_date.isoformat()
        if invoice.language:
            body["language"] = invoice.language.upper()
        if invoice.exchange_rate is not None:
            body["exchangeRate"] = invoice.exchange_rate
        if invoice.notes:
            body["mentions"] = invoice.notes
        if self.settings.reference_in_observations:
            # Not printed; it lets a person find the invoice of an order in SmartBill's
            # reports when an outcome has to be checked by hand.
            body["observations"] = _reference_note(invoice.reference)
        if invoice.payment is not None:
            payment_type = self.payment_type_named(_AT_ISSUE_TYPES, invoice.payment.method).name
            collected: dict[str, Any] = {
                "value": invoice.payment.amount,
                "type": payment_type,
                "isCash": payment_type == "Chitanta",
            }
            if payment_type == "Chitanta":
                collected["paymentSeries"] = self._receipt_series("payment.method")
            body["payment"] = collected
            if invoice.payment.paid_on is not None:
                body["paymentDate"] = invoice.payment.paid_on.isoformat()
        return body

    def _client(self, party: Party) -> dict[str, Any]:
        address = party.address
        country = address.country if address else "RO"
        client: dict[str, Any] = {
            "name": party.name,
            # SmartBill takes "-" for a person without a CNP (SB-SWAGGER "Date client").
            "vatCode": party.tax_id or "-",
            # A VAT payer: a Romanian CIF with the RO prefix, or any company abroad with a tax id.
            "isTaxPayer": bool(
                party.is_company and party.tax_id and (country != "RO" or party.tax_id.upper().startswith("RO"))
            ),
            "address": (address.street if address else None) or "-",
            "city": (address.city if address else None) or "-",
            "country": romanian_name(country),
            "saveToDb": self.settings.save_clients,
        }
        if address and address.region:
            client["county"] = address.region
        if party.registration_number:
            client["regCom"] = party.registration_number
        if party.email:
            client["email"] = party.email
        if party.phone:
            client["phone"] = party.phone
        return client

    def _products(self, invoice: Invoice, taxes: Sequence[tuple[str, Decimal]]) -> RawJSON:
        """The ``products`` array, written as JSON text directly.

        This is the bulk of every invoice; writing it with f-strings instead of building a
        dict per line for the encoder takes a third of the time (benchmarks/overhead.py).
        The field names are SmartBill's ("Informatii despre produs", SB-SWAGGER).
        """
        currency = json_string(invoice.currency)
        tax_included = _BOOL[invoice.prices_include_vat]
        warehouse = json_string(invoice.warehouse or self.settings.warehouse or "")
        stock = invoice.use_stock
        entries: list[str] = []
        # One lookup per distinct rate, not per line: invoices repeat a few rates. The key is
        # a plain tuple because comparing VatRate objects runs Python code on every line.
        taxes_by_rate: dict[tuple[VatKind, Decimal], str] = {}
        for index, line in enumerate(invoice.lines):
            rate_key = (line.vat.kind, line.vat.percent)
            tax = taxes_by_rate.get(rate_key)
            if tax is None:
                name = self._tax_name(line.vat, taxes, f"lines[{index}].vat")
                tax = taxes_by_rate[rate_key] = (
                    f'"taxName":{json_string(name)},"taxPercentage":{number_text(line.vat.percent)}'
                )
            unit = json_string(line.unit)
            code = f',"code":{json_string(line.sku)}' if line.sku else ""
            entries.append(
                f'{{"name":{json_string(line.name)},"isDiscount":false,"measuringUnitName":{unit},'
                f'"currency":{currency},"quantity":{number_text(line.quantity)},'
                f'"price":{number_text(line.unit_price)},"isTaxIncluded":{tax_included},{tax},'
                f'"isService":{_BOOL[line.is_service]},"saveToDb":false,'
                # An empty warehouse name when not using stock, as the Swagger asks.
                f'"warehouseName":{warehouse if stock and not line.is_service else _EMPTY}{code}}}'
            )
            if line.discount_percent is not None:
                # A percentage discount covering the one line before it ("dateDiscount").
                entries.append(
                    f'{{"name":{json_string("Discount " + line.name)},"isDiscount":true,"numberOfItems":1,'
                    f'"measuringUnitName":{unit},"currency":{currency},"isTaxIncluded":{tax_included},{tax},'
                    f'"discountType":2,"discountPercentage":{number_text(line.discount_percent)}}}'
                )
        return RawJSON("[" + ",".join(entries) + "]")

    def _tax_name(self, vat: VatRate, taxes: Sequence[tuple[str, Decimal]], field: str) -> str:
        if vat in self.settings.vat_names:
            return self.settings.vat_names[vat]
        if vat.kind is not VatKind.RATE:
            name = _SPECIAL_VAT_NAMES.get(vat.kind)
            if name is None or all(tax_name != name for tax_name, _ in taxes):
                raise ValidationError(
                    field, f"the SmartBill account has no VAT name for {vat}; pass vat_names={{rate: 'Name'}}"
                )
            return name
        for name, percent in taxes:
            if percent == vat.percent and name not in _SPECIAL_BY_NAME:
                return name
        listed = ", ".join(f"{name} {percent}%" for name, percent in taxes) or "none"
        raise ValidationError(field, f"the SmartBill account has no {vat} VAT rate (it has: {listed})")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, Decimal, str)) and not isinstance(value, bool) and _finite(str(value))


def _finite(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except ArithmeticError:
        return False


def _reference_note(reference: str) -> str:
    return f"ref: {reference}"


def _has_number(response: httpx.Response) -> bool:
    body = _unwrap(read_json(response))
    return isinstance(body, dict) and bool(str(body.get("number") or "").strip())


def _unwrap(body: Any) -> Any:
    # The Swagger models show XML root elements (sbcResponse, ...); JSON answers are flat in
    # SmartBill's own samples. UNCERTAIN which JSON ever carries a root: accept both.
    if isinstance(body, dict) and len(body) == 1:
        ((key, value),) = body.items()
        if key in _WRAPPERS and isinstance(value, dict):
            return value
    return body


def _amounts(response: httpx.Response, *keys: str) -> tuple[Decimal, ...]:
    body = _unwrap(read_json(response))
    values = body if isinstance(body, dict) else {}
    found = tuple(values.get(key) for key in keys)
    if not all(isinstance(value, (int, Decimal, str)) and not isinstance(value, bool) for value in found):
        raise unreadable_answer(response, f"an object with {', '.join(keys)}", "SmartBill")
    return tuple(Decimal(str(value)) for value in found)


def _items(response: httpx.Response, key: str, *names: str) -> list[dict[str, Any]]:
    # An answer that cannot be read is an error, never an empty list (an empty VAT list
    # would refuse every invoice with a misleading message). ``names`` must be non-empty
    # strings in every item.
    body = _unwrap(read_json(response))
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and all(isinstance(item.get(name), str) and item[name] for name in names)
        for item in items
    ):
        raise unreadable_answer(response, f"an object with a {key!r} list", "SmartBill")
    return items
