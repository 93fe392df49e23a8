"""Tests of the inFakt fake, driven with plain httpx requests and hand-written JSON.

The request bodies are written out by hand from the reference (§2 of the inFakt sheet),
not produced by the connector, so the fake is checked against the documentation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounting_connectors.testing import pytest_plugin
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.documents import StoredDocument
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.infakt import InFaktDetail, InFaktFake

BASE = "https://api.infakt.pl/api/v3/"
KEY = "demo-key"

fake_clock = pytest_plugin.fake_clock
infakt_fake = pytest_plugin.infakt_fake


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake(infakt_fake: InFaktFake) -> InFaktFake:
    return infakt_fake


@pytest.fixture
def client(fake: InFaktFake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as c:
        yield c


def invoices(fake: InFaktFake) -> list[StoredDocument]:
    return [document for document in fake.documents if document.kind == "vat"]


def detail(document: StoredDocument | None) -> InFaktDetail:
    assert document is not None and isinstance(document.detail, InFaktDetail)
    return document.detail


def invoice(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "currency": "PLN",
        "invoice_date": "2026-01-15",
        "sale_date": "2026-01-15",
        "payment_method": "transfer",
        "client_company_name": "Sklep Sp. z o.o.",
        "client_tax_code": "5260250995",
        "client_country": "PL",
        "services": [
            {"name": "Koszulka", "tax_symbol": "23", "unit": "szt.", "quantity": 2, "unit_net_price": 4999},
            {"name": "Kurs", "tax_symbol": "zw", "unit": "usł.", "quantity": 1, "unit_net_price": 10000},
        ],
    }
    body.update(overrides)
    return {"invoice": body}


def create(client: httpx.Client, body: dict[str, Any], kind: str = "invoices") -> dict[str, Any]:
    """Create through the async API and poll to the end; the final task envelope."""
    accepted = client.post(f"async/{kind}.json", json=body)
    assert accepted.status_code == 202, accepted.text
    reference = accepted.json()["invoice_task_reference_number"]
    for _ in range(10):
        status = client.get(f"async/{kind}/status/{reference}.json").json()
        if status["processing_code"] in (201, 422):
            return status  # type: ignore[no-any-return]
    raise AssertionError("the task never finished")


def test_auth_is_the_api_key_header(fake: InFaktFake) -> None:
    with httpx.Client(transport=fake, base_url=BASE) as anonymous:
        answer = anonymous.get("vat_rates.json")
    assert answer.status_code == 401 and "error" in answer.json()
    with httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": "wrong"}) as wrong:
        assert wrong.get("vat_rates.json").status_code == 401


def test_sandbox_host_and_unknown_hosts(fake: InFaktFake) -> None:
    with httpx.Client(transport=fake, headers={"X-inFakt-ApiKey": KEY}) as c:
        assert c.get("https://api.sandbox-infakt.pl/api/v3/vat_rates.json").status_code == 200
        with pytest.raises(httpx.ConnectError):
            c.get("https://example.com/api/v3/vat_rates.json")
        assert c.get(BASE + "no/such/thing.json").status_code == 404


def test_the_task_lifecycle(client: httpx.Client, fake: InFaktFake) -> None:
    fake.task_polls = 2
    accepted = client.post("async/invoices.json", json=invoice())
    assert accepted.status_code == 202
    envelope = accepted.json()
    assert envelope["processing_code"] == 100 and envelope["processing_description"] == "Zlecenie przyjęte"
    assert envelope["timestamps"]["task_created_at"].endswith("+0100")
    reference = envelope["invoice_task_reference_number"]
    codes = [client.get(f"async/invoices/status/{reference}.json").json()["processing_code"] for _ in range(4)]
    assert codes == [120, 120, 201, 201]
    done = client.get(f"async/invoices/status/{reference}.json").json()
    assert done["processing_description"] == "Faktura stworzona" and done["action"] == "create_invoice"
    stored = client.get(f"invoices/{done['invoice_uuid']}.json").json()
    assert stored["number"] == "1/01/2026" and stored["status"] == "draft" and stored["kind"] == "vat"
    # 2 x 49.99 at 23 % plus 100.00 exempt: VAT once per rate.
    assert (stored["net_price"], stored["tax_price"], stored["gross_price"]) == (19998, 2300, 22298)
    assert stored["left_to_pay"] == 22298
    assert client.get("async/invoices/status/nope.json").status_code == 404


def test_a_task_that_never_finishes(client: httpx.Client, fake: InFaktFake) -> None:
    fake.task_polls = None
    reference = client.post("async/invoices.json", json=invoice()).json()["invoice_task_reference_number"]
    for _ in range(20):
        assert client.get(f"async/invoices/status/{reference}.json").json()["processing_code"] == 120
    assert fake.pending_tasks == [reference] and invoices(fake) == []


def test_validation_fails_the_task_with_field_errors(client: httpx.Client, fake: InFaktFake) -> None:
    bad = invoice(services=[{"name": "", "tax_symbol": "", "quantity": 1, "unit_net_price": "49.99"}])
    status = create(client, bad)
    assert status["processing_code"] == 422 and status["processing_description"] == "Nie udało się stworzyć faktury"
    errors = status["invoice_errors"]
    assert {"services[0].name", "services[0].tax_symbol", "services.gross", "services[0].unit_net_price"} <= set(errors)
    assert "invoice_uuid" not in status and invoices(fake) == []


def test_money_must_be_integer_grosze(client: httpx.Client) -> None:
    status = create(client, invoice(services=[{"name": "x", "tax_symbol": "23", "quantity": 1, "gross_price": 12.3}]))
    assert "services[0].gross_price" in status["invoice_errors"]


def test_a_client_is_required(client: httpx.Client) -> None:
    body = invoice()
    del body["invoice"]["client_company_name"]
    assert create(client, body)["invoice_errors"] == {"client_id": ["client_id required"]}


def test_transfer_needs_a_bank_account(client: httpx.Client, fake: InFaktFake) -> None:
    fake.bank_account = False
    assert "payment_method" in create(client, invoice())["invoice_errors"]
    assert create(client, invoice(payment_method="cash"))["processing_code"] == 201


def test_sync_validation_answers_422_with_errors(client: httpx.Client, fake: InFaktFake) -> None:
    fake.sync_validation = True
    answer = client.post("async/invoices.json", json=invoice(payment_method="blik"))
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"payment_method": ["nieznana metoda płatności"]}
    assert client.post("async/invoices.json", json={"faktura": {}}).status_code == 422


def test_unknown_fields_are_silently_ignored(client: httpx.Client, fake: InFaktFake) -> None:
    # IF-OL: wrong names (post_code) are dropped without an error.
    assert create(client, invoice(client_postal_code="00-001", post_code="00-001"))["processing_code"] == 201
    assert sorted(fake.ignored_fields) == ["client_postal_code", "post_code"]


def test_missing_currency_falls_back_to_the_account_currency(client: httpx.Client) -> None:
    body = invoice()
    del body["invoice"]["currency"]
    uuid = create(client, body)["invoice_uuid"]
    assert client.get(f"invoices/{uuid}.json").json()["currency"] == "PLN"


def test_numbering_and_own_numbers(client: httpx.Client, fake: InFaktFake) -> None:
    assert client.get("invoices/next_number.json", params={"kind": "vat", "date": "2026-02-03"}).json() == {
        "invoice_date": "2026-02-03",
        "invoice_kind": "vat",
        "next_number": "1/02/2026",
    }
    create(client, invoice())
    create(client, invoice(invoice_date="2026-02-03"))
    create(client, invoice(invoice_date="2026-01-20"))
    assert [stored.number for stored in invoices(fake)] == ["1/01/2026", "1/02/2026", "2/01/2026"]
    assert create(client, invoice(number="WEB/1"))["processing_code"] == 201
    duplicate = create(client, invoice(number="WEB/1", check_duplicate_number=True))
    assert duplicate["processing_code"] == 422 and "number" in duplicate["invoice_errors"]
    assert create(client, invoice(number="WEB/1"))["processing_code"] == 201  # without the check


def test_pdf_marks_the_invoice_printed(client: httpx.Client, fake: InFaktFake) -> None:
    uuid = create(client, invoice())["invoice_uuid"]
    assert client.get(f"invoices/{uuid}/pdf.json").status_code == 400  # document_type is required
    answer = client.get(f"invoices/{uuid}/pdf.json", params={"document_type": "original", "locale": "en"})
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    assert b"1/01/2026" in answer.content
    assert client.get(f"invoices/{uuid}.json").json()["status"] == "printed"


def test_mark_paid(client: httpx.Client, fake: InFaktFake) -> None:
    uuid = create(client, invoice())["invoice_uuid"]
    early = client.post(f"async/invoices/{uuid}/paid.json", json={"invoice": {"paid_date": "2026-01-01"}})
    assert early.status_code == 422 and "paid_date" in early.json()["errors"]
    answer = client.post(f"async/invoices/{uuid}/paid.json", json={"invoice": {"paid_date": "2026-01-20"}})
    assert answer.status_code == 201 and answer.json()["invoice_task_reference_number"]
    stored = client.get(f"invoices/{uuid}.json").json()
    assert (stored["status"], stored["paid_date"], stored["left_to_pay"]) == ("paid", "2026-01-20", 0)
    # Top-level form (IF-PHP1) and a repeated mark are accepted too.
    assert client.post(f"async/invoices/{uuid}/paid.json", json={"paid_date": "2026-01-21"}).status_code == 201
    assert client.post("async/invoices/nope/paid.json", json={}).status_code == 404


def test_a_paid_mark_is_accepted_not_applied(client: httpx.Client, fake: InFaktFake) -> None:
    # IF-README: "Kod 201 oznacza przyjęcie zlecenia, nie opłacenie" (infakt.md "Newer findings" a1).
    fake.paid_reads = 2
    uuid = create(client, invoice())["invoice_uuid"]
    answer = client.post(f"async/invoices/{uuid}/paid.json", json={"invoice": {"paid_date": "2026-01-20"}})
    assert answer.status_code == 201 and answer.json()["processing_code"] == 100
    reads = [client.get(f"invoices/{uuid}.json").json() for _ in range(3)]
    assert [(r["status"], r["paid_date"]) for r in reads] == [("draft", None), ("draft", None), ("paid", "2026-01-20")]
    fake.paid_reads = None  # a mark that never lands
    other = create(client, invoice())["invoice_uuid"]
    client.post(f"async/invoices/{other}/paid.json", json={"invoice": {"paid_date": "2026-01-20"}})
    assert {client.get(f"invoices/{other}.json").json()["status"] for _ in range(5)} == {"draft"}


def test_a_sole_trader_needs_a_company_name(client: httpx.Client, fake: InFaktFake) -> None:
    # IF-DEV-CLIENTS: company_name is required for a JDG (self_employed) or another business.
    person = {"client_company_name": None, "client_first_name": "Jan", "client_last_name": "Kowalski",
              "client_business_activity_kind": "self_employed"}  # fmt: skip
    refused = create(client, invoice(**person))
    assert refused["processing_code"] == 422 and "client_company_name" in refused["invoice_errors"]
    named = create(client, invoice(**{**person, "client_company_name": "Jan Kowalski Usługi"}))
    assert named["processing_code"] == 201
    assert create(client, invoice(client_business_activity_kind="self-employed"))["processing_code"] == 422
    record = {"first_name": "Jan", "last_name": "Kowalski", "business_activity_kind": "self_employed", "country": "PL"}
    answer = client.post("clients.json", json={"client": record})
    assert answer.status_code == 422 and "company_name" in answer.json()["errors"]
    assert client.post("clients.json", json={"client": {**record, "company_name": "JK"}}).status_code == 201


def test_corrections(client: httpx.Client, fake: InFaktFake) -> None:
    uuid = create(client, invoice())["invoice_uuid"]
    original = client.get(f"invoices/{uuid}.json").json()
    inline_only = {"corrective_invoice": {"currency": "PLN", "client_company_name": "Sklep Sp. z o.o.", "services": []}}
    assert "client_id" in create(client, inline_only, "corrective_invoices")["invoice_errors"]  # IF-OL, live
    assert client.post("clients.json", json={"client": {"name": "Sklep"}}).status_code == 422  # IF-OL: company_name
    stored_client = client.post("clients.json", json={"client": {"company_name": "Sklep Sp. z o.o.", "country": "PL"}})
    assert stored_client.status_code == 201
    correction = {
        "corrective_invoice": {
            "currency": "PLN",
            "payment_method": "cash",
            "client_id": stored_client.json()["id"],
            "invoice_date": "2026-01-20",
            "corrected_invoice_number": original["number"],
            "corrected_invoice_date": "2026-01-15",
            "corrected_invoice_uuid": uuid,
            "correction_reason": "other",
            "services": [
                {"name": "Koszulka", "tax_symbol": "23", "quantity": 2, "unit": "szt.", "unit_net_price": 4999,
                 "group": "1", "correction": False},
                {"name": "Koszulka", "tax_symbol": "23", "quantity": 1, "unit": "szt.", "unit_net_price": 4999,
                 "group": "1", "correction": True},
            ],
        }
    }  # fmt: skip
    status = create(client, correction, "corrective_invoices")
    assert status["processing_code"] == 201
    corrected = status["invoice_uuid"]
    assert client.get(f"invoices/{corrected}.json").status_code == 404  # IF-OL: only under corrective_invoices
    stored = client.get(f"corrective_invoices/{corrected}.json").json()
    assert stored["kind"] == "correction" and stored["number"] == "KOR/1/01/2026"
    assert stored["correction_reason_symbol"] == "other" and stored["correction_reason"] == "Inne: np. zwrot, rabat"
    assert stored["gross_price"] == -6149
    pdf = client.get(f"corrective_invoices/{corrected}/pdf.json", params={"document_type": "original"})
    assert pdf.content.startswith(b"%PDF")
    unpaired = dict(correction["corrective_invoice"])
    unpaired["services"] = unpaired["services"][:1]
    unpaired["corrected_invoice_number"] = "9/09/2099"
    unpaired["correction_reason"] = "zwrot"
    failed = create(client, {"corrective_invoice": unpaired}, "corrective_invoices")
    assert {"services", "corrected_invoice_number", "correction_reason"} <= set(failed["invoice_errors"])


def test_the_traps_of_the_other_routes(client: httpx.Client, fake: InFaktFake) -> None:
    # IF-OL #1337: kind "corrective" on invoices.json silently issues a VAT invoice.
    created = client.post("invoices.json", json=invoice(kind="corrective"))
    assert created.status_code == 201 and created.json()["kind"] == "vat"
    # IF-OL #1899: the bare corrective_invoices.json answers 500.
    assert client.post("corrective_invoices.json", json={"corrective_invoice": {}}).status_code == 500


def test_vat_rates_list_envelope(client: httpx.Client) -> None:
    body = client.get("vat_rates.json").json()
    assert body["metainfo"]["total_count"] == len(body["entities"])
    assert {entity["symbol"] for entity in body["entities"]} >= {"23", "8", "5", "0", "zw", "np"}


def test_write_and_read_limits_with_retry_after(client: httpx.Client, fake: InFaktFake, fake_clock: FakeClock) -> None:
    for _ in range(150):
        client.post("async/invoices.json", json=invoice())
    refused = client.post("async/invoices.json", json=invoice())
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert client.get("vat_rates.json").status_code == 200  # reads have their own budget
    fake_clock.advance(30)
    assert client.post("async/invoices.json", json=invoice()).headers["Retry-After"] == "30"
    fake_clock.advance(30)
    assert client.post("async/invoices.json", json=invoice()).status_code == 202
    for _ in range(300):  # the read at the start of the test left the window
        client.get("vat_rates.json")
    assert client.get("vat_rates.json").status_code == 429
    assert fake.penalties == 3


def test_faults(client: httpx.Client, fake: InFaktFake) -> None:
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="async/invoices.json")
    with pytest.raises(httpx.ReadTimeout):
        client.post("async/invoices.json", json=invoice())
    assert fake.pending_tasks == []
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="async/invoices.json")
    with pytest.raises(httpx.ReadTimeout):
        client.post("async/invoices.json", json=invoice())
    assert len(fake.pending_tasks) == 1
    fake.inject(Fault.SERVER_ERROR, path="vat_rates.json")
    assert client.get("vat_rates.json").status_code == 500
    fake.inject(Fault.CONNECTION_RESET, path="vat_rates.json")
    with pytest.raises(httpx.ConnectError):
        client.get("vat_rates.json")
    assert len(fake.dropped_requests) == 1
    fake.inject(Fault.ERROR_TEXT_200, path="vat_rates.json")
    answer = client.get("vat_rates.json")
    assert answer.status_code == 200 and "error" in answer.json()


@pytest.mark.anyio
async def test_async_transport(fake: InFaktFake) -> None:
    async with httpx.AsyncClient(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as c:
        accepted = await c.post("async/invoices.json", json=invoice())
        reference = accepted.json()["invoice_task_reference_number"]
        await c.get(f"async/invoices/status/{reference}.json")
        done = (await c.get(f"async/invoices/status/{reference}.json")).json()
    assert done["processing_code"] == 201 and len(invoices(fake)) == 1


def test_threads_share_one_fake_without_losing_numbers(fake: InFaktFake) -> None:
    fake.task_polls = 0

    def work() -> None:
        with httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as c:
            for _ in range(10):
                create(c, invoice())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = [stored.number for stored in invoices(fake)]
    assert len(numbers) == 80 and len(set(numbers)) == 80


def test_stored_snapshots(client: httpx.Client, fake: InFaktFake) -> None:
    uuid = create(client, invoice(payment_method="card"))["invoice_uuid"]
    stored = fake.find(id=uuid)
    assert stored is not None and detail(stored).payment_method == "card" and stored.body["currency"] == "PLN"
    assert detail(stored).gross_price == 22298 and isinstance(stored.body["services"][0]["quantity"], int)
    assert Decimal(detail(stored).gross_price) / 100 == Decimal("222.98") == stored.total
    assert (stored.provider, stored.account, stored.kind, stored.number) == ("infakt", "demo", "vat", "1/01/2026")
    assert (stored.issue_date, stored.currency, stored.paid, detail(stored).uuid) == ("2026-01-15", "PLN", 0, uuid)
    assert fake.find(uuid=uuid) == stored == fake.find(number="1/01/2026")
    assert fake.find(id="nope") is None


def test_key_rotation_and_several_companies(fake: InFaktFake) -> None:
    assert fake.add_key("rotated-key", company="demo") == "demo"
    other = fake.add_key("other-key")
    with (
        httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as old,
        httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": "rotated-key"}) as new,
        httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": "other-key"}) as stranger,
    ):
        uuid = create(old, invoice())["invoice_uuid"]
        assert new.get(f"invoices/{uuid}.json").json()["number"] == "1/01/2026"  # the same company's books
        assert stranger.get(f"invoices/{uuid}.json").status_code == 404  # another company sees nothing
        assert client_number(stranger) == "1/01/2026"  # and numbers on its own
        fake.revoke_key(KEY)
        assert old.get("vat_rates.json").status_code == 401
        assert create(new, invoice())["processing_code"] == 201
    assert [(d.account, d.number) for d in fake.documents] == [
        ("demo", "1/01/2026"),
        (other, "1/01/2026"),
        ("demo", "2/01/2026"),
    ]
    assert fake.find(account=other) is not None


def client_number(client: httpx.Client) -> str:
    uuid = create(client, invoice())["invoice_uuid"]
    return str(client.get(f"invoices/{uuid}.json").json()["number"])


def test_the_limits_are_per_ip_for_every_key(fake: InFaktFake) -> None:
    fake.add_key("second-key")
    with (
        httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as first,
        httpx.Client(transport=fake, base_url=BASE, headers={"X-inFakt-ApiKey": "second-key"}) as second,
    ):
        for _ in range(150):
            first.post("async/invoices.json", json=invoice())
        assert second.post("async/invoices.json", json=invoice()).status_code == 429
    assert fake.penalties == 1


def test_the_demo_account_and_a_fake_without_a_request_log() -> None:
    clock = FakeClock()
    demo = InFaktFake.demo(clock=clock)
    assert demo.clock is clock and dict(InFaktFake.demo_settings) == {
        "api_key": KEY,
        "company_tax_id": "1234563218",
    }
    with httpx.Client(transport=demo, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as c:
        assert c.get("vat_rates.json").status_code == 200
    quiet = InFaktFake(keep_log=False)
    with httpx.Client(transport=quiet, base_url=BASE, headers={"X-inFakt-ApiKey": KEY}) as c:
        create(c, invoice())
    assert quiet.requests == [] and quiet.request_count == 3 and len(quiet.documents) == 1


def test_a_wrong_method_is_not_found(client: httpx.Client) -> None:
    answer = client.get("async/invoices.json")
    assert answer.status_code == 404 and answer.json() == {"error": "Zasób którego szukasz nie został znaleziony."}
