"""Driver policy, the same for every provider: limits, retries, ambiguity, redaction."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.capabilities import Capabilities
from accounting_connectors.client import DEFAULT_TIMEOUT, AsyncClient, Client
from accounting_connectors.errors import AccountingError
from accounting_connectors.flow import Call, Flow, Sleep
from accounting_connectors.provider import Provider, json_request, read_json
from accounting_connectors.ratelimit import RateLimit, credential_fingerprint
from accounting_connectors.testing.clock import FakeClock

SECRET = "tok-3f9a1c0b7e"
URL = "https://api.example.test/"


class Echo(Provider):
    """A minimal provider for exercising the drivers."""

    name: ClassVar[str] = "echo"
    capabilities: ClassVar[Capabilities] = Capabilities("echo")
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(5, 1.0),)

    def __init__(self, token: str = SECRET, deduplicated: bool = False) -> None:
        self.token = token
        self.deduplicated = deduplicated

    def credential_fingerprint(self) -> str:
        return credential_fingerprint(self.token)

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        body = read_json(response) or {}
        message = str(body.get("error", f"HTTP {response.status_code}"))
        if response.status_code == 429:
            return ac.RateLimited(message, retry_at=now + float(response.headers.get("Retry-After", "0")))
        if response.status_code == 401:
            return ac.AuthenticationError(message)
        if response.status_code == 404:
            return ac.NotFound(message)
        if response.status_code >= 500:
            return ac.ServerError(message)
        if response.status_code >= 400:
            return ac.ProviderValidationError(message)
        return None

    def _request(self, method: str, path: str) -> httpx.Request:
        return json_request(method, URL + path, {"n": 1} if method == "POST" else None, headers={"X-Key": self.token})

    def create(self) -> Flow[Any]:
        response = yield Call(
            self._request("POST", "docs"), operation="create", creates=True, deduplicated=self.deduplicated
        )
        return response.json()

    def read(self) -> Flow[Any]:
        response = yield Call(self._request("GET", "docs"), operation="read")
        return response.json()

    def read_or_default(self) -> Flow[Any]:
        try:
            response = yield Call(self._request("GET", "docs/missing"), operation="read")
        except ac.NotFound:
            return "default"
        return response.json()

    def nap(self, seconds: float) -> Flow[str]:
        yield Sleep(seconds)
        return "rested"


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A scripted transport: answers from a list of outcomes, records when requests arrive."""

    def __init__(self, clock: FakeClock, outcomes: list[Any] | None = None) -> None:
        self.clock = clock
        self.outcomes = list(outcomes or [])
        self.arrivals: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        outcome = self.outcomes.pop(0) if self.outcomes else httpx.Response(200, json={"ok": True})
        if isinstance(outcome, type) and issubclass(outcome, httpx.ConnectError):
            raise outcome("connection refused", request=request)
        self.arrivals.append(self.clock.time())
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, type) and issubclass(outcome, Exception):
            raise outcome("boom", request=request)
        return outcome


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(clock: FakeClock, recorder: Recorder, **options: Any) -> Client:
    provider = options.pop("provider", None) or Echo(token=f"{SECRET}-{id(recorder)}")
    return Client(provider, transport=httpx.MockTransport(recorder), clock=clock, **options)


def test_reads_are_retried_on_server_errors(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"v": 2})])
    client = make_client(clock, recorder)
    assert client.run(client.provider.read()) == {"v": 2}  # type: ignore[attr-defined]
    assert len(recorder.arrivals) == 3
    assert recorder.arrivals[2] - recorder.arrivals[0] >= 1.5  # exponential back-off: 0.5 s, then 1 s


def test_retries_run_out_with_the_provider_error(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.Response(500, json={"error": "down"})] * 10)
    client = make_client(clock, recorder, max_retries=2)
    with pytest.raises(ac.ServerError, match="down") as caught:
        client.run(client.provider.read())  # type: ignore[attr-defined]
    assert len(recorder.arrivals) == 3
    assert caught.value.provider == "echo" and caught.value.operation == "read"
    assert caught.value.status_code == 500


@pytest.mark.parametrize("failure", [httpx.Response(500), httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_a_create_with_an_unknown_outcome_is_never_resent(clock: FakeClock, failure: Any) -> None:
    recorder = Recorder(clock, [failure, httpx.Response(200, json={"id": 2})])
    client = make_client(clock, recorder)
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        client.run(client.provider.create())  # type: ignore[attr-defined]
    assert len(recorder.arrivals) == 1
    assert not caught.value.retry_safe
    assert isinstance(caught.value.__cause__, ac.ServerError | ac.TransportError)


def test_a_natively_deduplicated_create_is_retried(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.ReadTimeout, httpx.Response(200, json={"id": 1})])
    client = make_client(clock, recorder, provider=Echo(token="dedup", deduplicated=True))
    assert client.run(client.provider.create()) == {"id": 1}  # type: ignore[attr-defined]
    assert len(recorder.arrivals) == 2


def test_a_connection_failure_before_sending_is_retried_even_for_creates(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.ConnectError, httpx.Response(200, json={"id": 1})])
    client = make_client(clock, recorder)
    assert client.run(client.provider.create()) == {"id": 1}  # type: ignore[attr-defined]
    assert len(recorder.arrivals) == 1  # the refused attempt never arrived


def test_connection_failures_that_persist_raise_transport_error(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.ConnectError] * 10)
    client = make_client(clock, recorder, max_retries=1)
    with pytest.raises(ac.TransportError) as caught:
        client.run(client.provider.create())  # type: ignore[attr-defined]
    assert caught.value.retry_safe


def test_429_waits_for_retry_after_then_succeeds(clock: FakeClock) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down"})
    recorder = Recorder(clock, [limited, httpx.Response(200, json={"id": 1})])
    client = make_client(clock, recorder)
    assert client.run(client.provider.create()) == {"id": 1}  # type: ignore[attr-defined]
    assert recorder.arrivals[1] - recorder.arrivals[0] >= 7


def test_a_long_block_is_raised_and_holds_the_credential(clock: FakeClock) -> None:
    blocked = httpx.Response(429, headers={"Retry-After": "600"}, json={"error": "blocked"})
    recorder = Recorder(clock, [blocked])
    client = make_client(clock, recorder)
    with pytest.raises(ac.RateLimited) as caught:
        client.run(client.provider.create())  # type: ignore[attr-defined]
    assert caught.value.retry_at == pytest.approx(clock.time() + 600)
    with pytest.raises(ac.RateLimited):
        client.run(client.provider.read())  # type: ignore[attr-defined]
    assert len(recorder.arrivals) == 1  # the second call never left
    clock.advance(601)
    assert client.run(client.provider.read()) == {"ok": True}  # type: ignore[attr-defined]


def test_other_errors_are_thrown_into_the_flow(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.Response(404, json={"error": "no such"})])
    client = make_client(clock, recorder)
    assert client.run(client.provider.read_or_default()) == "default"  # type: ignore[attr-defined]
    recorder.outcomes = [httpx.Response(422, json={"error": "bad field"})]
    with pytest.raises(ac.ProviderValidationError, match="bad field"):
        client.run(client.provider.read())  # type: ignore[attr-defined]


def test_sleep_effects_use_the_clock(clock: FakeClock) -> None:
    client = make_client(clock, Recorder(clock))
    before = clock.time()
    assert client.run(client.provider.nap(42)) == "rested"  # type: ignore[attr-defined]
    assert clock.time() - before == 42


def test_a_burst_never_exceeds_the_declared_limit(clock: FakeClock) -> None:
    recorder = Recorder(clock)
    client = make_client(clock, recorder)
    for _ in range(100):
        client.run(client.provider.read())  # type: ignore[attr-defined]
    arrivals = recorder.arrivals
    for index in range(len(arrivals) - 5):
        assert arrivals[index + 5] - arrivals[index] >= 1.0  # never 6 calls within 1 s
    assert arrivals[-1] - arrivals[0] < 100 / 5 * 1.05  # and close to the ceiling


def test_clients_with_the_same_credentials_share_one_limit(clock: FakeClock) -> None:
    recorder = Recorder(clock)
    first = Client(Echo(token="shared"), transport=httpx.MockTransport(recorder), clock=clock)
    second = Client(Echo(token="shared"), transport=httpx.MockTransport(recorder), clock=clock)
    for _ in range(10):
        first.run(first.provider.read())  # type: ignore[attr-defined]
        second.run(second.provider.read())  # type: ignore[attr-defined]
    arrivals = recorder.arrivals
    assert all(arrivals[i + 5] - arrivals[i] >= 1.0 for i in range(len(arrivals) - 5))


def test_rate_limit_headers_correct_the_local_count(clock: FakeClock) -> None:
    reset_at = clock.time() + 30
    exhausted = httpx.Response(
        200, json={"ok": True}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_at)}
    )
    recorder = Recorder(clock, [exhausted])
    client = make_client(clock, recorder)
    client.run(client.provider.read())  # type: ignore[attr-defined]
    client.run(client.provider.read())  # type: ignore[attr-defined]
    assert recorder.arrivals[1] >= reset_at


def test_secrets_stay_out_of_errors_logs_and_reprs(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    provider = Echo(token=SECRET)
    leaky = httpx.Response(401, json={"error": f"token {SECRET} is not valid"})
    recorder = Recorder(clock, [leaky])
    client = Client(provider, transport=httpx.MockTransport(recorder), clock=clock)
    caplog.set_level(logging.DEBUG, logger="accounting_connectors")
    with pytest.raises(ac.AuthenticationError) as caught:
        client.run(provider.read())
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert "***" in str(caught.value)
    assert caplog.records, "the driver logs each call at DEBUG"
    assert SECRET not in caplog.text
    assert SECRET not in repr(client)


def test_secret_query_parameters_are_masked_in_logs(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    class QueryToken(Echo):
        def read(self) -> Flow[Any]:
            response = yield Call(httpx.Request("GET", URL + "docs?api_token=abc123&page=2"), operation="read")
            return response.json()

    client = Client(QueryToken(token="other"), transport=httpx.MockTransport(Recorder(clock)), clock=clock)
    caplog.set_level(logging.DEBUG, logger="accounting_connectors")
    client.run(client.provider.read())  # type: ignore[attr-defined]
    assert "abc123" not in caplog.text and "api_token=***" in caplog.text


def test_default_timeouts_and_context_manager() -> None:
    assert DEFAULT_TIMEOUT.connect == 5.0 and DEFAULT_TIMEOUT.read == 30.0
    with Client(Echo(token="t")) as client:
        assert client._http.timeout == DEFAULT_TIMEOUT
    assert client._http.is_closed
    custom = Client(Echo(token="t"), timeout=3.0)
    assert custom._http.timeout.read == 3.0
    custom.close()


def test_a_passed_in_http_client_is_left_open() -> None:
    http = httpx.Client()
    with Client(Echo(token="t"), http_client=http):
        pass
    assert not http.is_closed
    http.close()


def test_unsupported_operations_fail_before_any_request(clock: FakeClock) -> None:
    recorder = Recorder(clock)
    client = make_client(clock, recorder)
    with pytest.raises(ac.UnsupportedOperation):
        client.list_series()
    assert recorder.arrivals == []


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_sync_and_async_clients_expose_the_same_operations() -> None:
    sync = public_methods(Client)
    asynchronous = public_methods(AsyncClient)
    # Closing differs by name only, as in httpx.
    sync.pop("close")
    asynchronous.pop("aclose")
    assert sync.keys() == asynchronous.keys()
    # What a connector says about itself does no I/O: plain methods on both.
    info = {"account", "reconcile_hint"}
    for name, signature in sync.items():
        assert signature == asynchronous[name], name
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)) is (name not in info), name


def test_both_clients_satisfy_the_connector_protocols(smartbill_fake) -> None:
    from accounting_connectors.connector import AsyncConnector, Connector

    settings = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}
    with ac.connect("smartbill", settings, transport=smartbill_fake) as sync_client:
        assert isinstance(sync_client, Connector)
        assert sync_client.account() == "12345678"
    async_client = ac.connect_async("smartbill", settings, transport=smartbill_fake)
    assert isinstance(async_client, AsyncConnector)


class AsyncRecorder(Recorder):
    async def handle(self, request: httpx.Request) -> httpx.Response:
        return self(request)


@pytest.mark.anyio
async def test_async_driver_applies_the_same_policy(clock: FakeClock) -> None:
    recorder = AsyncRecorder(
        clock, [httpx.Response(503), httpx.Response(200, json={"v": 1}), httpx.ReadTimeout, httpx.ConnectError]
    )
    async with AsyncClient(Echo(token="async"), transport=httpx.MockTransport(recorder.handle), clock=clock) as client:
        assert await client.run(client.provider.read()) == {"v": 1}  # type: ignore[attr-defined]
        with pytest.raises(ac.AmbiguousOutcome):
            await client.run(client.provider.create())  # type: ignore[attr-defined]
        assert await client.run(client.provider.create()) == {"ok": True}  # type: ignore[attr-defined]
        assert await client.run(client.provider.nap(3)) == "rested"  # type: ignore[attr-defined]
        with pytest.raises(ac.UnsupportedOperation):
            await client.fetch_pdf(ac.SentDocument(provider="echo", kind=ac.DocumentKind.INVOICE, reference="r"))
    assert len(recorder.arrivals) == 4  # 503, 200, the timed-out create, the create after the refused connect


def test_a_deduplicated_create_that_never_answers_is_still_ambiguous(clock: FakeClock) -> None:
    recorder = Recorder(clock, [httpx.ReadTimeout] * 10)
    client = make_client(clock, recorder, provider=Echo(token="dedup-2", deduplicated=True), max_retries=2)
    with pytest.raises(ac.AmbiguousOutcome) as caught:
        client.run(client.provider.create())  # type: ignore[attr-defined]
    assert caught.value.retry_safe  # the provider deduplicates: sending again is safe
    assert len(recorder.arrivals) == 3
