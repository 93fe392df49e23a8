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
import logging
import re
import time
import urllib.parse
from types import TracebackType
from typing import Any, NoReturn, Self, TypeVar

import httpx
import tenacity

from .capabilities import Capabilities
from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    AccountingError,
    AmbiguousOutcome,
    ConnectorClosed,
    RateLimited,
    ServerError,
    Timeout,
    TransportError,
)
from .flow import Call, Effect, Flow, Sleep, adrive, drive
from .limits import parse_retry_after
from .model import Correction, DocumentKind, Invoice, Payment, PaymentType, Receipt, SentDocument, Series, VatRateInfo
from .notebook import Listing
from .provider import Provider
from .ratelimit import CredentialLimiter, Slot, shared_limiter

T = TypeVar("T")

logger = logging.getLogger("accounting_connectors")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""Connect 5 s, read/write/pool 30 s."""

_SECRET_QUERY = re.compile(r"(?i)([?&](?:api_?token|token|key|password|secret|apikey)=)[^&]*")

# Failures where the request certainly did not reach the provider.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


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
        limiter: CredentialLimiter | None,
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

    def _stamp(self, error: AccountingError, call: Call) -> AccountingError:
        error.provider = error.provider or self.provider.name
        error.operation = error.operation or call.operation
        error.message = self.redact(error.message)
        error.args = (error.message,)
        return error

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
        return {
            "stop": tenacity.stop_after_attempt(self.max_retries),
            "wait": self._wait,
            "retry": tenacity.retry_if_exception_type(_Retry),
            "reraise": True,
        }


def _forms(secret: str) -> tuple[str, ...]:
    # A provider may echo a credential as given, URL-encoded (a query or form body) or
    # base64-encoded (a Basic header it quotes back).
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
        limiter: CredentialLimiter | None = None,
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

    def _attribute(self, error: AccountingError, operation: str | None) -> None:
        # Errors a flow raises itself (local validation, texts built from a provider's
        # answer) name the provider and operation too, and are redacted like the rest.
        if error.provider is None:
            error.provider = self.provider.name
        if error.operation is None:
            error.operation = operation
        redacted = self._policy.redact(error.message)
        if redacted != error.message:
            error.message = redacted
            error.args = (redacted,)

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
        limiter: CredentialLimiter | None = None,
    ) -> None:
        super().__init__(provider, clock=clock, max_retries=max_retries, retry_cap=retry_cap, limiter=limiter)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout or DEFAULT_TIMEOUT)
        self._retrying = tenacity.Retrying(sleep=self._policy.clock.sleep, **self._policy.retrying_kwargs())

    def run(self, flow: Flow[T], operation: str | None = None) -> T:
        """Drive a provider flow to its result; ``operation`` names it on errors the flow raises."""
        try:
            return drive(flow, self._perform)
        except AccountingError as error:
            self._attribute(error, operation)
            raise

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
            response = self._http.send(call.request)
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
        limiter: CredentialLimiter | None = None,
    ) -> None:
        super().__init__(provider, clock=clock, max_retries=max_retries, retry_cap=retry_cap, limiter=limiter)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout or DEFAULT_TIMEOUT)

    async def run(self, flow: Flow[T], operation: str | None = None) -> T:
        """Drive a provider flow to its result; ``operation`` names it on errors the flow raises."""
        try:
            return await adrive(flow, self._perform)
        except AccountingError as error:
            self._attribute(error, operation)
            raise

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
            response = await self._http.send(call.request)
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
