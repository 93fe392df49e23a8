"""The ledger keys documents by the issuing company, and ambiguous inFakt and iFirma
creates are settled without a person wherever the provider can tell (issue 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, LedgerState, SQLiteLedger
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.ifirma import DEFAULT_KEYS, IFirmaFake
from accounting_connectors.testing.infakt import InFaktFake

INFAKT_COMPANY = "1234563218"
IFIRMA_COMPANY = "5252344078"


def buyer() -> ac.Party:
    return ac.Party(
        name="Sklep Przykład Sp. z o.o.",
        tax_id="5260250274",
        is_company=True,
        address=ac.Address(street="ul. Długa 1", city="Kraków", postal_code="30-001", country="PL"),
    )


def invoice(reference: str = "order-1", price: str = "49.90", **changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": reference,
        "issue_date": "2026-01-15",
        "buyer": buyer(),
        "lines": [ac.Line(name="Koszulka", quantity="2", unit="szt.", unit_price=price, vat=ac.VatRate.of(23))],
        "currency": "PLN",
        "due_date": "2026-01-29",
    }
    values.update(changes)
    return ac.Invoice(**values)


def batch() -> list[ac.Invoice]:
    return [invoice(f"order-{index}", price=f"{40 + index}.00") for index in range(3)]


def infakt(fake: InFaktFake, clock: FakeClock, key: str = "demo-key", **options: Any) -> ac.Client:
    return ac.connect("infakt", transport=fake, clock=clock, api_key=key, company_tax_id=INFAKT_COMPANY, **options)


def ifirma(fake: IFirmaFake, clock: FakeClock, user: str = "demo", keys: Any = DEFAULT_KEYS) -> ac.Client:
    return ac.connect(
        "ifirma",
        transport=fake,
        clock=clock,
        username=user,
        company_tax_id=f"PL {IFIRMA_COMPANY[:3]}-{IFIRMA_COMPANY[3:]}",  # normalised
        invoice_key=keys["faktura"],
        subscriber_key=keys["abonent"],
    )


# ------------------------------------------------------------------ the company, never a credential


def test_a_rotated_infakt_key_issues_nothing_again(tmp_path: Path, fake_clock: FakeClock) -> None:
    fake = InFaktFake(clock=fake_clock, task_polls=0)
    fake.add_key("rotated-key", company="demo")  # the same company's new key
    ledger = SQLiteLedger(tmp_path / "exports.db")
    first = Exporter(infakt(fake, fake_clock), IntegrationSettings(), ledger).export_many(batch())
    fake.revoke_key("demo-key")
    second = Exporter(infakt(fake, fake_clock, key="rotated-key"), IntegrationSettings(), ledger).export_many(batch())
    assert (first.sent, second.sent, second.already_sent) == (3, 0, 3)
    assert len(fake.documents) == 3
    assert {entry.key.account for entry in ledger.entries()} == {INFAKT_COMPANY}


def test_a_second_ifirma_user_of_the_company_issues_nothing_again(tmp_path: Path, fake_clock: FakeClock) -> None:
    fake = IFirmaFake(clock=fake_clock, accounting_month=(2026, 1))
    second_keys = {"faktura": "00112233445566AA", "abonent": "FFEEDDCCBBAA9988"}
    fake.add_user("druga", second_keys)
    ledger = SQLiteLedger(tmp_path / "exports.db")
    first = Exporter(ifirma(fake, fake_clock), IntegrationSettings(), ledger).export_many(batch())
    second = Exporter(ifirma(fake, fake_clock, "druga", second_keys), IntegrationSettings(), ledger).export_many(
        batch()
    )
    assert (first.sent, second.sent, second.already_sent) == (3, 0, 3)
    assert len(fake.stored()) == 3
    assert {entry.key.account for entry in ledger.entries()} == {IFIRMA_COMPANY}


def test_the_company_tax_id_is_required_and_checked() -> None:
    with pytest.raises(ac.ConfigurationError, match="company_tax_id"):
        ac.connect("infakt", api_key="k")  # type: ignore[call-overload]
    with pytest.raises(ac.ConfigurationError, match="not a valid NIP"):
        ac.connect("infakt", api_key="k", company_tax_id="1234567890")
    with pytest.raises(ac.ConfigurationError, match="not a valid NIP"):
        ac.connect("ifirma", username="u", company_tax_id="52523440", invoice_key="00", subscriber_key="00")


# ------------------------------------------------------------------ inFakt: the task settles it


def _let_tasks_finish(fake: InFaktFake) -> None:
    for books in fake._companies.values():
        for task in books.tasks.values():
            task.polls_left = 0


def test_an_infakt_task_past_the_deadline_is_settled_by_reconcile(tmp_path: Path, fake_clock: FakeClock) -> None:
    fake = InFaktFake(clock=fake_clock, task_polls=None)  # the task outlives the connector's deadline
    ledger = SQLiteLedger(tmp_path / "exports.db")
    exporter = Exporter(infakt(fake, fake_clock, poll_timeout=5.0), IntegrationSettings(), ledger)
    held = exporter.export(invoice())
    assert held.status is ExportStatus.UNCERTAIN and "[settle:" not in held.message
    _let_tasks_finish(fake)
    report = exporter.reconcile()
    assert report.sent == 1 and report.uncertain == []
    entry = ledger.get(exporter.key("order-1"))
    assert entry is not None and entry.state is LedgerState.SENT and entry.document is not None
    assert entry.document.number == "1/01/2026"
    assert exporter.export(invoice()).status is ExportStatus.ALREADY_SENT
    assert len(fake.documents) == 1


def test_an_infakt_task_that_failed_is_settled_as_failed_and_sent_again(tmp_path: Path, fake_clock: FakeClock) -> None:
    fake = InFaktFake(clock=fake_clock, task_polls=None)
    ledger = SQLiteLedger(tmp_path / "exports.db")
    exporter = Exporter(infakt(fake, fake_clock, poll_timeout=5.0), IntegrationSettings(), ledger)
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    fake.fail_next_task()
    _let_tasks_finish(fake)
    fake.task_polls = 0
    # The next export settles it (nothing was created) and it may go again.
    settled = exporter.export(invoice())
    assert settled.status is ExportStatus.FAILED and "not issued" in settled.message
    assert fake.documents == []
    assert exporter.export(invoice()).status is ExportStatus.SENT
    assert len(fake.documents) == 1


def test_a_still_running_infakt_task_stays_held(tmp_path: Path, fake_clock: FakeClock) -> None:
    fake = InFaktFake(clock=fake_clock, task_polls=None)
    exporter = Exporter(infakt(fake, fake_clock, poll_timeout=5.0), IntegrationSettings(), SQLiteLedger(":memory:"))
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    report = exporter.reconcile()
    assert report.sent == 0 and len(report.uncertain) == 1 and "still unknown" in report.uncertain[0].message
    assert fake.documents == []


def test_a_429_on_an_infakt_create_is_waited_out_not_held(tmp_path: Path, fake_clock: FakeClock) -> None:
    import httpx

    fake = InFaktFake(clock=fake_clock, task_polls=0)
    with httpx.Client(transport=fake, headers={"X-inFakt-ApiKey": "demo-key"}) as other:
        for _ in range(150):
            other.post("https://api.infakt.pl/api/v3/async/invoices.json", json={"invoice": {}})
    exporter = Exporter(infakt(fake, fake_clock), IntegrationSettings(), SQLiteLedger(":memory:"))
    assert exporter.export(invoice()).status is ExportStatus.SENT
    assert len(fake.documents) == 1


# ------------------------------------------------------------------ iFirma: the content settles it


def _ifirma_exporter(fake: IFirmaFake, clock: FakeClock, ledger: SQLiteLedger) -> Exporter:
    return Exporter(ifirma(fake, clock), IntegrationSettings(), ledger, clock=clock.time)


def test_an_ifirma_invoice_whose_answer_was_lost_is_found_after_the_window(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    fake = IFirmaFake(clock=fake_clock, accounting_month=(2026, 1))
    ledger = SQLiteLedger(tmp_path / "exports.db", clock=fake_clock.time)
    exporter = _ifirma_exporter(fake, fake_clock, ledger)
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="fakturakraj.json", method="POST")
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    # Within the in-flight window nothing is looked up: the create may still be travelling.
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    assert not any(request.url.path.endswith("faktury.json") for request in fake.requests)
    fake_clock.advance(exporter.in_flight_seconds + 1)
    settled = exporter.export(invoice())
    assert settled.status is ExportStatus.SENT and settled.document is not None
    assert settled.document.number == fake.stored()[0].number and len(fake.stored()) == 1


def test_an_ifirma_invoice_that_was_never_stored_is_sent_after_the_window(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    fake = IFirmaFake(clock=fake_clock, accounting_month=(2026, 1))
    ledger = SQLiteLedger(tmp_path / "exports.db", clock=fake_clock.time)
    exporter = _ifirma_exporter(fake, fake_clock, ledger)
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="fakturakraj.json", method="POST")
    assert exporter.export(invoice()).status is ExportStatus.UNCERTAIN
    fake_clock.advance(exporter.in_flight_seconds + 1)
    assert exporter.export(invoice()).status is ExportStatus.SENT
    assert len(fake.stored()) == 1


def test_two_identical_ifirma_invoices_hold_and_one_owned_elsewhere_is_never_taken(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    fake = IFirmaFake(clock=fake_clock, accounting_month=(2026, 1))
    ledger = SQLiteLedger(tmp_path / "exports.db", clock=fake_clock.time)
    exporter = _ifirma_exporter(fake, fake_clock, ledger)
    # order-0 and order-1 have the same content; order-0 is sent and recorded first.
    assert exporter.export(invoice("order-0")).status is ExportStatus.SENT
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="fakturakraj.json", method="POST")
    assert exporter.export(invoice("order-1")).status is ExportStatus.UNCERTAIN
    fake_clock.advance(exporter.in_flight_seconds + 1)
    # order-0's invoice matches, but the ledger holds it for order-0: order-1 was not issued.
    assert exporter.export(invoice("order-1")).status is ExportStatus.SENT
    assert len(fake.stored()) == 2
    # Two unowned identical invoices (issued by hand, say) cannot be told apart: held.
    other = _ifirma_exporter(fake, fake_clock, SQLiteLedger(":memory:", clock=fake_clock.time))
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="fakturakraj.json", method="POST")
    assert other.export(invoice("order-2")).status is ExportStatus.UNCERTAIN
    fake_clock.advance(other.in_flight_seconds + 1)
    held = other.export(invoice("order-2"))
    assert held.status is ExportStatus.UNCERTAIN and "2 iFirma invoices match" in held.message
    assert len(fake.stored()) == 2


def test_the_async_exporter_settles_an_infakt_task_too(fake_clock: FakeClock) -> None:
    import asyncio

    from accounting_connectors.export import AsyncExporter

    async def run() -> None:
        fake = InFaktFake(clock=fake_clock, task_polls=None)
        conn = ac.connect_async(
            "infakt", transport=fake, clock=fake_clock, api_key="demo-key", company_tax_id=INFAKT_COMPANY,
            poll_timeout=5.0,
        )  # fmt: skip
        async with conn:
            exporter = AsyncExporter(conn, IntegrationSettings(), SQLiteLedger(":memory:"))
            assert (await exporter.export(invoice())).status is ExportStatus.UNCERTAIN
            _let_tasks_finish(fake)
            report = await exporter.reconcile()
            assert report.sent == 1 and len(fake.documents) == 1
            assert (await exporter.export(invoice())).status is ExportStatus.ALREADY_SENT

    asyncio.run(run())
