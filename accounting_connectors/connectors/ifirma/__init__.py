"""iFirma.pl (``https://www.ifirma.pl/iapi/``), sans-I/O.

Facts used here come from ``shared/providers/ifirma.md`` (tags in comments: I-DOC the
official API pages, I-OFF the official shop plugins, I-BUNDLE
``maciejlewandowskii/iFirmaBundle``, I-PNOW ``pnowosie/ifirma-api``, I-MCP the MCP
server's findings). The traps this package guards against:

* Every request is signed: ``Authentication: IAPIS user=<login>, hmac-sha1=<hex>`` over the
  URL without its query, the login, the *key name* and the exact body bytes, with the
  hex key decoded to bytes. Each endpoint wants its own key (``faktura``, ``abonent``).
* Errors come inside HTTP 200 as ``{"response": {"Kod": <not 0>, "Informacja": ...}}``.
* An invoice must be dated in the account's current *accounting month*; like the official
  plugins, the connector reads the month and moves it (``NAST``/``POPRZ``) first.
* The create answers only with the internal id (``Identyfikator``); the printed number
  (``PelnyNumer``) is read back with a second call.
* One endpoint per invoice kind (domestic, foreign-currency, intra-EU supply, export of
  goods), each with its own field set; VAT rates are fractions (``0.23``).
* 100 requests a minute and 15,000 a day per user; no idempotency key, no receipts, no
  series listing, no stock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    AmbiguousOutcome,
    AuthenticationError,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    ServerError,
    UnsupportedOperation,
    ValidationError,
)
from ...flow import Call, Flow
from ...limits import RateLimit, credential_fingerprint
from ...model import Correction, DocumentKind, EInvoiceStatus, Invoice, Payment, PaymentType, SentDocument, VatKind
from ...money import TotalsMethod, document_totals
from ...provider import DEFAULT_STATUS_ERRORS, dump_json, json_number, json_request, read_json
from . import einvoice
from .wire import (
    DOMESTIC,
    EU_COUNTRIES,
    EXPORT_OF_GOODS,
    FOREIGN_CURRENCY,
    INTRA_EU_SUPPLY,
    INVOICE_KEY,
    INVOICE_KINDS,
    PAYMENT_TYPES,
    SUBSCRIBER_KEY,
    IFirmaArgs,
    IFirmaBodies,
    IFirmaSettings,
    authentication_header,
    hmac_sha1_hex,
)

__all__ = [
    "CAPABILITIES", "DOMESTIC", "EXPORT_OF_GOODS", "FOREIGN_CURRENCY", "INTRA_EU_SUPPLY", "INVOICE_KINDS",
    "PAYMENT_TYPES", "IFirma", "IFirmaArgs", "IFirmaSettings", "authentication_header", "hmac_sha1_hex",
]  # fmt: skip

# ``typ_faktury`` of the payments endpoint per invoice kind [I-DOC /rejestrowanie-wplat-do-faktur].
# A ``fakturawaluta`` invoice (a domestic sale priced in a foreign currency) is paid as
# ``prz_faktura_wys_ter_kraj`` (ifirma.md §2.11, corrected from the official page).
_PAYMENT_INVOICE_TYPES: Mapping[str, str] = {
    DOMESTIC: "prz_faktura_kraj",
    FOREIGN_CURRENCY: "prz_faktura_wys_ter_kraj",
    INTRA_EU_SUPPLY: "prz_dostawa_ue_towarow",
    EXPORT_OF_GOODS: "prz_eksport_towarow",
}

_CONTENT_TYPE = "application/json; charset=UTF-8"

# Not-found has no documented Kod; iFirma's texts say "nie znaleziono" (UNCERTAIN).
_NOT_FOUND = re.compile(r"(?i)nie\s+znaleziono|not\s+found")
# Exceeding the limit is not documented either (UNCERTAIN): HTTP 429 or a text naming the limit.
# "Przekroczono limit dokumentów" is the monthly document quota, not a rate limit.
_LIMIT_TEXT = re.compile(r"(?i)limit\w*\s+zapyta")

# How many lost answers to an accounting-month move are read back before giving up.
_MONTH_MOVE_LOST = 3

# The Kod table [I-DOC /faq]; any other Kod is a refusal of the document.
_KOD_ERRORS: Mapping[int, type[ProviderError]] = {
    100: ServerError, **dict.fromkeys((400, 401, 402, 403), AuthenticationError), 499: PermissionDenied,
    500: PermissionDenied,
}  # fmt: skip

CAPABILITIES = Capabilities(  # the row of the capability matrix
    provider="ifirma",
    entries={
        Capability.SEND_INVOICE: Entry(
            Support.SUPPORTED, "domestic, foreign-currency, intra-EU supply (WDT), export of goods"
        ),
        Capability.SEND_RECEIPT: Entry(
            Support.NOT_SUPPORTED, "iFirma has no receipt document (only invoices to till receipts)"
        ),
        Capability.SEND_CORRECTION: Entry(
            Support.SUPPORTED, "domestic (fakturakraj) invoices only; PowodKorekty code as reason"
        ),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED),
        Capability.LIST_SERIES: Entry(
            Support.NOT_SUPPORTED, "no endpoint lists series; name one in settings (NazwaSeriiNumeracji)"
        ),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented fixed list"),
        Capability.LIST_VAT_RATES: Entry(
            Support.NOT_IMPLEMENTED, "only an EU-rates dictionary exists (slownik/stawki_vat, shape undocumented)"
        ),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "faktury/wplaty by invoice kind; a date for non-PLN"),
        Capability.SKU_STOCK: Entry(Support.NOT_SUPPORTED, "no warehouse in the iFirma API"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.NOT_IMPLEMENTED, "the meaning of Numer is UNCERTAIN"),
        Capability.DOCUMENT_LINK: Entry(Support.NOT_SUPPORTED, "no public document link in the API"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key"),
        Capability.LOOKUP_BY_REFERENCE: Entry(Support.NOT_SUPPORTED, "no external-id field to search by"),
        Capability.EINVOICE: Entry(
            Support.SUPPORTED, "NumerKSEF/StatusKSEF of the invoice read (third-party, UNCERTAIN); CzyWyslano ignored"
        ),
    },
)


class IFirma(IFirmaBodies):
    """iFirma.pl connector; its settings are :class:`IFirmaSettings`."""

    name: ClassVar[str] = "ifirma"
    title: ClassVar[str] = "iFirma.pl"
    country: ClassVar[str] = "PL"
    settings_class: ClassVar[type[Any]] = IFirmaSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(100, 60.0), RateLimit(15_000, 86_400.0))
    # I-BUNDLE treats HTTP 401 and 403 as authentication failures; iFirma documents only Kod.
    status_errors: ClassVar[Mapping[int, type[ProviderError]]] = {**DEFAULT_STATUS_ERRORS, 403: AuthenticationError}
    # A rate-limit answer without Retry-After: wait a minute (the shorter of the two windows).
    retry_after_default: ClassVar[float | None] = 60.0
    # Each invoice first moves the account's one accounting month to its own: two sent at
    # once could pull the month back and forth between them.
    one_document_at_a_time: ClassVar[bool] = True

    def __init__(self, settings: IFirmaSettings) -> None:
        super().__init__(settings)
        self.username = settings.username
        keys = {INVOICE_KEY: settings.invoice_key, SUBSCRIBER_KEY: settings.subscriber_key}
        self._keys = {name: key for name, key in keys.items() if key is not None}

    def __repr__(self) -> str:
        return f"IFirma(username={self.username!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for the same iFirma login (the limits are per user)."""
        return credential_fingerprint(self.username.casefold())

    def account(self) -> str:
        """The issuing company's NIP (the ``company_tax_id`` setting), never the login.

        Two users of one company issue into the same books: a document one of them sent
        must be found by the other. iFirma's API has no call that names the company.
        """
        return str(self.settings.company_tax_id)

    # An ambiguous create is settled by matching the document's content in the invoice
    # list (settle); iFirma keeps no caller reference, so this is not LOOKUP_BY_REFERENCE.
    settles_ambiguous: ClassVar[str | None] = "content"

    def settle(
        self, kind: DocumentKind, reference: str, data: Mapping[str, str], document: Any = None
    ) -> Flow[SentDocument | None]:
        """Settle an ambiguous invoice create by finding the invoice it would have made.

        iFirma keeps no reference of the caller, so the match is by content:
        ``GET faktury.json`` lists the invoices of the issue date to the buyer's NIP
        (sheet §2.4), each with ``Brutto``; every one with the same gross total is read
        back and its lines (``Pozycje``: name, quantity, unit price, rate) compared with
        the lines sent. Invoices the ledger already holds for other references
        (``data["known_ids"]``, comma-separated) are never taken.

        Returns the one matching invoice, or ``None`` when none matches (nothing was
        issued: it may be sent again). Raises ``AmbiguousOutcome`` when more than one
        matches, when a candidate's lines cannot be read, or for anything but an invoice.
        """
        if kind is not DocumentKind.INVOICE or not isinstance(document, Invoice):
            raise AmbiguousOutcome(
                f"iFirma settles only invoices by their content; {reference!r} needs a person", operation="settle"
            )
        endpoint = self.invoice_kind(document)
        body = self._invoice_body(document, endpoint)
        day = body["DataWystawienia"]
        nip = "".join(ch for ch in str(body["Kontrahent"].get("NIP") or "") if ch.isalnum())
        gross = document_totals(
            document.lines, prices_include_vat=document.prices_include_vat, method=TotalsMethod.PER_RATE
        ).total.gross
        known = {item for item in str(data.get("known_ids") or "").split(",") if item}
        candidates: list[Mapping[str, Any]] = []
        page = 1
        while True:
            params = {"dataOd": day, "dataDo": day, "strona": str(page), "iloscNaStronie": str(_LIST_PAGE)}
            if nip:
                params["nipKontrahenta"] = nip
            request = self._request("GET", "faktury.json", INVOICE_KEY)
            request = httpx.Request(
                "GET", request.url.copy_merge_params(params), headers=request.headers
            )  # signed without the query (I-DOC), so the header stays valid
            response = yield Call(request, "settle")
            items = _envelope(read_json(response)).get("Wynik")
            if not isinstance(items, list):
                raise AmbiguousOutcome("iFirma's invoice list answered no Wynik list", operation="settle")
            for item in items:
                if not isinstance(item, Mapping) or str(item.get("DataWystawienia") or "")[:10] != day:
                    continue
                item_nip = "".join(ch for ch in str(item.get("NIPKontrahenta") or "") if ch.isalnum())
                if item_nip != nip or _decimal(item.get("Brutto")) != gross:
                    continue
                if str(item.get("FakturaId") or "") in known:
                    continue
                candidates.append(item)
            if len(items) < _LIST_PAGE:
                break
            page += 1
        matches: list[SentDocument] = []
        for item in candidates:
            identifier = str(item.get("FakturaId") or "")
            if not identifier.isdigit():
                raise AmbiguousOutcome(
                    f"iFirma listed a matching invoice without FakturaId: {item}", operation="settle"
                )
            read = yield Call(self._request("GET", f"{endpoint}/{identifier}.json", INVOICE_KEY), "settle")
            details = _details(read)
            lines = details.get("Pozycje")
            if not isinstance(lines, list):
                raise AmbiguousOutcome(
                    f"iFirma invoice {identifier} matches {reference!r} by buyer, date and total, but its "
                    "lines could not be read to confirm it",
                    operation="settle",
                )
            if _same_lines(lines, json.loads(dump_json(body["Pozycje"]), parse_float=Decimal)):
                number = str(details.get("PelnyNumer") or item.get("PelnyNumer") or "") or None
                matches.append(
                    SentDocument(
                        provider=self.name,
                        kind=DocumentKind.INVOICE,
                        reference=reference,
                        number=number,
                        external_id=identifier,
                        issue_date=document.issue_date,
                        raw={"endpoint": endpoint, "invoice": details, "settled_by": "content"},
                    )
                )
        if len(matches) > 1:
            raise AmbiguousOutcome(
                f"{len(matches)} iFirma invoices match {reference!r} exactly "
                f"({', '.join(str(match.number or match.external_id) for match in matches)}); a person must choose",
                operation="settle",
            )
        return matches[0] if matches else None

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where to look when a create's outcome is unknown (iFirma stores no reference)."""
        return (
            "iFirma keeps no external id: look in Sprzedaż (sales invoices) for a document "
            f"to this buyer with this date before sending {reference!r} again"
        )

    def secrets(self) -> tuple[str, ...]:
        """The hex keys."""
        return tuple(self._keys.values())

    def error_message(self, response: httpx.Response) -> str | None:
        """``Informacja`` of iFirma's envelope."""
        return str(_envelope(read_json(response)).get("Informacja") or "").strip() or None

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map iFirma's answer: ``Kod`` other than 0 is a failure, even under HTTP 200."""
        status = response.status_code
        envelope = _envelope(read_json(response))
        code = _kod(envelope)
        info = self.error_message(response) or ""
        if status == 429 or (code and _LIMIT_TEXT.search(info)):
            # The driver reads Retry-After (else retry_after_default).
            return RateLimited(info or "iFirma refused the call: more than 100 requests a minute or 15,000 a day")
        if code:
            message = f"iFirma Kod {code}: {info}" if info else f"iFirma Kod {code}"
            cls = _KOD_ERRORS.get(code) or (NotFound if status == 404 or _NOT_FOUND.search(info) else None)
            if cls is None:
                return ProviderValidationError(message, field_errors={"": [info or message]})
            return cls(message)
        if status >= 300:  # by the status table; a redirect (3xx) is a ProviderError
            return self.status_error(response)
        if call.creates and "Kod" not in envelope:
            # A create answered without iFirma's envelope (a proxy page, a truncated body):
            # it may have been stored, so it must reach the caller as an unknown outcome.
            return ServerError(f"iFirma answered the create with HTTP {status} but without its Kod envelope")
        return None

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue ``invoice``: align the accounting month, create, read the number back."""
        kind = self.invoice_kind(invoice)
        body = self._invoice_body(invoice, kind)
        yield from self._align_month(invoice.issue_date, "send_invoice")
        created = yield Call(self._request("POST", f"{kind}.json", INVOICE_KEY, body), "send_invoice", creates=True)
        return (yield from self._read_back(created, kind, DocumentKind.INVOICE, invoice.reference, "send_invoice"))

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Correct a domestic invoice with ``POST fakturakraj/korekta/{id}.json``.

        ``correction.lines`` are the state after correction ("powinno być"), one per
        original line in order; a removed line has quantity 0.
        """
        original = self.own_document(correction.original_document, "original_document")
        if self.invoice_kind(correction.original) != DOMESTIC:
            raise UnsupportedOperation(
                "iFirma documents corrections of domestic invoices (fakturakraj) only; "
                "foreign-currency, intra-EU and export invoices cannot be corrected through the API",
                operation="send_correction",
            )
        target = _document_ref(original, "original_document")
        body = self._correction_body(correction)
        yield from self._align_month(correction.issue_date, "send_correction")
        path = f"{DOMESTIC}/korekta/{target}.json"
        created = yield Call(self._request("POST", path, INVOICE_KEY, body), "send_correction", creates=True)
        # UNCERTAIN: where a correction is read back; it has a fakturakraj id (I-DOC names
        # no other path), so it is read like a domestic invoice.
        kind = DocumentKind.CORRECTION
        return (yield from self._read_back(created, DOMESTIC, kind, correction.reference, "send_correction"))

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The PDF from ``GET {kind}/{id}.pdf`` with ``Accept: application/pdf``."""
        self.own_document(document)
        if not document.external_id or not document.external_id.isdigit():
            raise ValidationError("document.external_id", "iFirma finds a document by its numeric id (Identyfikator)")
        kind = _kind_of(document)
        # UNCERTAIN: what .pdf, .pdf.single and .pdf.oryg each print; the plain .pdf is what
        # I-BUNDLE and python-ifirma fetch.
        request = self._request("GET", f"{kind}/{document.external_id}.pdf", INVOICE_KEY, accept="application/pdf")
        response: httpx.Response = yield Call(request, "fetch_pdf")
        return self.pdf_bytes(response)

    def einvoice_status(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """The KSeF status: ``NumerKSEF`` / ``StatusKSEF`` of ``GET {kind}/{id}.json`` (EINVOICING §3.4)."""
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise self.unsupported(Capability.EINVOICE, "a payment is not a KSeF document")
        if not document.external_id or not document.external_id.isdigit():
            raise ValidationError("document.external_id", "iFirma finds a document by its numeric id (Identyfikator)")
        kind = _kind_of(document)
        request = self._request("GET", f"{kind}/{document.external_id}.json", INVOICE_KEY)
        response: httpx.Response = yield Call(request, "einvoice_status")
        body = read_json(response)
        # The single-invoice answer may come without the {"response": ...} wrapper (I-TP).
        details = _details(response) or (dict(body) if isinstance(body, Mapping) else {})
        if not str(details.get("PelnyNumer") or details.get("FakturaId") or "").strip():
            raise ProviderError("iFirma answered no invoice for its KSeF status", response=response)
        return einvoice.status_from(details, document)

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The documented ``SposobZaplaty`` codes (a fixed list; no call is made)."""
        return list(PAYMENT_TYPES)
        yield  # a flow with no calls

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Register a payment with ``POST faktury/wplaty/{typ}/{numer}.json``.

        ``numer`` is the printed number with ``/`` replaced by ``_`` [I-DOC, I-BUNDLE].
        """
        self.own_document(document)
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "iFirma registers payments against invoices")
        kind = _kind_of(document)
        invoice_type = _PAYMENT_INVOICE_TYPES.get(kind)
        if invoice_type is None:
            raise UnsupportedOperation(
                f"iFirma documents no payment type (typ_faktury) for {kind} invoices; record the payment in iFirma",
                operation="record_payment",
            )
        if not document.number:
            raise ValidationError("document.number", "iFirma registers payments by the invoice's printed number")
        number = document.number.replace("/", "_")
        if payment.paid_on is None and kind != DOMESTIC:
            # iFirma may require Data for invoices not in PLN (UNCERTAIN): refuse here rather
            # than learn it from a refusal.
            raise ValidationError("payment.paid_on", f"iFirma needs the payment date for {kind} invoices")
        body: dict[str, Any] = {"Kwota": json_number(payment.amount)}
        if payment.paid_on is not None:
            # Without Data iFirma records its own default; it may require Data for
            # foreign-currency invoices (UNCERTAIN, a third-party tool's description).
            body["Data"] = payment.paid_on.isoformat()
        path = f"faktury/wplaty/{invoice_type}/{number}.json"
        response = yield Call(self._request("POST", path, INVOICE_KEY, body), "record_payment", creates=True)
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.PAYMENT,
            reference=document.reference,
            number=document.number,
            external_id=document.external_id,
            issue_date=payment.paid_on,
            raw={"endpoint": kind, "response": _envelope(read_json(response))},
        )

    # Choosing the endpoint.

    def invoice_kind(self, invoice: Invoice) -> str:
        """The endpoint for ``invoice``: one of :data:`INVOICE_KINDS`.

        * every line ``INTRA_EU`` (goods, buyer a company in another EU state): ``fakturawdt``;
        * every line ``EXPORT`` (goods): ``fakturaeksporttowarow``;
        * otherwise (percentage or exempt rates) ``fakturakraj`` in PLN, ``fakturawaluta``
          in any other currency.

        Raises:
            ValidationError: a mix of treatments, or one iFirma's documented endpoints
                cannot express (reverse charge, not subject, services abroad).
        """
        kinds = {line.vat.kind for line in invoice.lines}
        for index, line in enumerate(invoice.lines):
            if line.vat.kind in (VatKind.REVERSE_CHARGE, VatKind.NOT_SUBJECT):
                raise ValidationError(
                    f"lines[{index}].vat",
                    f"iFirma documents no endpoint for {line.vat} lines (TypStawkiVat is PRC or ZW)",
                )
            if line.vat.kind in (VatKind.INTRA_EU, VatKind.EXPORT) and line.is_service:
                # The two service endpoints' meanings conflict between sources (UNCERTAIN).
                raise ValidationError(
                    f"lines[{index}].is_service",
                    "services abroad go to fakturaeksportuslug(e), whose meaning is UNCERTAIN; not supported",
                )
        special = kinds & {VatKind.INTRA_EU, VatKind.EXPORT}
        if (special and kinds != special) or len(special) > 1:
            raise ValidationError(
                "lines", "iFirma issues intra-EU supplies and exports as their own invoices; do not mix treatments"
            )
        country = invoice.buyer.address.country if invoice.buyer.address else None
        if special == {VatKind.INTRA_EU}:
            if not (invoice.buyer.is_company and invoice.buyer.tax_id):
                raise ValidationError("buyer.tax_id", "an intra-EU supply (WDT) needs the buyer's EU VAT number")
            if country is None or country not in EU_COUNTRIES or country == "PL":
                raise ValidationError("buyer.address.country", "an intra-EU supply needs a buyer in another EU state")
            return INTRA_EU_SUPPLY
        if special == {VatKind.EXPORT}:
            if country is not None and country in EU_COUNTRIES:
                raise ValidationError("buyer.address.country", "an export of goods needs a buyer outside the EU")
            return EXPORT_OF_GOODS
        return DOMESTIC if invoice.currency == "PLN" else FOREIGN_CURRENCY

    # Requests.

    def _request(
        self,
        method: str,
        path: str,
        key_name: str,
        body: Mapping[str, Any] | None = None,
        *,
        accept: str = "application/json",
    ) -> httpx.Request:
        # json_request serialises the body once (dump_json); the signature is computed over
        # request.content, the very bytes that go on the wire, and the URL as httpx will send it.
        # The official plugins send the JSON content type on every call; Kod 102 is "wrong or
        # missing content type" (I-DOC), so GETs carry it too. It is not part of the signature.
        headers = {"Accept": accept, "Content-Type": _CONTENT_TYPE}
        request = json_request(method, self.settings.base_url + path, body, headers=headers)
        key = self._keys.get(key_name)
        if key is None:
            raise ConfigurationError(f"ifirma needs the {key_name!r} key for this call")
        request.headers["Authentication"] = authentication_header(
            request.url, self.username, key_name, key, request.content
        )
        return request

    def _align_month(self, day: dt.date, operation: str) -> Flow[None]:
        """Move the accounting month to ``day``'s month, as I-OFF ``_setProperAccountancyMonth``.

        Each PUT moves one month (``NAST`` next, ``POPRZ`` previous) and the month is read
        again after every step: a PUT is not idempotent, and another program on the
        account may move it too, so only a fresh reading says where it is. A move whose
        answer is lost is never repeated blindly: the month is read again and moved
        again only if it did not move. Moving back reopens a month the accountant may
        have closed, so it needs ``allow_month_back``; every move counts against
        ``max_month_moves``.
        """
        settings = self.settings
        if not settings.align_accounting_month:
            return
        target = day.year * 12 + day.month - 1
        moved = 0
        lost = 0
        while True:
            response = yield Call(self._request("GET", "abonent/miesiacksiegowy.json", SUBSCRIBER_KEY), operation)
            current = _accounting_month(response)
            distance = target - current
            if distance == 0:
                return
            year, month = divmod(current, 12)
            if distance < 0 and not settings.allow_month_back:
                raise ValidationError(
                    "issue_date",
                    f"{day.isoformat()} is before iFirma's accounting month {month + 1:02d}/{year}; the "
                    "connector does not move it back (allow_month_back=True) since that reopens a month "
                    "the accountant may have closed. Change the accounting month in iFirma.",
                )
            if moved + abs(distance) > settings.max_month_moves:
                raise ValidationError(
                    "issue_date",
                    f"{day.isoformat()} is {abs(distance)} months from iFirma's accounting month "
                    f"{month + 1:02d}/{year}; the connector moves it at most {settings.max_month_moves} "
                    f"months (max_month_moves). Change the accounting month in iFirma.",
                )
            step = {"MiesiacKsiegowy": "NAST" if distance > 0 else "POPRZ", "PrzeniesDaneZPoprzedniegoRoku": True}
            # The PUT moves shared account state by one step each time it lands, so the
            # driver must never repeat it blindly after a lost answer (the month would
            # move twice and every invoice of the skipped month be refused). ``creates``
            # is what tells the driver so: a timeout, a broken connection or a 5xx comes
            # back as AmbiguousOutcome instead of a retry, and the month is read again
            # to decide whether to move it once more.
            put = self._request("PUT", "abonent/miesiacksiegowy.json", SUBSCRIBER_KEY, step)
            try:
                yield Call(put, operation, creates=True)
            except AmbiguousOutcome as error:
                lost += 1
                if lost > _MONTH_MOVE_LOST:
                    raise ServerError(
                        f"iFirma's accounting month could not be moved: {lost} answers to the move were lost "
                        f"({error.message}); the month was read again each time and no document was sent",
                        operation=operation,
                        retry_safe=True,  # nothing was created: the document may be sent again later
                    ) from error
                continue  # read the month again: it moved or it did not
            moved += 1

    def _read_back(
        self, created: httpx.Response, kind: str, document_kind: DocumentKind, reference: str, operation: str
    ) -> Flow[SentDocument]:
        """Read the printed number (``PelnyNumer``) of a document just created.

        The document exists once the create answered, so a failed read-back must not look
        like a failed create (a caller would send it again): the document is returned
        with ``number=None`` and the error in ``raw["read_back_error"]``.
        """
        create = _envelope(read_json(created))
        identifier = create.get("Identyfikator")
        if isinstance(identifier, bool) or not isinstance(identifier, int | Decimal | str) or not str(identifier):
            # It was accepted (Kod 0), so it exists: an unknown outcome, never a retry-safe failure.
            raise AmbiguousOutcome(
                "iFirma accepted the document but returned no Identyfikator; it is not sent again. "
                "Check Sprzedaż in iFirma for it.",
                operation=operation,
                response=created,
            )
        external_id = str(identifier)
        raw: dict[str, Any] = {"endpoint": kind, "response": create}
        number: str | None = None
        issue_date: dt.date | None = None
        try:
            response = yield Call(self._request("GET", f"{kind}/{external_id}.json", INVOICE_KEY), operation)
        except AccountingError as error:
            raw["read_back_error"] = error.message
        else:
            details = _details(response)
            raw["invoice"] = details
            number = str(details.get("PelnyNumer") or "") or None
            issued = details.get("DataWystawienia")
            with contextlib.suppress(ValueError):
                issue_date = dt.date.fromisoformat(issued[:10]) if isinstance(issued, str) else None
        return SentDocument(
            provider=self.name,
            kind=document_kind,
            reference=reference,
            number=number,
            # iFirma prints the series' pattern inside PelnyNumer; a separate series would
            # make full_number repeat it, so the series name asked for is in raw instead.
            series=None,
            external_id=external_id,
            issue_date=issue_date,
            raw=raw,
        )


_LIST_PAGE = 100  # iloscNaStronie of faktury.json while settling (I-MCP: 20 by default)

# The line fields compared when settling by content, as sent and as read back.
_LINE_KEYS = ("NazwaPelna", "Ilosc", "CenaJednostkowa", "StawkaVat", "TypStawkiVat", "Rabat")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        return None
    try:
        return Decimal(str(value).strip())
    except ArithmeticError:
        return None


def _comparable(value: Any) -> Any:
    number = _decimal(value) if not isinstance(value, str) or value.strip()[:1].isdigit() else None
    if number is not None:
        return number.normalize()
    return None if value in (None, "") else str(value).strip()


def _same_lines(found: list[Any], sent: list[Any]) -> bool:
    """Whether the lines read back are the lines sent (name, quantity, price, rate, discount)."""
    if len(found) != len(sent):
        return False
    for theirs, ours in zip(found, sent, strict=True):
        if not isinstance(theirs, Mapping) or not isinstance(ours, Mapping):
            return False
        for key in _LINE_KEYS:
            if _comparable(theirs.get(key)) != _comparable(ours.get(key)):
                return False
    return True


def _envelope(body: Any) -> dict[str, Any]:
    """The ``response`` object of iFirma's envelope (``{}`` for anything else)."""
    inner = body.get("response") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


def _kod(envelope: Mapping[str, Any]) -> int | None:
    value = envelope.get("Kod")
    text = str(value).strip() if isinstance(value, int | Decimal | str) and not isinstance(value, bool) else ""
    return int(text) if text.lstrip("-").isdigit() else None


def _details(response: httpx.Response) -> dict[str, Any]:
    # UNCERTAIN: whether the invoice's fields sit in the envelope itself (I-OFF Response.php)
    # or in its Wynik (lists, I-BUNDLE); both are read.
    envelope = _envelope(read_json(response))
    result = envelope.get("Wynik")
    return {**envelope, **result} if isinstance(result, dict) else envelope


def _accounting_month(response: httpx.Response) -> int:
    envelope = _details(response)
    try:
        month = int(str(envelope["MiesiacKsiegowy"]))
        year = int(str(envelope["RokKsiegowy"]))
    except (KeyError, ValueError):
        raise ProviderError(
            "iFirma's accounting month answer has no MiesiacKsiegowy/RokKsiegowy", response=response
        ) from None
    if not 1 <= month <= 12:
        raise ProviderError(f"iFirma answered accounting month {month}", response=response)
    return year * 12 + month - 1


def _kind_of(document: SentDocument) -> str:
    # Guessing "domestic" for a document from elsewhere would pay or print the wrong kind.
    kind = document.raw.get("endpoint") if isinstance(document.raw, Mapping) else None
    if kind is None:
        raise ValidationError(
            "document.raw", "does not say which iFirma invoice kind it is (raw['endpoint'], as send_invoice returns it)"
        )
    if kind not in INVOICE_KINDS:
        raise ValidationError("document.raw", f"names an unknown iFirma invoice kind {kind!r}")
    return str(kind)


def _document_ref(document: SentDocument, field: str) -> str:
    """The id for ``.../korekta/{id}.json``: the numeric id, else the number with ``_`` for ``/``."""
    if document.external_id and document.external_id.isdigit():
        return document.external_id
    if document.number:
        return document.number.replace("/", "_")
    raise ValidationError(f"{field}.external_id", "iFirma finds an invoice by its id or its printed number")
