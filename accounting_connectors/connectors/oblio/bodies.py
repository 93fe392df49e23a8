"""Building Oblio's requests: the account data they name (VAT rates, series) and the document bodies.

:class:`OblioBodies` reads and caches the company's VAT nomenclature and series, writes the
reference note into ``mentions``, derives the account-wide ``idempotencyKey`` (§14, §16),
and builds the bodies of invoices (§4, §5), receipts (§8) and stornos (§9); the lines and
the client come from :mod:`.codec`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...errors import ValidationError
from ...flow import Flow
from ...model import Correction, DocumentKind, Invoice, Party, Receipt, VatRate
from . import codec
from .answers import _data_list, _rate_of, _truthy
from .auth import OblioAuth
from .settings import OblioSettings


class OblioBodies(OblioAuth):
    """The company's account data and the request bodies built from it."""

    def __init__(self, settings: OblioSettings) -> None:
        super().__init__(settings)
        self._account = codec.account_of(settings.company_vat_code)
        self._vat_rates: list[tuple[str, Decimal]] | None = None
        self._series: list[dict[str, Any]] | None = None

    # Account data.

    def _rates(self, operation: str) -> Flow[list[tuple[str, Decimal]]]:
        if self._vat_rates is None:
            response = yield from self._api("GET", "api/nomenclature/vat_rates", operation)
            rates = []
            for item in _data_list(response):
                rates.append(_rate_of(response, item))
            self._vat_rates = rates
        return self._vat_rates

    def _all_series(self, operation: str) -> Flow[list[dict[str, Any]]]:
        if self._series is None:
            response = yield from self._api("GET", "api/nomenclature/series", operation)
            self._series = _data_list(response)
        return self._series

    def _default_series(self, kind: str, operation: str, field: str) -> Flow[str]:
        listed = yield from self._all_series(operation)
        # UNCERTAIN which `type` values exist beyond Factura/Proforma (§7, §17.8): filter by those seen.
        of_kind = [item for item in listed if item.get("type") == kind and item.get("name")]
        chosen = next((item for item in of_kind if _truthy(item.get("default"))), of_kind[0] if of_kind else None)
        if chosen is None:
            setting = "receipt_series" if kind == "Chitanta" else "invoice_series"
            raise ValidationError(field, f"the Oblio company lists no {kind} series; configure {setting}")
        return str(chosen["name"])

    def _vat_lookup(self, rates: list[tuple[str, Decimal]]) -> codec.VatLookup:
        def lookup(vat: VatRate, field: str) -> tuple[str, Decimal]:
            return codec.vat_match(vat, field, rates, self.settings.vat_names)

        return lookup

    # Building.

    def _note(self, kind: DocumentKind, reference: str) -> str:
        word = (
            "correction"
            if kind is DocumentKind.CORRECTION
            else "receipt"
            if kind is DocumentKind.RECEIPT
            else "invoice"
        )
        return codec.reference_note(word, self.settings.key_namespace, reference)

    @property
    def _key_namespace(self) -> str:
        # Keys are account-wide at Oblio (§14, §16): two installations sharing an account
        # would collide on their own references, and the second order would silently map
        # to the first one's invoice. OB-FG prefixes a per-site hash; here the installation
        # is its login (the API secret may rotate, the login stays), unless named. The
        # key is a hash, so the login never shows in it.
        return self.settings.key_namespace or f"login:{self.settings.email.casefold()}"

    def _document_body(self, kind: str, reference: str, issue_date: str, series: str) -> dict[str, Any]:
        # UNCERTAIN (§17.7): `spvExtern` (the doc) vs `sendEinvoice` (OB-CMEVO); neither is sent,
        # so the account's own e-Factura setting decides.
        return {
            "cif": self.settings.company_vat_code,
            "idempotencyKey": codec.idempotency_key(self._key_namespace, self._account, kind, reference),
            "seriesName": series,
            "issueDate": issue_date,
        }

    @staticmethod
    def _add_common(body: dict[str, Any], currency: str, language: str | None, exchange_rate: Decimal | None) -> None:
        body["currency"] = currency
        if exchange_rate is not None:
            body["exchangeRate"] = exchange_rate
        if language:
            body["language"] = language.upper()

    def _check_invoice(self, invoice: Invoice) -> str | None:
        """Local checks before any request; the collect type of a payment at issue."""
        missing = invoice.use_stock and not (invoice.warehouse or self.settings.management)
        if missing and any(not line.is_service for line in invoice.lines):
            raise ValidationError("warehouse", "stock lines need the Oblio warehouse (management); set warehouse")
        if invoice.payment is None:
            return None
        return codec.collect_type(invoice.payment.method, "payment.method")

    def _receipt_series(self, operation: str, field: str) -> Flow[str]:
        if self.settings.receipt_series:
            return self.settings.receipt_series
        return (yield from self._default_series("Chitanta", operation, field))

    def _invoice_body(
        self,
        invoice: Invoice,
        series: str,
        rates: list[tuple[str, Decimal]],
        collect_type: str | None,
        receipt_series: str | None,
    ) -> dict[str, Any]:
        """The invoice's ``POST api/docs/invoice`` body (§4, §5), with its collect at issue (§11)."""
        body = self._document_body("invoice", invoice.reference, invoice.issue_date.isoformat(), series)
        body["client"] = codec.client(invoice.buyer, save=self.settings.save_clients)
        if invoice.due_date:
            body["dueDate"] = invoice.due_date.isoformat()
        if invoice.sale_date:
            body["deliveryDate"] = invoice.sale_date.isoformat()
        if invoice.number is not None:
            body["disableAutoSeries"] = 1
            body["number"] = invoice.number
        self._add_common(body, invoice.currency, invoice.language, invoice.exchange_rate)
        body["mentions"] = codec.mentions(invoice.notes, self._note(DocumentKind.INVOICE, invoice.reference))
        management = None
        if invoice.use_stock:
            management = invoice.warehouse or self.settings.management
            body["useStock"] = 1
            body["workStation"] = self.settings.work_station or "Sediu"
        body["products"] = codec.products(
            invoice.lines,
            currency=invoice.currency,
            prices_include_vat=invoice.prices_include_vat,
            vat_of=self._vat_lookup(rates),
            management=management,
        )
        if invoice.payment is not None and collect_type is not None:
            collect: dict[str, Any] = {"type": collect_type, "value": invoice.payment.amount}
            if receipt_series is not None:
                collect["seriesName"] = receipt_series
            else:
                collect["documentNumber"] = invoice.reference
            if invoice.payment.paid_on is not None:
                collect["issueDate"] = invoice.payment.paid_on.isoformat()
            body["collect"] = collect
        return body

    def _receipt_body(
        self, receipt: Receipt, series: str, receipt_series: str, rates: list[tuple[str, Decimal]]
    ) -> dict[str, Any]:
        """The receipt's body: an invoice with a ``Chitanta`` collect of its whole value (§8, §11)."""
        issue_date = receipt.issue_date.isoformat()
        body = self._document_body("receipt", receipt.reference, issue_date, series)
        buyer = receipt.buyer or Party(name=self.settings.walk_in_client_name)
        body["client"] = codec.client(buyer, save=self.settings.save_clients and receipt.buyer is not None)
        self._add_common(body, receipt.currency, receipt.language, None)
        body["mentions"] = codec.mentions(receipt.notes, self._note(DocumentKind.RECEIPT, receipt.reference))
        body["products"] = codec.products(
            receipt.lines,
            currency=receipt.currency,
            prices_include_vat=receipt.prices_include_vat,
            vat_of=self._vat_lookup(rates),
            management=None,
        )
        gross = codec.totals(receipt.lines, prices_include_vat=receipt.prices_include_vat).gross
        body["collect"] = {"type": "Chitanta", "seriesName": receipt_series, "value": gross, "issueDate": issue_date}
        return body

    def _storno_body(
        self, correction: Correction, series: str, number: str, products: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        """The storno's body (§9): full with ``refund:1`` when ``products`` is ``None``, else those lines."""
        target = self.settings.correction_series or series
        body = self._document_body("correction", correction.reference, correction.issue_date.isoformat(), target)
        body["referenceDocument"] = {
            "type": "Factura",
            "seriesName": series,
            "number": number,
            "refund": 1 if products is None else 0,
        }
        body["mentions"] = codec.mentions(correction.reason, self._note(DocumentKind.CORRECTION, correction.reference))
        if products is not None:
            # The document currency defaults to RON (§5.1) and OB-FG's partial storno omits
            # it; the lines of a storno are in the original's currency, so the document says so.
            original = correction.original
            self._add_common(body, original.currency, original.language, original.exchange_rate)
            if correction.original.use_stock:
                body["useStock"] = 1
                body["workStation"] = self.settings.work_station or "Sediu"
            body["products"] = products
        return body
