"""The Firmao fake on its own: what the sheet says the service does, and what peer clients send."""

from __future__ import annotations

import asyncio
import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounting_connectors.registry import fake_class
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.firmao import DEMO_LOGIN, DEMO_PASSWORD, FirmaoFake

ROOT = "https://system.firmao.pl/demo/svc/v1/"

# F-DOC §2e, the transaction example as the guide gives it (its totals disagree with its entry).
FDOC_TRANSACTION: dict[str, Any] = {
    "transactionEntries": [
        {"classificationNumber": "", "discount": None, "productCode": "ST0003", "quantity": 1, "unit": None,
         "vatPercent": 0, "product": 52, "unitNettoPrice": "1000.00"}
    ],
    "transactionNettoPrice": "1000.00", "transactionBruttoPrice": "1000.00", "transactionVatPrice": "0.00",
    "invoiceAnnotations": None, "paid": False, "currency": "PLN", "paymentType": "CASH", "restOfPaidValue": 1000,
    "paidValue": 0, "invoiceDate": "2012-08-08", "paymentDate": "2012-08-15", "transactionDate": "2012-08-08",
    "type": "INVOICE", "mode": "SALE", "createCustomerIfNeeded": True, "customerName": "test",
    "phones": ["111222333"], "emails": ["test@test.test"], "customerAddress.postCode": "91-477", "customer": 50,
    "customerAddress.city": "Łódź", "customerAddress.country": "Polska",
    "customerAddress.street": "Piotrkowska 147/8", "nipNumber": "1060000062", "issuingPerson": "Jacob Smith",
    "transactionNumber": "1/8/2012",
}  # fmt: skip

# F-DOC §9c, the PHP script's body: one entry of 100.00 with totals of 1000.00.
FDOC_PHP: dict[str, Any] = {
    "transactionEntries": [
        {"classificationNumber": "", "discount": None, "productCode": "ST0001", "quantity": 1, "unit": None,
         "vatPercent": 0, "product": 51, "unitNettoPrice": "100.00"}
    ],
    "transactionNettoPrice": "1000.00", "transactionBruttoPrice": "1000.00", "transactionVatPrice": "0.00",
    "invoiceAnnotations": None, "paid": False, "currency": "PLN", "paymentType": "CASH", "restOfPaidValue": 1000,
    "paidValue": 0, "invoiceDate": "2012-08-08", "paymentDate": "2012-08-08", "transactionDate": "2012-08-08",
    "type": "INVOICE", "mode": "SALE", "customerAddress.postCode": "91477", "customer": 50,
    "customerAddress.city": "Łódź", "customerAddress.country": "Polska",
    "customerAddress.street": "Piotrkowska 147/8", "nipNumber": "1060000062", "issuingPerson": "Jacob Smith",
    "transactionNumber": "12/8/2012",
}  # fmt: skip


def basic(login: str = DEMO_LOGIN, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


class Api:
    """A plain httpx client on the fake, advancing the fake clock a second per call (under the limit)."""

    def __init__(self, fake: FirmaoFake, clock: FakeClock) -> None:
        self.fake, self.clock = fake, clock
        self.http = httpx.Client(transport=fake)

    def __call__(
        self, method: str, path: str, body: Any = None, *, root: str = ROOT, headers: Any = None, **params: str
    ) -> httpx.Response:
        self.clock.advance(1.0)
        return self.http.request(
            method, root + path, json=body, params=params or None, headers=basic() if headers is None else headers
        )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FirmaoFake:
    return FirmaoFake(clock=clock)


@pytest.fixture
def api(fake: FirmaoFake, clock: FakeClock) -> Api:
    return Api(fake, clock)


def created(response: httpx.Response, object_class: str = "transaction") -> int:
    assert response.status_code == 201, response.text
    log = response.json()["changelog"]
    return int(next(e["objectId"] for e in log if e["modification"] == "CREATE" and e["objectClass"] == object_class))


def test_the_registry_names_this_fake_and_its_demo(clock: FakeClock) -> None:
    assert fake_class("firmao") is FirmaoFake
    demo = FirmaoFake.demo(clock=clock)
    assert demo.demo_settings == {"organization_id": "demo", "login": DEMO_LOGIN, "password": DEMO_PASSWORD}
    assert demo.provider == "firmao" and demo.base_urls[0] == "https://system.firmao.pl/"


def test_basic_auth_is_checked_per_organization(api: Api, fake: FirmaoFake) -> None:
    assert api("GET", "transactions", headers={}).status_code == 401
    assert api("GET", "transactions", headers=basic(password="nope")).status_code == 401
    assert api("GET", "transactions", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert api("GET", "transactions", root="https://system.firmao.pl/other/svc/v1/").status_code == 404
    assert api("GET", "transactions").status_code == 200
    fake.add_organization("stellis", "j.smith@stellis.bis", "123456")
    stellis = "https://system.firmao.pl/stellis/svc/v1/"
    assert api("GET", "transactions", root=stellis).status_code == 401
    assert api("GET", "transactions", root=stellis, headers=basic("j.smith@stellis.bis", "123456")).status_code == 200


def test_the_fdoc_transaction_example_is_accepted_and_booked_from_its_entries(api: Api, fake: FirmaoFake) -> None:
    response = api("POST", "transactions", FDOC_TRANSACTION)
    identifier = created(response)
    assert response.json()["showCustomVatWarning"] == "true"
    stored = fake.find(number="1/8/2012")
    assert stored is not None and stored.id == str(identifier) and stored.kind == "invoice"
    assert stored.total == Decimal("1000.00")
    assert stored.detail["customerAddress"]["city"] == "Łódź"  # dotted keys read as nested fields
    listed = api("GET", "transactions", **{"id(eq)": str(identifier), "dataFormat": "MEDIUM"}).json()
    assert listed["totalSize"] == 1 and listed["data"][0]["transactionNumber"] == "1/8/2012"


def test_the_fdoc_php_example_with_inconsistent_totals_is_accepted(api: Api, fake: FirmaoFake) -> None:
    created(api("POST", "transactions", FDOC_PHP))
    stored = fake.find(number="12/8/2012")
    assert stored is not None and stored.total == Decimal("100.00")  # the fake books its own arithmetic
    assert fake.organizations["demo"].sent_totals[int(stored.id or 0)]["sent"]["transactionBruttoPrice"] == "1000.00"


def test_the_change_log_lists_a_created_customer_before_the_transaction(api: Api) -> None:
    body = {**FDOC_TRANSACTION, "customer": None, "customerName": "Nowy Klient", "transactionNumber": "2/8/2012"}
    del body["customer"]
    log = api("POST", "transactions", body).json()["changelog"]
    assert [(e["modification"], e["objectClass"]) for e in log] == [
        ("CREATE", "customer"),
        ("CREATE", "transaction"),
        ("CREATE", "commisionuser"),
        ("CHANGE", "customer"),
    ]
    assert log[3]["property"] == "transactionsCount"


def test_create_customer_if_needed_attaches_by_name(api: Api, fake: FirmaoFake) -> None:
    body = {key: value for key, value in FDOC_TRANSACTION.items() if key != "customer"}
    body["customerName"] = "Internet Center"
    log = api("POST", "transactions", body).json()["changelog"]
    assert not any(e["objectClass"] == "customer" and e["modification"] == "CREATE" for e in log)
    assert fake.documents[0].detail["customer"]["id"] == 50


def test_a_used_sale_number_is_refused_with_a_suggestion(api: Api, fake: FirmaoFake) -> None:
    created(api("POST", "transactions", FDOC_TRANSACTION))
    again = api("POST", "transactions", FDOC_TRANSACTION)
    assert again.status_code == 400
    assert again.json() == {
        "errorCode": "transactionNumberAlreadyExists",
        "additionalInfo": {"suggestedNumber": "1/1/2026"},
    }
    purchase = {**FDOC_TRANSACTION, "mode": "PURCHASE"}
    created(api("POST", "transactions", purchase))  # only sale numbers are unique
    assert len(fake.documents) == 2


def test_numbering_lines_and_the_next_number(api: Api, clock: FakeClock) -> None:
    lines = api("GET", "invoicenumbers", dataFormat="MEDIUM").json()["data"]
    assert lines[0]["id"] == 1
    params = {"objectClass": "transaction", "type": "invoice", "mode": "SALE", "id": "1"}
    assert api("GET", "invoicenumbers/next", **params).json() == "1/1/2026"
    assert api("GET", "invoicenumbers/next", **params).json() == "1/1/2026"  # a peek, not a reservation
    created(api("POST", "transactions", {**FDOC_TRANSACTION, "transactionNumber": "1/1/2026"}))
    assert api("GET", "invoicenumbers/next", **params).json() == "2/1/2026"
    assert api("GET", "invoicenumbers/next", **{**params, "type": "correction"}).json() == "2026/01/001/KOR"
    assert api("GET", "invoicenumbers/next", **{**params, "type": "order", "objectClass": "offer"}).status_code == 200
    refused = api("GET", "invoicenumbers/next", **{**params, "type": "nope"})
    assert refused.status_code == 400 and refused.json()["field"] == "type"
    missing = api("GET", "invoicenumbers/next", **{**params, "id": "9"})
    assert missing.json()["errorCode"] == "entityNotFoundForId"
    assert api("GET", "invoicenumbers/next", objectClass="transaction").json()["errorCode"] == "fieldRequired"


def test_the_next_number_as_an_object(clock: FakeClock) -> None:
    api = Api(FirmaoFake(next_answer="object", clock=clock), clock)
    answer = api("GET", "invoicenumbers/next", objectClass="transaction", type="receipt", mode="SALE", id="1")
    assert answer.json() == {"number": "1/1/2026/PAR"}
    with pytest.raises(ValueError, match="next_answer"):
        FirmaoFake(next_answer="xml")


def test_required_fields_and_types_are_checked_in_firmaos_error_shape(api: Api, fake: FirmaoFake) -> None:
    def refusal(**changes: Any) -> dict[str, Any]:
        body = {**FDOC_TRANSACTION, **changes}
        for key in [key for key, value in changes.items() if value is ...]:
            del body[key]
        response = api("POST", "transactions", body)
        assert response.status_code == 400, response.text
        return dict(response.json())

    assert refusal(type=...) == {"errorCode": "fieldRequired", "field": "type", "rejectedValue": None}
    assert refusal(type="FAKTURA")["field"] == "type"
    assert refusal(mode="SELL")["field"] == "mode"
    assert refusal(invoiceDate="08.08.2012")["field"] == "invoiceDate"
    assert refusal(invoiceDate=...)["errorCode"] == "fieldRequired"
    assert refusal(paymentType="CARD")["field"] == "paymentType"
    assert refusal(transactionEntries=[])["field"] == "transactionEntries"
    assert refusal(customer=999)["errorCode"] == "entityNotFoundForId"
    assert refusal(customer=..., createCustomerIfNeeded=...)["field"] == "customer"
    bad_product = [{**FDOC_TRANSACTION["transactionEntries"][0], "product": 999}]
    assert refusal(transactionEntries=bad_product) == {
        "errorCode": "entityNotFoundForId",
        "field": "product",
        "rejectedValue": "999",
        "additionalInfo": {"id": "999", "cls": "product"},
    }
    bad_quantity = [{**FDOC_TRANSACTION["transactionEntries"][0], "quantity": "dwa"}]
    assert refusal(transactionEntries=bad_quantity)["field"] == "transactionEntries[0].quantity"
    assert refusal(**{"customFields.custom5": 5})["field"] == "customFields"
    assert api("POST", "transactions", [1, 2]).json()["errorCode"] == "invalidJson"
    assert fake.documents == []


def test_puts_take_dotted_single_fields_and_refuse_nested_objects(api: Api, fake: FirmaoFake) -> None:
    identifier = created(api("POST", "transactions", FDOC_TRANSACTION))
    nested = api("PUT", f"transactions/{identifier}", {"customerAddress": {"city": "Kraków"}})
    assert nested.status_code == 400 and nested.json()["errorCode"] == "nestedObjectNotAllowed"
    dotted = api("PUT", f"transactions/{identifier}", {"customerAddress.city": "Kraków"})
    assert dotted.status_code == 200 and dotted.json()["changelog"][0]["modification"] == "CHANGE"
    stored = fake.documents[0]
    assert stored.detail["customerAddress"]["city"] == "Kraków"
    # Several fields: only the first takes effect ("mostly tested for one field per request").
    api("PUT", f"transactions/{identifier}", {"paid": True, "invoiceAnnotations": "x"})
    stored = fake.documents[0]
    assert stored.paid == Decimal("1000.00") and stored.detail["invoiceAnnotations"] is None
    assert api("PUT", "transactions/1", {"paid": True}).status_code == 404


def test_payments_and_soft_delete_by_put(api: Api, fake: FirmaoFake) -> None:
    identifier = created(api("POST", "transactions", FDOC_TRANSACTION))
    api("PUT", f"transactions/{identifier}", {"paidValue": 250})
    assert fake.documents[0].detail["paymentStatus"] == "PARTIALLY_PAID"
    assert fake.documents[0].detail["restOfPaidValue"] == Decimal(750)
    api("PUT", f"transactions/{identifier}", {"paid": True})
    assert fake.documents[0].detail["paymentStatus"] == "PAID"
    assert api("PUT", f"transactions/{identifier}", {"paid": "yes"}).status_code == 400
    api("PUT", f"transactions/{identifier}", {"deleted": True})
    assert fake.documents[0].cancelled
    assert api("GET", "transactions", **{"id(eq)": str(identifier)}).json()["data"] == []
    assert api("GET", "transactions", **{"deleted(eq)": "true"}).json()["totalSize"] == 1
    created(api("POST", "transactions", FDOC_TRANSACTION))  # the number is free again


def test_corrections_pair_every_original_entry(api: Api, fake: FirmaoFake) -> None:
    original = created(api("POST", "transactions", FDOC_TRANSACTION))
    entries = api("GET", "transactionentries", **{"transaction(eq)": str(original)}).json()["data"]
    assert len(entries) == 1 and entries[0]["nettoPrice"] == 1000
    before = {"baseEntryId": entries[0]["id"], "recordId": 16, "product": 52, "quantity": 1, "vatPercent": "0",
              "unitNettoPrice": "1000.00", "entryPaid": "NOT_PAID", "entrySize": 1, "variant": 1}  # fmt: skip
    after = {"invalidRecordId": 16, "recordId": 17, "product": 52, "quantity": 2, "vatPercent": 0,
             "unitNettoPrice": "1000.00", "entryPaid": "NOT_PAID", "entrySize": 1, "variant": 1}  # fmt: skip
    correction = {
        "invoicePatternId": 1, "exchangeRate": 1, "exchangeRateDate": "2012-08-07", "factor": 1,
        "correctionCause": "Błędnie wprowadzone dane.", "paid": False, "bankAccount": 1, "currency": "PLN",
        "paymentType": "CASH", "restOfPaidValue": 1000, "paidValue": 0, "invoiceDate": "2022-04-08",
        "invoiceReceptionDate": "2022-04-08", "paymentDate": "2022-04-15", "transactionDate": "2012-08-08",
        "type": "CORRECTION", "mode": "SALE", "customer": 50, "connectedDocDate": "2012-08-08",
        "transactionNumber": "2022/04/004/KOR", "connectedDocNumber": "1/8/2012", "calculateFromGross": False,
        "transactionEntries": [before, after], "transactionNettoPrice": "1000.00",
        "transactionBruttoPrice": "1000.00", "transactionVatPrice": "0.00",
        "lastSelectedInvoiceReport": "Faktura_korygujaca2",
    }  # fmt: skip
    lonely = api("POST", "transactions", {**correction, "transactionEntries": [before]})
    assert lonely.json()["errorCode"] == "invalidCorrectionEntries"
    stranger = api("POST", "transactions", {**correction, "connectedDocNumber": "9/9/2099"})
    assert stranger.json()["errorCode"] == "entityNotFoundForId"
    created(api("POST", "transactions", correction))
    stored = fake.find(number="2022/04/004/KOR")
    assert stored is not None and stored.kind == "correction" and stored.corrects == "1/8/2012"
    assert stored.total == Decimal("1000.00")  # the difference: after (2000) minus before (1000)


def test_a_real_pdf_per_template(api: Api) -> None:
    identifier = created(api("POST", "transactions", FDOC_TRANSACTION))
    pdf = api("GET", "reports/invoices/transaction/Faktura/faktura.pdf", original="true", id=str(identifier))
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF") and b"1/8/2012" in pdf.content
    assert api("GET", "reports/invoices/transaction/Nope/f.pdf", id=str(identifier)).status_code == 404
    assert api("GET", "reports/invoices/transaction/Faktura/f.pdf", id="1").status_code == 404
    assert api("GET", "reports/invoices/transaction/Faktura/f.txt", id=str(identifier)).status_code == 404


def test_filters_paging_and_the_magento_filter_syntax(api: Api, fake: FirmaoFake) -> None:
    by_fdoc = api("GET", "products", **{"productCode(eq)": "SKU-1"}).json()["data"]
    by_fmag = api("GET", "products", filters='(productCode="SKU-1")').json()["data"]
    assert [p["id"] for p in by_fdoc] == [p["id"] for p in by_fmag] == [52]
    assert api("GET", "products", **{"productCode(in)": "SKU-1;ST0002"}).json()["totalSize"] == 2
    assert api("GET", "products", **{"currentStoreState(gt)": "99"}).json()["totalSize"] == 2
    assert api("GET", "products", **{"name(contains)": "pentium"}).json()["totalSize"] == 1
    assert api("GET", "products", **{"name(bogus)": "x"}).json()["errorCode"] == "invalidFilter"
    page = api("GET", "products", start="1", limit="1", sort="id", dir="DESC").json()
    assert page["totalSize"] == 2 and [p["id"] for p in page["data"]] == [51]
    fake.ignore_filters = True
    assert api("GET", "products", **{"productCode(eq)": "SKU-1"}).json()["totalSize"] == 2


def test_customers_refuse_a_duplicate_nip(api: Api) -> None:
    body = {"name": "KOMP-SERVICE Jan Kowalski", "nipNumber": "7291077843", "officeAddress.city": "Pruszków"}
    identifier = created(api("POST", "customers", body), "customer")
    duplicate = api("POST", "customers", {**body, "name": "Other"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "errorCode": "duplicateValueFoundException",
        "objectName": "customer",
        "fieldName": "nipNumber",
        "duplicateValues": [{"lineNumber": -1, "objectId": identifier, "value": "7291077843"}],
    }
    found = api("GET", "customers", **{"nipNumber(eq)": "7291077843"}).json()["data"]
    assert found[0]["officeAddress"]["city"] == "Pruszków"
    assert api("PUT", f"customers/{identifier}", {"officeAddress": {"city": "X"}}).status_code == 400


def test_the_magento_storage_document_flow_is_accepted(api: Api, fake: FirmaoFake) -> None:
    product = created(api("POST", "products", {"name": "Nowy", "productCode": "PR1", "purchasePriceGroup.netPrice": 10,
                                               "purchasePriceGroup.vat": 23, "saleable": True}), "product")  # fmt: skip
    doc = created(
        api("POST", "storagedocs", {"type": "OUTSIDE_INCOME", "warehouse": {"id": 1}, "invoicePatternId": 1,
                                    "paymentType": "CASH", "currency": "PLN", "calculateFromGross": False}),
        "storagedoc",
    )  # fmt: skip
    entry = api("POST", "transactionentries", {"storageDoc": {"id": doc}, "mode": "PURCHASE", "product": product,
                                               "quantity": 5, "unitNettoPrice": "10.00", "vatPercent": 23})  # fmt: skip
    created(entry, "transactionentry")
    assert api("GET", "storagedocs").json()["totalSize"] == 1
    assert api("PUT", f"products/{product}", {"currentStoreState": 50}).json()["errorCode"] == (
        "directStockModificationDisabled"
    )
    fake.organizations["demo"].direct_stock_modification = True
    assert api("PUT", f"products/{product}", {"currentStoreState": 50}).status_code == 200
    entry_id = int(entry.json()["changelog"][0]["objectId"])
    assert api("DELETE", f"transactionentries/{entry_id}").status_code == 200
    assert api("DELETE", f"transactionentries/{entry_id}").status_code == 404


def test_one_request_per_second_per_organization(fake: FirmaoFake, clock: FakeClock) -> None:
    http = httpx.Client(transport=fake)
    assert http.get(ROOT + "transactions", headers=basic()).status_code == 200
    refused = http.get(ROOT + "transactions", headers=basic())
    assert refused.status_code == 429 and refused.content == b"" and "Retry-After" not in refused.headers
    assert fake.penalties == 1
    fake.add_organization("other", "u", "p")
    other = http.get("https://system.firmao.pl/other/svc/v1/transactions", headers=basic("u", "p"))
    assert other.status_code == 200  # counted per organization
    clock.advance(1.0)
    assert http.get(ROOT + "transactions", headers=basic()).status_code == 200


def test_faults(api: Api, fake: FirmaoFake) -> None:
    fake.inject(Fault.SERVER_ERROR, "demo/svc/v1/transactions", method="POST")
    assert api("POST", "transactions", FDOC_TRANSACTION).status_code == 500
    assert fake.documents == []
    fake.inject(Fault.ERROR_TEXT_200, "demo/svc/v1/transactions", method="POST")
    odd = api("POST", "transactions", FDOC_TRANSACTION)
    assert odd.status_code == 200 and odd.json() == {"changelog": []} and fake.documents == []
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "demo/svc/v1/transactions", method="POST")
    with pytest.raises(httpx.ReadTimeout):
        api("POST", "transactions", FDOC_TRANSACTION)
    assert len(fake.documents) == 1
    fake.omit_create_entry()
    log = api("POST", "transactions", {**FDOC_TRANSACTION, "transactionNumber": "x/1"}).json()["changelog"]
    assert not any(e["objectClass"] == "transaction" and e["modification"] == "CREATE" for e in log)
    fake.fail_after_commit(status=502)
    assert api("POST", "transactions", {**FDOC_TRANSACTION, "transactionNumber": "x/2"}).status_code == 502
    assert [d.number for d in fake.documents] == ["1/8/2012", "x/1", "x/2"]


def test_the_net_host_and_other_hosts(api: Api) -> None:
    net = api("GET", "transactions", root="https://system.firmao.net/demo/svc/v1/")
    assert net.status_code == 200
    with pytest.raises(httpx.ConnectError):
        api("GET", "transactions", root="https://api.firmao.pl/demo/svc/v1/")


def test_no_log_is_kept_when_asked(clock: FakeClock) -> None:
    fake = FirmaoFake(clock=clock, keep_log=False)
    Api(fake, clock)("GET", "transactions")
    assert fake.requests == [] and fake.request_count == 1


def test_the_fake_is_an_async_transport(fake: FirmaoFake) -> None:
    async def run() -> int:
        async with httpx.AsyncClient(transport=fake) as http:
            response = await http.get(ROOT + "invoicenumbers", headers=basic())
            return response.status_code

    assert asyncio.run(run()) == 200


def test_the_pytest_fixture_is_the_demo_on_the_fake_clock(firmao_fake: FirmaoFake, fake_clock: FakeClock) -> None:
    assert isinstance(firmao_fake, FirmaoFake) and firmao_fake.clock is fake_clock
    assert "demo" in firmao_fake.organizations


def test_what_pipedream_sends_on_the_net_host(api: Api) -> None:
    net = "https://system.firmao.net/demo/svc/v1/"
    users = api("GET", "users", root=net).json()["data"]
    assert users[0]["label"] == "Jacob Smith"
    task = {"priority": "300", "responsibleUsers": [{"id": 1}], "estimatedHours": 5, "description": "Opis",
            "plannedStartDate": "2012-07-17T00:00:00+02:00", "plannedEndDate": "2012-07-18T00:00:00+02:00",
            "orderCalculateFromGross": False, "name": "Przykładowe zadanie"}  # fmt: skip
    created(api("POST", "tasks", task, root=net), "task")
    offer = {"nettoPrice": "818.85", "bruttoPrice": "999.00", "vatPrice": "180.15", "currency": "PLN",
             "paymentDate": "2012-11-09", "offerDate": "2012-11-09", "validFrom": "2012-11-09", "type": "OFFER",
             "mode": "SALE", "offerStatus": "NEW", "customerAddress.postCode": "91-477", "daysToDueDate": 7,
             "customer": "50", "customerAddress.city": "Łódź", "customerAddress.country": "Polska",
             "customerAddress.street": "Piotrkowska 147/8", "nipNumber": "1060000062", "issuingPerson": "Jacob Smith",
             "number": "1/11/2012/U"}  # fmt: skip
    created(api("POST", "offers", offer, root=net), "offer")
    assert api("GET", "tasks", root=net).json()["totalSize"] == 1
    assert api("GET", "offers", root=net).json()["data"][0]["customerAddress"]["city"] == "Łódź"
    assert api("POST", "offers", {**offer, "customer": 999}, root=net).json()["errorCode"] == "entityNotFoundForId"
    assert api("POST", "users", {"label": "x"}, root=net).status_code == 405
    assert api("GET", "storagedocs", root=net).status_code == 200
    assert api("GET", "nothing", root=net).status_code == 404


def test_an_entry_is_edited_by_a_single_field_put(api: Api, fake: FirmaoFake) -> None:
    # firmao.md §3: POST/PUT transactionentries; F-MAG's updateTransactionEntry sends a PUT.
    identifier = created(api("POST", "transactions", FDOC_TRANSACTION))
    (entry,) = api("GET", "transactionentries", **{"transaction(eq)": str(identifier)}).json()["data"]
    changed = api("PUT", f"transactionentries/{entry['id']}", {"quantity": 3})
    assert changed.status_code == 200
    assert changed.json()["changelog"][0]["property"] == "quantity"
    stored = fake.organizations["demo"].entries[entry["id"]]
    assert stored["quantity"] == 3 and stored["nettoPrice"] == Decimal("3000.00")
    assert api("PUT", f"transactionentries/{entry['id']}", {"product": {"id": 51}}).status_code == 400
    assert api("PUT", "transactionentries/1", {"quantity": 1}).status_code == 404


def test_one_filter_can_be_ignored_while_the_others_apply(api: Api, fake: FirmaoFake) -> None:
    fake.ignored_filters = {"productCode(eq)"}
    assert api("GET", "products", **{"productCode(eq)": "SKU-1"}).json()["totalSize"] == 2
    assert [p["id"] for p in api("GET", "products", filters='(productCode="SKU-1")').json()["data"]] == [52]


def test_a_full_page_may_answer_an_unknown_total_size(api: Api, fake: FirmaoFake) -> None:
    fake.unknown_total_size = True
    assert api("GET", "products", limit="1").json()["totalSize"] == -1
    assert api("GET", "products", limit="5").json()["totalSize"] == 2
