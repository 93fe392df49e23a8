"""The base of every provider: sans-I/O operations plus what the drivers ask of it.

A provider builds requests, parses responses and maps errors; it never sends anything.
Operations are generators (see :mod:`accounting_connectors.flow`). An operation the
provider cannot do raises :class:`~accounting_connectors.errors.UnsupportedOperation`
as soon as it is called, so no request is ever made for it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import httpx

from .capabilities import Capabilities, Capability
from .errors import AccountingError, UnsupportedOperation, ValidationError
from .flow import Call, Flow
from .model import Correction, DocumentKind, Invoice, Payment, PaymentType, Receipt, SentDocument, Series, VatRateInfo
from .ratelimit import RateLimit, RateLimitState, parse_rate_limit_headers


class Provider:
    """Base class for a provider's sans-I/O connector.

    Subclasses set the class attributes, implement the operations they support and
    :meth:`error_for`.
    """

    name: ClassVar[str]
    """The registered name, e.g. ``"smartbill"``."""
    capabilities: ClassVar[Capabilities]
    """The provider's row of the capability matrix."""
    rate_limits: ClassVar[tuple[RateLimit, ...]] = ()
    """The provider's documented limits, enforced per credential by the drivers."""
    one_document_at_a_time: ClassVar[bool] = False
    """Creates share account-wide state (iFirma's accounting month): bulk export sends
    documents one after another instead of concurrently."""

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

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or error messages."""
        return ()

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map a response to an error, or ``None`` when it is a success.

        ``now`` is the wall-clock time, for turning "retry in N seconds" into ``retry_at``.
        """
        raise NotImplementedError

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
    except ValueError:
        parsed = None
    setattr(response, _PARSED, parsed)
    return parsed
