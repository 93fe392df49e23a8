"""Tests of the SmartBill fake, driven with plain httpx requests and hand-written JSON.

Expected texts are SmartBill's own (Swagger "Mesaje de eroare 400") wherever the
documentation gives one; they are written out literally here on purpose, so a typo in the
fake's constants cannot make both sides agree.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounting_connectors.testing import pytest_plugin
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault, FaultPlan
from accounting_connectors.testing.pdf import make_pdf
from accounting_connectors.testing.smartbill import SmartBillFake, StoredDocument

BASE = "https://ws.smartbill.ro/SBORO/api/"
USER = "demo@example.ro"
TOKEN = "demo-token"
CIF = "RO12345678"

Body = dict[str, Any]

# The plugin's fixtures, used directly so this module does not depend on the package being
# installed (its pytest11 entry point) or on a conftest.
fake_clock = pytest_plugin.fake_clock
smartbill_fake = pytest_plugin.smartbill_fake


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake(smartbill_fake: SmartBillFake) -> SmartBillFake:
    return smartbill_fake


@pytest.fixture
def client(fake: SmartBillFake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake, base_url=BASE, auth=(USER, TOKEN)) as c:
        yield c


def product(**overrides: Any) -> Body:
    line: Body = {
        "name": "Produs 1",
        "code": "SKU-1",
        "isDiscount": False,
        "measuringUnitName": "buc",
        "currency": "RON",
        "quantity": 2,
        "price": 100,
        "isTaxIncluded": False,
        "taxName": "Normala",
        "taxPercentage": 21,
        "saveToDb": False,
        "isService": False,
    }
    line.update(overrides)
    return line


def invoice(**overrides: Any) -> Body:
    body: Body = {
        "companyVatCode": CIF,
        "client": {
            "name": "Client SRL",
            "vatCode": "RO456",
            "isTaxPayer": True,
            "address": "Str. A 1",
            "city": "Cluj-Napoca",
            "county": "Cluj",
            "country": "Romania",
            "saveToDb": False,
        },
        "issueDate": "2026-01-05",
        "seriesName": "FCT",
        "isDraft": False,
        "currency": "RON",
        "products": [product()],
    }
    body.update(overrides)
    return body


def post(client: httpx.Client, path: str, body: Body) -> httpx.Response:
    return client.post(path, json=body)


def error_text(response: httpx.Response) -> str:
    text = response.json()["errorText"]
    assert isinstance(text, str)
    return text


def issue(client: httpx.Client, **overrides: Any) -> Body:
    response = post(client, "invoice", invoice(**overrides))
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["errorText"] == ""
    return dict(payload)


# ------------------------------------------------------------------------------- auth
def test_missing_credentials_are_refused(fake: SmartBillFake) -> None:
    with httpx.Client(transport=fake, base_url=BASE) as anonymous:
        response = anonymous.get("series", params={"cif": CIF})
    assert response.status_code == 401
    assert error_text(response)
    assert response.json()["message"] == ""


@pytest.mark.parametrize(
    "auth_header",
    [
        "Basic " + base64.b64encode(b"demo@example.ro:wrong").decode(),
        "Basic " + base64.b64encode(b"other@example.ro:demo-token").decode(),
        "Basic not-base64!!",
        "Bearer demo-token",
    ],
)
def test_wrong_credentials_are_refused(fake: SmartBillFake, auth_header: str) -> None:
    with httpx.Client(transport=fake, base_url=BASE) as c:
        response = c.get("series", params={"cif": CIF}, headers={"Authorization": auth_header})
    assert response.status_code == 401
    assert error_text(response)


def test_preemptive_basic_auth_is_accepted(client: httpx.Client, fake: SmartBillFake) -> None:
    response = client.get("tax", params={"cif": CIF})
    assert response.status_code == 200
    expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    assert fake.requests[-1].headers["authorization"] == expected


def test_company_must_belong_to_the_user(client: httpx.Client, fake: SmartBillFake) -> None:
    response = post(client, "invoice", invoice(companyVatCode="RO999"))
    assert response.status_code == 401
    assert error_text(response) == (
        "Firma la care incercati sa va conectati nu este disponibila pentru acest utilizator."
    )
    assert client.get("series", params={"cif": "RO999"}).status_code == 401
    assert fake.documents == []

    fake.add_company("RO999")
    fake.add_series("B", "f", company="RO999")
    payload = issue(client, companyVatCode="RO999", seriesName="B")
    assert (payload["series"], payload["number"]) == ("B", "0001")
    # Series belong to a company: FCT is the main company's, not RO999's.
    response = post(client, "invoice", invoice(companyVatCode="RO999", seriesName="FCT"))
    assert error_text(response) == "Seria nu a fost gasita! Folositi o serie creata in contul de cloud."


def test_cif_without_ro_prefix_names_the_same_company(client: httpx.Client) -> None:
    assert client.get("series", params={"cif": "12345678"}).status_code == 200


# ------------------------------------------------------------------------------- media types, routing
def test_post_without_json_content_type_is_415(client: httpx.Client, fake: SmartBillFake) -> None:
    response = client.post("invoice", content=json.dumps(invoice()), headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert error_text(response)
    response = client.post("invoice", content=b"<invoice/>", headers={"Content-Type": "application/xml"})
    assert response.status_code == 415
    assert fake.documents == []


def test_json_content_type_with_charset_is_accepted(client: httpx.Client) -> None:
    response = client.post(
        "invoice",
        content=json.dumps(invoice()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post("invoice", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_text(response)


def test_unknown_path_is_404_and_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.get("no/such/thing")
    assert response.status_code == 404
    assert error_text(response)
    assert client.get("invoice").status_code == 405
    assert client.delete("series", params={"cif": CIF}).status_code == 405


def test_plain_http_and_other_hosts_do_not_connect(fake: SmartBillFake) -> None:
    with httpx.Client(transport=fake, auth=(USER, TOKEN)) as c:
        with pytest.raises(httpx.ConnectError):
            c.get("http://ws.smartbill.ro/SBORO/api/tax", params={"cif": CIF})
        with pytest.raises(httpx.ConnectError):
            c.get("https://example.com/SBORO/api/tax", params={"cif": CIF})


# ------------------------------------------------------------------------------- invoice validation
def _without(key: str) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        del body[key]

    return mutate


def _product_without(key: str) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        del body["products"][0][key]

    return mutate


def _set(path: str, value: Any) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        target = body
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]  # type: ignore[index]
        target[keys[-1]] = value

    return mutate


def _zero_tax_without_name(body: Body) -> None:
    del body["products"][0]["taxName"]
    body["products"][0]["taxPercentage"] = 0


def _no_tax(body: Body) -> None:
    del body["products"][0]["taxName"], body["products"][0]["taxPercentage"]


INVALID_INVOICES: list[tuple[str, Callable[[Body], None], str]] = [
    ("no companyVatCode", _without("companyVatCode"), "CIF-ul firmei ('companyVatCode') trebuie specificat"),
    ("no client", _without("client"), "client trebuie specificat"),
    ("empty client name", _set("client.name", ""), "Client invalid!"),
    ("no products", _without("products"), "Factura nu contine produse!"),
    ("empty products", _set("products", []), "Factura nu contine produse!"),
    ("no product name", _product_without("name"), "name trebuie specificat pentru fiecare produs"),
    (
        "no measuring unit",
        _product_without("measuringUnitName"),
        "measuringUnitName trebuie specificat pentru fiecare produs",
    ),
    ("no product currency", _product_without("currency"), "currency trebuie specificat pentru fiecare produs"),
    ("no quantity", _product_without("quantity"), "quantity trebuie specificat pentru fiecare produs"),
    ("no price", _product_without("price"), "price trebuie specificat pentru fiecare produs"),
    (
        "tax pair not in the account",
        _set("products.0.taxPercentage", 19),
        "Cota tva a produsului Produs 1 nu a fost gasita pe server!",
    ),
    (
        "unknown tax name",
        _set("products.0.taxName", "Speciala"),
        "Cota tva a produsului Produs 1 nu a fost gasita pe server!",
    ),
    (
        "0% without taxName means TVA Inclus, which the account lacks",
        _zero_tax_without_name,
        "Cota tva a produsului Produs 1 nu a fost gasita pe server!",
    ),
    (
        "no tax at all",
        _no_tax,
        "Trebuie sa setezi o cota tva pentru produsul Produs 1.",
    ),
    (
        "series does not exist",
        _set("seriesName", "XYZ"),
        "Seria nu a fost gasita! Folositi o serie creata in contul de cloud.",
    ),
    (
        "series is a receipt series",
        _set("seriesName", "CHT"),
        "Seria nu a fost gasita! Folositi o serie creata in contul de cloud.",
    ),
    ("unknown language", _set("language", "DE"), "Limba nu a fost gasita pe server!"),
    ("unknown currency", _set("currency", "XXX"), "Moneda nu a fost gasita pe server!"),
    ("date format", _set("issueDate", "05.01.2026"), "Data documentului trebuie sa fie de forma yyyy-MM-dd."),
    ("impossible date", _set("issueDate", "2026-02-30"), "Data documentului trebuie sa fie de forma yyyy-MM-dd."),
    ("empty date", _set("issueDate", ""), "issueDate trebuie specificat"),
    (
        "EUR line on a RON invoice",
        _set("products.0.currency", "EUR"),
        "Aveti produse care au pretul in alta moneda decat cea a facturii.",
    ),
    (
        "RON line on an EUR invoice",
        _set("currency", "EUR"),
        "Nu puteti emite documente in EUR cu moneda de referinta a produselor in RON !",
    ),
    (
        "too many lines",
        _set("products", [product() for _ in range(401)]),
        "Numarul maxim acceptat de 400 intrari pe document a fost depasit.",
    ),
    (
        "only a discount",
        _set(
            "products",
            [product(isDiscount=True, numberOfItems=1, discountType=2, discountPercentage=10)],
        ),
        "Nu poti sa emiti un document care contine doar un discount. Trebuie sa ai si produse / servicii adaugate.",
    ),
    (
        "percentage discount without percentage",
        _set("products", [product(), product(name="Discount", isDiscount=True, numberOfItems=1, discountType=2)]),
        "discountPercentage trebuie specificat pentru fiecare produs de tip discount",
    ),
    (
        "percentage discount is the default type",
        _set("products", [product(), product(name="Discount", isDiscount=True, numberOfItems=1)]),
        "discountPercentage trebuie specificat pentru fiecare produs de tip discount",
    ),
    (
        "fixed discount without value",
        _set("products", [product(), product(name="Discount", isDiscount=True, numberOfItems=1, discountType=1)]),
        "discountValue trebuie specificat pentru fiecare produs de tip discount",
    ),
    (
        "fixed discount over mixed rates without its own rate",
        _set(
            "products",
            [
                product(),
                product(name="Carte", taxName="Redusa", taxPercentage=11),
                {
                    "name": "Discount",
                    "isDiscount": True,
                    "numberOfItems": 2,
                    "measuringUnitName": "buc",
                    "currency": "RON",
                    "discountType": 1,
                    "discountValue": -5,
                },
            ],
        ),
        "La aplicarea unui discount pentru produse cu cote tva diferite, "
        "trebuie sa specifici si cota tva a discountului.",
    ),
    (
        "embedded payment without type",
        _set("payment", {"value": 10, "paymentSeries": "CHT"}),
        "type trebuie specificat pentru incasare",
    ),
    (
        "embedded payment without value",
        _set("payment", {"type": "Chitanta", "paymentSeries": "CHT"}),
        "value trebuie specificat pentru incasare",
    ),
    (
        "embedded payment of unknown type",
        _set("payment", {"type": "Bitcoin", "value": 10}),
        "Tipul incasarii nu a fost gasit!",
    ),
    (
        "embedded receipt in an invoice series",
        _set("payment", {"type": "Chitanta", "value": 10, "paymentSeries": "FCT"}),
        "Seria incasarii nu a fost gasita pe server.",
    ),
    (
        "embedded receipt without series",
        _set("payment", {"type": "Chitanta", "value": 10}),
        "Seria incasarii nu a fost gasita pe server.",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=i) for i, m, e in INVALID_INVOICES],
)
def test_invalid_invoice_is_rejected(
    client: httpx.Client, fake: SmartBillFake, mutate: Callable[[Body], None], expected: str
) -> None:
    body = invoice()
    mutate(body)
    response = post(client, "invoice", body)
    assert response.status_code == 400
    assert response.json() == {"errorText": expected, "message": "", "number": ""}
    assert fake.documents == []
    assert fake.next_number("FCT") == "0001"
    assert fake.next_number("CHT") == "0001"


DISCOUNT_ERRORS: list[tuple[str, Body, str]] = [
    ("too many items", {"numberOfItems": 2, "discountType": 1, "discountValue": -5}, "numberOfItems"),
    ("no items", {"discountType": 1, "discountValue": -5}, "numberOfItems"),
    ("positive fixed value", {"numberOfItems": 1, "discountType": 1, "discountValue": 5}, "negativ"),
    ("zero fixed value", {"numberOfItems": 1, "discountType": 1, "discountValue": 0}, "negativ"),
]


@pytest.mark.parametrize(("fields", "fragment"), [pytest.param(f, t, id=i) for i, f, t in DISCOUNT_ERRORS])
def test_discount_rules_without_documented_texts(client: httpx.Client, fields: Body, fragment: str) -> None:
    discount = {"name": "Discount", "isDiscount": True, "measuringUnitName": "buc", "currency": "RON", **fields}
    response = post(client, "invoice", invoice(products=[product(), discount]))
    assert response.status_code == 400
    assert fragment in error_text(response)


def test_percentage_discount_over_mixed_rates_is_rejected(client: httpx.Client) -> None:
    discount = {
        "name": "Discount",
        "isDiscount": True,
        "numberOfItems": 2,
        "measuringUnitName": "buc",
        "currency": "RON",
        "discountType": 2,
        "discountPercentage": 10,
    }
    body = invoice(products=[product(), product(name="Carte", taxName="Redusa", taxPercentage=11), discount])
    response = post(client, "invoice", body)
    assert response.status_code == 400
    assert error_text(response)


def test_valid_discounts_reduce_the_total(client: httpx.Client) -> None:
    fixed = {
        "name": "Discount valoric",
        "isDiscount": True,
        "numberOfItems": 1,
        "measuringUnitName": "buc",
        "currency": "RON",
        "isTaxIncluded": True,
        "taxName": "Normala",
        "taxPercentage": 21,
        "discountType": 1,
        "discountValue": -42,
    }
    percent = dict(fixed, name="Discount procentual", numberOfItems=2, discountType=2, discountPercentage=10)
    del percent["discountValue"]
    payload = issue(client, products=[product(), fixed, percent])
    status = client.get("invoice/paymentstatus", params={"cif": CIF, "seriesname": "FCT", "number": payload["number"]})
    # 2 x 100 + 21% = 242; fixed -42 (VAT included) = 200; then -10% = 180.
    assert status.json()["invoiceTotalAmount"] == 180


def test_stock_rules(client: httpx.Client, fake: SmartBillFake) -> None:
    stock_line = product(warehouseName="Magazin")
    response = post(client, "invoice", invoice(useStock=True, products=[stock_line]))
    assert error_text(response) == "Modulul stoc nu este activ!"

    fake.stock_enabled = True
    response = post(client, "invoice", invoice(useStock=True, products=[product(warehouseName="")]))
    assert error_text(response) == "Gestiunea predatoare nu este setata pentru produsul Produs 1."
    response = post(client, "invoice", invoice(useStock=True, products=[stock_line]))
    assert error_text(response) == "Gestiunea predatoare Magazin a produsului Produs 1 nu a fost gasita."

    fake.warehouses.add("Magazin")
    response = post(client, "invoice", invoice(useStock=True, products=[product(warehouseName="magazin")]))
    assert response.status_code == 400  # warehouse names are case-sensitive
    issue(client, useStock=True, products=[stock_line, product(name="Montaj", isService=True)])

    fake.check_warehouses = False
    issue(client, useStock=True, products=[product(warehouseName="Oriunde")])
    assert len(fake.invoices("FCT")) == 2


def test_product_code_required_when_the_account_uses_codes(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.use_product_codes = True
    body = invoice()
    del body["products"][0]["code"]
    assert error_text(post(client, "invoice", body)) == "Produsul Produs 1 nu are codul specificat."


def test_non_vat_payer_needs_no_tax_fields(fake: SmartBillFake, client: httpx.Client) -> None:
    fake.vat_payer = False
    line = product()
    del line["taxName"], line["taxPercentage"]
    payload = issue(client, products=[line])
    status = client.get("invoice/paymentstatus", params={"cif": CIF, "seriesname": "FCT", "number": payload["number"]})
    assert status.json()["invoiceTotalAmount"] == 200
    response = post(client, "invoice", invoice(usePaymentTax=True))
    assert error_text(response) == "O firma neplatitoare de tva nu poate folosi tva la incasare!"


def test_languages_are_configurable(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client, language="EN")
    assert error_text(post(client, "invoice", invoice(language="FR"))) == "Limba nu a fost gasita pe server!"
    fake.languages.add("FR")
    issue(client, language="FR")


def test_invoice_from_an_estimate_is_not_found(client: httpx.Client) -> None:
    body = invoice(useEstimateDetails=True, estimate={"seriesName": "PRF", "number": "0001"})
    assert error_text(post(client, "invoice", body)) == "Factura proforma PRF0001 nu a fost gasita!"


# ------------------------------------------------------------------------------- numbering
def test_numbers_are_zero_padded_and_per_series(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.add_series("FA", "f", next_number=117)
    assert issue(client) == {"errorText": "", "message": "", "number": "0001", "series": "FCT", "url": ""}
    assert issue(client)["number"] == "0002"
    assert issue(client, seriesName="FA")["number"] == "0117"
    assert issue(client)["number"] == "0003"
    assert [d.number for d in fake.invoices("FCT")] == ["0001", "0002", "0003"]
    assert [d.number for d in fake.invoices("FA")] == ["0117"]
    assert fake.next_number("FCT") == "0004"


def test_omitted_series_uses_the_default_invoice_series(client: httpx.Client, fake: SmartBillFake) -> None:
    body = invoice()
    del body["seriesName"]
    assert post(client, "invoice", body).json()["series"] == "FCT"
    fake.add_series("DEF", "f", default=True)
    assert post(client, "invoice", body).json()["series"] == "DEF"


def test_account_without_invoice_series(fake_clock: FakeClock) -> None:
    empty = SmartBillFake(clock=fake_clock, series=[])
    with httpx.Client(transport=empty, base_url=BASE, auth=(USER, TOKEN)) as c:
        body = invoice()
        del body["seriesName"]
        assert error_text(post(c, "invoice", body)) == (
            "Seria nu a fost gasita! Folositi o serie creata in contul de cloud."
        )


def test_draft_gets_no_number(client: httpx.Client, fake: SmartBillFake) -> None:
    payload = issue(client, isDraft=True)
    assert payload["number"] == ""
    assert fake.documents == []
    assert len(fake.drafts) == 1
    assert fake.drafts[0].detail.draft
    assert issue(client)["number"] == "0001"


def test_draft_accepts_numeric_booleans(client: httpx.Client) -> None:
    assert issue(client, isDraft=1)["number"] == ""


def test_invoice_v2_returns_document_links(client: httpx.Client, fake: SmartBillFake) -> None:
    response = post(client, "invoice/v2", invoice())
    payload = response.json()
    assert payload["number"] == "0001"
    assert payload["documentUrl"].startswith("https://cloud.smartbill.ro/")
    assert payload["documentViewUrl"].startswith("https://cloud.smartbill.ro/")
    assert payload["documentId"] == fake.documents[0].detail.document_id
    error = post(client, "invoice/v2", invoice(seriesName="XYZ")).json()
    assert error["documentId"] == -1


def test_stored_document_keeps_the_body_with_decimals(client: httpx.Client, fake: SmartBillFake) -> None:
    raw = json.dumps(invoice(products=[product(quantity="QTY", price="PRICE")]))
    raw = raw.replace('"QTY"', "3").replace('"PRICE"', "10.50")
    response = client.post("invoice", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    doc = fake.documents[0]
    assert isinstance(doc, StoredDocument)
    assert doc.kind == "invoice"
    assert doc.issue_date == "2026-01-05"
    assert doc.body["products"][0]["price"] == Decimal("10.50")
    # 3 x 10.50 = 31.50, + 21% = 38.115, rounded half-up to 38.12
    assert doc.total == Decimal("38.12")
    status = client.get("invoice/paymentstatus", params={"cif": CIF, "seriesname": "FCT", "number": "0001"})
    assert re.search(r'"invoiceTotalAmount": ?38\.12\b', status.text)


def test_issue_date_defaults_to_the_fake_clock_date(
    client: httpx.Client,
    fake: SmartBillFake,
    fake_clock: FakeClock,
) -> None:
    body = invoice()
    del body["issueDate"]
    post(client, "invoice", body)
    fake_clock.advance(86_400 * 31)
    post(client, "invoice", body)
    assert [d.issue_date for d in fake.documents] == ["2026-01-01", "2026-02-01"]


# ------------------------------------------------------------------------------- storno
def reverse(client: httpx.Client, **fields: Any) -> httpx.Response:
    body: Body = {"companyVatCode": CIF, "seriesName": "FCT", "number": "0001", "issueDate": "2026-01-10"}
    body.update(fields)
    return post(client, "invoice/reverse", body)


def test_storno_goes_into_the_same_series(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    response = reverse(client)
    assert response.status_code == 200
    payload = response.json()
    assert (payload["errorText"], payload["series"], payload["number"]) == ("", "FCT", "0002")
    assert payload["documentId"] > 0
    assert payload["documentUrl"]
    assert payload["documentViewUrl"]
    original, storno = fake.invoices("FCT")
    assert storno.kind == "storno"
    assert storno.detail.reverses == ("FCT", "0001")
    assert original.detail.reversed_by == ("FCT", "0002")
    assert storno.total == -original.total
    assert storno.issue_date == "2026-01-10"


LINK_ERROR = {
    "message": "",
    "number": "",
    "series": "",
    "url": "",
    "documentUrl": "",
    "documentId": -1,
    "documentViewUrl": "",
}


def test_storno_of_a_missing_invoice(client: httpx.Client) -> None:
    response = reverse(client, number="0042")
    assert response.status_code == 400
    assert response.json() == {"errorText": "Factura cu seria si numarul FCT 0042 nu a fost gasita!", **LINK_ERROR}


def test_unpadded_number_is_not_found(client: httpx.Client) -> None:
    issue(client)
    assert "nu a fost gasita" in error_text(reverse(client, number="1"))


def test_storno_twice_is_rejected(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    reverse(client)
    response = reverse(client)
    assert response.json() == {"errorText": "Factura este deja stornata.", **LINK_ERROR}
    assert len(fake.invoices("FCT")) == 2


def test_storno_of_a_storno_is_rejected(client: httpx.Client) -> None:
    issue(client)
    reverse(client)
    response = reverse(client, number="0002")
    assert error_text(response) == "Factura FCT 0002 este de tip storno. Nu se poate storna."


def test_storno_dated_before_the_invoice_is_rejected(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    response = reverse(client, issueDate="2026-01-04")
    assert response.json() == {
        "errorText": "Data emiterii facturii storno nu poate fi anterioara datei emiterii facturii stornate.",
        **LINK_ERROR,
    }
    assert reverse(client, issueDate="2026-01-05").status_code == 200  # same day is fine
    assert fake.next_number("FCT") == "0003"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("companyVatCode", "Firma la care incercati sa va conectati nu mai este disponibila in Cloud."),
        ("seriesName", "Seria facturii trebuie specificata in parametrul 'seriesName'!"),
        ("number", "Numarul facturii trebuie specificat in parametrul 'number'!"),
    ],
)
def test_storno_required_fields(client: httpx.Client, field: str, expected: str) -> None:
    issue(client)
    body: Body = {"companyVatCode": CIF, "seriesName": "FCT", "number": "0001"}
    del body[field]
    assert error_text(post(client, "invoice/reverse", body)) == expected


def test_storno_allowed_again_after_the_storno_is_cancelled(client: httpx.Client) -> None:
    issue(client)
    reverse(client)
    client.put("invoice/cancel", params={"cif": CIF, "seriesName": "FCT", "number": "0002"})
    assert reverse(client).json()["number"] == "0003"


# ------------------------------------------------------------------------------- payments and receipts
def status_of(client: httpx.Client, number: str, key: str = "seriesname") -> Body:
    response = client.get("invoice/paymentstatus", params={"cif": CIF, key: "FCT", "number": number})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_payment_status_of_an_unpaid_invoice(client: httpx.Client) -> None:
    issue(client)
    assert status_of(client, "0001") == {
        "errorText": "",
        "message": "",
        "number": "",
        "series": "",
        "invoiceTotalAmount": 242,
        "paidAmount": 0,
        "unpaidAmount": 242,
        "paid": False,
    }


def test_payment_status_accepts_both_series_key_spellings(client: httpx.Client) -> None:
    issue(client)
    assert status_of(client, "0001", key="seriesName")["invoiceTotalAmount"] == 242


def test_payment_status_of_a_missing_invoice(client: httpx.Client) -> None:
    response = client.get("invoice/paymentstatus", params={"cif": CIF, "seriesname": "FCT", "number": "0009"})
    assert response.status_code == 400
    assert error_text(response) == "Factura nu a fost gasita!"


def test_embedded_chitanta_creates_a_receipt(client: httpx.Client, fake: SmartBillFake) -> None:
    payload = issue(client, payment={"value": 242, "paymentSeries": "CHT", "type": "Chitanta", "isCash": True})
    assert payload["number"] == "0001"
    invoice_doc, receipt = fake.documents
    assert receipt.kind == "receipt"
    assert (receipt.series, receipt.number) == ("CHT", "0001")
    assert receipt.detail.invoices == (("FCT", "0001"),)
    assert receipt.total == 242
    assert fake.invoices("FCT")[0].paid == 242
    assert status_of(client, "0001")["paid"] is True
    assert fake.receipts("CHT") == [receipt]
    assert invoice_doc.kind == "invoice"


def test_embedded_card_payment_records_no_receipt(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client, payment={"value": 100, "type": "Card", "isCash": False})
    assert [d.kind for d in fake.documents] == ["invoice", "payment"]
    assert status_of(client, "0001")["unpaidAmount"] == 142
    assert fake.next_number("CHT") == "0001"


def payment(**fields: Any) -> Body:
    body: Body = {
        "companyVatCode": CIF,
        "client": {"name": "Client SRL", "vatCode": "RO456"},
        "issueDate": "2026-01-06",
        "currency": "RON",
        "seriesName": "CHT",
        "precision": 2,
        "value": 100,
        "text": "contravaloare factura",
        "isDraft": False,
        "type": "Chitanta",
        "isCash": True,
        "useInvoiceDetails": False,
        "invoicesList": [{"seriesName": "FCT", "number": "0001"}],
    }
    body.update(fields)
    return body


def test_receipt_for_an_existing_invoice(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    response = post(client, "payment", payment())
    assert response.status_code == 200
    assert response.json() == {"errorText": "", "message": "", "number": "0001", "series": "CHT"}
    assert post(client, "payment", payment(value=42)).json()["number"] == "0002"
    status = status_of(client, "0001")
    assert (status["paidAmount"], status["unpaidAmount"], status["paid"]) == (142, 100, False)
    post(client, "payment", payment(type="Ordin plata", seriesName="", isCash=False))
    status = status_of(client, "0001")
    assert (status["paidAmount"], status["unpaidAmount"], status["paid"]) == (242, 0, True)
    assert [d.kind for d in fake.documents] == ["invoice", "receipt", "receipt", "payment"]


def test_receipt_without_series_uses_the_default_receipt_series(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    fake.add_series("CH2", "c", next_number=30, default=True)
    body = payment()
    del body["seriesName"]
    assert post(client, "payment", body).json() == {"errorText": "", "message": "", "number": "0030", "series": "CH2"}


def test_standalone_receipt(client: httpx.Client, fake: SmartBillFake) -> None:
    body = payment()
    del body["invoicesList"]
    assert post(client, "payment", body).json()["number"] == "0001"
    assert fake.receipts()[0].detail.invoices == ()


def test_payment_with_invoice_details_accepts_a_single_object(client: httpx.Client) -> None:
    issue(client)
    body = {
        "companyVatCode": CIF,
        "issueDate": "2026-01-06",
        "type": "Ordin plata",
        "isCash": False,
        "useInvoiceDetails": True,
        "invoicesList": {"seriesName": "FCT", "number": "0001"},
    }
    response = post(client, "payment", body)
    assert response.json() == {"errorText": "", "message": "", "number": "", "series": ""}
    assert status_of(client, "0001")["paid"] is True


def test_draft_receipt_gets_no_number(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    assert post(client, "payment", payment(isDraft=True)).json()["number"] == ""
    assert fake.next_number("CHT") == "0001"
    assert status_of(client, "0001")["paidAmount"] == 0


INVALID_PAYMENTS: list[tuple[str, Body, str]] = [
    ("no type", {"type": None}, "Tipul incasarii trebuie specificat."),
    ("unknown type", {"type": "Bitcoin"}, "Tipul incasarii nu a fost gasit!"),
    ("fiscal receipt", {"type": "Bon"}, "Nu s-a gasit casa de marcat pentru userul demo@example.ro."),
    ("no value", {"value": None}, "Valoarea incasarii trebuie specificata."),
    ("no client", {"client": None}, "Client invalid!"),
    ("missing series", {"seriesName": "XYZ"}, "Seria nu a fost gasita! Folositi o serie creata in contul de cloud."),
    ("invoice series", {"seriesName": "FCT"}, "Seria nu poate fi folosita la chitante."),
    ("missing invoice", {"invoicesList": [{"seriesName": "FCT", "number": "0077"}]}, "Factura nu a fost gasita!"),
    (
        "details without invoice",
        {"useInvoiceDetails": True, "invoicesList": []},
        "Pentru emiterea unei incasari cu datele de pe factura trebuie specificate seria si numarul facturii.",
    ),
    (
        "details with two invoices",
        {
            "useInvoiceDetails": True,
            "invoicesList": [{"seriesName": "FCT", "number": "0001"}, {"seriesName": "FCT", "number": "0002"}],
        },
        "Trebuie specificata doar o factura!",
    ),
    (
        "other client",
        {"client": {"name": "Alt Client SRL", "vatCode": "RO789"}},
        "Clientul facturii FCT0001 nu corespunde cu clientul incasarii!",
    ),
    ("other currency", {"currency": "EUR"}, "Moneda facturii FCT0001 nu corespunde cu moneda incasarii!"),
    ("other language", {"language": "EN"}, "Limba facturii FCT0001 nu corespunde cu limba incasarii!"),
    ("bad date", {"issueDate": "2026/01/06"}, "Data documentului trebuie sa fie de forma yyyy-MM-dd."),
    (
        "too many invoices",
        {"invoicesList": [{"seriesName": "FCT", "number": "0001"}] * 71},
        "Numarul maxim acceptat de 70 intrari pe document a fost depasit.",
    ),
]


@pytest.mark.parametrize(("fields", "expected"), [pytest.param(f, e, id=i) for i, f, e in INVALID_PAYMENTS])
def test_invalid_payment_is_rejected(client: httpx.Client, fake: SmartBillFake, fields: Body, expected: str) -> None:
    issue(client)
    issue(client)
    body = payment()
    for key, value in fields.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    response = post(client, "payment", body)
    assert response.status_code == 400
    assert error_text(response) == expected
    assert [d.kind for d in fake.documents] == ["invoice", "invoice"]
    assert fake.next_number("CHT") == "0001"


def test_paying_a_cancelled_invoice_is_rejected(client: httpx.Client) -> None:
    issue(client)
    client.put("invoice/cancel", params={"cif": CIF, "seriesName": "FCT", "number": "0001"})
    assert error_text(post(client, "payment", payment())) == (
        "Factura FCT0001 este anulata, nu o puteti incasa. "
        "Restaurati intai factura sau emiteti incasarea independent de factura."
    )


def test_delete_receipt_only_the_last_and_it_undoes_the_payment(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    post(client, "payment", payment(value=10))
    post(client, "payment", payment(value=20))
    params = {"cif": CIF, "seriesname": "CHT", "number": "0001"}
    assert error_text(client.delete("payment/chitanta", params=params)) == (
        "Documentul cu seria si numarul CHT 0001 nu este ultimul din serie!"
    )
    response = client.delete("payment/chitanta", params={**params, "number": "0002"})
    assert response.json()["message"] == "Chitanta cu seria si numarul CHT0002 a fost stearsa cu succes."
    assert status_of(client, "0001")["paidAmount"] == 10
    assert fake.next_number("CHT") == "0002"
    missing = client.delete("payment/chitanta", params={**params, "number": "0009"})
    assert error_text(missing) == "Chitanta nu a fost gasita."


# ------------------------------------------------------------------------------- pdf
def test_invoice_pdf(client: httpx.Client) -> None:
    issue(client)
    response = client.get(
        "invoice/pdf",
        params={"cif": CIF, "seriesname": "FCT", "number": "0001"},
        headers={"Accept": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] in ("application/pdf", "application/octet-stream")
    assert response.content.startswith(b"%PDF-")
    assert b"FCT" in response.content
    assert b"0001" in response.content
    assert response.content.rstrip().endswith(b"%%EOF")
    # Accepted with "seriesName" too (the documentation uses both spellings).
    alt = client.get(
        "invoice/pdf",
        params={"cif": CIF, "seriesName": "FCT", "number": "0001"},
        headers={"Accept": "application/octet-stream, application/json"},
    )
    assert alt.content.startswith(b"%PDF-")


def test_invoice_pdf_prints_discounts_with_quantity_and_price(client: httpx.Client) -> None:
    # A discount entry has no quantity or price of its own: the PDF prints one unit at the
    # amount taken off, percentage or fixed value alike.
    percent = {"isDiscount": True, "numberOfItems": 2, "discountType": 2, "discountPercentage": 10}
    fixed = {"isDiscount": True, "numberOfItems": 1, "discountType": 1, "discountValue": -5}
    issue(
        client,
        products=[
            product(name="A", quantity=2, price=100),
            product(name="B", quantity=1, price="49.90"),
            product(name="Reducere", **percent),
            product(name="C", quantity=1, price=30),
            product(name="Cupon", **fixed),
        ],
    )
    response = client.get(
        "invoice/pdf",
        params={"cif": CIF, "seriesname": "FCT", "number": "0001"},
        headers={"Accept": "application/octet-stream"},
    )
    assert b"(- Reducere \\(10%\\) 1 buc x -24.99) Tj" in response.content
    assert b"(- Cupon 1 buc x -5.00) Tj" in response.content
    assert b"(- A 2 buc x 100) Tj" in response.content


def test_keep_documents_false_keeps_only_the_latest_and_numbers_on(fake: SmartBillFake, client: httpx.Client) -> None:
    fake.keep_documents = False
    fake.recent_documents = 3  # type: ignore[misc]  # the class's 256, smaller for the test
    numbers = [issue(client)["number"] for _ in range(5)]
    assert numbers == ["0001", "0002", "0003", "0004", "0005"]
    assert [document.number for document in fake.documents] == ["0003", "0004", "0005"]
    latest = client.get(
        "invoice/pdf",
        params={"cif": CIF, "seriesname": "FCT", "number": "0005"},
        headers={"Accept": "application/octet-stream"},
    )
    assert latest.content.startswith(b"%PDF-")  # what was just issued can still be fetched
    assert fake.next_number("FCT") == "0006"


def test_pdf_of_a_missing_invoice_is_a_json_error(client: httpx.Client) -> None:
    response = client.get(
        "invoice/pdf",
        params={"cif": CIF, "seriesname": "FCT", "number": "0001"},
        headers={"Accept": "application/octet-stream"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert error_text(response) == "Factura cu seria si numarul FCT 0001 nu a fost gasita!"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"seriesname": "FCT", "number": "0001"}, "Ciful firmei trebuie specificat!"),
        ({"cif": CIF, "number": "0001"}, "Seria facturii trebuie specificata!"),
        ({"cif": CIF, "seriesname": "FCT"}, "Numarul facturii trebuie specificat!"),
    ],
)
def test_pdf_required_parameters(client: httpx.Client, params: dict[str, str], expected: str) -> None:
    response = client.get("invoice/pdf", params=params, headers={"Accept": "application/octet-stream"})
    assert error_text(response) == expected


def test_pdf_needs_the_octet_stream_accept_header(client: httpx.Client) -> None:
    issue(client)
    response = client.get(
        "invoice/pdf",
        params={"cif": CIF, "seriesname": "FCT", "number": "0001"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 406
    assert error_text(response)


# ------------------------------------------------------------------------------- cancel, restore, delete
def test_cancel_and_restore(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    params = {"cif": CIF, "seriesName": "FCT", "number": "0001"}
    response = client.put("invoice/cancel", params=params)
    assert response.json()["message"] == "Factura cu seria si numarul FCT0001 a fost anulata cu succes."
    assert fake.invoices("FCT")[0].cancelled
    assert client.put("invoice/cancel", params=params).status_code == 400
    response = client.put("invoice/restore", params=params)
    assert response.json()["message"] == "Factura cu seria si numarul FCT0001 a fost restaurata cu succes."
    assert not fake.invoices("FCT")[0].cancelled
    missing = client.put("invoice/cancel", params={**params, "number": "0002"})
    assert error_text(missing) == "Factura cu seria si numarul FCT 0002 nu a fost gasita!"


def test_cancel_with_a_restocking_storno_is_rejected(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.stock_enabled = True
    fake.warehouses.add("Magazin")
    issue(client, useStock=True, products=[product(warehouseName="Magazin")])
    reverse(client)
    response = client.put("invoice/cancel", params={"cif": CIF, "seriesname": "FCT", "number": "0001"})
    assert error_text(response) == (
        "Pentru factura FCT0001 exista deja stornari care incarca stocul. "
        "Trebuie sa anulati intai facturile storno (FCT0002)."
    )


def test_delete_only_the_last_invoice_and_reuse_its_number(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    issue(client)
    params = {"cif": CIF, "seriesname": "FCT", "number": "0001"}
    response = client.delete("invoice", params=params)
    assert response.status_code == 400
    assert error_text(response) == "Documentul cu seria si numarul FCT 0001 nu este ultimul din serie!"
    response = client.delete("invoice", params={**params, "number": "0002"})
    assert response.json()["message"] == "Factura cu seria si numarul FCT0002 a fost stearsa cu succes."
    assert [d.number for d in fake.invoices("FCT")] == ["0001"]
    assert issue(client)["number"] == "0002"


def test_deleting_a_paid_invoice_does_not_pay_its_successor(client: httpx.Client) -> None:
    issue(client)
    post(client, "payment", payment(value=242, seriesName="", type="Card"))
    client.delete("invoice", params={"cif": CIF, "seriesname": "FCT", "number": "0001"})
    issue(client)
    assert status_of(client, "0001")["paidAmount"] == 0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"seriesName": "FCT", "number": "0001"}, "Cif trebuie specificat."),
        ({"cif": CIF, "number": "0001"}, "Seriesname trebuie specificat."),
        ({"cif": CIF, "seriesName": "FCT"}, "Number trebuie specificat."),
    ],
)
def test_delete_required_parameters(client: httpx.Client, params: dict[str, str], expected: str) -> None:
    assert error_text(client.delete("invoice", params=params)) == expected


# ------------------------------------------------------------------------------- configuration endpoints
def test_series_listing(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.add_series("FA", "f", next_number=117)
    issue(client)
    payload = client.get("series", params={"cif": CIF}).json()
    assert payload["errorText"] == ""
    assert payload["list"] == [
        {"name": "FCT", "nextNumber": "0002", "type": "f"},
        {"name": "CHT", "nextNumber": "0001", "type": "c"},
        {"name": "PRF", "nextNumber": "0001", "type": "p"},
        {"name": "FA", "nextNumber": "0117", "type": "f"},
    ]
    receipts = client.get("series", params={"cif": CIF, "type": "c"}).json()["list"]
    assert receipts == [{"name": "CHT", "nextNumber": "0001", "type": "c"}]
    bad = client.get("series", params={"cif": CIF, "type": "g"})
    assert bad.status_code == 400
    assert error_text(bad) == (
        "Tipul documentului nu poate fi g! Parametrul type poate lua valorile: "
        "'f' pentru factura, 'p' pentru proforma si 'c' pentru chitanta."
    )
    assert error_text(client.get("series")) == "Ciful firmei trebuie specificat!"


def test_add_series_rejects_bad_input(fake: SmartBillFake) -> None:
    with pytest.raises(ValueError, match="type"):
        fake.add_series("X", "z")
    with pytest.raises(ValueError, match="exists"):
        fake.add_series("FCT", "f")
    with pytest.raises(ValueError, match="company"):
        fake.add_series("X", "f", company="RO1")


def test_tax_listing(client: httpx.Client, fake: SmartBillFake) -> None:
    response = client.get("tax", params={"cif": CIF})
    taxes = response.json()["taxes"]
    assert taxes[:2] == [{"name": "Normala", "percentage": 21}, {"name": "Redusa", "percentage": 11}]
    assert [t["name"] for t in taxes] == ["Normala", "Redusa", "Redusa locuinte", "Taxare inversa", "SDD", "SFDD"]
    fake.taxes.append(("Speciala", Decimal("9.5")))
    assert re.search(r'"percentage": ?9\.5\b', client.get("tax", params={"cif": CIF}).text)
    issue(client, products=[product(taxName="Speciala", taxPercentage=9.5)])


# ------------------------------------------------------------------------------- rate limit
def test_rate_limit_headers(client: httpx.Client, fake_clock: FakeClock) -> None:
    now = fake_clock.time()
    first = client.get("tax", params={"cif": CIF})
    assert first.headers["X-RateLimit-Limit"] == "30"
    assert first.headers["X-RateLimit-Remaining"] == "29"
    assert first.headers["X-RateLimit-Reset"] == str(math.ceil(now + 10))
    fake_clock.advance(3.5)
    second = client.get("tax", params={"cif": CIF})
    assert second.headers["X-RateLimit-Remaining"] == "28"
    # The next slot frees when the first call leaves the window.
    assert second.headers["X-RateLimit-Reset"] == str(math.ceil(now + 10))
    fake_clock.advance(6.5)  # exactly 10 s after the first call: it no longer counts
    third = client.get("tax", params={"cif": CIF})
    assert third.headers["X-RateLimit-Remaining"] == "28"
    # Error answers carry the headers too.
    assert client.get("nothing").headers["X-RateLimit-Remaining"] == "27"


def test_31st_call_blocks_for_ten_minutes(
    client: httpx.Client,
    fake: SmartBillFake,
    fake_clock: FakeClock,
) -> None:
    for _ in range(30):
        assert client.get("tax", params={"cif": CIF}).status_code == 200
    blocked = client.get("tax", params={"cif": CIF})
    assert blocked.status_code == 403
    assert error_text(blocked)
    assert blocked.headers["X-RateLimit-Remaining"] == "0"
    assert blocked.headers["X-RateLimit-Reset"] == str(math.ceil(fake_clock.time() + 600))
    assert fake.penalties == 1

    fake_clock.advance(599)
    still = post(client, "invoice", invoice())
    assert still.status_code == 403
    assert fake.documents == []
    assert fake.penalties == 1  # one block, however many calls hit it

    fake_clock.advance(1)
    assert client.get("tax", params={"cif": CIF}).status_code == 200
    assert issue(client)["number"] == "0001"
    assert fake.penalties == 1


def test_rate_limit_window_slides(client: httpx.Client, fake: SmartBillFake, fake_clock: FakeClock) -> None:
    # 30 calls late in one fixed 10 s window and 1 early in the next would pass a fixed-
    # window limiter; SmartBill's limit is read strictly, as any 10 s span.
    fake_clock.advance(9)
    for _ in range(30):
        client.get("tax", params={"cif": CIF})
    fake_clock.advance(1.5)
    assert client.get("tax", params={"cif": CIF}).status_code == 403
    assert fake.penalties == 1


def test_rate_limit_spacing_calls_never_blocks(
    client: httpx.Client, fake: SmartBillFake, fake_clock: FakeClock
) -> None:
    for _ in range(200):
        assert client.get("tax", params={"cif": CIF}).status_code == 200
        fake_clock.advance(10 / 30)
    assert fake.penalties == 0


def test_rate_limit_is_per_credential_and_configurable(fake_clock: FakeClock) -> None:
    fake = SmartBillFake(clock=fake_clock, rate_limit=3, rate_window=1.0, block_seconds=5.0)
    with (
        httpx.Client(transport=fake, base_url=BASE, auth=(USER, TOKEN)) as good,
        httpx.Client(transport=fake, base_url=BASE, auth=(USER, "bad")) as bad,
    ):
        for _ in range(3):
            assert good.get("tax", params={"cif": CIF}).status_code == 200
        assert good.get("tax", params={"cif": CIF}).status_code == 403
        assert bad.get("tax", params={"cif": CIF}).status_code == 401  # its own budget
        fake_clock.advance(5)
        response = good.get("tax", params={"cif": CIF})
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"


# ------------------------------------------------------------------------------- faults
def test_timeout_before_commit_stores_nothing(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, path="invoice")
    with pytest.raises(httpx.ReadTimeout):
        post(client, "invoice", invoice())
    assert fake.documents == []
    assert len(fake.requests) == 1
    assert issue(client)["number"] == "0001"


def test_timeout_after_commit_stores_the_invoice(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice", times=1)
    with pytest.raises(httpx.ReadTimeout):
        post(client, "invoice", invoice())
    assert [d.number for d in fake.invoices("FCT")] == ["0001"]
    assert client.get("series", params={"cif": CIF, "type": "f"}).json()["list"][0]["nextNumber"] == "0002"
    assert issue(client)["number"] == "0002"


def test_server_error_stores_nothing(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.inject(Fault.SERVER_ERROR, path="invoice")
    response = post(client, "invoice", invoice())
    assert response.status_code == 500
    assert error_text(response)
    assert "X-RateLimit-Remaining" in response.headers
    assert fake.documents == []


def test_connection_reset_never_reaches_the_server(
    client: httpx.Client,
    fake: SmartBillFake,
    fake_clock: FakeClock,
) -> None:
    fake.inject(Fault.CONNECTION_RESET, times=2)
    for _ in range(2):
        with pytest.raises(httpx.ConnectError):
            post(client, "invoice", invoice())
    assert fake.documents == []
    assert fake.requests == []
    assert len(fake.dropped_requests) == 2
    assert client.get("tax", params={"cif": CIF}).headers["X-RateLimit-Remaining"] == "29"


def test_error_text_with_status_200_stores_nothing(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.inject(Fault.ERROR_TEXT_200, path="invoice")
    response = post(client, "invoice", invoice())
    assert response.status_code == 200
    assert error_text(response) != ""
    assert fake.documents == []


def test_faults_match_path_and_count(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.inject(Fault.SERVER_ERROR, path="/invoice/", times=2)
    assert client.get("tax", params={"cif": CIF}).status_code == 200
    assert post(client, "invoice/v2", invoice()).status_code == 200  # exact path match only
    assert post(client, "invoice", invoice()).status_code == 500
    assert post(client, "invoice", invoice()).status_code == 500
    assert post(client, "invoice", invoice()).status_code == 200
    assert len(fake.faults) == 0
    assert [f for f, _, _ in fake.faults.fired] == [Fault.SERVER_ERROR, Fault.SERVER_ERROR]


def test_fault_plan_rules() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="times"):
        plan.add(Fault.SERVER_ERROR, times=0)
    plan.add(Fault.SERVER_ERROR, "invoice", method="post")
    plan.add(Fault.TIMEOUT_BEFORE_COMMIT, times=None)
    assert plan.take("invoice", "GET") is Fault.TIMEOUT_BEFORE_COMMIT
    assert plan.take("/invoice", "POST") is Fault.SERVER_ERROR
    assert plan.take("invoice", "POST") is Fault.TIMEOUT_BEFORE_COMMIT
    assert plan.take("series", "GET") is Fault.TIMEOUT_BEFORE_COMMIT
    assert len(plan.pending) == 1
    plan.clear()
    assert plan.take("invoice", "POST") is None
    assert len(plan.fired) == 4


# ------------------------------------------------------------------------------- async and threads
@pytest.mark.anyio
async def test_async_client(fake: SmartBillFake, fake_clock: FakeClock) -> None:
    async with httpx.AsyncClient(transport=fake, base_url=BASE, auth=(USER, TOKEN)) as c:
        response = await c.post("invoice", json=invoice())
        assert response.json()["number"] == "0001"
        pdf = await c.get(
            "invoice/pdf",
            params={"cif": CIF, "seriesname": "FCT", "number": "0001"},
            headers={"Accept": "application/octet-stream"},
        )
        assert pdf.content.startswith(b"%PDF-")
        fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice")
        with pytest.raises(httpx.ReadTimeout):
            await c.post("invoice", json=invoice())
        assert len(fake.invoices("FCT")) == 2
        for _ in range(27):
            await c.get("tax", params={"cif": CIF})
        assert (await c.get("tax", params={"cif": CIF})).status_code == 403


def test_sync_and_async_share_state(fake: SmartBillFake, client: httpx.Client) -> None:
    import asyncio

    async def main() -> str:
        async with httpx.AsyncClient(transport=fake, base_url=BASE, auth=(USER, TOKEN)) as c:
            return str((await c.post("invoice", json=invoice())).json()["number"])

    issue(client)
    assert asyncio.run(main()) == "0002"


def test_concurrent_threads_get_distinct_numbers(fake_clock: FakeClock) -> None:
    fake = SmartBillFake(clock=fake_clock, rate_limit=1000)
    numbers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(transport=fake, base_url=BASE, auth=(USER, TOKEN)) as c:
            for _ in range(5):
                number = c.post("invoice", json=invoice()).json()["number"]
                with lock:
                    numbers.append(number)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == [f"{n:04d}" for n in range(1, 41)]


# ------------------------------------------------------------------------------- fixtures, pdf helper
def test_fixture_fake_runs_on_the_fixture_clock(
    smartbill_fake: SmartBillFake,
    fake_clock: FakeClock,
) -> None:
    assert smartbill_fake.clock is fake_clock
    assert (smartbill_fake.username, smartbill_fake.token, smartbill_fake.company_vat_code) == (USER, TOKEN, CIF)


def test_default_clock_is_a_fresh_fake_clock() -> None:
    assert isinstance(SmartBillFake().clock, FakeClock)


def test_documents_are_snapshots(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    before = fake.documents[0]
    client.put("invoice/cancel", params={"cif": CIF, "seriesname": "FCT", "number": "0001"})
    assert not before.cancelled
    assert fake.documents[0].cancelled
    assert fake.find(series="FCT", number="0001") == fake.documents[0]
    assert fake.find(series="FCT", number="0002") is None
    body = copy.deepcopy(before.body)
    assert body["seriesName"] == "FCT"


def test_make_pdf_is_well_formed() -> None:
    pdf = make_pdf("Factura (test) \\ linia 1\nŞ ţ ă — end")
    assert pdf.startswith(b"%PDF-")
    assert pdf.endswith(b"%%EOF\n")
    assert b"(Factura \\(test\\) \\\\ linia 1) Tj" in pdf
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[startxref:].startswith(b"xref\n")
    entries = pdf[startxref:].split(b"\n")[3:8]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    length = int(re.search(rb"/Length (\d+)", pdf).group(1))  # type: ignore[union-attr]
    stream_start = pdf.index(b"stream\n") + len(b"stream\n")
    assert pdf[stream_start + length :].startswith(b"endstream")


# ------------------------------------------------------------------------------- the kit's vocabulary
def test_demo_is_the_fixture_account(fake_clock: FakeClock) -> None:
    demo = SmartBillFake.demo(clock=fake_clock)
    assert demo.clock is fake_clock
    assert SmartBillFake.demo_settings == {"username": USER, "token": TOKEN, "company_vat_code": CIF}
    assert (demo.username, demo.token, demo.company_vat_code) == (USER, TOKEN, CIF)
    assert [demo.next_number(name) for name in ("FCT", "CHT", "PRF")] == ["0001"] * 3
    assert demo.origin == "https://ws.smartbill.ro" and demo.base_urls == (BASE,)


def test_stored_documents_speak_the_kit_vocabulary(client: httpx.Client, fake: SmartBillFake) -> None:
    fake.add_company("RO999")
    fake.add_series("B", "f", company="RO999")
    issue(client, observations="ref: order-1")
    issue(client, companyVatCode="RO999", seriesName="B")
    reverse = {"companyVatCode": CIF, "seriesName": "FCT", "number": "0001", "issueDate": "2026-01-06"}
    assert post(client, "invoice/reverse", reverse).status_code == 200
    invoice_doc, other_company, storno = fake.documents
    assert (invoice_doc.provider, invoice_doc.account, invoice_doc.kind) == ("smartbill", CIF, "invoice")
    assert invoice_doc.full_number == "FCT0001" and invoice_doc.id == str(invoice_doc.detail.document_id)
    assert invoice_doc.reference == "ref: order-1" and invoice_doc.paid == 0 and invoice_doc.currency == "RON"
    assert other_company.account == "RO999" and other_company.series == "B"
    assert storno.kind == "storno" and storno.corrects == "FCT0001" and storno.total == -invoice_doc.total
    assert fake.find(reverses=("FCT", "0001")) == storno
    assert fake.find(account="RO999") == other_company
    assert fake.find(series="FCT", number="0001", kind="invoice") == invoice_doc
    assert fake.find(kind="receipt") is None


def test_payments_have_no_series(client: httpx.Client, fake: SmartBillFake) -> None:
    issue(client)
    payment = {"companyVatCode": CIF, "type": "Card", "useInvoiceDetails": True}
    post(client, "payment", {**payment, "invoicesList": [{"seriesName": "FCT", "number": "0001"}]})
    stored = fake.find(kind="payment")
    assert stored is not None and stored.series is None and stored.number == ""
    assert stored.detail.payment_type == "Card" and stored.detail.invoices == (("FCT", "0001"),)


def test_keep_log_false_keeps_no_requests(fake_clock: FakeClock) -> None:
    fake = SmartBillFake(clock=fake_clock, keep_log=False)
    with httpx.Client(transport=fake, base_url=BASE, auth=(USER, TOKEN)) as c:
        issue(c)
        assert c.get("tax", params={"cif": CIF}).status_code == 200
    assert fake.requests == [] and fake.request_count == 2
    assert [d.number for d in fake.documents] == ["0001"]


def test_unauthenticated_calls_count_and_faults_come_before_the_401(fake: SmartBillFake) -> None:
    with httpx.Client(transport=fake, base_url=BASE, auth=(USER, "wrong")) as c:
        refused = c.get("tax", params={"cif": CIF})
        assert refused.status_code == 401 and refused.headers["X-RateLimit-Remaining"] == "29"
        fake.inject(Fault.SERVER_ERROR, path="tax")
        assert c.get("tax", params={"cif": CIF}).status_code == 500


def test_errors_of_reverse_and_paymentstatus_have_their_own_shape(client: httpx.Client) -> None:
    reverse = post(client, "invoice/reverse", {"companyVatCode": CIF, "seriesName": "FCT", "number": "0009"})
    assert reverse.status_code == 400 and reverse.json()["documentId"] == -1
    assert client.get("invoice/reverse").json()["documentId"] == -1  # a 405 too
    status = client.get("invoice/paymentstatus", params={"cif": CIF, "seriesname": "FCT", "number": "0009"})
    assert status.json()["invoiceTotalAmount"] is None and status.json()["paid"] is False
    outside = client.get("https://ws.smartbill.ro/SBORO/other")
    assert outside.status_code == 404 and error_text(outside) == "Resursa /SBORO/other nu exista."
