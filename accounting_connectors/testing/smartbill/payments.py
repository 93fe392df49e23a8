"""The SmartBill fake's ``POST payment``: receipts (chitante) and other collections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .invoices import InvoiceRoutes
from .state import PAYMENT_TYPES, Key, Record, Refusal, Series, decimal_of, json_body, norm_cif, text_of, truthy


class PaymentRoutes(InvoiceRoutes):
    """Recording payments, against invoices or on their own."""

    @route("POST", "payment")
    def _post_payment(self, request: FakeRequest) -> Reply:
        body = json_body(request)
        company, cif = self._company(body.get("companyVatCode"), texts.ERR_CIF_BODY)
        pay_type = text_of(body.get("type"))
        if pay_type is None:
            raise Refusal(texts.ERR_PAYMENT_TYPE_MISSING)
        if pay_type == "Bon":
            # Fiscal receipts need a cash register configured for the user; the fake
            # account has none.
            raise Refusal(texts.ERR_PAYMENT_BON.format(user=self.username))
        if pay_type not in PAYMENT_TYPES:
            raise Refusal(texts.ERR_PAYMENT_TYPE_UNKNOWN)
        issue_date = self._issue_date(body)
        use_details = truthy(body.get("useInvoiceDetails"))
        references = self._invoice_references(body.get("invoicesList"))
        if len(references) > 70:
            raise Refusal(texts.ERR_PAYMENT_TOO_MANY)
        if use_details and not references:
            raise Refusal(texts.ERR_PAYMENT_INVOICE_DETAILS)
        if use_details and len(references) > 1:
            # UNCERTAIN: the Swagger's error table says one invoice only in this mode,
            # its prose says several; the fake takes the stricter rule.
            raise Refusal(texts.ERR_PAYMENT_ONE_INVOICE)
        invoices: list[Record] = []
        for series_name, number in references:
            found = self._find_record(company, series_name, number)
            if found is None:
                raise Refusal(texts.ERR_PAYMENT_INVOICE_NOT_FOUND)
            if found.cancelled:
                raise Refusal(texts.ERR_PAYMENT_CANCELLED.format(doc=f"{series_name}{number}"))
            invoices.append(found)

        if use_details:
            # Client, currency, language and value are taken from the invoice; values
            # sent in the request are ignored (Swagger "cu datele din factura").
            source = invoices[0]
            client_name, client_vat = source.client_name, source.client_vat
            currency, language = source.currency, source.language
            # "Valoarea incasarii este totalul facturat" (Swagger).
            value = source.total
        else:
            value_or_none = decimal_of(body.get("value"))
            if value_or_none is None:
                raise Refusal(texts.ERR_PAYMENT_VALUE)
            value = value_or_none
            client = body.get("client")
            name = text_of(client.get("name")) if isinstance(client, dict) else None
            if name is None or not isinstance(client, dict):
                raise Refusal(texts.ERR_CLIENT_INVALID)
            client_name, client_vat = name, text_of(client.get("vatCode")) or ""
            currency = text_of(body.get("currency")) or "RON"
            if currency not in self.currencies:
                raise Refusal(texts.ERR_CURRENCY)
            language = text_of(body.get("language")) or "RO"
            if language not in self.languages:
                raise Refusal(texts.ERR_LANGUAGE)
            for invoice in invoices:
                ref = f"{invoice.series}{invoice.number}"
                if not self._same_client(invoice, client_name, client_vat):
                    raise Refusal(texts.ERR_PAYMENT_CLIENT.format(doc=ref))
                if invoice.currency != currency:
                    raise Refusal(texts.ERR_PAYMENT_CURRENCY.format(doc=ref))
                if invoice.language != language:
                    raise Refusal(texts.ERR_PAYMENT_LANGUAGE.format(doc=ref))

        receipt_series: Series | None = None
        if pay_type == "Chitanta":
            series_name_sent = text_of(body.get("seriesName"))
            if series_name_sent is not None:
                found_series = self._series[company].get(series_name_sent)
                if found_series is None:
                    raise Refusal(texts.ERR_SERIES_NOT_FOUND)
                if found_series.type != "c":
                    raise Refusal(texts.ERR_PAYMENT_NOT_RECEIPT_SERIES)
                receipt_series = found_series
            else:
                # Omitted: the account's default receipt series.
                receipt_series = self._resolve_series(company, None, "c", texts.ERR_SERIES_NOT_FOUND)

        draft = truthy(body.get("isDraft"))
        record = Record(
            kind="receipt" if pay_type == "Chitanta" else "payment",
            company=company,
            company_vat_code=cif,
            issue_date=issue_date,
            body=body,
            document_id=self._allocate_id(),
            currency=currency,
            language=language,
            total=value,
            client_name=client_name,
            client_vat=client_vat,
            payment_type=pay_type,
            allocations=[] if draft else self._allocate(value, invoices),
            draft=draft,
        )
        self._issue(record, receipt_series)
        return Reply.json({"errorText": "", "message": "", "number": record.number, "series": record.series})

    @staticmethod
    def _invoice_references(raw: Any) -> list[Key]:
        """``(seriesName, number)`` of each ``invoicesList`` entry.

        An array per the Swagger; a single object is also accepted because SmartBill's
        own Postman example sends one.
        """
        if raw is None:
            return []
        items = [raw] if isinstance(raw, dict) else raw
        if not isinstance(items, list):
            raise Refusal(texts.ERR_PAYMENT_INVOICE_DETAILS)
        references: list[Key] = []
        for item in items:
            series = text_of(item.get("seriesName")) if isinstance(item, dict) else None
            number = text_of(item.get("number")) if isinstance(item, dict) else None
            if series is None or number is None:
                raise Refusal(texts.ERR_PAYMENT_INVOICE_DETAILS)
            references.append((series, number))
        return references

    @staticmethod
    def _same_client(invoice: Record, name: str, vat: str) -> bool:
        # UNCERTAIN how SmartBill matches clients: by CIF when both sides have one,
        # otherwise by name (case-insensitive).
        if invoice.client_vat and vat:
            return norm_cif(invoice.client_vat) == norm_cif(vat)
        return invoice.client_name.strip().casefold() == name.strip().casefold()

    def _allocate(self, value: Decimal, invoices: list[Record]) -> list[tuple[Key, Decimal]]:
        """Spread a payment over the listed invoices.

        In order, each up to what it still owes; any excess goes to the last one
        (UNCERTAIN: SmartBill's own rule is not documented).
        """
        allocations: list[tuple[Key, Decimal]] = []
        left = value
        for index, invoice in enumerate(invoices):
            owed = max(invoice.total - self._paid(invoice), Decimal(0))
            share = left if index == len(invoices) - 1 else min(left, owed)
            allocations.append(((invoice.series, invoice.number), share))
            left -= share
        return allocations
