"""iFirma.pl (``https://www.ifirma.pl/iapi/``), sans-I/O.

Facts used here come from the iFirma section of ``shared/providers/wfirma_ifirma_firmao.md``
(tags in comments: I-DOC the official API pages, I-OFF the official shop plugins, I-BUNDLE
``maciejlewandowskii/iFirmaBundle``, I-PNOW ``pnowosie/ifirma-api``, I-MCP the MCP server's
findings). The traps this module guards against:

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

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import httpx

from ..capabilities import Capabilities, Capability, Entry, Support
from ..errors import (
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
from ..flow import Call, Flow
from ..limits import RateLimit, credential_fingerprint
from ..model import (
    Correction,
    DocumentKind,
    Invoice,
    Line,
    Party,
    Payment,
    PaymentType,
    SentDocument,
    VatKind,
)
from ..money import TotalsMethod, document_totals, effective_unit_price
from ..provider import Provider, json_number, json_request, read_json

BASE_URL = "https://www.ifirma.pl/iapi/"
"""iFirma's API root [I-DOC]."""

INVOICE_KEY = "faktura"
"""Key name for every invoice, correction, PDF and payment call [I-DOC]."""
SUBSCRIBER_KEY = "abonent"
"""Key name for the accounting month and the API limit [I-DOC]."""

DOMESTIC = "fakturakraj"
"""Domestic VAT invoice in PLN."""
FOREIGN_CURRENCY = "fakturawaluta"
"""Domestic sale priced in a foreign currency."""
INTRA_EU_SUPPLY = "fakturawdt"
"""Intra-community supply of goods (WDT)."""
EXPORT_OF_GOODS = "fakturaeksporttowarow"
"""Export of goods outside the EU."""
INVOICE_KINDS = (DOMESTIC, FOREIGN_CURRENCY, INTRA_EU_SUPPLY, EXPORT_OF_GOODS)
"""The invoice endpoints this connector issues to (``POST /iapi/{kind}.json``)."""

# ``typ_faktury`` of the payments endpoint per invoice kind [I-DOC /rejestrowanie-wplat-do-faktur].
# UNCERTAIN: the documented list has no type for ``fakturawaluta`` (the copy read was
# truncated), so payments against foreign-currency invoices are refused, not guessed.
_PAYMENT_INVOICE_TYPES: Mapping[str, str] = {
    DOMESTIC: "prz_faktura_kraj",
    INTRA_EU_SUPPLY: "prz_dostawa_ue_towarow",
    EXPORT_OF_GOODS: "prz_eksport_towarow",
}

PAYMENT_TYPES: tuple[PaymentType, ...] = (
    PaymentType(name="GTK", description="Gotówka (cash)"),
    PaymentType(name="POB", description="Za pobraniem (cash on delivery)"),
    PaymentType(name="PRZ", description="Przelew (bank transfer)"),
    PaymentType(name="KAR", description="Karta (card)"),
    PaymentType(name="PZA", description="Polecenie zapłaty (direct debit)"),
    PaymentType(name="CZK", description="Czek (cheque)"),
    PaymentType(name="KOM", description="Kompensata (set-off)"),
    PaymentType(name="BAR", description="Barter"),
    PaymentType(name="DOT", description="DotPay"),
    PaymentType(name="PAL", description="PayPal"),
    PaymentType(name="ALG", description="PayU"),
    PaymentType(name="P24", description="Przelewy24"),
    PaymentType(name="TPA", description="tpay.com"),
    PaymentType(name="ELE", description="Płatność elektroniczna (electronic payment)"),
)
"""``SposobZaplaty`` codes, a fixed documented list (I-DOC field table; no endpoint lists them)."""

_CODES = frozenset(payment_type.name for payment_type in PAYMENT_TYPES)

# Common names order systems use, so a caller's "card" or "przelew" needs no settings.
# The codes themselves (any case) are always accepted.
_PAYMENT_ALIASES: Mapping[str, str] = {
    "cash": "GTK", "gotowka": "GTK", "gotówka": "GTK",
    "cod": "POB", "cash on delivery": "POB", "pobranie": "POB", "za pobraniem": "POB",
    "transfer": "PRZ", "bank transfer": "PRZ", "przelew": "PRZ",
    "card": "KAR", "karta": "KAR",
    "direct debit": "PZA", "polecenie zapłaty": "PZA",
    "cheque": "CZK", "check": "CZK", "czek": "CZK",
    "compensation": "KOM", "kompensata": "KOM",
    "barter": "BAR", "dotpay": "DOT", "paypal": "PAL", "payu": "ALG",
    "przelewy24": "P24", "p24": "P24", "tpay": "TPA",
    "electronic": "ELE", "płatność elektroniczna": "ELE",
}  # fmt: skip

CORRECTION_REASONS = ("OBOW_RABAT", "ZWR_SPRZ_TOW", "ZWR_NAB_KWOT", "ZWR_NAB_ZAL", "PODW_CENY", "POMYLKI")
"""``PowodKorekty`` codes [I-DOC /faktura-korygujaca-fakture-krajowa]."""

SIGNATURE_TYPES = ("OUP", "UPO", "BPO", "BWO")
"""``RodzajPodpisuOdbiorcy`` codes (recipient signature on the printout) [I-DOC]."""

# VAT rates are fractions on the wire, written with at least two places ("0.23", "0.00").
_CENT = Decimal("0.01")

EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
"""EU member states (ISO 3166-1), for choosing the intra-EU supply endpoint."""

# VAT-number prefixes differ from ISO codes for Greece only.
_EU_VAT_PREFIX: Mapping[str, str] = {"GR": "EL"}

# Field lengths from the fact sheet (I-DOC field table, I-OFF InvoiceContractor.php).
_MAX_LENGTHS: Mapping[str, int] = {
    "Nazwa": 150, "Ulica": 65, "KodPocztowy": 16, "Miejscowosc": 65, "Email": 65, "Telefon": 32,
    "NIP": 13, "NazwaPelna": 300, "Jednostka": 10, "Uwagi": 1000, "MiejsceWystawienia": 50,
    "NumerKontaBankowego": 28,
}  # fmt: skip

_MAX_PAID = Decimal(100_000_000)

_CONTENT_TYPE = "application/json; charset=UTF-8"

# Not-found has no documented Kod; iFirma's texts say "nie znaleziono" (UNCERTAIN).
_NOT_FOUND = re.compile(r"(?i)nie\s+znaleziono|not\s+found")
# Exceeding the limit is not documented either (UNCERTAIN): HTTP 429 or a text naming the limit.
# "Przekroczono limit dokumentów" is the monthly document quota, not a rate limit.
_LIMIT_TEXT = re.compile(r"(?i)limit\w*\s+zapyta")

_AUTH_CODES = frozenset({400, 401, 402, 403})
_PERMISSION_CODES = frozenset({499, 500})

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
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "not for foreign-currency (fakturawaluta) invoices"),
        Capability.SKU_STOCK: Entry(Support.NOT_SUPPORTED, "no warehouse in the iFirma API"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.NOT_IMPLEMENTED, "the meaning of Numer is UNCERTAIN"),
        Capability.DOCUMENT_LINK: Entry(Support.NOT_SUPPORTED, "no public document link in the API"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key"),
        Capability.LOOKUP_BY_REFERENCE: Entry(Support.NOT_SUPPORTED, "no external-id field to search by"),
    },
)


def hmac_sha1_hex(key_hex: str, message: bytes) -> str:
    """HMAC-SHA1 of ``message`` under the hex-encoded ``key_hex``, as lowercase hex.

    The key is decoded from hex first: iFirma's FAQ vector (key ``111111``, message
    ``222222``) gives ``cec153ee…``; the raw ASCII key would give a wrong ``1558ab6c…``.
    """
    return hmac.new(bytes.fromhex(key_hex), message, hashlib.sha1).hexdigest()


def signing_url(url: httpx.URL | str) -> str:
    """The URL as iFirma signs it: the full URL without its query string [I-DOC /faq]."""
    return str(httpx.URL(url).copy_with(query=None, fragment=None))


def authentication_header(url: httpx.URL | str, user: str, key_name: str, key_hex: str, body: bytes) -> str:
    """The ``Authentication`` header for one request [I-DOC /naglowek-autoryzacji].

    The signed message is ``url + user + key_name + body``, where ``url`` has no query
    and ``body`` is exactly the bytes sent (empty for a GET).
    """
    message = signing_url(url).encode() + user.encode() + key_name.encode() + body
    return f"IAPIS user={user}, hmac-sha1={hmac_sha1_hex(key_hex, message)}"


class IFirma(Provider):
    """iFirma.pl connector.

    Args:
        username: the ifirma.pl login (the API user).
        invoice_key: the hex key generated for the key name ``faktura`` (API tab).
        subscriber_key: the hex key for ``abonent``; needed to read and move the
            accounting month (omit it only with ``align_accounting_month=False``).
        invoice_series: ``NazwaSeriiNumeracji`` for invoices that name no ``series``
            (else the account's default series). The series must exist in iFirma.
        correction_series: ``NazwaSeriiNumeracji`` for corrections (default series if None).
        default_payment_method: ``SposobZaplaty`` for unpaid invoices (default ``PRZ``).
        payment_methods: the caller's payment method names mapped to iFirma codes, on top
            of the codes themselves and common names ("card", "przelew", ...).
        correction_reason: the ``PowodKorekty`` code used when a correction's ``reason`` is
            free text (the text then goes to ``Uwagi``); without it, ``reason`` must be a code.
        exemption_basis: ``PodstawaPrawna`` printed on VAT-exempt (``ZW``) lines.
        recipient_signature: ``RodzajPodpisuOdbiorcy`` (default ``BPO``: no recipient signature).
        place_of_issue: ``MiejsceWystawienia``.
        bank_account: ``NumerKontaBankowego`` (``BRAK`` prints none; default: the account's).
        align_accounting_month: read and move the accounting month before each document,
            as the official plugins do.
        max_month_moves: refuse a document more than this many months from the accounting
            month instead of moving it that far.
        allow_month_back: move the accounting month back for an older document (off by
            default: it reopens a month the accountant may have closed).
        base_url: the API root.
    """

    name: ClassVar[str] = "ifirma"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(100, 60.0), RateLimit(15_000, 86_400.0))
    # Each invoice first moves the account's one accounting month to its own: two sent at
    # once could pull the month back and forth between them.
    one_document_at_a_time: ClassVar[bool] = True

    def __init__(
        self,
        *,
        username: str,
        invoice_key: str,
        subscriber_key: str | None = None,
        invoice_series: str | None = None,
        correction_series: str | None = None,
        default_payment_method: str = "PRZ",
        payment_methods: Mapping[str, str] | None = None,
        correction_reason: str | None = None,
        exemption_basis: str | None = None,
        recipient_signature: str = "BPO",
        place_of_issue: str | None = None,
        bank_account: str | None = None,
        align_accounting_month: bool = True,
        max_month_moves: int = 12,
        allow_month_back: bool = False,
        base_url: str = BASE_URL,
    ) -> None:
        if not isinstance(username, str) or not username.strip():
            raise ConfigurationError("ifirma needs username", provider=self.name)
        # The login goes into a header and into the signed string: it must be plain ASCII
        # and must not contain the header's separator.
        if not username.isascii() or "," in username or not username.isprintable():
            raise ConfigurationError("ifirma username must be printable ASCII without commas", provider=self.name)
        self.username = username
        self._keys: dict[str, str] = {INVOICE_KEY: _check_key(invoice_key, "invoice_key")}
        if subscriber_key is not None:
            self._keys[SUBSCRIBER_KEY] = _check_key(subscriber_key, "subscriber_key")
        elif align_accounting_month:
            raise ConfigurationError(
                "ifirma needs subscriber_key (the 'abonent' key) to align the accounting month; "
                "pass it, or align_accounting_month=False",
                provider=self.name,
            )
        self.invoice_series = invoice_series
        self.correction_series = correction_series
        self.payment_methods = {name.casefold(): code for name, code in (payment_methods or {}).items()}
        for code in self.payment_methods.values():
            if code not in _CODES:
                raise ConfigurationError(f"{code!r} is not an iFirma payment code", provider=self.name)
        self.default_payment_method = self._payment_code(default_payment_method, "default_payment_method")
        if correction_reason is not None and correction_reason not in CORRECTION_REASONS:
            raise ConfigurationError(f"correction_reason must be one of {CORRECTION_REASONS}", provider=self.name)
        self.correction_reason = correction_reason
        self.exemption_basis = exemption_basis
        if recipient_signature not in SIGNATURE_TYPES:
            raise ConfigurationError(f"recipient_signature must be one of {SIGNATURE_TYPES}", provider=self.name)
        self.recipient_signature = recipient_signature
        self.place_of_issue = place_of_issue
        self.bank_account = bank_account
        self.align_accounting_month = align_accounting_month
        self.max_month_moves = max_month_moves
        self.allow_month_back = allow_month_back
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def __repr__(self) -> str:
        return f"IFirma(username={self.username!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for the same iFirma login (the limits are per user)."""
        return credential_fingerprint(self.username.casefold())

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where to look when a create's outcome is unknown (iFirma stores no reference)."""
        return (
            "iFirma keeps no external id: look in Sprzedaż (sales invoices) for a document "
            f"to this buyer with this date before sending {reference!r} again"
        )

    def secrets(self) -> tuple[str, ...]:
        """The hex keys."""
        return tuple(self._keys.values())

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map iFirma's answer: ``Kod`` other than 0 is a failure, even under HTTP 200."""
        status = response.status_code
        envelope = _envelope(read_json(response))
        code = _kod(envelope)
        info = str(envelope.get("Informacja") or "").strip()
        if status == 429 or (code and _LIMIT_TEXT.search(info)):
            wait = _retry_after(response)
            return RateLimited(
                info or "iFirma refused the call: more than 100 requests a minute or 15,000 a day",
                retry_at=now + (60.0 if wait is None else wait),
            )
        if code:
            message = f"iFirma Kod {code}: {info}" if info else f"iFirma Kod {code}"
            if code in _AUTH_CODES:
                return AuthenticationError(message)
            if code in _PERMISSION_CODES:
                return PermissionDenied(message)
            if code == 100:
                return ServerError(message)
            if status == 404 or _NOT_FOUND.search(info):
                return NotFound(message)
            return ProviderValidationError(message, field_errors={"": [info or message]})
        if status == 404:
            return NotFound(info or "iFirma: no such resource (HTTP 404)")
        if status in (401, 403):
            # I-BUNDLE treats these as authentication failures; iFirma documents only Kod.
            return AuthenticationError(info or f"iFirma refused the credentials (HTTP {status})")
        if status >= 500:
            return ServerError(info or f"iFirma server error (HTTP {status})")
        if status >= 300:
            return ProviderError(info or f"unexpected HTTP {status} from iFirma")
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
        original = correction.original_document
        if original.provider != self.name:
            raise ValidationError("original_document.provider", f"is {original.provider!r}, not an iFirma document")
        if self.invoice_kind(correction.original) != DOMESTIC:
            raise UnsupportedOperation(
                "iFirma documents corrections of domestic invoices (fakturakraj) only; "
                "foreign-currency, intra-EU and export invoices cannot be corrected through the API",
                provider=self.name,
                operation="send_correction",
            )
        target = _document_ref(original, "original_document")
        body = self._correction_body(correction)
        yield from self._align_month(correction.issue_date, "send_correction")
        path = f"{DOMESTIC}/korekta/{target}.json"
        created = yield Call(self._request("POST", path, INVOICE_KEY, body), "send_correction", creates=True)
        # UNCERTAIN: where a correction is read back; it has a fakturakraj id (I-DOC names
        # no other path), so it is read like a domestic invoice.
        return (
            yield from self._read_back(
                created, DOMESTIC, DocumentKind.CORRECTION, correction.reference, "send_correction"
            )
        )

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The PDF from ``GET {kind}/{id}.pdf`` with ``Accept: application/pdf``."""
        if document.provider != self.name:
            raise ValidationError("document.provider", f"is {document.provider!r}, not an iFirma document")
        if not document.external_id or not document.external_id.isdigit():
            raise ValidationError("document.external_id", "iFirma finds a document by its numeric id (Identyfikator)")
        kind = _kind_of(document)
        # UNCERTAIN: what .pdf, .pdf.single and .pdf.oryg each print; the plain .pdf is what
        # I-BUNDLE and python-ifirma fetch.
        request = self._request("GET", f"{kind}/{document.external_id}.pdf", INVOICE_KEY, accept="application/pdf")
        response: httpx.Response = yield Call(request, "fetch_pdf")
        if not response.content.startswith(b"%PDF"):
            raise ProviderError(
                "iFirma answered the PDF request with something that is not a PDF",
                provider=self.name,
                operation="fetch_pdf",
                response=response,
            )
        return response.content

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The documented ``SposobZaplaty`` codes (a fixed list; no call is made)."""
        return list(PAYMENT_TYPES)
        yield  # a flow with no calls

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Register a payment with ``POST faktury/wplaty/{typ}/{numer}.json``.

        ``numer`` is the printed number with ``/`` replaced by ``_`` [I-DOC, I-BUNDLE].
        """
        if document.provider != self.name:
            raise ValidationError("document.provider", f"is {document.provider!r}, not an iFirma document")
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "iFirma registers payments against invoices")
        kind = _kind_of(document)
        invoice_type = _PAYMENT_INVOICE_TYPES.get(kind)
        if invoice_type is None:
            raise UnsupportedOperation(
                f"iFirma documents no payment type (typ_faktury) for {kind} invoices; record the payment in iFirma",
                provider=self.name,
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
        request = json_request(
            method, self.base_url + path, body, headers={"Accept": accept, "Content-Type": _CONTENT_TYPE}
        )
        key = self._keys.get(key_name)
        if key is None:
            raise ConfigurationError(f"ifirma needs the {key_name!r} key for this call", provider=self.name)
        request.headers["Authentication"] = authentication_header(
            request.url, self.username, key_name, key, request.content
        )
        return request

    def _align_month(self, day: dt.date, operation: str) -> Flow[None]:
        """Move the accounting month to ``day``'s month, as I-OFF ``_setProperAccountancyMonth``.

        Each PUT moves one month (``NAST`` next, ``POPRZ`` previous) and the month is read
        again after every step: a PUT is not idempotent (the driver may retry one after a
        server error), and another program on the account may move it too, so only a
        fresh reading says where it is. Moving back reopens a month the accountant may
        have closed, so it needs ``allow_month_back``; every move counts against
        ``max_month_moves``.
        """
        if not self.align_accounting_month:
            return
        target = day.year * 12 + day.month - 1
        moved = 0
        while True:
            response = yield Call(self._request("GET", "abonent/miesiacksiegowy.json", SUBSCRIBER_KEY), operation)
            current = _accounting_month(response)
            distance = target - current
            if distance == 0:
                return
            year, month = divmod(current, 12)
            if distance < 0 and not self.allow_month_back:
                raise ValidationError(
                    "issue_date",
                    f"{day.isoformat()} is before iFirma's accounting month {month + 1:02d}/{year}; the "
                    "connector does not move it back (allow_month_back=True) since that reopens a month "
                    "the accountant may have closed. Change the accounting month in iFirma.",
                )
            if moved + abs(distance) > self.max_month_moves:
                raise ValidationError(
                    "issue_date",
                    f"{day.isoformat()} is {abs(distance)} months from iFirma's accounting month "
                    f"{month + 1:02d}/{year}; the connector moves it at most {self.max_month_moves} "
                    f"months (max_month_moves). Change the accounting month in iFirma.",
                )
            step = {"MiesiacKsiegowy": "NAST" if distance > 0 else "POPRZ", "PrzeniesDaneZPoprzedniegoRoku": True}
            yield Call(self._request("PUT", "abonent/miesiacksiegowy.json", SUBSCRIBER_KEY, step), operation)
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
                provider=self.name,
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
            if isinstance(issued, str):
                try:
                    issue_date = dt.date.fromisoformat(issued[:10])
                except ValueError:
                    issue_date = None
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

    # Bodies.

    def _invoice_body(self, invoice: Invoice, kind: str) -> dict[str, Any]:
        self._check_invoice(invoice)
        sale_date = invoice.sale_date or invoice.issue_date
        paid = invoice.payment.amount if invoice.payment is not None else Decimal("0.00")
        method = (
            self._payment_code(invoice.payment.method, "payment.method")
            if invoice.payment is not None
            else self.default_payment_method
        )
        body: dict[str, Any] = {}
        if kind in (DOMESTIC, FOREIGN_CURRENCY):
            # Intra-EU and export bodies have no LiczOd (I-BUNDLE CreateWdtInvoiceRequest,
            # CreateExportGoodsInvoiceRequest): their rate is 0, so net equals gross.
            body["LiczOd"] = "BRT" if invoice.prices_include_vat else "NET"
        body.update(
            {
                "Zaplacono": json_number(paid),
                "ZaplaconoNaDokumencie": json_number(paid),
                "DataWystawienia": invoice.issue_date.isoformat(),
                "DataSprzedazy": sale_date.isoformat(),
                "FormatDatySprzedazy": "DZN",
                "SposobZaplaty": method,
                "RodzajPodpisuOdbiorcy": self.recipient_signature,
                "WidocznyNumerGios": False,
                # All known clients send null: iFirma numbers the document in its series.
                "Numer": None,
                "Kontrahent": self._buyer(invoice.buyer, kind),
                "Pozycje": [self._line(line, index, kind) for index, line in enumerate(invoice.lines)],
            }
        )
        if kind == FOREIGN_CURRENCY:
            body["TypSprzedazy"] = "KRAJOWA"
        if kind != DOMESTIC:
            body["Waluta"] = invoice.currency
            # Jezyk is required for WDT and export (I-BUNDLE); a domestic sale in a foreign
            # currency prints in Polish unless told otherwise.
            body["Jezyk"] = (invoice.language or ("pl" if kind == FOREIGN_CURRENCY else "en")).lower()
            if invoice.exchange_rate is not None:
                body["KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury"] = json_number(invoice.exchange_rate)
        if invoice.due_date is not None:
            body["TerminPlatnosci"] = invoice.due_date.isoformat()
        series = invoice.series or self.invoice_series
        if series:
            body["NazwaSeriiNumeracji"] = series
        self._common_optional(body, invoice.notes)
        return body

    def _correction_body(self, correction: Correction) -> dict[str, Any]:
        reason = correction.reason.strip()
        notes: str | None = None
        if reason.upper() in CORRECTION_REASONS:
            code = reason.upper()
        elif self.correction_reason is not None:
            code, notes = self.correction_reason, reason
        else:
            raise ValidationError(
                "reason",
                f"iFirma needs a PowodKorekty code, one of {', '.join(CORRECTION_REASONS)}; "
                "or configure correction_reason and give free text",
            )
        original = correction.original
        sale_date = original.sale_date or original.issue_date
        if correction.issue_date < sale_date:
            raise ValidationError("issue_date", "is before the original invoice's sale date")
        lines = []
        for index, line in enumerate(correction.lines):
            # Correction lines have no Rabat (I-BUNDLE CorrectiveInvoicePositionRequest), so
            # a discount is folded into the unit price: same amount, same basis as the original.
            flat = line if line.discount_percent is None else _without_discount(line)
            if flat.unit_price != flat.unit_price.quantize(_CENT):
                # A price with fractions of a grosz would be rounded by iFirma and change the
                # line's amount; refuse instead of correcting by a different sum.
                raise ValidationError(
                    f"lines[{index}].discount_percent",
                    f"iFirma corrections carry no discount, and the discounted unit price "
                    f"{flat.unit_price} is not a whole grosz",
                )
            lines.append(self._line(flat, index, DOMESTIC, correction=True))
        body: dict[str, Any] = {
            "PowodKorekty": code,
            "PowodKorektyNaWydruku": True,
            "DataWystawienia": correction.issue_date.isoformat(),
            "RodzajPodpisuOdbiorcy": self.recipient_signature,
            "Pozycje": lines,
        }
        if self.correction_series:
            body["NazwaSeriiNumeracji"] = self.correction_series
        self._common_optional(body, notes)
        return body

    def _common_optional(self, body: dict[str, Any], notes: str | None) -> None:
        for field, value in (
            ("Uwagi", notes),
            ("MiejsceWystawienia", self.place_of_issue),
            ("NumerKontaBankowego", self.bank_account),
        ):
            if value:
                _check_length(field, field, value)
                body[field] = value

    def _buyer(self, party: Party, kind: str) -> dict[str, Any]:
        address = party.address
        if address is None or not address.postal_code or not address.city:
            # KodPocztowy and Miejscowosc are required (I-OFF InvoiceContractor.php).
            if address is None:
                field = "buyer.address"
            else:
                field = "buyer.address.postal_code" if not address.postal_code else "buyer.address.city"
            raise ValidationError(field, "iFirma requires the buyer's postal code and city")
        buyer: dict[str, Any] = {
            "Nazwa": party.name,
            "KodPocztowy": address.postal_code,
            "Miejscowosc": address.city,
            "KodKraju": address.country,
            "OsobaFizyczna": not party.is_company,
        }
        if address.street:
            buyer["Ulica"] = address.street
        if party.tax_id:
            prefix, nip = _split_vat_id(party.tax_id, address.country)
            if kind == INTRA_EU_SUPPLY and prefix is None:
                prefix = _EU_VAT_PREFIX.get(address.country, address.country)
            buyer["NIP"] = nip
            if prefix is not None and address.country != "PL":
                buyer["PrefiksUE"] = prefix
        if party.email:
            buyer["Email"] = party.email
        if party.phone:
            buyer["Telefon"] = party.phone
        for field, value in buyer.items():
            if isinstance(value, str) and field in _MAX_LENGTHS:
                _check_length(f"buyer.{_BUYER_FIELDS.get(field, field)}", field, value)
        return buyer

    def _line(self, line: Line, index: int, kind: str, *, correction: bool = False) -> dict[str, Any]:
        where = f"lines[{index}]"
        _check_length(f"{where}.name", "NazwaPelna", line.name)
        _check_length(f"{where}.unit", "Jednostka", line.unit)
        position: dict[str, Any] = {
            "NazwaPelna": line.name,
            "Jednostka": line.unit,
            "Ilosc": json_number(line.quantity),
            "CenaJednostkowa": json_number(line.unit_price),
        }
        if line.vat.kind is VatKind.EXEMPT:
            # Exempt lines carry no StawkaVat (I-OFF InvoicePosition.php).
            position["TypStawkiVat"] = "ZW"
            if self.exemption_basis:
                _check_length("exemption_basis", "PodstawaPrawna", self.exemption_basis, limit=30)
                position["PodstawaPrawna"] = self.exemption_basis
        else:
            # UNCERTAIN for WDT/export lines: sent as an explicit 0 % PRC rate (I-BUNDLE makes
            # StawkaVat optional there; a stated 0.00 cannot be read as anything else).
            position["TypStawkiVat"] = "PRC"
            position["StawkaVat"] = json_number(_fraction(line))
        if line.discount_percent is not None and not correction:
            if line.discount_percent >= 100:
                raise ValidationError(f"{where}.discount_percent", "iFirma's Rabat must be below 100")
            position["Rabat"] = json_number(line.discount_percent)
        if kind != DOMESTIC:
            # The foreign-language name and unit are required on these invoices
            # (I-BUNDLE ForeignInvoicePositionRequest); the model has one name.
            position["NazwaPelnaObca"] = line.name
            position["JednostkaObca"] = line.unit
        return position

    # Checks.

    def _check_invoice(self, invoice: Invoice) -> None:
        if invoice.number is not None:
            raise ValidationError("number", "iFirma numbers invoices itself; leave number empty")
        if invoice.use_stock:
            raise UnsupportedOperation(
                "iFirma has no warehouse in its API; send the invoice without use_stock",
                provider=self.name,
                operation="send_invoice",
            )
        sale_date = invoice.sale_date or invoice.issue_date
        # DataWystawienia: not before the sale, at most the 15th of the month after it (I-DOC).
        if invoice.issue_date < sale_date:
            raise ValidationError("sale_date", "iFirma requires the issue date on or after the sale date")
        year, month = divmod(sale_date.year * 12 + sale_date.month, 12)
        if invoice.issue_date > dt.date(year, month + 1, 15):
            raise ValidationError("issue_date", "iFirma allows at most the 15th of the month after the sale")
        if invoice.payment is not None:
            totals = document_totals(
                invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_RATE
            )
            if invoice.payment.amount > totals.total.gross or invoice.payment.amount >= _MAX_PAID:
                raise ValidationError(
                    "payment.amount", f"{invoice.payment.amount} is more than the invoice's {totals.total.gross}"
                )

    def _payment_code(self, method: str, field: str) -> str:
        folded = method.strip().casefold()
        code = self.payment_methods.get(folded) or _PAYMENT_ALIASES.get(folded)
        if code is None and method.strip().upper() in _CODES:
            code = method.strip().upper()
        if code is None:
            raise ValidationError(
                field, f"{method!r} is not an iFirma payment method; use one of {sorted(_CODES)} or payment_methods="
            )
        return code


_BUYER_FIELDS: Mapping[str, str] = {
    "Nazwa": "name",
    "Ulica": "address.street",
    "KodPocztowy": "address.postal_code",
    "Miejscowosc": "address.city",
    "Email": "email",
    "Telefon": "phone",
    "NIP": "tax_id",
}


def _check_key(value: object, option: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"ifirma needs {option}", provider="ifirma")
    try:
        bytes.fromhex(value.strip())
    except ValueError:
        # Never echo the key itself.
        raise ConfigurationError(f"ifirma {option} must be the hex key from the API tab", provider="ifirma") from None
    return value.strip()


def _check_length(field: str, wire_name: str, value: str, *, limit: int | None = None) -> None:
    most = limit if limit is not None else _MAX_LENGTHS[wire_name]
    if len(value) > most:
        raise ValidationError(field, f"iFirma's {wire_name} holds at most {most} characters; this has {len(value)}")


def _fraction(line: Line) -> Decimal:
    """The line's VAT rate as iFirma's fraction, with two places at least (``0.23``, ``0.00``)."""
    fraction = line.vat.fraction
    return fraction.quantize(_CENT) if fraction == fraction.quantize(_CENT) else fraction


def _without_discount(line: Line) -> Line:
    return attrs.evolve(line, unit_price=effective_unit_price(line), discount_percent=None)


def _split_vat_id(tax_id: str, country: str) -> tuple[str | None, str]:
    """Split ``DE123456789`` into ``("DE", "123456789")``; a bare number has no prefix."""
    cleaned = tax_id.strip().replace(" ", "")
    head = cleaned[:2].upper()
    if len(cleaned) > 2 and head.isalpha() and head in (EU_COUNTRIES | {"EL"}):
        return head, cleaned[2:]
    return None, cleaned


def _envelope(body: Any) -> dict[str, Any]:
    """The ``response`` object of iFirma's envelope (``{}`` for anything else)."""
    if isinstance(body, dict):
        inner = body.get("response")
        if isinstance(inner, dict):
            return inner
    return {}


def _kod(envelope: Mapping[str, Any]) -> int | None:
    value = envelope.get("Kod")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | str):
        try:
            return int(str(value))
        except ValueError:
            return None
    return None


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(float(response.headers["Retry-After"]), 0.0)
    except (KeyError, ValueError):
        return None


def _details(response: httpx.Response) -> dict[str, Any]:
    # UNCERTAIN: whether the invoice's fields sit in the envelope itself (I-OFF Response.php)
    # or in its Wynik (lists, I-BUNDLE); both are read.
    envelope = _envelope(read_json(response))
    result = envelope.get("Wynik")
    if isinstance(result, dict):
        return {**envelope, **result}
    return envelope


def _accounting_month(response: httpx.Response) -> int:
    envelope = _details(response)
    try:
        month = int(str(envelope["MiesiacKsiegowy"]))
        year = int(str(envelope["RokKsiegowy"]))
    except (KeyError, ValueError):
        raise ProviderError(
            "iFirma's accounting month answer has no MiesiacKsiegowy/RokKsiegowy",
            provider="ifirma",
            response=response,
        ) from None
    if not 1 <= month <= 12:
        raise ProviderError(f"iFirma answered accounting month {month}", provider="ifirma", response=response)
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
