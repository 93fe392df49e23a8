"""The Fakturownia provider class: its limits, capabilities and document operations.

:class:`Fakturownia` combines the core (:mod:`.base`), the bodies (:mod:`.bodies`), the
send-once create (:mod:`.sendonce`) and payments (:mod:`.payments`), and implements the
operations: invoices, receipts, corrections, PDFs, series, payment types, VAT rates and the
lookup by reference. See the package docstring for the traps it guards against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from ...capabilities import Capabilities, Capability
from ...errors import ProviderError, ProviderValidationError, ValidationError
from ...flow import Call, Flow, Sleep
from ...limits import RateLimit
from ...model import (
    Correction,
    DocumentKind,
    EInvoiceStatus,
    Invoice,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatKind,
    VatRate,
    VatRateInfo,
)
from ...provider import json_request, read_json
from .base import FakturowniaPdfNotReady
from .bodies import FakturowniaBodies
from .codec import booked_totals, date_text, money_text, position_totals, quantity_text, tax_code
from .codes import _REASON_MAX, CAPABILITIES, KIND_CODES, PAYMENT_TYPES, _int_id, oid_for, payment_type_for
from .einvoice import STATUS_FIELDS, status_from
from .payments import FakturowniaPayments
from .sendonce import FakturowniaSendOnce
from .settings import FakturowniaSettings


class Fakturownia(FakturowniaPayments, FakturowniaSendOnce, FakturowniaBodies):
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

    def find_document(self, kind: DocumentKind, reference: str) -> Flow[SentDocument | None]:
        """The document whose ``oid`` is ``oid_for(kind, reference)``, matched exactly, paging on (§14, §15)."""
        if kind not in KIND_CODES:
            raise self.unsupported(Capability.LOOKUP_BY_REFERENCE, "payments carry no order id")
        if not isinstance(reference, str) or not reference.strip():
            raise ValidationError("reference", "must be a non-empty string")
        return (yield from self._find(kind, reference, "find_document"))

    def einvoice_status(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """The KSeF status: ``GET /invoices/{id}.json?fields[invoice]=gov_status,gov_id,...`` (EINVOICING §3.1).

        A read only: never ``send_to_ksef=yes``, which rides on a GET a transport could retry.
        """
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise self.unsupported(Capability.EINVOICE, "a payment is not a KSeF document")
        ident = _int_id(document.external_id)
        if ident is None:
            raise ValidationError("document.external_id", "is not a Fakturownia document id")
        response = yield self._get(f"invoices/{ident}.json", "einvoice_status", {"fields[invoice]": STATUS_FIELDS})
        return self._gov_status(response, ident, document)

    def send_einvoice(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """Send to KSeF: ``GET /invoices/{id}.json?send_to_ksef=yes``, only when the status allows it.

        The status is read first; ``ok``, ``processing``, ``status_check_error`` (may already
        be accepted), ``duplicate_error`` and unknown values are never sent again: the
        status read is returned. The send rides on a GET (FK-KSEF), so it is marked as a
        create: a lost answer is an ``AmbiguousOutcome``, never retried by the driver.
        """
        current = yield from self.einvoice_status(document)
        if not current.resend_allowed:
            return current
        ident = _int_id(document.external_id)
        assert ident is not None  # einvoice_status checked it
        params = {"send_to_ksef": "yes", "fields[invoice]": STATUS_FIELDS}
        request = json_request("GET", f"{self._base}invoices/{ident}.json", headers=self._headers, params=params)
        response = yield Call(request, "send_einvoice", creates=True)
        return self._gov_status(response, ident, document)

    def _gov_status(self, response: httpx.Response, ident: int, document: SentDocument) -> EInvoiceStatus:
        body = read_json(response)
        if not isinstance(body, Mapping) or _int_id(body.get("id")) != ident or "gov_status" not in body:
            raise ProviderError(f"Fakturownia answered no KSeF status of document {ident}", response=response)
        return status_from(body, document)
