"""Tests of the Oblio fake, driven with plain httpx and bodies written out from the Oblio sheet.

The bodies are the sheet's examples (§4, §9, §11) and what the peer clients of §18 send
(OB-PHP's JSON token, OB-WOO's form token and ``save: true``, OB-FG's partial storno and
query-string delete), not what the connector produces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.oblio import DEMO_CIF, DEMO_EMAIL, DEMO_SECRET, SECOND_CIF, OblioFake, texts

BASE = "https://www.oblio.eu/"


@pytest.fixture
def fake(oblio_fake: OblioFake) -> OblioFake:
    return oblio_fake


def token_of(fake: OblioFake, email: str = DEMO_EMAIL, secret: str = DEMO_SECRET) -> str:
    with httpx.Client(transport=fake, base_url=BASE) as client:
        answer = client.post("api/authorize/token", data={"client_id": email, "client_secret": secret})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def paced(fake: OblioFake, headers: dict[str, str] | None = None) -> httpx.Client:
    """A client that waits 0.4 s of fake time before each request, under Oblio's 3 calls a second."""
    clock = fake.clock
    assert isinstance(clock, FakeClock)
    hooks = {"request": [lambda request: clock.advance(0.4)]}
    return httpx.Client(transport=fake, base_url=BASE, headers=headers or {}, event_hooks=hooks)


@pytest.fixture
def client(fake: OblioFake) -> Iterator[httpx.Client]:
    with paced(fake, {"Authorization": f"Bearer {token_of(fake)}"}) as c:
        yield c


@pytest.fixture
def burst(fake: OblioFake) -> Iterator[httpx.Client]:
    """A client that sends as fast as it is asked to."""
    with httpx.Client(transport=fake, base_url=BASE, headers={"Authorization": f"Bearer {token_of(fake)}"}) as c:
        yield c


def sample(**changes: Any) -> dict[str, Any]:
    """The sheet's §4 example (idempotency key aside)."""
    body: dict[str, Any] = {
        "cif": DEMO_CIF,
        "client": {"cif": "RO12345678", "name": "CLIENT SRL", "rc": "J40/123/2020", "address": "Str. Exemplu 1",
                   "state": "Bucuresti", "city": "Sector 1", "country": "Romania", "email": "a@b.ro",
                   "vatPayer": 1, "save": 0},
        "issueDate": "2026-11-20",
        "dueDate": "2026-12-04",
        "seriesName": "FCT",
        "language": "RO",
        "precision": 2,
        "currency": "RON",
        "useStock": 1,
        "workStation": "Sediu",
        "mentions": "Comanda 1001",
        "products": [
            {"name": "Produs A", "code": "SKU-1", "price": 100, "measuringUnit": "buc", "currency": "RON",
             "vatName": "Normala", "vatPercentage": 21, "vatIncluded": 0, "quantity": 2,
             "productType": "Marfa", "management": "Magazin"},
            {"name": "Discount 10% Produs A", "discount": 10, "discountType": "procentual", "discountAllAbove": 0},
            {"name": "Carte B", "code": "SKU-2", "price": 50, "measuringUnit": "buc", "currency": "RON",
             "vatName": "Redusa", "vatPercentage": 11, "vatIncluded": 0, "quantity": 1,
             "productType": "Marfa", "management": "Magazin"},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


def simple(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cif": DEMO_CIF,
        "client": {"name": "Ion Popescu"},
        "seriesName": "FCT",
        "products": [{"name": "Tricou", "price": "121", "quantity": 1, "vatName": "Normala", "vatPercentage": 21}],
    }
    body.update(changes)
    return body


def refused(answer: httpx.Response, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == status and set(body) == {"status", "statusMessage"}
    return str(body["statusMessage"])


# Authentication (§1, §2, §16).


def test_the_token_answer_has_its_numbers_as_strings(fake: OblioFake) -> None:
    with httpx.Client(transport=fake, base_url=BASE) as client:
        answer = client.post("api/authorize/token", data={"client_id": DEMO_EMAIL, "client_secret": DEMO_SECRET})
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope", "request_time"}
    assert body["expires_in"] == "3600" and body["token_type"] == "Bearer" and isinstance(body["request_time"], str)


def test_the_peer_clients_token_requests_pass(fake: OblioFake) -> None:
    with paced(fake) as client:
        php = client.post(  # OB-PHP / OB-JS: JSON with grant_type
            "api/authorize/token",
            json={"client_id": DEMO_EMAIL, "client_secret": DEMO_SECRET, "grant_type": "client_credentials"},
        )
        woo = client.post(  # OB-WOO: the same three fields, form-encoded
            "api/authorize/token",
            data={"client_id": DEMO_EMAIL, "client_secret": DEMO_SECRET, "grant_type": "client_credentials"},
        )
        bare = client.post("api/authorize/token", content=b"client_id=x", headers={})  # OB-GO issue 1
        wrong = client.post("api/authorize/token", data={"client_id": DEMO_EMAIL, "client_secret": "nope"})
        grant = client.post(
            "api/authorize/token",
            data={"client_id": DEMO_EMAIL, "client_secret": DEMO_SECRET, "grant_type": "password"},
        )
    assert php.status_code == woo.status_code == 200 and fake.tokens_issued == 2
    assert refused(bare) == texts.ERR_TOKEN_CONTENT_TYPE
    assert refused(wrong, 401) == texts.ERR_CLIENT_CREDENTIALS
    assert "password" in refused(grant)


def test_bearer_tokens_are_checked_with_oblios_texts(fake: OblioFake, fake_clock: FakeClock) -> None:
    token = token_of(fake)
    with httpx.Client(transport=fake, base_url=BASE) as client:
        missing = client.get("api/nomenclature/series", params={"cif": DEMO_CIF})
        invalid = client.get("api/nomenclature/series", params={"cif": DEMO_CIF}, headers={"Authorization": "Bearer x"})
        fake_clock.advance(3599)
        good = client.get(
            "api/nomenclature/series", params={"cif": DEMO_CIF}, headers={"Authorization": f"Bearer {token}"}
        )
        fake_clock.advance(2)
        expired = client.get(
            "api/nomenclature/series", params={"cif": DEMO_CIF}, headers={"Authorization": f"Bearer {token}"}
        )
    assert refused(missing, 401) == texts.ERR_TOKEN_MISSING
    assert refused(invalid, 401) == "The access token provided is invalid"
    assert good.status_code == 200
    assert refused(expired, 401) == "The access token provided has expired"


def test_a_rotated_secret_revokes_the_old_secret_and_its_tokens(fake: OblioFake, client: httpx.Client) -> None:
    secret = fake.rotate_secret(DEMO_EMAIL)
    assert refused(client.get("api/nomenclature/series", params={"cif": DEMO_CIF}), 401) == texts.ERR_TOKEN_INVALID
    with httpx.Client(transport=fake, base_url=BASE) as raw:
        old = raw.post("api/authorize/token", data={"client_id": DEMO_EMAIL, "client_secret": DEMO_SECRET})
    assert old.status_code == 401
    assert token_of(fake, secret=secret)


def test_a_login_reaches_only_its_companies(fake: OblioFake, client: httpx.Client) -> None:
    fake.add_company("RO5555", "Straina SRL")
    fake.add_user("other@shop.ro", "s3cret", ["RO5555"])
    assert "RO5555" in refused(client.post("api/docs/invoice", json=simple(cif="RO5555")), 401)
    companies = client.get("api/nomenclature/companies").json()["data"]
    assert {company["cif"] for company in companies} == {DEMO_CIF, SECOND_CIF}
    other = token_of(fake, "other@shop.ro", "s3cret")
    answer = client.post("api/docs/invoice", json=simple(cif="RO5555"), headers={"Authorization": f"Bearer {other}"})
    assert answer.json()["data"]["number"] == "0001"


# Documents (§3, §4, §5).


def test_the_sheets_example_is_accepted_and_numbered(client: httpx.Client, fake: OblioFake) -> None:
    answer = client.post("api/docs/invoice", json=sample(idempotencyKey="shop1-order-000000000001001"))
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == 200 and body["statusMessage"] == "Success"
    data = body["data"]
    assert (data["seriesName"], data["number"]) == ("FCT", "0001")
    assert data["link"].startswith("https://www.oblio.eu/utils/show_file/?ic=")
    stored = fake.documents[0]
    # 200.00 - 10 % = 180.00 at 21 % -> 37.80; 50.00 at 11 % -> 5.50.
    assert stored.total == Decimal("273.30") and stored.reference == "shop1-order-000000000001001"
    assert fake.stock_of(DEMO_CIF, "SKU-1") == 998


def test_vat_included_defaults_to_1(client: httpx.Client, fake: OblioFake) -> None:
    client.post("api/docs/invoice", json=simple())
    assert fake.documents[0].total == Decimal("121.00") and fake.documents[0].detail["net"] == Decimal("100.00")


def test_document_creation_must_be_json(client: httpx.Client) -> None:
    answer = client.post("api/docs/invoice", data={"cif": DEMO_CIF, "seriesName": "FCT"})
    assert refused(answer) == texts.ERR_JSON_REQUIRED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cif": None}, texts.ERR_CIF_MISSING),
        ({"client": None}, "Campul client este obligatoriu"),
        ({"client": {"cif": "RO1"}}, texts.ERR_CLIENT_NAME),
        ({"seriesName": "XYZ"}, "Seria XYZ nu exista"),
        ({"products": []}, texts.ERR_PRODUCTS),
        ({"products": [{"name": "A"}]}, "Pretul produsului A este obligatoriu"),
        ({"products": [{"price": 1}]}, "Numele produsului de pe pozitia 1 este obligatoriu"),
        (
            {"products": [{"name": "A", "price": 1, "vatName": "Normala", "vatPercentage": 19}]},
            "Cota TVA Normala 19% a produsului A nu exista",
        ),
        ({"products": [{"name": "A", "price": "abc"}]}, "Campul price are o valoare invalida"),
        ({"issueDate": "20.11.2026"}, "Campul issueDate trebuie sa fie o data de forma AAAA-LL-ZZ"),
        ({"precision": 5}, texts.ERR_PRECISION),
        ({"language": "XX"}, "Limba XX nu exista"),
        ({"useStock": 2}, "Campul useStock are o valoare invalida"),
        ({"products": [{"name": "D", "discount": 5}]}, "Discountul D nu are un produs deasupra"),
        ({"products": [{"name": "A", "price": 1, "quantity": -1}]}, "Cantitatea produsului A nu poate fi negativa"),
    ],
)
def test_required_fields_and_types_are_validated(
    client: httpx.Client, fake: OblioFake, changes: dict[str, Any], message: str
) -> None:
    assert refused(client.post("api/docs/invoice", json=simple(**changes))) == message
    assert fake.documents == []


def test_peer_client_value_shapes_pass(client: httpx.Client, fake: OblioFake) -> None:
    body = simple(client={"name": "X", "save": True, "vatPayer": "0"}, sendEmail=False)  # OB-WOO booleans
    body["products"][0].update(vatIncluded=True, quantity="2", price=60.5)  # OB-FG, PHP strings
    assert client.post("api/docs/invoice", json=body).status_code == 200
    assert fake.documents[0].total == Decimal("121.00")


def test_numbering_is_per_series_and_company_and_number_55_finds_0055(client: httpx.Client, fake: OblioFake) -> None:
    for _ in range(3):
        client.post("api/docs/invoice", json=simple())
    other = client.post("api/docs/invoice", json=simple(cif=SECOND_CIF)).json()["data"]
    proforma = client.post("api/docs/proforma", json=simple(seriesName="PRF")).json()["data"]
    assert [d.number for d in fake.documents[:3]] == ["0001", "0002", "0003"]
    assert other["number"] == "0001" and proforma["number"] == "0001"
    read = client.get("api/docs/invoice", params={"cif": DEMO_CIF, "seriesName": "FCT", "number": 3}).json()["data"]
    assert read["number"] == "0003" and read["documentType"] == "Factura"
    series = client.get("api/nomenclature/series", params={"cif": DEMO_CIF}).json()["data"]
    assert series[0] == {"type": "Factura", "name": "FCT", "start": "0001", "next": "0004", "default": True}
    only = client.get("api/nomenclature/series", params={"cif": DEMO_CIF, "type": "Proforma"}).json()["data"]
    assert [s["name"] for s in only] == ["PRF"]


def test_own_numbers_with_disable_auto_series(client: httpx.Client) -> None:
    first = client.post("api/docs/invoice", json=simple(disableAutoSeries=1, number="0500")).json()["data"]
    assert first["number"] == "0500"
    assert "exista deja" in refused(client.post("api/docs/invoice", json=simple(disableAutoSeries=1, number="500")))
    assert refused(client.post("api/docs/invoice", json=simple(disableAutoSeries=1))) == texts.ERR_NUMBER_REQUIRED


# Idempotency (§14).


def test_a_replayed_key_answers_the_first_document(client: httpx.Client, fake: OblioFake) -> None:
    first = client.post("api/docs/invoice", json=simple(idempotencyKey="k-1")).json()
    again = client.post("api/docs/invoice", json=simple(idempotencyKey="k-1", mentions="other")).json()
    assert again == first and len(fake.documents) == 1
    client.post("api/docs/invoice", json=simple(idempotencyKey="k-2"))
    assert len(fake.documents) == 2


def test_keys_are_account_wide_so_companies_of_one_login_collide(client: httpx.Client, fake: OblioFake) -> None:
    # OB-FG 1.3.0: stores sharing one Oblio account collide without a per-store prefix (§16).
    client.post("api/docs/invoice", json=simple(idempotencyKey="order-1"))
    other = client.post("api/docs/invoice", json=simple(cif=SECOND_CIF, idempotencyKey="order-1")).json()["data"]
    assert len(fake.documents) == 1 and other["number"] == "0001"


def test_a_deleted_documents_key_is_free_again(client: httpx.Client, fake: OblioFake) -> None:
    client.post("api/docs/invoice", json=simple(idempotencyKey="k"))
    deleted = client.request(
        "DELETE",
        "api/docs/invoice",
        json={"cif": DEMO_CIF, "seriesName": "FCT", "number": "0001", "idempotencyKey": "k"},
    )
    assert deleted.json()["statusMessage"] == texts.MSG_DELETED
    again = client.post("api/docs/invoice", json=simple(idempotencyKey="k")).json()["data"]
    assert again["number"] == "0001" and len([d for d in fake.documents if not d.cancelled]) == 1


# Storno (§9).


def test_full_storno_reverses_everything_and_deletes_the_payment(client: httpx.Client, fake: OblioFake) -> None:
    client.post("api/docs/invoice", json=simple(collect={"type": "Card", "documentNumber": "POS-1", "value": 121}))
    assert fake.documents[0].paid == 121
    storno = client.post(  # the doc's "stornare totala": number as an integer, no client, no products
        "api/docs/invoice",
        json={"cif": DEMO_CIF, "seriesName": "FCT", "idempotencyKey": "s-1",
              "referenceDocument": {"type": "Factura", "refund": 1, "seriesName": "FCT", "number": 1}},
    )  # fmt: skip
    assert storno.json()["data"]["number"] == "0002"
    assert fake.documents[1].total == Decimal("-121.00") and fake.documents[1].kind == "storno"
    assert fake.documents[1].corrects == "FCT0001" and fake.documents[0].paid == 0
    again = {
        "cif": DEMO_CIF,
        "seriesName": "FCT",
        "referenceDocument": {"type": "Factura", "refund": 1, "seriesName": "FCT", "number": 1},
    }
    assert refused(client.post("api/docs/invoice", json=again)) == "Factura FCT1 a fost deja stornata"
    of_storno = {
        "cif": DEMO_CIF,
        "seriesName": "FCT",
        "referenceDocument": {"type": "Factura", "refund": 1, "seriesName": "FCT", "number": "0002"},
    }
    assert "este o factura storno" in refused(client.post("api/docs/invoice", json=of_storno))


def test_partial_storno_with_negative_quantities(client: httpx.Client, fake: OblioFake) -> None:
    body = simple()
    body["products"][0]["quantity"] = 3
    client.post("api/docs/invoice", json=body)
    partial: dict[str, Any] = {  # OB-FG: refund 0, negative quantity, positive price, vatIncluded true
        "cif": DEMO_CIF, "seriesName": "FCT",
        "referenceDocument": {"type": "Factura", "seriesName": "FCT", "number": "0001", "refund": 0},
        "products": [{"name": "Tricou", "price": 121, "quantity": -1, "vatName": "Normala", "vatPercentage": 21, "vatIncluded": True}],
    }  # fmt: skip
    assert client.post("api/docs/invoice", json=partial).status_code == 200
    assert fake.documents[1].total == Decimal("-121.00")
    positive = {**partial, "products": [{**partial["products"][0], "quantity": 1}]}
    assert "trebuie sa fie negativa" in refused(client.post("api/docs/invoice", json=positive))
    too_much = {**partial, "products": [{**partial["products"][0], "quantity": -3}]}
    assert "depaseste" in refused(client.post("api/docs/invoice", json=too_much))


def test_the_other_partial_shape_with_refund_1_reverses_the_whole_invoice(
    client: httpx.Client, fake: OblioFake
) -> None:
    client.post("api/docs/invoice", json=simple())
    shape = {"cif": DEMO_CIF, "seriesName": "FCT",
             "referenceDocument": {"type": "Factura", "seriesName": "FCT", "number": "0001", "refund": 1},
             "products": [{"name": "Tricou", "price": 121, "quantity": -1}]}  # fmt: skip
    assert client.post("api/docs/invoice", json=shape).status_code == 200  # UNCERTAIN meaning; accepted
    assert fake.documents[1].total == Decimal("-121.00")


def test_a_missing_reference_document_is_refused(client: httpx.Client) -> None:
    body = {
        "cif": DEMO_CIF,
        "seriesName": "FCT",
        "referenceDocument": {"type": "Factura", "seriesName": "FCT", "number": "0099", "refund": 1},
    }
    assert refused(client.post("api/docs/invoice", json=body)) == "Documentul de referinta FCT0099 nu exista"


# Collects (§8, §11).


def test_collects_by_json_and_by_form(client: httpx.Client, fake: OblioFake) -> None:
    client.post("api/docs/invoice", json=simple())
    answer = client.put(
        "api/docs/invoice/collect",
        json={"cif": DEMO_CIF, "seriesName": "FCT", "number": "0001",
              "collect": {"type": "Ordin de plata", "documentNumber": "OP 7001", "value": 21.00, "issueDate": "2026-11-21"}},
    )  # fmt: skip
    assert answer.json()["data"]["collects"] == [
        {"issueDate": "2026-11-21", "type": "Ordin de plata", "number": "OP 7001", "value": 21}
    ]
    form = client.put(
        "api/docs/invoice/collect",
        data={
            "cif": DEMO_CIF,
            "seriesName": "FCT",
            "number": "0001",
            "collect[type]": "Chitanta",
            "collect[seriesName]": "CHT",
        },
    )
    collects = form.json()["data"]["collects"]
    assert collects[1]["type"] == "Chitanta" and collects[1]["number"] == "0001" and collects[1]["value"] == 100
    assert fake.documents[0].paid == 121


@pytest.mark.parametrize(
    ("collect", "message"),
    [
        ({"type": "Bitcoin"}, "Tipul incasarii Bitcoin nu exista"),
        ({"type": "Chitanta"}, texts.ERR_COLLECT_SERIES),
        ({"type": "Card"}, texts.ERR_COLLECT_NUMBER),
        ({"type": "Card", "documentNumber": "1", "value": -5}, texts.ERR_COLLECT_VALUE),
    ],
)
def test_collects_are_validated(client: httpx.Client, collect: dict[str, Any], message: str) -> None:
    client.post("api/docs/invoice", json=simple())
    body = {"cif": DEMO_CIF, "seriesName": "FCT", "number": "0001", "collect": collect}
    assert refused(client.put("api/docs/invoice/collect", json=body)) == message


# Reads, list, cancel, restore, delete.


def test_list_filters_orders_and_pages(client: httpx.Client) -> None:
    for day in ("2026-01-10", "2026-01-11", "2026-01-12"):
        client.post("api/docs/invoice", json=simple(issueDate=day, mentions=f"Ref: {day}"))
    rows = client.get("api/docs/invoice/list", params={"cif": DEMO_CIF, "orderBy": "id", "orderDir": "DESC"}).json()[
        "data"
    ]
    assert [row["number"] for row in rows] == ["0003", "0002", "0001"] and rows[0]["mentions"] == "Ref: 2026-01-12"
    assert {"id", "draft", "canceled", "seriesName", "number", "issueDate", "dueDate", "total", "mentions", "type",
            "link", "einvoice", "einvoiceStatus", "client"} <= set(rows[0])  # fmt: skip
    window = client.get(
        "api/docs/invoice/list", params={"cif": DEMO_CIF, "issuedAfter": "2026-01-11", "issuedBefore": "2026-01-11"}
    )
    assert [row["number"] for row in window.json()["data"]] == ["0002"]
    paged = client.get("api/docs/invoice/list", params={"cif": DEMO_CIF, "limitPerPage": 2, "offset": 2}).json()["data"]
    assert [row["number"] for row in paged] == ["0003"]
    assert (
        refused(client.get("api/docs/invoice/list", params={"cif": DEMO_CIF, "limitPerPage": 101}))
        == texts.ERR_LIMIT_PER_PAGE
    )
    one = client.get("api/docs/invoice/list", params={"cif": DEMO_CIF, "id": rows[0]["id"], "withCollects": 1}).json()[
        "data"
    ]
    assert len(one) == 1 and one[0]["collects"] == []


def test_cancel_restore_and_delete_only_the_last(client: httpx.Client, fake: OblioFake) -> None:
    client.post("api/docs/invoice", json=simple())
    client.post("api/docs/invoice", json=simple())
    key = {"cif": DEMO_CIF, "seriesName": "FCT", "number": "0001"}
    assert client.put("api/docs/invoice/cancel", json=key).json()["statusMessage"] == texts.MSG_CANCELED
    assert fake.documents[0].cancelled
    assert client.put("api/docs/invoice/restore", json=key).json()["statusMessage"] == texts.MSG_RESTORED
    assert refused(client.request("DELETE", "api/docs/invoice", json=key)) == texts.ERR_NOT_LAST
    # OB-FG sends the delete as a query string.
    last = client.delete("api/docs/invoice", params={"cif": DEMO_CIF, "seriesName": "FCT", "number": "0002"})
    assert last.json()["data"] == {"documentType": "Factura", "seriesName": "FCT", "number": "0002"}
    assert client.post("api/docs/invoice", json=simple()).json()["data"]["number"] == "0002"


def test_nomenclatures(client: httpx.Client) -> None:
    rates = client.get("api/nomenclature/vat_rates", params={"cif": DEMO_CIF}).json()["data"]
    assert rates[0] == {"name": "Normala", "percent": 21, "default": True}
    languages = client.get("api/nomenclature/languages", params={"cif": DEMO_CIF}).json()["data"]
    assert {"code": "EN", "name": "Engleza"} in languages
    management = client.get("api/nomenclature/management", params={"cif": DEMO_CIF}).json()["data"]
    assert management == [{"management": "Magazin", "workStation": "Sediu", "managementType": "Cantitativ Valorica"}]
    products = client.get("api/nomenclature/products", params={"cif": DEMO_CIF, "code": "SKU-1"}).json()["data"]
    assert products[0]["stock"][0]["management"] == "Magazin"
    assert refused(client.get("api/nomenclature/management", params={"cif": SECOND_CIF})) == texts.ERR_STOCK_OFF


def test_stock_rules(client: httpx.Client, fake: OblioFake) -> None:
    body = sample()
    body["products"][0]["management"] = "Depozit"
    assert refused(client.post("api/docs/invoice", json=body)) == "Gestiunea Depozit nu exista"
    body = sample()
    body["products"][0]["code"] = "SKU-404"
    assert "nu exista in gestiunea" in refused(client.post("api/docs/invoice", json=body))
    body = sample()
    body["products"][0]["quantity"] = 5000
    assert "Stoc insuficient" in refused(client.post("api/docs/invoice", json=body))
    assert refused(client.post("api/docs/invoice", json=simple(cif=SECOND_CIF, useStock=1))) == texts.ERR_STOCK_OFF
    assert fake.documents == [] and fake.stock_of(DEMO_CIF, "SKU-1") == 1000


# The link (§10).


def test_the_link_serves_a_pdf_without_the_token(client: httpx.Client, fake: OblioFake) -> None:
    link = client.post("api/docs/invoice", json=simple()).json()["data"]["link"]
    with httpx.Client(transport=fake) as anonymous:
        pdf = anonymous.get(link)
        wrong = anonymous.get(link.replace("it=", "it=0"))
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"Factura FCT 0001" in pdf.content and pdf.content.rstrip().endswith(b"%%EOF")
    assert wrong.status_code == 404


# Limits (§13) and faults.


def test_more_than_three_calls_a_second_blocks_the_token_for_ten_minutes(
    burst: httpx.Client, fake: OblioFake, fake_clock: FakeClock
) -> None:
    client = burst
    answers = [client.get("api/nomenclature/languages", params={"cif": DEMO_CIF}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {"status": 429, "statusMessage": texts.ERR_RATE_LIMIT}
    fake_clock.advance(599)
    assert client.get("api/nomenclature/languages", params={"cif": DEMO_CIF}).status_code == 429
    fake_clock.advance(2)
    assert client.get("api/nomenclature/languages", params={"cif": DEMO_CIF}).status_code == 200
    assert fake.penalties == 2


def test_thirty_creates_per_hundred_seconds(client: httpx.Client, fake: OblioFake, fake_clock: FakeClock) -> None:
    statuses = []
    for _ in range(31):
        statuses.append(client.post("api/docs/invoice", json=simple()).status_code)
        fake_clock.advance(0.5)
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    fake_clock.advance(100)
    assert client.post("api/docs/invoice", json=simple()).status_code == 200  # no penalty on this limit


def test_the_link_does_not_count_against_the_api_limits(client: httpx.Client, fake: OblioFake) -> None:
    link = client.post("api/docs/invoice", json=simple()).json()["data"]["link"]
    with httpx.Client(transport=fake) as anonymous:
        assert all(anonymous.get(link).status_code == 200 for _ in range(10))
    assert fake.penalties == 0


def test_faults_in_oblios_envelope(client: httpx.Client, fake: OblioFake) -> None:
    fake.inject(Fault.ERROR_TEXT_200, "api/docs/invoice")
    under = client.post("api/docs/invoice", json=simple())
    assert under.status_code == 200 and under.json() == {"status": 400, "statusMessage": texts.ERR_FAULT_200}
    fake.inject(Fault.SERVER_ERROR, "api/docs/invoice")
    assert refused(client.post("api/docs/invoice", json=simple()), 500) == texts.ERR_SERVER
    assert fake.documents == []
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "api/docs/invoice")
    with pytest.raises(httpx.ReadTimeout):
        client.post("api/docs/invoice", json=simple())
    fake.fail_after_commit()
    assert client.post("api/docs/invoice", json=simple()).status_code == 502
    assert [d.number for d in fake.documents] == ["0001", "0002"]
    assert refused(client.get("api/nothing"), 404) == "Resursa api/nothing nu exista"


def test_the_fake_serves_async_clients_and_keeps_no_log_when_asked(fake_clock: FakeClock) -> None:
    quiet = OblioFake(clock=fake_clock, keep_log=False)
    token = token_of(quiet)

    async def main() -> int:
        async with httpx.AsyncClient(transport=quiet, base_url=BASE, headers={"Authorization": f"Bearer {token}"}) as c:
            answer = await c.post("api/docs/invoice", json=simple())
            return answer.status_code

    assert asyncio.run(main()) == 200
    assert quiet.requests == [] and quiet.request_count == 2 and len(quiet.documents) == 1


def test_the_demo_account_matches_demo_settings() -> None:
    demo = OblioFake.demo()
    assert demo.demo_settings == {"email": DEMO_EMAIL, "api_secret": DEMO_SECRET, "company_vat_code": DEMO_CIF}
    assert demo.find(number="0001") is None and demo.provider == "oblio"


def test_ob_fg_partial_storno_with_its_balancing_line_passes(client: httpx.Client, fake: OblioFake) -> None:
    # OB-FG (§9, §18) adds "Ajustare storno" when rounding differs: quantity +1 when the
    # reversed lines came out too large, vatName "" and vatPercentage null, code "".
    body = simple()
    body["products"][0]["quantity"] = 3
    client.post("api/docs/invoice", json=body)
    line = {
        "name": "Tricou",
        "code": "",
        "price": 121.004,
        "measuringUnit": "buc",
        "currency": "RON",
        "vatName": "",
        "vatPercentage": 21,
        "vatIncluded": True,
        "quantity": -1,
        "productType": "Marfa",
    }
    balance = {
        "name": "Ajustare storno",
        "code": "",
        "price": 0.01,
        "measuringUnit": "buc",
        "currency": "RON",
        "vatName": "",
        "vatPercentage": None,
        "vatIncluded": True,
        "quantity": 1,
        "productType": "Serviciu",
    }
    storno = {"cif": DEMO_CIF, "seriesName": "FCT", "idempotencyKey": "woocommerce-000000000000001-storno-7",
              "referenceDocument": {"type": "Factura", "refund": 0, "seriesName": "FCT", "number": "0001"},
              "products": [line, balance]}  # fmt: skip
    answer = client.post("api/docs/invoice", json=storno)
    assert answer.status_code == 200, answer.text
    assert fake.documents[1].total == Decimal("-120.99") and fake.documents[1].corrects == "FCT0001"
    only_positive = {**storno, "idempotencyKey": "x", "products": [balance]}
    assert "negativ" in refused(client.post("api/docs/invoice", json=only_positive))


def test_ob_woo_invoice_shape_passes(client: httpx.Client, fake: OblioFake) -> None:
    # OB-WOO (official plugin, §18) sends empty PHP arrays for "no collect" and "no
    # reference document", unset options as false, its own language list (IT, SP, HU) and
    # a "Discount" line with a negative price when its total differs from the order's.
    body = simple(collect=[], referenceDocument=[], issuerName=False, workStation=False, language="IT",
                  deliveryDate="", collectDate="", dueDate="", precision="2", value=0, noticeNumber="")  # fmt: skip
    body["client"] = {"cif": "", "name": "Ion Popescu", "code": "", "iban": "", "save": True}
    body["products"] = [
        {"name": "Tricou", "code": "TR-1", "description": "", "price": 121.0, "measuringUnit": "buc",
         "measuringUnitTranslation": "", "currency": "RON", "vatName": "", "vatPercentage": None,
         "vatIncluded": True, "quantity": 1, "productType": "Marfa", "management": "Magazin", "save": True},
        {"name": "Discount", "code": "", "description": "", "price": "-1.00", "measuringUnit": "buc",
         "currency": "RON", "vatName": "", "vatPercentage": None, "vatIncluded": True, "quantity": 1,
         "productType": "Serviciu"},
    ]  # fmt: skip
    answer = client.post("api/docs/invoice", json=body)
    assert answer.status_code == 200, answer.text
    assert fake.documents[0].total == Decimal("120.00") and fake.documents[0].paid == 0
    languages = client.get("api/nomenclature/languages", params={"cif": DEMO_CIF}).json()["data"]
    assert {"IT", "SP", "HU"} <= {language["code"] for language in languages}


def test_a_proforma_takes_no_stock(client: httpx.Client, fake: OblioFake) -> None:
    # useStock is an invoice (and notice) field (§5.1, §3); OB-WOO builds its proforma from
    # the same data, useStock included. A proforma moves no goods; its invoice does.
    proforma = client.post("api/docs/proforma", json=sample(seriesName="PRF")).json()["data"]
    assert fake.stock_of(DEMO_CIF, "SKU-1") == 1000
    from_proforma = {"cif": DEMO_CIF, "seriesName": "FCT", "useStock": 1, "client": sample()["client"],
                     "referenceDocument": {"type": "Proforma", "seriesName": "PRF", "number": proforma["number"]}}  # fmt: skip
    assert client.post("api/docs/invoice", json=from_proforma).status_code == 200
    assert fake.stock_of(DEMO_CIF, "SKU-1") == 998


def test_ob_php_readme_sample_passes(client: httpx.Client, fake: OblioFake) -> None:
    # The official PHP client's "Create invoice" default data (OB-PHP README), filled in.
    client_fields = ("cif", "rc", "code", "address", "state", "city", "country", "iban", "bank", "email", "phone",
                     "contact", "vatPayer")  # fmt: skip
    data = {
        "cif": DEMO_CIF,
        "client": {**dict.fromkeys(client_fields, ""), "name": "Ion Popescu"},
        "idempotencyKey": "order-77",
        "issueDate": "2026-01-15",
        **dict.fromkeys(("dueDate", "deliveryDate", "collectDate"), ""),
        "seriesName": "FCT",
        "collect": [],
        "referenceDocument": [],
        "language": "RO",
        "precision": 2,
        "currency": "RON",
        "products": [
            {
                "name": "Abonament",
                "code": "",
                "description": "",
                "price": "100",
                "measuringUnit": "buc",
                "currency": "RON",
                "vatName": "Normala",
                "vatPercentage": 21,
                "vatIncluded": True,
                "quantity": 2,
                "productType": "Serviciu",
            }
        ],
        **dict.fromkeys(
            (
                "issuerName",
                "issuerId",
                "noticeNumber",
                "internalNote",
                "deputyName",
                "deputyIdentityCard",
                "deputyAuto",
                "selesAgent",
                "mentions",
            ),
            "",
        ),
        "value": 0,
        "workStation": "Sediu",
        "useStock": 0,
    }
    answer = client.post("api/docs/invoice", json=data)
    assert answer.status_code == 200, answer.text
    assert fake.documents[0].total == Decimal("200.00")


def test_keys_collide_between_two_logins_of_one_company(client: httpx.Client, fake: OblioFake) -> None:
    # "Account-wide" (§14, §16): two installations sharing one Oblio account may use two
    # logins of the same company; the widest reading is that their keys collide too.
    fake.add_user("second@shop.ro", "s3cret", [DEMO_CIF])
    first = client.post("api/docs/invoice", json=simple(idempotencyKey="order-1")).json()
    other = token_of(fake, "second@shop.ro", "s3cret")
    again = client.post(
        "api/docs/invoice", json=simple(idempotencyKey="order-1"), headers={"Authorization": f"Bearer {other}"}
    ).json()
    assert again == first and len(fake.documents) == 1


def test_ob_go_empty_structs_pass(client: httpx.Client, fake: OblioFake) -> None:
    # OB-GO's Go structs ignore omitempty: an unset collect or referenceDocument is {} (which
    # PHP decodes as the same empty array as OB-WOO's []), an unset date "0001-01-01".
    body = simple(collect={}, referenceDocument={}, dueDate="0001-01-01", useStock="0", sendEmail="0")
    answer = client.post("api/docs/invoice", json=body)
    assert answer.status_code == 200, answer.text
    assert fake.documents[0].paid == 0 and fake.documents[0].corrects is None
