"""A late answer never hides a second document: both are named and the reference is held."""

from __future__ import annotations

from pathlib import Path

import accounting_connectors as ac
from accounting_connectors.export import LedgerState, SQLiteLedger
from accounting_connectors.export.ledger import LedgerKey, Verdict

KEY = LedgerKey("smartbill", "12345678", "ORD-1")


def document(number: str) -> ac.SentDocument:
    return ac.SentDocument(
        provider="smartbill", kind=ac.DocumentKind.INVOICE, reference="ORD-1", series="FCT", number=number
    )


def test_a_late_answer_after_a_second_document_holds_both(tmp_path: Path) -> None:
    clock = [1000.0]
    ledger = SQLiteLedger(tmp_path / "l.db", clock=lambda: clock[0])
    assert ledger.begin(KEY, "fp", "host:1:a", lambda entry: False).verdict is Verdict.PROCEED
    # A's answer is lost for so long that a person resolves it as not issued and B sends again.
    ledger.resolve(KEY, None)
    assert ledger.begin(KEY, "fp", "host:2:b", lambda entry: False).verdict is Verdict.PROCEED
    assert ledger.complete(KEY, "host:2:b", document("0002")) is LedgerState.SENT
    # Then A's answer arrives after all: FCT0001 exists too.
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.UNCERTAIN
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.UNCERTAIN
    assert "FCT0002" in entry.message and "FCT0001" in entry.message
    # The same document recorded twice is no conflict.
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.UNCERTAIN
    ledger.close()


def test_the_same_document_recorded_again_stays_sent(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    ledger.begin(KEY, "fp", "host:1:a", lambda entry: False)
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.SENT
    assert ledger.complete(KEY, "host:2:b", document("0001")) is LedgerState.SENT
    entry = ledger.get(KEY)
    assert entry is not None and entry.state is LedgerState.SENT
    ledger.close()


def test_a_late_answer_after_a_resolve_as_not_issued_records_the_document(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    ledger.begin(KEY, "fp", "host:1:a", lambda entry: False)
    ledger.resolve(KEY, None)
    assert ledger.complete(KEY, "host:1:a", document("0001")) is LedgerState.SENT
    entry = ledger.get(KEY)
    assert entry is not None and entry.document == document("0001")
    ledger.close()
