"""The SmartBill fake's query-string endpoints: status, PDF, cancel/restore/delete, series and taxes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..pdf import make_pdf
from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .payments import PaymentRoutes
from .state import SERIES_TYPES, Record, Refusal, decimal_of, pad, rounded, spaced, truthy


class QueryRoutes(PaymentRoutes):
    """Endpoints that name a document (or the company) in the query string."""

    @route("GET", "invoice/paymentstatus")
    def _get_payment_status(self, request: FakeRequest) -> Reply:
        company, series, number = self._target(request, texts.ERR_CIF_QUERY, texts.ERR_PDF_SERIES, texts.ERR_PDF_NUMBER)
        record = self._find_record(company, series, number)
        if record is None:
            raise Refusal(texts.ERR_PAYMENT_INVOICE_NOT_FOUND)
        paid = self._paid(record)
        unpaid = record.total - paid
        # The Swagger example leaves number and series empty here.
        amounts = {"invoiceTotalAmount": record.total, "paidAmount": paid, "unpaidAmount": unpaid, "paid": unpaid <= 0}
        return Reply.json({"errorText": "", "message": "", "number": "", "series": "", **amounts})

    @route("GET", "invoice/pdf")
    def _get_pdf(self, request: FakeRequest) -> Reply:
        # Swagger: the PDF is sent only with "Accept: application/octet-stream".
        accept = request.headers.get("accept", "").lower()
        if "application/octet-stream" not in accept:
            raise Refusal(texts.ERR_NOT_ACCEPTABLE, status=406)
        company, series, number = self._target(request, texts.ERR_CIF_QUERY, texts.ERR_PDF_SERIES, texts.ERR_PDF_NUMBER)
        record = self._find_record(company, series, number)
        if record is None:
            raise Refusal(texts.ERR_INVOICE_NOT_FOUND.format(doc=spaced(series, number)))
        headers = {"Content-Type": "application/octet-stream"}
        return Reply.pdf(self._render(record), f"{series}{number}.pdf", headers)

    def _render(self, record: Record) -> bytes:
        title = "FACTURA STORNO" if record.kind == "storno" else "FACTURA"
        text = [
            f"{title} seria {record.series} nr. {record.number}",
            f"Data emiterii: {record.issue_date}",
            f"Furnizor CIF: {record.company_vat_code}",
            f"Client: {record.client_name} {record.client_vat}".rstrip(),
        ]
        products = record.body.get("products")
        if isinstance(products, list):
            entries = [product for product in products if isinstance(product, dict)]
            text.extend(_product_text(entries, index) for index in range(len(entries)))
        if record.reverses is not None:
            text.append(f"Storneaza factura {record.reverses[0]}{record.reverses[1]}")
        text.append(f"Total: {record.total} {record.currency}")
        if record.cancelled:
            text.append("ANULATA")
        return make_pdf("\n".join(text))

    def _queried_invoice(self, request: FakeRequest) -> tuple[str, str, str, Record]:
        """The invoice named by ``cif``, series and ``number`` in the query, or SmartBill's error."""
        company, series, number = self._target(
            request, texts.ERR_CIF_QUERY_SHORT, texts.ERR_QUERY_SERIES, texts.ERR_QUERY_NUMBER
        )
        record = self._find_record(company, series, number)
        if record is None:
            raise Refusal(texts.ERR_INVOICE_NOT_FOUND.format(doc=spaced(series, number)))
        return company, series, number, record

    @route("PUT", "invoice/cancel")
    def _put_cancel(self, request: FakeRequest) -> Reply:
        company, series, number, record = self._queried_invoice(request)
        if record.cancelled:
            raise Refusal(texts.ERR_ALREADY_CANCELLED.format(doc=spaced(series, number)))
        if record.use_stock and record.reversed_by is not None:
            storno = self._find_record(company, *record.reversed_by)
            if storno is not None and not storno.cancelled:
                raise Refusal(
                    texts.ERR_CANCEL_WITH_STORNO.format(
                        doc=f"{series}{number}", storno=f"{storno.series}{storno.number}"
                    )
                )
        record.cancelled = True
        return Reply.json(texts.message_body(texts.MSG_CANCELLED.format(doc=f"{series}{number}")))

    @route("PUT", "invoice/restore")
    def _put_restore(self, request: FakeRequest) -> Reply:
        _, series, number, record = self._queried_invoice(request)
        if not record.cancelled:
            raise Refusal(texts.ERR_NOT_CANCELLED.format(doc=spaced(series, number)))
        record.cancelled = False
        return Reply.json(texts.message_body(texts.MSG_RESTORED.format(doc=f"{series}{number}")))

    @route("DELETE", "invoice")
    def _delete_invoice(self, request: FakeRequest) -> Reply:
        company, series, number, record = self._queried_invoice(request)
        self._remove_last(company, record)
        # The number may be issued again; collections recorded against the deleted
        # invoice must not count towards its successor.
        for other in self._records:
            if other.company == company:
                other.allocations = [a for a in other.allocations if a[0] != record.key]
        if record.reverses is not None:
            original = self._find_record(company, *record.reverses)
            if original is not None:
                original.reversed_by = None
        return Reply.json(texts.message_body(texts.MSG_DELETED.format(doc=f"{series}{number}")))

    @route("DELETE", "payment/chitanta")
    def _delete_receipt(self, request: FakeRequest) -> Reply:
        company, series, number = self._target(
            request, texts.ERR_CIF_QUERY_SHORT, texts.ERR_QUERY_SERIES, texts.ERR_QUERY_NUMBER
        )
        found = (r for r in self._records if r.company == company and r.kind == "receipt" and r.key == (series, number))
        record = next(found, None)
        if record is None:
            raise Refusal(texts.ERR_RECEIPT_NOT_FOUND)
        # Deleting the receipt also deletes the collection it recorded.
        self._remove_last(company, record)
        return Reply.json(texts.message_body(texts.MSG_RECEIPT_DELETED.format(doc=f"{series}{number}")))

    def _remove_last(self, company: str, record: Record) -> None:
        """Delete ``record`` if it is the last document of its series.

        Its number goes back to the series (UNCERTAIN: SmartBill reusing the number is
        assumed; it is what "only the last one can be deleted, to avoid duplicates"
        suggests).
        """
        series = self._series[company].get(record.series)
        if series is None or pad(series.next_number - 1) != record.number:
            raise Refusal(texts.ERR_NOT_LAST.format(doc=spaced(record.series, record.number)))
        self._records.remove(record)
        series.next_number -= 1

    @route("GET", "series")
    def _get_series(self, request: FakeRequest) -> Reply:
        company, _ = self._company(self._query(request, "cif"), texts.ERR_CIF_QUERY)
        kind = request.params.get("type")
        if kind not in (None, "", *SERIES_TYPES):
            raise Refusal(texts.ERR_SERIES_TYPE.format(type=kind))
        listing = [
            {"name": s.name, "nextNumber": pad(s.next_number), "type": s.type}
            for s in self._series[company].values()
            if not kind or s.type == kind
        ]
        return Reply.json({"errorText": "", "message": "", "number": "", "series": "", "list": listing})

    @route("GET", "tax")
    def _get_tax(self, request: FakeRequest) -> Reply:
        self._company(self._query(request, "cif"), texts.ERR_CIF_QUERY)
        taxes = [{"name": name, "percentage": pct} for name, pct in self.taxes]
        return Reply.json({"errorText": "", "message": "", "number": "", "series": "", "taxes": taxes})


def _product_text(entries: list[dict[str, Any]], index: int) -> str:
    """One entry of ``products`` as a printed line: name, quantity, unit and price.

    A discount entry carries no quantity or price of its own: it is printed as one unit at
    the (negative) amount it takes off the ``numberOfItems`` entries before it, in the same
    terms (with or without VAT) as they were entered, with its percentage when it has one.
    """
    product = entries[index]
    name, unit = product.get("name", ""), product.get("measuringUnitName", "")
    if not truthy(product.get("isDiscount")):
        return f"- {name} {product.get('quantity', '')} {unit} x {product.get('price', '')}"
    count = decimal_of(product.get("numberOfItems"))
    covered = entries[max(0, index - int(count)) : index] if count is not None and count > 0 else []
    percentage = decimal_of(product.get("discountPercentage"))
    if decimal_of(product.get("discountType")) in (None, Decimal(2)) and percentage is not None:
        base = sum(
            ((decimal_of(line.get("quantity")) or 0) * (decimal_of(line.get("price")) or 0) for line in covered),
            Decimal(0),
        )
        price = rounded(-base * percentage / 100, 2)
        return f"- {name} ({percentage.normalize():f}%) 1 {unit} x {price}"
    value = decimal_of(product.get("discountValue"))
    return f"- {name} 1 {unit} x {rounded(value, 2) if value is not None else ''}"
