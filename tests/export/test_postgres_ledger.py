"""The PostgreSQL ledger: the SQLite ledger's semantics, row for row, across processes and machines.

The ledger-level tests run on both ledgers; a differential property test drives both with
the same random operations and compares every answer and entry; the send-once state
machine runs on PostgreSQL; threads and processes race for the same references. Each
test has a table of its own, dropped at the end. Without a server they skip (and fail
under ``ACCOUNTING_CONNECTORS_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.errors import ConfigurationError
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, LedgerState, SQLiteLedger
from accounting_connectors.export.ledger import Ledger, LedgerEntry, LedgerKey, Verdict
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.smartbill import SmartBillFake
from tests.export import test_send_once_stateful as stateful
from tests.export.test_reconcile import Books, BooksProvider, invoice
from tests.services import postgres_conninfo, unique

KEY = LedgerKey("smartbill", "12345678", "ORD-1")
NEVER_STALE: Callable[[LedgerEntry], bool] = lambda entry: False  # noqa: E731
ALWAYS_STALE: Callable[[LedgerEntry], bool] = lambda entry: True  # noqa: E731


def postgres_ledger(conninfo: str, **options: Any) -> Any:
    from accounting_connectors.export.postgres import PostgresLedger

    return PostgresLedger(conninfo, **options)


@pytest.fixture
def conninfo() -> str:
    return postgres_conninfo()


@pytest.fixture
def table(conninfo: str) -> Iterator[str]:
    name = unique("ledger_test")
    yield name
    cleaner = postgres_ledger(conninfo, table=name)
    cleaner.drop()
    cleaner.close()


LedgerFactory = Callable[..., Any]


@pytest.fixture(params=["sqlite", "postgres"])
def make_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerFactory]:
    """Opens the test's ledger (again, as a restarted process would) on SQLite or PostgreSQL."""
    opened: list[Any] = []
    if request.param == "sqlite":

        def factory(**options: Any) -> Any:
            ledger = SQLiteLedger(tmp_path / "l.db", **options)
            opened.append(ledger)
            return ledger

    else:
        conninfo = postgres_conninfo()
        name = unique("ledger_test")

        def factory(**options: Any) -> Any:
            ledger = postgres_ledger(conninfo, table=name, **options)
            opened.append(ledger)
            return ledger

    yield factory
    if request.param == "postgres":
        factory().drop()
    for ledger in opened:
        ledger.close()


def document(number: str, **changes: Any) -> ac.SentDocument:
    return ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="ORD-1", series="FCT", number=number, **changes
    )


# The ledger protocol, on both ledgers.


def test_a_late_answer_after_a_second_document_holds_both(make_ledger: LedgerFactory) -> None:
    clock = [1000.0]
    ledger = make_ledger(clock=lambda: clock[0])
    assert ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE).verdict is Verdict.PROCEED
    ledger.resolve(KEY, None)
    assert ledger.begin(KEY, "fp", "host:2:b", NEVER_STALE).verdict is Verdict.PROCEED
    assert ledger.complete(KEY, "host:2:b", document("0002")) is LedgerState.SENT
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.UNCERTAIN
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.UNCERTAIN
    assert "FCT0002" in entry.message and "FCT0001" in entry.message
    assert entry.document == document("0002")
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.UNCERTAIN


def test_the_same_document_recorded_again_stays_sent(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger()
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.SENT
    assert ledger.complete(KEY, "host:2:b", document("0001")) is LedgerState.SENT
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.SENT and entry.owner == "host:1:a"


def test_a_late_answer_after_a_resolve_as_not_issued_records_the_document(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger()
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    ledger.resolve(KEY, None)
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.SENT
    entry = ledger.get(KEY)
    assert entry is not None and entry.document == document("0001")


def test_every_verdict_of_begin(make_ledger: LedgerFactory) -> None:
    clock = [1000.0]
    ledger = make_ledger(clock=lambda: clock[0])
    assert ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE) == ac.export.ledger.Decision(Verdict.PROCEED)
    busy = ledger.begin(KEY, "fp", "host:2:b", NEVER_STALE)
    assert busy.verdict is Verdict.BUSY and busy.previous is not None and busy.previous.owner == "host:1:a"
    assert busy.previous.state is LedgerState.PENDING and busy.previous.updated_at == 1000.0
    assert ledger.begin(KEY, "other", "host:2:b", NEVER_STALE).verdict is Verdict.CONFLICT
    clock[0] = 2000.0
    reconcile = ledger.begin(KEY, "fp", "host:2:b", ALWAYS_STALE)
    assert reconcile.verdict is Verdict.RECONCILE and reconcile.previous is not None
    entry = ledger.get(KEY)
    assert entry is not None and entry.owner == "host:2:b" and entry.updated_at == 2000.0
    # The presumed-dead owner can no longer settle the entry; the new one can.
    ledger.fail(KEY, "host:1:a", "too late")
    ledger.hold(KEY, "host:1:a", "too late")
    assert ledger.get(KEY).state is LedgerState.PENDING
    ledger.hold(KEY, "host:2:b", "unknown outcome")
    held = ledger.begin(KEY, "fp", "host:3:c", ALWAYS_STALE)
    assert held.verdict is Verdict.HELD and held.previous is not None and held.previous.message == "unknown outcome"
    assert ledger.begin(KEY, "changed", "host:3:c", ALWAYS_STALE).verdict is Verdict.CONFLICT
    ledger.resolve(KEY, None)
    failed = ledger.get(KEY)
    assert (
        failed is not None and failed.state is LedgerState.FAILED and failed.message == "resolved by hand: not issued"
    )
    # A failure lets the (corrected) document go again, with its new fingerprint.
    again = ledger.begin(KEY, "changed", "host:3:c", NEVER_STALE)
    assert again.verdict is Verdict.PROCEED and again.previous is not None
    assert again.previous.state is LedgerState.FAILED
    ledger.fail(KEY, "host:3:c", "refused")
    assert ledger.get(KEY).message == "refused"
    ledger.begin(KEY, "changed", "host:4:d", NEVER_STALE)
    assert ledger.complete(KEY, "host:4:d", document("0007")) is LedgerState.SENT
    done = ledger.begin(KEY, "changed", "host:5:e", ALWAYS_STALE)
    assert done.verdict is Verdict.DONE and done.previous is not None and done.previous.document == document("0007")
    assert ledger.begin(KEY, "fp", "host:5:e", ALWAYS_STALE).verdict is Verdict.CONFLICT


def test_a_reclaimed_intent_keeps_its_message(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger()
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    ledger.begin(KEY, "fp", "host:2:b", ALWAYS_STALE)
    ledger.hold(KEY, "host:2:b", "held once")
    ledger.resolve(KEY, None, "checked: nothing there")
    assert ledger.get(KEY).message == "checked: nothing there"


def test_resolve_complete_and_get_of_an_unknown_reference(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger()
    assert ledger.get(KEY) is None
    assert ledger.complete(KEY, "host:1:a", document("0001")) is None
    ledger.fail(KEY, "host:1:a", "nothing")
    ledger.hold(KEY, "host:1:a", "nothing")
    with pytest.raises(KeyError):
        ledger.resolve(KEY, None)
    assert ledger.entries() == []


def test_resolving_as_issued_records_the_document(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger()
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    ledger.hold(KEY, "host:1:a", "lost answer")
    found = document("0003", external_id="id-3", url="https://x.test/3", issue_date="2026-01-15", raw={"a": [1, "b"]})
    ledger.resolve(KEY, found)
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.SENT and entry.document == found
    assert entry.message == "resolved by hand: issued" and entry.owner == "host:1:a"


def test_entries_by_state_in_the_order_they_were_updated(make_ledger: LedgerFactory) -> None:
    clock = [1000.0]
    ledger = make_ledger(clock=lambda: clock[0])
    keys = [LedgerKey("smartbill", "12345678", f"ORD-{index}") for index in range(4)]
    for key in reversed(keys):
        ledger.begin(key, "fp", "host:1:a", NEVER_STALE)  # all at the same time: kept in order of insertion
    clock[0] = 1001.0
    ledger.fail(keys[3], "host:1:a", "no")
    clock[0] = 1002.0
    ledger.complete(keys[0], "host:1:a", document("0001"))
    assert [entry.key for entry in ledger.entries()] == [keys[2], keys[1], keys[3], keys[0]]
    assert [entry.key for entry in ledger.entries(LedgerState.PENDING)] == [keys[2], keys[1]]
    assert [entry.key for entry in ledger.entries(LedgerState.FAILED)] == [keys[3]]
    # A restarted process reads what the first one wrote.
    assert [entry.key for entry in make_ledger().entries(LedgerState.SENT)] == [keys[0]]


def test_the_same_reference_in_two_accounts_is_two_entries(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger()
    other = LedgerKey("smartbill", "87654321", "ORD-1")
    assert ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE).verdict is Verdict.PROCEED
    assert ledger.begin(other, "fp", "host:1:a", NEVER_STALE).verdict is Verdict.PROCEED
    assert len(ledger.entries()) == 2


def test_an_answer_that_comes_after_the_lease_is_still_recorded(make_ledger: LedgerFactory) -> None:
    books = Books(deduplicates=False)
    clock = FakeClock()
    ledger = make_ledger(clock=clock.time)
    provider = BooksProvider(deduplicates=False, lookup=False)
    conn = ac.Client(provider, transport=httpx.MockTransport(books), clock=clock)
    slow = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=60)
    other = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=60)
    key = slow.key("order-1")
    ledger.begin(key, ac.export.fingerprint(invoice()), slow.owner, slow.is_stale)
    clock.advance(61)
    assert other.export(invoice()).status is ExportStatus.UNCERTAIN
    ledger.complete(key, slow.owner, provider._sent("order-1", "N1"))
    entry = ledger.get(key)
    assert entry is not None and entry.state is LedgerState.SENT


def test_an_intent_of_another_machine_is_judged_by_its_lease(make_ledger: LedgerFactory) -> None:
    # No process ids across machines: an owner on another host is live while it beats.
    clock = FakeClock()
    ledger = make_ledger(clock=clock.time)
    books = Books(deduplicates=False)
    provider = BooksProvider(deduplicates=False, lookup=False)
    conn = ac.Client(provider, transport=httpx.MockTransport(books), clock=clock)
    exporter = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=60)
    key = exporter.key("order-1")
    elsewhere = "elsewhere.example:4242:0123456789abcdef"
    ledger.begin(key, ac.export.fingerprint(invoice()), elsewhere, NEVER_STALE)
    for _ in range(3):  # a slow create on the other machine, kept alive by its heartbeat
        clock.advance(50)
        ledger.heartbeat(elsewhere, [key])
        assert exporter.export(invoice()).status is ExportStatus.IN_PROGRESS
    clock.advance(61)  # silent past the lease: presumed dead, held (no lookup), never resent
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    assert books.invoices == {}


def test_a_heartbeat_refreshes_only_the_owners_pending_intents(make_ledger: LedgerFactory) -> None:
    clock = [1000.0]
    ledger = make_ledger(clock=lambda: clock[0])
    other = LedgerKey("smartbill", "12345678", "ORD-2")
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    ledger.begin(other, "fp", "host:1:a", NEVER_STALE)
    ledger.complete(other, "host:1:a", document("0001"))
    clock[0] = 1500.0
    ledger.heartbeat("host:2:b", [KEY])
    assert ledger.get(KEY).updated_at == 1000.0
    ledger.heartbeat("host:1:a", [])
    ledger.heartbeat("host:1:a", [KEY, other, LedgerKey("smartbill", "12345678", "none")])
    assert ledger.get(KEY).updated_at == 1500.0
    assert ledger.get(other).updated_at == 1000.0  # sent: nothing to keep alive


def test_the_exporters_heartbeat_reaches_the_ledger(make_ledger: LedgerFactory) -> None:
    clock = FakeClock()
    ledger = make_ledger(clock=clock.time)
    conn = ac.Client(
        BooksProvider(deduplicates=False, lookup=False),
        transport=httpx.MockTransport(Books(deduplicates=False)),
        clock=clock,
    )
    exporter = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time, lease_seconds=60)
    key = exporter.key("order-1")
    with ac.export.exporter._exporting(exporter.owner, key):  # a create in flight
        ledger.begin(key, "fp", exporter.owner, exporter.is_stale)
        clock.advance(30)
        exporter.heartbeat()
    assert ledger.get(key).updated_at == clock.time()


# PostgreSQL only: the same answers as SQLite for any sequence of operations.

OWNERS = ["host:1:a", "host:2:b", "host:3:c"]
REFERENCES = ["r1", "r2"]
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("begin"),
            st.sampled_from(REFERENCES),
            st.sampled_from(["fp1", "fp2"]),
            st.sampled_from(OWNERS),
            st.booleans(),
        ),
        st.tuples(st.just("complete"), st.sampled_from(REFERENCES), st.sampled_from(OWNERS), st.sampled_from("123")),
        st.tuples(st.just("fail"), st.sampled_from(REFERENCES), st.sampled_from(OWNERS), st.just("failed")),
        st.tuples(st.just("hold"), st.sampled_from(REFERENCES), st.sampled_from(OWNERS), st.just("held")),
        st.tuples(st.just("resolve"), st.sampled_from(REFERENCES), st.sampled_from(["", "4"])),
        st.tuples(st.just("tick")),
    ),
    max_size=25,
)


def apply(ledger: Ledger, operation: tuple[Any, ...], clock: list[float]) -> object:
    name, *args = operation
    if name == "tick":
        clock[0] += 1
        return None
    key = LedgerKey("smartbill", "12345678", args[0])
    try:
        if name == "begin":
            _, fp, owner, stale = args
            return ledger.begin(key, fp, owner, ALWAYS_STALE if stale else NEVER_STALE)
        if name == "complete":
            return ledger.complete(key, args[1], document(f"000{args[2]}"))
        if name == "fail":
            return ledger.fail(key, args[1], args[2])
        if name == "hold":
            return ledger.hold(key, args[1], args[2])
        return ledger.resolve(key, document(f"000{args[1]}") if args[1] else None)
    except KeyError as error:
        return ("KeyError", error.args)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations)
def test_postgres_answers_as_sqlite_does(operations: list[tuple[Any, ...]], conninfo: str, table: str) -> None:
    clock = [1000.0]
    postgres = postgres_ledger(conninfo, table=table, clock=lambda: clock[0])
    postgres.drop()  # a fresh table for each example
    sqlite = SQLiteLedger(":memory:", clock=lambda: clock[0])
    try:
        for operation in operations:
            assert apply(postgres, operation, clock) == apply(sqlite, operation, [0.0]), operation
            assert postgres.entries() == sqlite.entries(), operation
    finally:
        postgres.close()
        sqlite.close()


# The send-once state machine, on PostgreSQL.


class SendOnceOnPostgres(stateful.SendOnce):
    def __init__(self) -> None:
        super().__init__()
        self.ledger.close()
        self.table = unique("ledger_sendonce")
        self.ledger = postgres_ledger(postgres_conninfo(), table=self.table, clock=self.clock.time)
        self.exporter = self._start()

    def teardown(self) -> None:
        self.ledger.drop()
        super().teardown()


SendOnceOnPostgres.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)


def test_send_once_on_postgres() -> None:
    postgres_conninfo()  # skip (or fail) before hypothesis starts, with the reason
    SendOnceOnPostgres.TestCase().runTest()


# Many exporters at once.


def test_threads_with_their_own_connections_claim_each_reference_once(conninfo: str, table: str) -> None:
    keys = [LedgerKey("smartbill", "12345678", f"ORD-{index}") for index in range(40)]
    verdicts: list[tuple[LedgerKey, Verdict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def claim(worker: int) -> None:
        ledger = postgres_ledger(conninfo, table=table)  # the schema is created by whoever comes first
        try:
            barrier.wait()
            for key in keys:
                decision = ledger.begin(key, "fp", f"host:{worker}:x", NEVER_STALE)
                with lock:
                    verdicts.append((key, decision.verdict))
        finally:
            ledger.close()

    workers = [threading.Thread(target=claim, args=(worker,)) for worker in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(verdicts) == 6 * len(keys)
    for key in keys:
        assert [verdict for k, verdict in verdicts if k == key].count(Verdict.PROCEED) == 1
    assert {verdict for _, verdict in verdicts} == {Verdict.PROCEED, Verdict.BUSY}


def test_threads_sharing_one_ledger_claim_each_reference_once(conninfo: str, table: str) -> None:
    ledger = postgres_ledger(conninfo, table=table)
    proceeded: list[LedgerKey] = []
    barrier = threading.Barrier(4)

    def claim(worker: int) -> None:
        barrier.wait()
        for index in range(30):
            key = LedgerKey("smartbill", "12345678", f"ORD-{index}")
            if ledger.begin(key, "fp", f"host:{worker}:x", ALWAYS_STALE).verdict is Verdict.PROCEED:
                proceeded.append(key)
            ledger.fail(key, f"host:{worker}:x", "again")  # FAILED: the next begin proceeds again

    workers = [threading.Thread(target=claim, args=(worker,)) for worker in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ledger.close()
    assert len(proceeded) >= 30


def _export_in_a_process(conninfo: str, table: str, base_url: str, results: Any) -> None:
    try:
        from accounting_connectors.export.postgres import PostgresLedger

        with ac.connect("smartbill", base_url=base_url, max_retries=0, **stateful.CREDENTIALS) as conn:
            ledger = PostgresLedger(conninfo, table=table)
            exporter = Exporter(conn, IntegrationSettings(max_concurrency=3), ledger)
            report = exporter.export_many(stateful.invoice(f"order-{index}") for index in range(40))
            ledger.close()
        problems = [f"{result.reference}: {result.message}" for result in [*report.failed, *report.uncertain]]
        results.put(problems)
    except BaseException as error:  # the test must hear of it, whatever it is
        results.put([repr(error)])


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="needs fork")
def test_three_processes_on_one_ledger_issue_one_document_per_reference(conninfo: str, table: str) -> None:
    from accounting_connectors.testing.server import serve

    fake = SmartBillFake(rate_limit=10_000)
    with serve(fake) as base_url:
        results: Any = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(
                target=_export_in_a_process, args=(conninfo, table, base_url + "/SBORO/api/", results)
            )
            for _ in range(3)
        ]
        for worker in workers:
            worker.start()
        problems = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
    assert problems == [[], [], []]
    references = [document.body["observations"] for document in fake.invoices()]
    assert sorted(references) == sorted(f"ref: order-{index}" for index in range(40))
    ledger = postgres_ledger(conninfo, table=table)
    assert len(ledger.entries(LedgerState.SENT)) == 40
    ledger.close()


# Heartbeats, connections, names.


def test_a_broken_connection_is_opened_again(conninfo: str, table: str) -> None:
    ledger = postgres_ledger(conninfo, table=table)
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    ledger._db.close()
    assert ledger.get(KEY) is not None
    ledger.close()
    with pytest.raises(ConfigurationError, match="closed"):
        ledger.get(KEY)


def test_a_schema_qualified_table(conninfo: str) -> None:
    ledger = postgres_ledger(conninfo, table=f"public.{unique('ledger_test')}")
    ledger.begin(KEY, "fp", "host:1:a", NEVER_STALE)
    assert len(ledger.entries()) == 1
    assert "public." in repr(ledger)
    ledger.drop()
    ledger.close()


@pytest.mark.parametrize("name", ["", "a.b.c", "a.", ".b"])
def test_a_table_name_must_be_a_name(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a name"):
        postgres_ledger("", table=name)


def test_a_server_that_does_not_answer_is_a_configuration_error() -> None:
    pytest.importorskip("psycopg")
    ledger = postgres_ledger("host=127.0.0.1 port=1 dbname=test connect_timeout=1", connect_timeout=1)
    with pytest.raises(ConfigurationError, match="cannot reach the PostgreSQL ledger"):
        ledger.get(KEY)


def test_a_table_that_cannot_be_created_is_a_configuration_error(conninfo: str) -> None:
    ledger = postgres_ledger(conninfo, table=f"no_such_schema_{unique('x')}.ledger")
    with pytest.raises(ConfigurationError, match="cannot use"):
        ledger.entries()
    ledger.close()


def test_a_missing_service_skips_here_and_fails_where_required(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import services

    monkeypatch.setattr(services, "REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="not answering"):
        services.unavailable("PostgreSQL at 127.0.0.1:5432 is not answering")
    monkeypatch.setattr(services, "REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match="ACCOUNTING_CONNECTORS_REQUIRE_SERVICES=1"):
        services.unavailable("PostgreSQL at 127.0.0.1:5432 is not answering")
