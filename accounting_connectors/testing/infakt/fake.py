"""The inFakt API v3 fake on the kit's :class:`~accounting_connectors.testing.base.FakeProvider`."""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuid_module
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ...clock import Clock
from ..clock import FakeClock
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .books import (
    CORRECTION_FIELDS,
    COUNTRY,
    DEFAULT_VAT_RATES,
    NEXT_NUMBER_KINDS,
    PDF_LOCALES,
    PDF_TYPES,
    Books,
    Doc,
    Invalid,
    Task,
    check_activity_kind,
    is_date,
    money,
)
from .ksef import KsefRoutes

DEMO_COMPANY_TAX_ID = "1234563218"
"""The NIP the demo settings name as the issuing company (the connector's ``company_tax_id``)."""

_POLAND = dt.timezone(dt.timedelta(hours=1))  # CET without DST: close enough for a fake


def _writes(request: FakeRequest) -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS")


@attrs.frozen(kw_only=True)
class InFaktDetail:
    """What an inFakt :class:`StoredDocument` holds beyond the common fields (its ``detail``).

    Attributes:
        uuid: inFakt's document id used in URLs (also the document's ``id``).
        integer_id: the integer ``id`` of inFakt's answer.
        status: ``draft``, ``printed``, ``sent`` or ``paid``.
        payment_method: inFakt's payment method.
        net_price, tax_price, gross_price: totals in grosze (per VAT rate, Polish rule).
        paid_date: when it was marked paid.
        client_id: the stored client it was issued to, if any.
    """

    uuid: str
    integer_id: int
    status: str
    payment_method: str
    net_price: int
    tax_price: int
    gross_price: int
    paid_date: str | None = None
    client_id: int | None = None


def _refusal(status: int, message: str, errors: Mapping[str, list[str]] | None = None) -> FakeError:
    # IF-KSEF: {"error": ...}; UNCERTAIN (IF-GO): a field map under "errors" on 422.
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = dict(errors)
    return FakeError(Reply.json(body, status))


def _body(request: FakeRequest) -> dict[str, Any]:
    # Integers stay int (grosze must be integers), fractions are Decimal.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise _refusal(406, texts.BAD_JSON)
    try:
        body = json.loads(request.content.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        raise _refusal(400, texts.BAD_JSON) from None
    if not isinstance(body, dict):
        raise _refusal(400, texts.BAD_JSON)
    return body


def _envelope(reference: str, created_at: str, code: int, description: str) -> dict[str, Any]:
    return {
        "invoice_task_reference_number": reference,
        "processing_code": code,
        "processing_description": description,
        "timestamps": {"task_created_at": created_at},
    }


class InFaktFake(KsefRoutes):
    """inFakt API v3, in memory, as an httpx transport (sync and async, thread-safe).

    Configuration attributes (mutable between requests):
        task_polls: how many status polls a new task answers "in progress" before it
            finishes (``0``: the first poll finishes it; ``None``: it never finishes).
        sync_validation: validate documents on the POST itself (HTTP 422 with
            ``{"error", "errors"}``) instead of in the task (UNCERTAIN which inFakt does).
        bank_account: the companies have a verified bank account (``transfer`` needs one).
        paid_reads: a paid mark is only accepted (IF-README: 201 "przyjęcie zlecenia, nie
            opłacenie"); this many reads of the invoice still show it unpaid before the mark
            lands (``0``: at once, as IF-OL saw live; ``None``: it never lands).
        vat_rates: ``(name, symbol, fraction)`` the companies offer.
        ignored_fields: paths of fields received that inFakt does not define (it ignores
            them silently, IF-OL).

    Several companies and keys: :meth:`add_key` gives a company another key (key
    rotation: both keys see the same documents) or opens a new company;
    :meth:`revoke_key` withdraws one. The per-IP limits are shared by all of them.
    """

    provider: ClassVar[str] = "infakt"
    base_urls: ClassVar[tuple[str, ...]] = ("https://api.infakt.pl/api/v3/", "https://api.sandbox-infakt.pl/api/v3/")
    # IF-README "Limity", per IP: POST/PUT/DELETE 150 and GET 300 in 60 s; refused calls do not count.
    limits: ClassVar[tuple[FakeLimit, ...]] = (
        FakeLimit(150, 60.0, applies=_writes, name="writes"),
        FakeLimit(300, 60.0, applies=lambda request: not _writes(request), name="reads"),
    )
    demo_settings: ClassVar[Mapping[str, Any]] = {"api_key": "demo-key", "company_tax_id": DEMO_COMPANY_TAX_ID}

    def __init__(
        self,
        *,
        api_key: str = "demo-key",
        company: str = "demo",
        clock: Clock | None = None,
        keep_log: bool = True,
        task_polls: int | None = 1,
        sync_validation: bool = False,
        bank_account: bool = True,
    ) -> None:
        super().__init__(clock=clock if clock is not None else FakeClock(), keep_log=keep_log)
        self.task_polls = task_polls
        self.sync_validation = sync_validation
        self.bank_account = bank_account
        self.paid_reads: int | None = 0
        self.vat_rates: list[tuple[str, str, Decimal]] = list(DEFAULT_VAT_RATES)
        self.ignored_fields: list[str] = []
        self._stored: list[Doc] = []
        self._companies: dict[str, Books] = {}
        self._keys: dict[str, Books] = {}
        self._task_failures: list[dict[str, list[str]]] = []
        self._next_id = 1000
        self.add_key(api_key, company=company)

    # Configuration and inspection.

    def add_key(self, api_key: str, *, company: str | None = None) -> str:
        """Let ``api_key`` in for ``company`` (a new one unless it exists); the company's name."""
        with self._lock:
            name = company or f"company-{len(self._companies) + 1}"
            books = self._companies.get(name)
            if books is None:
                books = self._companies[name] = Books(name, self)
            self._keys[api_key] = books
            return name

    def revoke_key(self, api_key: str) -> None:
        """Refuse ``api_key`` from now on (HTTP 401); its company's documents stay."""
        with self._lock:
            self._keys.pop(api_key, None)

    def add_client(self, *, company: str | None = None, **fields: Any) -> int:
        """Store a client record (``company_name``, ``nip``, ``country``, ...); its integer id."""
        with self._lock:
            client_id = self.allocate_id()
            self._books(company).clients[client_id] = dict(fields)
            return client_id

    def fail_next_task(self, errors: Mapping[str, list[str]] | None = None) -> None:
        """Make the next task that finishes fail with ``errors`` (``processing_code`` 422)."""
        with self._lock:
            self._task_failures.append(dict(errors or {"invoice": [texts.TASK_UNPROCESSED]}))

    @property
    def pending_tasks(self) -> list[str]:
        """References of tasks that have not finished, in every company."""
        with self._lock:
            return [
                task.reference for books in self._companies.values() for task in books.tasks.values() if not task.done
            ]

    def stored(self) -> list[StoredDocument]:
        """Invoices (``kind`` ``"vat"``) and corrections (``"correction"``) of every company."""
        return [self._snapshot(doc) for doc in self._stored]

    # The provider's hooks.

    def authenticate(self, request: FakeRequest) -> Books:
        """The company of the ``X-inFakt-ApiKey`` header (IF-README); 401 otherwise."""
        books = self._keys.get(request.headers.get("X-inFakt-ApiKey", ""))
        if books is None:
            raise _refusal(401, texts.UNAUTHORISED)
        return books

    def limit_key(self, request: FakeRequest) -> str:
        """InFakt counts per IP address, and all of a test's clients share one."""
        return "per-ip"

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """429 with ``Retry-After`` in whole seconds (IF-OL honours it; no header is documented)."""
        wait = -(-(round(verdict.reset_at * 1000) - round(self.clock.time() * 1000)) // 1000)
        return Reply.json({"error": texts.RATE_LIMITED}, 429, {"Retry-After": str(max(1, wait))})

    def not_found(self, request: FakeRequest) -> Reply:
        """404 with inFakt's text (IF-KSEF)."""
        return Reply.json({"error": texts.NOT_FOUND}, 404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """InFakt's routes are method and path together: another method is not found."""
        return self.not_found(request)

    def server_error(self, request: FakeRequest) -> Reply:
        """500 with an ``error`` text."""
        return Reply.json({"error": texts.SERVER_ERROR}, 500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """An ``error`` body under HTTP 200."""
        return Reply.json({"error": texts.SERVER_ERROR}, 200)

    # Creates.

    @route("POST", "async/invoices.json")
    def create_invoice(self, request: FakeRequest) -> Reply:
        """Accept an invoice task (IF-README: 202 with the task envelope)."""
        return self._accept(request, "vat", "invoice")

    @route("POST", "async/corrective_invoices.json")
    def create_correction(self, request: FakeRequest) -> Reply:
        """Accept a corrective-invoice task."""
        return self._accept(request, "correction", "corrective_invoice")

    def _accept(self, request: FakeRequest, kind: str, wrapper: str) -> Reply:
        books: Books = request.principal
        body = _body(request)
        document = body.get(wrapper)
        if not isinstance(document, dict):
            raise _refusal(422, f"{wrapper} {texts.REQUIRED}", {wrapper: [texts.REQUIRED]})
        self.note_ignored(body, {wrapper}, "")
        if self.sync_validation:
            try:
                books.validate(kind, document)
            except Invalid as invalid:
                raise _refusal(422, texts.TASK_FAILED, invalid.errors) from None
        task = Task(str(uuid_module.uuid4()), kind, document, self.timestamp(), self.task_polls)
        books.tasks[task.reference] = task
        return Reply.json(_envelope(task.reference, task.created_at, 100, texts.TASK_ACCEPTED), 202)

    @route("POST", "invoices.json")
    def create_invoice_at_once(self, request: FakeRequest) -> Reply:
        """The synchronous create (IF-OL used it live: 201, draft; UNCERTAIN whether still supported).

        Its trap: any ``kind`` (e.g. ``"corrective"``) is ignored and a VAT invoice is created.
        """
        document = _body(request).get("invoice")
        if not isinstance(document, dict):
            raise _refusal(422, f"invoice {texts.REQUIRED}", {"invoice": [texts.REQUIRED]})
        try:
            doc = self._store(request.principal, "vat", document)
        except Invalid as invalid:
            raise _refusal(422, texts.TASK_FAILED, invalid.errors) from None
        return Reply.json(self._document_json(doc), 201)

    @route("POST", "corrective_invoices.json")
    def create_correction_at_once(self, request: FakeRequest) -> Reply:
        """IF-OL #1763/#1899: the bare (non-async) route answered 500 on every payload."""
        return Reply.json({"error": texts.CORRECTIVE_500}, 500)

    @route("POST", "clients.json")
    def create_client(self, request: FakeRequest) -> Reply:
        """``POST clients.json`` (IF-README "Definicja klienta"): a stored client and its id."""
        client = _body(request).get("client")
        if not isinstance(client, dict):
            raise _refusal(422, f"client {texts.REQUIRED}", {"client": [texts.REQUIRED]})
        errors: dict[str, list[str]] = {}
        country = client.get("country")
        if not isinstance(country, str) or not COUNTRY.fullmatch(country):
            errors["country"] = [texts.REQUIRED]  # "country (Alpha-2, required)"
        # IF-OL (live): a record named with `name` instead of `company_name` (or a person's
        # names) 422s; inFakt keeps no duplicates check by NIP.
        if not any(client.get(key) for key in ("company_name", "last_name", "first_name")):
            errors["company_name"] = [texts.REQUIRED]
        check_activity_kind(client, "", lambda field, message: errors.setdefault(field, []).append(message))
        if errors:
            raise _refusal(422, texts.TASK_FAILED, errors)
        client_id = self.allocate_id()
        request.principal.clients[client_id] = dict(client)
        return Reply.json({"id": client_id, "uuid": str(uuid_module.uuid4()), **client}, 201)

    @route("GET", "async/invoices/status/{reference}.json")
    @route("GET", "async/corrective_invoices/status/{reference}.json")
    def task_status(self, request: FakeRequest) -> Reply:
        """The task envelope: 120 while processing, then 201 with ``invoice_uuid`` or 422."""
        task = request.principal.tasks.get(request.groups["reference"])
        if task is None or (task.kind == "correction") != request.path.startswith("async/corrective"):
            raise _refusal(404, texts.NOT_FOUND)
        if not task.done:
            if task.polls_left is None or task.polls_left > 0:
                if task.polls_left is not None:
                    task.polls_left -= 1
                return Reply.json(_envelope(task.reference, task.created_at, 120, texts.TASK_PROCESSING))
            self._finish(request.principal, task)
        if task.errors is not None:
            envelope = _envelope(task.reference, task.created_at, 422, texts.TASK_FAILED)
            envelope["invoice_errors"] = task.errors  # UNCERTAIN shape (IF-PHP2 reads it)
            return Reply.json(envelope)
        envelope = _envelope(task.reference, task.created_at, 201, texts.TASK_CREATED)
        envelope.update({"action": "create_invoice", "invoice_kind": task.kind, "invoice_uuid": task.uuid})
        return Reply.json(envelope)

    def _finish(self, books: Books, task: Task) -> None:
        task.done = True
        if self._task_failures:
            task.errors = self._task_failures.pop(0)
            return
        try:
            task.uuid = self._store(books, task.kind, task.body).uuid
        except Invalid as invalid:
            task.errors = invalid.errors

    # Reads and actions.

    def _doc(self, request: FakeRequest) -> Doc:
        books: Books = request.principal
        doc = books.docs.get(request.groups["uuid"])
        if doc is None or (doc.kind == "correction") != request.path.startswith("corrective_invoices/"):
            raise _refusal(404, texts.NOT_FOUND)  # IF-OL: corrective documents 404 under /invoices/
        return doc

    @route("GET", "invoices/{uuid}.json")
    @route("GET", "corrective_invoices/{uuid}.json")
    def get_document(self, request: FakeRequest) -> Reply:
        """An invoice or a corrective invoice, each under its own folder."""
        doc = self._doc(request)
        if doc.pending_paid_date is not None and doc.paid_reads_left is not None:
            if doc.paid_reads_left <= 0:
                doc.status, doc.paid_date, doc.pending_paid_date = "paid", doc.pending_paid_date, None
            else:
                doc.paid_reads_left -= 1
        return Reply.json(self._document_json(doc))

    @route("GET", "invoices/{uuid}/pdf.json")
    @route("GET", "corrective_invoices/{uuid}/pdf.json")
    def get_pdf(self, request: FakeRequest) -> Reply:
        """The PDF itself (IF-OL, live); ``document_type`` is required. Marks a draft printed."""
        doc = self._doc(request)
        document_type = request.params.get("document_type")
        if document_type not in PDF_TYPES:
            raise _refusal(400, texts.DOCUMENT_TYPE_REQUIRED, {"document_type": [texts.REQUIRED]})
        locale = request.params.get("locale", "pl")
        if locale not in PDF_LOCALES:
            raise _refusal(400, texts.UNKNOWN_LOCALE, {"locale": [texts.UNKNOWN]})
        if doc.status == "draft":
            doc.status = "printed"  # IF-README: downloading the PDF marks the invoice printed
        title = "Faktura korygujaca" if doc.kind == "correction" else "Faktura VAT"
        currency = doc.fields.get("currency", "PLN")
        text = f"{title} {doc.number}\n{document_type} ({locale})\nDo zaplaty: {money(doc.gross)} {currency}"
        return Reply.pdf(make_pdf(text), f"{doc.number.replace('/', '_')}.pdf")

    @route("POST", "async/invoices/{uuid}/paid.json")
    def mark_paid(self, request: FakeRequest) -> Reply:
        """Mark an invoice paid (IF-README: 201 accepts the order; it lands after ``paid_reads`` reads)."""
        doc = self._doc(request)
        body = _body(request) if request.content else {}
        # UNCERTAIN which form is canonical: wrapped (IF-OL, live) or top level (IF-PHP1).
        wrapped = body.get("invoice")
        fields = wrapped if isinstance(wrapped, dict) else body
        paid_date = fields.get("paid_date", self.today())
        if not is_date(paid_date):
            raise _refusal(422, texts.BAD_PAID_DATE, {"paid_date": [texts.BAD_DATE_SHORT]})
        if str(paid_date) < str(doc.fields.get("invoice_date")):
            raise _refusal(422, texts.PAID_BEFORE_ISSUE, {"paid_date": [texts.BEFORE_ISSUE]})
        if self.paid_reads == 0 or doc.status == "paid":
            doc.status, doc.paid_date = "paid", str(paid_date)  # marking again is safe (IF-OL, live)
        else:
            # Accepted, not yet paid: the invoice reads unpaid for paid_reads more reads.
            doc.pending_paid_date, doc.paid_reads_left = str(paid_date), self.paid_reads
        return Reply.json(_envelope(str(uuid_module.uuid4()), self.timestamp(), 100, texts.TASK_ACCEPTED), 201)

    @route("GET", "invoices/next_number.json")
    def next_number(self, request: FakeRequest) -> Reply:
        """The number the next invoice of ``kind`` on ``date`` would get."""
        kind = request.params.get("kind", "vat")
        if kind not in NEXT_NUMBER_KINDS:
            raise _refusal(422, texts.UNKNOWN_KIND, {"kind": [texts.UNKNOWN]})
        date = request.params.get("date", self.today())
        if not is_date(date):
            raise _refusal(422, texts.BAD_NEXT_DATE, {"date": [texts.BAD_DATE_SHORT]})
        number = request.principal.next_number(kind, date, advance=False)
        return Reply.json({"invoice_date": date, "invoice_kind": kind, "next_number": number})

    @route("GET", "vat_rates.json")
    def list_vat_rates(self, request: FakeRequest) -> Reply:
        """The list envelope of the VAT rates (IF-GO's entity fields, UNCERTAIN)."""
        entities = [
            {"id": index, "name": name, "rate": rate, "symbol": symbol}
            for index, (name, symbol, rate) in enumerate(self.vat_rates, start=1)
        ]
        count = len(entities)
        metainfo = {"count": count, "total_count": count, "next": None, "previous": None}
        return Reply.json({"metainfo": metainfo, "entities": entities})

    # Helpers (called by Books too).

    def note_ignored(self, fields: Mapping[str, Any], allowed: Iterable[str], prefix: str) -> None:
        """Record the names inFakt would silently drop."""
        known = set(allowed)
        self.ignored_fields.extend(prefix + key for key in fields if key not in known)

    def allocate_id(self) -> int:
        """The next integer id (documents and clients share one sequence)."""
        self._next_id += 1
        return self._next_id

    def today(self) -> str:
        """The fake clock's date in Poland."""
        return dt.datetime.fromtimestamp(self.clock.time(), tz=_POLAND).date().isoformat()

    def timestamp(self) -> str:
        """IF-README's timestamp shape, ``2024-01-15 10:21:25 +0100``."""
        return dt.datetime.fromtimestamp(self.clock.time(), tz=_POLAND).strftime("%Y-%m-%d %H:%M:%S %z")

    def _store(self, books: Books, kind: str, document: dict[str, Any]) -> Doc:
        doc = books.store(kind, document)
        self._stored.append(doc)
        return doc

    def _books(self, company: str | None) -> Books:
        return self._companies[company] if company else next(iter(self._companies.values()))

    def _document_json(self, doc: Doc) -> dict[str, Any]:
        fields = {key: value for key, value in doc.fields.items() if key in CORRECTION_FIELDS and key != "services"}
        paid = doc.status == "paid"
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
            "paid_price": doc.gross if paid else 0,
            "left_to_pay": 0 if paid else doc.gross,
            "services": doc.services,
            "created_at": doc.created_at,
            "ksef_data": self.ksef_data(doc),  # None until sent to KSeF (IF-KSEF)
        }
        if doc.kind == "correction":
            reason = str(doc.fields.get("correction_reason"))
            body["correction_reason_symbol"] = reason
            body["correction_reason"] = texts.REASON_NAMES.get(reason, reason)
        return body

    def _snapshot(self, doc: Doc) -> StoredDocument:
        total = money(doc.gross)
        return StoredDocument(
            provider=self.provider,
            account=doc.company,
            kind=doc.kind,
            number=doc.number,
            id=doc.uuid,
            issue_date=str(doc.fields.get("invoice_date") or "") or None,
            currency=str(doc.fields.get("currency", "PLN")),
            total=total,
            paid=total if doc.status == "paid" else Decimal(0),
            corrects=doc.corrects,
            body=dict(doc.fields),
            detail=InFaktDetail(
                uuid=doc.uuid,
                integer_id=doc.id,
                status=doc.status,
                payment_method=str(doc.fields.get("payment_method") or ""),
                net_price=doc.net,
                tax_price=doc.tax,
                gross_price=doc.gross,
                paid_date=doc.paid_date,
                client_id=doc.client_id,
            ),
        )
