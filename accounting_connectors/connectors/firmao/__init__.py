"""Firmao.pl (REST API ``/{organizationId}/svc/v1/``), sans-I/O.

Facts used here come from the project's Firmao sheet (``firmao.md``), whose only official
source is Firmao's API guide (F-DOC). Invoices, receipts and corrections are all
*transactions*. The traps this module guards against:

* A create answers HTTP 201 with a **change log** listing every object it touched; the new
  id is the ``objectId`` of the ``CREATE`` entry whose ``objectClass`` is ``transaction``,
  not the first entry (the log also lists customers and commission records). A 201
  without that entry is an :class:`~accounting_connectors.errors.AmbiguousOutcome`.
* There is no idempotency key. The only guard is that a sale ``transactionNumber`` is
  unique (400 ``transactionNumberAlreadyExists`` with a ``suggestedNumber``). Numbers are
  always chosen by the client: the caller's own, or ``invoicenumbers/next`` read right
  before the POST. A lost or failed answer to a create is reconciled by looking the
  number up; a refused number is looked up before anything else is done, and a caller's
  own number is never replaced.
* ``createCustomerIfNeeded`` attaches an existing customer **by name** (namesakes merge),
  so company buyers are matched by NIP first.
* Nested fields are written flat with dots (``customerAddress.city``); a PUT with nested
  objects is refused, and a PUT with several fields "may misbehave" (F-DOC), so every PUT
  here carries one field and is verified by reading back.
* List filters that a field does not support may be ignored; every lookup checks the
  rows it gets, and a lookup whose filter was evidently ignored is an error, not "none".
* Limits are undocumented; HTTP 429 has been seen live, and a production module spaces
  calls 1 s apart and waits 5 s after a 429 (F-MAG): 1 request/s, backing off 5 s to 30 s.
"""

from __future__ import annotations

import base64
import datetime as dt
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
    ProviderError,
    ProviderValidationError,
    RateLimited,
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
)
from ...provider import Provider, json_request, read_json
from .settings import DEFAULT_PAYMENT_METHODS, HOST, PAYMENT_TYPES, FirmaoArgs, FirmaoSettings
from .wire import (
    EntryAmounts,
    created_id,
    date_text,
    entry_amounts,
    money_text,
    next_number,
    quantity,
    total,
    unit_net_price,
    vat_percent,
)

__all__ = ["CAPABILITIES", "HOST", "PAYMENT_TYPES", "Firmao", "FirmaoArgs", "FirmaoSettings"]

CAPABILITIES = Capabilities(
    provider="firmao",
    entries={
        Capability.SEND_INVOICE: Entry(
            Support.SUPPORTED, "transaction INVOICE; net prices; zw/np refused (no documented code)"
        ),
        Capability.SEND_RECEIPT: Entry(
            Support.SUPPORTED, "opt-in receipts=True: type RECEIPT is inferred, not documented; no fiscal printer"
        ),
        Capability.SEND_CORRECTION: Entry(
            Support.SUPPORTED, "CORRECTION with before/after entries per line; totals sent as the difference"
        ),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED, "print template per kind (Faktura, Faktura_korygujaca2)"),
        Capability.LIST_SERIES: Entry(Support.SUPPORTED, "numbering lines (invoicenumbers)"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented CASH and TRANSFER only; no endpoint"),
        Capability.LIST_VAT_RATES: Entry(
            Support.NOT_SUPPORTED, "Firmao has no VAT listing endpoint; vatPercent is sent as a number"
        ),
        Capability.RECORD_PAYMENT: Entry(
            Support.SUPPORTED, "PUT paid / paidValue one field at a time, verified by reading back; no payment date"
        ),
        Capability.SKU_STOCK: Entry(
            Support.SUPPORTED,
            "use_stock links catalogue products by productCode; whether an invoice moves stock is an "
            "organisation setting",
        ),
        Capability.EXTERNAL_NUMBERING: Entry(
            Support.SUPPORTED, "the caller's number is the transactionNumber; a taken number is refused"
        ),
        Capability.DOCUMENT_LINK: Entry(Support.NOT_SUPPORTED, "Firmao gives no public link; PDFs need the API login"),
        Capability.NATIVE_IDEMPOTENCY: Entry(
            Support.NOT_SUPPORTED, "no idempotency key; the unique sale transactionNumber is the guard"
        ),
        Capability.LOOKUP_BY_REFERENCE: Entry(
            Support.SUPPORTED, "by the reference in invoiceAnnotations or a custom field; rows checked client-side"
        ),
    },
)

_TYPES: Mapping[DocumentKind, tuple[str, str]] = {
    DocumentKind.INVOICE: ("INVOICE", "invoice"),
    # UNCERTAIN 1: the numbering API's lower-case "receipt", upper-cased as INVOICE/CORRECTION are.
    DocumentKind.RECEIPT: ("RECEIPT", "receipt"),
    DocumentKind.CORRECTION: ("CORRECTION", "correction"),
}
"""The POST ``type`` and the ``invoicenumbers/next`` type of each kind (F-DOC §2e, §4o)."""

_COUNTRIES: Mapping[str, str] = {
    "PL": "Polska", "DE": "Niemcy", "CZ": "Czechy", "SK": "Słowacja", "LT": "Litwa", "UA": "Ukraina",
    "GB": "Wielka Brytania", "FR": "Francja", "IT": "Włochy", "ES": "Hiszpania", "NL": "Holandia",
    "AT": "Austria", "BE": "Belgia", "US": "Stany Zjednoczone", "SE": "Szwecja", "DK": "Dania",
}  # fmt: skip
"""F-DOC writes ``customerAddress.country`` as a Polish name (``Polska``); UNCERTAIN, other codes
are sent as the ISO code."""

_LIMIT = 50
_MAX_PAGES = 20
_MARKER = "Zamówienie "
"""The prefix of the annotation line that holds the caller's reference (firmao.md §4, §14)."""

_NOT_DIGIT = re.compile(r"\D")
_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class Firmao(Provider):
    """Firmao.pl connector: invoices, receipts and corrections as transactions of one organization."""

    name: ClassVar[str] = "firmao"
    title: ClassVar[str] = "Firmao.pl"
    country: ClassVar[str] = "PL"
    settings_class: ClassVar[type[Any]] = FirmaoSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # UNCERTAIN 12: undocumented; 429 seen live and F-MAG spaces calls 1 s apart.
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(1, 1.0),)
    # Numbers come from invoicenumbers/next, read before each POST: documents sent side by
    # side would read the same number (one then retries with the suggestion), and at one
    # call per second concurrency gains nothing. Bulk export sends them one after another.
    one_document_at_a_time: ClassVar[bool] = True
    retry_after_default: ClassVar[float | None] = 5.0
    """F-MAG waits 5 s after a 429 (which names no Retry-After); repeated 429s back off to 30 s."""

    settings: FirmaoSettings

    def __init__(self, settings: FirmaoSettings) -> None:
        super().__init__(settings)
        self.root = f"{settings.base_url}{settings.organization_id}/svc/v1/"
        """The API root of the organization (``https://system.firmao.pl/{organizationId}/svc/v1/``)."""
        token = base64.b64encode(f"{settings.login}:{settings.password}".encode()).decode()
        self._token = token
        self._headers = {"Authorization": "Basic " + token}
        methods = {**DEFAULT_PAYMENT_METHODS, **settings.payment_methods}
        self._methods = {key.casefold(): value for key, value in methods.items()}
        self._lines: list[Mapping[str, Any]] | None = None
        self._throttled = 0

    def __repr__(self) -> str:
        return f"Firmao(organization_id={self.settings.organization_id!r}, login={self.settings.login!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for the same organization: the limit is the safest reading, one pace per organization."""
        return credential_fingerprint(self.settings.base_url, self.settings.organization_id.casefold())

    def account(self) -> str:
        """The organization id: documents belong to the organization, whatever API login issues them."""
        return self.settings.organization_id

    def secrets(self) -> tuple[str, ...]:
        """The password and the Basic token built from it."""
        return (self.settings.password, self._token)

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where the reference is kept in Firmao."""
        where = (
            f"custom field {self.settings.reference_field} equal to {reference!r}"
            if self.settings.reference_field
            else f"invoice annotations with the line {_MARKER + reference!r}"
        )
        return (
            f"look in Firmao's sales transactions of organization {self.settings.organization_id} for a "
            f"{_TYPES.get(kind, ('document',))[0]} with {where}; its number is the one the error names"
        )

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map Firmao's answer; a 429 without Retry-After backs off 5 s, doubling to 30 s."""
        status = response.status_code
        if status < 400:
            self._throttled = 0
            return None
        if status == 429:
            self._throttled += 1
            error = RateLimited(
                "Firmao refused a call made too soon (HTTP 429; it is paced at about 1 request per second)",
                response=response,
            )
            if "Retry-After" not in response.headers:
                error.retry_at = now + min(5.0 * 2 ** (self._throttled - 1), 30.0)
            return error
        return self.status_error(response)

    def error_message(self, response: httpx.Response) -> str | None:
        """Firmao's JSON error (``errorCode``, ``field``, ``rejectedValue``, ``additionalInfo``) in words."""
        body = read_json(response)
        if isinstance(body, Mapping) and isinstance(body.get("errorCode"), str):
            return _describe(body)
        return super().error_message(response)

    def field_errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """The field a Firmao error names (``field``, or ``fieldName`` of duplicates)."""
        body = read_json(response)
        if not isinstance(body, Mapping) or not isinstance(body.get("errorCode"), str):
            return {}
        text = _describe(body)
        field = body.get("field") or body.get("fieldName")
        if isinstance(field, str) and field:
            return {field: [text]}
        if body["errorCode"] == "transactionNumberAlreadyExists":
            # The body names no field; the refused value is the transaction number (F-DOC §2e).
            return {"transactionNumber": [text]}
        return {"": [text]}

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue an invoice: ``POST transactions`` with ``type: INVOICE``."""
        _check_language(invoice.language)
        _check_numbering(invoice.series, invoice.number)
        priced = _priced(invoice.lines, invoice.prices_include_vat, "lines")
        totals = total(amount for _, _, amount in priced)
        paid = Decimal("0.00")
        payment_type = self.settings.default_payment_type
        if invoice.payment is not None:
            payment_type = self._payment_type(invoice.payment.method, "payment.method")
            paid = invoice.payment.amount
            if paid > totals.gross:
                raise ValidationError("payment.amount", f"{paid} is more than the invoice's {totals.gross}")
        due = invoice.due_date or invoice.issue_date + dt.timedelta(days=self.settings.payment_days)
        products: dict[str, int] = {}
        if invoice.use_stock:
            products = yield from self._products(invoice.lines)
        buyer = yield from self._buyer(invoice.buyer)
        number, local = yield from self._number(DocumentKind.INVOICE, invoice.series, invoice.number)
        body: dict[str, Any] = {
            "type": "INVOICE",
            "mode": "SALE",
            "transactionNumber": number,
            "invoiceDate": date_text(invoice.issue_date),
            "transactionDate": date_text(invoice.sale_date or invoice.issue_date),
            "paymentDate": date_text(due),
            "paymentType": payment_type,
            "currency": invoice.currency,
            "paid": paid == totals.gross,
            "paidValue": paid,
            "restOfPaidValue": totals.gross - paid,
            "calculateFromGross": False,
            **buyer,
            **self._reference_fields(invoice.reference, invoice.notes, invoice.lines),
            "transactionEntries": [_entry(line, priced[index], products) for index, line in enumerate(invoice.lines)],
            **_totals(totals),
        }
        if invoice.exchange_rate is not None:
            body["exchangeRate"] = invoice.exchange_rate
        if self.settings.issuing_person:
            body["issuingPerson"] = self.settings.issuing_person
        if invoice.use_stock:
            # UNCERTAIN 10: AUTO_UPDATE is the value storage documents show (F-DOC §4l); whether an
            # invoice then moves stock depends on the organisation's settings.
            body["storageStateUpdate"] = "AUTO_UPDATE"
            warehouse = _warehouse(invoice.warehouse, self.settings.warehouse_id)
            if warehouse is not None:
                body["warehouse.id"] = warehouse
        return (yield from self._create(body, DocumentKind.INVOICE, invoice.reference, number, local))

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue a receipt (paragon): ``POST transactions`` with ``type: RECEIPT`` (opt-in, UNCERTAIN 1)."""
        if not self.settings.receipts:
            raise self.unsupported(
                Capability.SEND_RECEIPT,
                "receipts are off: Firmao documents the numbering type 'receipt' but not the POST value; "
                "connect with receipts=True to send type RECEIPT",
            )
        _check_language(receipt.language)
        _check_numbering(receipt.series, receipt.number)
        priced = _priced(receipt.lines, receipt.prices_include_vat, "lines")
        totals = total(amount for _, _, amount in priced)
        payment_type = self._payment_type(receipt.payment_method, "payment_method")
        buyer = yield from self._buyer(receipt.buyer)
        number, local = yield from self._number(DocumentKind.RECEIPT, receipt.series, receipt.number)
        day = date_text(receipt.issue_date)
        body: dict[str, Any] = {
            "type": "RECEIPT",
            "mode": "SALE",
            "transactionNumber": number,
            "invoiceDate": day,
            "transactionDate": day,
            "paymentDate": day,
            "paymentType": payment_type,
            "currency": receipt.currency,
            "paid": True,
            "paidValue": totals.gross,
            "restOfPaidValue": Decimal("0.00"),
            "calculateFromGross": False,
            **buyer,
            **self._reference_fields(receipt.reference, receipt.notes, receipt.lines),
            "transactionEntries": [_entry(line, priced[index], {}) for index, line in enumerate(receipt.lines)],
            **_totals(totals),
        }
        if self.settings.issuing_person:
            body["issuingPerson"] = self.settings.issuing_person
        return (yield from self._create(body, DocumentKind.RECEIPT, receipt.reference, number, local))

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Correct an invoice: ``type: CORRECTION`` with a before and an after entry per original line."""
        original = correction.original
        document = self.own_document(correction.original_document, "correction.original_document")
        original_id = _document_id(document, "correction.original_document")
        if not document.number:
            raise ValidationError("correction.original_document.number", "is needed as connectedDocNumber")
        before = _priced(original.lines, original.prices_include_vat, "original.lines")
        after = _priced(correction.lines, original.prices_include_vat, "lines")
        difference = total(new[2] for new in after) - total(old[2] for old in before)
        response = yield self._get(
            "transactionentries",
            "send_correction",
            {"transaction(eq)": str(original_id), "sort": "id", "dir": "ASC", "limit": str(_LIMIT)},
        )
        originals = [row for row in _rows(response) if _same_id(_nested_id(row.get("transaction")), original_id)]
        if len(originals) != len(original.lines):
            raise ProviderError(
                f"Firmao lists {len(originals)} entries for transaction {original_id}, the invoice as sent has "
                f"{len(original.lines)} lines: they cannot be paired for a correction",
                response=response,
            )
        buyer = yield from self._buyer(original.buyer)
        number, local = yield from self._number(DocumentKind.CORRECTION, None, None)
        entries: list[dict[str, Any]] = []
        for index, (old_line, new_line) in enumerate(zip(original.lines, correction.lines, strict=True)):
            row = originals[index]
            product = _nested_id(row.get("product"))
            linked = {old_line.sku: product} if old_line.sku and product is not None else {}
            first, second = 2 * index + 1, 2 * index + 2
            entries.append({"baseEntryId": row.get("id"), "recordId": first, **_entry(old_line, before[index], linked)})
            entries[-1].update(_CORRECTION_ENTRY)
            entries.append({"invalidRecordId": first, "recordId": second, **_entry(new_line, after[index], linked)})
            entries[-1].update(_CORRECTION_ENTRY)
        due = original.due_date or correction.issue_date + dt.timedelta(days=self.settings.payment_days)
        body: dict[str, Any] = {
            "type": "CORRECTION",
            "mode": "SALE",
            "transactionNumber": number,
            "connectedDocNumber": document.number,
            "connectedDocDate": date_text(original.issue_date),
            "correctionCause": correction.reason,
            "invoiceDate": date_text(correction.issue_date),
            "transactionDate": date_text(original.sale_date or original.issue_date),
            "paymentDate": date_text(max(due, correction.issue_date)),
            "paymentType": self.settings.default_payment_type,
            "currency": original.currency,
            "paid": False,
            "paidValue": Decimal("0.00"),
            # UNCERTAIN 6: F-DOC's example is inconsistent; the difference is sent, as the sheet advises.
            "restOfPaidValue": difference.gross,
            "calculateFromGross": False,
            **buyer,
            **self._reference_fields(correction.reference, None, ()),
            "transactionEntries": entries,
            **_totals(difference),
            "lastSelectedInvoiceReport": self.settings.correction_template,
        }
        if self.settings.issuing_person:
            body["issuingPerson"] = self.settings.issuing_person
        return (yield from self._create(body, DocumentKind.CORRECTION, correction.reference, number, local))

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The PDF from ``GET reports/invoices/transaction/{template}/{fileName}.pdf?original=true&id=``."""
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise self.unsupported(Capability.FETCH_PDF, "a payment is not a printable Firmao document")
        identifier = _document_id(document, "document")
        template = {
            DocumentKind.INVOICE: self.settings.invoice_template,
            DocumentKind.RECEIPT: self.settings.receipt_template,
            DocumentKind.CORRECTION: self.settings.correction_template,
        }[document.kind]
        # fileName only names the download (F-DOC §7): one safe path segment.
        file_name = _FILE_NAME.sub("_", document.number or str(identifier)).strip("_") or str(identifier)
        request = httpx.Request(
            "GET",
            f"{self.root}reports/invoices/transaction/{template}/{file_name}.pdf",
            params={"original": "true", "id": str(identifier)},
            headers={**self._headers, "Accept": "application/pdf"},
        )
        response: httpx.Response = yield Call(request, "fetch_pdf")
        return self.pdf_bytes(response, f"transaction {identifier}")

    def list_series(self) -> Flow[list[Series]]:
        """The numbering lines (``GET invoicenumbers?dataFormat=MEDIUM``)."""
        lines = yield from self._numbering_lines("list_series")
        default = self.settings.numbering_line_id
        if default is None and lines:
            default = _int(lines[0].get("id"))
        return [
            Series(name=_line_name(line), is_default=_int(line.get("id")) == default)
            for line in lines
            if _int(line.get("id")) is not None
        ]

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """Firmao's documented payment types, CASH and TRANSFER (a fixed list; no call is made)."""
        return list(PAYMENT_TYPES)
        yield  # a flow with no calls

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Record money received: ``PUT transactions/{id}`` with ``paid`` (the rest) or ``paidValue``.

        UNCERTAIN 7: the generic PUT is not shown for transactions; one field per PUT (F-DOC's
        warning), then the transaction is read back to confirm. Firmao keeps no payment date or
        method beyond the invoice's own, so ``paid_on`` and ``method`` are not sent.
        """
        self.own_document(document)
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "payments are recorded against invoices")
        identifier = _document_id(document, "document")
        row = yield from self._transaction(identifier, "record_payment")
        if row is None:
            raise NotFound(f"Firmao has no transaction {identifier}", provider=self.name, operation="record_payment")
        gross = _decimal(row.get("transactionBruttoPrice"))
        already = _decimal(row.get("paidValue"))
        rest = gross - already
        if row.get("paid") is True or rest <= 0:
            raise ValidationError("document", f"transaction {identifier} is already paid")
        if payment.amount > rest:
            raise ValidationError("payment.amount", f"{payment.amount} is more than the unpaid {rest}")
        settles = payment.amount == rest
        target = already + payment.amount
        change: dict[str, Any] = {"paid": True} if settles else {"paidValue": target}
        yield self._put(identifier, change, "record_payment")
        row = yield from self._transaction(identifier, "record_payment")
        if settles and row is not None and row.get("paid") is True and _decimal(row.get("paidValue")) != gross:
            # "then paidValue in a second PUT if needed" (firmao.md §11).
            yield self._put(identifier, {"paidValue": gross}, "record_payment")
            row = yield from self._transaction(identifier, "record_payment")
        if row is None or _decimal(row.get("paidValue")) != target:
            raise ProviderError(
                f"Firmao accepted the change but transaction {identifier} does not show {target} paid; "
                "check it in Firmao",
                provider=self.name,
                operation="record_payment",
            )
        return _sent_document(row, DocumentKind.INVOICE, document.reference, document.number, identifier, None)

    def find_document(self, kind: DocumentKind, reference: str) -> Flow[SentDocument | None]:
        """The sale transaction carrying ``reference``, or ``None`` when Firmao shows there is none.

        UNCERTAIN 13: whether a field supports a filter is not documented and an unsupported
        filter may be ignored, so every row is checked; when the rows show the filter was
        ignored, the answer is an error rather than a false "none".
        """
        if kind not in _TYPES:
            raise self.unsupported(Capability.LOOKUP_BY_REFERENCE, "payments are not documents in Firmao")
        post_type = _TYPES[kind][0]
        if self.settings.reference_field:
            key, wanted = f"{self.settings.reference_field}(eq)", reference
        else:
            key, wanted = "invoiceAnnotations(contains)", _MARKER + reference
        start = 0
        for _ in range(_MAX_PAGES):
            params = {
                "mode(eq)": "SALE",
                "type(eq)": post_type,
                key: wanted,
                "dataFormat": "MEDIUM",
                "start": str(start),
                "limit": str(_LIMIT),
                "sort": "id",
                "dir": "ASC",
            }
            response = yield self._get("transactions", "find_document", params)
            rows = _rows(response)
            for row in rows:
                if not self._matches_filter(row, wanted):
                    raise ProviderError(
                        f"Firmao ignored the filter {key}: it listed transaction {row.get('id')} that does not "
                        f"carry {wanted!r}, so the lookup cannot tell whether the document exists",
                        response=response,
                    )
            for row in rows:
                if row.get("type") == post_type and row.get("mode", "SALE") == "SALE" and self._carries(row, reference):
                    identifier = _int(row.get("id"))
                    return _sent_document(row, kind, reference, None, identifier, None)
            size = _int(_body(response).get("totalSize"))
            start += len(rows)
            if len(rows) < _LIMIT or (size is not None and size >= 0 and start >= size):
                return None
        raise ProviderError(f"more than {_MAX_PAGES * _LIMIT} transactions match {wanted!r}; check Firmao")

    # The create, and what follows an answer that is not a plain success.

    def _create(
        self, body: dict[str, Any], kind: DocumentKind, reference: str, number: str, local: bool
    ) -> Flow[SentDocument]:
        operation = f"send_{kind.value}"
        suggested_used = False
        while True:
            try:
                response: httpx.Response = yield Call(self._post("transactions", body), operation, creates=True)
            except AmbiguousOutcome:
                # The number is unique per sale: if a transaction with it carries this reference,
                # the create took effect (firmao.md §14). Otherwise it stays ambiguous; never resent.
                found = yield from self._reconcile(kind, reference, number)
                if found is None:
                    raise
                return found
            except ProviderValidationError as error:
                suggested = _suggested_number(error.response)
                if suggested is None:
                    raise
                existing = yield from self._lookup_number(number, kind, operation)
                if existing is not None and self._carries(existing, reference):
                    # An earlier send of this document took the number: that is the document.
                    return _sent_document(existing, kind, reference, number, _int(existing.get("id")), None)
                if local or suggested_used or not suggested:
                    raise ProviderValidationError(
                        f"transactionNumber {number} is already used by another Firmao document "
                        f"(Firmao suggests {suggested or 'no other number'}); nothing was created",
                        field_errors={"transactionNumber": [f"already used; suggested {suggested}"]},
                        response=error.response,
                    ) from error
                # The number from invoicenumbers/next was taken meanwhile by someone else: the
                # suggestion is used once (firmao.md §7).
                number, suggested_used = suggested, True
                body = {**body, "transactionNumber": number}
                continue
            answer = read_json(response)
            new_id = created_id(answer, "transaction")
            if new_id is None:
                raise AmbiguousOutcome(
                    f"{operation}: Firmao answered HTTP {response.status_code} without a CREATE entry for a "
                    f"transaction, so whether {number} was created is unknown; it was not sent again. "
                    f"{self.reconcile_hint(kind, reference)}",
                    provider=self.name,
                    operation=operation,
                    response=response,
                )
            row = (yield from self._read_back(new_id, operation)) if self.settings.read_back else None
            if row is None:
                row = {"id": new_id, "transactionNumber": number, "invoiceDate": body.get("invoiceDate")}
            return _sent_document(row, kind, reference, number, new_id, answer)

    def _reconcile(self, kind: DocumentKind, reference: str, number: str) -> Flow[SentDocument | None]:
        try:
            row = yield from self._lookup_number(number, kind, f"send_{kind.value}")
        except AccountingError:
            return None
        if row is None or not self._carries(row, reference):
            return None
        return _sent_document(row, kind, reference, number, _int(row.get("id")), None)

    def _lookup_number(self, number: str, kind: DocumentKind, operation: str) -> Flow[Mapping[str, Any] | None]:
        # UNCERTAIN 13: transactionNumber(eq) may be unsupported; rows are matched client-side.
        params = {"transactionNumber(eq)": number, "mode(eq)": "SALE", "dataFormat": "MEDIUM", "limit": str(_LIMIT)}
        response = yield self._get("transactions", operation, params)
        rows = [row for row in _rows(response) if str(row.get("transactionNumber")) == number]
        typed = [row for row in rows if row.get("type") == _TYPES[kind][0]]
        chosen = typed or rows
        return chosen[0] if chosen else None

    def _read_back(self, identifier: int, operation: str) -> Flow[Mapping[str, Any] | None]:
        # The document exists now: a failed read-back must not turn the create into an error.
        try:
            row = yield from self._transaction(identifier, operation)
        except AccountingError:
            return None
        return row

    def _transaction(self, identifier: int, operation: str) -> Flow[Mapping[str, Any] | None]:
        response = yield self._get(
            "transactions", operation, {"id(eq)": str(identifier), "dataFormat": "MEDIUM", "limit": "1"}
        )
        return next((row for row in _rows(response) if _same_id(row.get("id"), identifier)), None)

    # Parts of a document.

    def _buyer(self, party: Party | None) -> Flow[dict[str, Any]]:
        if party is None:
            return {"createCustomerIfNeeded": True, "customerName": self.settings.walk_in_customer_name}
        fields: dict[str, Any] = {}
        customer = None
        if party.tax_id and self.settings.match_customers_by_nip:
            customer = yield from self._customer_by_nip(party.tax_id)
        if customer is not None:
            fields["customer"] = customer
        else:
            # createCustomerIfNeeded attaches an existing customer of the same *name* (F-DOC).
            fields["createCustomerIfNeeded"] = True
            fields["customerName"] = party.name
            if party.email:
                fields["emails"] = [party.email]
            if party.phone:
                fields["phones"] = [party.phone]
        if party.tax_id:
            fields["nipNumber"] = party.tax_id
        address = party.address
        if address is not None:
            for key, value in (
                ("customerAddress.street", address.street),
                ("customerAddress.postCode", address.postal_code),
                ("customerAddress.city", address.city),
            ):
                if value:
                    fields[key] = value
            fields["customerAddress.country"] = _COUNTRIES.get(address.country, address.country)
        return fields

    def _customer_by_nip(self, nip: str) -> Flow[int | None]:
        digits = _NOT_DIGIT.sub("", nip)
        response = yield self._get(
            "customers", "send_invoice", {"nipNumber(eq)": nip, "dataFormat": "MEDIUM", "limit": str(_LIMIT)}
        )
        for row in _rows(response):
            if digits and _NOT_DIGIT.sub("", str(row.get("nipNumber") or "")) == digits and not row.get("deleted"):
                return _int(row.get("id"))
        return None

    def _products(self, lines: Sequence[Line]) -> Flow[dict[str, int]]:
        found: dict[str, int] = {}
        for index, line in enumerate(lines):
            if not line.sku or line.sku in found:
                continue
            # UNCERTAIN 11: F-DOC's filter syntax (F-MAG uses filters=(productCode="...")); the
            # returned code is checked, since an unknown filter may be ignored.
            response = yield self._get("products", "send_invoice", {"productCode(eq)": line.sku, "limit": "1"})
            match = next((row for row in _rows(response) if row.get("productCode") == line.sku), None)
            identifier = None if match is None else _int(match.get("id"))
            if identifier is None:
                raise ValidationError(f"lines[{index}].sku", f"no Firmao product has productCode {line.sku!r}")
            found[line.sku] = identifier
        return found

    def _number(self, kind: DocumentKind, series: str | None, number: str | None) -> Flow[tuple[str, bool]]:
        if number:
            return number, True
        line = yield from self._line_id(series, f"send_{kind.value}")
        params = {"objectClass": "transaction", "type": _TYPES[kind][1], "mode": "SALE", "id": str(line)}
        response = yield self._get("invoicenumbers/next", f"send_{kind.value}", params)
        found = next_number(read_json(response))
        if found is None:
            raise ProviderError("Firmao's invoicenumbers/next answer holds no number", response=response)
        return found, False

    def _line_id(self, series: str | None, operation: str) -> Flow[int]:
        if series is None and self.settings.numbering_line_id is not None:
            return self.settings.numbering_line_id
        lines = yield from self._numbering_lines(operation)
        for line in lines:
            identifier = _int(line.get("id"))
            if identifier is None:
                continue
            if series is None or series.casefold() in (_line_name(line).casefold(), str(identifier)):
                return identifier
        names = ", ".join(_line_name(line) for line in lines) or "none"
        raise ValidationError("series", f"{series!r} is not a Firmao numbering line; the lines are: {names}")

    def _numbering_lines(self, operation: str) -> Flow[list[Mapping[str, Any]]]:
        if self._lines is None:
            response = yield self._get("invoicenumbers", operation, {"dataFormat": "MEDIUM"})
            self._lines = _rows(response)
        return self._lines

    def _reference_fields(self, reference: str, notes: str | None, lines: Sequence[Line]) -> dict[str, Any]:
        texts = [notes] if notes else []
        for line in lines:
            if line.discount_percent is not None:
                # UNCERTAIN 4: the price sent is already discounted; the discount is stated here.
                texts.append(f"{line.name}: rabat {line.discount_percent.normalize():f}%")
        fields: dict[str, Any] = {}
        if self.settings.reference_field:
            fields[self.settings.reference_field] = reference
        else:
            texts.append(_MARKER + reference)
        if texts:
            fields["invoiceAnnotations"] = "\n".join(texts)
        return fields

    def _carries(self, row: Mapping[str, Any], reference: str) -> bool:
        if self.settings.reference_field:
            key = self.settings.reference_field.split(".", 1)[1]
            custom = row.get("customFields")
            value = custom.get(key) if isinstance(custom, Mapping) else row.get(self.settings.reference_field)
            return value == reference
        annotations = row.get("invoiceAnnotations")
        return isinstance(annotations, str) and _MARKER + reference in annotations.splitlines()

    def _matches_filter(self, row: Mapping[str, Any], wanted: str) -> bool:
        if self.settings.reference_field:
            return self._carries(row, wanted)
        annotations = row.get("invoiceAnnotations")
        return isinstance(annotations, str) and wanted.casefold() in annotations.casefold()

    def _payment_type(self, method: str, field: str) -> str:
        found = self._methods.get(method.casefold())
        if found is None:
            known = ", ".join(sorted(self._methods))
            raise ValidationError(
                field,
                f"{method!r} has no Firmao payment type; Firmao documents CASH and TRANSFER only. Known methods: "
                f"{known}; map others with payment_methods={{...}}",
            )
        return found

    # Requests.

    def _get(self, path: str, operation: str, params: Mapping[str, str]) -> Call:
        return Call(json_request("GET", self.root + path, headers=self._headers, params=dict(params)), operation)

    def _post(self, path: str, body: Mapping[str, Any]) -> httpx.Request:
        return json_request("POST", self.root + path, body, headers=self._headers)

    def _put(self, identifier: int, change: Mapping[str, Any], operation: str) -> Call:
        request = json_request("PUT", f"{self.root}transactions/{identifier}", dict(change), headers=self._headers)
        return Call(request, operation)


_CORRECTION_ENTRY: Mapping[str, Any] = {"entryPaid": "NOT_PAID", "entrySize": 1, "variant": 1}
"""Entry fields every correction entry of F-DOC's example carries (their meaning is not documented)."""


def _check_language(language: str | None) -> None:
    if language is not None and language.casefold() != "pl":
        raise ValidationError("language", "Firmao documents no document language; documents are issued in Polish")


def _check_numbering(series: str | None, number: str | None) -> None:
    if series and number:
        raise ValidationError(
            "series",
            "Firmao transactions have no series field: give the whole number in number, or a numbering line "
            "name in series without a number",
        )


def _priced(
    lines: Sequence[Line], prices_include_vat: bool, prefix: str
) -> list[tuple[Decimal, Decimal, EntryAmounts]]:
    """Each line's quantity, net unit price and amounts, validated before any request."""
    priced = []
    for index, line in enumerate(lines):
        field = f"{prefix}[{index}]"
        unit = unit_net_price(line, f"{field}.unit_price", prices_include_vat=prices_include_vat)
        count = quantity(line.quantity, f"{field}.quantity")
        percent = vat_percent(line.vat, f"{field}.vat")
        priced.append((count, unit, entry_amounts(count, unit, percent)))
    return priced


def _entry(line: Line, priced: tuple[Decimal, Decimal, EntryAmounts], products: Mapping[str, int]) -> dict[str, Any]:
    count, unit, _ = priced
    linked = products.get(line.sku) if line.sku else None
    # A number links a catalogue product; a string makes a free-text entry (F-DOC §2e).
    entry: dict[str, Any] = {"product": linked if linked is not None else line.name}
    if line.sku:
        entry["productCode"] = line.sku
    entry.update(
        {
            "quantity": count,
            "unit": line.unit,
            "vatPercent": vat_percent(line.vat, "vat"),
            "unitNettoPrice": money_text(unit),
            "discount": None,
        }
    )
    return entry


def _totals(amounts: EntryAmounts) -> dict[str, str]:
    return {
        "transactionNettoPrice": money_text(amounts.net),
        "transactionVatPrice": money_text(amounts.vat),
        "transactionBruttoPrice": money_text(amounts.gross),
    }


def _warehouse(named: str | None, default: int | None) -> int | None:
    if named is not None:
        if not named.isdigit():
            raise ValidationError("warehouse", f"Firmao warehouses are named by id (a number), not {named!r}")
        return int(named)
    return default


def _describe(body: Mapping[str, Any]) -> str:
    parts = [str(body["errorCode"])]
    field = body.get("field") or body.get("fieldName")
    if field:
        owner = body.get("objectName")
        parts.append(f"field {owner}.{field}" if owner else f"field {field}")
    if body.get("rejectedValue") is not None:
        parts.append(f"rejected value {body['rejectedValue']!r}")
    info = body.get("additionalInfo")
    if isinstance(info, Mapping) and info:
        if info.get("suggestedNumber"):
            parts.append(f"suggested number {info['suggestedNumber']}")
        else:
            parts.append(", ".join(f"{key}={value}" for key, value in info.items()))
    duplicates = body.get("duplicateValues")
    if isinstance(duplicates, list) and duplicates:
        values = [
            f"{item.get('value')} (object {item.get('objectId')})" for item in duplicates if isinstance(item, Mapping)
        ]
        parts.append("duplicates " + ", ".join(values))
    return "; ".join(parts)


def _suggested_number(response: httpx.Response | None) -> str | None:
    if response is None:
        return None
    body = read_json(response)
    if not isinstance(body, Mapping) or body.get("errorCode") != "transactionNumberAlreadyExists":
        return None
    info = body.get("additionalInfo")
    suggested = info.get("suggestedNumber") if isinstance(info, Mapping) else None
    return str(suggested) if suggested else ""


def _body(response: httpx.Response) -> Mapping[str, Any]:
    body = read_json(response)
    if not isinstance(body, Mapping):
        raise ProviderError("Firmao answered something that is not a JSON object", response=response)
    return body


def _rows(response: httpx.Response) -> list[Mapping[str, Any]]:
    data = _body(response).get("data")
    if not isinstance(data, list):
        raise ProviderError("Firmao's list answer has no data list", response=response)
    return [row for row in data if isinstance(row, Mapping)]


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _same_id(value: Any, identifier: int) -> bool:
    return _int(value) == identifier


def _nested_id(value: Any) -> int | None:
    return _int(value.get("id")) if isinstance(value, Mapping) else _int(value)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return Decimal(0)
    return Decimal(0)


def _line_name(line: Mapping[str, Any]) -> str:
    for key in ("name", "label"):
        value = line.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return str(line.get("id"))


def _document_id(document: SentDocument, field: str) -> int:
    identifier = _int(document.external_id)
    if identifier is None:
        raise ValidationError(f"{field}.external_id", "must be the Firmao transaction id")
    return identifier


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _sent_document(
    row: Mapping[str, Any],
    kind: DocumentKind,
    reference: str,
    number: str | None,
    identifier: int | None,
    changelog: Any,
) -> SentDocument:
    printed = row.get("transactionNumber") or row.get("documentNumber") or number
    raw: dict[str, Any] = {"transaction": dict(row)}
    if changelog is not None:
        raw["changelog"] = changelog
    return SentDocument(
        provider="firmao",
        kind=kind,
        reference=reference,
        number=None if printed is None else str(printed),
        external_id=None if identifier is None else str(identifier),
        issue_date=_date(row.get("invoiceDate")),
        raw=raw,
    )
