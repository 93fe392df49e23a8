"""A stateful fake of the inFakt API v3, as an httpx transport.

Built from inFakt's documentation as the project's reference records it
(``/work/shared/providers/fakturownia_infakt_fakturowo.md`` §2: the official README,
IF-README, and facts third-party clients verified against the live API, IF-OL), not from
this library's connector::

    fake = InFaktFake(api_key="demo-key")
    with httpx.Client(transport=fake, base_url="https://api.infakt.pl/api/v3/",
                      headers={"X-inFakt-ApiKey": "demo-key"}) as client:
        task = client.post("async/invoices.json", json={"invoice": {...}}).json()
        client.get(f"async/invoices/status/{task['invoice_task_reference_number']}.json")

What it models:

* Hosts ``api.infakt.pl`` and ``api.sandbox-infakt.pl`` under ``/api/v3/``; the key in
  the ``X-inFakt-ApiKey`` header (401 ``{"error": ...}`` otherwise).
* The asynchronous create of invoices and corrective invoices: ``202`` with
  ``invoice_task_reference_number`` and ``processing_code: 100``; the task stays in
  progress for :attr:`InFaktFake.task_polls` polls of its status, then ends with
  ``processing_code: 201`` and ``invoice_uuid`` (the document is stored then) or ``422``
  with ``invoice_errors``. Documents are validated when the task runs (or on the POST
  itself with ``sync_validation=True``, the other possible reading).
* Validation of what IF-README requires: services with ``name`` and a known
  ``tax_symbol``; amounts as **integers** (grosze); a known ``payment_method``
  (``transfer`` only with a bank account); a client (``client_id`` or inline fields);
  ISO dates; for corrections the corrected invoice's uuid, number and date, a reason
  symbol, and before/after pairs per ``group``.
* Numbering ``N/MM/YYYY`` per kind and month of the issue date (the shape of
  ``next_number.json``'s example ``"5/01/2024"``), own numbers with
  ``check_duplicate_number``, ``GET invoices/next_number.json``.
* Reading documents (``GET invoices/{uuid}.json``; corrections only under
  ``corrective_invoices/``, as IF-OL found), PDFs (``pdf.json``, marks a draft
  "printed"), marking paid (``POST async/invoices/{uuid}/paid.json``), ``vat_rates.json``.
* Unknown fields are silently ignored, as inFakt does (IF-OL): tests can inspect
  :attr:`InFaktFake.ignored_fields`.
* The per-IP limits (GET 300, POST/PUT/DELETE 150 per 60 s, sliding window on the
  :class:`~accounting_connectors.testing.clock.FakeClock`): 429 with ``Retry-After``
  (IF-OL honours it; inFakt documents no rate-limit header, UNCERTAIN).
* Faults from :class:`~accounting_connectors.testing.faults.FaultPlan`.

Texts marked ``# text not documented`` are the fake's own Polish; the others are quoted
from the reference.

Not modelled: clients, products and bank-account resources beyond :meth:`add_client`,
KSeF, e-mail, share links, attachments, filters and paging.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeAlias

import attrs
import httpx

from accounting_connectors.testing._legacy_base import LegacyFakeProvider as FakeProvider
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault, normalize_path, read_timeout
from accounting_connectors.testing.pdf import make_pdf

__all__ = [
    "DEFAULT_VAT_RATES",
    "HOSTS",
    "PAYMENT_METHODS",
    "InFaktFake",
    "StoredInvoice",
]

HOSTS = ("api.infakt.pl", "api.sandbox-infakt.pl")
"""Production and sandbox hosts (IF-README)."""

_BASE_PATH = "/api/v3/"

PAYMENT_METHODS = (
    "transfer",
    "cash",
    "card",
    "barter",
    "check",
    "bill_of_sale",
    "delivery",
    "compensation",
    "accredited",
    "paypal",
    "instalment_sale",
    "payu",
    "tpay",
    "przelewy24",
    "dotpay",
    "other",
)
"""``payment_method`` values (IF-README "Metody płatności")."""

DEFAULT_VAT_RATES: tuple[tuple[str, str, Decimal], ...] = (
    ("23%", "23", Decimal("0.23")),
    ("8%", "8", Decimal("0.08")),
    ("5%", "5", Decimal("0.05")),
    ("0%", "0", Decimal("0")),
    ("zw", "zw", Decimal("0")),
    ("np", "np", Decimal("0")),
)
"""``(name, symbol, rate as a fraction)`` of a new account (IF-README's example symbols)."""

_CORRECTION_REASONS = ("mistake", "other")
_REASON_NAMES = {"mistake": "Pomyłka", "other": "Inne: np. zwrot, rabat"}  # "other": IF-OL live
_PDF_TYPES = (
    "original_copy",
    "original",
    "copy",
    "original_duplicate",
    "copy_duplicate",
    "duplicate",
    "regular",
    "double_regular",
)
_PDF_LOCALES = ("pl", "en", "pe")
_NEXT_NUMBER_KINDS = ("vat", "proforma", "advance", "final", "margin")
_MONEY_FIELDS = ("unit_net_price", "net_price", "gross_price", "unit_net_price_before_discount")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CENT = Decimal("0.01")

# Fields IF-README (and IF-OL/IF-NPM/IF-GO for the marked ones) define on an invoice write.
_INVOICE_FIELDS = frozenset(
    """
    client_id client_company_name client_tax_code client_country client_street client_street_number
    client_city client_post_code client_business_activity_kind client_first_name client_last_name
    client_flat_number number kind currency status check_duplicate_number receipt_number notes
    recipient_signature seller_signature invoice_date sale_date payment_date paid_date
    invoice_date_kind continuous_service_start_on continuous_service_end_on vat_date_value
    payment_method bank_name bank_account swift split_payment split_payment_type sale_type
    sales_kind building_service occasional_sale vat_exemption_reason bdo_code
    document_markings_ids third_party_addresses transaction_terms vat_exchange_date_kind
    local_government_recipient_address local_government_seller_address services
    """.split()
)
_CORRECTION_FIELDS = _INVOICE_FIELDS | frozenset(
    """
    corrected_invoice_number corrected_invoice_date corrected_invoice_uuid correction_reason
    check_correction_obligation confirmation confirmation_date sale_date_before_correction
    continuous_service_start_on_before_correction continuous_service_end_on_before_correction
    """.split()
)
_SERVICE_FIELDS = frozenset(
    """
    name tax_symbol unit quantity unit_net_price net_price gross_price discount
    unit_net_price_before_discount pkwiu cn pkob gtin gtu_id flat_rate_tax_symbol
    """.split()
)
_CORRECTION_SERVICE_FIELDS = _SERVICE_FIELDS | {"group", "correction"}

# Texts quoted by the reference (IF-KSEF, IF-OL); others are marked.
_ERR_NOT_FOUND = "Zasób którego szukasz nie został znaleziony."
_ERR_AUTH = "Brak autoryzacji. Podaj prawidłowy klucz API."  # text not documented
_ERR_RATE = "Przekroczono limit zapytań."  # text not documented
_ERR_SERVER = "Wystąpił błąd serwera."  # text not documented
_ERR_BAD_JSON = "Nieprawidłowy format danych."  # text not documented
_ERR_CORRECTIVE_500 = "Internal Server Error"  # IF-OL: the bare corrective_invoices.json answers 500
_TASK_ACCEPTED = "Zlecenie przyjęte"
_TASK_PROCESSING = "Zlecenie w trakcie przetwarzania"  # text not documented
_TASK_CREATED = "Faktura stworzona"
_TASK_FAILED = "Nie udało się stworzyć faktury"
_REQUIRED = "nie może być puste"  # text not documented ("can't be blank")


@attrs.frozen
class StoredInvoice:
    """A snapshot of a document the fake holds.

    Attributes:
        uuid: inFakt's document id used in URLs.
        id: the integer id.
        kind: ``"vat"`` or ``"correction"``.
        number: the number, e.g. ``"1/01/2026"``.
        status: ``draft``, ``printed``, ``sent`` or ``paid``.
        invoice_date: ``YYYY-MM-DD``.
        currency: the document's currency.
        payment_method: inFakt's payment method.
        net_price, tax_price, gross_price: totals in grosze (per VAT rate, Polish rule).
        paid_date: when it was marked paid.
        corrects: the uuid of the invoice a correction corrects.
        body: the object received (inside the ``invoice``/``corrective_invoice`` wrapper).
    """

    uuid: str
    id: int
    kind: str
    number: str
    status: str
    invoice_date: str
    currency: str
    payment_method: str
    net_price: int
    tax_price: int
    gross_price: int
    paid_date: str | None = None
    corrects: str | None = None
    body: dict[str, Any] = attrs.field(factory=dict, eq=False, hash=False, repr=False)


class _ApiError(Exception):
    def __init__(self, status: int, message: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors or {})


class _Invalid(Exception):
    """Document validation failed: ``errors`` maps field paths to messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("invalid")
        self.errors = dict(errors)


@attrs.define
class _Doc:
    uuid: str
    id: int
    kind: str
    number: str
    status: str
    fields: dict[str, Any]
    services: list[dict[str, Any]]
    net: int
    tax: int
    gross: int
    client_id: int | None
    paid_date: str | None = None
    corrects: str | None = None
    created_at: str = ""


@attrs.define
class _Task:
    reference: str
    kind: str  # "vat" or "correction"
    body: dict[str, Any]
    created_at: str
    polls_left: int | None
    fail_with: dict[str, list[str]] | None = None
    uuid: str | None = None
    errors: dict[str, list[str]] | None = None
    done: bool = False


@attrs.frozen
class _Reply:
    status: int
    payload: Any = None
    pdf: bytes | None = None


_Handler: TypeAlias = Callable[[httpx.Request, list[str]], _Reply]


class InFaktFake(FakeProvider):
    """inFakt API v3, in memory, as an httpx transport (sync and async, thread-safe).

    Configuration attributes (mutable between requests):
        task_polls: how many status polls a new task answers "in progress" before it
            finishes (``0``: the first poll finishes it; ``None``: it never finishes).
        sync_validation: validate documents on the POST itself (HTTP 422 with
            ``{"error", "errors"}``) instead of in the task (UNCERTAIN which inFakt does).
        bank_account: the account has a verified bank account (``transfer`` needs one).
        vat_rates: ``(name, symbol, fraction)`` the account offers.
        read_limit, write_limit, rate_window: the per-IP limits.
        faults: the :class:`~accounting_connectors.testing.faults.FaultPlan`; paths are
            relative to ``/api/v3/``, e.g. ``"async/invoices.json"``.
    """

    origin = f"https://{HOSTS[0]}"
    """Scheme and host of the real service, for :func:`~accounting_connectors.testing.serve`."""

    def __init__(
        self,
        api_key: str = "demo-key",
        clock: FakeClock | None = None,
        *,
        task_polls: int | None = 1,
        sync_validation: bool = False,
        bank_account: bool = True,
        read_limit: int = 300,
        write_limit: int = 150,
        rate_window: float = 60.0,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.clock = clock if clock is not None else FakeClock()
        self.task_polls = task_polls
        self.sync_validation = sync_validation
        self.bank_account = bank_account
        self.vat_rates: list[tuple[str, str, Decimal]] = list(DEFAULT_VAT_RATES)
        self.read_limit = read_limit
        self.write_limit = write_limit
        self.rate_window = rate_window
        self.rate_limited = 0
        """How many requests were answered 429."""
        self.ignored_fields: list[str] = []
        """Paths of fields received that inFakt does not define (it ignores them silently)."""

        self._docs: dict[str, _Doc] = {}
        self._tasks: dict[str, _Task] = {}
        self._clients: dict[int, dict[str, Any]] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._task_failures: list[dict[str, list[str]]] = []
        self._calls: dict[bool, collections.deque[int]] = {True: collections.deque(), False: collections.deque()}
        self._next_id = 1000
        self._routes: list[tuple[str, re.Pattern[str], _Handler]] = [
            ("POST", re.compile(r"async/invoices\.json"), self._post_async_invoice),
            ("GET", re.compile(r"async/invoices/status/([^/]+)\.json"), self._get_task),
            ("POST", re.compile(r"async/corrective_invoices\.json"), self._post_async_correction),
            ("GET", re.compile(r"async/corrective_invoices/status/([^/]+)\.json"), self._get_task),
            ("POST", re.compile(r"async/invoices/([^/]+)/paid\.json"), self._post_paid),
            ("GET", re.compile(r"invoices/next_number\.json"), self._get_next_number),
            ("GET", re.compile(r"invoices/([^/]+)/pdf\.json"), self._get_invoice_pdf),
            ("GET", re.compile(r"invoices/([^/]+)\.json"), self._get_invoice),
            ("POST", re.compile(r"invoices\.json"), self._post_sync_invoice),
            ("GET", re.compile(r"corrective_invoices/([^/]+)/pdf\.json"), self._get_correction_pdf),
            ("GET", re.compile(r"corrective_invoices/([^/]+)\.json"), self._get_correction),
            ("POST", re.compile(r"corrective_invoices\.json"), self._post_bare_correction),
            ("POST", re.compile(r"clients\.json"), self._post_client),
            ("GET", re.compile(r"vat_rates\.json"), self._get_vat_rates),
        ]

    # ------------------------------------------------------------------ configuration
    def add_client(self, **fields: Any) -> int:
        """Store a client record (``company_name``, ``nip``, ``country``, ...); its integer id."""
        with self._lock:
            client_id = self._allocate_id()
            self._clients[client_id] = dict(fields)
            return client_id

    def fail_next_task(self, errors: Mapping[str, list[str]] | None = None) -> None:
        """Make the next task that finishes fail with ``errors`` (``processing_code`` 422)."""
        with self._lock:
            self._task_failures.append(dict(errors or {"invoice": ["nie udało się przetworzyć"]}))

    def inject(
        self, fault: Fault, path: str | None = None, times: int | None = 1, *, method: str | None = None
    ) -> None:
        """Make the next ``times`` requests for ``path`` (relative to ``/api/v3/``) fail with ``fault``.

        ``TIMEOUT_AFTER_COMMIT`` on a create accepts the task (the document will be
        created) and then times out; ``TIMEOUT_BEFORE_COMMIT`` and ``SERVER_ERROR`` store
        nothing; ``CONNECTION_RESET`` never reaches the fake (not counted against the
        limits); ``ERROR_TEXT_200`` answers 200 with an ``error`` body and stores nothing.
        """
        self.faults.add(fault, path, times=times, method=method)

    # ------------------------------------------------------------------ inspection
    @property
    def invoices(self) -> list[StoredInvoice]:
        """VAT invoices, in creation order."""
        with self._lock:
            return [self._snapshot(doc) for doc in self._docs.values() if doc.kind == "vat"]

    @property
    def corrections(self) -> list[StoredInvoice]:
        """Corrective invoices, in creation order."""
        with self._lock:
            return [self._snapshot(doc) for doc in self._docs.values() if doc.kind == "correction"]

    def find(self, uuid: str) -> StoredInvoice | None:
        """The document with this uuid, if stored."""
        with self._lock:
            doc = self._docs.get(uuid)
            return None if doc is None else self._snapshot(doc)

    @property
    def pending_tasks(self) -> list[str]:
        """References of tasks that have not finished."""
        with self._lock:
            return [task.reference for task in self._tasks.values() if not task.done]

    # ------------------------------------------------------------------ transport API

    # ------------------------------------------------------------------ core
    def _handle(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" or url.host not in HOSTS:
            raise httpx.ConnectError(
                f"the inFakt fake only serves https://{'|'.join(HOSTS)}{_BASE_PATH}", request=request
            )
        rel = normalize_path(url.path[len(_BASE_PATH) :]) if url.path.startswith(_BASE_PATH) else url.path
        method = request.method.upper()
        with self._lock:
            fault = self._arrive(request, rel, method)
            retry_after = self._count(method)
            if fault is Fault.TIMEOUT_BEFORE_COMMIT:
                raise read_timeout(request)
            if fault is Fault.SERVER_ERROR:
                return self._respond(_Reply(500, {"error": _ERR_SERVER}))
            if fault is Fault.ERROR_TEXT_200:
                return self._respond(_Reply(200, {"error": _ERR_SERVER}))
            if retry_after is not None:
                self.rate_limited += 1
                response = self._respond(_Reply(429, {"error": _ERR_RATE}))
                response.headers["Retry-After"] = str(retry_after)
                return response
            reply = self._route(request, rel, method)
            response = self._respond(reply)
            if fault is Fault.TIMEOUT_AFTER_COMMIT:
                raise read_timeout(request)
            return response

    def _count(self, method: str) -> int | None:
        """Count the call in its window; the whole seconds to wait when over the limit.

        A sliding window in integer milliseconds: a call is refused when ``limit`` calls
        were accepted in (now - window, now]; refused calls are not counted.
        """
        writes = method not in ("GET", "HEAD", "OPTIONS")
        limit = self.write_limit if writes else self.read_limit
        now = round(self.clock.time() * 1000)
        window = round(self.rate_window * 1000)
        calls = self._calls[writes]
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return max(1, -(-(calls[0] + window - now) // 1000))
        calls.append(now)
        return None

    def _route(self, request: httpx.Request, rel: str, method: str) -> _Reply:
        try:
            self._authenticate(request)
            for route_method, pattern, handler in self._routes:
                match = pattern.fullmatch(rel)
                if match and route_method == method:
                    return handler(request, list(match.groups()))
            raise _ApiError(404, _ERR_NOT_FOUND)
        except _ApiError as error:
            payload: dict[str, Any] = {"error": error.message}
            if error.errors:
                # UNCERTAIN (IF-GO): a field map under "errors" on 422.
                payload["errors"] = error.errors
            return _Reply(error.status, payload)

    def _respond(self, reply: _Reply) -> httpx.Response:
        if reply.pdf is not None:
            return httpx.Response(reply.status, headers={"Content-Type": "application/pdf"}, content=reply.pdf)
        if reply.payload is None:
            return httpx.Response(reply.status)
        content = _encode(reply.payload).encode()
        return httpx.Response(
            reply.status, headers={"Content-Type": "application/json; charset=utf-8"}, content=content
        )

    def _authenticate(self, request: httpx.Request) -> None:
        if request.headers.get("X-inFakt-ApiKey") != self.api_key:
            raise _ApiError(401, _ERR_AUTH)

    @staticmethod
    def _json(request: httpx.Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise _ApiError(406, _ERR_BAD_JSON)
        try:
            body = json.loads(request.content.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            raise _ApiError(400, _ERR_BAD_JSON) from None
        if not isinstance(body, dict):
            raise _ApiError(400, _ERR_BAD_JSON)
        return body

    # ------------------------------------------------------------------ creates
    def _accept(self, request: httpx.Request, kind: str, wrapper: str) -> _Reply:
        body = self._json(request)
        document = body.get(wrapper)
        if not isinstance(document, dict):
            raise _ApiError(422, f"{wrapper} {_REQUIRED}", {wrapper: [_REQUIRED]})
        self._note_ignored(body, {wrapper}, "")
        if self.sync_validation:
            try:
                self._validate(kind, document)
            except _Invalid as invalid:
                raise _ApiError(422, _TASK_FAILED, invalid.errors) from None
        now = self._timestamp()
        task = _Task(
            reference=str(uuid_module.uuid4()),
            kind=kind,
            body=document,
            created_at=now,
            polls_left=self.task_polls,
        )
        self._tasks[task.reference] = task
        return _Reply(202, self._envelope(task, 100, _TASK_ACCEPTED))

    def _post_async_invoice(self, request: httpx.Request, groups: list[str]) -> _Reply:
        return self._accept(request, "vat", "invoice")

    def _post_async_correction(self, request: httpx.Request, groups: list[str]) -> _Reply:
        return self._accept(request, "correction", "corrective_invoice")

    def _post_sync_invoice(self, request: httpx.Request, groups: list[str]) -> _Reply:
        # IF-OL used it live (201, draft); UNCERTAIN whether still supported. Its trap: any
        # `kind` (e.g. "corrective") is ignored and a plain VAT invoice is created.
        body = self._json(request)
        document = body.get("invoice")
        if not isinstance(document, dict):
            raise _ApiError(422, f"invoice {_REQUIRED}", {"invoice": [_REQUIRED]})
        try:
            doc = self._store("vat", document)
        except _Invalid as invalid:
            raise _ApiError(422, _TASK_FAILED, invalid.errors) from None
        return _Reply(201, self._document_json(doc))

    def _post_client(self, request: httpx.Request, groups: list[str]) -> _Reply:
        """``POST clients.json`` (IF-README "Definicja klienta"): a stored client and its id."""
        body = self._json(request)
        client = body.get("client")
        if not isinstance(client, dict):
            raise _ApiError(422, f"client {_REQUIRED}", {"client": [_REQUIRED]})
        errors: dict[str, list[str]] = {}
        country = client.get("country")
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            errors["country"] = [_REQUIRED]  # "country (Alpha-2, required)"
        # IF-OL (live): a record named with `name` instead of `company_name` (or a person's
        # names) 422s; inFakt keeps no duplicates check by NIP.
        if not any(client.get(key) for key in ("company_name", "last_name", "first_name")):
            errors["company_name"] = [_REQUIRED]
        if errors:
            raise _ApiError(422, _TASK_FAILED, errors)
        client_id = self._allocate_id()
        self._clients[client_id] = dict(client)
        return _Reply(201, {"id": client_id, "uuid": str(uuid_module.uuid4()), **client})

    def _post_bare_correction(self, request: httpx.Request, groups: list[str]) -> _Reply:
        # IF-OL #1763/#1899: the bare (non-async) route answered 500 on every payload.
        return _Reply(500, {"error": _ERR_CORRECTIVE_500})

    def _get_task(self, request: httpx.Request, groups: list[str]) -> _Reply:
        task = self._tasks.get(groups[0])
        correction_route = request.url.path.endswith(f"corrective_invoices/status/{groups[0]}.json")
        if task is None or (task.kind == "correction") != correction_route:
            raise _ApiError(404, _ERR_NOT_FOUND)
        if not task.done:
            if task.polls_left is None or task.polls_left > 0:
                if task.polls_left is not None:
                    task.polls_left -= 1
                return _Reply(200, self._envelope(task, 120, _TASK_PROCESSING))
            self._finish(task)
        if task.errors is not None:
            envelope = self._envelope(task, 422, _TASK_FAILED)
            envelope["invoice_errors"] = task.errors  # UNCERTAIN shape (IF-PHP2 reads it)
            return _Reply(200, envelope)
        envelope = self._envelope(task, 201, _TASK_CREATED)
        envelope.update({"action": "create_invoice", "invoice_kind": task.kind, "invoice_uuid": task.uuid})
        return _Reply(200, envelope)

    def _finish(self, task: _Task) -> None:
        task.done = True
        if self._task_failures:
            task.errors = self._task_failures.pop(0)
            return
        try:
            task.uuid = self._store(task.kind, task.body).uuid
        except _Invalid as invalid:
            task.errors = invalid.errors

    @staticmethod
    def _envelope(task: _Task, code: int, description: str) -> dict[str, Any]:
        return {
            "invoice_task_reference_number": task.reference,
            "processing_code": code,
            "processing_description": description,
            "timestamps": {"task_created_at": task.created_at},
        }

    # ------------------------------------------------------------------ validation and storage
    def _validate(
        self, kind: str, document: Mapping[str, Any]
    ) -> tuple[list[tuple[dict[str, Any], Decimal]], int | None]:
        """Check a document; its services with their VAT fractions, and the client id."""
        errors: dict[str, list[str]] = {}

        def fail(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for key in ("invoice_date", "sale_date", "payment_date", "paid_date", "corrected_invoice_date"):
            value = document.get(key)
            if value is not None and not _is_date(value):
                fail(key, "nieprawidłowy format daty (RRRR-MM-DD)")  # text not documented
        currency = document.get("currency", "PLN")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            fail("currency", "nieznana waluta")  # text not documented
        method = document.get("payment_method")
        if method is not None and method not in PAYMENT_METHODS:
            fail("payment_method", "nieznana metoda płatności")  # text not documented
        if method == "transfer" and not self.bank_account:
            fail(
                "payment_method", "brak zdefiniowanego rachunku bankowego"
            )  # IF-OL: transfer 422s; text not documented
        client_id = document.get("client_id")
        if client_id is not None:
            if isinstance(client_id, bool) or not isinstance(client_id, int) or client_id not in self._clients:
                fail("client_id", "klient nie istnieje")  # text not documented
        elif kind == "correction" or not any(
            document.get(key) for key in ("client_company_name", "client_last_name", "client_first_name")
        ):
            # IF-OL (live): a corrective invoice needs a stored client whatever inline fields it has.
            fail("client_id", "client_id required")  # IF-OL's live message
        country = document.get("client_country")
        if country is not None and (not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country)):
            fail("client_country", "nieprawidłowy kod kraju")  # text not documented
        if document.get("number") is not None and not isinstance(document.get("number"), str):
            fail("number", "musi być tekstem")  # text not documented
        if (
            kind == "vat"
            and document.get("check_duplicate_number") is True
            and isinstance(document.get("number"), str)
            and any(doc.number == document["number"] and doc.kind == "vat" for doc in self._docs.values())
        ):
            fail("number", "jest już zajęty")  # UNCERTAIN shape; text not documented
        services = document.get("services")
        checked: list[tuple[dict[str, Any], Decimal]] = []
        if not isinstance(services, list) or not services:
            fail("services", _REQUIRED)
        else:
            for index, service in enumerate(services):
                rate = self._validate_service(kind, index, service, fail)
                if rate is not None and isinstance(service, dict):
                    checked.append((service, rate))
        if kind == "correction":
            self._validate_correction(document, services if isinstance(services, list) else [], fail)
        if errors:
            raise _Invalid(errors)
        return checked, client_id if isinstance(client_id, int) else None

    def _validate_service(
        self, kind: str, index: int, service: Any, fail: Callable[[str, str], None]
    ) -> Decimal | None:
        path = f"services[{index}]"
        if not isinstance(service, dict):
            fail(path, "musi być obiektem")  # text not documented
            return None
        allowed = _CORRECTION_SERVICE_FIELDS if kind == "correction" else _SERVICE_FIELDS
        self._note_ignored(service, allowed, path + ".")
        if not isinstance(service.get("name"), str) or not service["name"].strip():
            fail(f"{path}.name", _REQUIRED)
        symbol = service.get("tax_symbol")
        rate = next((fraction for _, known, fraction in self.vat_rates if known == symbol), None)
        if rate is None:
            # IF-OL: an empty tax_symbol cascades into these errors.
            fail(f"{path}.tax_symbol", _REQUIRED if not symbol else "nieznana stawka VAT")  # text not documented
            fail("services.gross", "nie może być puste")
        quantity = service.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal) or quantity < 0:
            fail(f"{path}.quantity", "musi być liczbą nieujemną")  # text not documented
        priced = False
        for key in _MONEY_FIELDS:
            if key in service:
                value = service[key]
                # Integer grosze (IF-README). The live API accepted decimal strings and booked
                # them 100x too low (IF-OL); the fake refuses them so the mistake is caught.
                if isinstance(value, bool) or not isinstance(value, int):
                    fail(f"{path}.{key}", "kwota musi być liczbą całkowitą w groszach")  # text not documented
                elif value < 0:
                    fail(f"{path}.{key}", "nie może być ujemna")  # text not documented
                else:
                    priced = True
        if not priced:
            fail(f"{path}.unit_net_price", _REQUIRED)
        discount = service.get("discount")
        if discount is not None and (
            isinstance(discount, bool) or not isinstance(discount, int) or not 0 <= discount <= 100
        ):
            fail(f"{path}.discount", "musi być liczbą całkowitą 0-100")  # text not documented
        return rate

    def _validate_correction(
        self, document: Mapping[str, Any], services: list[Any], fail: Callable[[str, str], None]
    ) -> None:
        original = self._docs.get(str(document.get("corrected_invoice_uuid") or ""))
        if original is None or original.kind != "vat":
            fail("corrected_invoice_uuid", "faktura korygowana nie istnieje")  # text not documented
        else:
            if document.get("corrected_invoice_number") != original.number:
                fail("corrected_invoice_number", "nie zgadza się z fakturą korygowaną")  # text not documented
            if document.get("corrected_invoice_date") != original.fields.get("invoice_date"):
                fail("corrected_invoice_date", "nie zgadza się z fakturą korygowaną")  # text not documented
            issued = document.get("invoice_date")
            if _is_date(issued) and str(issued) < str(original.fields.get("invoice_date")):
                fail("invoice_date", "nie może być wcześniejsza niż data faktury korygowanej")  # text not documented
        if document.get("correction_reason") not in _CORRECTION_REASONS:
            fail("correction_reason", "nieznany powód korekty")  # UNCERTAIN list; text not documented
        groups: dict[str, list[bool]] = {}
        for index, service in enumerate(services):
            if not isinstance(service, dict):
                continue
            group, flag = service.get("group"), service.get("correction")
            if group is None or not isinstance(flag, bool):
                fail(f"services[{index}].group", _REQUIRED)
                continue
            groups.setdefault(str(group), []).append(flag)
        for group, flags in groups.items():
            if sorted(flags) != [False, True]:
                # Each group: one row as before (false) and one as after (true).
                fail("services", f"grupa {group} musi mieć pozycję przed i po korekcie")  # text not documented

    def _store(self, kind: str, document: dict[str, Any]) -> _Doc:
        services, client_id = self._validate(kind, document)
        self._note_ignored(document, _CORRECTION_FIELDS if kind == "correction" else _INVOICE_FIELDS, "")
        issue = str(document.get("invoice_date") or self._today())
        counted = services if kind == "vat" else [(s, r) for s, r in services if s.get("correction") is True]
        before = [(s, r) for s, r in services if s.get("correction") is False] if kind == "correction" else []
        net, tax, gross, priced = _totals(counted)
        if kind == "correction":
            old_net, old_tax, old_gross, _ = _totals(before)
            net, tax, gross = net - old_net, tax - old_tax, gross - old_gross
        own = document.get("number")
        number = own if isinstance(own, str) and own else self._next_number(kind, issue, advance=True)
        doc = _Doc(
            uuid=str(uuid_module.uuid4()),
            id=self._allocate_id(),
            kind=kind,
            number=number,
            status="draft",  # IF-README: always created as a draft
            fields=dict(document),
            services=priced,
            net=net,
            tax=tax,
            gross=gross,
            client_id=client_id,
            corrects=str(document.get("corrected_invoice_uuid")) if kind == "correction" else None,
            created_at=self._timestamp(),
        )
        self._docs[doc.uuid] = doc
        return doc

    def _next_number(self, kind: str, issue: str, *, advance: bool) -> str:
        key = (kind, issue[:7])
        value = self._counters.get(key, 0) + 1
        if advance:
            self._counters[key] = value
        year, month = issue[:4], issue[5:7]
        # UNCERTAIN: how inFakt numbers corrections; a separate "KOR" sequence is assumed.
        prefix = "KOR/" if kind == "correction" else ""
        return f"{prefix}{value}/{month}/{year}"

    # ------------------------------------------------------------------ reads and actions
    def _doc(self, uuid: str, kind: str) -> _Doc:
        doc = self._docs.get(uuid)
        if doc is None or doc.kind != kind:
            # IF-OL: corrective documents 404 under /invoices/.
            raise _ApiError(404, _ERR_NOT_FOUND)
        return doc

    def _get_invoice(self, request: httpx.Request, groups: list[str]) -> _Reply:
        return _Reply(200, self._document_json(self._doc(groups[0], "vat")))

    def _get_correction(self, request: httpx.Request, groups: list[str]) -> _Reply:
        return _Reply(200, self._document_json(self._doc(groups[0], "correction")))

    def _pdf(self, request: httpx.Request, doc: _Doc) -> _Reply:
        document_type = request.url.params.get("document_type")
        if document_type not in _PDF_TYPES:
            raise _ApiError(400, "document_type jest wymagany", {"document_type": [_REQUIRED]})  # text not documented
        locale = request.url.params.get("locale", "pl")
        if locale not in _PDF_LOCALES:
            raise _ApiError(400, "nieznany locale", {"locale": ["nieznany"]})  # text not documented
        if doc.status == "draft":
            doc.status = "printed"  # IF-README: downloading the PDF marks the invoice printed
        title = "Faktura korygujaca" if doc.kind == "correction" else "Faktura VAT"
        currency = doc.fields.get("currency", "PLN")
        text = f"{title} {doc.number}\n{document_type} ({locale})\nDo zaplaty: {_money(doc.gross)} {currency}"
        return _Reply(200, pdf=make_pdf(text))

    def _get_invoice_pdf(self, request: httpx.Request, groups: list[str]) -> _Reply:
        return self._pdf(request, self._doc(groups[0], "vat"))

    def _get_correction_pdf(self, request: httpx.Request, groups: list[str]) -> _Reply:
        return self._pdf(request, self._doc(groups[0], "correction"))

    def _post_paid(self, request: httpx.Request, groups: list[str]) -> _Reply:
        doc = self._doc(groups[0], "vat")
        body = self._json(request) if request.content else {}
        # UNCERTAIN which form is canonical: wrapped (IF-OL, live) or top level (IF-PHP1).
        wrapped = body.get("invoice")
        fields = wrapped if isinstance(wrapped, dict) else body
        paid_date = fields.get("paid_date", self._today())
        if not _is_date(paid_date):
            raise _ApiError(
                422, "nieprawidłowa data zapłaty", {"paid_date": ["nieprawidłowy format daty"]}
            )  # text not documented
        if str(paid_date) < str(doc.fields.get("invoice_date")):
            raise _ApiError(
                422,
                "data zapłaty nie może być wcześniejsza niż data wystawienia",  # text not documented
                {"paid_date": ["nie może być wcześniejsza niż data wystawienia"]},
            )
        # Marking an already-paid invoice again is safe (IF-OL, live).
        doc.status, doc.paid_date = "paid", str(paid_date)
        task = _Task(
            reference=str(uuid_module.uuid4()),
            kind="paid",
            body=fields,
            created_at=self._timestamp(),
            polls_left=0,
            done=True,
        )
        # "201 means the order was accepted, not that it is paid" (IF-README); it is applied at once here.
        return _Reply(201, self._envelope(task, 100, _TASK_ACCEPTED))

    def _get_next_number(self, request: httpx.Request, groups: list[str]) -> _Reply:
        kind = request.url.params.get("kind", "vat")
        if kind not in _NEXT_NUMBER_KINDS:
            raise _ApiError(422, "nieznany rodzaj faktury", {"kind": ["nieznany"]})  # text not documented
        date = request.url.params.get("date", self._today())
        if not _is_date(date):
            raise _ApiError(422, "nieprawidłowa data", {"date": ["nieprawidłowy format daty"]})  # text not documented
        return _Reply(
            200,
            {"invoice_date": date, "invoice_kind": kind, "next_number": self._next_number(kind, date, advance=False)},
        )

    def _get_vat_rates(self, request: httpx.Request, groups: list[str]) -> _Reply:
        entities = [
            {"id": index, "name": name, "rate": rate, "symbol": symbol}
            for index, (name, symbol, rate) in enumerate(self.vat_rates, start=1)
        ]
        count = len(entities)
        return _Reply(
            200,
            {"metainfo": {"count": count, "total_count": count, "next": None, "previous": None}, "entities": entities},
        )

    # ------------------------------------------------------------------ helpers
    def _document_json(self, doc: _Doc) -> dict[str, Any]:
        fields = {key: value for key, value in doc.fields.items() if key in _CORRECTION_FIELDS and key != "services"}
        body: dict[str, Any] = {
            **fields,
            "id": doc.id,
            "uuid": doc.uuid,
            "number": doc.number,
            "kind": doc.kind,
            "status": doc.status,
            "currency": doc.fields.get("currency", "PLN"),  # the account's currency when omitted
            "client_id": doc.client_id,
            "paid_date": doc.paid_date,
            "net_price": doc.net,
            "tax_price": doc.tax,
            "gross_price": doc.gross,
            "paid_price": doc.gross if doc.status == "paid" else 0,
            "left_to_pay": 0 if doc.status == "paid" else doc.gross,
            "services": doc.services,
            "created_at": doc.created_at,
        }
        if doc.kind == "correction":
            reason = str(doc.fields.get("correction_reason"))
            body["correction_reason_symbol"] = reason
            body["correction_reason"] = _REASON_NAMES.get(reason, reason)
        return body

    def _snapshot(self, doc: _Doc) -> StoredInvoice:
        return StoredInvoice(
            uuid=doc.uuid,
            id=doc.id,
            kind=doc.kind,
            number=doc.number,
            status=doc.status,
            invoice_date=str(doc.fields.get("invoice_date") or ""),
            currency=str(doc.fields.get("currency", "PLN")),
            payment_method=str(doc.fields.get("payment_method") or ""),
            net_price=doc.net,
            tax_price=doc.tax,
            gross_price=doc.gross,
            paid_date=doc.paid_date,
            corrects=doc.corrects,
            body=dict(doc.fields),
        )

    def _note_ignored(self, fields: Mapping[str, Any], allowed: Iterable[str], prefix: str) -> None:
        known = set(allowed)
        self.ignored_fields.extend(prefix + key for key in fields if key not in known)

    def _allocate_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _today(self) -> str:
        # inFakt is in Poland; UTC+1 (CET) without DST is close enough for a fake.
        return dt.datetime.fromtimestamp(self.clock.time(), tz=dt.timezone(dt.timedelta(hours=1))).date().isoformat()

    def _timestamp(self) -> str:
        moment = dt.datetime.fromtimestamp(self.clock.time(), tz=dt.timezone(dt.timedelta(hours=1)))
        return moment.strftime("%Y-%m-%d %H:%M:%S %z")  # IF-README's "2024-01-15 10:21:25 +0100"

    def __repr__(self) -> str:
        return f"InFaktFake(documents={len(self._docs)}, tasks={len(self._tasks)})"


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _totals(services: list[tuple[dict[str, Any], Decimal]]) -> tuple[int, int, int, list[dict[str, Any]]]:
    """Totals in grosze, VAT computed once per rate on the rate's sum (Polish rule).

    A service priced "from gross" (``gross_price`` without net prices) is summed gross
    and its rate's net derived from that sum; other services are summed net.
    """
    net_by_rate: dict[Decimal, int] = {}
    gross_by_rate: dict[Decimal, int] = {}
    priced: list[dict[str, Any]] = []
    for service, rate in services:
        quantity = Decimal(service.get("quantity", 1))
        from_gross = "gross_price" in service and "unit_net_price" not in service and "net_price" not in service
        if from_gross:
            gross = int(service["gross_price"])
            gross_by_rate[rate] = gross_by_rate.get(rate, 0) + gross
            net = _round(Decimal(gross) / (1 + rate))
        else:
            if "net_price" in service:
                net = int(service["net_price"])
            elif "unit_net_price" in service:
                net = _round(quantity * int(service["unit_net_price"]))
            else:
                unit = Decimal(int(service["unit_net_price_before_discount"]))
                net = _round(quantity * unit * (100 - int(service.get("discount", 0))) / 100)
            net_by_rate[rate] = net_by_rate.get(rate, 0) + net
            gross = net + _round(net * rate)
        priced.append({**service, "net_price": net, "gross_price": gross, "tax_price": gross - net})
    net_total = tax_total = 0
    for rate, net in net_by_rate.items():
        net_total += net
        tax_total += _round(net * rate)
    for rate, gross in gross_by_rate.items():
        net = _round(Decimal(gross) / (1 + rate))
        net_total += net
        tax_total += gross - net
    return net_total, tax_total, net_total + tax_total, priced


def _money(grosze: int) -> str:
    return f"{Decimal(grosze) / 100:.2f}"


def _encode(value: Any) -> str:
    """JSON with Decimals as exact numbers (never through float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
