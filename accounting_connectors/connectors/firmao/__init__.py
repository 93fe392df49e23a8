"""Firmao.pl (REST API ``/{organizationId}/svc/v1/``), sans-I/O.

Facts used here come from the project's Firmao sheet (``firmao.md``), whose only official
source is Firmao's API guide (F-DOC). Invoices, receipts and corrections are all
*transactions*. The traps this module guards against:

* A create answers HTTP 201 with a **change log** listing every object it touched; the new
  id is the ``objectId`` of the ``CREATE`` entry whose ``objectClass`` is ``transaction``,
  not the first entry (the log also lists customers and commission records). A 201
  without that entry is ambiguous: it is looked up by its number, and is an
  :class:`~accounting_connectors.errors.AmbiguousOutcome` when not found.
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

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    AmbiguousOutcome,
    MalformedAnswer,
    NotFound,
    ProviderError,
    ProviderValidationError,
    ValidationError,
)
from ...flow import Call, Flow
from ...limits import RateLimit
from ...model import (
    Correction,
    DocumentKind,
    Invoice,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
)
from ...provider import read_json
from .core import FirmaoCore
from .parts import (
    _CORRECTION_ENTRY,
    _FILE_NAME,
    _LIMIT,
    _MARKER,
    _MAX_PAGES,
    _TYPES,
    _body,
    _check_language,
    _check_numbering,
    _decimal,
    _document_id,
    _entry,
    _int,
    _line_name,
    _nested_id,
    _priced,
    _rows,
    _same_id,
    _sent_document,
    _suggested_number,
    _totals,
    _warehouse,
)
from .settings import HOST, PAYMENT_TYPES, FirmaoArgs, FirmaoSettings
from .wire import (
    created_id,
    date_text,
    total,
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
        Capability.EINVOICE: Entry(
            Support.NOT_SUPPORTED,
            "KSeF is sent from the Firmao web app; no KSeF field or call in the API (EINVOICING §3.5, UNCERTAIN)",
        ),
    },
)


class Firmao(FirmaoCore):
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
        if any(_int(line.get("id")) is None for line in lines):
            # A line without an id is an answer that cannot be read, never a shorter list.
            raise MalformedAnswer("Firmao listed a numbering line without an id")
        default = self.settings.numbering_line_id
        if default is None and lines:
            default = _int(lines[0].get("id"))
        return [Series(name=_line_name(line), is_default=_int(line.get("id")) == default) for line in lines]

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
                # An answer that does not name the new transaction is ambiguous: looked up by the
                # number, as after any ambiguous answer (firmao.md §14), and never resent.
                found = yield from self._reconcile(kind, reference, number)
                if found is not None:
                    return found
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
