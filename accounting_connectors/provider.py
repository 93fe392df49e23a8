"""The base of every provider: sans-I/O operations plus what the drivers ask of it.

A provider builds requests, parses responses and maps errors; it never sends anything.
Operations are generators (see :mod:`accounting_connectors.flow`). An operation the
provider cannot do raises :class:`~accounting_connectors.errors.UnsupportedOperation`
as soon as it is called, so no request is ever made for it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Self

import attrs
import httpx

from .capabilities import Capabilities, Capability
from .errors import (
    AccountingError,
    AmbiguousOutcome,
    AuthenticationError,
    ConfigurationError,
    MalformedAnswer,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    ServerError,
    UnsupportedOperation,
    ValidationError,
)
from .flow import Call, Flow
from .limits import RateLimit, RateLimitState, parse_rate_limit_headers
from .model import (
    Correction,
    DocumentKind,
    EInvoiceStatus,
    Invoice,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatRateInfo,
)

DEFAULT_STATUS_ERRORS: Mapping[int, type[ProviderError]] = {
    400: ProviderValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: ProviderValidationError,
    422: ProviderValidationError,
    429: RateLimited,
}
"""The HTTP statuses most providers mean the same way; 5xx is always ``ServerError``."""

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""The largest answer read by default (10 MiB, decoded): no provider's JSON, XML or PDF
answer to one document comes near it, and a longer body is refused with a typed error."""


class Provider:
    """Base class for a provider's sans-I/O connector.

    Subclasses set the class attributes, name their settings class, implement the
    operations they support and say how their errors read (:meth:`error_message`,
    :meth:`field_errors`, or the whole of :meth:`error_for` where the provider answers
    errors under HTTP 200). Build one with :meth:`configure`, which checks the setting
    names; ``__init__`` takes the settings object.
    """

    name: ClassVar[str]
    """The registered name, e.g. ``"smartbill"``."""
    title: ClassVar[str] = ""
    """The service's own name as printed (``"SmartBill.ro"``); defaults to :attr:`name`."""
    country: ClassVar[str] = ""
    """ISO 3166-1 alpha-2 code of the country whose tax rules the service follows."""
    settings_class: ClassVar[type[Any]]
    """The frozen attrs class of this provider's settings (credentials and options)."""
    status_errors: ClassVar[Mapping[int, type[ProviderError]]] = DEFAULT_STATUS_ERRORS
    """HTTP status to error class; override only the statuses the provider means otherwise."""
    retry_after_default: ClassVar[float | None] = None
    """Seconds to wait after a rate-limit answer that names no ``Retry-After``."""
    capabilities: ClassVar[Capabilities]
    """The provider's row of the capability matrix."""
    rate_limits: ClassVar[tuple[RateLimit, ...]] = ()
    """The provider's documented limits, enforced per credential by the drivers."""
    max_response_bytes: ClassVar[int] = MAX_RESPONSE_BYTES
    """Answers longer than this (after decoding) are refused by the drivers, unread."""
    one_document_at_a_time: ClassVar[bool] = False
    """Creates share account-wide state (iFirma's accounting month): bulk export sends
    documents one after another instead of concurrently."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        """The provider's settings object (an instance of :attr:`settings_class`)."""

    @classmethod
    def configure(cls, **settings: Any) -> Self:
        """The provider built from keyword settings, each name checked.

        Raises:
            ConfigurationError: a setting is unknown or a required one is missing (the
                message lists the valid ones), or the settings class refused a value.
        """
        fields = attrs.fields(cls.settings_class)
        known = [field.name for field in fields]
        required = [field.name for field in fields if field.default is attrs.NOTHING]
        unknown = sorted(set(settings) - set(known))
        missing = [name for name in required if name not in settings]
        valid = ", ".join(f"{name} (required)" if name in required else name for name in known)
        if unknown:
            raise ConfigurationError(
                f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for {cls.name}; "
                f"valid settings: {valid}",
                provider=cls.name,
            )
        if missing:
            raise ConfigurationError(
                f"missing setting{'s' if len(missing) > 1 else ''} {', '.join(missing)} for {cls.name}; "
                f"valid settings: {valid}",
                provider=cls.name,
            )
        try:
            built = cls.settings_class(**settings)
        except (TypeError, ValueError) as error:
            if isinstance(error, AccountingError):
                raise
            raise ConfigurationError(f"{cls.name} settings: {error}", provider=cls.name) from error
        return cls(built)

    def credential_fingerprint(self) -> str:
        """A key that is equal for equal credentials and reveals nothing of them."""
        raise NotImplementedError

    def account(self) -> str:
        """The account documents are issued in (a company id), for the export ledger.

        The same reference in two accounts is two documents. Defaults to the credential
        fingerprint; providers whose credentials can issue for several companies return
        the company.
        """
        return self.credential_fingerprint()

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where a person should look to tell whether an ambiguous create took effect."""
        return ""

    settles_ambiguous: ClassVar[str | None] = None
    """How :meth:`settle` tells whether an ambiguous create took effect, when it can:
    ``"task"`` by the provider's own reference of the request (safe at any time),
    ``"content"`` by looking for a document with the same content (only once nothing
    can still be travelling: the exporter waits out the in-flight window first)."""
    in_flight_margin: ClassVar[float] = 60.0
    """Seconds beyond the HTTP timeout a create may take to show at the provider."""

    def settle(
        self, kind: DocumentKind, reference: str, data: Mapping[str, str], document: Any = None
    ) -> Flow[SentDocument | None]:
        """Settle an ambiguous create of ``reference`` without a person.

        ``data`` is what the ambiguous error recorded (``AmbiguousOutcome.settle_data``,
        e.g. a task reference); ``document`` the document that was sent, when known.

        Returns the document when it was issued and ``None`` when it certainly was not
        (it may be sent again). Raises ``AmbiguousOutcome`` while it cannot be told, or
        a retry-safe error when the create certainly failed for that reason.
        """
        raise AmbiguousOutcome(f"{self.display_name} cannot settle an ambiguous create by itself")

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or error messages."""
        return ()

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map a response to an error, or ``None`` when it is a success.

        ``now`` is the wall-clock time, for turning "retry in N seconds" into ``retry_at``
        (the driver reads ``Retry-After`` itself when a ``RateLimited`` has none). The
        default treats HTTP 2xx and 3xx as success and everything else by
        :meth:`status_error`; providers that report errors under HTTP 200 override it.
        """
        if response.status_code < 400:
            return None
        return self.status_error(response)

    def status_error(self, response: httpx.Response, message: str | None = None) -> ProviderError:
        """The error for a failed HTTP status, by :attr:`status_errors` (5xx: ``ServerError``).

        ``message`` defaults to :meth:`error_message`; field errors come from
        :meth:`field_errors`. The provider and operation are stamped by the driver.
        """
        status = response.status_code
        text = message or self.error_message(response) or f"{self.display_name} answered HTTP {status}"
        cls = ServerError if status >= 500 else self.status_errors.get(status, ProviderError)
        if issubclass(cls, ProviderValidationError):
            field_errors = self.field_errors(response) or {"": [text]}
            return cls(text, field_errors=field_errors, response=response)
        return cls(text, response=response)

    def error_message(self, response: httpx.Response) -> str | None:
        """The provider's own error text in ``response``, kept verbatim; ``None`` if it has none.

        The default reads a JSON body's ``message``, ``error`` or ``errorText`` string.
        """
        body = read_json(response)
        if isinstance(body, Mapping):
            for key in ("message", "error", "errorText", "error_description"):
                value = body.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
        return None

    def field_errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """The provider's per-field messages in ``response`` (field name -> messages)."""
        return {}

    @property
    def display_name(self) -> str:
        """The service's printed name (:attr:`title`, else :attr:`name`)."""
        return self.title or self.name

    # Shared checks and helpers.

    def own_document(self, document: SentDocument, field: str = "document") -> SentDocument:
        """``document``, after checking this provider issued it.

        Raises:
            ValidationError: it came from another provider (named at ``field``).
        """
        if document.provider != self.name:
            raise ValidationError(f"{field}.provider", f"is {document.provider!r}, not a {self.display_name} document")
        return document

    def pdf_bytes(self, response: httpx.Response, what: str = "the document") -> bytes:
        """The body of ``response`` when it is a PDF.

        Raises:
            MalformedAnswer: the body does not start with ``%PDF`` (an HTML page, an error).
        """
        content = response.content
        if not content.startswith(b"%PDF"):
            kind = response.headers.get("Content-Type", "unknown content type")
            raise MalformedAnswer(
                f"{self.display_name} did not answer a PDF for {what} ({kind}, {len(content)} bytes)",
                response=response,
            )
        return content

    @staticmethod
    def payment_types(entries: Iterable[tuple[str, str]], *, receipts: Iterable[str] = ()) -> list[PaymentType]:
        """A fixed list of payment types from ``(name, description)`` pairs.

        ``receipts`` names the types for which the provider issues a receipt.
        """
        issuing = set(receipts)
        return [PaymentType(name=name, description=text, issues_receipt=name in issuing) for name, text in entries]

    def payment_type_named(self, types: Iterable[PaymentType], name: str, field: str = "payment.method") -> PaymentType:
        """The payment type called ``name`` (exact, then case-insensitive).

        Raises:
            ValidationError: no such type; the message lists the valid names.
        """
        candidates = list(types)
        for candidate in candidates:
            if candidate.name == name:
                return candidate
        folded = name.casefold()
        for candidate in candidates:
            if candidate.name.casefold() == folded:
                return candidate
        names = ", ".join(candidate.name for candidate in candidates)
        raise ValidationError(field, f"{name!r} is not a {self.display_name} payment type; use one of: {names}")

    def rate_limit_state(self, response: httpx.Response) -> RateLimitState | None:
        """What the response's headers say about the rate-limit window, if anything."""
        return parse_rate_limit_headers(response.headers)

    def unsupported(self, capability: Capability, reason: str | None = None) -> UnsupportedOperation:
        """The error for a capability this provider does not offer, with the matrix's note.

        ``reason`` explains a case the provider does not cover within a capability it
        otherwise supports (SmartBill has invoice PDFs but no receipt PDFs).
        """
        entry = self.capabilities[capability]
        if reason is None:
            why = f": {entry.note}" if entry.note else ""
            message = f"{capability.value} is {entry.support.value} for {self.name}{why}"
        else:
            message = f"{self.name} cannot do this {capability.value}: {reason}"
        return UnsupportedOperation(message, provider=self.name, operation=capability.value)

    # Operations. The defaults refuse before any I/O.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue ``invoice`` at the provider."""
        raise self.unsupported(Capability.SEND_INVOICE)

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue ``receipt`` at the provider."""
        raise self.unsupported(Capability.SEND_RECEIPT)

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Issue ``correction`` of an invoice sent before."""
        raise self.unsupported(Capability.SEND_CORRECTION)

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The PDF of a document the provider issued."""
        raise self.unsupported(Capability.FETCH_PDF)

    def list_series(self) -> Flow[list[Series]]:
        """The numbering series configured at the provider."""
        raise self.unsupported(Capability.LIST_SERIES)

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The payment types the provider accepts."""
        raise self.unsupported(Capability.LIST_PAYMENT_TYPES)

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The VAT rates configured at the provider."""
        raise self.unsupported(Capability.LIST_VAT_RATES)

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Record ``payment`` against an issued invoice."""
        raise self.unsupported(Capability.RECORD_PAYMENT)

    def find_document(self, kind: DocumentKind, reference: str) -> Flow[SentDocument | None]:
        """The document issued for the caller's ``reference``, or ``None`` if there is none.

        Used to reconcile a create whose outcome was ambiguous (``LOOKUP_BY_REFERENCE``).
        """
        raise self.unsupported(Capability.LOOKUP_BY_REFERENCE)

    def einvoice_status(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """Where ``document`` stands in KSeF or RO e-Factura, as the provider reports it (``EINVOICE``)."""
        raise self.unsupported(Capability.EINVOICE)

    def send_einvoice(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """Submit ``document`` to KSeF or RO e-Factura where the provider has an explicit send.

        The status is read first and the document is sent only when it allows a resend
        (``resend_allowed``: never for a document that is or may be accepted); otherwise the
        status read is returned and nothing is sent. Returns the status after the send.
        """
        if self.capabilities.supports(Capability.EINVOICE):
            raise self.unsupported(
                Capability.EINVOICE, f"{self.display_name} is not sent from this library (no explicit send here)"
            )
        raise self.unsupported(Capability.EINVOICE)


def base_url(url: str, *, field: str = "base_url") -> str:
    """``url`` as a base for relative paths: ``https`` only, no query, one trailing slash.

    Raises:
        ConfigurationError: not an absolute ``https`` URL (``http`` is allowed only for
            loopback hosts, where the testing kit serves fakes).
    """
    parsed = httpx.URL(url.strip())
    loopback = parsed.host in ("127.0.0.1", "localhost", "::1")
    if not parsed.host or parsed.scheme not in ("https", "http") or (parsed.scheme == "http" and not loopback):
        raise ConfigurationError(f"{field} must be an absolute https URL, not {url!r}")
    if parsed.query or parsed.fragment:
        raise ConfigurationError(f"{field} must not carry a query or fragment: {url!r}")
    text = str(parsed.copy_with(query=None, fragment=None))
    return text.rstrip("/") + "/"


@functools.lru_cache(maxsize=512)
def _parsed(url: str) -> httpx.URL:
    # Providers call a handful of endpoints; parsing each URL once saves a parse per call.
    # httpx treats URL objects as immutable, so one may back many requests.
    return httpx.URL(url)


def json_request(
    method: str,
    url: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Request:
    """An ``httpx.Request`` with a compact JSON body (Decimals written exactly)."""
    all_headers = {"Accept": "application/json"}
    if headers:
        all_headers.update(headers)
    content: bytes | None = None
    if body is not None:
        content = dump_json(body)
        all_headers["Content-Type"] = "application/json; charset=utf-8"
    return httpx.Request(method, _parsed(url), content=content, headers=all_headers, params=params)


# The json module cannot write a Decimal as a bare number, and float() would lose
# exactness. So each Decimal is written as a string between two marker characters (by
# json_number, or by the encoder's default hook), and the quotes and markers around
# those strings are then dropped with two C-speed replaces (this runs on every create).
# RawJSON pieces travel the same way, as numbered placeholders replaced by their text.
# The markers are a lone low surrogate before the digits and a lone high surrogate after
# them. In valid Unicode text, escaped as ASCII JSON, a low surrogate always follows a
# high one and a high one is always followed by a low one, so the sequences `"\udfff`
# and `\ud800"` only ever come from these markers. The model refuses unpaired surrogates
# in any text (no provider could receive them).
_OPEN, _CLOSE = "\udfff", "\ud800"
_QUOTED_OPEN, _QUOTED_CLOSE = '"\\udfff', '\\ud800"'


def number_text(value: Decimal) -> str:
    """The exact text of ``value`` as a JSON number, in fixed notation."""
    text = str(value)
    # str() may use an exponent (1E+2); fixed notation is what every provider parses.
    return format(value, "f") if "E" in text else text


def json_number(value: Decimal) -> str:
    """``value`` prepared for :func:`dump_json` to write as an exact JSON number.

    :func:`dump_json` turns any plain ``Decimal`` into a number too, only more slowly.
    """
    return _OPEN + number_text(value) + _CLOSE


json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
"""A str as a quoted ASCII JSON string (the json module's own C encoder)."""


@attrs.frozen
class RawJSON:
    """JSON text a provider wrote itself, which :func:`dump_json` inserts verbatim.

    For the hot path of a create: a document's lines written with f-strings,
    :func:`json_string` and :func:`number_text` cost a third of building dicts for the
    encoder. The text must be valid JSON; the provider's tests parse what it sends.
    """

    text: str


def dump_json(body: Any) -> bytes:
    """Compact ASCII JSON in which every ``Decimal`` is an exact JSON number.

    Raises:
        ValidationError: a text value holds an unpaired surrogate (not valid Unicode).
    """
    fragments: list[str] = []

    def default(value: object) -> object:
        if isinstance(value, Decimal):
            return json_number(value)
        if isinstance(value, RawJSON):
            fragments.append(value.text)
            return f"{_OPEN}#{len(fragments) - 1}{_CLOSE}"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps(body, default=default, separators=(",", ":"))
    for index, fragment in enumerate(fragments):
        text = text.replace(f"{_QUOTED_OPEN}#{index}{_QUOTED_CLOSE}", fragment, 1)
    if text.count(_QUOTED_OPEN) != text.count(_QUOTED_CLOSE):
        raise ValidationError("$", "a text value is not valid Unicode (it holds an unpaired surrogate)")
    return text.replace(_QUOTED_OPEN, "").replace(_QUOTED_CLOSE, "").encode()


_PARSED = "_accounting_connectors_json"


def read_json(response: httpx.Response) -> Any:
    """The response body as JSON with numbers as ``Decimal``; ``None`` when it is not JSON.

    The result is kept on the response, so the error check and the parser share one parse.
    """
    try:
        return getattr(response, _PARSED)
    except AttributeError:
        pass
    try:
        parsed = json.loads(response.content, parse_float=Decimal)
    except (ValueError, RecursionError):
        # Not JSON, not UTF-8, or nested deeper than the parser goes (a hostile answer).
        parsed = None
    setattr(response, _PARSED, parsed)
    return parsed


def expect_json(response: httpx.Response, kind: type | tuple[type, ...], what: str, provider: str = "") -> Any:
    """The JSON body of ``response`` when it is a ``kind`` (``dict``, ``list``), else an error.

    For parsers: an answer that cannot be read is never taken as an empty result.

    Raises:
        MalformedAnswer: the body is not JSON, or JSON of another shape.
    """
    body = read_json(response)
    if not isinstance(body, kind):
        raise unreadable_answer(response, what, provider)
    return body


def unreadable_answer(response: httpx.Response, what: str, provider: str = "") -> MalformedAnswer:
    """The error for an answer a parser cannot read: not retry-safe when it answered a create.

    The driver stamps the provider and operation, and turns it into ``AmbiguousOutcome``
    when the call that got this answer may have created a document.
    """
    kind = response.headers.get("Content-Type", "no content type")
    who = provider or "the provider"
    return MalformedAnswer(
        f"{who} answered something that is not {what} (HTTP {response.status_code}, {kind}, "
        f"{len(response.content)} bytes)",
        response=response,
    )
