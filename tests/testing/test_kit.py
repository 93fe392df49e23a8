"""The provider kit: the fake base's pipeline, route tables, sliding windows and the toolkit."""

from __future__ import annotations

import email.utils
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.capabilities import Capabilities, Capability, Entry, Support
from accounting_connectors.kit import (
    Call,
    FakeError,
    FakeLimit,
    FakeProvider,
    FakeRequest,
    Fault,
    Flow,
    Provider,
    RateLimit,
    Reply,
    StoredDocument,
    base_url,
    json_request,
    parse_retry_after,
    read_json,
    route,
)
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.routes import RouteTable
from accounting_connectors.testing.throttle import SlidingWindows

# A minimal provider and its fake, written the way docs/writing-a-provider.md says.


class TinyFake(FakeProvider):
    provider = "tiny"
    base_urls = ("https://api.tiny.example/v1/",)
    limits = (FakeLimit(50, 10.0, penalty_seconds=60.0),)
    demo_settings: ClassVar[dict[str, Any]] = {"key": "k1"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = {"k1": "ACME", "k2": "ACME", "k3": "OTHER"}
        self._docs: list[StoredDocument] = []

    def authenticate(self, request: FakeRequest) -> Any:
        company = self.keys.get(request.headers.get("X-Key", ""))
        if company is None:
            raise FakeError(Reply.json({"message": "bad key"}, 401))
        return company

    def limit_key(self, request: FakeRequest) -> str:
        return str(request.principal)

    def error_under_200(self, request: FakeRequest) -> Reply:
        return Reply.json({"message": "failed quietly"}, 200)

    @route("POST", "invoices")
    def create(self, request: FakeRequest) -> Reply:
        body = request.json()
        if "total" not in body:
            raise FakeError(Reply.json({"message": "total is required", "field": "total"}, 422))
        number = str(len(self._docs) + 1)
        self._docs.append(
            StoredDocument(
                provider="tiny", account=request.principal, kind="invoice", number=number, total=body["total"]
            )
        )
        return Reply.json({"number": number}, 201)

    @route("GET", "invoices/{number}")
    def read(self, request: FakeRequest) -> Reply:
        found = self.find(number=request.groups["number"], account=request.principal)
        if found is None:
            raise FakeError(Reply.json({"message": "no such invoice"}, 404))
        return Reply.json({"number": found.number, "total": found.total})

    def stored(self) -> list[StoredDocument]:
        return self._docs


@attrs.frozen(kw_only=True)
class TinySettings:
    """Settings of the tiny provider."""

    key: str = attrs.field(repr=False)
    """The API key."""
    company: str = "ACME"
    """The issuing company."""

    @key.validator
    def _check_key(self, attribute: Any, value: str) -> None:
        if not value:
            raise ValueError("key must not be empty")


class Tiny(Provider):
    name = "tiny"
    title = "Tiny.example"
    settings_class = TinySettings
    capabilities = Capabilities("tiny", {Capability.SEND_INVOICE: Entry(Support.SUPPORTED)})
    rate_limits = (RateLimit(3, 10.0),)

    def credential_fingerprint(self) -> str:
        return self.settings.key

    def secrets(self) -> tuple[str, ...]:
        return (self.settings.key,)

    def send_invoice(self, invoice: ac.Invoice) -> Flow[ac.SentDocument]:
        request = json_request(
            "POST",
            "https://api.tiny.example/v1/invoices",
            {"total": Decimal("1.00")},
            headers={"X-Key": self.settings.key},
        )
        response = yield Call(request, "send_invoice", creates=True)
        return ac.SentDocument(
            provider="tiny",
            kind=ac.DocumentKind.INVOICE,
            reference=invoice.reference,
            number=read_json(response)["number"],
        )


def send(fake: TinyFake, method: str, path: str, key: str = "k1", **kwargs: Any) -> httpx.Response:
    return fake.handle_request(
        httpx.Request(method, f"https://api.tiny.example/v1/{path}", headers={"X-Key": key}, **kwargs)
    )


# The fake base's pipeline.


def test_routes_answer_with_groups_and_the_provider_refusals() -> None:
    fake = TinyFake(clock=FakeClock())
    assert send(fake, "POST", "invoices", json={"total": "9.99"}).status_code == 201
    assert send(fake, "GET", "invoices/1").json() == {"number": "1", "total": "9.99"}
    assert send(fake, "GET", "invoices/2").status_code == 404
    assert send(fake, "POST", "invoices", json={}).json()["field"] == "total"
    assert send(fake, "GET", "nowhere").status_code == 404
    refused = send(fake, "DELETE", "invoices")
    assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
    assert send(fake, "GET", "invoices/1", key="nope").status_code == 401
    assert [document.number for document in fake.documents] == ["1"]


def test_a_request_for_another_host_or_scheme_never_arrives() -> None:
    fake = TinyFake(clock=FakeClock())
    for url in (
        "https://elsewhere.example/v1/invoices",
        "http://api.tiny.example/v1/invoices",
        "https://api.tiny.example/v2/x",
    ):
        with pytest.raises(httpx.ConnectError):
            fake.handle_request(httpx.Request("GET", url))
    assert fake.request_count == 0


class StrictTinyFake(TinyFake):
    limits = (FakeLimit(3, 10.0, penalty_seconds=60.0),)


def test_the_limit_refuses_the_call_too_many_and_holds_the_key_for_the_penalty() -> None:
    clock = FakeClock()
    fake = StrictTinyFake(clock=clock)
    for _ in range(3):
        assert send(fake, "GET", "invoices/9").status_code == 404
    assert send(fake, "GET", "invoices/9").status_code == 429
    assert fake.penalties == 1
    # The penalty is per key: another company is not held; the same company under its
    # second key is (the limit counts by account here).
    assert send(fake, "GET", "invoices/9", key="k3").status_code == 404
    assert send(fake, "GET", "invoices/9", key="k2").status_code == 429
    clock.advance(59)
    assert send(fake, "GET", "invoices/9").status_code == 429
    clock.advance(1)
    assert send(fake, "GET", "invoices/9").status_code == 404
    assert fake.blocked_until("ACME") is not None


def test_faults_before_and_after_commit() -> None:
    fake = TinyFake(clock=FakeClock())
    fake.inject(Fault.CONNECTION_RESET, "invoices")
    with pytest.raises(httpx.ConnectError):
        send(fake, "POST", "invoices", json={"total": "1"})
    assert fake.requests == [] and len(fake.dropped_requests) == 1
    fake.inject(Fault.TIMEOUT_BEFORE_COMMIT, "invoices")
    with pytest.raises(httpx.ReadTimeout):
        send(fake, "POST", "invoices", json={"total": "1"})
    assert fake.documents == []
    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, "invoices", method="POST")
    with pytest.raises(httpx.ReadTimeout):
        send(fake, "POST", "invoices", json={"total": "1"})
    assert len(fake.documents) == 1
    fake.inject(Fault.SERVER_ERROR)
    assert send(fake, "GET", "invoices/1").status_code == 500
    fake.inject(Fault.ERROR_TEXT_200, times=2)
    assert send(fake, "GET", "invoices/1").json() == {"message": "failed quietly"}
    assert send(fake, "POST", "invoices", json={"total": "1"}).status_code == 200
    assert len(fake.documents) == 1
    assert len(fake.requests) == 5


def test_a_fake_without_a_log_keeps_only_the_count() -> None:
    fake = TinyFake(clock=FakeClock(), keep_log=False)
    for _ in range(3):
        send(fake, "GET", "invoices/1")
    assert fake.requests == [] and fake.request_count == 3


def test_find_matches_attributes_and_detail() -> None:
    document = StoredDocument(provider="p", account="a", kind="invoice", number="7", detail={"uuid": "u-7"})
    assert document.matches(number="7", uuid="u-7")
    assert not document.matches(number="7", uuid="u-8")
    assert not document.matches(kind="receipt")
    assert document.full_number == "7"


def test_route_tables_prefer_exact_paths_and_report_allowed_methods() -> None:
    table = RouteTable.of(TinyFake)
    assert table.match("POST", "invoices") == ("create", {})
    assert table.match("GET", "invoices/42") == ("read", {"number": "42"})
    assert table.match("PUT", "invoices/42") == ["GET"]
    assert table.match("GET", "invoices/42/pdf") is None


def test_replies_in_every_format() -> None:
    assert Reply.json({"a": Decimal("1.10")}).content == b'{"a":1.10}'
    assert Reply.xml("<a>1</a>").content.startswith(b'<?xml version="1.0"')
    assert Reply.text("1\nFV 1/2026").headers["Content-Type"].startswith("text/plain")
    assert Reply.form({"a": "b c"}).content == b"a=b+c"
    assert Reply.pdf(b"%PDF-1.4").headers["Content-Type"] == "application/pdf"
    assert Reply.empty().status == 204


@given(st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=200))
def test_a_sliding_window_never_accepts_more_than_its_limit_in_any_window(offsets: list[int]) -> None:
    windows = SlidingWindows([FakeLimit(5, 10.0)])
    accepted: list[int] = []
    for at in sorted(offsets):
        if windows.check("k", at / 1000).allowed:
            accepted.append(at)
    for index in range(len(accepted) - 5):
        assert accepted[index + 5] - accepted[index] >= 10_000


def test_a_long_window_costs_the_same_per_call_whatever_its_size() -> None:
    windows = SlidingWindows([FakeLimit(15_000, 86_400.0, name="daily")])
    for second in range(15_000):
        assert windows.check("user", float(second)).allowed
    verdict = windows.check("user", 15_000.0)
    assert not verdict.allowed and verdict.reset_at == 86_400.0


# The provider toolkit.


def test_configure_names_unknown_and_missing_settings_and_lists_the_valid_ones() -> None:
    with pytest.raises(
        ac.ConfigurationError, match=r"unknown setting kye for tiny; valid settings: key \(required\), company"
    ):
        Tiny.configure(kye="x")
    with pytest.raises(ac.ConfigurationError, match="missing setting key"):
        Tiny.configure(company="ACME")
    with pytest.raises(ac.ConfigurationError, match="key must not be empty"):
        Tiny.configure(key="")
    assert Tiny.configure(key="k1").settings == TinySettings(key="k1")


def test_the_default_status_table() -> None:
    provider = Tiny.configure(key="k1")
    expected = {
        400: ac.ProviderValidationError,
        401: ac.AuthenticationError,
        403: ac.PermissionDenied,
        404: ac.NotFound,
        409: ac.ProviderValidationError,
        422: ac.ProviderValidationError,
        429: ac.RateLimited,
        418: ac.ProviderError,
        500: ac.ServerError,
        503: ac.ServerError,
    }
    for status, error_class in expected.items():
        response = httpx.Response(status, json={"message": f"went wrong {status}"})
        error = provider.error_for(response, None, 0.0)  # type: ignore[arg-type]
        assert type(error) is error_class, status
        assert error.message == f"went wrong {status}"
    assert provider.error_for(httpx.Response(200), None, 0.0) is None  # type: ignore[arg-type]
    unnamed = provider.status_error(httpx.Response(422, text="<html>"))
    assert isinstance(unnamed, ac.ProviderValidationError)
    assert unnamed.field_errors == {"": ["Tiny.example answered HTTP 422"]}


def test_retry_after_is_read_in_both_forms() -> None:
    assert parse_retry_after("120", 1000.0) == 1120.0
    assert parse_retry_after("-5", 1000.0) == 1000.0
    date = email.utils.formatdate(2_000_000_000, usegmt=True)
    assert parse_retry_after(date, 1000.0) == 2_000_000_000
    assert parse_retry_after(date, 3_000_000_000.0) == 3_000_000_000.0
    for nonsense in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(nonsense, 1000.0) is None


def test_the_driver_reads_retry_after_and_stamps_provider_and_operation() -> None:
    clock = FakeClock()
    fake = TinyFake(clock=clock)
    provider = Tiny.configure(key="k1")
    invoice_call = iter(range(10))

    def refuse(request: httpx.Request) -> httpx.Response:
        next(invoice_call)
        return httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "7200"})

    with (
        ac.Client(provider, transport=httpx.MockTransport(refuse), clock=clock) as client,
        pytest.raises(ac.RateLimited) as caught,
    ):
        client.send_invoice(_invoice())
    assert caught.value.retry_at == clock.time() + 7200
    assert caught.value.provider == "tiny" and caught.value.operation == "send_invoice"
    assert "k1" not in str(caught.value)
    assert fake.request_count == 0


def test_helpers_for_documents_pdfs_payment_types_and_urls() -> None:
    provider = Tiny.configure(key="k1")
    ours = ac.SentDocument(provider="tiny", kind=ac.DocumentKind.INVOICE, reference="r")
    assert provider.own_document(ours) is ours
    with pytest.raises(ac.ValidationError, match=r"original_document\.provider"):
        provider.own_document(attrs.evolve(ours, provider="smartbill"), "original_document")
    assert provider.pdf_bytes(httpx.Response(200, content=b"%PDF-1.4 x")) == b"%PDF-1.4 x"
    with pytest.raises(ac.ProviderError, match="did not answer a PDF"):
        provider.pdf_bytes(httpx.Response(200, content=b"<html>", headers={"Content-Type": "text/html"}))
    types = Provider.payment_types([("Card", "card"), ("Cash", "cash")], receipts=["Cash"])
    assert [t.issues_receipt for t in types] == [False, True]
    assert provider.payment_type_named(types, "cash").name == "Cash"
    with pytest.raises(ac.ValidationError, match="use one of: Card, Cash"):
        provider.payment_type_named(types, "cheque")
    assert base_url("https://api.tiny.example/v1") == "https://api.tiny.example/v1/"
    assert base_url("http://127.0.0.1:8000/api//") == "http://127.0.0.1:8000/api/"
    for bad in ("http://api.tiny.example/", "ftp://x/", "https://x/?a=1", "not a url"):
        with pytest.raises(ac.ConfigurationError):
            base_url(bad)


def _invoice() -> ac.Invoice:
    return ac.Invoice(
        reference="T-1",
        issue_date="2026-01-15",
        buyer=ac.Party(name="Buyer", address=ac.Address(city="Town", country="PL")),
        lines=[ac.Line(name="Thing", quantity=1, unit="pcs", unit_price="1.00", vat=ac.VatRate.of(23))],
        currency="PLN",
    )


def test_a_tiny_provider_runs_end_to_end_against_its_fake() -> None:
    clock = FakeClock()
    fake = TinyFake(clock=clock)
    with ac.Client(Tiny.configure(key="k1"), transport=fake, clock=clock) as client:
        sent = client.send_invoice(_invoice())
    assert sent.number == "1" and fake.find(number="1") is not None


class EchoingTiny(Tiny):
    """A provider whose flow raises an error built from an answer that echoes the key."""

    def send_invoice(self, invoice: ac.Invoice) -> Flow[ac.SentDocument]:
        response = yield Call(json_request("GET", "https://api.tiny.example/v1/invoices/1"), "send_invoice")
        raise ac.ProviderError(f"the task failed: {response.text}")


@pytest.mark.parametrize(
    "echo",
    ["s3cr+t/key=", "s3cr%2Bt%2Fkey%3D", "s3cr%2Bt%2Fkey%3D".replace("%2F", "/"), "czNjcit0L2tleT0="],
    ids=["raw", "url-encoded", "path-encoded", "base64"],
)
def test_secrets_echoed_by_a_provider_never_reach_an_error(echo: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"key {echo} is not allowed")

    provider = EchoingTiny.configure(key="s3cr+t/key=")
    with (
        ac.Client(provider, transport=httpx.MockTransport(answer), clock=FakeClock()) as client,
        pytest.raises(ac.ProviderError) as caught,
    ):
        client.send_invoice(_invoice())
    assert echo not in str(caught.value) and "***" in str(caught.value)
    assert caught.value.operation == "send_invoice"
