"""The two drivers: :class:`Client` (``httpx.Client``) and :class:`AsyncClient`.

They run provider flows and are the only code that sends, sleeps, rate-limits, retries
and logs. The policy, the same for every provider:

* Before each call, the credential's limiter says how long to wait (never a penalty).
* A connection that failed before the request was sent is retried, creates included.
* A 429 or the provider's "too many requests" answer is retried after its ``retry_at``
  when that is at most ``retry_cap`` seconds away; a longer block (SmartBill's 10-minute
  403) is raised as ``RateLimited`` and the credential is held until then.
* 5xx, timeouts and broken connections are retried on calls that do not create. On a
  create they raise ``AmbiguousOutcome`` (never a blind retry), unless the provider
  deduplicates the create natively.
* Every other error is thrown into the flow, which may handle it or let it out.

Everything decided here is in :class:`_Policy`, shared by both drivers, so the sync and
async clients differ only in how they await.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar

import attrs
import httpx

from .capabilities import Capabilities
from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    AccountingError,
    AmbiguousOutcome,
    ConnectorClosed,
    MalformedAnswer,
    RateLimited,
    ServerError,
    Timeout,
    TransportError,
    ValidationError,
)
from .flow import Call, Effect, Flow, Sleep, adrive, drive
from .limits import parse_retry_after
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
from .notebook import Listing
from .provider import Provider
from .ratelimit import CredentialLimiter, Limiter, Slot, shared_limiter

if TYPE_CHECKING:
    import tenacity

T = TypeVar("T")

logger = logging.getLogger("accounting_connectors")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""Connect 5 s, read/write/pool 30 s."""

_SECRET_QUERY = re.compile(r"(?i)([?&](?:api_?token|token|key|password|secret|apikey)=)[^&]*")

_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """The one SSL context every default HTTP client of this process verifies with.

    Built once (certifi's bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``, as httpx reads
    them) and shared: building one costs tens of milliseconds and most of a MiB, which a
    process with thousands of connectors would pay for each. SSL contexts are safe to
    share between clients and threads.
    """
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: no provider sets a cookie the SDK needs.

    httpx reads every response's ``Set-Cookie`` into its jar (tens of microseconds a
    call); the HTTP clients the connectors build skip that.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        """Keep no cookie."""


def _own_client(client: httpx.Client | httpx.AsyncClient) -> None:
    # httpx has no public way to hand a client a jar subclass (its setter copies the jar).
    if isinstance(getattr(client, "_cookies", None), httpx.Cookies):
        client._cookies = _NoCookies()


# Failures where the request certainly did not reach the provider.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


# What a provider's parser raises when an answer has a shape it did not expect (a key
# missing, a null, a list for an object, a bad number or date, nesting too deep).
_PARSE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError)


class _TooLarge(Exception):
    """Internal: the body grew past the provider's ``max_response_bytes``."""


class _Run:
    """What one operation's run has seen: its last answer and whether a create was answered."""

    __slots__ = ("create", "last", "wrote")

    def __init__(self) -> None:
        self.last: httpx.Response | None = None
        self.create: Call | None = None
        self.wrote = False

    def answered(self, effect: Effect, response: Any) -> None:
        if isinstance(effect, Call) and isinstance(response, httpx.Response):
            self.last = response
            self.wrote = self.wrote or effect.writes
            if effect.creates:
                self.create = effect


def _read_body(response: httpx.Response, limit: int) -> None:
    # The body is read here, capped, so a huge (or endlessly decompressing) answer never
    # fills memory; what was read becomes the response's content.
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    response._content = b"".join(chunks)


async def _aread_body(response: httpx.Response, limit: int) -> None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    response._content = b"".join(chunks)


class _Retry(Exception):
    """Internal: a failure the policy allows to retry; ``error`` is raised if retries run out."""

    def __init__(self, error: AccountingError, delay: float | None = None, *, unknown_create: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.delay = delay
        # A deduplicated create whose outcome is unknown: safe to retry, but if retries
        # run out, the caller must hear that it may exist (AmbiguousOutcome), not that
        # it failed.
        self.unknown_create = unknown_create


class _Policy:
    """Rate limiting, error classification, redaction and logging for one provider."""

    def __init__(
        self,
        provider: Provider,
        *,
        clock: Clock,
        max_retries: int,
        retry_cap: float,
        limiter: Limiter | None,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.max_retries = max_retries
        self.retry_cap = retry_cap
        self.limiter = limiter or shared_limiter(
            provider.name,
            provider.credential_fingerprint(),
            clock,
            lambda: CredentialLimiter(provider.rate_limits, clock),
        )

    def redact(self, text: str) -> str:
        """``text`` with every credential value and secret query parameter masked.

        The provider is asked for its secrets each time: some are only known later (a
        token fetched inside a flow).
        """
        for secret in self.provider.secrets():
            if secret:
                for form in _forms(secret):
                    text = text.replace(form, "***")
        return _SECRET_QUERY.sub(r"\1***", text)

    def scrub(self, error: AccountingError) -> AccountingError:
        """``error`` with every credential masked (:meth:`redact`).

        Its text, its field errors, and the library errors it wraps (``__cause__``, shown
        in tracebacks).
        """
        seen: set[int] = set()
        current: BaseException | None = error
        while isinstance(current, AccountingError) and id(current) not in seen:
            seen.add(id(current))
            redacted = self.redact(current.message)
            if redacted != current.message or current.args != (redacted,):
                current.message = redacted
                current.args = (redacted,)
            field_errors = getattr(current, "field_errors", None)
            if isinstance(field_errors, dict) and field_errors:
                current.field_errors = {  # type: ignore[attr-defined]
                    self.redact(str(field)): [self.redact(str(text)) for text in texts]
                    for field, texts in field_errors.items()
                }
            current = current.__cause__ or current.__context__
        return error

    def scrub_result(self, value: T) -> T:
        """A flow's result with every credential masked.

        A returned document's ``raw`` (the provider's answer, which the send-once ledger
        stores) and its text fields.
        """
        if not isinstance(value, SentDocument):
            return value
        raw = _redact_deep(value.raw, self.redact)
        texts = {"number": value.number, "series": value.series, "external_id": value.external_id, "url": value.url}
        changes: dict[str, Any] = {
            name: self.redact(text) for name, text in texts.items() if text is not None and self.redact(text) != text
        }
        if raw != value.raw:
            changes["raw"] = raw
        return attrs.evolve(value, **changes) if changes else value

    def _stamp(self, error: AccountingError, call: Call) -> AccountingError:
        error.provider = error.provider or self.provider.name
        error.operation = error.operation or call.operation
        return self.scrub(error)

    def before_send(self, call: Call) -> Slot:
        """The rate-limit slot of ``call``: send at ``slot.start`` (raises ``RateLimited`` while blocked)."""
        try:
            return self.limiter.reserve(creates=call.creates, writes=call.writes)
        except RateLimited as error:
            raise self._stamp(error, call) from None

    def transport_failure(self, exc: httpx.TransportError, call: Call) -> _Retry | AccountingError:
        """Classify a failure to get any response."""
        if isinstance(exc, _NOT_SENT):
            return _Retry(self._stamp(TransportError(f"could not connect: {exc}", retry_safe=True), call))
        error: AccountingError
        if isinstance(exc, httpx.TimeoutException):
            error = Timeout(f"no answer in time: {type(exc).__name__}")
        else:
            error = TransportError(f"the connection failed: {type(exc).__name__}: {exc}")
        return self._maybe_ambiguous(self._stamp(error, call), call)

    def _maybe_ambiguous(self, error: AccountingError, call: Call) -> _Retry | AccountingError:
        if call.creates and not call.deduplicated:
            return self.ambiguous(error, call)
        error.retry_safe = True
        return _Retry(error, unknown_create=call.creates)

    def unreadable_body(self, exc: Exception, response: httpx.Response, call: Call) -> AccountingError:
        """An answer whose body could not be read (a bad ``Content-Encoding``, too large)."""
        if isinstance(exc, _TooLarge):
            what = f"an answer longer than {self.provider.max_response_bytes} bytes"
        else:
            what = f"an answer that could not be decoded ({type(exc).__name__}: {exc})"
        error = MalformedAnswer(
            f"{self.provider.display_name} sent {what} (HTTP {response.status_code})", response=response
        )
        self._stamp(error, call)
        if call.writes:
            error.retry_safe = False  # the write may have taken effect
        return self.ambiguous(error, call) if call.creates else error

    def unexpected(self, exc: BaseException | AccountingError, run: _Run, operation: str | None) -> AccountingError:
        """The error for an answer the provider's parser could not read (``exc`` escaped it).

        After a create was answered, the document may exist: ``AmbiguousOutcome``.
        """
        if isinstance(exc, AccountingError):
            error = exc
        else:
            error = MalformedAnswer(
                f"{self.provider.display_name} answered something its connector cannot read "
                f"({type(exc).__name__}: {exc})",
                response=run.last,
            )
            error.__cause__ = exc
        error.provider = error.provider or self.provider.name
        error.operation = error.operation or operation
        if run.create is not None:
            return self.ambiguous(error, run.create)
        return error

    def closed(self, call: Call) -> ConnectorClosed:
        """The error for a call on a connector whose HTTP client is closed."""
        return ConnectorClosed(
            f"{call.operation}: this {self.provider.name} connector is closed (used after its `with` block); "
            "open a new one with connect()",
            provider=self.provider.name,
            operation=call.operation,
        )

    def ambiguous(self, error: AccountingError, call: Call) -> AmbiguousOutcome:
        """The error for a create that may or may not have taken effect."""
        again = "sending it again is safe: it deduplicates" if call.deduplicated else "it was not sent again"
        ambiguous = AmbiguousOutcome(
            f"{call.operation}: the request may have reached {self.provider.name} and "
            f"created the document ({error.message}); {again}. Check "
            f"{self.provider.name} before sending it again.",
            provider=self.provider.name,
            operation=call.operation,
            response=error.response,
            retry_safe=call.deduplicated,
        )
        ambiguous.__cause__ = error
        return ambiguous

    def exhausted(self, failure: _Retry, call: Call) -> AccountingError:
        """The error to raise when retries run out."""
        return self.ambiguous(failure.error, call) if failure.unknown_create else failure.error

    def after_response(self, response: httpx.Response, call: Call) -> _Retry | AccountingError | None:
        """Update the limiter and classify the response: success, retry, or an error."""
        state = self.provider.rate_limit_state(response)
        if state is not None:
            self.limiter.observe(state, creates=call.creates, writes=call.writes)
        if not call.check:
            return None
        error = self.provider.error_for(response, call, self.clock.time())
        if error is None:
            return None
        if error.response is None:
            error.response = response
        self._stamp(error, call)
        if isinstance(error, RateLimited):
            if error.retry_at is None:
                error.retry_at = self._retry_at(response)
            wait = None if error.retry_at is None else error.retry_at - self.clock.time()
            if wait is not None and wait <= self.retry_cap:
                return _Retry(error, delay=max(wait, 0.0))
            if error.retry_at is not None:
                self.limiter.block_until(error.retry_at)
            return error
        if isinstance(error, ServerError):
            return self._maybe_ambiguous(error, call)
        return error

    def _retry_at(self, response: httpx.Response) -> float | None:
        # Retry-After is read here once for every provider, in both of its forms.
        now = self.clock.time()
        retry_at = parse_retry_after(response.headers.get("Retry-After"), now)
        if retry_at is None and self.provider.retry_after_default is not None:
            retry_at = now + self.provider.retry_after_default
        return retry_at

    def log(self, call: Call, response: httpx.Response | None, started: float) -> None:
        """One DEBUG line per call, credentials redacted."""
        if logger.isEnabledFor(logging.DEBUG):
            status = response.status_code if response is not None else "no response"
            logger.debug(
                "%s %s %s -> %s in %.1f ms",
                self.provider.name,
                call.request.method,
                self.redact(str(call.request.url)),
                status,
                (time.perf_counter() - started) * 1000,
            )

    @staticmethod
    def backoff(failure: _Retry, failed_attempts: int) -> float:
        """Seconds before the next attempt: the provider's retry time, else exponential."""
        if failure.delay is not None:
            return failure.delay
        return float(min(0.5 * 2 ** (failed_attempts - 1), 8.0))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        assert state.outcome is not None
        failure = state.outcome.exception()
        assert isinstance(failure, _Retry)
        # tenacity counts from the second attempt: the first ran before it took over.
        return self.backoff(failure, state.attempt_number + 1)

    def retrying_kwargs(self) -> dict[str, Any]:
        """The retry loop after a first failed attempt (tenacity's arguments)."""
        import tenacity  # imported on the first connector, not with the package

        return {
            "stop": tenacity.stop_after_attempt(self.max_retries),
            "wait": self._wait,
            "retry": tenacity.retry_if_exception_type(_Retry),
            "reraise": True,
        }


@functools.lru_cache(maxsize=4096)
def _forms(secret: str) -> tuple[str, ...]:
    # A provider may echo a credential as given, URL-encoded (a query or form body) or
    # base64-encoded (a Basic header it quotes back). Cached: redaction runs on every
    # string of every answer kept, and the forms of one credential never change.
    encoded = base64.b64encode(secret.encode()).decode()
    return tuple(
        {
            secret,
            urllib.parse.quote(secret),
            urllib.parse.quote(secret, safe=""),
            urllib.parse.quote_plus(secret),
            encoded,
            encoded.rstrip("="),
        }
    )


def _redact_deep(value: Any, redact: Callable[[str], str]) -> Any:
    # Strings anywhere in a JSON-like value (the provider's answer kept in raw), keys too.
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(key) if isinstance(key, str) else key: _redact_deep(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_deep(item, redact) for item in value]
    return value


def _raise(error: AccountingError | _Retry) -> NoReturn:
    raise error


class _ConnectorBase:
    """What the two drivers share: construction, the provider and its capabilities."""

    def __init__(
        self,
        provider: Provider,
        *,
        clock: Clock | None = None,
        max_retries: int = 3,
        retry_cap: float = 60.0,
        limiter: Limiter | None = None,
    ) -> None:
        self.provider = provider
        self._policy = _Policy(
            provider, clock=clock or SYSTEM_CLOCK, max_retries=max_retries, retry_cap=retry_cap, limiter=limiter
        )

    @property
    def name(self) -> str:
        """The provider's registered name, e.g. ``"smartbill"``."""
        return self.provider.name

    @property
    def capabilities(self) -> Capabilities:
        """This provider's row of the capability matrix."""
        return self.provider.capabilities

    @property
    def one_document_at_a_time(self) -> bool:
        """Whether the provider's creates share account-wide state (bulk export goes one by one)."""
        return self.provider.one_document_at_a_time

    def account(self) -> str:
        """The issuing company documents go to, for the send-once ledger (never a credential)."""
        return self.provider.account()

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where a person should look to tell whether an ambiguous create took effect."""
        return self.provider.reconcile_hint(kind, reference)

    @property
    def settles_ambiguous(self) -> str | None:
        """How the provider settles an ambiguous create (:attr:`Provider.settles_ambiguous`)."""
        return self.provider.settles_ambiguous

    @property
    def in_flight_window(self) -> float:
        """Seconds a create may still be travelling once sent.

        The HTTP timeout's phases added up (an unset phase counts 300 s), plus the
        provider's :attr:`~accounting_connectors.provider.Provider.in_flight_margin`.
        """
        timeout = getattr(getattr(self, "_http", None), "timeout", None)
        phases = [getattr(timeout, name, None) for name in ("connect", "write", "read", "pool")]
        total = sum(300.0 if phase is None else float(phase) for phase in phases)
        return total + self.provider.in_flight_margin

    def _attribute(self, error: AccountingError, operation: str | None) -> None:
        # Errors a flow raises itself (local validation, texts built from a provider's
        # answer) name the provider and operation too, and are redacted like the rest.
        if error.provider is None:
            error.provider = self.provider.name
        if error.operation is None:
            error.operation = operation
        self._policy.scrub(error)

    def _settled(self, error: AccountingError, run: _Run, operation: str | None) -> AccountingError:
        # An answer the flow could not read after a create was answered (a local
        # ValidationError from parsing it, or a MalformedAnswer) leaves the document
        # possibly created: never a retry-safe failure.
        if isinstance(error, (ValidationError, MalformedAnswer)):
            if run.create is not None:
                error = self._policy.unexpected(error, run, operation)
            elif run.wrote:
                error.retry_safe = False  # a write was answered: it may have taken effect
        self._attribute(error, operation)
        return error

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider.name!r})"


class Client(_ConnectorBase):
    """A synchronous connector: runs a provider's flows over ``httpx.Client``.

    Use :func:`accounting_connectors.connect` to build one. It is a context manager and
    closes its HTTP client on exit (unless the HTTP client was passed in).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        max_retries: int = 3,
        retry_cap: float = 60.0,
        limiter: Limiter | None = None,
    ) -> None:
        super().__init__(provider, clock=clock, max_retries=max_retries, retry_cap=retry_cap, limiter=limiter)
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.Client(
                transport=transport, timeout=timeout or DEFAULT_TIMEOUT, verify=default_ssl_context()
            )
            _own_client(http_client)
        self._http = http_client
        import tenacity

        self._retrying = tenacity.Retrying(sleep=self._policy.clock.sleep, **self._policy.retrying_kwargs())

    def run(self, flow: Flow[T], operation: str | None = None) -> T:
        """Drive a provider flow to its result; ``operation`` names it on errors the flow raises."""
        run = _Run()

        def perform(effect: Effect) -> httpx.Response | None:
            response = self._perform(effect)
            run.answered(effect, response)
            return response

        try:
            return self._policy.scrub_result(drive(flow, perform))
        except AccountingError as error:
            settled = self._settled(error, run, operation)
            if settled is error:
                raise
            raise settled from error
        except _PARSE_ERRORS as exc:
            if run.last is None:
                raise  # no answer was read: a fault of the caller or the connector
            settled = self._settled(self._policy.unexpected(exc, run, operation), run, operation)
            raise settled from settled.__cause__

    def _perform(self, effect: Effect) -> httpx.Response | None:
        if isinstance(effect, Sleep):
            self._policy.clock.sleep(effect.seconds)
            return None
        return self._call(effect)

    def _call(self, call: Call) -> httpx.Response:
        if self._http.is_closed:
            raise self._policy.closed(call)
        # The first attempt runs outside tenacity: almost every call succeeds at once,
        # and this keeps the retry machinery off the common path.
        try:
            return self._attempt(call)
        except _Retry as failure:
            if self._policy.max_retries < 1:
                raise self._policy.exhausted(failure, call) from None
            self._policy.clock.sleep(self._policy.backoff(failure, 1))
        try:
            return self._retrying(self._attempt, call)
        except _Retry as exhausted:
            raise self._policy.exhausted(exhausted, call) from None

    def _attempt(self, call: Call) -> httpx.Response:
        policy = self._policy
        slot = policy.before_send(call)
        policy.clock.sleep_until(slot.start)
        policy.limiter.sent(slot)
        started = time.perf_counter()
        try:
            response = self._http.send(call.request, stream=True)
            try:
                _read_body(response, self.provider.max_response_bytes)
            except (httpx.DecodingError, _TooLarge) as exc:
                policy.log(call, response, started)
                _raise(policy.unreadable_body(exc, response, call))
            finally:
                response.close()
        except httpx.TransportError as exc:
            policy.log(call, None, started)
            _raise(policy.transport_failure(exc, call))
        finally:
            policy.limiter.release(slot)
        policy.log(call, response, started)
        verdict = policy.after_response(response, call)
        if verdict is not None:
            _raise(verdict)
        return response

    def close(self) -> None:
        """Close the HTTP client if this connector created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # The public operations: one line each, the logic lives in the provider's flows.

    def send_invoice(self, invoice: Invoice) -> SentDocument:
        """Issue ``invoice``; see :meth:`Provider.send_invoice`."""
        return self.run(self.provider.send_invoice(invoice), "send_invoice")

    def send_receipt(self, receipt: Receipt) -> SentDocument:
        """Issue ``receipt``."""
        return self.run(self.provider.send_receipt(receipt), "send_receipt")

    def send_correction(self, correction: Correction) -> SentDocument:
        """Issue ``correction`` of an invoice sent before."""
        return self.run(self.provider.send_correction(correction), "send_correction")

    def fetch_pdf(self, document: SentDocument) -> bytes:
        """The PDF bytes of an issued document (they start with ``%PDF``)."""
        return self.run(self.provider.fetch_pdf(document), "fetch_pdf")

    def list_series(self) -> list[Series]:
        """The numbering series configured at the provider."""
        return Listing(self.run(self.provider.list_series(), "list_series"))

    def list_payment_types(self) -> list[PaymentType]:
        """The payment types the provider accepts."""
        return Listing(self.run(self.provider.list_payment_types(), "list_payment_types"))

    def list_vat_rates(self) -> list[VatRateInfo]:
        """The VAT rates configured at the provider."""
        return Listing(self.run(self.provider.list_vat_rates(), "list_vat_rates"))

    def record_payment(self, document: SentDocument, payment: Payment) -> SentDocument:
        """Record ``payment`` against an issued invoice."""
        return self.run(self.provider.record_payment(document, payment), "record_payment")

    def find_document(self, kind: DocumentKind, reference: str) -> SentDocument | None:
        """The document issued for ``reference``, or ``None`` (``LOOKUP_BY_REFERENCE``)."""
        return self.run(self.provider.find_document(kind, reference), "find_document")

    def settle(
        self, kind: DocumentKind, reference: str, data: Mapping[str, str], document: Any = None
    ) -> SentDocument | None:
        """Settle an ambiguous create (:meth:`Provider.settle`)."""
        return self.run(self.provider.settle(kind, reference, data, document), "settle")

    def einvoice_status(self, document: SentDocument) -> EInvoiceStatus:
        """Where ``document`` stands in KSeF or RO e-Factura (``EINVOICE``)."""
        return self.run(self.provider.einvoice_status(document), "einvoice_status")

    def send_einvoice(self, document: SentDocument) -> EInvoiceStatus:
        """Submit ``document`` to KSeF or RO e-Factura, only when its status allows it."""
        return self.run(self.provider.send_einvoice(document), "send_einvoice")


class AsyncClient(_ConnectorBase):
    """The asynchronous twin of :class:`Client`, over ``httpx.AsyncClient``.

    Use :func:`accounting_connectors.connect_async`; ``async with`` closes it.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        max_retries: int = 3,
        retry_cap: float = 60.0,
        limiter: Limiter | None = None,
    ) -> None:
        super().__init__(provider, clock=clock, max_retries=max_retries, retry_cap=retry_cap, limiter=limiter)
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(
                transport=transport, timeout=timeout or DEFAULT_TIMEOUT, verify=default_ssl_context()
            )
            _own_client(http_client)
        self._http = http_client

    async def run(self, flow: Flow[T], operation: str | None = None) -> T:
        """Drive a provider flow to its result; ``operation`` names it on errors the flow raises."""
        run = _Run()

        async def perform(effect: Effect) -> httpx.Response | None:
            response = await self._perform(effect)
            run.answered(effect, response)
            return response

        try:
            return self._policy.scrub_result(await adrive(flow, perform))
        except AccountingError as error:
            settled = self._settled(error, run, operation)
            if settled is error:
                raise
            raise settled from error
        except _PARSE_ERRORS as exc:
            if run.last is None:
                raise  # no answer was read: a fault of the caller or the connector
            settled = self._settled(self._policy.unexpected(exc, run, operation), run, operation)
            raise settled from settled.__cause__

    async def _perform(self, effect: Effect) -> httpx.Response | None:
        if isinstance(effect, Sleep):
            await self._policy.clock.asleep(effect.seconds)
            return None
        return await self._call(effect)

    async def _call(self, call: Call) -> httpx.Response:
        if self._http.is_closed:
            raise self._policy.closed(call)
        try:
            return await self._attempt(call)
        except _Retry as failure:
            if self._policy.max_retries < 1:
                raise self._policy.exhausted(failure, call) from None
            await self._policy.clock.asleep(self._policy.backoff(failure, 1))
        # A fresh AsyncRetrying per call: its state is per thread, and many tasks share one.
        import tenacity

        retrying = tenacity.AsyncRetrying(sleep=self._policy.clock.asleep, **self._policy.retrying_kwargs())
        try:
            return await retrying(self._attempt, call)
        except _Retry as exhausted:
            raise self._policy.exhausted(exhausted, call) from None

    async def _attempt(self, call: Call) -> httpx.Response:
        policy = self._policy
        slot = policy.before_send(call)
        await policy.clock.asleep_until(slot.start)
        policy.limiter.sent(slot)
        started = time.perf_counter()
        try:
            response = await self._http.send(call.request, stream=True)
            try:
                await _aread_body(response, self.provider.max_response_bytes)
            except (httpx.DecodingError, _TooLarge) as exc:
                policy.log(call, response, started)
                _raise(policy.unreadable_body(exc, response, call))
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            policy.log(call, None, started)
            _raise(policy.transport_failure(exc, call))
        finally:
            policy.limiter.release(slot)
        policy.log(call, response, started)
        verdict = policy.after_response(response, call)
        if verdict is not None:
            _raise(verdict)
        return response

    async def aclose(self) -> None:
        """Close the HTTP client if this connector created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def send_invoice(self, invoice: Invoice) -> SentDocument:
        """Issue ``invoice``; see :meth:`Provider.send_invoice`."""
        return await self.run(self.provider.send_invoice(invoice), "send_invoice")

    async def send_receipt(self, receipt: Receipt) -> SentDocument:
        """Issue ``receipt``."""
        return await self.run(self.provider.send_receipt(receipt), "send_receipt")

    async def send_correction(self, correction: Correction) -> SentDocument:
        """Issue ``correction`` of an invoice sent before."""
        return await self.run(self.provider.send_correction(correction), "send_correction")

    async def fetch_pdf(self, document: SentDocument) -> bytes:
        """The PDF bytes of an issued document (they start with ``%PDF``)."""
        return await self.run(self.provider.fetch_pdf(document), "fetch_pdf")

    async def list_series(self) -> list[Series]:
        """The numbering series configured at the provider."""
        return Listing(await self.run(self.provider.list_series(), "list_series"))

    async def list_payment_types(self) -> list[PaymentType]:
        """The payment types the provider accepts."""
        return Listing(await self.run(self.provider.list_payment_types(), "list_payment_types"))

    async def list_vat_rates(self) -> list[VatRateInfo]:
        """The VAT rates configured at the provider."""
        return Listing(await self.run(self.provider.list_vat_rates(), "list_vat_rates"))

    async def record_payment(self, document: SentDocument, payment: Payment) -> SentDocument:
        """Record ``payment`` against an issued invoice."""
        return await self.run(self.provider.record_payment(document, payment), "record_payment")

    async def find_document(self, kind: DocumentKind, reference: str) -> SentDocument | None:
        """The document issued for ``reference``, or ``None`` (``LOOKUP_BY_REFERENCE``)."""
        return await self.run(self.provider.find_document(kind, reference), "find_document")

    async def settle(
        self, kind: DocumentKind, reference: str, data: Mapping[str, str], document: Any = None
    ) -> SentDocument | None:
        """Settle an ambiguous create (:meth:`Provider.settle`)."""
        return await self.run(self.provider.settle(kind, reference, data, document), "settle")

    async def einvoice_status(self, document: SentDocument) -> EInvoiceStatus:
        """Where ``document`` stands in KSeF or RO e-Factura (``EINVOICE``)."""
        return await self.run(self.provider.einvoice_status(document), "einvoice_status")

    async def send_einvoice(self, document: SentDocument) -> EInvoiceStatus:
        """Submit ``document`` to KSeF or RO e-Factura, only when its status allows it."""
        return await self.run(self.provider.send_einvoice(document), "send_einvoice")
