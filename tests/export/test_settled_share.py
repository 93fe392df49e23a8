"""How many ambiguous inFakt and iFirma creates are settled without a person (issue 8).

Each run exports documents one by one with a random fault on its create (or the polls
that follow it), then, once the in-flight window has passed, runs again (inFakt: after
``exporter.reconcile()``). An ambiguous outcome is *settled* when the second run leaves
it SENT or FAILED; *reachable* when the provider's state tells (inFakt: a task reference
was received; iFirma: always, the invoice list tells). Nothing may ever be issued twice.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, LedgerState, SQLiteLedger
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.ifirma import DEFAULT_KEYS, IFirmaFake
from accounting_connectors.testing.infakt import InFaktFake

from .test_company_identity_and_settling import IFIRMA_COMPANY, INFAKT_COMPANY, invoice

DOCUMENTS = 40
SHARES: dict[str, tuple[int, int, int]] = {}
"""provider -> (ambiguous, settled, reachable), filled in by the tests."""


def _documents(rng: random.Random) -> list[ac.Invoice]:
    return [invoice(f"order-{index}", price=f"{10 + index}.{rng.randrange(100):02d}") for index in range(DOCUMENTS)]


def _infakt_run(seed: int) -> tuple[int, int, int]:
    rng = random.Random(seed)
    clock = FakeClock()
    fake = InFaktFake(clock=clock, task_polls=0)
    conn = ac.connect(
        "infakt", transport=fake, clock=clock, api_key="demo-key", company_tax_id=INFAKT_COMPANY, poll_timeout=4.0
    )
    ledger = SQLiteLedger(":memory:", clock=clock.time)
    exporter = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time)
    ambiguous: list[str] = []
    reachable = 0
    for document in _documents(rng):
        fault = rng.choice(["none", "deadline", "status_5xx", "after_commit", "before_commit", "post_5xx", "refused"])
        fake.task_polls = None if fault == "deadline" else 0
        if fault == "status_5xx":
            fake.inject(Fault.SERVER_ERROR, method="GET", times=4)
        elif fault == "after_commit":
            fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="async/invoices.json")
        elif fault == "before_commit":
            fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="async/invoices.json")
        elif fault == "post_5xx":
            fake.inject(Fault.SERVER_ERROR, path="async/invoices.json")
        elif fault == "refused":
            fake.fail_next_task()
        result = exporter.export(document)
        fake.faults.clear()
        if result.status is ExportStatus.UNCERTAIN:
            ambiguous.append(document.reference)
            reachable += fault in ("deadline", "status_5xx")  # a task reference was received
    # Later: inFakt has finished every task; the held references are asked about.
    fake.task_polls = 0
    for books in fake._companies.values():
        for task in books.tasks.values():
            task.polls_left = 0
    clock.advance(exporter.in_flight_seconds + 1)
    exporter.reconcile()
    settled = sum(
        1
        for reference in ambiguous
        if (entry := ledger.get(exporter.key(reference))) is not None and entry.state is not LedgerState.UNCERTAIN
    )
    _no_document_twice(Counter(doc.detail.uuid for doc in fake.documents), ledger, exporter)
    return len(ambiguous), settled, reachable


def _ifirma_run(seed: int) -> tuple[int, int, int]:
    rng = random.Random(seed)
    clock = FakeClock()
    fake = IFirmaFake(clock=clock, accounting_month=(2026, 1))
    conn = ac.connect(
        "ifirma",
        transport=fake,
        clock=clock,
        username="demo",
        company_tax_id=IFIRMA_COMPANY,
        invoice_key=DEFAULT_KEYS["faktura"],
        subscriber_key=DEFAULT_KEYS["abonent"],
    )
    ledger = SQLiteLedger(":memory:", clock=clock.time)
    exporter = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time)
    documents = _documents(rng)
    ambiguous: list[str] = []
    for document in documents:
        fault = rng.choice(["none", "after_commit", "before_commit", "post_5xx", "read_back_5xx", "month_lost"])
        if fault == "after_commit":
            fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="fakturakraj.json", method="POST")
        elif fault == "before_commit":
            fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="fakturakraj.json", method="POST")
        elif fault == "post_5xx":
            fake.inject(Fault.SERVER_ERROR, path="fakturakraj.json", method="POST")
        elif fault == "read_back_5xx":
            fake.inject(Fault.SERVER_ERROR, method="GET", times=4)
        elif fault == "month_lost":
            fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="abonent/miesiacksiegowy.json", method="PUT")
        result = exporter.export(document)
        fake.faults.clear()
        if result.status is ExportStatus.UNCERTAIN:
            ambiguous.append(document.reference)
    clock.advance(exporter.in_flight_seconds + 1)
    for document in documents:
        exporter.export(document)
    settled = sum(
        1
        for reference in ambiguous
        if (entry := ledger.get(exporter.key(reference))) is not None and entry.state is not LedgerState.UNCERTAIN
    )
    _no_document_twice(Counter(doc.id for doc in fake.stored()), ledger, exporter)
    assert len(fake.stored()) == len({document.reference for document in documents})
    assert fake.accounting_month == (2026, 1)
    return len(ambiguous), settled, len(ambiguous)


def _no_document_twice(ids: Counter[Any], ledger: SQLiteLedger, exporter: Exporter) -> None:
    assert all(count == 1 for count in ids.values())
    recorded = [entry.document.external_id for entry in ledger.entries(LedgerState.SENT) if entry.document]
    assert len(recorded) == len(set(recorded))  # no document recorded for two references


@pytest.mark.parametrize("seed", range(5))
def test_infakt_settles_every_ambiguous_create_whose_task_is_known(seed: int) -> None:
    ambiguous, settled, reachable = _infakt_run(seed)
    assert settled == reachable  # every held create with a task reference, and only those
    total = SHARES.get("infakt", (0, 0, 0))
    SHARES["infakt"] = (total[0] + ambiguous, total[1] + settled, total[2] + reachable)


@pytest.mark.parametrize("seed", range(5))
def test_ifirma_settles_every_ambiguous_create(seed: int) -> None:
    ambiguous, settled, reachable = _ifirma_run(seed)
    assert settled == reachable == ambiguous
    total = SHARES.get("ifirma", (0, 0, 0))
    SHARES["ifirma"] = (total[0] + ambiguous, total[1] + settled, total[2] + reachable)


def test_report_the_shares(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        for provider, (ambiguous, settled, reachable) in sorted(SHARES.items()):
            share = settled / ambiguous if ambiguous else 1.0
            print(f"\n{provider}: {settled}/{ambiguous} ambiguous creates settled without a person ({share:.0%}); "
                  f"{reachable} reached a state the API tells")  # fmt: skip
