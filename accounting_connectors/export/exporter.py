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
import functools
import json
import os
import socket
import threading
import time
import uuid
import weakref
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
from ._offloop import adrive_off_loop
from .ledger import Ledger, LedgerEntry, LedgerKey, LedgerState, Verdict, fingerprint
from .liveness import Heartbeat, OwnerLock, owner_alive
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


# Owner tokens of the exporters of this process (their intents are judged by _in_flight).
_local_owners: weakref.WeakValueDictionary[str, _ExportCore] = weakref.WeakValueDictionary()

DEFAULT_IN_FLIGHT_SECONDS = 300.0
"""The in-flight window for a connector that does not tell its own (``in_flight_window``)."""

# What a hold records for the provider to settle it later (an inFakt task reference...),
# kept at the end of the entry's message so that every ledger stores it unchanged.
_DATA_MARK = "\n[settle:"


def _with_data(message: str, data: dict[str, str]) -> str:
    return f"{message}{_DATA_MARK}{json.dumps(data, sort_keys=True)}]"


def _split_data(message: str) -> tuple[str, dict[str, str] | None]:
    """The message without its settle data, and the data (``None`` when there is none)."""
    text, mark, rest = message.rpartition(_DATA_MARK)
    if not mark or not rest.endswith("]"):
        return message, None
    try:
        data = json.loads(rest[:-1])
    except ValueError:
        return message, None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return message, None
    return text, {str(k): v for k, v in data.items()}


_KIND_VALUES = frozenset(kind.value for kind in _KIND.values())


def _settle_data(error: AccountingError) -> dict[str, str]:
    """What an ambiguous error recorded for settling it later (an inFakt task reference...)."""
    data = getattr(error, "settle_data", None)
    if not isinstance(data, dict):
        return {}
    return {str(name): value for name, value in data.items() if isinstance(value, str)}


def _beat(core: weakref.ref[_ExportCore]) -> None:
    exporter = core()
    if exporter is not None:
        exporter.heartbeat()


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
        in_flight_seconds: float | None = None,
    ) -> None:
        self._info = connector
        self.settings = settings
        self.ledger = ledger
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._host = socket.gethostname()
        # The pid is there for people reading the ledger; liveness never relies on it.
        self._token = uuid.uuid4().hex
        self._pid = os.getpid()
        self.owner = f"{self._host}:{os.getpid()}:{self._token}"
        _local_owners[self.owner] = self
        self._lock_file = OwnerLock(self._token)
        window = in_flight_seconds
        if window is None:
            window = getattr(connector, "in_flight_window", None)
        self.in_flight_seconds = float(window) if isinstance(window, int | float) else DEFAULT_IN_FLIGHT_SECONDS
        """How long a create sent may still be travelling (the connector's timeout plus a margin):
        nothing is looked up at the provider for an intent younger than this."""
        self.heartbeat_seconds = max(lease_seconds / 3, 1.0)
        """How often the intents in flight are refreshed in the ledger (a third of the lease)."""
        Heartbeat.register(self, functools.partial(_beat, weakref.ref(self)), self.heartbeat_seconds)
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
        """Whether a PENDING entry's exporter is gone and its create can no longer be travelling.

        An exporter of this process is gone from the entry when the entry is not in
        flight here. Another one on this host is gone when its owner lock is free (the
        operating system released it with the process). Any other (another host, or one
        whose lock cannot be read) is gone when its intent went without a heartbeat for
        longer than the lease: a live exporter refreshes its intents in flight however
        slow it is. Where the provider is then asked whether the document exists (a
        lookup), the in-flight window must have passed too, since a create still on its
        way would not be found yet.
        """
        silent = self._clock() - entry.updated_at
        window = self.in_flight_seconds if self._looks_up() else 0.0
        local = _local_owners.get(entry.owner)
        if local is not None and local._pid == os.getpid():  # not an exporter of a parent before a fork
            with _in_flight_lock:
                return (entry.owner, entry.key) not in _in_flight
        host, _, rest = entry.owner.partition(":")
        token = rest.rpartition(":")[2]
        if host == self._host and token and owner_alive(token) is False:
            # Its process ended, at most a heartbeat after the intent's last refresh.
            return not window or silent > window + self.heartbeat_seconds
        return silent > self.lease_seconds + window

    def _looks_up(self) -> bool:
        """Whether reconciling asks the provider for the document (it must have arrived by then)."""
        return self._info.capabilities.supports(Capability.LOOKUP_BY_REFERENCE) or self._settles() == "content"

    def _settles(self) -> str | None:
        """How the connector settles an ambiguous create: ``"task"``, ``"content"`` or ``None``."""
        way = getattr(self._info, "settles_ambiguous", None)
        return way if way in ("task", "content") else None

    def heartbeat(self) -> None:
        """Refresh this exporter's intents in flight in the ledger (the heartbeat thread calls it)."""
        with _in_flight_lock:
            keys = [key for owner, key in _in_flight if owner == self.owner]
        beat = getattr(self.ledger, "heartbeat", None)
        if keys and callable(beat):
            beat(self.owner, keys)

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
                result = yield from self._settle_held(key, prepared, previous)
                if result.status is ExportStatus.UNCERTAIN:
                    return result
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
                return self._hold(key, prepared, error.message, _settle_data(error))
            if self._settles() is not None:
                # Settled on a later run (or exporter.reconcile()): a task is polled then,
                # and a document looked for only once nothing can still be travelling.
                return self._hold(key, prepared, error.message, _settle_data(error))
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
            message = _split_data(entry.message)[0] if entry is not None else "two documents may exist"
            return ExportResult(
                reference=key.reference, status=ExportStatus.UNCERTAIN, document=document, message=message
            )
        return ExportResult(reference=key.reference, status=ExportStatus.SENT, document=document)

    def _reconcile(self, key: LedgerKey, prepared: Document, cause: str) -> ExportFlow:
        if self._settles() is not None:
            # The intent's owner is gone and (is_stale) nothing can still be travelling.
            text, data = _split_data(cause)
            return (yield from self._settle(key, prepared, text, data or {}, held=False))
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

    def _hold(self, key: LedgerKey, prepared: Document, cause: str, data: dict[str, str] | None = None) -> ExportResult:
        name = self._info.name
        kind = _KIND[type(prepared)]
        hint = self._info.reconcile_hint(kind, key.reference)
        later = (
            "The next export of it (or exporter.reconcile()) asks "
            f"{name} again and settles it if {name} can tell; until then it"
            if self._settles() is not None
            else "It"
        )
        message = (
            f"{name} may or may not have issued {key.reference!r} ({cause}). {later} will not be sent again "
            f"automatically. Check {name}{': ' + hint if hint else ''}; then call "
            f"exporter.resolve({key.reference!r}, document) if it was issued, or "
            f"exporter.resolve({key.reference!r}, None) to let it be sent again."
        )
        stored = message
        if self._settles() is not None:
            stored = _with_data(message, {**(data or {}), "kind": kind.value})
        self.ledger.hold(key, self.owner, stored)
        return ExportResult(reference=key.reference, status=ExportStatus.UNCERTAIN, message=message)

    def _settle_held(self, key: LedgerKey, prepared: Document, previous: LedgerEntry) -> ExportFlow:
        """Try to settle a held reference without a person; UNCERTAIN when it cannot be told yet."""
        text, data = _split_data(previous.message)
        held = ExportResult(reference=key.reference, status=ExportStatus.UNCERTAIN, message=text)
        way = self._settles()
        if data is None or way is None:
            return held
        if way == "content" and self._clock() - previous.updated_at <= self.in_flight_seconds:
            return held  # the first create may still be on its way: looking now could miss it
        return (yield from self._settle(key, prepared, text, data, held=True))

    def _settle(
        self, key: LedgerKey, prepared: Document | None, cause: str, data: dict[str, str], *, held: bool
    ) -> ExportFlow:
        """Ask the connector whether the ambiguous create took effect, and record the answer.

        ``held``: the entry is UNCERTAIN (settled with ``resolve``), else PENDING and ours.
        """
        kind = DocumentKind(data["kind"]) if data.get("kind") in _KIND_VALUES else None
        if prepared is not None:
            kind = _KIND[type(prepared)]
        reference = key.reference
        if kind is None:
            return ExportResult(reference=reference, status=ExportStatus.UNCERTAIN, message=cause)
        if self._settles() == "content":
            # A document the ledger holds for another reference is never this one's.
            data = {**data, "known_ids": ",".join(sorted(self._known_ids(key)))}
        try:
            found = yield Operation("settle", lambda connector: connector.settle(kind, reference, data, prepared))
        except AmbiguousOutcome as error:
            if held:
                return ExportResult(
                    reference=reference, status=ExportStatus.UNCERTAIN, message=f"{cause} (still unknown: {error})"
                )
            assert prepared is not None
            return self._hold(
                key, prepared, f"{cause}; still unknown: {error.message}", {**data, **_settle_data(error)}
            )
        except AccountingError as error:
            if not error.retry_safe:
                if held:
                    return ExportResult(
                        reference=reference, status=ExportStatus.UNCERTAIN, message=f"{cause} (still unknown: {error})"
                    )
                assert prepared is not None
                return self._hold(key, prepared, f"{cause}; settling it failed: {error.message}", data)
            # The provider says the create failed and created nothing: free to send again.
            message = f"settled automatically: not issued ({error})"
            if held:
                self.ledger.resolve(key, None, message)
            else:
                self.ledger.fail(key, self.owner, message)
            return ExportResult(reference=reference, status=ExportStatus.FAILED, error=error, message=message)
        if found is not None:
            if held:
                self.ledger.resolve(
                    key, found, f"settled automatically: issued as {found.full_number or found.external_id}"
                )
                return ExportResult(reference=reference, status=ExportStatus.SENT, document=found)
            return self._completed(key, found)
        # Certainly not issued: send it (once more).
        if prepared is None:
            self.ledger.resolve(key, None, "settled automatically: not issued")
            return ExportResult(
                reference=reference,
                status=ExportStatus.FAILED,
                message="settled automatically: not issued; export it again",
            )
        if held:
            self.ledger.resolve(key, None, "settled automatically: not issued")
            decision = self.ledger.begin(key, fingerprint(prepared), self.owner, self.is_stale)
            if decision.verdict is not Verdict.PROCEED:
                return ExportResult(
                    reference=reference,
                    status=ExportStatus.IN_PROGRESS,
                    message="not issued; another exporter is sending it now",
                )
        return (yield from self._send(key, prepared, again=True))

    def _known_ids(self, key: LedgerKey) -> set[str]:
        """Provider ids of the documents the ledger holds for other references of this account."""
        known: set[str] = set()
        for entry in self.ledger.entries(LedgerState.SENT):
            other = entry.key
            same_account = (other.provider, other.account) == (key.provider, key.account)
            if same_account and other != key and entry.document is not None and entry.document.external_id:
                known.add(entry.document.external_id)
        return known

    def reconcile_flow(self) -> Generator[Operation, Any, ExportReport]:
        """Settle every held reference of this provider and account that the provider can tell."""
        report = ExportReport()
        account = self._info.account()
        for entry in self.ledger.entries(LedgerState.UNCERTAIN):
            key = entry.key
            if (key.provider, key.account) != (self._info.name, account):
                continue
            text, data = _split_data(entry.message)
            if data is None or self._settles() is None:
                continue
            if self._settles() == "content":
                continue  # the document itself is needed to match: settled when it is exported again
            with _exporting(self.owner, key):
                result = yield from self._settle(key, None, text, data, held=True)
            report.add(result)
        return report

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

    def unexpected(self, document: object, exc: Exception) -> ExportResult:
        """The result for a document whose export raised an exception no step expected.

        The batch goes on: the document is held (``UNCERTAIN``) when its intent is
        recorded, since a create may have happened, and ``FAILED`` otherwise.
        """
        name = self._info.name
        reference = getattr(document, "reference", None)
        text = f"an unexpected {type(exc).__name__} while exporting it: {exc}"
        error = AccountingError(text, provider=name, operation="export")
        if not isinstance(reference, str) or type(document) not in _KIND:
            named = reference if isinstance(reference, str) else repr(document)[:80]
            return ExportResult(reference=named, status=ExportStatus.FAILED, error=error, message=text)
        key = self.key(reference)
        try:
            entry = self.ledger.get(key)
            if entry is not None and entry.state is LedgerState.PENDING and entry.owner == self.owner:
                return self._hold(key, document, text)  # type: ignore[arg-type]
        except Exception as ledger_error:  # reported in the result
            message = (
                f"{name} may or may not have issued {reference!r} ({text}); the ledger could not record it "
                f"either ({type(ledger_error).__name__}: {ledger_error}). Check {name} before sending it again."
            )
            return ExportResult(reference=reference, status=ExportStatus.UNCERTAIN, error=error, message=message)
        if entry is not None and entry.state is LedgerState.SENT:
            # Issued and recorded; only a later step (the provider's PDF) went wrong.
            return ExportResult(
                reference=reference,
                status=ExportStatus.SENT,
                document=entry.document,
                message=text,
                url=None if entry.document is None else entry.document.url,
                document_error=error,
            )
        return ExportResult(reference=reference, status=ExportStatus.FAILED, error=error, message=text)

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
        lease_seconds: after this long without a heartbeat, an intent recorded by another
            exporter is presumed dead (its export is reconciled or held). A live exporter
            refreshes its intents in flight every third of it, however slow it is.
        in_flight_seconds: how long a create may still be travelling after it was sent
            (default: the connector's ``in_flight_window``, its HTTP timeout plus a
            margin). A provider is never asked whether a document exists (a lookup)
            before this has passed since the intent's last heartbeat.
    """

    def __init__(
        self,
        connector: Connector,
        settings: IntegrationSettings,
        ledger: Ledger,
        *,
        lease_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
        in_flight_seconds: float | None = None,
    ) -> None:
        super().__init__(
            connector, settings, ledger, lease_seconds=lease_seconds, clock=clock, in_flight_seconds=in_flight_seconds
        )
        self.connector = connector

    def _perform(self, operation: Operation) -> Any:
        return operation.run(self.connector)

    def check(self) -> None:
        """Check the settings against the provider's series and payment types now."""
        drive(self.check_flow(), self._perform)

    def reconcile(self) -> ExportReport:
        """Settle held references without a person wherever the provider can tell.

        Each held reference whose ambiguous outcome the provider can settle by its own
        record of the request (inFakt's task reference) is asked about now and recorded
        as sent or failed; the rest stay held (those settled by matching a document's
        content are settled when the document is exported again). The report counts
        what was settled; ``uncertain`` lists what is still held.
        """
        return drive(self.reconcile_flow(), self._perform)

    def export(self, document: Document) -> ExportResult:
        """Export one document (at issue time); the result says what happened.

        An unexpected exception (neither an ``AccountingError`` nor a ``BaseException``
        such as ``KeyboardInterrupt``) is reported in the result, never raised.
        """
        try:
            return drive(self.export_flow(document), self._perform)
        except AccountingError:
            raise
        except Exception as exc:  # one document's failure never aborts a batch
            return self.unexpected(document, exc)

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

    The flow's steps between connector calls (the ledger's ``begin`` and ``complete``, the
    fingerprint) run in a worker thread (``asyncio.to_thread``), so a ledger waiting on a
    lock (SQLite's busy timeout while another process writes, a database round trip) never
    stalls the event loop. ``ledger_in_thread=False`` runs them on the loop instead: about
    40 to 80 us less CPU per step, for a ledger that never waits (an in-memory one, or a
    SQLite file that only this process writes).
    """

    def __init__(
        self,
        connector: AsyncConnector,
        settings: IntegrationSettings,
        ledger: Ledger,
        *,
        lease_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
        in_flight_seconds: float | None = None,
        ledger_in_thread: bool = True,
    ) -> None:
        super().__init__(
            connector, settings, ledger, lease_seconds=lease_seconds, clock=clock, in_flight_seconds=in_flight_seconds
        )
        self.connector = connector
        self.ledger_in_thread = ledger_in_thread
        """Run the ledger (and the flow's other steps) in a worker thread, off the event loop."""
        self._drive = adrive_off_loop if ledger_in_thread else adrive

    async def _perform(self, operation: Operation) -> Any:
        return await operation.run(self.connector)

    async def check(self) -> None:
        """Check the settings against the provider's series and payment types now."""
        await adrive(self.check_flow(), self._perform)

    async def reconcile(self) -> ExportReport:
        """Settle held references without a person; see :meth:`Exporter.reconcile`."""
        return await self._drive(self.reconcile_flow(), self._perform)

    async def export(self, document: Document) -> ExportResult:
        """Export one document (at issue time); see :meth:`Exporter.export`."""
        try:
            return await self._drive(self.export_flow(document), self._perform)
        except AccountingError:
            raise
        except Exception as exc:  # one document's failure never aborts a batch
            return self.unexpected(document, exc)

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
