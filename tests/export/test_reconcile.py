"""Reconciling ambiguous creates: by native idempotency, by lookup, or held."""

from __future__ import annotations

import json
import threading
from typing import Any, ClassVar

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.capabilities import Capabilities, Capability, Entry, Support
from accounting_connectors.errors import AccountingError
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, LedgerState, SQLiteLedger
from accounting_connectors.flow import Call, Flow
from accounting_connectors.provider import Provider, json_request, read_json
from accounting_connectors.ratelimit import credential_fingerprint
from accounting_connectors.testing.clock import FakeClock

URL = "https://books.example.test/"


class Books:
    """A provider service in miniature: stores invoices, optionally deduplicating by key."""

    def __init__(self, *, deduplicates: bool) -> None:
        self.deduplicates = deduplicates
        self.invoices: dict[str, list[str]] = {}
        self.timeouts_after_commit = 0
        self.lookup_fails = False
        self.issued = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if request.method == "GET":
                if self.lookup_fails:
                    return httpx.Response(503)
                reference = request.url.params["reference"]
                numbers = self.invoices.get(reference, [])
                return httpx.Response(200, json={"found": numbers[:1]})
            body = json.loads(request.content)
            reference = body["reference"]
            numbers = self.invoices.setdefault(reference, [])
            if not (self.deduplicates and numbers):
                self.issued += 1
                numbers.append(f"N{self.issued}")
            if self.timeouts_after_commit:
                self.timeouts_after_commit -= 1
                raise httpx.ReadTimeout("lost answer", request=request)
            return httpx.Response(201, json={"number": numbers[0]})


class BooksProvider(Provider):
    name: ClassVar[str] = "books"
    capabilities: ClassVar[Capabilities] = Capabilities("books")

    def __init__(self, *, deduplicates: bool, lookup: bool) -> None:
        self.deduplicates = deduplicates
        entries = {Capability.SEND_INVOICE: Entry(Support.SUPPORTED)}
        if deduplicates:
            entries[Capability.NATIVE_IDEMPOTENCY] = Entry(Support.SUPPORTED, "by reference")
        if lookup:
            entries[Capability.LOOKUP_BY_REFERENCE] = Entry(Support.SUPPORTED)
        self.capabilities = Capabilities("books", entries)  # type: ignore[misc]

    def credential_fingerprint(self) -> str:
        return credential_fingerprint("books", str(id(self)))

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        return ac.ServerError("down") if response.status_code >= 500 else None

    def _sent(self, reference: str, number: str) -> ac.SentDocument:
        return ac.SentDocument(provider="books", kind=ac.DocumentKind.INVOICE, reference=reference, number=number)

    def send_invoice(self, invoice: ac.Invoice) -> Flow[ac.SentDocument]:
        request = json_request("POST", URL + "invoices", {"reference": invoice.reference})
        response = yield Call(request, operation="send_invoice", creates=True, deduplicated=self.deduplicates)
        return self._sent(invoice.reference, read_json(response)["number"])

    def find_document(self, kind: ac.DocumentKind, reference: str) -> Flow[ac.SentDocument | None]:
        response = yield Call(json_request("GET", URL + "invoices", params={"reference": reference}), operation="find")
        found = read_json(response)["found"]
        return self._sent(reference, found[0]) if found else None


def invoice(reference: str = "order-1") -> ac.Invoice:
    line = ac.Line(name="x", quantity=1, unit="szt", unit_price="10", vat=ac.VatRate.of(23))
    return ac.Invoice(
        reference=reference, issue_date="2026-01-15", buyer=ac.Party(name="B"), lines=[line], currency="PLN"
    )


def exporter_for(books: Books, provider: BooksProvider, **options: Any) -> Exporter:
    conn = ac.Client(provider, transport=httpx.MockTransport(books), clock=FakeClock(), max_retries=0)
    return Exporter(conn, IntegrationSettings(), SQLiteLedger(":memory:"), **options)


def test_native_idempotency_lets_the_exporter_resend_safely() -> None:
    books = Books(deduplicates=True)
    provider = BooksProvider(deduplicates=True, lookup=False)
    # The driver itself retries a deduplicated create; make every answer get lost once more.
    books.timeouts_after_commit = 1
    exporter = exporter_for(books, provider)
    result = exporter.export(invoice())
    assert result.status is ExportStatus.SENT
    assert books.invoices == {"order-1": ["N1"]}


def test_lookup_finds_a_document_whose_answer_was_lost() -> None:
    books = Books(deduplicates=False)
    exporter = exporter_for(books, BooksProvider(deduplicates=False, lookup=True))
    books.timeouts_after_commit = 1
    result = exporter.export(invoice())
    assert result.status is ExportStatus.SENT
    assert result.document is not None and result.document.number == "N1"
    assert books.invoices == {"order-1": ["N1"]}


def test_lookup_that_finds_nothing_sends_once_more() -> None:
    books = Books(deduplicates=False)
    exporter = exporter_for(books, BooksProvider(deduplicates=False, lookup=True))
    original = books.__call__

    def lose_before_commit(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not hasattr(lose_before_commit, "done"):
            lose_before_commit.done = True  # type: ignore[attr-defined]
            raise httpx.ReadTimeout("lost before commit", request=request)
        return original(request)

    exporter.connector._http._transport = httpx.MockTransport(lose_before_commit)  # type: ignore[attr-defined]
    result = exporter.export(invoice())
    assert result.status is ExportStatus.SENT
    assert books.invoices == {"order-1": ["N1"]}


def test_a_second_lost_answer_after_lookup_is_held() -> None:
    books = Books(deduplicates=False)
    exporter = exporter_for(books, BooksProvider(deduplicates=False, lookup=True))
    original = books.__call__

    def always_lose(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("lost", request=request)
        return original(request)

    exporter.connector._http._transport = httpx.MockTransport(always_lose)  # type: ignore[attr-defined]
    result = exporter.export(invoice())
    assert result.status is ExportStatus.UNCERTAIN
    assert exporter.ledger.get(exporter.key("order-1")).state is LedgerState.UNCERTAIN  # type: ignore[union-attr]


def test_a_failed_lookup_holds_the_document() -> None:
    books = Books(deduplicates=False)
    exporter = exporter_for(books, BooksProvider(deduplicates=False, lookup=True))
    books.timeouts_after_commit = 1
    books.lookup_fails = True
    result = exporter.export(invoice())
    assert result.status is ExportStatus.UNCERTAIN
    assert "looking it up failed" in result.message
    assert books.invoices == {"order-1": ["N1"]}


def test_an_answer_that_comes_after_the_lease_is_still_recorded() -> None:
    books = Books(deduplicates=False)
    clock = FakeClock()
    ledger = SQLiteLedger(":memory:", clock=clock.time)
    provider = BooksProvider(deduplicates=False, lookup=False)
    conn = ac.Client(provider, transport=httpx.MockTransport(books), clock=clock)
    slow = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=60)
    other = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=60)
    key = slow.key("order-1")
    ledger.begin(key, ac_fingerprint(invoice()), slow.owner, slow.is_stale)
    clock.advance(61)  # the slow exporter is presumed dead; the other holds the entry
    assert other.export(invoice()).status is ExportStatus.UNCERTAIN
    ledger.complete(key, slow.owner, provider._sent("order-1", "N1"))
    entry = ledger.get(key)
    assert entry is not None and entry.state is LedgerState.SENT


def ac_fingerprint(document: Any) -> str:
    from accounting_connectors.export import fingerprint

    return fingerprint(document)


@pytest.mark.parametrize("bad", ["do not send", None])
def test_unmapped_series_must_be_a_rule(bad: Any) -> None:
    with pytest.raises(ac.ConfigurationError, match="unmapped_series"):
        IntegrationSettings(unmapped_series=bad)
