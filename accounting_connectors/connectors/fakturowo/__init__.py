"""Fakturowo.pl (``https://www.fakturowo.pl/api``), sans-I/O.

Facts used here come from ``shared/providers/fakturowo.md`` (its sections are cited as §N;
source tags FO-DOC, FO-LARAVEL, FO-CS, FO-PHP, FO-LIST as the sheet defines them). The traps
this module guards against:

* One endpoint for everything: form-encoded POSTs with ``api_id`` (the key) and the task
  number ``api_zadanie`` (1 issue, 3 list). GET would put the key in the URL (§1).
* Answers are plain-text lines and errors come under HTTP 200: ``0`` and the message on the
  next line. Answers are parsed strictly by line index; any other shape is an unknown
  outcome on an issue call (never resent).
* Lines go only as the numbered fields ``_1`` ... ``_N``: the unsuffixed set is *another*
  line, not an alias (§ Changes, §5.3).
* The issue answer gives the document's id (``api_numer``), an unknown line and the document
  link; the printed number is read from the list task (§4, §17.3).
* Every code list is UNCERTAIN (:mod:`.codes`); values outside it are refused locally.
* Calls must be synchronous, one at a time (§1, §13).
* No duplicate guard and no reference column in the list: an ambiguous issue is held (§14).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    ProviderError,
    ProviderValidationError,
    ServerError,
    ValidationError,
)
from ...flow import Call, Flow
from ...limits import RateLimit, credential_fingerprint
from ...model import (
    DocumentKind,
    Invoice,
    Line,
    Party,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatKind,
    VatRateInfo,
)
from ...money import CENT, TotalsMethod, document_totals, effective_unit_price, line_amount
from ...provider import Provider
from . import codes, wire
from .codes import Code
from .settings import BASE_URL, MIN_SPACING, FakturowoArgs, FakturowoSettings, normalise_nip

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "MIN_SPACING",
    "Fakturowo",
    "FakturowoArgs",
    "FakturowoSettings",
    "NotAPdf",
    "normalise_nip",
]

MAX_REDIRECTS = 3
"""Redirects ``fetch_pdf`` follows from the document link (to https addresses only)."""

CAPABILITIES = Capabilities(
    provider="fakturowo",
    entries={
        Capability.SEND_INVOICE: Entry(
            Support.SUPPORTED,
            "api_zadanie=1, lines only as _1.._N; no duplicate guard; every code UNCERTAIN",
        ),
        Capability.SEND_RECEIPT: Entry(
            Support.SUPPORTED, "opt-in receipts=True: dokument_rodzaj=20 (paragon) is unverified; not fiscalised"
        ),
        Capability.SEND_CORRECTION: Entry(
            Support.NOT_SUPPORTED, "no correction document kind is known and no client sends one (sheet §9)"
        ),
        Capability.FETCH_PDF: Entry(
            Support.SUPPORTED,
            "GETs the document link; it may serve HTML (typed NotAPdf); pobierz only with pdf_download=True",
        ),
        Capability.LIST_SERIES: Entry(Support.SUPPORTED, "one implicit series (the account's default); no series API"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "fixed 2019 list of dokument_zaplata codes, UNCERTAIN"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED, "fixed list: 23, 8, 5, 0, zw, np, oo"),
        Capability.RECORD_PAYMENT: Entry(
            Support.NOT_SUPPORTED, "payment is recorded only at issue (dokument_status); the edit call is unknown"
        ),
        Capability.SKU_STOCK: Entry(Support.NOT_SUPPORTED, "no product-code field; the SKU is appended to the name"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.SUPPORTED, "Invoice.number as dokument_numer; no series"),
        Capability.DOCUMENT_LINK: Entry(Support.SUPPORTED, "answer line 4 with dokument_dostep=1"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key or duplicate guard (§14)"),
        Capability.LOOKUP_BY_REFERENCE: Entry(
            Support.NOT_SUPPORTED,
            "the list has no reference column; a match by buyer, date and total is not exact, so an "
            "ambiguous issue is held for a person to check (§14)",
        ),
        Capability.EINVOICE: Entry(
            Support.NOT_SUPPORTED,
            'KSeF is sent with the app\'s "Wyślij do KSeF" button; no API operation (EINVOICING §3.6, UNCERTAIN)',
        ),
    },
)

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(
    PaymentType(name=name, description=f"dokument_zaplata={code.value} ({code.source})")
    for name, code in codes.PAYMENT_CODES.items()
)


class NotAPdf(ProviderError):
    """The document's address answered something other than a PDF.

    Fakturowo's document link may open an HTML page; ``content_type`` is what it served.
    """

    def __init__(self, message: str, *, content_type: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.content_type = content_type


_PARSED = "_fakturowo_answer"


class Fakturowo(Provider):
    """Fakturowo.pl connector: invoices and receipts through ``api_zadanie=1``.

    In the :class:`~accounting_connectors.model.SentDocument` it returns, ``external_id`` is
    ``api_numer`` (answer line 2), Fakturowo's unique id of the document, which ``pobierz``
    takes; ``number`` is the printed number (``dokument_numer``), read from the list task
    (or the invoice's own number); ``url`` is the document link (answer line 4).
    """

    name: ClassVar[str] = "fakturowo"
    title: ClassVar[str] = "Fakturowo.pl"
    country: ClassVar[str] = "PL"
    settings_class: ClassVar[type[Any]] = FakturowoSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # FO-DOC: call synchronously, wait for each answer; no documented limit (§13). One call
    # per 0.5 s is the sheet's advice; the limiter cannot say "one in flight" (see the docs),
    # so bulk export is also told to send one document at a time.
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(1, MIN_SPACING),)
    one_document_at_a_time: ClassVar[bool] = True

    settings: FakturowoSettings

    def __init__(self, settings: FakturowoSettings) -> None:
        super().__init__(settings)
        origin = httpx.URL(settings.base_url)
        self._endpoint = settings.base_url
        # pobierz lives beside the API on the same host (FO-LIST uses www.fakturowo.pl/pobierz).
        self._pobierz = str(origin.copy_with(path="/pobierz", query=None))
        self._units = {**{name: code.value for name, code in codes.UNIT_CODES.items()}, **settings.unit_codes}
        self._payments = {**{name: code.value for name, code in codes.PAYMENT_CODES.items()}, **settings.payment_codes}
        self._payment_types = [PaymentType(name=name) for name in self._payments]
        # Every code list is UNCERTAIN, so each one can be overridden (§17.1).
        self._kinds = {
            **{kind: code.value for kind, code in codes.DOCUMENT_KINDS.items()},
            **settings.document_kind_codes,
        }
        self._currencies = {
            **{currency: code.value for currency, code in codes.CURRENCY_CODES.items()},
            **{currency.strip().upper(): code for currency, code in settings.currency_codes.items()},
        }
        self._languages = {
            **{language: code.value for language, code in codes.LANGUAGE_CODES.items()},
            **{language.strip().lower(): code for language, code in settings.language_codes.items()},
        }

    def __repr__(self) -> str:
        return f"Fakturowo(seller_nip={self.settings.seller_nip!r}, base_url={self.settings.base_url!r})"

    # What the drivers ask.

    def credential_fingerprint(self) -> str:
        """The account, not the key: one call at a time holds per account (§13).

        Neither the key nor the host is part of it: two keys of one account, or the same
        account reached through ``www.fakturowo.pl`` and ``konto.fakturowo.pl`` (both in
        production use, §1), share one limiter.
        """
        return credential_fingerprint("fakturowo", self.settings.seller_nip)

    def account(self) -> str:
        """The issuing company's NIP (the ``seller_nip`` setting)."""
        return self.settings.seller_nip

    def secrets(self) -> tuple[str, ...]:
        """The API key."""
        return (self.settings.api_id,)

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where to look after an ambiguous issue: the order number, else buyer, date and total."""
        return (
            f"Fakturowo has no duplicate guard and its list has no reference column: in Dokumenty, look for a "
            f"document with order number (Zamówienie) {reference!r}, or with the same buyer, date and total, "
            f"before sending it again"
        )

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Errors by HTTP status, then the line format: ``0`` is a refusal, any other shape unknown.

        An unparseable answer is a ``ServerError``: on an issue call the driver turns it into
        ``AmbiguousOutcome`` (the document may exist) and never resends it.
        """
        if response.status_code >= 400:
            return self.status_error(response)
        if call.operation == "fetch_pdf":
            return None  # a PDF, an HTML page or a line answer: the flow tells them apart
        try:
            parsed = wire.parse_issue(response.content) if call.creates else wire.parse_list(response.content)
        except wire.MalformedAnswer as error:
            return ServerError(f"{self.display_name} answered something that is not its line format: {error}")
        if isinstance(parsed, wire.Refusal):
            return self._refusal(parsed, response)
        setattr(response, _PARSED, parsed)
        return None

    def error_message(self, response: httpx.Response) -> str | None:
        """The message line of a ``0`` answer, if the body is one."""
        refusal = wire.parse_refusal(response.content)
        return refusal.message or None if refusal is not None else None

    def _refusal(self, refusal: wire.Refusal, response: httpx.Response) -> ProviderValidationError:
        # FO-DOC: 0 is a failure, so nothing was issued. The texts are not documented, so no
        # finer class (authentication, limits) is guessed from them.
        message = refusal.message or f"{self.display_name} refused the call without a message"
        return ProviderValidationError(message, field_errors={"": [message]}, response=response)

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue ``invoice`` (``api_zadanie=1``), then read its printed number (``api_zadanie=3``)."""
        fields = self._invoice_fields(invoice)
        response = yield Call(self._post(fields), "send_invoice", creates=True)
        return (yield from self._sent(response, DocumentKind.INVOICE, invoice.reference, invoice.issue_date,
                                      invoice.number, "send_invoice"))  # fmt: skip

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue ``receipt`` as ``dokument_rodzaj=20`` (only with ``receipts=True``)."""
        if not self.settings.receipts:
            raise self.unsupported(
                Capability.SEND_RECEIPT,
                "receipts are off: dokument_rodzaj=20 (paragon) is unverified in every source; "
                "set receipts=True to send them",
            )
        fields = self._receipt_fields(receipt)
        response = yield Call(self._post(fields), "send_receipt", creates=True)
        return (yield from self._sent(response, DocumentKind.RECEIPT, receipt.reference, receipt.issue_date,
                                      receipt.number, "send_receipt"))  # fmt: skip

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The document's PDF: a GET of its link, or of ``pobierz`` with ``pdf_download=True``.

        Raises:
            NotAPdf: the address served something else (the link may open an HTML page).
        """
        self.own_document(document)
        if self.settings.pdf_download:
            if not document.external_id:
                raise ValidationError("document.external_id", "has no Fakturowo api_numer to download")
            params = {"api_id": self.settings.api_id, "api_numer": document.external_id}
            request = httpx.Request("GET", self._pobierz, params=params)
            where = "pobierz"
        else:
            if not document.url:
                raise ValidationError("document.url", "has no Fakturowo document link (answer line 4)")
            request = httpx.Request("GET", document.url)
            where = "the document link"
        response: httpx.Response = yield Call(request, "fetch_pdf")
        for _ in range(MAX_REDIRECTS):  # the link may redirect to where the file is (https only)
            location = response.headers.get("Location") if response.is_redirect else None
            if not location:
                break
            target = response.request.url.join(location)
            if target.scheme != "https" and target.host not in ("127.0.0.1", "localhost", "::1"):
                break
            response = yield Call(httpx.Request("GET", target), "fetch_pdf")
        content = response.content
        if content.startswith(b"%PDF"):
            return content
        refusal = wire.parse_refusal(content)
        if refusal is not None:
            raise self._refusal(refusal, response)
        kind = response.headers.get("Content-Type", "unknown content type")
        html = b"<html" in content[:512].lower() or b"<!doctype" in content[:512].lower() or "html" in kind
        served = "an HTML page" if html else f"{kind}, {len(content)} bytes"
        advice = "" if self.settings.pdf_download else "; set pdf_download=True to fetch it through pobierz"
        raise NotAPdf(
            f"{where} served {served}, not a PDF{advice}", content_type=kind.split(";")[0].strip(), response=response
        )

    def list_series(self) -> Flow[list[Series]]:
        """One implicit series, the account's default: the API has no series (§7); no call."""
        return [Series(name="account default", is_default=True)]
        yield  # a flow with no calls

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The ``dokument_zaplata`` names (2019 list plus ``payment_codes``); no call."""
        described = {payment_type.name: payment_type for payment_type in PAYMENT_TYPES}
        return [
            described[name] if code == codes.PAYMENT_CODES.get(name, Code("", "")).value else
            PaymentType(name=name, description=f"dokument_zaplata={code} (payment_codes setting)")
            for name, code in self._payments.items()
        ]  # fmt: skip
        yield  # a flow with no calls

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The VAT codes of :data:`codes.VAT_CODES` (no listing endpoint, §6); no call."""
        return [
            VatRateInfo(name=code.value, vat=rate, is_default=code.value == "23")
            for rate, code in codes.VAT_CODES.items()
        ]
        yield  # a flow with no calls

    # Requests.

    def _post(self, fields: list[tuple[str, str]]) -> httpx.Request:
        body = wire.encode_form([("api_id", self.settings.api_id), *fields])
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/plain"}
        return httpx.Request("POST", self._endpoint, content=body, headers=headers)

    def _sent(
        self,
        response: httpx.Response,
        kind: DocumentKind,
        reference: str,
        issue_date: dt.date,
        own_number: str | None,
        operation: str,
    ) -> Flow[SentDocument]:
        answer = getattr(response, _PARSED, None)
        if not isinstance(answer, wire.IssueAnswer):  # error_for parsed it; checked again for safety
            parsed = wire.parse_issue(response.content)
            if not isinstance(parsed, wire.IssueAnswer):
                raise self._refusal(parsed, response)
            answer = parsed
        number = own_number
        looked_up = False
        if number is None and self.settings.read_number:
            number = yield from self._printed_number(answer.api_numer, operation)
            looked_up = True
        raw = {"api_numer": answer.api_numer, "line_2": answer.line_2, "link": answer.link, "number_read": looked_up}
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=number,
            external_id=answer.api_numer,
            issue_date=issue_date,
            url=answer.link,
            raw=raw,
        )

    def _printed_number(self, api_numer: str, operation: str) -> Flow[str | None]:
        """The ``dokument_numer`` of the document ``api_numer`` from the list (§3, §17.3).

        The list's order is unknown, so the first page is read and, when the document is not
        on it, the last. Any failure leaves the number unknown: the document is issued already.
        """
        try:
            first = yield Call(self._post(self._list_fields(1)), operation)
            listed = self._listed(first)
            row = _row_of(listed, api_numer)
            if row is None and listed.pages > 1:
                last = yield Call(self._post(self._list_fields(listed.pages)), operation)
                row = _row_of(self._listed(last), api_numer)
        except (AccountingError, wire.MalformedAnswer):
            return None
        return row.number if row is not None and row.number else None

    def _listed(self, response: httpx.Response) -> wire.ListAnswer:
        answer = getattr(response, _PARSED, None)
        if isinstance(answer, wire.ListAnswer):
            return answer
        parsed = wire.parse_list(response.content)
        if not isinstance(parsed, wire.ListAnswer):
            raise self._refusal(parsed, response)
        return parsed

    @staticmethod
    def _list_fields(page: int) -> list[tuple[str, str]]:
        return [("api_zadanie", codes.TASKS["list"].value), ("p", str(page))]

    # Document fields.

    def _invoice_fields(self, invoice: Invoice) -> list[tuple[str, str]]:
        if invoice.use_stock:
            raise self.unsupported(Capability.SKU_STOCK)
        if invoice.series is not None:
            raise ValidationError("series", "Fakturowo has no series parameter; the account's numbering is used (§7)")
        if invoice.exchange_rate is not None:
            raise ValidationError(
                "exchange_rate",
                "Fakturowo's conversion fields (dokument_przelicz_walute, ...) have undocumented values",
            )
        totals = document_totals(
            invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_RATE
        ).total
        fields = self._head(self._kinds["invoice"], invoice.number, invoice.issue_date, invoice.sale_date)
        fields += self._currency_and_language(invoice.currency, invoice.language)
        payment = invoice.payment
        if payment is None:
            fields += [("dokument_zaplata", self._payment_code(self.settings.payment_method, "payment_method"))]
            fields += [("dokument_pokaz_zaplata", "1")]
            # Unpaid said explicitly, as the sheet's example does (§4): Fakturowo's default for a
            # missing dokument_status is not documented (§6), and payment_method may be a "paid by" code.
            fields += [("dokument_status", codes.PAYMENT_STATUS["unpaid"].value)]
        else:
            if payment.amount > totals.gross:
                raise ValidationError("payment.amount", f"{payment.amount} is more than the invoice's {totals.gross}")
            if payment.amount.quantize(CENT) != payment.amount:
                raise ValidationError("payment.amount", "must be a whole number of grosze")
            full = payment.amount == totals.gross
            fields += [
                ("dokument_zaplata", self._payment_code(payment.method, "payment.method")),
                ("dokument_pokaz_zaplata", "1"),
                ("dokument_status", codes.PAYMENT_STATUS["paid" if full else "partially paid"].value),
                ("dokument_zaplacono", wire.amount_text(payment.amount)),
            ]
            if payment.paid_on is not None:
                fields += [("dokument_data_p", wire.date_text(payment.paid_on))]
        if invoice.due_date is not None:
            fields += [("dokument_termin", str((invoice.due_date - invoice.issue_date).days))]
            fields += [("dokument_pokaz_termin", "1")]
        fields += self._reference(invoice.reference)
        fields += self._seller()
        fields += self._buyer(invoice.buyer, "buyer")
        fields += self._lines_and_notes(invoice.lines, invoice.prices_include_vat, invoice.notes, receipt=False)
        return fields

    def _receipt_fields(self, receipt: Receipt) -> list[tuple[str, str]]:
        if receipt.series is not None:
            raise ValidationError("series", "Fakturowo has no series parameter; the account's numbering is used (§7)")
        totals = document_totals(
            receipt.lines, prices_include_vat=receipt.prices_include_vat, method=TotalsMethod.PER_RATE
        ).total
        fields = self._head(self._kinds["receipt"], receipt.number, receipt.issue_date, None)
        fields += self._currency_and_language(receipt.currency, receipt.language)
        fields += [
            ("dokument_zaplata", self._payment_code(receipt.payment_method, "payment_method")),
            ("dokument_status", codes.PAYMENT_STATUS["paid"].value),
            ("dokument_zaplacono", wire.amount_text(totals.gross)),
        ]
        fields += self._reference(receipt.reference)
        fields += self._seller()
        if receipt.buyer is not None:
            fields += self._buyer(receipt.buyer, "buyer")
        fields += self._lines_and_notes(receipt.lines, receipt.prices_include_vat, receipt.notes, receipt=True)
        return fields

    def _head(self, kind: str, number: str | None, issued: dt.date, sold: dt.date | None) -> list[tuple[str, str]]:
        fields = [
            ("api_zadanie", codes.TASKS["issue"].value),
            ("dokument_dostep", "1"),
            ("dokument_rodzaj", kind),
        ]
        if number is not None:
            if not number.strip():
                raise ValidationError("number", "must be non-empty text (or None for Fakturowo's numbering)")
            fields += [("dokument_numer", wire.text_param(number)), ("dokument_pokaz_numer", "1")]
        fields += [
            ("dokument_data_w", wire.date_text(issued)),
            ("dokument_pokaz_data_w", "1"),
            ("dokument_data_s", wire.date_text(sold or issued)),
            ("dokument_pokaz_data_s", "1"),
        ]
        if self.settings.place_of_issue:
            fields += [
                ("dokument_miejsce", wire.text_param(self.settings.place_of_issue)),
                ("dokument_pokaz_miejsce", "1"),
            ]
        return fields

    def _currency_and_language(self, currency: str, language: str | None) -> list[tuple[str, str]]:
        currency_code = self._currencies.get(currency)
        if currency_code is None:
            raise ValidationError("currency", f"{currency} is not in Fakturowo's currency table (add currency_codes)")
        fields = [("dokument_waluta", currency_code)]
        if language is not None:
            language_code = self._languages.get(language.lower())
            if language_code is None:
                known = ", ".join(sorted(self._languages))
                raise ValidationError(
                    "language", f"{language!r} has no known dokument_jezyk code (known: {known}; add language_codes)"
                )
            fields += [("dokument_jezyk", language_code)]
        return fields

    @staticmethod
    def _reference(reference: str) -> list[tuple[str, str]]:
        # The caller's reference is printed as the order number, so a person can find it (§14).
        return [("dokument_zamowienie", wire.text_param(reference)), ("dokument_pokaz_zamowienie", "1")]

    def _seller(self) -> list[tuple[str, str]]:
        settings = self.settings
        fields = [("sprzedawca_nazwa", wire.text_param(settings.seller_name)), ("sprzedawca_nip", settings.seller_nip)]
        for name, value in (
            ("sprzedawca_ulica", settings.seller_street),
            ("sprzedawca_miasto", settings.seller_city),
            ("sprzedawca_kod", settings.seller_postal_code),
        ):
            if value:
                fields.append((name, wire.text_param(value)))
        return fields

    @staticmethod
    def _buyer(party: Party, field: str) -> list[tuple[str, str]]:
        if party.is_company:
            assert party.tax_id is not None  # the model requires it for companies
            fields = [
                ("nabywca_osoba", codes.BUYER_KINDS["company"].value),
                ("nabywca_nazwa", wire.text_param(party.name.strip())),
                ("nabywca_nip", party.tax_id.strip()),
            ]
        else:
            # UNCERTAIN split (§5.2 names the two fields only): the last word is the surname.
            first, _, last = party.name.strip().rpartition(" ")
            fields = [("nabywca_osoba", codes.BUYER_KINDS["person"].value)]
            if first.strip():
                fields.append(("nabywca_imie", wire.text_param(first.strip())))
            fields.append(("nabywca_nazwisko", wire.text_param(last.strip())))
        address = party.address
        if address is not None:
            for name, value in (
                ("nabywca_ulica", address.street),
                ("nabywca_miasto", address.city),
                ("nabywca_kod", address.postal_code),
            ):
                if value and value.strip():
                    fields.append((name, wire.text_param(value.strip())))
            fields.append(("nabywca_kraj", address.country))  # alpha-2, as FO-PHP sends it
        if party.email and party.email.strip():
            fields.append(("nabywca_email", party.email.strip()))
        if party.phone and party.phone.strip():
            fields.append(("nabywca_telefon", party.phone.strip()))
        return fields

    def _lines_and_notes(
        self, lines: tuple[Line, ...], gross: bool, notes: str | None, *, receipt: bool
    ) -> list[tuple[str, str]]:
        fields: list[tuple[str, str]] = []
        remarks: list[str] = []
        exempt = False
        for index, line in enumerate(lines):
            number = index + 1
            where = f"lines[{index}]"
            unit = self._units.get(line.unit.strip())
            if unit is None:
                known = ", ".join(sorted(self._units))
                raise ValidationError(
                    f"{where}.unit", f"{line.unit!r} has no produkt_jm code (known: {known}; add unit_codes)"
                )
            vat = codes.VAT_CODES.get(line.vat)
            if vat is None:
                raise ValidationError(f"{where}.vat", f"{line.vat} has no Fakturowo produkt_stawka_vat code")
            exempt = exempt or line.vat.kind is VatKind.EXEMPT
            name = line.name.strip() if not line.sku else f"{line.name.strip()} ({line.sku.strip()})"  # FO-PHP
            fields += [
                (wire.line_field("produkt_nazwa", number), wire.text_param(name)),
                (wire.line_field("produkt_ilosc", number), wire.quantity_text(line.quantity)),
                (wire.line_field("produkt_jm", number), unit),
                (wire.line_field("produkt_stawka_vat", number), vat.value),
            ]
            if gross:
                # The gross *line value* (FO-LARAVEL Price): exactly the amount the totals use.
                fields.append((wire.line_field("produkt_wartosc_brutto", number), wire.amount_text(line_amount(line))))
            else:
                price = effective_unit_price(line)
                try:
                    text = wire.amount_text(price)
                except ValueError:
                    raise ValidationError(
                        f"{where}.unit_price",
                        f"the net unit price after the discount ({price.normalize():f}) is not a whole number of "
                        f"grosze; Fakturowo's rounding of finer prices is unknown",
                    ) from None
                fields.append((wire.line_field("produkt_cena_netto", number), text))
            if line.discount_percent is not None:
                # No discount field is known (§4): the price is the discounted one and the note says so.
                remarks.append(f"Rabat {line.discount_percent.normalize():f}% na {line.name.strip()}")
        if exempt and not receipt:
            settings = self.settings
            if settings.exemption_basis_code is None and settings.exemption_basis is None:
                raise ValidationError(
                    "lines", "a zw (exempt) line needs the exemption basis: set exemption_basis (and _code)"
                )
            if settings.exemption_basis_code is not None:
                fields.append(("dokument_rodzaj_podstawa_zw", settings.exemption_basis_code))
            if settings.exemption_basis is not None:
                fields.append(("dokument_podstawa_zw", wire.text_param(settings.exemption_basis)))
        text = "\n".join(part for part in [notes.strip() if notes else "", *remarks] if part)
        if text:
            fields += [("dokument_uwagi", wire.text_param(text)), ("dokument_pokaz_uwagi", "1")]
        return fields

    def _payment_code(self, name: str, field: str) -> str:
        chosen = self.payment_type_named(self._payment_types, name, field)
        return self._payments[chosen.name]


def _row_of(listed: wire.ListAnswer, api_numer: str) -> wire.ListRow | None:
    return next((row for row in listed.rows if row.api_numer == api_numer), None)
