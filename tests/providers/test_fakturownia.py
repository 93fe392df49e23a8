"""The Fakturownia connector end to end against its fake, through Client and AsyncClient.

Each trap of the sheet (``providers/fakturownia.md``) and each send-once path has a test:
a lost answer after commit, a 5xx after commit, a reset before sending, the duplicate guard
and the lookup's paging all end with exactly one document, found by its ``oid``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.connectors.fakturownia import (
    CAPABILITIES,
    Fakturownia,
    FakturowniaPdfNotReady,
    oid_for,
    payment_type_for,
)
from accounting_connectors.connectors.fakturownia.codec import (
    booked_totals,
    money_text,
    parse_date,
    parse_money,
    parse_tax,
    position_totals,
    quantity_text,
    tax_code,
)
from accounting_connectors.limits import RateLimit
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.fakturownia import FakturowniaFake
from accounting_connectors.testing.faults import Fault

from ..drivers import DRIVERS, open_connector

TOKEN = "demo-token"


@pytest.fixture
def fake(fake_clock: FakeClock) -> FakturowniaFake:
    return FakturowniaFake.demo(clock=fake_clock)


@pytest.fixture(params=DRIVERS)
def connect(request: pytest.FixtureRequest, fake: FakturowniaFake, fake_clock: FakeClock) -> Iterator[Any]:
    """A factory of connectors to the fake, sync or async, with one blocking interface."""
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        values = {"account": "demo", "api_token": TOKEN, **options}
        transport = values.pop("transport", fake)
        client = open_connector(request.param, "fakturownia", transport=transport, clock=fake_clock, **values)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


def company(**changes: Any) -> ac.Party:
    values: dict[str, Any] = {
        "name": "Kowalski Sp. z o.o.",
        "tax_id": "5252344078",
        "is_company": True,
        "address": ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
        "email": "biuro@example.pl",
    }
    values.update(changes)
    return ac.Party(**values)


def invoice(**changes: Any) -> ac.Invoice:
    values: dict[str, Any] = {
        "reference": "ORDER-1001",
        "issue_date": "2026-01-15",
        "buyer": company(),
        "lines": [
            ac.Line(name="Produkt A", quantity=2, unit="szt", unit_price="49.99", vat=ac.VatRate.of(23)),
            ac.Line(name="Książka B", quantity=1, unit="szt", unit_price="30.00", vat=ac.VatRate.of(5)),
        ],
        "currency": "PLN",
        "due_date": "2026-01-29",
    }
    values.update(changes)
    return ac.Invoice(**values)


def body_of(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content, parse_float=Decimal)  # type: ignore[no-any-return]


def posts(fake: FakturowniaFake) -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == "POST" and r.url.path == "/invoices.json"]


def lookups(fake: FakturowniaFake) -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == "GET" and r.url.path == "/invoices.json"]


# ------------------------------------------------------------------ what goes on the wire


def test_a_create_carries_the_kind_specific_oid_and_the_guard(connect: Any, fake: FakturowniaFake) -> None:
    sent = connect().send_invoice(invoice())
    request = posts(fake)[0]
    body = body_of(request)["invoice"]
    assert request.url == httpx.URL("https://demo.fakturownia.pl/invoices.json")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (body["oid"], body["oid_unique"], body["kind"]) == ("ORDER-1001/vat", "yes", "vat")
    assert body["buyer_company"] == "1" and body["buyer_tax_no"] == "5252344078"
    assert (body["payment_to_kind"], body["payment_to"]) == ("other_date", "2026-01-29")
    assert body["positions"][0] == {
        "name": "Produkt A",
        "quantity": "2",
        "quantity_unit": "szt",
        "total_price_gross": "122.98",  # 99.98 net + 23.00 VAT, as a decimal string
        "tax": "23",
    }
    assert "number" not in body and "calculating_strategy" not in body and "api_token" not in body
    assert sent.number == "1/01/2026" and sent.external_id == fake.documents[0].id
    assert sent.raw["gov_status"] is None and "gov_id" in sent.raw  # KSeF fields kept in raw
    assert fake.documents[0].total == Decimal("154.48")


def test_the_token_is_never_in_a_url(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    conn.find_document(ac.DocumentKind.INVOICE, "ORDER-1001")
    conn.fetch_pdf(sent)
    conn.record_payment(sent, ac.Payment(method="transfer", amount="10.00"))
    assert fake.requests
    for request in fake.requests:
        assert TOKEN not in str(request.url) and b"api_token" not in request.content


def test_totals_are_what_fakturownia_books(connect: Any, fake: FakturowniaFake) -> None:
    sample = invoice()
    connect().send_invoice(sample)
    booked = booked_totals(sample.lines, prices_include_vat=False)
    stored = fake.documents[0]
    assert stored.total == booked.gross == Decimal("154.48")


def test_a_discount_is_sent_with_show_discount_and_discount_kind(connect: Any, fake: FakturowniaFake) -> None:
    line = ac.Line(name="A", quantity=2, unit="szt", unit_price="100", vat=ac.VatRate.of(23), discount_percent=10)
    connect().send_invoice(invoice(lines=[line]))
    body = body_of(posts(fake)[0])["invoice"]
    assert (body["show_discount"], body["discount_kind"]) == ("1", "percent_unit")
    position = body["positions"][0]
    assert (position["price_net"], position["discount_percent"], position["total_price_gross"]) == (
        "100",
        "10",
        "221.40",
    )
    assert fake.documents[0].total == Decimal("221.4")


def test_a_person_is_sent_with_first_and_last_name(connect: Any, fake: FakturowniaFake) -> None:
    person = ac.Party(name="Jan Maria Nowak", address=ac.Address(country="PL"))
    connect().send_invoice(invoice(buyer=person))
    body = body_of(posts(fake)[0])["invoice"]
    assert (body["buyer_company"], body["buyer_first_name"], body["buyer_last_name"]) == ("0", "Jan Maria", "Nowak")
    assert fake.documents[0].detail["buyer_company"] == "0"  # without buyer_company it would be a company


def test_an_eu_company_gets_nip_ue(connect: Any, fake: FakturowniaFake) -> None:
    buyer = company(tax_id="DE123456789", address=ac.Address(city="Berlin", country="DE"))
    connect().send_invoice(invoice(buyer=buyer))
    assert body_of(posts(fake)[0])["invoice"]["buyer_tax_no_kind"] == "nip_ue"


def test_paid_at_issue_and_foreign_currency(connect: Any, fake: FakturowniaFake) -> None:
    paid = invoice(currency="EUR", exchange_rate="4.2512", payment=ac.Payment(method="karta", amount="154.48"))
    connect().send_invoice(paid)
    body = body_of(posts(fake)[0])["invoice"]
    assert (body["paid"], body["status"], body["payment_type"]) == ("154.48", "paid", "card")
    assert (body["exchange_currency"], body["exchange_kind"], body["exchange_currency_rate"]) == (
        "PLN",
        "own",
        "4.2512",
    )
    assert fake.documents[0].paid == Decimal("154.48")


def test_payment_types_map_the_fixed_list_aliases_and_free_text() -> None:
    assert payment_type_for("Transfer") == "transfer"
    assert payment_type_for("czek") == "cheque"  # not the wrong "czek" of one old client (§6.2)
    assert payment_type_for("Przelewy24") == "Przelewy24"  # any other text is accepted


def test_an_explicit_number_is_refused_before_any_request(connect: Any, fake: FakturowniaFake) -> None:
    with pytest.raises(ac.ValidationError, match="number"):
        connect().send_invoice(invoice(number="FV/1"))
    assert fake.request_count == 0


def test_intra_eu_supply_is_refused_before_any_request(connect: Any, fake: FakturowniaFake) -> None:
    line = ac.Line(name="A", quantity=1, unit="szt", unit_price="1", vat=ac.VatRate.special(ac.VatKind.INTRA_EU))
    with pytest.raises(ac.ValidationError, match=r"lines\[0\]\.vat"):
        connect().send_invoice(invoice(lines=[line]))
    assert fake.request_count == 0


def test_reverse_charge_is_oo_at_home_and_np_abroad(connect: Any, fake: FakturowniaFake) -> None:
    line = ac.Line(name="A", quantity=1, unit="h", unit_price="100", vat=ac.VatRate.special(ac.VatKind.REVERSE_CHARGE))
    conn = connect()
    conn.send_invoice(invoice(lines=[line]))
    conn.send_invoice(invoice(reference="ORDER-2", lines=[line], buyer=company(address=ac.Address(country="DE"))))
    home, abroad = (body_of(r)["invoice"] for r in posts(fake))
    assert (home["positions"][0]["tax"], home["reverse_charge"]) == ("oo", True)
    assert abroad["positions"][0]["tax"] == "np"


# ------------------------------------------------------------------ send once


def test_a_replay_reads_the_existing_document_back(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    first = conn.send_invoice(invoice())
    again = conn.send_invoice(invoice())
    assert (again.number, again.external_id) == (first.number, first.external_id)
    assert len(fake.documents) == 1 and len(posts(fake)) == 2 and len(lookups(fake)) == 1


def test_a_lost_answer_after_commit_is_reconciled_by_oid(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "invoices.json", method="POST")
    sent = connect().send_invoice(invoice())
    assert len(fake.documents) == 1 and len(posts(fake)) == 1
    assert sent.number == fake.documents[0].number and sent.reference == "ORDER-1001"
    lookup = lookups(fake)[0].url.params
    assert (lookup["oid"], lookup["period"], lookup["kind"], lookup["per_page"]) == (
        "ORDER-1001/vat",
        "all",
        "vat",
        "100",
    )


def test_a_5xx_after_commit_is_reconciled_by_oid(connect: Any, fake: FakturowniaFake) -> None:
    fake.fail_after_commit(502)
    sent = connect().send_invoice(invoice())
    assert len(fake.documents) == 1 and len(posts(fake)) == 1
    assert sent.external_id == fake.documents[0].id


def test_a_timeout_before_commit_is_looked_up_then_sent_again(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "invoices.json", method="POST")
    sent = connect().send_invoice(invoice())
    assert len(fake.documents) == 1 and len(posts(fake)) == 2 and len(lookups(fake)) == 1
    assert sent.number == "1/01/2026"


def test_a_5xx_before_commit_is_looked_up_then_sent_again(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.SERVER_ERROR, "invoices.json", method="POST")
    connect().send_invoice(invoice())
    assert len(fake.documents) == 1 and len(posts(fake)) == 2


def test_a_reset_before_sending_is_simply_retried(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.CONNECTION_RESET, "invoices.json", method="POST")
    connect().send_invoice(invoice())
    assert len(fake.documents) == 1 and len(posts(fake)) == 1 and len(fake.dropped_requests) == 1
    assert lookups(fake) == []


def test_two_lost_answers_are_ambiguous_but_safe_to_resend(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "invoices.json", method="POST", times=2)
    conn = connect()
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        conn.send_invoice(invoice())
    assert caught.value.retry_safe and "oid_unique" in caught.value.message
    assert fake.documents == []
    assert conn.send_invoice(invoice()).number == "1/01/2026"
    assert len(fake.documents) == 1


def test_a_lost_answer_on_the_resend_after_commit_is_still_one_document(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "invoices.json", method="POST")
    fake.fail_after_commit(503)
    # First POST times out before commit, the lookup finds nothing, the resend commits and
    # answers 503: the second lookup finds the document.
    sent = connect().send_invoice(invoice())
    assert len(fake.documents) == 1 and sent.external_id == fake.documents[0].id


def test_the_exporter_never_holds_a_fakturownia_reference(
    fake: FakturowniaFake, fake_clock: FakeClock, tmp_path: Any
) -> None:
    from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, SQLiteLedger

    conn = ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=fake, clock=fake_clock)
    exporter = Exporter(conn, IntegrationSettings(), SQLiteLedger(tmp_path / "exports.db"))
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "invoices.json", method="POST")
    assert exporter.export(invoice()).status is ExportStatus.SENT
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "invoices.json", method="POST", times=2)
    assert exporter.export(invoice(reference="ORDER-2")).status is ExportStatus.SENT  # resent: oid_unique
    assert exporter.export(invoice()).status is ExportStatus.ALREADY_SENT  # the ledger knows it
    assert len(fake.documents) == 2


def test_lookup_matches_oid_and_kind_exactly(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    conn.send_invoice(invoice(reference="XORDER-1001"))  # its oid contains ORDER-1001/vat
    conn.send_receipt(receipt(reference="ORDER-1001"))  # same reference, another kind
    assert conn.find_document(ac.DocumentKind.INVOICE, "ORDER-1001") is None
    found = conn.find_document(ac.DocumentKind.RECEIPT, "ORDER-1001")
    assert found is not None and found.kind is ac.DocumentKind.RECEIPT and found.number == "PAR 1/01/2026"


def test_lookup_pages_on_a_full_page(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    for index in range(105):  # every one of these matches the loose oid filter
        conn.send_invoice(invoice(reference=f"{index}-A"))
    target = conn.send_invoice(invoice(reference="A"))
    found = conn.find_document(ac.DocumentKind.INVOICE, "A")
    assert found is not None and found.external_id == target.external_id
    pages = [r.url.params["page"] for r in lookups(fake)]
    assert pages[-2:] == ["1", "2"]


def test_lookup_on_a_listing_that_ignores_page_is_inconclusive(fake_clock: FakeClock) -> None:
    fake = FakturowniaFake.demo(clock=fake_clock)
    fake.ignore_page = True
    conn = ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=fake, clock=fake_clock)
    for index in range(101):
        conn.send_invoice(invoice(reference=f"{index}-A"))
    with pytest.raises(ac.ProviderError, match="inconclusive"):
        conn.find_document(ac.DocumentKind.INVOICE, "A")


def test_find_document_of_a_payment_is_unsupported(connect: Any, fake: FakturowniaFake) -> None:
    with pytest.raises(ac.UnsupportedOperation):
        connect().find_document(ac.DocumentKind.PAYMENT, "ORDER-1")
    assert fake.request_count == 0


def test_oid_forms_are_kind_specific() -> None:
    assert oid_for(ac.DocumentKind.INVOICE, "O-1") == "O-1/vat"
    assert oid_for(ac.DocumentKind.RECEIPT, "O-1") == "O-1/receipt"
    assert oid_for(ac.DocumentKind.CORRECTION, "O-1") == "O-1/correction"


# ------------------------------------------------------------------ errors


def test_a_read_only_token_is_permission_denied(connect: Any, fake: FakturowniaFake) -> None:
    fake.add_token("demo", "viewer-token", read_only=True)
    with pytest.raises(ac.PermissionDenied, match="read-only") as caught:
        connect(api_token="viewer-token").send_invoice(invoice())
    assert caught.value.retry_safe and fake.documents == []
    assert "viewer-token" not in str(caught.value)


def test_field_errors_come_from_the_422_map(connect: Any, fake: FakturowniaFake) -> None:
    fake.add_account("ksef", "ksef-token", ksef=True)
    line = ac.Line(name="Usługa", quantity=1, unit="h", unit_price="100", vat=ac.VatRate.special(ac.VatKind.EXEMPT))
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect(account="ksef", api_token="ksef-token").send_invoice(invoice(lines=[line]))
    assert caught.value.field_errors == {"exempt_tax_kind": ["- nie może być puste"]}
    assert caught.value.status_code == 422 and "exempt_tax_kind" in caught.value.message
    sent = connect(account="ksef", api_token="ksef-token", exempt_tax_kind="art. 43 ust. 1 pkt 37").send_invoice(
        invoice(lines=[line])
    )
    assert sent.raw["gov_status"] == "processing"


def test_an_error_under_200_is_a_failure(connect: Any, fake: FakturowniaFake) -> None:
    fake.inject(Fault.ERROR_TEXT_200, "invoices.json", method="POST")
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect().send_invoice(invoice())
    assert caught.value.status_code == 200 and caught.value.retry_safe
    assert fake.documents == []


def test_a_bad_token_is_an_authentication_error(connect: Any, fake: FakturowniaFake) -> None:
    with pytest.raises(ac.AuthenticationError):
        connect(api_token="wrong").send_invoice(invoice())
    assert fake.documents == []


def test_token_rotation_keeps_the_account(connect: Any, fake: FakturowniaFake) -> None:
    old = connect()
    old.send_invoice(invoice())
    fake.add_token("demo", "new-token")
    fake.revoke_token("demo", TOKEN)
    with pytest.raises(ac.AuthenticationError):
        old.send_invoice(invoice(reference="ORDER-2"))
    new = connect(api_token="new-token")
    assert new.send_invoice(invoice(reference="ORDER-2")).number == "2/01/2026"
    assert new.account() == old.account() == "demo"
    assert new.provider.credential_fingerprint() == old.provider.credential_fingerprint()


def test_accounts_are_apart(connect: Any, fake: FakturowniaFake) -> None:
    fake.add_account("sklep2", "token-2")
    fake.add_account("shop", "token-3", domain="invoiceocean.com")
    one = connect().send_invoice(invoice())
    two = connect(account="sklep2", api_token="token-2").send_invoice(invoice())
    three = connect(account="shop", api_token="token-3", domain="invoiceocean.com").send_invoice(invoice())
    assert one.number == two.number == three.number == "1/01/2026"
    assert [d.account for d in fake.documents] == ["demo", "sklep2", "shop"]
    assert fake.requests[-1].url.host == "shop.invoiceocean.com"
    with pytest.raises(ac.AuthenticationError):
        connect(account="sklep2", api_token=TOKEN).send_invoice(invoice(reference="x"))


def test_account_is_the_prefix_with_department_and_domain() -> None:
    assert Fakturownia.configure(account="firma", api_token="t").account() == "firma"
    assert Fakturownia.configure(account="firma", api_token="t", department_id=12).account() == "firma/12"
    assert Fakturownia.configure(account="firma", api_token="t", domain="vosfactures.fr").account() == (
        "firma.vosfactures.fr"
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"account": "https://firma.fakturownia.pl", "api_token": "t"},
        {"account": "firma", "api_token": "t", "domain": "example.com"},
        {"account": "firma", "api_token": "a b"},
        {"account": "firma", "api_token": "t", "requests_per_minute": 1001},
        {"account": "firma", "api_token": "t", "department_id": 0},
        {"account": "firma"},
        {"account": "firma", "api_token": "t", "token": "x"},
    ],
)
def test_settings_that_can_never_work_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ac.ConfigurationError):
        ac.connect("fakturownia", settings)


def test_the_token_is_redacted_and_not_in_repr() -> None:
    provider = Fakturownia.configure(account="firma", api_token="s3cret")
    assert provider.secrets() == ("s3cret",)
    assert "s3cret" not in repr(provider) and "s3cret" not in repr(provider.settings)


# ------------------------------------------------------------------ rate limits


def test_the_default_pace_never_draws_a_penalty(connect: Any, fake: FakturowniaFake, fake_clock: FakeClock) -> None:
    conn = connect()
    start = fake_clock.time()
    for index in range(70):
        conn.find_document(ac.DocumentKind.INVOICE, f"R-{index}")
    assert fake.penalties == 0 and fake_clock.time() - start >= 60


def test_a_429_is_waited_out_by_its_retry_after(fake_clock: FakeClock) -> None:
    slow = FakturowniaFake(clock=fake_clock, requests_per_minute=5)
    slow.add_account("demo", TOKEN)
    conn = ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=slow, clock=fake_clock)
    for index in range(8):
        conn.find_document(ac.DocumentKind.INVOICE, f"R-{index}")
    assert slow.penalties >= 1
    assert any(r.url.path == "/invoices.json" for r in slow.requests)


def test_the_configured_pace_is_the_instances_limit() -> None:
    provider = Fakturownia.configure(account="firma", api_token="t", requests_per_minute=1000)
    assert provider.rate_limits == (RateLimit(1000, 60.0),)
    assert Fakturownia.rate_limits == (RateLimit(60, 60.0),)


# ------------------------------------------------------------------ receipts, corrections


def receipt(**changes: Any) -> ac.Receipt:
    values: dict[str, Any] = {
        "reference": "PAR-1",
        "issue_date": "2026-01-15",
        "currency": "PLN",
        "payment_method": "cash",
        "lines": [ac.Line(name="Kawa", quantity=2, unit="szt", unit_price="12.30", vat=ac.VatRate.of(23))],
    }
    values.update(changes)
    return ac.Receipt(**values)


def test_a_receipt_is_issued_paid(connect: Any, fake: FakturowniaFake) -> None:
    sent = connect().send_receipt(receipt())
    body = body_of(posts(fake)[0])["invoice"]
    assert (body["kind"], body["status"], body["paid"], body["payment_type"]) == ("receipt", "paid", "24.60", "cash")
    assert (body["oid"], body["buyer_company"]) == ("PAR-1/receipt", "0")
    assert sent.kind is ac.DocumentKind.RECEIPT and sent.raw["gov_status"] == "not_applicable"
    assert fake.documents[0].paid == Decimal("24.6")


def test_a_correction_sends_the_difference_and_both_states(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    original = invoice()
    sent = conn.send_invoice(original)
    corrected = [
        ac.Line(name="Produkt A", quantity=1, unit="szt", unit_price="49.99", vat=ac.VatRate.of(23)),
        original.lines[1],
    ]
    correction = ac.Correction(
        reference="ORDER-1001",
        original=original,
        original_document=sent,
        lines=corrected,
        reason="Zwrot 1 szt.",
        issue_date="2026-01-20",
    )
    made = conn.send_correction(correction)
    body = body_of(posts(fake)[1])["invoice"]
    assert (body["kind"], body["invoice_id"], body["from_invoice_id"]) == (
        "correction",
        int(sent.external_id),
        int(sent.external_id),
    )
    assert body["oid"] == "ORDER-1001/correction" and body["client_id"] == sent.raw["client_id"]
    assert len(body["positions"]) == 1  # the unchanged line is left out
    line = body["positions"][0]
    assert (line["quantity"], line["total_price_gross"], line["kind"]) == ("-1", "-61.49", "correction")
    assert line["correction_before_attributes"] == {
        "name": "Produkt A", "quantity": "2", "quantity_unit": "szt", "total_price_gross": "122.98", "tax": "23",
        "kind": "correction_before",
    }  # fmt: skip
    assert line["correction_after_attributes"]["total_price_gross"] == "61.49"
    assert made.kind is ac.DocumentKind.CORRECTION and made.number == "KOR 1/01/2026"
    assert fake.documents[1].corrects == sent.external_id and fake.documents[1].total == Decimal("-61.49")


def test_a_full_reversal_on_a_ksef_account_keeps_the_buyer(connect: Any, fake: FakturowniaFake) -> None:
    fake.add_account("ksef", "ksef-token", ksef=True)
    conn = connect(account="ksef", api_token="ksef-token")
    original = invoice()
    sent = conn.send_invoice(original)
    reversal = ac.Correction.full_reversal(
        reference="ORDER-1001", original=original, original_document=sent, reason="Anulowanie", issue_date="2026-01-15"
    )
    made = conn.send_correction(reversal)
    assert Decimal(made.raw["price_gross"]) == -Decimal(sent.raw["price_gross"])


def test_a_correction_of_another_providers_document_is_refused(connect: Any, fake: FakturowniaFake) -> None:
    other = ac.SentDocument(provider="infakt", kind=ac.DocumentKind.INVOICE, reference="x", external_id="1")
    with pytest.raises(ac.ValidationError):
        connect().send_correction(
            ac.Correction.full_reversal(
                reference="c", original=invoice(), original_document=other, reason="r", issue_date="2026-01-15"
            )
        )
    assert fake.request_count == 0


def test_a_correction_reason_over_the_ksef_limit_is_refused(connect: Any, fake: FakturowniaFake) -> None:
    sent = ac.SentDocument(provider="fakturownia", kind=ac.DocumentKind.INVOICE, reference="x", external_id="5")
    with pytest.raises(ac.ValidationError, match="reason"):
        connect().send_correction(
            ac.Correction.full_reversal(
                reference="c", original=invoice(), original_document=sent, reason="x" * 257, issue_date="2026-01-15"
            )
        )
    assert fake.request_count == 0


# ------------------------------------------------------------------ PDF


def test_a_fresh_pdf_is_retried_while_it_answers_422(
    connect: Any, fake: FakturowniaFake, fake_clock: FakeClock
) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    pdf = conn.fetch_pdf(sent)
    assert pdf.startswith(b"%PDF") and b"1/01/2026" in pdf
    pdfs = [r for r in fake.requests if r.url.path.endswith(".pdf")]
    assert len(pdfs) == 3  # 422 at 0 s and 2 s (pdf_delay 3 s), the PDF at 4 s


def test_a_ksef_pdf_waits_for_the_ksef_number(connect: Any, fake: FakturowniaFake) -> None:
    fake.add_account("ksef", "ksef-token", ksef=True)
    conn = connect(account="ksef", api_token="ksef-token")
    sent = conn.send_invoice(invoice())
    assert conn.fetch_pdf(sent).startswith(b"%PDF")
    assert any(r.url.path.endswith(".pdf") for r in fake.requests)


def test_a_pdf_never_ready_is_a_typed_error(connect: Any, fake: FakturowniaFake) -> None:
    fake.pdf_delay = 1000
    conn = connect(pdf_wait=6)
    sent = conn.send_invoice(invoice())
    with pytest.raises(FakturowniaPdfNotReady, match="not ready") as caught:
        conn.fetch_pdf(sent)
    assert caught.value.retry_safe
    assert len([r for r in fake.requests if r.url.path.endswith(".pdf")]) == 4


def test_a_pdf_redirect_is_followed_without_the_token_off_host(connect: Any, fake_clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "demo.fakturownia.pl":
            return httpx.Response(302, headers={"Location": "https://files.example.net/a.pdf"})
        return httpx.Response(200, content=b"%PDF-1.4 tiny")

    conn = connect(transport=httpx.MockTransport(handler))
    document = ac.SentDocument(provider="fakturownia", kind=ac.DocumentKind.INVOICE, reference="x", external_id="9")
    assert conn.fetch_pdf(document) == b"%PDF-1.4 tiny"
    assert "Authorization" in seen[0].headers and "Authorization" not in seen[1].headers


# ------------------------------------------------------------------ payments, series, stock, lists


def test_record_payment_sets_the_paid_amount(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48", paid_on="2026-01-20"))
    assert fake.documents[0].paid == Decimal("54.48") and fake.documents[0].detail["status"] == "partial"
    recorded = conn.record_payment(sent, ac.Payment(method="transfer", amount="100.00"))
    assert fake.documents[0].paid == Decimal("154.48") and fake.documents[0].detail["status"] == "paid"
    assert recorded.kind is ac.DocumentKind.PAYMENT
    update = body_of(next(r for r in fake.requests if r.method == "PUT"))
    assert update == {"invoice": {"paid": "54.48", "status": "partial", "paid_date": "2026-01-20"}}
    with pytest.raises(ac.ValidationError, match="unpaid"):
        conn.record_payment(sent, ac.Payment(method="transfer", amount="0.01"))


def test_record_payment_as_a_bank_payment(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect(payment_records=True)
    sent = conn.send_invoice(invoice())
    recorded = conn.record_payment(sent, ac.Payment(method="transfer", amount="154.48", paid_on="2026-01-20"))
    request = next(r for r in fake.requests if r.url.path == "/banking/payments.json")
    record = body_of(request)["banking_payment"]
    assert (record["price"], record["invoice_id"], record["paid"], record["kind"]) == (
        "154.48",
        int(sent.external_id),
        True,
        "api",
    )
    assert recorded.external_id == str(fake.account().payments[0]["id"])
    assert fake.documents[0].paid == Decimal("154.48")


def test_series_are_departments_and_choose_the_issuer(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect(department_id=11)
    series = conn.list_series()
    assert [(s.name, s.is_default) for s in series] == [("Demo Sp. z o.o.", True), ("Demo Oddział Kraków", False)]
    conn.send_invoice(invoice(series="KRK"))
    assert body_of(posts(fake)[0])["invoice"]["department_id"] == 12
    with pytest.raises(ac.ValidationError, match="department"):
        conn.send_invoice(invoice(reference="x", series="Nope"))


def test_stock_goes_by_product_id_and_warehouse(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect(warehouse_id=7)
    line = ac.Line(name="Produkt A", quantity=3, unit="szt", unit_price="100", vat=ac.VatRate.of(23), sku="SKU-1")
    conn.send_invoice(invoice(lines=[line], use_stock=True))
    body = body_of(posts(fake)[0])["invoice"]
    assert body["warehouse_id"] == 7 and body["positions"][0]["product_id"] == 4711
    assert body["positions"][0]["code"] == "SKU-1"
    assert fake.account().products[0]["stock_level"] == "97.0"
    unknown = ac.Line(name="X", quantity=1, unit="szt", unit_price="1", vat=ac.VatRate.of(23), sku="NOPE")
    before = len(posts(fake))
    with pytest.raises(ac.ValidationError, match="NOPE"):
        conn.send_invoice(invoice(reference="x", lines=[unknown], use_stock=True))
    assert len(posts(fake)) == before


def test_fixed_lists_need_no_request(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    assert "cheque" in [t.name for t in conn.list_payment_types()]
    assert [r.name for r in conn.list_vat_rates()] == ["23", "8", "5", "0", "zw", "np", "oo"]
    assert fake.request_count == 0


def test_every_capability_has_a_note() -> None:
    assert all(entry.note for _, entry in CAPABILITIES)


# ------------------------------------------------------------------ the codec (property tests)

amounts = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("10000"), places=4)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3)
rates = st.sampled_from(["0", "5", "8", "23"]).map(ac.VatRate.of)


@given(amounts)
def test_money_round_trips_through_its_wire_text(amount: Decimal) -> None:
    text = money_text(amount)
    assert parse_money(text) == amount and text.count(".") == 1 and len(text.split(".")[1]) == 2
    assert parse_money(text.replace(".", ",")) == amount  # a decimal comma, as one README example sends


@given(quantities)
def test_quantities_round_trip(quantity: Decimal) -> None:
    assert Decimal(quantity_text(quantity)) == quantity


@given(prices, quantities, rates, st.booleans())
def test_the_net_fakturownia_derives_from_the_gross_is_the_lines_net(
    price: Decimal, quantity: Decimal, vat: ac.VatRate, gross_prices: bool
) -> None:
    line = ac.Line(name="x", quantity=quantity, unit="szt", unit_price=price, vat=vat)
    totals = position_totals(line, prices_include_vat=gross_prices)
    amount = (quantity * price).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert totals.net + totals.vat == totals.gross
    if not gross_prices:
        assert totals.net == amount  # the round trip net -> gross -> net loses nothing
    else:
        assert totals.gross == amount


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(prices, quantities, rates), min_size=1, max_size=4), st.booleans())
def test_the_fake_books_what_the_connector_computes(parts: list[Any], gross_prices: bool) -> None:
    clock = FakeClock()
    fake = FakturowniaFake.demo(clock=clock)
    lines = [ac.Line(name=f"L{i}", quantity=q, unit="szt", unit_price=p, vat=v) for i, (p, q, v) in enumerate(parts)]
    sample = invoice(lines=lines, prices_include_vat=gross_prices)
    with ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=fake, clock=clock) as conn:
        sent = conn.send_invoice(sample)
    expected = booked_totals(lines, prices_include_vat=gross_prices)
    assert Decimal(sent.raw["price_gross"]) == expected.gross
    assert Decimal(sent.raw["price_net"]) == expected.net


@given(st.sampled_from(["23", "8", "5", "0", "zw", "np", "NP", "n/a", "Nie podlega", "oo", "7.5"]))
def test_tax_codes_read_back(code: str) -> None:
    vat = parse_tax(code)
    assert vat is not None
    assert tax_code(vat) == ("np" if code.casefold() in ("np", "n/a", "nie podlega") else code)


def test_odd_answers_are_read_tolerantly() -> None:
    assert parse_money("89.0") == Decimal("89.0") and parse_money("") is None and parse_money(12) == Decimal(12)
    assert parse_tax("disabled") is None and parse_tax("abc") is None
    assert parse_date("") is None and parse_date("2026-11") == dt.date(2026, 11, 1)
    assert parse_date("2026-01-15T10:00:00.000+01:00") == dt.date(2026, 1, 15)
    with pytest.raises(ac.ValidationError):
        money_text(Decimal("1.005"))


# ------------------------------------------------------------------ the docs page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "providers" / "fakturownia.md"


def test_the_docs_table_is_the_capability_matrix() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for capability, entry in CAPABILITIES:
        assert f"| `{capability.value}` | {entry.support.value} | {entry.note} |" in text


def test_the_docs_example_runs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("## Testing against the fake", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    exec(compile(example, str(DOCS), "exec"), {})


# ------------------------------------------------------------------ answers the fake does not give


def scripted(answers: dict[tuple[str, str], list[httpx.Response]]) -> httpx.MockTransport:
    """A transport answering each (method, path) from its own queue."""

    def handler(request: httpx.Request) -> httpx.Response:
        return answers[(request.method, request.url.path)].pop(0)

    return httpx.MockTransport(handler)


def test_an_oid_refusal_with_nothing_to_read_back_is_raised(connect: Any) -> None:
    refusal = {"code": "error", "message": {"oid": ["zajęte"]}}
    transport = scripted(
        {
            ("POST", "/invoices.json"): [httpx.Response(422, json=refusal)],
            ("GET", "/invoices.json"): [httpx.Response(200, json=[])],
        }
    )
    with pytest.raises(ac.ProviderValidationError) as caught:
        connect(transport=transport).send_invoice(invoice())
    assert caught.value.field_errors == {"oid": ["zajęte"]}


def test_a_200_with_an_id_is_believed_only_after_reading_it_back(connect: Any) -> None:
    stored = {"id": 77, "kind": "vat", "number": "5/01/2026", "oid": "ORDER-1001/vat", "issue_date": "2026-01-15"}
    transport = scripted(
        {
            ("POST", "/invoices.json"): [httpx.Response(200, json={"id": 77}), httpx.Response(200, json={"id": 78})],
            ("GET", "/invoices/77.json"): [httpx.Response(200, json=stored)],
            ("GET", "/invoices/78.json"): [httpx.Response(404, json={"code": "error", "message": "Not found"})],
            ("GET", "/invoices.json"): [httpx.Response(200, json=[])],
        }
    )
    conn = connect(transport=transport)
    assert conn.send_invoice(invoice()).number == "5/01/2026"
    with pytest.raises(ac.PermissionDenied):
        conn.send_invoice(invoice())


def test_a_2xx_error_under_status_is_a_failure(connect: Any) -> None:
    body = {"message": "Faktura nie może zostać wysłana - brak numeru KSeF", "status": "error"}
    transport = scripted({("POST", "/invoices.json"): [httpx.Response(200, json=body)]})
    with pytest.raises(ac.ProviderValidationError, match="brak numeru KSeF"):
        connect(transport=transport).send_invoice(invoice())


def test_a_full_page_of_other_documents_pages_on_until_a_short_page(connect: Any) -> None:
    others = [{"id": i, "kind": "vat", "oid": f"X{i}ORDER-1001/vat"} for i in range(100)]
    transport = scripted({("GET", "/invoices.json"): [httpx.Response(200, json=others), httpx.Response(200, json=[])]})
    assert connect(transport=transport).find_document(ac.DocumentKind.INVOICE, "ORDER-1001") is None


def test_bulk_export_reaches_the_ceiling_without_a_penalty(fake_clock: FakeClock, tmp_path: Any) -> None:
    from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger

    fake = FakturowniaFake.demo(clock=fake_clock)
    conn = ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=fake, clock=fake_clock)
    # Two in flight: the most any source allows (FK-CL, §13).
    exporter = Exporter(
        conn, IntegrationSettings(max_concurrency=2), SQLiteLedger(tmp_path / "l.db"), clock=fake_clock.time
    )
    start = fake_clock.time()
    report = exporter.export_many(invoice(reference=f"B-{index}") for index in range(180))
    elapsed = fake_clock.time() - start
    assert report.sent == 180 and fake.penalties == 0 and fake.request_count == 180
    # 60 a minute in any window: 180 calls need two full windows after the first 60.
    assert 120 <= elapsed < 130


def test_a_read_only_token_records_no_payment(connect: Any, fake: FakturowniaFake) -> None:
    sent = connect().send_invoice(invoice())
    fake.add_token("demo", "viewer", read_only=True)
    for options in ({}, {"payment_records": True}):
        with pytest.raises(ac.PermissionDenied, match="read-only"):
            connect(api_token="viewer", **options).record_payment(sent, ac.Payment(method="cash", amount="1.00"))
    assert fake.documents[0].paid == 0 and fake.account().payments == []


POST_FAULTS = st.sampled_from(
    [Fault.TIMEOUT_BEFORE_COMMIT, Fault.TIMEOUT_AFTER_COMMIT, Fault.SERVER_ERROR, Fault.CONNECTION_RESET]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(POST_FAULTS, max_size=4),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=4),
)
def test_whatever_fails_a_reference_ends_as_one_document(
    post_faults: list[Fault], commit_failures: int, lookup_failures: int
) -> None:
    """Send once, as a property: any mix of lost answers, 5xx (before or after commit), resets
    and failing lookups ends with exactly one document for the reference, or with a retry-safe
    error after which sending again gives that one document."""
    clock = FakeClock()
    fake = FakturowniaFake.demo(clock=clock)
    for fault in post_faults:
        fake.inject(fault, "invoices.json", method="POST")
    if lookup_failures:
        fake.inject(Fault.SERVER_ERROR, "invoices.json", method="GET", times=lookup_failures)
    if commit_failures:
        fake.fail_after_commit(502, times=commit_failures)
    with ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=fake, clock=clock) as conn:
        try:
            sent = conn.send_invoice(invoice())
        except (ac.AmbiguousOutcome, ac.TransportError) as error:
            assert error.retry_safe
            assert len(fake.documents) <= 1
            fake.clear_faults()
            sent = conn.send_invoice(invoice())
        mine = [d for d in fake.documents if d.reference == "ORDER-1001/vat"]
        assert len(mine) == 1 and len(fake.documents) == 1
        assert sent.external_id == mine[0].id and sent.number == mine[0].number


def test_the_connect_overload_catches_misspelt_settings(tmp_path: Path) -> None:
    from mypy import api as mypy_api

    source = tmp_path / "uses_fakturownia.py"
    source.write_text(
        "import accounting_connectors as ac\n"
        'ac.connect("fakturownia", account="firma", api_token="t", department_id=3)\n'
        'ac.connect("fakturownia", account="firma", api_tokne="t")\n'
        'ac.connect_async("fakturownia", account="firma", api_token="t", timeout=5.0)\n'
        'ac.connect_async("fakturownia", api_token="t")\n',
        encoding="utf-8",
    )
    out, err, _ = mypy_api.run(["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(source)])
    errors = {line.split(":")[1] for line in out.splitlines() if ": error:" in line}
    assert errors == {"3", "5"}, out + err


# ------------------------------------------------------------------ review fixes


def test_a_bank_payment_whose_answer_is_lost_is_not_recorded_twice(connect: Any, fake: FakturowniaFake) -> None:
    """A bank payment is a create without an ``oid``: never resent blindly (§11, §13)."""
    conn = connect(payment_records=True)
    sent = conn.send_invoice(invoice())
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "banking/payments.json", method="POST")
    recorded = conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48"))
    assert len(fake.account().payments) == 1 and fake.documents[0].paid == Decimal("54.48")
    assert recorded.kind is ac.DocumentKind.PAYMENT
    posted = [r for r in fake.requests if r.url.path == "/banking/payments.json"]
    assert len(posted) == 1


def test_a_bank_payment_lost_before_commit_is_sent_again_after_reading_back(
    connect: Any, fake: FakturowniaFake
) -> None:
    conn = connect(payment_records=True)
    sent = conn.send_invoice(invoice())
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "banking/payments.json", method="POST")
    conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48"))
    assert len(fake.account().payments) == 1 and fake.documents[0].paid == Decimal("54.48")


def test_a_bank_payment_lost_twice_is_ambiguous_not_doubled(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect(payment_records=True)
    sent = conn.send_invoice(invoice())
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "banking/payments.json", method="POST", times=2)
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48"))
    assert caught.value.retry_safe and fake.account().payments == []


def test_a_correction_of_exempt_lines_carries_exempt_tax_kind(connect: Any, fake: FakturowniaFake) -> None:
    """KSeF refuses ``zw`` lines without ``exempt_tax_kind`` on every document (carried-over §1.3)."""
    fake.add_account("ksef", "ksef-token", ksef=True)
    conn = connect(account="ksef", api_token="ksef-token", exempt_tax_kind="art. 43 ust. 1 pkt 37")
    line = ac.Line(name="Usługa", quantity=2, unit="h", unit_price="100", vat=ac.VatRate.special(ac.VatKind.EXEMPT))
    original = invoice(lines=[line])
    sent = conn.send_invoice(original)
    made = conn.send_correction(
        ac.Correction.full_reversal(
            reference="ORDER-1001", original=original, original_document=sent, reason="Zwrot", issue_date="2026-01-20"
        )
    )
    body = body_of(posts(fake)[1])["invoice"]
    assert body["exempt_tax_kind"] == "art. 43 ust. 1 pkt 37" and made.kind is ac.DocumentKind.CORRECTION


def test_a_correction_of_reverse_charge_lines_keeps_reverse_charge(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    line = ac.Line(name="A", quantity=1, unit="h", unit_price="100", vat=ac.VatRate.special(ac.VatKind.REVERSE_CHARGE))
    original = invoice(lines=[line])
    sent = conn.send_invoice(original)
    conn.send_correction(
        ac.Correction.full_reversal(
            reference="ORDER-1001", original=original, original_document=sent, reason="Zwrot", issue_date="2026-01-20"
        )
    )
    body = body_of(posts(fake)[1])["invoice"]
    assert body["reverse_charge"] is True and body["positions"][0]["tax"] == "oo"


@pytest.mark.parametrize(("language", "lang"), [("PL", "pl"), ("cs", "cz"), ("zh", "cn"), ("EN", "en"), ("el", "el")])
def test_lang_is_one_of_fakturownias_codes(connect: Any, fake: FakturowniaFake, language: str, lang: str) -> None:
    """Fakturownia writes Czech ``cz`` and Chinese ``cn`` (carried-over §1.3)."""
    connect().send_invoice(invoice(language=language))
    assert body_of(posts(fake)[0])["invoice"]["lang"] == lang


def test_a_language_fakturownia_does_not_print_is_refused_before_any_request(
    connect: Any, fake: FakturowniaFake
) -> None:
    with pytest.raises(ac.ValidationError, match="language"):
        connect().send_invoice(invoice(language="pt"))
    with pytest.raises(ac.ValidationError, match="language"):
        connect().send_receipt(receipt(language="sv"))
    assert fake.request_count == 0


def test_stock_without_a_warehouse_is_refused_before_any_request(connect: Any, fake: FakturowniaFake) -> None:
    """Stock moves by ``product_id`` with ``warehouse_id`` (§12): without a warehouse it would not move."""
    line = ac.Line(name="Produkt A", quantity=3, unit="szt", unit_price="100", vat=ac.VatRate.of(23), sku="SKU-1")
    with pytest.raises(ac.ValidationError, match="warehouse"):
        connect().send_invoice(invoice(lines=[line], use_stock=True))
    assert fake.request_count == 0


def test_the_documented_field_list_names_the_right_sections() -> None:
    from ..conformance.cases.fakturownia import FIELDS

    expected = {
        "additional_params": "§8",
        "calculating_strategy": "§5.1",
        "corrected_content_before": "carried-over §1.7",
        "buyer_mobile_phone": "carried-over §1.7",
        "additional_info_desc": "carried-over §1.6",
        "use_prices_from_price_lists": "carried-over §1.6",
        "price_list_id": "carried-over §1.6",
        "?api_token": "§1",
        "?income": "carried-over §1.2",
        "?search_date_type": "carried-over §1.2",
        "?update_buyer_email": "carried-over §1.2",
        "?include": "carried-over §1.2",
        "?name": "carried-over §1.2",
        "?shortcut": "carried-over §1.2",
        "?tax_no": "§3",
    }
    assert {name: FIELDS[name].removeprefix("fakturownia.md ") for name in expected} == expected


def test_the_series_listed_for_an_account_without_departments_can_be_used(connect: Any, fake: FakturowniaFake) -> None:
    """No departments: the one listed series, ``default``, is the account's own company data (§7)."""
    fake.add_account("plain", "plain-token")
    conn = connect(account="plain", api_token="plain-token")
    [series] = conn.list_series()
    sent = conn.send_invoice(invoice(series=series.name))
    assert "department_id" not in body_of(posts(fake)[0])["invoice"] and sent.number == "1/01/2026"
    receipt_sent = conn.send_receipt(receipt(series=series.name))
    assert receipt_sent.kind is ac.DocumentKind.RECEIPT


def test_bulk_export_keeps_at_most_two_requests_in_flight(fake: FakturowniaFake, fake_clock: FakeClock) -> None:
    """UNCERTAIN (§13): at most two requests in flight. The kit has no in-flight cap, so the
    exporter sends Fakturownia documents one after another whatever its ``max_concurrency``."""
    conn = ac.connect("fakturownia", account="demo", api_token=TOKEN, transport=fake, clock=fake_clock)
    assert conn.one_document_at_a_time and Fakturownia.one_document_at_a_time


def test_a_paid_amount_whose_answers_are_all_lost_is_read_back(connect: Any, fake: FakturowniaFake) -> None:
    """The PUT is retried (it is absolute), but once retries run out the caller would record the
    payment again on top of itself: the invoice is read back instead (§11 "Confirm")."""
    conn = connect()
    sent = conn.send_invoice(invoice())
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, f"invoices/{sent.external_id}.json", method="PUT", times=None)
    recorded = conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48"))
    assert recorded.kind is ac.DocumentKind.PAYMENT and fake.documents[0].paid == Decimal("54.48")


def test_a_paid_amount_that_never_arrived_is_retry_safe(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect()
    sent = conn.send_invoice(invoice())
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, f"invoices/{sent.external_id}.json", method="PUT", times=None)
    with pytest.raises(ac.AccountingError) as caught:
        conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48"))
    assert caught.value.retry_safe and fake.documents[0].paid == 0
    fake.clear_faults()
    conn.record_payment(sent, ac.Payment(method="transfer", amount="54.48"))
    assert fake.documents[0].paid == Decimal("54.48")


def test_a_product_added_after_the_first_lookup_is_found(connect: Any, fake: FakturowniaFake) -> None:
    conn = connect(warehouse_id=7)
    line = ac.Line(name="Produkt A", quantity=1, unit="szt", unit_price="100", vat=ac.VatRate.of(23), sku="SKU-1")
    conn.send_invoice(invoice(lines=[line], use_stock=True))
    fake.account().products.append({"id": 4713, "name": "Nowy", "code": "SKU-3", "tax": "23", "stock_level": "5.0"})
    fresh = ac.Line(name="Nowy", quantity=1, unit="szt", unit_price="10", vat=ac.VatRate.of(23), sku="SKU-3")
    conn.send_invoice(invoice(reference="ORDER-2", lines=[fresh], use_stock=True))
    assert body_of(posts(fake)[1])["invoice"]["positions"][0]["product_id"] == 4713
    assert fake.account().products[-1]["stock_level"] == "4.0"


def test_a_sku_two_products_share_is_refused_before_the_create(connect: Any, fake: FakturowniaFake) -> None:
    """Stock goes by product_id (§12): a code that names two products names no one product."""
    fake.account().products.append({"id": 4799, "name": "Kopia", "code": "SKU-1", "tax": "23", "stock_level": "1.0"})
    line = ac.Line(name="Produkt A", quantity=1, unit="szt", unit_price="100", vat=ac.VatRate.of(23), sku="SKU-1")
    with pytest.raises(ac.ValidationError, match="SKU-1"):
        connect(warehouse_id=7).send_invoice(invoice(lines=[line], use_stock=True))
    assert posts(fake) == []
