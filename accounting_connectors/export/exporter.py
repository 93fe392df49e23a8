"""The export workflow an order system runs: settings applied, each document sent once.

Both exporters share one sans-I/O flow (:class:`_ExportCore`): it yields
:class:`Operation` values ("call ``send_invoice`` with this document") and the sync or
async exporter performs them on its connector. The ledger is consulted before every
create and updated after it, so a reference is sent at most once, across restarts and
processes; an ambiguous outcome is reconciled where the provider allows it and held as
``UNCERTAIN`` where it does not.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterable, Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import attrs

from ..capabilities import Capability
from ..connector import AsyncConnector, Connector, ConnectorInfo
from ..errors import AccountingError, AmbiguousOutcome, ConfigurationError, ReferenceConflict, ValidationError
from ..flow import adrive, drive
from ..model import Correction, DocumentKind, Invoice, Payment, Receipt, SentDocument
from .ledger import Ledger, LedgerEntry, LedgerKey, LedgerState, Verdict, fingerprint
from .report import ExportReport, ExportResult, ExportStatus
from .settings import IntegrationSettings, Numbering, PaymentFallback, SeriesRule

Document = Invoice | Receipt | Correction
"""What can be exported."""

Progress = Callable[[int, "int | None", str], None]
"""``progress(done, total, reference)``; ``total`` is ``None`` for a stream of unknown length."""

_KIND = {Invoice: DocumentKind.INVOICE, Receipt: DocumentKind.RECEIPT, Correction: DocumentKind.CORRECTION}

# (owner, key) pairs being exported by this process right now. A PENDING ledger entry of
# this process that is not here was left by an export that died (a simulated or caught
# crash), which is handled like a crash of another process.
_in_flight: set[tuple[str, LedgerKey]] = set()
_in_flight_lock = threading.Lock()


@attrs.frozen
class Operation:
    """A connector call the export flow asks for.

    ``run`` takes the connector and makes the call: with a :class:`Connector` it returns
    the result, with an :class:`AsyncConnector` a coroutine of it. ``name`` is the
    operation's name, for logs and tests.
    """

    name: str
    run: Callable[[Any], Any] = attrs.field(eq=False, repr=False)


def _send(document: Document) -> Operation:
    if isinstance(document, Invoice):
        return Operation("send_invoice", lambda connector: connector.send_invoice(document))
    if isinstance(document, Receipt):
        return Operation("send_receipt", lambda connector: connector.send_receipt(document))
    return Operation("send_correction", lambda connector: connector.send_correction(document))


ExportFlow = Generator[Operation, Any, ExportResult]


@contextmanager
def _exporting(owner: str, key: LedgerKey) -> Iterator[None]:
    with _in_flight_lock:
        _in_flight.add((owner, key))
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight.discard((owner, key))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _ExportCore:
    """Settings, ledger bookkeeping and reconciliation, shared by both exporters."""

    def __init__(
        self,
        connector: ConnectorInfo,
        settings: IntegrationSettings,
        ledger: Ledger,
        *,
        lease_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._info = connector
        self.settings = settings
        self.ledger = ledger
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._host = socket.gethostname()
        self.owner = f"{self._host}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._checked = False
        self._payment_types: frozenset[str] = frozenset()
        self._check_capabilities()

    # Settings checked against what the provider can do.

    def _check_capabilities(self) -> None:
        capabilities = self._info.capabilities
        name = self._info.name
        settings = self.settings
        if settings.numbering is Numbering.EXTERNAL and not capabilities.supports(Capability.EXTERNAL_NUMBERING):
            raise ConfigurationError(
                f"{name} cannot take your own document numbers ({capabilities[Capability.EXTERNAL_NUMBERING]}): "
                "use Numbering.PROVIDER",
                provider=name,
            )
        if settings.transfer_sku and not capabilities.supports(Capability.SKU_STOCK):
            raise ConfigurationError(
                f"{name} cannot transfer SKUs to stock ({capabilities[Capability.SKU_STOCK]}): set transfer_sku=False",
                provider=name,
            )
        if settings.use_provider_document and not (
            capabilities.supports(Capability.FETCH_PDF) or capabilities.supports(Capability.DOCUMENT_LINK)
        ):
            raise ConfigurationError(
                f"{name} offers neither a PDF nor a link to its documents: set use_provider_document=False",
                provider=name,
            )

    def check_flow(self) -> Generator[Operation, Any, None]:
        """Check the series and payment-type mappings against the provider's own lists."""
        capabilities = self._info.capabilities
        name = self._info.name
        settings = self.settings
        mapped_series = {local: target for local, target in settings.series.items() if isinstance(target, str)}
        if mapped_series and capabilities.supports(Capability.LIST_SERIES):
            known = {
                series.name for series in (yield Operation("list_series", lambda connector: connector.list_series()))
            }
            for local, target in mapped_series.items():
                if target not in known:
                    raise ConfigurationError(
                        f"series[{local!r}] maps to {target!r}, which {name} does not have "
                        f"(it has: {', '.join(sorted(known)) or 'none'})",
                        provider=name,
                    )
        if capabilities.supports(Capability.LIST_PAYMENT_TYPES):
            types = frozenset(
                payment.name
                for payment in (yield Operation("list_payment_types", lambda connector: connector.list_payment_types()))
            )
            targets = dict(settings.payment_types)
            if isinstance(settings.unmapped_payment, str):
                targets["(unmapped_payment)"] = settings.unmapped_payment
            for local, target in targets.items():
                if target not in types:
                    raise ConfigurationError(
                        f"payment_types[{local!r}] maps to {target!r}, which is not a {name} payment type "
                        f"(use one of: {', '.join(sorted(types))})",
                        provider=name,
                    )
            self._payment_types = types
        self._checked = True

    # Documents as the settings say to send them.

    def prepare(self, document: Document) -> Document | None:
        """``document`` with the settings applied, or ``None`` when it is not to be sent.

        Raises:
            ValidationError: the settings leave the document unsendable (an unmapped
                payment method, a line without SKU when SKUs are transferred).
        """
        if isinstance(document, Correction):
            return document
        series = document.series
        if series is not None:
            target = self.settings.series.get(series, self.settings.unmapped_series)
            if target is SeriesRule.DO_NOT_SEND:
                return None
            series = None if target is SeriesRule.PROVIDER_DEFAULT else target
        external = self.settings.numbering is Numbering.EXTERNAL
        if isinstance(document, Receipt):
            method = self.settings.payment_types.get(document.payment_method, document.payment_method)
            return attrs.evolve(
                document, series=series, number=document.number if external else None, payment_method=method
            )
        transfer = self.settings.transfer_sku
        return attrs.evolve(
            document,
            series=series,
            number=document.number if external else None,
            payment=None if document.payment is None else self._payment(document.payment),
            use_stock=transfer,
            warehouse=(self.settings.warehouse or document.warehouse) if transfer else None,
        )

    def _payment(self, payment: Payment) -> Payment:
        method = self.settings.payment_types.get(payment.method)
        if method is None and payment.method in self._payment_types:
            method = payment.method  # already the provider's own name
        if method is None:
            fallback = self.settings.unmapped_payment
            if fallback is PaymentFallback.FAIL:
                raise ValidationError(
                    "payment.method",
                    f"no {self._info.name} payment type is mapped for {payment.method!r}: "
                    "add it to payment_types or set unmapped_payment",
                )
            method = fallback
        return attrs.evolve(
            payment, method=method, paid_on=payment.paid_on if self.settings.send_payment_date else None
        )

    # The send-once flow.

    def key(self, reference: str) -> LedgerKey:
        """The ledger key of ``reference`` at this connector's provider and account."""
        return LedgerKey(self._info.name, self._info.account(), reference)

    def is_stale(self, entry: LedgerEntry) -> bool:
        """Whether a PENDING entry's exporter is gone: crashed, or silent past the lease."""
        host, _, rest = entry.owner.partition(":")
        pid_text, _, _ = rest.partition(":")
        if self._clock() - entry.updated_at > self.lease_seconds:
            return True
        if host != self._host or not pid_text.isdigit():
            return False  # another machine: only the lease can tell
        pid = int(pid_text)
        if pid == os.getpid():
            with _in_flight_lock:
                return (entry.owner, entry.key) not in _in_flight
        return not _process_alive(pid)

    def export_flow(self, document: Document) -> ExportFlow:
        """Export one document: the flow both exporters run."""
        if not self._checked:
            yield from self.check_flow()
        reference = document.reference
        try:
            prepared = self.prepare(document)
        except ValidationError as error:
            error.provider, error.operation = self._info.name, "export"
            return ExportResult(reference=reference, status=ExportStatus.FAILED, error=error, message=str(error))
        if prepared is None:
            return ExportResult(reference=reference, status=ExportStatus.SKIPPED, message="its series is not sent")
        key = self.key(reference)
        with _exporting(self.owner, key):
            decision = self.ledger.begin(key, fingerprint(document), self.owner, self.is_stale)
            previous = decision.previous
            verdict = decision.verdict
            if verdict is Verdict.DONE:
                assert previous is not None
                result = ExportResult(reference=reference, status=ExportStatus.ALREADY_SENT, document=previous.document)
            elif verdict is Verdict.HELD:
                assert previous is not None
                return ExportResult(reference=reference, status=ExportStatus.UNCERTAIN, message=previous.message)
            elif verdict is Verdict.BUSY and previous is not None and previous.owner == self.owner:
                return ExportResult(
                    reference=reference,
                    status=ExportStatus.DUPLICATE,
                    message=f"{reference!r} appears twice in this batch; the copy already in flight is the one sent",
                )
            elif verdict is Verdict.BUSY:
                return ExportResult(
                    reference=reference,
                    status=ExportStatus.IN_PROGRESS,
                    message="another exporter is sending this reference now",
                )
            elif verdict is Verdict.CONFLICT:
                assert previous is not None
                conflict = ReferenceConflict(
                    f"{reference!r} was already exported with different content ({previous.state.value}); it is "
                    "not sent again. Change the issued document in the accounting system or send a correction.",
                    provider=self._info.name,
                    operation="export",
                )
                return ExportResult(
                    reference=reference, status=ExportStatus.FAILED, error=conflict, message=str(conflict)
                )
            elif verdict is Verdict.RECONCILE:
                result = yield from self._reconcile(key, prepared, "an earlier export stopped before its outcome")
            else:
                result = yield from self._send(key, prepared)
        if result.document is not None and self.settings.use_provider_document:
            result = yield from self._attach_provider_document(result)
        return result

    def _send(self, key: LedgerKey, prepared: Document, *, again: bool = False) -> ExportFlow:
        try:
            sent = yield _send(prepared)
        except AmbiguousOutcome as error:
            if again:
                return self._hold(key, prepared, error.message)
            return (yield from self._reconcile(key, prepared, error.message))
        except AccountingError as error:
            if not error.retry_safe:
                # An error that does not vouch that nothing was created (an unexpected answer
                # to the create) is held like an ambiguous one: a failure would be resent.
                return self._hold(key, prepared, error.message)
            self.ledger.fail(key, self.owner, str(error))
            return ExportResult(reference=key.reference, status=ExportStatus.FAILED, error=error, message=str(error))
        return self._completed(key, sent)

    def _completed(self, key: LedgerKey, document: SentDocument) -> ExportResult:
        if self.ledger.complete(key, self.owner, document) is LedgerState.UNCERTAIN:
            # Another document was recorded for this reference already: both exist.
            entry = self.ledger.get(key)
            message = entry.message if entry is not None else "two documents may exist for this reference"
            return ExportResult(
                reference=key.reference, status=ExportStatus.UNCERTAIN, document=document, message=message
            )
        return ExportResult(reference=key.reference, status=ExportStatus.SENT, document=document)

    def _reconcile(self, key: LedgerKey, prepared: Document, cause: str) -> ExportFlow:
        capabilities = self._info.capabilities
        if capabilities.supports(Capability.NATIVE_IDEMPOTENCY):
            # The provider deduplicates by the reference: sending again cannot issue twice.
            return (yield from self._send(key, prepared, again=True))
        if capabilities.supports(Capability.LOOKUP_BY_REFERENCE):
            try:
                kind = _KIND[type(prepared)]
                found = yield Operation("find_document", lambda connector: connector.find_document(kind, key.reference))
            except AccountingError as error:
                return self._hold(key, prepared, f"{cause}; looking it up failed too: {error}")
            if found is not None:
                return self._completed(key, found)
            return (yield from self._send(key, prepared, again=True))
        return self._hold(key, prepared, cause)

    def _hold(self, key: LedgerKey, prepared: Document, cause: str) -> ExportResult:
        name = self._info.name
        hint = self._info.reconcile_hint(_KIND[type(prepared)], key.reference)
        message = (
            f"{name} may or may not have issued {key.reference!r} ({cause}). It will not be sent again "
            f"automatically. Check {name}{': ' + hint if hint else ''}; then call "
            f"exporter.resolve({key.reference!r}, document) if it was issued, or "
            f"exporter.resolve({key.reference!r}, None) to let it be sent again."
        )
        self.ledger.hold(key, self.owner, message)
        return ExportResult(reference=key.reference, status=ExportStatus.UNCERTAIN, message=message)

    def _attach_provider_document(self, result: ExportResult) -> ExportFlow:
        document = result.document
        assert document is not None
        pdf: bytes | None = None
        problem: AccountingError | None = None
        if self._info.capabilities.supports(Capability.FETCH_PDF):
            try:
                pdf = yield Operation("fetch_pdf", lambda connector: connector.fetch_pdf(document))
            except AccountingError as error:
                problem = error  # the document is issued all the same; say why there is no PDF
        return attrs.evolve(result, pdf=pdf, url=document.url, document_error=problem)

    def _workers(self) -> int:
        # One at a time when stopping after a failure (none may be sent after it) or when
        # the provider's creates share account-wide state.
        if self.settings.stop_after_failure or self._info.one_document_at_a_time:
            return 1
        return self.settings.max_concurrency

    def resolve(self, reference: str, document: SentDocument | None) -> None:
        """Settle an uncertain reference after checking the provider by hand."""
        self.ledger.resolve(self.key(reference), document)


def _not_attempted(document: Document) -> ExportResult:
    return ExportResult(
        reference=document.reference, status=ExportStatus.NOT_ATTEMPTED, message="stopped after an earlier failure"
    )


def _length(documents: object) -> int | None:
    try:
        return len(documents)  # type: ignore[arg-type]
    except TypeError:
        return None


class _Tally:
    """Adds results to a report and calls the user's callbacks; says when to stop."""

    def __init__(
        self, total: int | None, progress: Progress | None, on_result: Callable[[ExportResult], None] | None, stop: bool
    ) -> None:
        self.report = ExportReport()
        self.total = total
        self.progress = progress
        self.on_result = on_result
        self.stop_on_failure = stop
        self.stopped = False

    def add(self, result: ExportResult) -> None:
        self.report.add(result)
        # An uncertain document is a failure to confirm: stop there too.
        if result.status in (ExportStatus.FAILED, ExportStatus.UNCERTAIN) and self.stop_on_failure:
            self.stopped = True
        if self.on_result is not None:
            self.on_result(result)
        if self.progress is not None and result.status is not ExportStatus.NOT_ATTEMPTED:
            self.progress(self.report.done, self.total, result.reference)


class Exporter(_ExportCore):
    """Exports documents through a synchronous connector, each at most once.

    Args:
        connector: from :func:`accounting_connectors.connect`.
        settings: the integration settings; checked against the provider's
            capabilities now (``ConfigurationError``) and against its series and
            payment types before the first export.
        ledger: where intents and outcomes are recorded, e.g. ``SQLiteLedger("exports.db")``.
        lease_seconds: after this long without an outcome, an intent recorded by another
            live process is presumed dead (its export is reconciled or held).
    """

    def __init__(
        self,
        connector: Connector,
        settings: IntegrationSettings,
        ledger: Ledger,
        *,
        lease_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(connector, settings, ledger, lease_seconds=lease_seconds, clock=clock)
        self.connector = connector

    def _perform(self, operation: Operation) -> Any:
        return operation.run(self.connector)

    def check(self) -> None:
        """Check the settings against the provider's series and payment types now."""
        drive(self.check_flow(), self._perform)

    def export(self, document: Document) -> ExportResult:
        """Export one document (at issue time); the result says what happened."""
        return drive(self.export_flow(document), self._perform)

    def export_many(
        self,
        documents: Iterable[Document],
        *,
        progress: Progress | None = None,
        on_result: Callable[[ExportResult], None] | None = None,
    ) -> ExportReport:
        """Export a batch (a list or any iterable, read lazily) and report on it.

        Up to ``settings.max_concurrency`` documents are in flight at once; the rate
        limiter keeps every call under the provider's limit. With
        ``stop_after_failure`` documents go one at a time, so none is sent after the
        first failure; the rest are reported as not attempted.
        """
        if not self._checked:
            self.check()
        tally = _Tally(_length(documents), progress, on_result, self.settings.stop_after_failure)
        workers = self._workers()
        if workers == 1:
            for document in documents:
                tally.add(_not_attempted(document) if tally.stopped else self.export(document))
            return tally.report
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accounting-export") as pool:
            in_flight: set[Future[ExportResult]] = set()
            for document in documents:
                if len(in_flight) >= workers:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in finished:
                        tally.add(future.result())
                in_flight.add(pool.submit(self.export, document))
            for future in wait(in_flight).done:
                tally.add(future.result())
        return tally.report


class AsyncExporter(_ExportCore):
    """The asynchronous twin of :class:`Exporter`, over an :class:`~accounting_connectors.AsyncClient`.

    Ledger calls are short local writes and run on the event loop.
    """

    def __init__(
        self,
        connector: AsyncConnector,
        settings: IntegrationSettings,
        ledger: Ledger,
        *,
        lease_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(connector, settings, ledger, lease_seconds=lease_seconds, clock=clock)
        self.connector = connector

    async def _perform(self, operation: Operation) -> Any:
        return await operation.run(self.connector)

    async def check(self) -> None:
        """Check the settings against the provider's series and payment types now."""
        await adrive(self.check_flow(), self._perform)

    async def export(self, document: Document) -> ExportResult:
        """Export one document (at issue time); the result says what happened."""
        return await adrive(self.export_flow(document), self._perform)

    async def export_many(
        self,
        documents: Iterable[Document] | AsyncIterable[Document],
        *,
        progress: Progress | None = None,
        on_result: Callable[[ExportResult], None] | None = None,
    ) -> ExportReport:
        """Export a batch (iterable or async iterable, read lazily); see :meth:`Exporter.export_many`."""
        if not self._checked:
            await self.check()
        tally = _Tally(_length(documents), progress, on_result, self.settings.stop_after_failure)
        workers = self._workers()
        in_flight: set[asyncio.Task[ExportResult]] = set()
        async for document in _each(documents):
            if tally.stopped:
                tally.add(_not_attempted(document))
                continue
            if len(in_flight) >= workers:
                finished, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    tally.add(task.result())
                if tally.stopped:
                    tally.add(_not_attempted(document))
                    continue
            in_flight.add(asyncio.create_task(self.export(document)))
        if in_flight:
            for task in (await asyncio.wait(in_flight))[0]:
                tally.add(task.result())
        return tally.report


async def _each(documents: Iterable[Document] | AsyncIterable[Document]) -> AsyncIterable[Document]:
    if isinstance(documents, AsyncIterable):
        async for document in documents:
            yield document
    else:
        for document in documents:
            yield document
