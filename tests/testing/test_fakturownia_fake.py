"""The Fakturownia fake on its own, spoken to as peer clients speak to the live service.

Each behaviour comes from the sheet (``providers/fakturownia.md``): the request bodies of
its examples (§4, §9, §11) are sent as written and must pass.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.testing import serve
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.fakturownia import FakturowniaFake, texts
from accounting_connectors.testing.faults import Fault

BASE = "https://demo.fakturownia.pl"
AUTH = {"Authorization": "Bearer demo-token"}


@pytest.fixture
def fake(fake_clock: FakeClock) -> FakturowniaFake:
    fake = FakturowniaFake.demo(clock=fake_clock)
    fake.add_account(
        "sheet",
        "sheet-token",
        departments=[{"id": 123, "name": "Sprzedawca Sp. z o.o.", "tax_no": "5252344078"}],
        products=[{"id": 4711, "name": "Produkt A", "code": "SKU-1", "price_net": "100.0", "tax": "23"}],
        warehouses=[{"id": 7, "name": "Magazyn"}],
        stock={4711: Decimal(10)},
    )
    return fake


@pytest.fixture
def http(fake: FakturowniaFake) -> httpx.Client:
    return httpx.Client(transport=fake, base_url=BASE, headers=AUTH)


def vat(**changes: Any) -> dict[str, Any]:
    invoice: dict[str, Any] = {
        "kind": "vat",
        "issue_date": "2026-01-15",
        "buyer_name": "Kowalski Sp. z o.o.",
        "buyer_tax_no": "5252344078",
        "buyer_company": "1",
        "positions": [{"name": "Produkt A", "quantity": "2", "total_price_gross": "246.00", "tax": "23"}],
    }
    invoice.update(changes)
    return {"invoice": invoice}


# Sheet §4, as written (numbers as JSON numbers, a discount, a SKU, a department).
SHEET_INVOICE = {
    "invoice": {
        "kind": "vat",
        "number": None,
        "issue_date": "2026-11-20",
        "sell_date": "2026-11-20",
        "payment_to_kind": 14,
        "payment_type": "transfer",
        "currency": "PLN",
        "department_id": 123,
        "oid": "order-1001",
        "oid_unique": "yes",
        "buyer_company": "1",
        "buyer_name": "Kowalski Sp. z o.o.",
        "buyer_tax_no": "5252344078",
        "buyer_street": "Prosta 1",
        "buyer_post_code": "00-001",
        "buyer_city": "Warszawa",
        "buyer_country": "PL",
        "buyer_email": "biuro@example.pl",
        "show_discount": "1",
        "discount_kind": "percent_unit",
        "warehouse_id": 7,
        "positions": [
            {"name": "Produkt A", "code": "SKU-1", "product_id": 4711, "quantity": 2, "quantity_unit": "szt",
             "price_net": "100.00", "tax": 23, "discount_percent": "10"},
            {"name": "Książka B", "quantity": 1, "quantity_unit": "szt", "total_price_gross": "52.50", "tax": 5},
        ],
    }
}  # fmt: skip


def sheet(fake: FakturowniaFake) -> httpx.Client:
    return httpx.Client(
        transport=fake, base_url="https://sheet.fakturownia.pl", headers={"Authorization": "Bearer sheet-token"}
    )


# ------------------------------------------------------------------ the sheet's own examples


def test_the_sheets_invoice_example_is_accepted(fake: FakturowniaFake) -> None:
    answer = sheet(fake).post("/invoices.json", json=SHEET_INVOICE)
    assert answer.status_code == 201
    body = answer.json()
    assert isinstance(body["id"], int) and body["number"] == "1/11/2026" and body["oid"] == "order-1001"
    assert body["payment_to"] == "2026-12-04"  # 14 days, as the sheet's answer shows
    first, second = body["positions"]
    assert first["total_price_gross"] == "221.4" and first["quantity"] == "2.0" and first["tax"] == "23"
    assert second["total_price_gross"] == "52.5" and second["tax"] == "5"
    assert body["price_gross"] == "273.9" and body["department_id"] == 123
    assert fake.account("sheet").products[0]["stock_level"] == "8.0"  # product_id + warehouse_id move stock


def test_the_sheets_correction_and_payment_examples_are_accepted(fake: FakturowniaFake) -> None:
    client = sheet(fake)
    original = client.post("/invoices.json", json=SHEET_INVOICE).json()
    correction = {
        "invoice": {
            "kind": "correction", "correction_reason": "Zwrot 1 szt.",
            "invoice_id": original["id"], "from_invoice_id": original["id"], "client_id": original["client_id"],
            "positions": [{"name": "Produkt A", "quantity": -1, "total_price_gross": "-110.70", "tax": "23",
                           "kind": "correction",
                           "correction_before_attributes": {"name": "Produkt A", "quantity": "2",
                                                            "total_price_gross": "221.40", "tax": "23",
                                                            "kind": "correction_before"},
                           "correction_after_attributes": {"name": "Produkt A", "quantity": "1",
                                                           "total_price_gross": "110.70", "tax": "23",
                                                           "kind": "correction_after"}}],
        }
    }  # fmt: skip
    made = client.post("/invoices.json", json=correction)
    assert made.status_code == 201 and made.json()["price_gross"] == "-110.7"
    full = client.get(f"/invoices/{made.json()['id']}.json", params={"correction_positions": "full"}).json()
    assert full["positions"][0]["correction_before_attributes"]["total_price_gross"] == "221.4"
    plain = client.get(f"/invoices/{made.json()['id']}.json").json()
    assert "correction_before_attributes" not in plain["positions"][0]
    payment = {
        "banking_payment": {
            "name": "Płatność",
            "price": "250.00",
            "invoice_id": original["id"],
            "paid": True,
            "kind": "api",
        }
    }
    paid = client.post("/banking/payments.json", json=payment)
    assert paid.status_code == 201 and paid.json()["paid_date"].endswith("+01:00")
    assert client.get(f"/invoices/{original['id']}.json").json()["paid"] == "250.0"
    assert client.get(f"/banking/payments/{paid.json()['id']}.json").status_code == 200
    assert client.get(f"/banking/payment/{paid.json()['id']}.json").status_code == 404  # the README's singular


def test_a_decimal_comma_and_numbers_as_strings_pass(http: httpx.Client) -> None:
    body = vat(positions=[{"name": "A", "quantity": "1", "total_price_gross": "10,23", "tax": "23"}])
    assert http.post("/invoices.json", json=body).json()["price_gross"] == "10.23"


# ------------------------------------------------------------------ auth and hosts


def test_the_token_is_read_the_three_documented_ways(fake: FakturowniaFake) -> None:
    client = httpx.Client(transport=fake, base_url=BASE)
    assert client.get("/invoices.json", headers=AUTH).status_code == 200
    assert client.get("/invoices.json", params={"api_token": "demo-token"}).status_code == 200
    assert client.post("/invoices.json", json={"api_token": "demo-token", **vat()}).status_code == 201
    refused = client.get("/invoices.json")
    assert refused.status_code == 401 and refused.json()["code"] == "error"
    assert client.get("/invoices.json", headers={"Authorization": "Bearer sheet-token"}).status_code == 401


def test_hosts_outside_the_service_do_not_connect(fake: FakturowniaFake) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.Client(transport=fake).get("https://demo.example.com/invoices.json", headers=AUTH)
    fake.add_account("shop", "t", domain="bitfactura.es")
    assert (
        httpx.Client(transport=fake)
        .get("https://shop.bitfactura.es/invoices.json", headers={"Authorization": "Bearer t"})
        .status_code
        == 200
    )


def test_a_read_only_token_gets_200_and_nothing_is_created(fake: FakturowniaFake, http: httpx.Client) -> None:
    fake.add_token("demo", "viewer", read_only=True)
    answer = http.post("/invoices.json", json=vat(), headers={"Authorization": "Bearer viewer"})
    assert answer.status_code == 200 and answer.json()["id"] is None
    assert fake.documents == []


def test_rotation_and_revocation(fake: FakturowniaFake, http: httpx.Client) -> None:
    fake.add_token("demo", "next")
    fake.revoke_token("demo", "demo-token")
    assert http.get("/invoices.json").status_code == 401
    assert http.get("/invoices.json", headers={"Authorization": "Bearer next"}).status_code == 200


# ------------------------------------------------------------------ validation


def test_422_names_the_fields(http: httpx.Client) -> None:
    answer = http.post("/invoices.json", json={"invoice": {"kind": "nope", "positions": []}})
    assert answer.status_code == 422
    message = answer.json()["message"]
    assert message["kind"] == [texts.INVALID] and message["positions"] == [texts.CANT_BE_BLANK]
    assert message["buyer_name"] == ["- nie może być puste"]
    no_price = http.post("/invoices.json", json=vat(positions=[{"name": "A", "tax": "23"}]))
    assert no_price.json()["message"] == {"positions.total_price_gross": ["- nie może być puste"]}


def test_ksef_rules_answer_the_documented_texts(fake: FakturowniaFake) -> None:
    fake.add_account("ksef", "k", ksef=True)
    client = httpx.Client(transport=fake, base_url="https://ksef.fakturownia.pl", headers={"Authorization": "Bearer k"})
    answer = client.post("/invoices.json", json=vat(buyer_tax_no="", buyer_phone="+48 600 000 000 000"))
    assert answer.json() == {
        "code": "error",
        "message": {
            "buyer_tax_no": ["- nie może być puste"],
            "buyer_phone": ["- pole jest za długie (maksymalna ilość znaków: 16)"],
        },
    }


def test_without_buyer_company_the_buyer_is_a_company(fake: FakturowniaFake, http: httpx.Client) -> None:
    body = vat()
    del body["invoice"]["buyer_company"]
    http.post("/invoices.json", json=body)
    assert fake.documents[0].detail["buyer_company"] == "1"


def test_a_discount_counts_only_with_show_discount_and_discount_kind(http: httpx.Client) -> None:
    line = {"name": "A", "quantity": 2, "price_net": "100.00", "tax": 23, "discount_percent": "10"}
    ignored = http.post("/invoices.json", json=vat(positions=[line])).json()
    counted = http.post("/invoices.json", json=vat(positions=[line], show_discount="1", discount_kind="percent_unit"))
    assert ignored["price_gross"] == "246.0" and counted.json()["price_gross"] == "221.4"


def test_a_correction_line_needs_kind_correction(http: httpx.Client) -> None:
    original = http.post("/invoices.json", json=vat()).json()
    body = vat(
        kind="correction", invoice_id=original["id"], positions=[{"name": "A", "total_price_gross": "-1", "tax": "23"}]
    )
    assert http.post("/invoices.json", json=body).json()["message"] == {"positions.kind": [texts.NOT_A_CORRECTION_LINE]}
    missing = vat(
        kind="correction",
        invoice_id=1,
        positions=[{"name": "A", "total_price_gross": "-1", "tax": "23", "kind": "correction"}],
    )
    assert http.post("/invoices.json", json=missing).json()["message"] == {"invoice_id": [texts.NO_SUCH_DOCUMENT]}


# ------------------------------------------------------------------ oid, listing, numbering


def test_oid_unique_refuses_a_second_document_naming_oid(fake: FakturowniaFake, http: httpx.Client) -> None:
    assert http.post("/invoices.json", json=vat(oid="o-1", oid_unique="yes")).status_code == 201
    again = http.post("/invoices.json", json=vat(oid="o-1", oid_unique="yes"))
    assert again.status_code == 422 and list(again.json()["message"]) == ["oid"]
    assert http.post("/invoices.json", json=vat(oid="o-1")).status_code == 201  # without the guard: allowed
    assert len(fake.documents) == 2


def test_the_oid_filter_is_loose_and_period_defaults_to_this_month(http: httpx.Client, fake_clock: FakeClock) -> None:
    http.post("/invoices.json", json=vat(oid="A-1", issue_date="2026-01-02"))
    http.post("/invoices.json", json=vat(oid="XA-1", issue_date="2026-01-02"))
    http.post("/invoices.json", json=vat(oid="A-1", issue_date="2025-06-01"))
    assert len(http.get("/invoices.json", params={"oid": "A-1"}).json()) == 2  # this month only, loosely
    assert len(http.get("/invoices.json", params={"oid": "a-1", "period": "all"}).json()) == 3
    assert http.get("/invoices.json", params={"period": "sometime"}).status_code == 422
    more = {"period": "more", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    assert [d["oid"] for d in http.get("/invoices.json", params=more).json()] == ["A-1"]


def test_paging_and_an_ignored_page(fake: FakturowniaFake, http: httpx.Client, fake_clock: FakeClock) -> None:
    for index in range(130):
        fake_clock.advance(1)  # the pace the limit allows
        assert http.post("/invoices.json", json=vat(oid=f"p-{index}")).status_code == 201
    fake_clock.advance(60)
    first = http.get("/invoices.json", params={"per_page": "500", "page": "1"}).json()
    second = http.get("/invoices.json", params={"per_page": "100", "page": "2"}).json()
    assert len(first) == 100 and len(second) == 30 and len(http.get("/invoices.json").json()) == 25
    fake.ignore_page = True
    assert http.get("/invoices.json", params={"per_page": "100", "page": "2"}).json() == first
    assert "positions" not in first[0]
    assert "positions" in http.get("/invoices.json", params={"include_positions": "true"}).json()[0]


def test_numbering_per_kind_department_and_month(http: httpx.Client) -> None:
    numbers = [
        http.post("/invoices.json", json=body).json()["number"]
        for body in (
            vat(),
            vat(),
            vat(department_id=12),
            vat(issue_date="2026-02-01"),
            vat(kind="receipt"),
        )
    ]
    assert numbers == ["1/01/2026", "2/01/2026", "1/01/2026", "1/02/2026", "PAR 1/01/2026"]


# ------------------------------------------------------------------ other endpoints


def test_status_changes_answer_errors_under_200(http: httpx.Client) -> None:
    made = http.post("/invoices.json", json=vat()).json()
    bad = http.post(f"/invoices/{made['id']}/change_status.json", params={"status": "weird"})
    assert bad.status_code == 200 and bad.json()["code"] == "error"
    assert http.post(f"/invoices/{made['id']}/change_status.json", params={"status": "paid"}).json()["code"] == "ok"
    assert http.get(f"/invoices/{made['id']}.json").json()["paid"] == "246.0"
    proforma = http.post("/invoices.json", json=vat(kind="proforma")).json()
    assert http.post(f"/invoices/{proforma['id']}/change_status.json", params={"status": "paid"}).status_code == 422
    paid = http.put(f"/invoices/{proforma['id']}.json", json={"invoice": {"paid": "246.00"}})
    assert paid.json()["paid"] == "246.0"  # the measured way to mark a proforma paid


def test_receipts_cannot_be_cancelled(http: httpx.Client, fake: FakturowniaFake) -> None:
    receipt = http.post("/invoices.json", json=vat(kind="receipt")).json()
    invoice = http.post("/invoices.json", json=vat()).json()
    refused = http.post("/invoices/cancel.json", json={"cancel_invoice_id": receipt["id"], "cancel_reason": "x"})
    assert refused.status_code == 422 and refused.json()["message"] == texts.RECEIPT_NOT_CANCELLABLE
    assert (
        http.post("/invoices/cancel.json", json={"cancel_invoice_id": invoice["id"], "cancel_reason": "x"}).status_code
        == 200
    )
    assert [d.cancelled for d in fake.documents] == [False, True]


def test_updates_and_deletes(http: httpx.Client, fake: FakturowniaFake) -> None:
    made = http.post(
        "/invoices.json",
        json=vat(
            positions=[
                {"name": "A", "total_price_gross": "10", "tax": "23"},
                {"name": "B", "total_price_gross": "5", "tax": "23"},
            ]
        ),
    ).json()
    updated = http.put(
        f"/invoices/{made['id']}.json",
        json={
            "invoice": {"positions": [{"id": 2, "_destroy": 1}, {"name": "C", "total_price_gross": "1", "tax": "23"}]}
        },
    )
    assert [p["name"] for p in updated.json()["positions"]] == ["A", "C"] and updated.json()["price_gross"] == "11.0"
    assert http.delete(f"/invoices/{made['id']}.json").status_code == 200
    assert http.get(f"/invoices/{made['id']}.json").json() == texts.NOT_FOUND
    assert fake.documents[0].cancelled


def test_pdfs_wait_and_ksef_shows_a_page(fake: FakturowniaFake, http: httpx.Client, fake_clock: FakeClock) -> None:
    made = http.post("/invoices.json", json=vat()).json()
    assert http.get(f"/invoices/{made['id']}.pdf").status_code == 422
    fake_clock.advance(3)
    pdf = http.get(f"/invoices/{made['id']}.pdf", params={"print_option": "original"})
    assert pdf.content.startswith(b"%PDF") and b"1/01/2026" in pdf.content
    public = httpx.Client(transport=fake).get(f"{BASE}/invoice/{made['token']}.pdf")
    assert public.content.startswith(b"%PDF")  # no token needed
    fake.add_account("ksef", "k", ksef=True)
    ksef = httpx.Client(transport=fake, base_url="https://ksef.fakturownia.pl", headers={"Authorization": "Bearer k"})
    doc = ksef.post("/invoices.json", json=vat()).json()
    fake_clock.advance(3)
    page = ksef.get(f"/invoices/{doc['id']}.pdf")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    mail = ksef.post(f"/invoices/{doc['id']}/send_by_email.json", params={"email_to": "a@example.pl"})
    assert mail.status_code == 200 and mail.json() == texts.KSEF_NOT_SENT
    fake_clock.advance(10)
    assert ksef.get(f"/invoices/{doc['id']}.pdf").content.startswith(b"%PDF")
    read = ksef.get(f"/invoices/{doc['id']}.json", params={"fields[invoice]": "gov_status,gov_id"}).json()
    assert read["gov_status"] == "ok" and read["gov_id"]
    assert ksef.delete(f"/invoices/{doc['id']}.json").status_code == 422


def test_departments_products_warehouses(http: httpx.Client, fake: FakturowniaFake) -> None:
    assert [d["id"] for d in http.get("/departments.json").json()] == [11, 12]
    assert http.get("/departments/12.json").json()["shortcut"] == "KRK"
    assert "stock_level" not in http.get("/products.json").json()[0]
    assert http.get("/products.json", params={"warehouse_id": "7"}).json()[0]["stock_level"] == "100.0"
    assert http.get("/warehouses.json").json()[0]["id"] == 7
    wz = {
        "warehouse_document": {
            "kind": "wz",
            "warehouse_id": 7,
            "issue_date": "2026-01-15",
            "warehouse_actions": [{"product_id": 4711, "quantity": 2}],
        }
    }
    made = http.post("/warehouse_documents.json", json=wz)
    assert made.status_code == 201 and fake.account().products[0]["stock_level"] == "98.0"
    linked = http.put(
        f"/warehouse_documents/{made.json()['id']}.json", json={"warehouse_document": {"invoice_ids": [1]}}
    )
    assert linked.json()["invoice_ids"] == [1]


# ------------------------------------------------------------------ the shared vocabulary


def test_faults_and_the_commit_then_fail(fake: FakturowniaFake, http: httpx.Client) -> None:
    fake.inject(Fault.SERVER_ERROR, "invoices.json", method="POST")
    failed = http.post("/invoices.json", json=vat())
    assert failed.status_code == 500 and failed.headers["Content-Type"].startswith("text/html") and fake.documents == []
    fake.inject(Fault.ERROR_TEXT_200, "invoices.json", method="POST")
    assert http.post("/invoices.json", json=vat()).json()["code"] == "error"
    fake.fail_after_commit(502)
    assert http.post("/invoices.json", json=vat()).status_code == 502
    assert len(fake.documents) == 1
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "invoices.json")
    with pytest.raises(httpx.ReadTimeout):
        http.post("/invoices.json", json=vat())
    assert len(fake.documents) == 2 and fake.find(number="2/01/2026") is not None


def test_the_rate_limit_answers_429_with_retry_after(
    fake: FakturowniaFake, http: httpx.Client, fake_clock: FakeClock
) -> None:
    for _ in range(60):
        assert http.get("/departments.json").status_code == 200
    refused = http.get("/departments.json")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1 and fake.penalties == 1
    other = httpx.Client(
        transport=fake, base_url="https://sheet.fakturownia.pl", headers={"Authorization": "Bearer sheet-token"}
    )
    assert other.get("/departments.json").status_code == 200  # per account
    fake_clock.advance(60)
    assert http.get("/departments.json").status_code == 200


def test_keep_log_false_keeps_no_log(fake_clock: FakeClock) -> None:
    fake = FakturowniaFake(clock=fake_clock, keep_log=False)
    fake.add_account("demo", "demo-token")
    httpx.Client(transport=fake, base_url=BASE, headers=AUTH).get("/invoices.json")
    assert fake.requests == [] and fake.request_count == 1


def test_the_fake_is_an_async_transport_and_serves_over_http(fake: FakturowniaFake) -> None:
    async def run() -> int:
        async with httpx.AsyncClient(transport=fake, base_url=BASE, headers=AUTH) as client:
            return (await client.post("/invoices.json", json=vat())).status_code

    assert asyncio.run(run()) == 201
    with serve(fake) as url:
        conn = ac.connect("fakturownia", account="demo", api_token="demo-token", base_url=url)
        assert conn.list_series()[0].name == "Demo Sp. z o.o."
        conn.close()


def test_the_demo_and_repr(fake_clock: FakeClock) -> None:
    fake = FakturowniaFake.demo(clock=fake_clock)
    assert fake.demo_settings == {"account": "demo", "api_token": "demo-token"}
    assert "FakturowniaFake(accounts=1" in repr(fake)


def test_a_lone_price_net_on_a_product_update_is_ignored(http: httpx.Client) -> None:
    assert http.put("/products/4711.json", json={"product": {"price_net": "90.0"}}).json()["price_net"] == "100.0"
    both = http.put("/products/4711.json", json={"product": {"price_net": "90.0", "price_gross": "110.7"}}).json()
    assert (both["price_net"], both["price_gross"]) == ("90.0", "110.7")


# ------------------------------------------------------------------ review fixes


def test_setting_the_paid_amount_marks_the_document_paid(http: httpx.Client) -> None:
    """``PUT {"invoice":{"paid":...}}`` marks a document paid, a proforma too (§0, §11: confirm by ``status``)."""
    for kind in ("vat", "proforma"):
        made = http.post("/invoices.json", json=vat(kind=kind)).json()
        part = http.put(f"/invoices/{made['id']}.json", json={"invoice": {"paid": "100.00"}}).json()
        assert (part["paid"], part["status"]) == ("100.0", "partial")
        full = http.put(f"/invoices/{made['id']}.json", json={"invoice": {"paid": "246.00"}}).json()
        assert (full["paid"], full["status"]) == ("246.0", "paid")


def test_a_ksef_correction_may_not_change_the_seller_or_these_buyer_fields(fake: FakturowniaFake) -> None:
    """FK-KSEF (§9, carried-over §1.7): seller fields, ``department_id``, ``buyer_note``, ``buyer_mobile_phone``."""
    fake.add_account("ksef", "k", ksef=True, departments=[{"id": 1, "name": "A"}, {"id": 2, "name": "B"}])
    client = httpx.Client(transport=fake, base_url="https://ksef.fakturownia.pl", headers={"Authorization": "Bearer k"})
    original = client.post("/invoices.json", json=vat(department_id=1, buyer_note="x")).json()
    line = {"name": "Produkt A", "quantity": -1, "total_price_gross": "-123.00", "tax": "23", "kind": "correction"}
    for change in ({"department_id": 2}, {"seller_tax_no": "1234567890"}, {"buyer_note": "y"}):
        body = vat(kind="correction", invoice_id=original["id"], correction_reason="r", positions=[line], **change)
        refused = client.post("/invoices.json", json=body)
        assert refused.status_code == 422 and list(refused.json()["message"]) == list(change)
    same = vat(kind="correction", invoice_id=original["id"], department_id=1, buyer_note="x", positions=[line])
    assert client.post("/invoices.json", json=same).status_code == 201


def test_client_id_minus_one_creates_the_client_from_the_buyer(fake: FakturowniaFake, http: httpx.Client) -> None:
    """``client_id: -1`` = create the client (§5.1): the buyer fields are then needed."""
    made = http.post("/invoices.json", json=vat(client_id=-1)).json()
    assert made["client_id"] > 0 and fake.documents[0].detail["client_id"] == made["client_id"]
    body = vat(client_id=-1)
    del body["invoice"]["buyer_name"]
    assert http.post("/invoices.json", json=body).json()["message"] == {"buyer_name": [texts.CANT_BE_BLANK]}


def test_a_document_sent_to_ksef_cannot_be_deleted(fake: FakturowniaFake) -> None:
    """KSeF invoices cannot be deleted (§3), also while KSeF is still processing them."""
    fake.add_account("ksef", "k", ksef=True)
    client = httpx.Client(transport=fake, base_url="https://ksef.fakturownia.pl", headers={"Authorization": "Bearer k"})
    made = client.post("/invoices.json", json=vat()).json()
    assert made["gov_status"] == "processing"
    assert client.delete(f"/invoices/{made['id']}.json").status_code == 422
    assert not fake.documents[0].cancelled


def test_a_ksef_description_over_256_characters_is_refused(fake: FakturowniaFake) -> None:
    """KSeF: ``descriptions[].content`` at most 256; ``description`` is the first entry (§5.1, carried-over §1.3)."""
    fake.add_account("ksef", "k", ksef=True)
    client = httpx.Client(transport=fake, base_url="https://ksef.fakturownia.pl", headers={"Authorization": "Bearer k"})
    assert client.post("/invoices.json", json=vat(description="x" * 257)).status_code == 422
    long_entry = vat(descriptions=[{"kind": "Uwaga", "content": "x" * 257}])
    assert client.post("/invoices.json", json=long_entry).status_code == 422
    assert client.post("/invoices.json", json=vat(description="x" * 256)).status_code == 201
    assert fake.find(kind="vat") is not None


def test_a_read_only_token_changes_nothing(fake: FakturowniaFake, http: httpx.Client) -> None:
    """A read-only user's writes answer 200 and change nothing, as its creates do (§16; the fake's reading)."""
    made = http.post("/invoices.json", json=vat()).json()
    fake.add_token("demo", "viewer", read_only=True)
    viewer = {"Authorization": "Bearer viewer"}
    assert http.delete(f"/invoices/{made['id']}.json", headers=viewer).status_code == 200
    cancel = {"cancel_invoice_id": made["id"], "cancel_reason": "x"}
    assert http.post("/invoices/cancel.json", json=cancel, headers=viewer).status_code == 200
    status = http.post(f"/invoices/{made['id']}/change_status.json", params={"status": "paid"}, headers=viewer)
    assert status.status_code == 200
    wz = {"warehouse_document": {"kind": "wz", "warehouse_actions": [{"product_id": 4711, "quantity": 2}]}}
    assert http.post("/warehouse_documents.json", json=wz, headers=viewer).status_code == 200
    product = {"product": {"price_net": "1.0", "price_gross": "1.23"}}
    assert http.put("/products/4711.json", json=product, headers=viewer).json()["price_net"] == "100.0"
    document = fake.documents[0]
    assert not document.cancelled and document.detail["status"] == "issued" and document.paid == 0
    assert fake.account().products[0]["stock_level"] == "100.0" and fake.account().warehouse_documents == []


def test_clients_and_one_warehouse_are_served(http: httpx.Client) -> None:
    """``GET/POST /clients.json`` (filters ``tax_no``, ``email``, ``name``…), ``PUT /clients/{id}.json``,
    ``GET /warehouses/{id}.json`` (§3, carried-over §1.2): peer clients call them."""
    http.post("/invoices.json", json=vat())
    [client] = http.get("/clients.json", params={"tax_no": "5252344078"}).json()
    assert client["name"] == "Kowalski Sp. z o.o." and http.get("/clients.json", params={"tax_no": "1"}).json() == []
    made = http.post("/clients.json", json={"client": {"name": "Nowak", "email": "n@example.pl", "external_id": "C-9"}})
    assert made.status_code == 201
    assert [c["name"] for c in http.get("/clients.json", params={"external_id": "C-9"}).json()] == ["Nowak"]
    changed = http.put(f"/clients/{made.json()['id']}.json", json={"client": {"city": "Gdańsk"}}).json()
    assert changed["city"] == "Gdańsk" and http.get(f"/clients/{made.json()['id']}.json").json()["city"] == "Gdańsk"
    assert http.post("/clients.json", json={"client": {}}).json()["message"] == {"name": [texts.CANT_BE_BLANK]}
    assert http.get("/clients/1.json").status_code == 404
    assert http.get("/warehouses/7.json").json()["name"] == "Magazyn główny"
