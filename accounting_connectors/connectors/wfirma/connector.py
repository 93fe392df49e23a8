"""The wFirma connector: :class:`WFirma`, its settings hooks and its flows.

The operations (``send_invoice``, ``send_receipt``, ``send_correction``, ``fetch_pdf``,
``list_*``, ``record_payment``, ``find_document``) and the lookups they make first (VAT
codes, series, goods, an invoice's line ids, paged ``find``). Bodies are built by
:class:`~.bodies.WFirmaRequests`, answers read by :class:`~.answers.WFirmaAnswers`.
Section numbers (§) are those of ``shared/providers/wfirma.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

import attrs

from ...capabilities import Capabilities, Capability
from ...errors import ValidationError
from ...flow import Flow
from ...limits import RateLimit, credential_fingerprint
from ...model import (
    Correction,
    DocumentKind,
    EInvoiceStatus,
    Invoice,
    Line,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatRateInfo,
)
from ...money import TotalsMethod, document_totals
from . import einvoice
from .answers import WFirmaAnswers, _first
from .bodies import WFirmaRequests, _document_id, _money, vat_rate_of
from .settings import (
    _LOOKUP_PAGES,
    _PAGE_LIMIT,
    _SERIES_KINDS,
    CAPABILITIES,
    PAYMENT_TYPES,
    RECEIPT_TYPES,
    WFirmaSettings,
)
from .wire import Node, answer, decimal_text, paging, records, text_of

__all__ = ["WFirma"]


class WFirma(WFirmaAnswers, WFirmaRequests):
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

    # Lookups.

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

    def einvoice_status(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """The KSeF status: the ``ksef_*`` fields of ``invoices/get/{id}`` (EINVOICING §3.3).

        wFirma sends at issue by itself (no send call), so no status ever allows a resend.
        A receipt never goes to KSeF: it is answered without a request.
        """
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise self.unsupported(Capability.EINVOICE, "a payment is not a KSeF document")
        if document.kind is DocumentKind.RECEIPT:
            return einvoice.status_from({"type": self.settings.receipt_type}, document, self.settings.ksef, self.name)
        ident = _document_id(document, "document")
        response = yield self._get(f"invoices/get/{ident}", "einvoice_status")
        row = _first(records(answer(response), "invoices", "invoice"), "invoices/get")
        fields = {
            name: text_of(row, name) or ""
            for name in ("id", "type", "fullnumber", "ksef_reference_number", "ksef_status", "ksef_registration_date")
        }
        return einvoice.status_from(fields, document, self.settings.ksef, self.name)
