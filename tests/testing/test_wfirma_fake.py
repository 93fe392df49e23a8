"""The wFirma fake on its own: what the sheet says wFirma does, as peer clients talk to it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.registry import fake_class
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.wfirma import DEMO_COMPANY, DEMO_KEYS, SECOND_COMPANY, WFirmaFake, texts
from accounting_connectors.testing.wfirma.dialect import BadInput, element_to_json, json_to_element, parse_body

HEADERS = {"accessKey": DEMO_KEYS["access_key"], "secretKey": DEMO_KEYS["secret_key"], "appKey": DEMO_KEYS["app_key"]}

INVOICE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<api><invoices><invoice>
  <contractor><name>Testowy kontrahent</name><zip>10-100</zip><city>Wrocław</city></contractor>
  <type>normal</type><date>2026-01-15</date><id_external>ext-1</id_external>
  <invoicecontents>
    <invoicecontent><name>Produkt A</name><count>2.0000</count><price>100.00</price><unit>szt.</unit>
      <vat_code><id>222</id></vat_code><discount>1</discount><discount_percent>10</discount_percent></invoicecontent>
    <invoicecontent><name>Książka B</name><count>1</count><price>50.00</price><vat>5</vat></invoicecontent>
  </invoicecontents>
</invoice></invoices></api>"""


PLAIN_VAT = INVOICE_XML.replace("<vat_code><id>222</id></vat_code>", "<vat>23</vat>")
"""The sample with plain VAT codes: vat_code ids are per account."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> WFirmaFake:
    return WFirmaFake.demo(clock=clock)


def send(
    fake: WFirmaFake,
    path: str,
    body: str | bytes | dict[str, Any] | None = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    company: str | None = DEMO_COMPANY,
    input_format: str = "xml",
    output_format: str | None = None,
) -> httpx.Response:
    params = {"inputFormat": input_format}
    if output_format is not None:
        params["outputFormat"] = output_format
    if company is not None:
        params["company_id"] = company
    content: bytes | None
    if isinstance(body, dict):
        content = json.dumps(body).encode()
    elif isinstance(body, str):
        content = body.encode()
    else:
        content = body
    with httpx.Client(transport=fake) as client:
        request = client.build_request(
            method, f"https://api2.wfirma.pl/{path}", params=params, content=content, headers=headers or HEADERS
        )
        return client.send(request)


def root(response: httpx.Response) -> Element:
    assert response.status_code == 200
    return SafeET.fromstring(response.content)


def code(response: httpx.Response) -> str | None:
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return str(response.json()["status"]["code"])
    return root(response).findtext("status/code")


def add(fake: WFirmaFake, xml: str = INVOICE_XML, **options: Any) -> Element:
    response = send(fake, "invoices/add", xml, **options)
    assert code(response) == "OK", response.text
    record = root(response).find("invoices/invoice")
    assert record is not None
    return record


# Authentication and companies.


@pytest.mark.parametrize("missing", ["accessKey", "secretKey", "appKey"])
def test_each_of_the_three_headers_is_checked(fake: WFirmaFake, missing: str) -> None:
    headers = {name: value for name, value in HEADERS.items() if name != missing}
    assert code(send(fake, "series/find", headers=headers)) == texts.AUTH
    wrong = {**HEADERS, missing: "wrong"}
    assert code(send(fake, "series/find", headers=wrong)) == texts.AUTH
    assert code(send(fake, "series/find")) == texts.OK


def test_five_failures_lock_the_login_for_five_minutes(fake: WFirmaFake, clock: FakeClock) -> None:
    wrong = {**HEADERS, "secretKey": "nope"}
    assert [code(send(fake, "series/find", headers=wrong)) for _ in range(5)] == [texts.AUTH] * 5
    assert code(send(fake, "series/find", headers=wrong)) == texts.AUTH_FAILED_LIMIT
    assert fake.penalties == 1
    assert code(send(fake, "series/find")) == texts.AUTH_FAILED_LIMIT  # the right keys too
    clock.advance(299)
    assert code(send(fake, "series/find")) == texts.AUTH_FAILED_LIMIT
    clock.advance(2)
    assert code(send(fake, "series/find")) == texts.OK
    other = {**HEADERS, "accessKey": "someone-else"}
    assert code(send(fake, "series/find", headers=other)) == texts.AUTH  # the lock is per login


def test_company_id_selects_the_company(fake: WFirmaFake) -> None:
    assert code(send(fake, "series/find", company=None)) == texts.COMPANY_ID_REQUIRED
    fake.add_company("3003", "Cudza")
    assert code(send(fake, "series/find", company="3003")) == texts.ACCESS_DENIED
    fake.add_user("solo", "solo-secret", ["3003"])
    solo = {"accessKey": "solo", "secretKey": "solo-secret", "appKey": DEMO_KEYS["app_key"]}
    assert code(send(fake, "series/find", company=None, headers=solo)) == texts.OK  # one company: no id needed
    companies = root(send(fake, "user_companies/find", company=None))
    assert [c.findtext("company/id") for c in companies.iter("user_company")] == [DEMO_COMPANY, SECOND_COMPANY]


def test_several_companies_and_key_rotation(fake: WFirmaFake) -> None:
    # Another company's vat_code id is unknown here (ids are per account).
    assert code(send(fake, "invoices/add", INVOICE_XML, company=SECOND_COMPANY)) == texts.ERROR
    first = add(fake)
    second = add(fake, PLAIN_VAT, company=SECOND_COMPANY)
    assert first.findtext("fullnumber") == second.findtext("fullnumber") == "FV 1/2026"
    assert [d.account for d in fake.documents] == [DEMO_COMPANY, SECOND_COMPANY]
    access, secret = fake.rotate_keys(DEMO_KEYS["access_key"])
    assert code(send(fake, "series/find")) == texts.AUTH
    rotated = {"accessKey": access, "secretKey": secret, "appKey": DEMO_KEYS["app_key"]}
    assert code(send(fake, "series/find", headers=rotated)) == texts.OK


# Dialects.


def test_numbered_json_is_read_and_answered(fake: WFirmaFake) -> None:
    body = {
        "invoices": {
            "0": {
                "invoice": {
                    "contractor": {"name": "JSON", "zip": "00-001", "city": "Warszawa"},
                    "type": "normal",
                    "invoicecontents": {
                        "0": {"invoicecontent": {"name": "A", "count": 1, "price": "10.00", "vat": "23"}},
                        "1": {"invoicecontent": {"name": "B", "count": 2, "price": 5, "vat": "8"}},
                    },
                }
            }
        }
    }
    response = send(fake, "invoices/add", body, input_format="json")
    assert response.headers["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["status"]["code"] == "OK"
    invoice = answer["invoices"]["0"]["invoice"]
    assert invoice["fullnumber"] == "FV 1/2026" and invoice["total"] == "23.10"
    assert set(invoice["invoicecontents"]) == {"0", "1"}


def test_the_array_dialect_under_api_is_read(fake: WFirmaFake) -> None:
    # W-GUIDE (a production client) sends arrays under an "api" root.
    body = {
        "api": {
            "invoices": [
                {
                    "invoice": {
                        "contractor": {"name": "Go", "zip": "00-001", "city": "Warszawa"},
                        "type": "normal",
                        "invoicecontents": [
                            {"invoicecontent": {"name": "A", "count": "1", "price": "10", "vat": "23"}}
                        ],
                    }
                }
            ]
        }
    }
    assert code(send(fake, "invoices/add", body, input_format="json", output_format="xml")) == "OK"
    assert fake.documents[-1].total == Decimal("12.30")


def test_an_unnumbered_json_record_and_broken_bodies_are_input_errors(fake: WFirmaFake) -> None:
    unnumbered = {"invoices": {"invoice": {"type": "normal"}}}
    assert code(send(fake, "invoices/add", unnumbered, input_format="json")) == texts.INPUT_ERROR
    assert code(send(fake, "invoices/add", "{not json", input_format="json")) == texts.INPUT_ERROR
    assert code(send(fake, "invoices/add", "<api><invoices>")) == texts.INPUT_ERROR
    bomb = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa">]><api>&a;</api>'
    assert code(send(fake, "invoices/add", bomb)) == texts.INPUT_ERROR
    assert code(send(fake, "invoices/add", "<nope/>")) == texts.INPUT_ERROR
    assert fake.documents == []


def test_output_format_defaults_to_the_input_format(fake: WFirmaFake) -> None:
    assert send(fake, "series/find").headers["Content-Type"].startswith("application/xml")
    assert send(fake, "series/find", input_format="json").headers["Content-Type"].startswith("application/json")
    answer = send(fake, "series/find", output_format="json").json()
    assert answer["series"]["0"]["series"]["name"] == "FV" and answer["series"]["parameters"]["total"] == "4"


def test_the_dialect_converters() -> None:
    element = json_to_element("api", {"invoices": {"0": {"invoice": {"a": 1, "b": None, "c": True}}}})
    assert element_to_json(element) == {"invoices": {"0": {"invoice": {"a": "1", "b": "", "c": "1"}}}}
    assert parse_body(b"", "xml").tag == "api"
    with pytest.raises(BadInput):
        parse_body(b"[1]", "json")


# Documents.


def test_numbering_per_series_and_totals(fake: WFirmaFake) -> None:
    first, second = add(fake), add(fake)
    assert (first.findtext("fullnumber"), second.findtext("fullnumber")) == ("FV 1/2026", "FV 2/2026")
    # 2 x 100 less 10 % at 23 % and 50 at 5 %: 180 + 41.40 + 50 + 2.50.
    assert first.findtext("netto") == "230.00" and first.findtext("tax") == "43.90"
    assert first.findtext("total") == "273.90" and first.findtext("paymentstate") == "unpaid"
    series = fake.add_series(DEMO_COMPANY, "M", "M/[numer]/[miesiąc]/[rok]", "normal", reset="monthly")
    dated = INVOICE_XML.replace("<type>normal</type>", f"<type>normal</type><series><id>{series}</id></series>")
    assert add(fake, dated).findtext("fullnumber") == "M/1/01/2026"
    next_month = dated.replace("2026-01-15", "2026-02-01")
    assert add(fake, next_month).findtext("fullnumber") == "M/1/02/2026"
    unknown = INVOICE_XML.replace("<type>normal</type>", "<type>normal</type><series><id>999</id></series>")
    assert code(send(fake, "invoices/add", unknown)) == texts.ERROR


def test_an_unknown_vat_is_silently_23_percent_and_the_id_wins(fake: WFirmaFake) -> None:
    xml = INVOICE_XML.replace("<vat>5</vat>", "<vat>25</vat>")
    record = add(fake, xml)
    lines = record.findall("invoicecontents/invoicecontent")
    assert lines[1].findtext("vat") == "23"  # W-GUIDE: a plain "25" is reset to 23 %
    both = INVOICE_XML.replace(
        "<vat>5</vat>", f"<vat>5</vat><vat_code><id>{fake.vat_code_id(DEMO_COMPANY, '8')}</id></vat_code>"
    )
    assert add(fake, both).findall("invoicecontents/invoicecontent")[1].findtext("vat") == "8"
    bad = INVOICE_XML.replace("<id>222</id>", "<id>1</id>")
    assert code(send(fake, "invoices/add", bad)) == texts.ERROR


def test_vat_codes_are_per_account_with_oss_codes(fake: WFirmaFake) -> None:
    first = root(send(fake, "vat_codes/find"))
    second = root(send(fake, "vat_codes/find", company=SECOND_COMPANY))
    codes = {v.findtext("code"): v.findtext("id") for v in first.iter("vat_code")}
    other = {v.findtext("code"): v.findtext("id") for v in second.iter("vat_code")}
    assert codes["23"] == "222" and other["23"] != "222"
    assert "" in codes  # OSS codes carry no code, a foreign country
    assert any(v.findtext("declaration_country/id") == "DE" for v in first.iter("vat_code"))


def test_required_fields_answer_errors_on_the_records(fake: WFirmaFake) -> None:
    xml = (
        INVOICE_XML.replace("<name>Testowy kontrahent</name>", "<name></name>")
        .replace("<zip>10-100</zip>", "")
        .replace("2026-01-15", "15.01.2026")
        .replace("<name>Książka B</name>", "")
    )
    answer = root(send(fake, "invoices/add", xml))
    assert answer.findtext("status/code") == texts.ERROR
    invoice = answer.find("invoices/invoice")
    assert invoice is not None
    assert [(e.findtext("field"), e.findtext("message")) for e in invoice.findall("errors/error")] == [
        ("date", texts.BAD_DATE)
    ]
    assert {e.findtext("field") for e in invoice.findall("contractor/errors/error")} == {"name", "zip"}
    line = invoice.findall("invoicecontents/invoicecontent")[1]
    assert line.findtext("errors/error/message") == texts.EMPTY_CONTENT_NAME
    assert line.findtext("errors/error/method/name") == "validate"
    assert fake.documents == []


def test_a_missing_type_and_auto_send(fake: WFirmaFake) -> None:
    no_type = INVOICE_XML.replace("<type>normal</type>", "")
    assert code(send(fake, "invoices/add", no_type)) == texts.ERROR
    auto = INVOICE_XML.replace("<type>normal</type>", "<auto_send>1</auto_send>")
    answer = root(send(fake, "invoices/add", auto))
    assert answer.findtext("status/message") == texts.AUTO_SEND_WITHOUT_TYPE  # W-ISSUES #39
    bad_method = INVOICE_XML.replace("<type>normal</type>", "<type>normal</type><paymentmethod>card</paymentmethod>")
    assert code(send(fake, "invoices/add", bad_method)) == texts.ERROR


def test_unknown_fields_are_silently_ignored(fake: WFirmaFake) -> None:
    xml = INVOICE_XML.replace(
        "<type>normal</type>", "<type>normal</type><payment_method>cash</payment_method><foo>1</foo>"
    )
    record = add(fake, xml)
    assert record.findtext("paymentmethod") == "transfer"  # W-GUIDE's payment_method was dropped


def test_a_receipt_needs_no_contractor(fake: WFirmaFake) -> None:
    xml = INVOICE_XML.replace(
        "<contractor><name>Testowy kontrahent</name><zip>10-100</zip><city>Wrocław</city></contractor>", ""
    ).replace("<type>normal</type>", "<type>receipt_fiscal_normal</type><price_type>brutto</price_type>")
    record = add(fake, xml)
    assert record.findtext("fullnumber") == "PAR 1/2026"
    assert code(send(fake, f"invoices/fiscalize/{record.findtext('id')}", method="GET")) == "OK"
    assert fake.documents[-1].detail["fiscalized"] is True
    assert code(send(fake, f"invoices/unfiscalize/{record.findtext('id')}")) == "OK"  # W-WEBIT POSTs
    assert fake.documents[-1].detail["fiscalized"] is False
    assert code(send(fake, f"invoices/fiscalize/{add(fake, PLAIN_VAT).findtext('id')}")) == texts.ERROR
    assert code(send(fake, "invoices/add", xml.replace("receipt_fiscal_normal", "normal"))) == texts.ERROR


def test_goods_by_code_and_stock(fake: WFirmaFake) -> None:
    body = (
        "<api><goods><parameters><conditions><condition><field>code</field><operator>eq</operator>"
        "<value>SKU-1</value></condition></conditions></parameters></goods></api>"
    )
    goods = list(root(send(fake, "goods/find", body)).iter("good"))
    assert [g.findtext("code") for g in goods] == ["SKU-1"]
    good_id = goods[0].findtext("id")
    xml = INVOICE_XML.replace("<name>Produkt A</name>", f"<name>Produkt A</name><good><id>{good_id}</id></good>")
    add(fake, xml)
    assert fake.good(DEMO_COMPANY, "SKU-1")["count"] == 98
    # A good id the company does not have is an error on the line.
    missing = INVOICE_XML.replace("<name>Produkt A</name>", "<name>Produkt A</name><good><id>1</id></good>")
    assert code(send(fake, "invoices/add", missing)) == texts.ERROR


def test_corrections_by_parent_id(fake: WFirmaFake) -> None:
    original = add(fake)
    parent = original.findtext("id")
    lines = [line.findtext("id") for line in original.findall("invoicecontents/invoicecontent")]
    correction = f"""<api><invoices><invoice><type>correction</type><parent_id>{parent}</parent_id>
      <description>Zwrot 1 szt.</description><invoicecontents>
      <invoicecontent><parent_id>{lines[0]}</parent_id><name>Produkt A</name><count>1.0000</count>
        <price>100.00</price></invoicecontent>
      <invoicecontent><name>nowa pozycja</name><count>1</count><price>11.00</price></invoicecontent>
    </invoicecontents></invoice></invoices></api>"""
    record = add(fake, correction)
    assert record.findtext("fullnumber") == "KOR 1/2026" and record.findtext("parent_id") == parent
    # After state: line 1 at 1 x 90; line 2 unchanged; a new 11.00 line at 23 %: 90 + 50 + 11 = 151 net.
    stored = fake.find(id=record.findtext("id"))
    assert stored is not None and stored.corrects == parent and stored.kind == "correction"
    assert stored.detail["netto"] == Decimal("151.00") - Decimal("230.00")
    # W-WEBIT's <parent><id> form is accepted too.
    webit = correction.replace(f"<parent_id>{parent}</parent_id>\n", f"<parent><id>{parent}</id></parent>\n", 1)
    assert code(send(fake, "invoices/add", webit)) == texts.OK
    renamed = correction.replace("<name>Produkt A</name>", "<name>Inna nazwa</name>")
    assert code(send(fake, "invoices/add", renamed)) == texts.ERROR
    orphan = correction.replace(f"<parent_id>{parent}</parent_id>", "<parent_id>1</parent_id>", 1)
    assert code(send(fake, "invoices/add", orphan)) == texts.ERROR


def test_payments_settle_the_invoice(fake: WFirmaFake) -> None:
    invoice = add(fake)
    body = (
        f"<api><payments><payment><object_name>invoice</object_name><object_id>{invoice.findtext('id')}</object_id>"
        "<value>273.90</value><date>2026-01-16</date></payment></payments></api>"
    )
    payment = root(send(fake, "payments/add", body))
    assert payment.findtext("status/code") == "OK" and payment.findtext("payments/payment/invoice/id")
    got = root(send(fake, f"invoices/get/{invoice.findtext('id')}", method="GET"))
    assert got.findtext("invoices/invoice/paymentstate") == "paid"
    assert got.findtext("invoices/invoice/remaining") == "0.00"
    assert code(send(fake, "payments/add", body.replace(invoice.findtext("id") or "", "1"))) == texts.ERROR
    assert code(send(fake, "payments/add", body.replace("273.90", "abc"))) == texts.ERROR
    assert len(list(root(send(fake, "payments/find")).iter("payment"))) == 1


def test_the_pdf_is_raw_whatever_the_output_format(fake: WFirmaFake) -> None:
    invoice = add(fake)
    body = (
        "<api><invoices><parameters><parameter><name>page</name><value>invoice</value></parameter>"
        "</parameters></invoices></api>"
    )
    response = send(fake, f"invoices/download/{invoice.findtext('id')}", body, output_format="json")
    assert response.content.startswith(b"%PDF") and b"FV 1/2026" in response.content
    assert code(send(fake, "invoices/download/1", body)) == texts.NOT_FOUND
    assert code(send(fake, f"invoices/download/{invoice.findtext('id')}", body.replace("invoice<", "x<"))) == "ERROR"


def test_find_filters_pages_and_the_uncertain_id_external(fake: WFirmaFake) -> None:
    for index in range(5):
        add(fake, INVOICE_XML.replace("ext-1", f"ext-{index}"))

    def find(value: str, page: int = 1, limit: int = 2) -> Element:
        return root(
            send(
                fake,
                "invoices/find",
                "<api><invoices><parameters><conditions><condition><field>Invoice.id_external</field>"
                f"<operator>eq</operator><value>{value}</value></condition></conditions>"
                f"<page>{page}</page><limit>{limit}</limit></parameters></invoices></api>",
            )
        )

    assert [r.findtext("id_external") for r in find("ext-3").iter("invoice")] == ["ext-3"]
    fake.filters_id_external = False
    unfiltered = find("ext-3", page=2)
    assert unfiltered.findtext("invoices/parameters/total") == "5"
    assert [r.findtext("id_external") for r in unfiltered.iter("invoice")] == ["ext-2", "ext-3"]
    like = (
        "<api><invoices><parameters><conditions><or><condition><field>fullnumber</field><operator>like</operator>"
        "<value>FV 1%</value></condition><condition><field>number</field><operator>gt</operator><value>4</value>"
        "</condition></or></conditions></parameters></invoices></api>"
    )
    assert [r.findtext("number") for r in root(send(fake, "invoices/find", like)).iter("invoice")] == ["1", "5"]
    # W-DEKOZA sends plain finds as GET without a body.
    assert len(list(root(send(fake, "invoices/find", method="GET")).iter("invoice"))) == 5


def test_edits_are_refused_on_accounting_books(fake: WFirmaFake) -> None:
    on_books = add(fake, PLAIN_VAT, company=SECOND_COMPANY)
    edit = "<api><invoices><invoice><description>x</description></invoice></invoices></api>"
    answer = root(send(fake, f"invoices/edit/{on_books.findtext('id')}", edit, company=SECOND_COMPANY))
    assert answer.findtext("status/message") == texts.BOOKS_NO_EDIT
    simple = add(fake)
    assert code(send(fake, f"invoices/edit/{simple.findtext('id')}", edit)) == "OK"
    assert code(send(fake, f"invoices/delete/{simple.findtext('id')}", method="DELETE")) == "OK"
    assert fake.documents[-1].cancelled and code(send(fake, f"invoices/get/{simple.findtext('id')}")) == "NOT FOUND"


def test_the_request_limit_and_the_faults(clock: FakeClock) -> None:
    fake = WFirmaFake.demo(clock=clock)
    answers = [code(send(fake, "series/find")) for _ in range(61)]
    assert answers[:60] == ["OK"] * 60 and answers[60] == texts.TOTAL_REQUESTS_LIMIT_EXCEEDED
    clock.advance(61)
    fake.inject(Fault.SERVER_ERROR, "invoices/add")
    response = send(fake, "invoices/add", INVOICE_XML)
    assert response.status_code == 500 and SafeET.fromstring(response.content).findtext("status/code") == "FATAL"
    fake.inject(Fault.ERROR_TEXT_200, "invoices/add")
    assert code(send(fake, "invoices/add", INVOICE_XML)) == "FATAL"
    assert fake.documents == []
    assert code(send(fake, "vat_moss_details/add", "<api/>")) == texts.ACTION_NOT_FOUND
    assert code(send(fake, "invoices/add", method="PUT")) == texts.ACTION_NOT_FOUND
    with pytest.raises(httpx.ConnectError):
        httpx.Client(transport=fake).get("https://example.com/invoices/find")


def test_every_documented_code_is_known() -> None:
    assert len(texts.STATUS_CODES) == 15 and len(set(texts.STATUS_CODES)) == 15


def test_the_vocabulary_every_fake_speaks(clock: FakeClock) -> None:
    fake = fake_class("wfirma").demo(clock=clock)
    assert isinstance(fake, WFirmaFake) and fake.provider == "wfirma"
    quiet = WFirmaFake(clock=clock, keep_log=False)
    assert quiet.requests == [] and quiet.documents == []
    with ac.connect("wfirma", dict(fake.demo_settings), transport=fake, clock=clock) as client:
        sent = client.send_invoice(
            ac.Invoice(
                reference="vocab",
                issue_date="2026-01-15",
                currency="PLN",
                buyer=ac.Party(name="Jan", address=ac.Address(city="Łódź", postal_code="90-001", country="PL")),
                lines=[ac.Line(name="A", quantity=1, unit="szt.", unit_price="10.00", vat=ac.VatRate.of(23))],
            )
        )
    found = fake.find(reference="vocab")
    assert found is not None and found.number == sent.number and found.total == Decimal("12.30")
    assert found.detail["lines"][0]["vat_code_id"] == "222" and found.body is not None
    assert "WFirmaFake(documents=1" in repr(fake)


def test_the_pytest_fixture(wfirma_fake: WFirmaFake) -> None:
    assert code(send(wfirma_fake, "series/find")) == "OK"
