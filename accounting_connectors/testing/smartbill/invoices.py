"""The SmartBill fake's invoice endpoints: ``POST invoice``, ``invoice/v2`` and ``invoice/reverse``.

Everything is validated before anything is stored: SmartBill either issues the whole
document (with its receipt) or answers an error and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .state import (
    Record,
    Refusal,
    Series,
    SmartBillState,
    decimal_of,
    json_body,
    pad,
    rounded,
    spaced,
    text_of,
    truthy,
)

INVOICE_PAYMENT_TYPES = (
    "Chitanta",
    "Bon",
    "Card",
    "CEC",
    "Bilet ordin",
    "Ordin plata",
    "Mandat postal",
    "Alta incasare",
)
"""``payment.type`` values accepted inside ``POST invoice`` (Swagger "Date incasare")."""


@attrs.frozen
class Line:
    """A validated invoice line: its amount with VAT and its VAT rate (None: no VAT)."""

    gross: Decimal
    rate: Decimal | None
    is_discount: bool


class InvoiceRoutes(SmartBillState):
    """Issuing and reversing invoices."""

    @route("POST", "invoice")
    def _post_invoice(self, request: FakeRequest) -> Reply:
        return self._issue_invoice(json_body(request), links=False)

    @route("POST", "invoice/v2")
    def _post_invoice_v2(self, request: FakeRequest) -> Reply:
        return self._issue_invoice(json_body(request), links=True)

    def _issue_invoice(self, body: dict[str, Any], *, links: bool) -> Reply:
        company, cif = self._company(body.get("companyVatCode"), texts.ERR_CIF_BODY)
        issue_date = self._issue_date(body)
        client = body.get("client")
        if not isinstance(client, dict):
            raise Refusal(texts.ERR_CLIENT_MISSING)
        client_name = text_of(client.get("name"))
        if client_name is None:
            raise Refusal(texts.ERR_CLIENT_INVALID)
        if truthy(body.get("useEstimateDetails")):
            # Proformas are not modelled, so no estimate can be found.
            estimate = body.get("estimate")
            ref = ""
            if isinstance(estimate, dict):
                ref = f"{text_of(estimate.get('seriesName')) or ''}{text_of(estimate.get('number')) or ''}"
            raise Refusal(texts.ERR_ESTIMATE_NOT_FOUND.format(doc=ref))
        series = self._resolve_series(company, body.get("seriesName"), "f", texts.ERR_SERIES_NOT_FOUND)
        currency = text_of(body.get("currency")) or "RON"
        if currency not in self.currencies:
            raise Refusal(texts.ERR_CURRENCY)
        language = text_of(body.get("language")) or "RO"
        if language not in self.languages:
            raise Refusal(texts.ERR_LANGUAGE)
        precision = self._precision(body.get("precision"))
        if truthy(body.get("usePaymentTax")) and not self.vat_payer:
            raise Refusal(texts.ERR_PAYMENT_TAX)
        use_stock = truthy(body.get("useStock"))
        lines = self._validate_lines(body.get("products"), currency, use_stock, precision)
        total = sum((line.gross for line in lines), Decimal(0))
        payment = self._validate_embedded_payment(body.get("payment"), company)

        # A draft gets no number and does not move the series (Swagger "Ciorna").
        record = Record(
            kind="invoice",
            company=company,
            company_vat_code=cif,
            issue_date=issue_date,
            body=body,
            document_id=self._allocate_id(),
            currency=currency,
            language=language,
            total=total,
            client_name=client_name,
            client_vat=text_of(client.get("vatCode")) or "",
            use_stock=use_stock,
            draft=truthy(body.get("isDraft")),
        )
        self._issue(record, series)
        if payment is not None and not record.draft:
            pay_type, value, receipt_series = payment
            kind = "receipt" if pay_type == "Chitanta" else "payment"
            receipt = attrs.evolve(record, kind=kind, body=body["payment"], document_id=self._allocate_id())
            receipt.total, receipt.use_stock, receipt.payment_type = value, False, pay_type
            receipt.series, receipt.number, receipt.allocations = "", "", [(record.key, value)]
            self._issue(receipt, receipt_series)
        # The Swagger shows a payment link in "url" when paymentUrl generated one; the
        # fake has no payment processor configured, so it stays empty.
        reply = texts.document_body(record.number, record.series)
        return Reply.json({**reply, **self._links(record)} if links else reply)

    @staticmethod
    def _precision(value: Any) -> int:
        # Swagger: 2, 3 or 4; above 4 is clamped to 4. Below 2 is assumed to mean 2.
        parsed = decimal_of(value)
        if parsed is None:
            return 2
        return int(min(max(parsed, Decimal(2)), Decimal(4)))

    def _validate_lines(self, products: Any, currency: str, use_stock: bool, precision: int) -> list[Line]:
        if not isinstance(products, list) or not products:
            raise Refusal(texts.ERR_NO_PRODUCTS)
        if len(products) > 400:
            raise Refusal(texts.ERR_TOO_MANY_LINES)
        entries = [p if isinstance(p, dict) else {} for p in products]
        if all(truthy(p.get("isDiscount")) for p in entries):
            raise Refusal(texts.ERR_ONLY_DISCOUNT)
        if use_stock and not self.stock_enabled:
            raise Refusal(texts.ERR_STOCK_DISABLED)
        lines: list[Line] = []
        for product in entries:
            name = text_of(product.get("name"))
            if name is None:
                raise Refusal(texts.ERR_PRODUCT_FIELD.format(field="name"))
            if text_of(product.get("measuringUnitName")) is None:
                raise Refusal(texts.ERR_PRODUCT_FIELD.format(field="measuringUnitName"))
            product_currency = text_of(product.get("currency"))
            if product_currency is None:
                raise Refusal(texts.ERR_PRODUCT_FIELD.format(field="currency"))
            if product_currency not in self.currencies:
                raise Refusal(texts.ERR_CURRENCY)
            if product_currency != currency:
                if currency != "RON":
                    raise Refusal(texts.ERR_PRODUCT_CURRENCY.format(invoice=currency, product=product_currency))
                if not self.foreign_reference_prices:
                    raise Refusal(texts.ERR_FOREIGN_PRICES)
            if truthy(product.get("isDiscount")):
                lines.append(self._discount_line(product, name, lines, precision))
            else:
                lines.append(self._product_line(product, name, use_stock, precision))
        return lines

    def _product_line(self, product: Mapping[str, Any], name: str, use_stock: bool, precision: int) -> Line:
        quantity = decimal_of(product.get("quantity"))
        if quantity is None:
            raise Refusal(texts.ERR_PRODUCT_FIELD.format(field="quantity"))
        price = decimal_of(product.get("price"))
        if price is None:
            raise Refusal(texts.ERR_PRODUCT_FIELD.format(field="price"))
        if self.use_product_codes and text_of(product.get("code")) is None:
            raise Refusal(texts.ERR_PRODUCT_CODE.format(name=name))
        rate = self._resolve_tax(product, name)
        if use_stock and not truthy(product.get("isService")):
            # Services are never taken from stock (Swagger "Emitere de facturi pentru
            # servicii"); warehouse names are case-sensitive.
            warehouse = product.get("warehouseName")
            if not isinstance(warehouse, str) or not warehouse.strip():
                raise Refusal(texts.ERR_WAREHOUSE_MISSING.format(name=name))
            if self.check_warehouses and warehouse not in self.warehouses:
                raise Refusal(texts.ERR_WAREHOUSE_NOT_FOUND.format(warehouse=warehouse, name=name))
        amount = quantity * price * self._rate_factor(product, rate)
        # UNCERTAIN: SmartBill's rounding; the fake rounds each line half-up.
        return Line(gross=rounded(amount, precision), rate=rate, is_discount=False)

    def _rate_factor(self, product: Mapping[str, Any], rate: Decimal | None) -> Decimal:
        """Multiplier from the entered amount to the amount with VAT."""
        if rate is None or truthy(product.get("isTaxIncluded")):
            return Decimal(1)
        return 1 + rate / 100

    def _resolve_tax(self, product: Mapping[str, Any], name: str) -> Decimal | None:
        """The line's VAT rate; the taxName+taxPercentage pair must exist in the account."""
        if not self.vat_payer:
            # "Pentru firme neplatitoare de TVA doar parametrul Price este obligatoriu."
            return None
        tax_name = text_of(product.get("taxName"))
        percentage = decimal_of(product.get("taxPercentage"))
        if tax_name is None and percentage is None:
            raise Refusal(texts.ERR_TAX_MISSING.format(name=name))
        if tax_name is None and percentage == 0:
            # Swagger: 0% without taxName is taken as "0% TVA Inclus".
            tax_name = "TVA Inclus"
        # UNCERTAIN: how SmartBill matches when only one of the pair is sent; the fake
        # accepts it when some configured rate fits the part that was sent.
        for known_name, known_percentage in self.taxes:
            if (tax_name is None or known_name == tax_name) and (percentage is None or known_percentage == percentage):
                return known_percentage
        raise Refusal(texts.ERR_TAX_NOT_FOUND.format(name=name))

    def _discount_line(self, product: Mapping[str, Any], name: str, previous: list[Line], precision: int) -> Line:
        """A discount entry: it covers the ``numberOfItems`` entries just before it."""
        count = decimal_of(product.get("numberOfItems"))
        if count is None or count != count.to_integral_value() or not 1 <= count <= len(previous):
            raise Refusal(texts.ERR_DISCOUNT_ITEMS)
        covered = previous[-int(count) :]
        raw_type = decimal_of(product.get("discountType"))
        # Swagger: default 2; any value other than 1 or 2 is treated as 1.
        discount_type = 2 if raw_type is None else (2 if raw_type == 2 else 1)
        rates = {line.rate for line in covered if line.rate is not None}
        if discount_type == 2:
            percentage = decimal_of(product.get("discountPercentage"))
            if percentage is None:
                raise Refusal(texts.ERR_DISCOUNT_FIELD.format(field="discountPercentage"))
            if len(rates) > 1:
                raise Refusal(texts.ERR_DISCOUNT_PERCENT_MIXED)
            base = sum((line.gross for line in covered), Decimal(0))
            amount = -base * percentage / 100
            return Line(gross=rounded(amount, precision), rate=next(iter(rates), None), is_discount=True)
        value = decimal_of(product.get("discountValue"))
        if value is None:
            raise Refusal(texts.ERR_DISCOUNT_FIELD.format(field="discountValue"))
        if value >= 0:
            raise Refusal(texts.ERR_DISCOUNT_NEGATIVE)
        rate: Decimal | None
        if len(rates) > 1:
            # A fixed discount over mixed rates must name its own rate (Swagger, discount
            # note 3); over a single rate the discount's own tax fields are ignored.
            if decimal_of(product.get("taxPercentage")) is None:
                raise Refusal(texts.ERR_DISCOUNT_TAX_MIXED)
            rate = self._resolve_tax(product, name)
        else:
            rate = next(iter(rates), None)
        amount = value * self._rate_factor(product, rate)
        return Line(gross=rounded(amount, precision), rate=rate, is_discount=True)

    def _validate_embedded_payment(self, payment: Any, company: str) -> tuple[str, Decimal, Series | None] | None:
        """``payment{value, paymentSeries, type, isCash}`` inside ``POST invoice``."""
        if payment is None:
            return None
        if not isinstance(payment, dict):
            raise Refusal(texts.ERR_EMBEDDED_PAYMENT_TYPE)
        pay_type = text_of(payment.get("type"))
        if pay_type is None:
            raise Refusal(texts.ERR_EMBEDDED_PAYMENT_TYPE)
        value = decimal_of(payment.get("value"))
        if value is None:
            raise Refusal(texts.ERR_EMBEDDED_PAYMENT_VALUE)
        if pay_type not in INVOICE_PAYMENT_TYPES:
            raise Refusal(texts.ERR_PAYMENT_TYPE_UNKNOWN)
        receipt_series: Series | None = None
        if pay_type == "Chitanta":
            # paymentSeries is marked required for Chitanta (no default is documented
            # here, unlike POST payment); it must name a receipt series.
            name = text_of(payment.get("paymentSeries"))
            receipt_series = self._series[company].get(name) if name is not None else None
            if receipt_series is None or receipt_series.type != "c":
                raise Refusal(texts.ERR_PAYMENT_SERIES)
        return pay_type, value, receipt_series

    def _issue(self, record: Record, series: Series | None) -> None:
        """Store ``record``, numbered in ``series`` unless it is a draft (drafts keep no number)."""
        if series is not None:
            record.series = series.name
            if not record.draft:
                record.number = pad(series.next_number)
                series.next_number += 1
        kept = self._drafts if record.draft else self._records
        kept.append(record)
        if not self.keep_documents and len(kept) > self.recent_documents:
            # Numbering lives in the series; only the latest documents are kept.
            del kept[: len(kept) - self.recent_documents]

    @route("POST", "invoice/reverse")
    def _post_reverse(self, request: FakeRequest) -> Reply:
        body = json_body(request)
        company, cif = self._company(body.get("companyVatCode"), texts.ERR_REVERSE_CIF)
        series_name = text_of(body.get("seriesName"))
        if series_name is None:
            raise Refusal(texts.ERR_REVERSE_SERIES)
        number = text_of(body.get("number"))
        if number is None:
            raise Refusal(texts.ERR_REVERSE_NUMBER)
        original = self._find_record(company, series_name, number)
        if original is None:
            raise Refusal(texts.ERR_INVOICE_NOT_FOUND.format(doc=spaced(series_name, number)))
        if original.kind == "storno":
            raise Refusal(texts.ERR_IS_STORNO.format(doc=spaced(series_name, number)))
        if original.reversed_by is not None:
            existing = self._find_record(company, *original.reversed_by)
            # A storno that was cancelled or deleted no longer reverses the invoice.
            if existing is not None and not existing.cancelled:
                raise Refusal(texts.ERR_ALREADY_REVERSED)
        issue_date = self._issue_date(body)
        if issue_date < original.issue_date:
            raise Refusal(texts.ERR_STORNO_DATE)
        # UNCERTAIN (fact sheet 1.8): the storno is assumed to take the next number in the
        # original's series, as SB-MCP reports.
        series = self._series[company].get(series_name)
        if series is None:
            raise Refusal(texts.ERR_SERIES_NOT_FOUND)
        storno = Record(
            kind="storno",
            company=company,
            company_vat_code=cif,
            issue_date=issue_date,
            body=body,
            document_id=self._allocate_id(),
            currency=original.currency,
            language=original.language,
            total=-original.total,
            client_name=original.client_name,
            client_vat=original.client_vat,
            use_stock=original.use_stock,
            reverses=original.key,
        )
        self._issue(storno, series)
        original.reversed_by = storno.key
        return Reply.json({**texts.document_body(storno.number, storno.series), **self._links(storno)})
