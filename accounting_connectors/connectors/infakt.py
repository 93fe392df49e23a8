"""inFakt.pl (API v3), sans-I/O.

Facts used here come from the project's inFakt reference
(``shared/providers/fakturownia_infakt_fakturowo.md`` §2), which cites inFakt's official
README (IF-README) and third-party clients checked against the live API (IF-OL, IF-GO).
The traps this module guards against:

* Amounts are **integer grosze** everywhere. Decimal strings were accepted by the live
  API and booked about 100 times too low (IF-OL), so the codec here refuses anything that
  is not a whole number of grosze.
* Documents are created asynchronously: ``POST /async/invoices.json`` answers with a task
  reference, the task is polled until it reports the invoice's ``uuid``, then the invoice
  is read back for its number. A task still running at the deadline is an
  :class:`InFaktTaskPending` (an ``AmbiguousOutcome``) naming the task reference.
* Corrections go to ``/async/corrective_invoices.json`` with before/after line pairs;
  ``kind: "corrective"`` on the plain invoice endpoint silently issues a VAT invoice.
* Omitting ``currency`` silently books the account's currency: it is always sent.
* Unknown field names are silently ignored (``post_code`` instead of ``client_post_code``
  loses the postal code without an error), so every name sent is one the reference lists.
* Limits are per IP: 150 writes and 300 reads per 60 s.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
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
from ..flow import Call, Flow, Sleep
from ..limits import RateLimit, Scope, credential_fingerprint
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
    VatRate,
    VatRateInfo,
)
from ..money import TotalsMethod, document_totals, effective_unit_price, line_amount
from ..provider import Provider, json_number, json_request, read_json

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "PAYMENT_TYPES",
    "SANDBOX_URL",
    "InFakt",
    "InFaktTaskPending",
    "from_grosze",
    "round_to_grosze",
    "to_grosze",
]

BASE_URL = "https://api.infakt.pl/api/v3/"
"""Production API root (IF-README "Punkt dostępowy")."""

SANDBOX_URL = "https://api.sandbox-infakt.pl/api/v3/"
"""Sandbox API root (IF-README); accounts register at konto.sandbox-infakt.pl."""

RATE_WINDOW = 60.0
"""inFakt's limits are counted per 60 s (IF-README "Limity")."""

PAYMENT_TYPES: tuple[PaymentType, ...] = (
    PaymentType(name="transfer", description="Bank transfer (przelew); needs a bank account set up in inFakt"),
    PaymentType(name="cash", description="Cash (gotówka)"),
    PaymentType(name="card", description="Card (karta)"),
    PaymentType(name="barter", description="Barter"),
    PaymentType(name="check", description="Cheque (czek)"),
    PaymentType(name="bill_of_sale", description="Bill of exchange (weksel)"),
    PaymentType(name="delivery", description="Cash on delivery (za pobraniem)"),
    PaymentType(name="compensation", description="Set-off (kompensata)"),
    PaymentType(name="accredited", description="Letter of credit (akredytywa)"),
    PaymentType(name="paypal", description="PayPal"),
    PaymentType(name="instalment_sale", description="Instalment sale (sprzedaż ratalna)"),
    PaymentType(name="payu", description="PayU"),
    PaymentType(name="tpay", description="Tpay"),
    PaymentType(name="przelewy24", description="Przelewy24"),
    PaymentType(name="dotpay", description="Dotpay"),
    PaymentType(name="other", description="Other (inna)"),
)
"""``payment_method`` values, a fixed list (IF-README "Metody płatności"; no endpoint lists them)."""

_PAYMENT_METHODS = {payment_type.name.casefold(): payment_type.name for payment_type in PAYMENT_TYPES}

CORRECTION_REASONS = ("mistake", "other")
"""``correction_reason`` symbols the reference confirms (older IF-README; IF-OL live: ``other``)."""

PDF_DOCUMENT_TYPES = (
    "original_copy",
    "original",
    "copy",
    "original_duplicate",
    "copy_duplicate",
    "duplicate",
    "regular",
    "double_regular",
)
"""``document_type`` values of ``pdf.json`` (IF-README)."""

PDF_LOCALES = ("pl", "en", "pe")
"""``locale`` values of ``pdf.json``: Polish, English, Polish-English (IF-README)."""

# Task processing codes (IF-README, IF-OL, IF-PHP1/2): 100/120/140 in progress, 201 done,
# 422 failed. Anything else at 400 or above is read as a failure too, anything else as
# "still processing" (UNCERTAIN: the full list is not documented).
_TASK_DONE = 201
_TASK_REFUSED = 422  # the only documented failure of a task (IF-README)

# Plain VAT treatments and their inFakt symbols (IF-README product table: 23, 8, 5, 0, zw,
# np). Reverse charge, intra-EU supply and export have no confirmed symbol (UNCERTAIN;
# "oo" is not confirmed), so they are refused unless ``tax_symbols`` names one.
_SPECIAL_SYMBOLS: Mapping[VatKind, str] = {VatKind.EXEMPT: "zw", VatKind.NOT_SUBJECT: "np"}
_SYMBOL_KINDS: Mapping[str, VatKind] = {
    "zw": VatKind.EXEMPT,
    "np": VatKind.NOT_SUBJECT,
    "oo": VatKind.REVERSE_CHARGE,
}

_HUNDRED = Decimal(100)
_MAX_DIGITS = 18  # integer digits of an amount; far beyond any invoice, far below a DoS

CAPABILITIES = Capabilities(
    provider="infakt",
    entries={
        Capability.SEND_INVOICE: Entry(Support.SUPPORTED, "asynchronous task, polled; created as a draft"),
        Capability.SEND_RECEIPT: Entry(Support.NOT_SUPPORTED, "inFakt's API has no receipt (paragon) document"),
        Capability.SEND_CORRECTION: Entry(Support.SUPPORTED, "corrective invoice with before/after line pairs"),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED, "downloading marks a draft 'printed'"),
        Capability.LIST_SERIES: Entry(Support.NOT_SUPPORTED, "no numbering series; one sequence per kind"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented fixed list"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED, "GET vat_rates.json; read by symbol"),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "marks the whole invoice paid; no partial payments"),
        Capability.SKU_STOCK: Entry(Support.NOT_SUPPORTED, "no product code or stock in inFakt's API"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.SUPPORTED, "own number with check_duplicate_number; no series"),
        Capability.DOCUMENT_LINK: Entry(Support.NOT_IMPLEMENTED, "share links exist; not built"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key (external_id unconfirmed)"),
        Capability.LOOKUP_BY_REFERENCE: Entry(Support.NOT_SUPPORTED, "no field keeps the caller's reference"),
    },
)
"""inFakt's row of the capability matrix."""


# ---------------------------------------------------------------------------------------
# The grosze codec
# ---------------------------------------------------------------------------------------
def to_grosze(amount: Decimal, field: str = "amount") -> int:
    """``amount`` (in złoty or any currency unit) as an exact integer of 1/100 units.

    Integer arithmetic on the Decimal's digits, never ``float`` and never a context
    precision, so any size is exact. Trailing zeros do not matter (``1.500`` is 150).

    Raises:
        ValidationError: ``amount`` is not a finite whole number of grosze (``0.005``).
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(field, f"{amount!r} is not a finite Decimal amount")
    sign, digit_tuple, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    digits = list(digit_tuple)
    # Drop trailing zeros below the grosz by hand: normalize() would round to the context.
    while exponent < -2 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    magnitude = int("".join(map(str, digits)))
    if magnitude == 0:
        return 0
    if exponent < -2:
        raise ValidationError(field, f"{amount} is not a whole number of grosze (inFakt takes integer grosze)")
    if exponent + len(digits) > _MAX_DIGITS:
        raise ValidationError(field, f"{amount} is too large for an amount")
    value: int = magnitude * 10 ** (exponent + 2)
    return -value if sign else value


def from_grosze(value: int) -> Decimal:
    """An integer of grosze as an exact Decimal with two places (``12345`` is ``123.45``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"grosze must be an int, not {type(value).__name__}")
    return Decimal((1 if value < 0 else 0, tuple(int(digit) for digit in str(abs(value))), -2))


def round_to_grosze(amount: Decimal, field: str = "amount") -> int:
    """``amount`` rounded half-up to 0.01 (the Polish per-line rule), in grosze."""
    if not amount.is_finite():
        raise ValidationError(field, f"{amount} is not a finite amount")
    rounded: Decimal = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return to_grosze(rounded, field)


# ---------------------------------------------------------------------------------------
# Errors specific to the asynchronous API
# ---------------------------------------------------------------------------------------
class InFaktTaskPending(AmbiguousOutcome):
    """inFakt accepted a create task, but its outcome is not known here.

    The task ran past the connector's deadline, or reading its status (or the created
    document) failed. The document may exist: it is never sent again automatically.
    Check ``GET /async/invoices/status/{task_reference}.json`` (corrections:
    ``/async/corrective_invoices/status/...``) or the invoice list in inFakt.

    Attributes:
        task_reference: inFakt's ``invoice_task_reference_number``.
        document_uuid: the created document's ``uuid`` when the task reported one.
    """

    def __init__(self, message: str, *, task_reference: str, document_uuid: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.task_reference = task_reference
        self.document_uuid = document_uuid


@attrs.frozen
class _Kind:
    """What differs between invoices and corrective invoices in the API."""

    operation: str
    wrapper: str
    create_path: str
    status_path: str
    document_path: str
    document_kind: DocumentKind


_INVOICE = _Kind(
    "send_invoice", "invoice", "async/invoices.json", "async/invoices/status/", "invoices/", DocumentKind.INVOICE
)
_CORRECTION = _Kind(
    "send_correction",
    "corrective_invoice",
    "async/corrective_invoices.json",
    "async/corrective_invoices/status/",
    "corrective_invoices/",
    DocumentKind.CORRECTION,
)


class InFakt(Provider):
    """inFakt.pl connector (API v3).

    Args:
        api_key: the API key from the inFakt web app (account settings > API), sent as
            ``X-inFakt-ApiKey``. It needs the ``api:invoices:read`` and
            ``api:invoices:write`` scopes.
        sandbox: use the sandbox (``api.sandbox-infakt.pl``) instead of production.
        base_url: the API root, overriding ``sandbox``.
        payment_method: inFakt's ``payment_method`` for invoices that carry no payment
            (``transfer`` needs a bank account configured in inFakt).
        tax_symbols: inFakt ``tax_symbol`` values for given VAT rates, overriding the
            default (the percentage, ``zw``, ``np``); needed for reverse charge, intra-EU
            supply and export, whose symbols the documentation does not confirm.
        pdf_document_type: ``document_type`` of downloaded PDFs (``original`` unless told).
        pdf_locale: ``locale`` of downloaded PDFs: ``pl``, ``en`` or ``pe`` (both).
        poll_interval: seconds before the first poll of a create task.
        poll_backoff: factor by which each wait grows.
        max_poll_interval: the longest wait between two polls.
        poll_timeout: total seconds of waiting before a task still running is reported
            as :class:`InFaktTaskPending`.
    """

    name: ClassVar[str] = "infakt"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # IF-README "Limity": per IP, GET 300 / 60 s, POST/PUT/DELETE 150 / 60 s. Marking an
    # invoice paid creates nothing but is a POST, so it counts as a write (Call.writes).
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (
        RateLimit(150, RATE_WINDOW, scope=Scope.WRITES),
        RateLimit(300, RATE_WINDOW, scope=Scope.READS),
    )

    def __init__(
        self,
        *,
        api_key: str,
        sandbox: bool = False,
        base_url: str | None = None,
        payment_method: str = "transfer",
        tax_symbols: Mapping[VatRate, str] | None = None,
        pdf_document_type: str = "original",
        pdf_locale: str = "pl",
        poll_interval: float = 0.5,
        poll_backoff: float = 2.0,
        max_poll_interval: float = 8.0,
        poll_timeout: float = 60.0,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("infakt needs api_key", provider=self.name)
        if payment_method.casefold() not in _PAYMENT_METHODS:
            raise ConfigurationError(
                f"payment_method {payment_method!r} is not an inFakt payment method; use one of "
                f"{sorted(_PAYMENT_METHODS.values())}",
                provider=self.name,
            )
        if pdf_document_type not in PDF_DOCUMENT_TYPES:
            raise ConfigurationError(f"pdf_document_type must be one of {PDF_DOCUMENT_TYPES}", provider=self.name)
        if pdf_locale not in PDF_LOCALES:
            raise ConfigurationError(f"pdf_locale must be one of {PDF_LOCALES}", provider=self.name)
        if poll_interval <= 0 or poll_backoff < 1 or max_poll_interval < poll_interval or poll_timeout < 0:
            raise ConfigurationError(
                "polling needs poll_interval > 0, poll_backoff >= 1, max_poll_interval >= poll_interval "
                "and poll_timeout >= 0",
                provider=self.name,
            )
        self._api_key = api_key
        self.sandbox = sandbox
        root = base_url or (SANDBOX_URL if sandbox else BASE_URL)
        self.base_url = root if root.endswith("/") else root + "/"
        self.payment_method = _PAYMENT_METHODS[payment_method.casefold()]
        self.tax_symbols = dict(tax_symbols or {})
        self.pdf_document_type = pdf_document_type
        self.pdf_locale = pdf_locale
        self.poll_interval = poll_interval
        self.poll_backoff = poll_backoff
        self.max_poll_interval = max_poll_interval
        self.poll_timeout = poll_timeout

    def __repr__(self) -> str:
        return f"InFakt(base_url={self.base_url!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """One key for every inFakt key of this process and host.

        inFakt counts its limits per IP address, not per key, so all clients of the
        process share one limiter per API host.
        """
        return credential_fingerprint("per-ip", self.base_url)

    def account(self) -> str:
        """The API key's fingerprint: one key belongs to one inFakt company."""
        return credential_fingerprint(self.base_url, self._api_key)

    def secrets(self) -> tuple[str, ...]:
        """The API key."""
        return (self._api_key,)

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map inFakt's HTTP status codes (IF-README "Kody błędów") to the taxonomy."""
        status = response.status_code
        if status < 300:
            return None
        body = read_json(response)
        message = _error_message(body)
        if status == 401:
            return AuthenticationError(message or "inFakt refused the API key (HTTP 401)")
        if status == 402:
            return PermissionDenied(message or "the inFakt plan's limit is exceeded (HTTP 402)")
        if status == 403:
            return PermissionDenied(message or "the API key may not do this, or the IP is blocked (HTTP 403)")
        if status == 404:
            return NotFound(message or "inFakt found no such resource (HTTP 404)")
        if status == 429 and call.creates:
            # IF-OL saw 429 after a create that had taken effect: in doubt, like a 5xx.
            return ServerError(message or "inFakt answered the create with HTTP 429; it may have been accepted")
        if status == 429:
            return RateLimited(
                message or "inFakt's request limit is exceeded (HTTP 429)",
                retry_at=now + _retry_after(response.headers.get("Retry-After"), now, default=RATE_WINDOW),
            )
        if status in (400, 406, 422):
            field_errors = _field_errors(body)
            if not field_errors:
                field_errors = {"": [message or f"HTTP {status}"]}
            text = message or "; ".join(
                f"{field}: {text}" if field else text for field, texts in field_errors.items() for text in texts
            )
            return ProviderValidationError(
                text or f"inFakt rejected the request (HTTP {status})", field_errors=field_errors
            )
        if status == 423:
            return ProviderError(message or "the inFakt resource is locked (HTTP 423)")
        if status >= 500:
            return ServerError(message or f"inFakt server error (HTTP {status})")
        return ProviderError(message or f"unexpected HTTP {status} from inFakt")

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue a VAT invoice through the asynchronous create and poll it to the end.

        ``POST async/invoices.json``, then ``GET async/invoices/status/{ref}.json`` with
        growing waits, then ``GET invoices/{uuid}.json`` for the number. With a
        ``payment`` the invoice is then marked paid (``POST async/invoices/{uuid}/paid.json``).
        """
        self._check_invoice(invoice)
        body = self._invoice_body(invoice)
        document = yield from self._create(_INVOICE, body, invoice.reference)
        if invoice.payment is not None:
            paid_on = invoice.payment.paid_on or invoice.issue_date
            booked = _grosze_field(document.raw, "gross_price")
            try:
                if booked is not None and booked != to_grosze(invoice.payment.amount, "payment.amount"):
                    # inFakt booked another total than ours: do not mark it paid for a sum it
                    # does not owe. The invoice exists all the same (hence the pending error).
                    raise ProviderError(
                        f"inFakt booked a gross total of {from_grosze(booked)}, the payment is {invoice.payment.amount}"
                    )
                yield self._mark_paid_call(document, paid_on, "send_invoice")
            except AccountingError as error:
                raise InFaktTaskPending(
                    f"invoice {document.number or document.external_id} was issued, but marking it paid "
                    f"failed ({error.message}); do not send it again: record the payment with "
                    f"record_payment()",
                    task_reference=str(document.raw.get("invoice_task_reference_number") or ""),
                    document_uuid=document.external_id,
                    provider=self.name,
                    operation="send_invoice",
                ) from error
        return document

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Issue a corrective invoice (``POST async/corrective_invoices.json``).

        The original is read first (``GET invoices/{uuid}.json``) for its number, date
        and client. Each changed line goes as a pair in one ``group``: the line as
        invoiced (``correction: false``) and as corrected (``correction: true``);
        unchanged lines are left out.
        """
        uuid = self._uuid(correction.original_document, "correction.original_document")
        pairs = self._correction_pairs(correction)
        response = yield self._get(f"invoices/{uuid}.json", operation="send_correction")
        original = _object(response)
        client_id = original.get("client_id")
        if isinstance(client_id, bool) or not isinstance(client_id, int):
            # Invoices go out with the buyer inline, so the original usually has no client
            # record; a correction needs one (IF-OL, live: "client_id required"), so the
            # buyer is stored first (POST clients.json). inFakt does not deduplicate clients:
            # a retried store can leave a second client record, never a second document.
            client_id = yield from self._store_client(correction.original.buyer)
        body = self._correction_body(correction, original, pairs, client_id)
        return (yield from self._create(_CORRECTION, body, correction.reference))

    def _store_client(self, party: Party) -> Flow[int]:
        request = json_request(
            "POST", self.base_url + "clients.json", {"client": _client_record(party)}, headers=self._headers()
        )
        response = yield Call(request, operation="send_correction", writes=True)
        stored = _object(response)
        client_id = stored.get("id")
        if isinstance(client_id, bool) or not isinstance(client_id, int):
            raise ProviderError("inFakt stored the client but returned no id", provider=self.name, response=response)
        return client_id

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The PDF from ``GET invoices/{uuid}/pdf.json`` (corrections: ``corrective_invoices``).

        Downloading marks a draft invoice "printed" (IF-README). The answer is read by its
        ``Content-Type``: the PDF itself (IF-OL, live) or JSON with a download link (IF-GO,
        UNCERTAIN), which is then followed without the API key.
        """
        if document.kind in (DocumentKind.RECEIPT, DocumentKind.PAYMENT):
            raise self.unsupported(Capability.FETCH_PDF)
        uuid = self._uuid(document, "document")
        folder = "corrective_invoices" if document.kind is DocumentKind.CORRECTION else "invoices"
        request = httpx.Request(
            "GET",
            f"{self.base_url}{folder}/{uuid}/pdf.json",
            params={"document_type": self.pdf_document_type, "locale": self.pdf_locale},
            headers={"X-inFakt-ApiKey": self._api_key, "Accept": "application/pdf, application/json"},
        )
        response: httpx.Response = yield Call(request, operation="fetch_pdf")
        if response.content.startswith(b"%PDF"):
            return response.content
        link = _download_link(read_json(response))
        if link is None:
            raise ProviderError("inFakt's PDF answer is neither a PDF nor a download link", response=response)
        headers = {"Accept": "application/pdf"}
        if httpx.URL(link).host == httpx.URL(self.base_url).host:
            headers["X-inFakt-ApiKey"] = self._api_key
        followed: httpx.Response = yield Call(httpx.Request("GET", link, headers=headers), operation="fetch_pdf")
        if not followed.content.startswith(b"%PDF"):
            raise ProviderError("inFakt's download link did not give a PDF", response=followed)
        return followed.content

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The payment methods inFakt documents (a fixed list; no call is made)."""
        return list(PAYMENT_TYPES)
        yield  # a flow with no calls

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The account's VAT rates (``GET vat_rates.json``), read by their ``symbol``.

        UNCERTAIN: the entity's field set (``id``, ``name``, ``rate``, ``symbol``) comes
        from a third-party client (IF-GO); entries whose symbol is neither a percentage
        nor a known special code are skipped.
        """
        response = yield self._get("vat_rates.json", operation="list_vat_rates")
        rates: list[VatRateInfo] = []
        for item in _entities(response):
            symbol = str(item.get("symbol") or "").strip()
            vat = _vat_from_symbol(symbol)
            if vat is None:
                continue
            rates.append(VatRateInfo(name=str(item.get("name") or symbol), vat=vat))
        return rates

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Mark an issued invoice paid (``POST async/invoices/{uuid}/paid.json``).

        inFakt documents only a whole "paid" mark, so the invoice is read first and a
        payment that is not its whole, still unpaid, gross amount is refused before the
        write. ``payment.method`` must be one of inFakt's payment methods (it is checked,
        not sent: the mark has no method field).
        """
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "inFakt marks invoices paid; this is not an invoice")
        uuid = self._uuid(document, "document")
        self._payment_method(payment.method, "payment.method")
        response = yield self._get(f"invoices/{uuid}.json", operation="record_payment")
        current = _object(response)
        gross = _grosze_field(current, "gross_price")
        left = _grosze_field(current, "left_to_pay")
        already_paid = current.get("status") == "paid" or (left is not None and left == 0 and gross)
        # Part paid already (left_to_pay below the gross): a whole-invoice mark would book more.
        partly_paid = left is not None and gross is not None and left != gross
        if already_paid or partly_paid or gross is None or to_grosze(payment.amount, "payment.amount") != gross:
            total = "unknown" if gross is None else str(from_grosze(gross))
            state = "already paid" if already_paid else "partly paid" if partly_paid else "unpaid"
            raise UnsupportedOperation(
                f"inFakt marks a whole invoice paid and documents no partial payment; "
                f"{document.number or uuid} totals {total} and is {state}, the payment is "
                f"{payment.amount}. Record partial payments in inFakt itself.",
                provider=self.name,
                operation="record_payment",
            )
        paid_on = payment.paid_on or _date_of(current.get("invoice_date")) or document.issue_date
        if paid_on is None:
            raise ValidationError("payment.paid_on", "inFakt's paid mark needs a date (paid_date)")
        yield self._mark_paid_call(document, paid_on, "record_payment")
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.PAYMENT,
            reference=document.reference,
            number=document.number,
            external_id=uuid,
            issue_date=payment.paid_on,
            raw=current,
        )

    # The asynchronous create.

    def _create(self, kind: _Kind, body: Mapping[str, Any], reference: str) -> Flow[SentDocument]:
        request = json_request("POST", self.base_url + kind.create_path, body, headers=self._headers())
        accepted = yield Call(request, operation=kind.operation, creates=True)
        # From here on inFakt has answered the create with 2xx: whatever goes wrong, the
        # document may exist, so every failure is an InFaktTaskPending (AmbiguousOutcome),
        # except a task that definitely failed.
        envelope = read_json(accepted)
        task = str(envelope.get("invoice_task_reference_number") or "") if isinstance(envelope, dict) else ""
        if not task:
            raise InFaktTaskPending(
                f"{kind.operation}: inFakt accepted the create (HTTP {accepted.status_code}) but its answer names "
                "no task; the document may exist. Check the invoice list in inFakt before sending again.",
                task_reference="",
                provider=self.name,
                operation=kind.operation,
                response=accepted,
            )
        try:
            final = yield from self._poll(kind, task, envelope)
        except InFaktTaskPending:
            raise
        except AccountingError as error:
            raise self._pending(kind, task, error) from error
        uuid = str(final.get("invoice_uuid") or "")
        if _processing_code(final) == _TASK_REFUSED and not uuid:
            # The one documented failure (IF-README: 422, "Nie udało się stworzyć faktury",
            # no uuid) created nothing: the refusal is final and safe to fix and resend.
            raise self._task_failed(kind, task, final)
        try:
            if _processing_code(final) != _TASK_DONE or not uuid:
                # Any other ending is undocumented (IF-PHP2 treats only 201 and 422 as final).
                raise ProviderError(
                    f"inFakt's task {task} ended with processing_code {_processing_code(final)} "
                    f"({final.get('processing_description') or 'no description'})"
                )
            read = yield self._get(f"{kind.document_path}{uuid}.json", operation=kind.operation)
            document = _object(read)
        except AccountingError as error:
            raise self._pending(kind, task, error, uuid or None) from error
        number = document.get("number")
        issue_date = document.get("invoice_date")
        return SentDocument(
            provider=self.name,
            kind=kind.document_kind,
            reference=reference,
            # UNCERTAIN (IF-OL #1275): a fresh draft may still show "number": null.
            number=None if number in (None, "") else str(number),
            external_id=uuid,
            issue_date=issue_date if isinstance(issue_date, str) and issue_date else None,
            raw={**document, "invoice_task_reference_number": task},
        )

    def _poll(self, kind: _Kind, task: str, envelope: Mapping[str, Any]) -> Flow[Mapping[str, Any]]:
        """Poll the task with growing waits until it succeeds, fails or the deadline passes."""
        waited = 0.0
        delay = self.poll_interval
        while True:
            code = _processing_code(envelope)
            if code == _TASK_DONE or (code is not None and code >= 400):
                return envelope
            if waited >= self.poll_timeout:
                raise InFaktTaskPending(
                    f"{kind.operation}: inFakt's task {task} was still processing after {waited:g} s "
                    f"(processing_code {code}); the document may still be created. Check "
                    f"GET {kind.status_path}{task}.json before sending again.",
                    task_reference=task,
                    provider=self.name,
                    operation=kind.operation,
                )
            pause = min(delay, self.max_poll_interval, self.poll_timeout - waited)
            yield Sleep(pause)
            waited += pause
            delay = min(delay * self.poll_backoff, self.max_poll_interval)
            response = yield self._get(f"{kind.status_path}{task}.json", operation=kind.operation)
            envelope = _object(response)

    def _pending(self, kind: _Kind, task: str, error: AccountingError, uuid: str | None = None) -> InFaktTaskPending:
        # After the 202 the document may exist whatever failed: never let the caller
        # believe it is safe to send again.
        created = f" (document {uuid} was created)" if uuid else ""
        return InFaktTaskPending(
            f"{kind.operation}: inFakt accepted task {task}{created}, but its outcome could not be "
            f"read ({error.message}); check GET {kind.status_path}{task}.json before sending again",
            task_reference=task,
            document_uuid=uuid,
            provider=self.name,
            operation=kind.operation,
        )

    def _task_failed(self, kind: _Kind, task: str, envelope: Mapping[str, Any]) -> ProviderValidationError:
        # UNCERTAIN: IF-PHP2 reads the details from `invoice_errors`; other shapes are
        # flattened the same way, and the description is kept when there are none.
        description = str(envelope.get("processing_description") or "the task failed")
        field_errors = _flatten(envelope.get("invoice_errors")) or _field_errors(envelope)
        if not field_errors:
            field_errors = {"": [description]}
        details = "; ".join(
            f"{field}: {text}" if field else text for field, texts in field_errors.items() for text in texts
        )
        return ProviderValidationError(
            f"inFakt's task {task} failed: {description} ({details})",
            field_errors=field_errors,
            provider=self.name,
            operation=kind.operation,
        )

    # Requests.

    def _headers(self) -> dict[str, str]:
        return {"X-inFakt-ApiKey": self._api_key}

    def _get(self, path: str, *, operation: str, params: Mapping[str, str] | None = None) -> Call:
        request = json_request("GET", self.base_url + path, headers=self._headers(), params=dict(params or {}) or None)
        return Call(request, operation=operation)

    def _mark_paid_call(self, document: SentDocument, paid_on: dt.date, operation: str) -> Call:
        # IF-OL (live) sends the wrapped form, which answered 201 and marked the invoice
        # paid; IF-PHP1 sends paid_date at the top level. UNCERTAIN which is canonical;
        # the live-verified wrapped form is used. The date is always sent: the reference
        # lists paid_date as the mark's parameter and never calls it optional.
        uuid = self._uuid(document, "document")
        fields: dict[str, Any] = {"paid_date": paid_on.isoformat()}
        request = json_request(
            "POST", f"{self.base_url}async/invoices/{uuid}/paid.json", {"invoice": fields}, headers=self._headers()
        )
        # A write that creates nothing: a timeout may be retried, and marking an invoice
        # paid twice is harmless (IF-OL, live).
        return Call(request, operation=operation, writes=True)

    # Document bodies.

    def _check_invoice(self, invoice: Invoice) -> None:
        if invoice.use_stock:
            raise self.unsupported(Capability.SKU_STOCK)
        if invoice.series is not None:
            raise ValidationError(
                "series", "inFakt has no numbering series; leave series empty (put a whole own number in number)"
            )
        if invoice.exchange_rate is not None:
            raise ValidationError(
                "exchange_rate", "inFakt documents no exchange-rate field (it takes the NBP rate); leave it empty"
            )
        if invoice.payment is not None:
            self._payment_method(invoice.payment.method, "payment.method")
            gross = document_totals(
                invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_RATE
            ).total.gross
            if invoice.payment.amount != gross:
                raise ValidationError(
                    "payment.amount",
                    f"inFakt marks a whole invoice paid; the payment {invoice.payment.amount} is not the "
                    f"invoice's gross total {gross}",
                )
            if invoice.payment.paid_on is not None and invoice.payment.paid_on < invoice.issue_date:
                raise ValidationError("payment.paid_on", "inFakt's paid_date may not be before the issue date")

    def _invoice_body(self, invoice: Invoice) -> dict[str, Any]:
        method = self.payment_method
        if invoice.payment is not None:
            method = self._payment_method(invoice.payment.method, "payment.method")
        fields: dict[str, Any] = {
            # Always sent: without it inFakt silently uses the account's currency (IF-OL).
            "currency": invoice.currency,
            "invoice_date": invoice.issue_date.isoformat(),
            "sale_date": (invoice.sale_date or invoice.issue_date).isoformat(),
            "payment_method": method,
            **_client_fields(invoice.buyer),
            "services": [
                self._service(line, invoice.prices_include_vat, f"lines[{index}]")
                for index, line in enumerate(invoice.lines)
            ],
        }
        if invoice.due_date is not None:
            fields["payment_date"] = invoice.due_date.isoformat()  # payment_date is the due date
        if invoice.number is not None:
            fields["number"] = invoice.number
            # Ask inFakt to refuse a number it already has (the failure shape is UNCERTAIN).
            fields["check_duplicate_number"] = True
        if invoice.notes:
            fields["notes"] = invoice.notes
        return {"invoice": fields}

    def _service(self, line: Line, prices_include_vat: bool, field: str) -> dict[str, Any]:
        service: dict[str, Any] = {
            "name": line.name,
            "tax_symbol": self._tax_symbol(line.vat, f"{field}.vat"),
            "unit": line.unit,
            "quantity": json_number(line.quantity),
        }
        if prices_include_vat:
            # "From gross": the line's gross value and no net price (IF-README note). The
            # value is rounded half-up to a grosz per line, the discount included; the unit
            # price itself must already be whole grosze.
            to_grosze(line.unit_price, f"{field}.unit_price")
            service["gross_price"] = round_to_grosze(line_amount(line), f"{field}.unit_price")
            return service
        if line.discount_percent is None:
            service["unit_net_price"] = to_grosze(line.unit_price, f"{field}.unit_price")
            return service
        if line.discount_percent != line.discount_percent.to_integral_value():
            raise ValidationError(f"{field}.discount_percent", "inFakt takes a discount in whole percent")
        # The price before the discount, the discount, and the discounted unit price. All
        # three must agree exactly, or inFakt and this library could total the line apart
        # (which one inFakt computes from is not documented): the discounted unit price
        # must be whole grosze.
        discounted = effective_unit_price(line)
        if discounted != discounted.quantize(Decimal("0.01")):
            raise ValidationError(
                f"{field}.discount_percent",
                f"the discounted unit price {discounted} is not whole grosze; inFakt's unit prices are",
            )
        service["unit_net_price_before_discount"] = to_grosze(line.unit_price, f"{field}.unit_price")
        service["discount"] = int(line.discount_percent)
        service["unit_net_price"] = to_grosze(discounted, f"{field}.unit_price")
        return service

    def _tax_symbol(self, vat: VatRate, field: str) -> str:
        if vat in self.tax_symbols:
            return self.tax_symbols[vat]
        if vat.kind is VatKind.RATE:
            return f"{vat.percent.normalize():f}"
        symbol = _SPECIAL_SYMBOLS.get(vat.kind)
        if symbol is None:
            raise ValidationError(
                field,
                f"inFakt's documentation confirms no tax_symbol for {vat}; look it up with "
                f"list_vat_rates() and pass tax_symbols={{rate: 'symbol'}}",
            )
        return symbol

    def _payment_method(self, method: str, field: str) -> str:
        name = _PAYMENT_METHODS.get(method.casefold())
        if name is None:
            raise ValidationError(
                field, f"{method!r} is not an inFakt payment method; use one of {sorted(_PAYMENT_METHODS.values())}"
            )
        return name

    def _correction_pairs(self, correction: Correction) -> list[tuple[Line, Line, str]]:
        pairs = [
            (before, after, f"lines[{index}]")
            for index, (before, after) in enumerate(zip(correction.original.lines, correction.lines, strict=True))
            if before != after
        ]
        if not pairs:
            # IF-OL: identical before/after rows still mint a real 0.00 correction.
            raise ValidationError("lines", "no line changes; inFakt would issue an empty correction")
        return pairs

    def _correction_body(
        self,
        correction: Correction,
        original: Mapping[str, Any],
        pairs: Sequence[tuple[Line, Line, str]],
        client_id: int,
    ) -> dict[str, Any]:
        invoice = correction.original
        number = original.get("number") or correction.original_document.number
        if not number:
            raise ValidationError("correction.original_document.number", "the original invoice has no number yet")
        services: list[dict[str, Any]] = []
        for group, (before, after, field) in enumerate(pairs, start=1):
            # `group` was sent as a string in IF-OL's live shape.
            services.append(
                {
                    **self._service(before, invoice.prices_include_vat, f"original.{field}"),
                    "group": str(group),
                    "correction": False,
                }
            )
            services.append(
                {**self._service(after, invoice.prices_include_vat, field), "group": str(group), "correction": True}
            )
        reason = correction.reason.strip()
        symbol = reason if reason in CORRECTION_REASONS else "other"
        fields: dict[str, Any] = {
            "currency": invoice.currency,
            "invoice_date": correction.issue_date.isoformat(),
            "payment_method": str(original.get("payment_method") or self._original_method(invoice)),
            "corrected_invoice_number": str(number),
            "corrected_invoice_date": str(original.get("invoice_date") or invoice.issue_date.isoformat()),
            "corrected_invoice_uuid": self._uuid(correction.original_document, "correction.original_document"),
            "correction_reason": symbol,
            "services": services,
        }
        # IF-OL (live): "client_id required" on corrections, whatever the README's common
        # fields suggest; the safest reading sends a stored client.
        fields["client_id"] = client_id
        if symbol != reason:
            # The reason symbol is a code; the caller's words go on the document.
            fields["notes"] = reason
        return {"corrective_invoice": fields}

    def _original_method(self, invoice: Invoice) -> str:
        if invoice.payment is not None:
            return self._payment_method(invoice.payment.method, "original.payment.method")
        return self.payment_method

    def _uuid(self, document: SentDocument, field: str) -> str:
        if document.provider != self.name:
            raise ValidationError(f"{field}.provider", f"is {document.provider!r}, not an inFakt document")
        if not document.external_id:
            raise ValidationError(f"{field}.external_id", "inFakt finds documents by uuid; it is missing")
        return document.external_id


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
def _client_record(party: Party) -> dict[str, Any]:
    """The buyer as an inFakt client record (IF-README "Definicja klienta").

    The record's names differ from the invoice's inline ones: ``company_name``,
    ``postal_code`` (IF-OL, live: ``name``/``post_code`` are dropped and the create 422s);
    ``country`` is required.
    """
    record: dict[str, Any] = {}
    if party.is_company:
        record["company_name"] = party.name
    else:
        first, _, last = party.name.strip().rpartition(" ")
        if first:
            record["first_name"] = first
        record["last_name"] = last
    if party.tax_id:
        record["nip"] = party.tax_id
    address = party.address
    if address is not None:
        for key, value in (("street", address.street), ("city", address.city), ("postal_code", address.postal_code)):
            if value:
                record[key] = value
    if address is None:
        raise ValidationError("correction.original.buyer.address", "inFakt stores a client with its country")
    record["country"] = address.country
    if party.email:
        record["email"] = party.email
    if party.phone:
        record["phone_number"] = party.phone
    return record


def _client_fields(party: Party) -> dict[str, Any]:
    """The buyer as inline ``client_*`` fields of an invoice (IF-README "Definicja faktury").

    Companies go by name and NIP; persons by first and last name (IF-NPM and IF-GO send
    ``client_first_name``/``client_last_name``). A buyer e-mail or phone has no inline
    field (they live on the client record), so they are not sent.
    """
    fields: dict[str, Any] = {}
    if party.is_company:
        fields["client_company_name"] = party.name
        fields["client_business_activity_kind"] = "other_business"
    else:
        first, _, last = party.name.strip().rpartition(" ")
        if first:
            fields["client_first_name"] = first
        fields["client_last_name"] = last
        fields["client_business_activity_kind"] = "self_employed" if party.tax_id else "private_person"
    if party.tax_id:
        fields["client_tax_code"] = party.tax_id
    address = party.address
    if address is not None:
        # The invoice's inline name is client_post_code (the client record's is postal_code);
        # inFakt silently drops names it does not know.
        for key, value in (
            ("client_street", address.street),
            ("client_city", address.city),
            ("client_post_code", address.postal_code),
        ):
            if value:
                fields[key] = value
        fields["client_country"] = address.country
    return fields


def _object(response: httpx.Response) -> dict[str, Any]:
    body = read_json(response)
    if not isinstance(body, dict):
        raise ProviderError("inFakt's answer is not a JSON object", response=response)
    return body


def _entities(response: httpx.Response) -> list[dict[str, Any]]:
    body = read_json(response)
    items = body.get("entities") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def _processing_code(envelope: Mapping[str, Any]) -> int | None:
    code = envelope.get("processing_code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def _grosze_field(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _vat_from_symbol(symbol: str) -> VatRate | None:
    kind = _SYMBOL_KINDS.get(symbol.casefold())
    if kind is not None:
        return VatRate.special(kind)
    try:
        percent = Decimal(symbol)
    except ArithmeticError:
        return None
    if not percent.is_finite() or not Decimal(0) <= percent < _HUNDRED:
        return None
    return VatRate.of(percent)


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "processing_description"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _field_errors(body: Any) -> dict[str, list[str]]:
    """The per-field messages of an error body (``errors``; UNCERTAIN shape, IF-GO)."""
    if not isinstance(body, dict):
        return {}
    return _flatten(body.get("errors"))


def _flatten(value: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"services": [{"gross": ["..."]}]}`` as ``{"services[0].gross": ["..."]}``.

    Rails-style bodies map a field to a list of messages, nest objects, or already use
    dotted keys (``services.gross``, IF-OL); a bare string or list belongs to ``prefix``.
    """
    out: dict[str, list[str]] = {}
    if isinstance(value, str):
        if value.strip():
            out.setdefault(prefix, []).append(value.strip())
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in _flatten(item, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = prefix if isinstance(item, str) else f"{prefix}[{index}]"
            for field, texts in _flatten(item, name).items():
                out.setdefault(field, []).extend(texts)
    elif value is not None and not isinstance(value, bool):
        out.setdefault(prefix, []).append(str(value))
    return out


def _retry_after(value: str | None, now: float, *, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return default
    return max(when.timestamp() - now, 0.0)


def _download_link(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for key in ("download_link", "url", "link"):
        value = body.get(key)
        if isinstance(value, str) and value.startswith("https://"):
            return value
    return None


def _date_of(value: Any) -> dt.date | None:
    """An ISO date from inFakt's answer, or ``None``."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
