"""Send once, as a state machine: whatever happens, never two documents for a reference.

Random sequences of exports, repeated exports, changed payloads, injected faults
(timeouts before and after the commit, 5xx, connection resets, the 403 block, HTTP 200
error bodies), crashes between intent and result, restarts and manual resolution. After
every step the fake SmartBill must hold exactly one document for each reference the
ledger calls sent, none for a reference it calls failed, and at most one otherwise.
"""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, LedgerState, SQLiteLedger
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.smartbill import SmartBillFake

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}
REFERENCES = [f"order-{index}" for index in range(4)]
FAULTS = [
    Fault.TIMEOUT_BEFORE_COMMIT,
    Fault.TIMEOUT_AFTER_COMMIT,
    Fault.SERVER_ERROR,
    Fault.CONNECTION_RESET,
    Fault.ERROR_TEXT_200,
]


class Crash(BaseException):
    """The process dies between the create and recording its result."""


def invoice(reference: str, edition: int = 0) -> ac.Invoice:
    return ac.Invoice(
        reference=reference,
        issue_date="2026-01-15",
        buyer=ac.Party(name="Client"),
        lines=[ac.Line(name="Carte", quantity=1 + edition, unit="buc", unit_price="30.00", vat=ac.VatRate.of(11))],
        currency="RON",
    )


class SendOnce(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.fake = SmartBillFake(clock=self.clock)
        self.ledger = SQLiteLedger(":memory:", clock=self.clock.time)
        self.conn = ac.connect("smartbill", transport=self.fake, clock=self.clock, max_retries=1, **CREDENTIALS)
        self.exporter = self._start()

    def _start(self) -> Exporter:
        """A new exporter on the same ledger: a restarted process."""
        return Exporter(self.conn, IntegrationSettings(), self.ledger, clock=self.clock.time)

    def documents_for(self, reference: str) -> int:
        return sum(1 for document in self.fake.invoices() if document.body.get("observations") == f"ref: {reference}")

    @rule(reference=st.sampled_from(REFERENCES), edition=st.sampled_from([0, 0, 0, 1]))
    def export(self, reference: str, edition: int) -> None:
        result = self.exporter.export(invoice(reference, edition))
        if result.status is ExportStatus.SENT:
            assert result.document is not None and result.document.number

    @rule(reference=st.sampled_from(REFERENCES), fault=st.sampled_from(FAULTS))
    def export_into_a_fault(self, reference: str, fault: Fault) -> None:
        self.fake.inject(fault, path="invoice")
        self.exporter.export(invoice(reference))
        self.fake.faults.clear()

    @rule(reference=st.sampled_from(REFERENCES))
    def crash_after_the_create(self, reference: str) -> None:
        def die(*args: Any) -> None:
            raise Crash

        original = self.ledger.complete
        self.ledger.complete = die  # type: ignore[method-assign]
        try:
            self.exporter.export(invoice(reference))
        except Crash:
            self.exporter = self._start()
        finally:
            self.ledger.complete = original  # type: ignore[method-assign]

    @rule()
    def another_program_triggers_the_block(self) -> None:
        with httpx.Client(transport=self.fake, auth=(CREDENTIALS["username"], CREDENTIALS["token"])) as other:
            for _ in range(31):
                other.get("https://ws.smartbill.ro/SBORO/api/series", params={"cif": "RO12345678"})

    @rule(minutes=st.sampled_from([1, 11]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes * 60)

    @rule()
    def restart(self) -> None:
        self.exporter = self._start()

    @rule(reference=st.sampled_from(REFERENCES))
    def a_person_resolves_an_uncertain_one(self, reference: str) -> None:
        entry = self.ledger.get(self.exporter.key(reference))
        if entry is None or entry.state is not LedgerState.UNCERTAIN:
            return
        stored = [
            document for document in self.fake.invoices() if document.body.get("observations") == f"ref: {reference}"
        ]
        found = None
        if stored:
            found = ac.SentDocument(
                provider="smartbill",
                kind=ac.DocumentKind.INVOICE,
                reference=reference,
                series=stored[0].series,
                number=stored[0].number,
            )
        self.exporter.resolve(reference, found)

    @invariant()
    def never_two_and_the_ledger_tells_the_truth(self) -> None:
        for reference in REFERENCES:
            count = self.documents_for(reference)
            assert count <= 1, f"{reference} was issued {count} times"
            entry = self.ledger.get(self.exporter.key(reference))
            if entry is None or entry.state is LedgerState.FAILED:
                assert count == 0, f"{reference} is at SmartBill but the ledger says {entry and entry.state}"
            elif entry.state is LedgerState.SENT:
                assert count == 1, f"the ledger says {reference} was sent, SmartBill has {count}"
                assert entry.document is not None
                stored = self.fake.find(series=entry.document.series, number=entry.document.number)
                assert stored is not None and stored.body.get("observations") == f"ref: {reference}"

    def teardown(self) -> None:
        self.conn.close()
        self.ledger.close()


SendOnce.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_send_once = SendOnce.TestCase


def test_the_machine_reaches_every_outcome() -> None:
    # Guard against a machine that never leaves the happy path: walk it by hand once.
    machine = SendOnce()
    machine.fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice")
    machine.conn.list_vat_rates()
    machine.exporter.export(invoice("order-0"))
    machine.another_program_triggers_the_block()
    blocked = machine.exporter.export(invoice("order-1"))
    assert blocked.status is ExportStatus.FAILED and isinstance(blocked.error, ac.RateLimited)
    machine.time_passes(11)
    assert machine.exporter.export(invoice("order-1")).status is ExportStatus.SENT
    states = {entry.key.reference: entry.state for entry in machine.ledger.entries()}
    assert states == {"order-0": LedgerState.UNCERTAIN, "order-1": LedgerState.SENT}
    machine.never_two_and_the_ledger_tells_the_truth()
    machine.teardown()
