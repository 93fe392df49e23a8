"""The SmartBill fake: the account and its endpoints on the kit's request pipeline."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

import httpx

from ...clock import Clock
from ..clock import FakeClock
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .queries import QueryRoutes
from .state import BASE_URL, CURRENCIES, DEFAULT_SERIES, DEFAULT_TAXES, Refusal

_HOST = "ws.smartbill.ro"


class SmartBillFake(QueryRoutes):
    """SmartBill Cloud REST API, in memory, as an httpx transport.

    Use as ``httpx.Client(transport=fake)`` or ``httpx.AsyncClient(transport=fake)``;
    one lock serialises all requests, so many threads may share it. The defaults are the
    demo account (:meth:`demo`): user ``demo@example.ro``, token ``demo-token``, company
    ``RO12345678``; :meth:`add_company` adds companies the same user issues for.

    The limit is 30 calls in any 10 s per credential (``rate_limit``, ``rate_window``);
    the 31st blocks the credential for ``block_seconds`` (403). :attr:`penalties` counts
    the blocks imposed, not the calls refused during one. A fault injected with
    :meth:`inject` hits the next matching request whatever else would have happened to
    it: it takes precedence over a 401. Except for ``CONNECTION_RESET``, every request
    (a refused one too) counts against the rate limit.

    Configuration attributes (mutable between requests):
        taxes: ``(name, percentage)`` pairs the account has; a product's
            ``taxName``+``taxPercentage`` must be one of them.
        languages: language codes documents may use (``RO`` and ``EN`` by default).
        currencies: ISO currency codes the server knows.
        vat_payer: the company is a VAT payer (VAT fields required and checked).
        stock_enabled: the stock module is active (else ``useStock`` is rejected).
        warehouses: warehouse names that exist (case-sensitive).
        check_warehouses: reject ``useStock`` lines whose warehouse is not in
            :attr:`warehouses`.
        use_product_codes: the account has "Foloseste cod produs" on (``code`` required).
        foreign_reference_prices: "Am preturi cu moneda de referinta in valuta" is on
            (RON invoices may have lines priced in another currency).

    Documents are :class:`~accounting_connectors.testing.documents.StoredDocument`
    snapshots (kinds ``"invoice"``, ``"storno"``, ``"receipt"``, ``"payment"``) whose
    ``detail`` is a :class:`~accounting_connectors.testing.smartbill.SmartBillDetail`;
    ``find(series="FCT", number="0001")`` finds one.
    """

    provider: ClassVar[str] = "smartbill"
    base_urls: ClassVar[tuple[str, ...]] = (BASE_URL,)
    limits: ClassVar[tuple[FakeLimit, ...]] = (FakeLimit(30, 10.0, penalty_seconds=600),)
    demo_settings: ClassVar[Mapping[str, Any]] = {
        "username": "demo@example.ro",
        "token": "demo-token",
        "company_vat_code": "RO12345678",
    }

    def __init__(
        self,
        *,
        username: str = "demo@example.ro",
        token: str = "demo-token",
        company_vat_code: str = "RO12345678",
        clock: Clock | None = None,
        keep_log: bool = True,
        rate_limit: int = 30,
        rate_window: float = 10.0,
        block_seconds: float = 600.0,
        series: Iterable[tuple[str, str]] = DEFAULT_SERIES,
        vat_payer: bool = True,
        stock_enabled: bool = False,
        warehouses: Iterable[str] = (),
        use_product_codes: bool = False,
    ) -> None:
        limit = FakeLimit(rate_limit, rate_window, penalty_seconds=block_seconds)
        super().__init__(clock=clock if clock is not None else FakeClock(), keep_log=keep_log, limits=(limit,))
        self.username = username
        self.token = token
        self.company_vat_code = company_vat_code
        self.taxes = list(DEFAULT_TAXES)
        self.languages = {"RO", "EN"}
        self.currencies = set(CURRENCIES)
        self.vat_payer = vat_payer
        self.stock_enabled = stock_enabled
        self.warehouses = set(warehouses)
        self.check_warehouses = True
        self.use_product_codes = use_product_codes
        self.foreign_reference_prices = False
        self._blocks = 0
        self._init_state()
        self.add_company(company_vat_code)
        for name, kind in series:
            self.add_series(name, kind)

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> Self:
        """The demo account of :attr:`demo_settings` (series ``FCT``, ``CHT``, ``PRF``)."""
        return cls(**cls.demo_settings, clock=clock)

    @property
    def penalties(self) -> int:
        """How many blocks the fake imposed (one per 31st call, however many calls hit the block)."""
        with self._lock:
            return self._blocks

    # The pipeline's hooks.

    def authenticate(self, request: FakeRequest) -> str | None:
        """The user, for preemptive Basic auth with ``base64(username:token)``; else ``None``.

        The 401 itself is answered when the request is routed, after the rate limit and
        the injected faults, as SmartBill's order of checks is modelled.
        """
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return self.username if scheme.lower() == "basic" and decoded == f"{self.username}:{self.token}" else None

    def limit_key(self, request: FakeRequest) -> str:
        """The credential as sent: wrong credentials have a budget of their own."""
        return str(request.headers.get("authorization", ""))

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """SmartBill's 403 block."""
        limit = verdict.limit or self.active_limits[0]
        self._blocks += verdict.penalised
        minutes = f"{(limit.penalty_seconds or 0) / 60:g}"
        text = texts.ERR_RATE_LIMIT.format(limit=limit.calls, window=f"{limit.per_seconds:g}", block=minutes)
        return Reply.json(texts.error_body(text), 403)

    def limit_headers(self, request: FakeRequest, verdict: LimitVerdict) -> Mapping[str, str]:
        """``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (Unix seconds, rounded up) on every answer."""
        limit = verdict.limit or self.active_limits[0]
        reset = -(-round(verdict.reset_at * 1000) // 1000)
        return {
            "X-RateLimit-Limit": str(limit.calls),
            "X-RateLimit-Remaining": str(verdict.remaining),
            "X-RateLimit-Reset": str(reset),
        }

    def server_error(self, request: FakeRequest) -> Reply:
        """HTTP 500 with SmartBill's error shape."""
        return Reply.json(texts.error_body(texts.ERR_SERVER), 500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """An ``errorText`` under HTTP 200, as SmartBill reports some failures."""
        return Reply.json(texts.error_body(texts.ERR_FAULT_200))

    def not_found(self, request: FakeRequest) -> Reply:
        """SmartBill's 404, naming the full path."""
        return Reply.json(texts.error_body(texts.ERR_NOT_FOUND_PATH.format(path=request.raw.url.path)), 404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """SmartBill's 405, in the endpoint's error shape."""
        text = texts.ERR_METHOD.format(method=request.method, path=request.path)
        return Reply.json(texts.ERROR_SHAPES.get(request.path, texts.error_body)(text), 405)

    def unknown_host(self, request: httpx.Request) -> httpx.Response:
        """Plain HTTP and other hosts do not connect; other paths of SmartBill's host are 404."""
        url = request.url
        if url.scheme != "https" or url.host != _HOST:
            return super().unknown_host(request)
        text = texts.ERR_NOT_FOUND_PATH.format(path=url.path)
        return Reply.json(texts.error_body(text), 404).to_response(request)

    def _dispatch(self, request: FakeRequest) -> Reply:
        # TODO(kit): a public hook between the faults and the routing. SmartBill's 401
        # comes after the rate limit and the faults, and its larger error shapes belong to
        # the endpoint, so both are applied here, around the base's routing.
        if request.principal is None:
            raise Refusal(texts.ERR_AUTH, status=401)
        try:
            return super()._dispatch(request)
        except Refusal as refusal:
            shape = texts.ERROR_SHAPES.get(request.path)
            if shape is None:
                raise
            raise FakeError(Reply.json(shape(refusal.text), refusal.status)) from None
