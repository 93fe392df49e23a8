"""A stateful fake of the Fakturownia.pl API (and its twins InvoiceOcean, VosFactures, BitFactura).

Built from the project's Fakturownia sheet (``providers/fakturownia.md``; sections in
brackets), never from the connector: the constants it needs are its own copies::

    fake = FakturowniaFake.demo()                      # account "demo", token "demo-token"
    conn = ac.connect("fakturownia", account="demo", api_token="demo-token", transport=fake)

What it models:

* Accounts by prefix in the host, ``https://{prefix}.fakturownia.pl`` or a regional domain
  [§1]; several accounts side by side (:meth:`add_account`), each with its tokens (rotation:
  :meth:`add_token`, :meth:`revoke_token`), departments, products and warehouses. The token is
  read the three documented ways: ``Authorization: Bearer``, ``?api_token=`` and a body
  ``api_token`` next to the wrapper [§1] (peer clients use all three). Anything else is 401.
* A read-only user's token: HTTP 200 on a create and nothing stored (the known bug, §16); its
  other writes also answer 200 and change nothing (the fake's reading: the sheet names creates).
* ``POST /invoices.json`` for the kinds of §5.1, with positions computed as Fakturownia
  does: missing values derived from the given ones [§5.2]; ``discount_percent`` counted only
  with ``show_discount`` and ``discount_kind`` [§5, §16]; document totals the sum of the
  positions. 422 ``{"code":"error","message":{field:[...]}}`` for missing or invalid fields,
  KSeF rules on KSeF accounts [§2, §9]: ``buyer_tax_no``, ``exempt_tax_kind`` for ``zw``,
  ``buyer_phone`` ≤ 16, names, ``correction_reason`` and descriptions ≤ 256, and a correction
  may not change the seller, department or buyer fields (carried-over §1.7).
  ``client_id: -1`` creates the client from the buyer fields [§5.1].
* ``oid`` + ``oid_unique: "yes"``: a second document with the same ``oid`` in the account is
  refused with a 422 naming ``oid`` [§14] (the scope per account, not per kind, is the
  stricter reading of an undocumented point). The listing's ``oid`` filter matches
  **loosely** (a case-insensitive substring), the pessimistic reading of §17.3, so a client
  must match exactly itself.
* Numbering per account, department, kind and month: ``1/01/2026`` for VAT invoices (the
  form of the sheet's example), ``PAR 1/01/2026`` receipts, ``KOR 1/01/2026`` corrections
  (patterns are set in the web app, §7; these prefixes are the fake's choice).
* ``GET /invoices.json`` with ``period`` (default ``this_month``, UNCERTAIN), ``page``,
  ``per_page`` (default 25, at most 100), ``oid``, ``kind``, ``kinds[]``, ``number``,
  ``client_id``, ``invoice_ids``, ``from_invoice_id``, ``include_positions``, ``order``; with
  ``ignore_page=True`` it ignores ``page`` as §15 warns the API may.
* Read, update (``paid``, ``status``, positions by ``id`` with ``_destroy``; ``paid`` alone
  marks the document paid, §0/§11), delete (not once sent to KSeF), cancel (receipts cannot
  be, §8), ``change_status`` (errors under HTTP 200, a proforma refuses ``paid`` with 422),
  ``send_by_email`` (KSeF error under 200).
* PDFs: 422 for ``pdf_delay`` seconds after a create, an HTML page on KSeF accounts until the
  KSeF number arrives (``ksef_delay``), then a one-page PDF [§10]; public ``/invoice/{token}.pdf``
  without a token.
* Bank payments (plural path; the README's singular one is a 404, §16), departments,
  products with stock (a lone ``price_net`` on update is ignored, §16), warehouses, warehouse
  documents, clients [§3, §11, §12].
* 60 requests a minute per account (the safest reading of §13; ``requests_per_minute=``
  changes it), refused with 429 and ``Retry-After``; every refusal counts in ``penalties``.
* The base fault plan, plus :meth:`fail_after_commit` (a create stored, then a 5xx);
  :meth:`clear_faults` drops both.

The base pipeline checks a request's host against ``base_urls``; since the account is in
the host, :meth:`FakturowniaFake._relative` accepts every ``{prefix}.{domain}`` host of the
service's domains (and the base URLs, for :func:`~accounting_connectors.testing.serve`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

import attrs
import httpx

from ...clock import Clock
from ..base import FakeProvider
from ..documents import StoredDocument
from ..faults import normalize_path
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts

__all__ = ["BASE_URL", "DOMAINS", "KINDS", "FakeAccount", "FakturowniaFake"]

BASE_URL = "https://demo.fakturownia.pl/"
"""The demo account's API root."""

DOMAINS = ("fakturownia.pl", "invoiceocean.com", "invoiceocean.de", "vosfactures.fr", "bitfactura.es")
"""The service's domains (§1)."""

KINDS = (
    "vat", "proforma", "bill", "receipt", "advance", "final", "correction", "invoice_other", "vat_margin", "kp",
    "kw", "estimate", "vat_mp", "vat_rr", "correction_note", "accounting_note", "client_order", "dw", "wnt", "wdt",
    "import_service", "import_service_eu", "import_products", "export_products",
)  # fmt: skip
"""Document kinds (§5.1)."""

_NOT_SUBJECT = frozenset({"np", "n/a", "nie podlega", "not applicable", "na"})
_SPECIAL_TAXES = frozenset({"zw", "oo", "disabled"})
_DISCOUNT_KINDS = frozenset({"percent_unit", "percent_unit_gross", "percent_total", "amount"})
_STATUSES = frozenset({"issued", "sent", "paid", "partial", "rejected"})
_PERIODS = frozenset(
    {"all", "this_month", "last_month", "this_year", "last_year", "last_30_days", "last_12_months", "more"}
)
_PREFIXES = {"receipt": "PAR ", "correction": "KOR ", "proforma": "PRO "}
_TRUE = frozenset({"1", "yes", "true", "t", "on"})
_CENT = Decimal("0.01")
_MAX_PER_PAGE = 100
_DEFAULT_PER_PAGE = 25  # UNCERTAIN: not documented
_ISSUER_FIELDS = ("use_invoice_issuer", "invoice_issuer", "use_delivery_address", "delivery_address")
# What a KSeF correction may not change (FK-KSEF, §9, carried-over §1.7).
_KSEF_FIXED = (
    "department_id", "seller_tax_no", "seller_email", "seller_phone", "seller_fax", "seller_www",
    "seller_tax_no_kind", "seller_bdo_no", "buyer_company", "buyer_tax_no", "buyer_note", "buyer_email",
    "buyer_phone", "buyer_mobile_phone", "buyer_tax_no_kind", *_ISSUER_FIELDS,
)  # fmt: skip
_KSEF_TEXT_MAX = 256  # descriptions[].content, correction_reason, position names under KSeF (§5, §9)


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _rails(amount: Decimal) -> str:
    """A decimal as Rails writes it: ``"221.4"``, ``"250.0"``, ``"2.0"``."""
    text = f"{amount.normalize():f}"
    return text if "." in text else text + ".0"


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return value != 0
    return isinstance(value, str) and value.strip().casefold() in _TRUE


def _number(value: object) -> Decimal | None:
    """A number as clients send it: a JSON number, a string, even a decimal comma (carried-over §1.1)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _int(value: object) -> int | None:
    number = _number(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _tax(value: object) -> tuple[str, Decimal] | None:
    """``(printed code, rate)`` of a ``tax`` value (§6.1); ``None`` when invalid."""
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _NOT_SUBJECT:
            return "np", Decimal(0)
        if text in _SPECIAL_TAXES:
            return text, Decimal(0)
    number = _number(value)
    if number is None or not Decimal(0) <= number < Decimal(100):
        return None
    return f"{number.normalize():f}", number / 100


@attrs.define
class FakeAccount:
    """One Fakturownia account of the fake: its tokens, companies, catalogue and documents."""

    prefix: str
    domain: str = "fakturownia.pl"
    tokens: dict[str, bool] = attrs.field(factory=dict)
    """Token -> read-only user."""
    departments: list[dict[str, Any]] = attrs.field(factory=list)
    products: list[dict[str, Any]] = attrs.field(factory=list)
    warehouses: list[dict[str, Any]] = attrs.field(factory=list)
    ksef: bool = False
    """KSeF is switched on (``validate_invoices_for_gov``): its rules apply and PDFs wait for the number."""
    documents: list[dict[str, Any]] = attrs.field(factory=list)
    payments: list[dict[str, Any]] = attrs.field(factory=list)
    warehouse_documents: list[dict[str, Any]] = attrs.field(factory=list)
    clients: list[dict[str, Any]] = attrs.field(factory=list)
    counters: dict[tuple[Any, ...], int] = attrs.field(factory=dict)

    @property
    def key(self) -> str:
        """``prefix.domain``: what the fake's limits count by."""
        return f"{self.prefix}.{self.domain}"


@attrs.frozen
class _Principal:
    account: FakeAccount
    read_only: bool


class FakturowniaFake(FakeProvider):
    """The Fakturownia fake: an httpx transport (sync and async) over several accounts."""

    provider = "fakturownia"
    base_urls: ClassVar[tuple[str, ...]] = (BASE_URL,)
    limits: ClassVar[tuple[FakeLimit, ...]] = (FakeLimit(60, 60.0, name="per minute"),)
    demo_settings: ClassVar[Mapping[str, Any]] = {"account": "demo", "api_token": "demo-token"}

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keep_log: bool = True,
        requests_per_minute: int = 60,
        pdf_delay: float = 3.0,
        ksef_delay: float = 10.0,
        ignore_page: bool = False,
    ) -> None:
        super().__init__(
            clock=clock, keep_log=keep_log, limits=(FakeLimit(requests_per_minute, 60.0, name="per minute"),)
        )
        self.pdf_delay = pdf_delay
        """Seconds after a create during which the PDF answers 422 (§10)."""
        self.ksef_delay = ksef_delay
        """Seconds until a KSeF account's document gets its KSeF number."""
        self.ignore_page = ignore_page
        """Serve page 1 whatever ``page`` asks (§15)."""
        self._accounts: dict[tuple[str, str], FakeAccount] = {}
        self._order: list[tuple[FakeAccount, dict[str, Any]]] = []
        self._next_id = 412345001
        self._fail_after_commit: list[int] = []

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> FakturowniaFake:
        """A fake with the demo account ``demo`` (token ``demo-token``), two departments and a stocked product."""
        fake = cls(clock=clock)
        fake.add_account(
            "demo",
            "demo-token",
            departments=[
                {"id": 11, "name": "Demo Sp. z o.o.", "shortcut": "DEMO", "tax_no": "5252344078"},
                {"id": 12, "name": "Demo Oddział Kraków", "shortcut": "KRK", "tax_no": "5252344078"},
            ],
            products=[
                {"id": 4711, "name": "Produkt A", "code": "SKU-1", "price_net": "100.0", "tax": "23", "limited": True},
                {"id": 4712, "name": "Książka B", "code": "SKU-2", "price_gross": "52.5", "tax": "5", "limited": True},
            ],
            warehouses=[{"id": 7, "name": "Magazyn główny", "kind": "main"}],
            stock={4711: Decimal(100), 4712: Decimal(50)},
        )
        return fake

    # Accounts and tokens.

    def add_account(
        self,
        prefix: str,
        token: str,
        *,
        domain: str = "fakturownia.pl",
        departments: Iterable[Mapping[str, Any]] = (),
        products: Iterable[Mapping[str, Any]] = (),
        warehouses: Iterable[Mapping[str, Any]] = (),
        stock: Mapping[int, Decimal] | None = None,
        ksef: bool = False,
        read_only: bool = False,
    ) -> FakeAccount:
        """Open an account at ``https://{prefix}.{domain}`` with one token."""
        with self._lock:
            account = FakeAccount(prefix=prefix, domain=domain, ksef=ksef)
            account.tokens[token] = read_only
            account.departments = [dict(item) for item in departments]
            account.warehouses = [dict(item) for item in warehouses]
            for item in products:
                product = dict(item)
                level = (stock or {}).get(int(product["id"]))
                product["stock_level"] = _rails(level) if level is not None else None
                account.products.append(product)
            self._accounts[(prefix, domain)] = account
            return account

    def account(self, prefix: str = "demo", domain: str = "fakturownia.pl") -> FakeAccount:
        """The account ``prefix`` at ``domain``."""
        return self._accounts[(prefix, domain)]

    def add_token(self, prefix: str, token: str, *, read_only: bool = False, domain: str = "fakturownia.pl") -> None:
        """Give the account another token (a new one during rotation, or a read-only user's)."""
        with self._lock:
            self.account(prefix, domain).tokens[token] = read_only

    def revoke_token(self, prefix: str, token: str, *, domain: str = "fakturownia.pl") -> None:
        """Withdraw a token: it gets 401 from then on."""
        with self._lock:
            self.account(prefix, domain).tokens.pop(token, None)

    def fail_after_commit(self, status: int = 502, *, times: int = 1) -> None:
        """Make the next ``times`` creates store their document and then answer ``status`` (a 5xx)."""
        with self._lock:
            self._fail_after_commit.extend([status] * times)

    def clear_faults(self) -> None:
        """Drop every queued fault: the base plan's and :meth:`fail_after_commit`'s."""
        with self._lock:
            self.faults.clear()
            self._fail_after_commit.clear()

    # The pipeline hooks.

    def _relative(self, url: httpx.URL) -> str | None:
        if url.scheme == "https" and url.port in (None, 443) and self._host_account(url.host) is not None:
            return normalize_path(url.path)
        return super()._relative(url)

    @staticmethod
    def _host_account(host: str) -> tuple[str, str] | None:
        for domain in DOMAINS:
            if host.endswith("." + domain):
                prefix = host[: -len(domain) - 1]
                if prefix and "." not in prefix:
                    return prefix, domain
        return None

    def _account_of(self, request: FakeRequest) -> FakeAccount | None:
        found = self._host_account(request.raw.url.host) or ("demo", "fakturownia.pl")
        return self._accounts.get(found)

    def stored(self) -> list[StoredDocument]:
        """Every document issued, in the order issued, across accounts."""
        return [self._snapshot(account, document) for account, document in self._order]

    def authenticate(self, request: FakeRequest) -> Any:
        """The token from the Bearer header, ``?api_token=`` or the body's ``api_token`` (§1)."""
        account = self._account_of(request)
        if account is not None and request.path.startswith("invoice/"):
            return _Principal(account, read_only=True)  # the public link needs no token (§10)
        token = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header[len("Bearer ") :].strip()
        elif "api_token" in request.params:
            token = request.params["api_token"]
        elif request.content:
            try:
                body = request.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("api_token"), str):
                token = body["api_token"]
        if account is None or token is None or token not in account.tokens:
            raise FakeError(Reply.json(texts.UNAUTHORIZED, 401))
        return _Principal(account, read_only=account.tokens[token])

    def limit_key(self, request: FakeRequest) -> str:
        """Per account (the real limit is said to be per IP, §13; one client is one account here)."""
        account = self._account_of(request)
        return account.key if account is not None else "*"

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """429 with ``Retry-After`` (assumed, §2)."""
        wait = max(verdict.reset_at - self.clock.time(), 0.0)
        return Reply.json(texts.RATE_LIMITED, 429, {"Retry-After": str(max(1, round(wait + 0.4999)))})

    def not_found(self, request: FakeRequest) -> Reply:
        """404 ``{"code":"error","message":"Not found"}`` (§2)."""
        return Reply.json(texts.NOT_FOUND, 404)

    def server_error(self, request: FakeRequest) -> Reply:
        """Rails' 500 page; nothing stored."""
        return Reply(500, texts.SERVER_ERROR_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def error_under_200(self, request: FakeRequest) -> Reply:
        """``{"code":"error",...}`` under HTTP 200, as ``change_status`` answers (§2)."""
        return Reply.json(texts.error(texts.BAD_STATUS), 200)

    # Helpers.

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).date()

    def _stamp(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).isoformat(timespec="milliseconds")

    @staticmethod
    def _body(request: FakeRequest) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise FakeError(Reply.json(texts.error("Nieprawidłowy format danych (JSON)"), 400)) from None
        if not isinstance(body, dict):
            raise FakeError(Reply.json(texts.error("Nieprawidłowy format danych (JSON)"), 400))
        return body

    def _document(self, request: FakeRequest) -> tuple[FakeAccount, dict[str, Any]]:
        account: FakeAccount = request.principal.account
        ident = _int(request.groups.get("id"))
        for document in account.documents:
            if document["id"] == ident and not document.get("_deleted"):
                self._refresh(account, document)
                return account, document
        raise FakeError(Reply.json(texts.NOT_FOUND, 404))

    def _refresh(self, account: FakeAccount, document: dict[str, Any]) -> None:
        if document["gov_status"] == "processing" and self.clock.time() - document["_created"] >= self.ksef_delay:
            document["gov_status"] = "ok"
            tax_no = next((str(d.get("tax_no")) for d in account.departments if d.get("tax_no")), "5252344078")
            stamp = document["issue_date"].replace("-", "")
            suffix = hashlib.sha256(str(document["id"]).encode()).hexdigest()[:12].upper()
            document["gov_id"] = f"{tax_no}-{stamp}-{suffix}-XX"

    def _public(self, document: Mapping[str, Any], *, positions: bool = True, full: bool = False) -> dict[str, Any]:
        shown = {key: value for key, value in document.items() if not key.startswith("_")}
        if not positions:
            shown.pop("positions", None)
        elif not full:
            shown["positions"] = [
                {k: v for k, v in p.items() if not k.startswith("correction_")} for p in document["positions"]
            ]
        return shown

    def _snapshot(self, account: FakeAccount, document: Mapping[str, Any]) -> StoredDocument:
        return StoredDocument(
            provider=self.provider,
            account=account.prefix,
            kind=document["kind"],
            number=document["number"],
            id=str(document["id"]),
            issue_date=document["issue_date"],
            currency=document["currency"],
            total=Decimal(document["price_gross"]),
            paid=Decimal(document["paid"]),
            reference=document["oid"] or None,
            cancelled=bool(document.get("_deleted") or document.get("_cancelled")),
            corrects=str(document["invoice_id"]) if document.get("invoice_id") else None,
            body=document["_body"],
            detail={
                "oid": document["oid"],
                "department_id": document["department_id"],
                "status": document["status"],
                "positions": document["positions"],
                "gov_status": document["gov_status"],
                "token": document["token"],
                "buyer_company": document["buyer_company"],
                "warehouse_id": document["warehouse_id"],
                "client_id": document["client_id"],
                "domain": account.domain,
            },
        )

    # Documents.

    @route("POST", "invoices.json")
    def create_invoice(self, request: FakeRequest) -> Reply:
        """``POST /invoices.json`` ``{"invoice": {...}}`` (§3, §4)."""
        principal: _Principal = request.principal
        account = principal.account
        body = self._body(request)
        data = body.get("invoice")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"invoice": [texts.CANT_BE_BLANK]}), 422)
        errors, document = self._build(account, data)
        if errors:
            return Reply.json(texts.field_error(errors), 422)
        oid = document["oid"]
        taken = any(other["oid"] == oid and not other.get("_deleted") for other in account.documents)
        if oid and _truthy(data.get("oid_unique")) and taken:
            return Reply.json(texts.field_error({"oid": [texts.OID_TAKEN]}), 422)
        if principal.read_only:
            # The known bug (§16): 200, nothing created. The body is the fake's choice: the
            # unsaved record, without an id.
            unsaved = self._public(document)
            unsaved["id"] = None
            return Reply.json(unsaved, 200)
        document["id"] = self._next_id
        self._next_id += 1
        if document["client_id"] is None:
            document["client_id"] = self._client_for(account, data, document["buyer_name"], document["buyer_company"])
        document["number"] = document["number"] or self._next_number(account, document)
        document["_body"] = body
        self._move_stock(account, document, -1)
        account.documents.append(document)
        self._order.append((account, document))
        if self._fail_after_commit:
            status = self._fail_after_commit.pop(0)
            return Reply(status, texts.SERVER_ERROR_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply.json(self._public(document), 201)

    def _next_number(self, account: FakeAccount, document: Mapping[str, Any]) -> str:
        issued = dt.date.fromisoformat(document["issue_date"])
        key = (document["department_id"], document["kind"], issued.year, issued.month)
        account.counters[key] = account.counters.get(key, 0) + 1
        prefix = _PREFIXES.get(document["kind"], "" if document["kind"] == "vat" else document["kind"].upper() + " ")
        return f"{prefix}{account.counters[key]}/{issued.month:02d}/{issued.year}"

    def _build(self, account: FakeAccount, data: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any]]:
        errors: dict[str, list[str]] = {}

        def fail(field: str, text: str) -> None:
            errors.setdefault(field, []).append(text)

        kind = data.get("kind") or "vat"
        if kind not in KINDS:
            fail("kind", texts.INVALID)
        today = self._today().isoformat()
        issue_date = data.get("issue_date") or today
        for field in ("issue_date", "sell_date", "payment_to", "paid_date"):
            value = data.get(field)
            if value in (None, ""):
                continue
            try:
                dt.date.fromisoformat(str(value) if field != "sell_date" or len(str(value)) != 7 else f"{value}-01")
            except ValueError:
                fail(field, texts.INVALID)
        department_id = _int(data.get("department_id"))
        department = next((d for d in account.departments if d["id"] == department_id), None)
        if department_id is not None and department is None:
            fail("department_id", texts.INVALID)
        # Without buyer_company the buyer is a company (§16).
        company = "0" if data.get("buyer_company") in ("0", 0, False, "false") else "1"
        client_id = _int(data.get("client_id"))
        if client_id == -1:
            client_id = None  # -1 = create the client from the buyer fields (§5.1)
        buyer_name = str(data.get("buyer_name") or "").strip()
        if not buyer_name and (data.get("buyer_first_name") or data.get("buyer_last_name")):
            buyer_name = f"{data.get('buyer_first_name') or ''} {data.get('buyer_last_name') or ''}".strip()
        if kind not in ("receipt",) and not buyer_name and client_id is None:
            fail("buyer_name", texts.CANT_BE_BLANK)
        phone = data.get("buyer_phone")
        original: dict[str, Any] | None = None
        if kind == "correction":
            original_id = _int(data.get("invoice_id"))
            original = next((d for d in account.documents if d["id"] == original_id), None)
            if original is None:
                fail("invoice_id", texts.NO_SUCH_DOCUMENT)
        if account.ksef:
            if (
                kind in ("vat", "correction")
                and company == "1"
                and not data.get("buyer_tax_no")
                and data.get("buyer_tax_no_kind") != "empty"
                and client_id is None
            ):
                fail("buyer_tax_no", texts.CANT_BE_BLANK)
            if isinstance(phone, str) and len(phone) > 16:
                fail("buyer_phone", texts.TOO_LONG(16))
            if len(str(data.get("correction_reason") or "")) > 256:
                fail("correction_reason", texts.TOO_LONG(256))
            if original is not None:
                for field in _KSEF_FIXED:
                    if field in data and str(data[field] or "") != str(original.get(field) or ""):
                        fail(field, texts.CHANGED_UNDER_KSEF)
            descriptions = data.get("descriptions")
            contents = [str(data.get("description") or "")]
            if isinstance(descriptions, list):
                contents += [str(item.get("content") or "") for item in descriptions if isinstance(item, dict)]
            if kind != "receipt" and any(len(content) > _KSEF_TEXT_MAX for content in contents):
                fail("descriptions.content", texts.TOO_LONG(_KSEF_TEXT_MAX))
        show_discount = _truthy(data.get("show_discount")) and data.get("discount_kind") in _DISCOUNT_KINDS
        positions_in = data.get("positions")
        positions: list[dict[str, Any]] = []
        if not isinstance(positions_in, list) or not positions_in:
            fail("positions", texts.CANT_BE_BLANK)
            positions_in = []
        for index, item in enumerate(positions_in):
            if not isinstance(item, dict):
                fail("positions", texts.INVALID)
                continue
            position = self._position(account, item, kind, show_discount, data.get("discount_kind"), fail)
            position["id"] = index + 1
            if kind == "correction":
                if item.get("kind") != "correction":
                    fail("positions.kind", texts.NOT_A_CORRECTION_LINE)
                for side in ("correction_before_attributes", "correction_after_attributes"):
                    state = item.get(side)
                    if isinstance(state, dict):
                        position[side] = self._position(account, state, kind, show_discount, None, fail)
                        position[side]["kind"] = state.get("kind")
            if account.ksef and len(position["name"]) > 256:
                fail("positions.name", texts.TOO_LONG(256))
            if account.ksef and position["tax"] == "zw" and not data.get("exempt_tax_kind"):
                fail("exempt_tax_kind", texts.CANT_BE_BLANK)
            positions.append(position)
        status = data.get("status") or ("paid" if kind == "receipt" else "issued")
        if status not in _STATUSES:
            fail("status", texts.INVALID)
        net = sum((Decimal(p["total_price_net"]) for p in positions), Decimal("0.00"))
        gross = sum((Decimal(p["total_price_gross"]) for p in positions), Decimal("0.00"))
        paid = _number(data.get("paid")) or Decimal(0)
        if status == "paid" and "paid" not in data:
            paid = gross
        payment_to = data.get("payment_to") or issue_date
        days = _int(data.get("payment_to_kind"))
        if days is not None:
            payment_to = (dt.date.fromisoformat(issue_date) + dt.timedelta(days=days)).isoformat()
        elif data.get("payment_to_kind") == "other_date" and not data.get("payment_to"):
            fail("payment_to", texts.CANT_BE_BLANK)
        gov_status: str | None = None
        if kind == "receipt":
            gov_status = "not_applicable"
        elif account.ksef and kind in ("vat", "correction"):
            gov_status = "processing"
        warehouse_id = _int(data.get("warehouse_id"))
        document: dict[str, Any] = {
            "id": None,
            "kind": kind,
            "number": str(data["number"]) if data.get("number") else None,
            "status": status,
            "issue_date": issue_date,
            "sell_date": data.get("sell_date") or issue_date,
            "payment_to": payment_to,
            "payment_to_kind": data.get("payment_to_kind"),
            "payment_type": data.get("payment_type") or "transfer",
            "price_net": _rails(net),
            "price_tax": _rails(gross - net),
            "price_gross": _rails(gross),
            "paid": _rails(paid),
            "paid_date": data.get("paid_date") or "",
            "currency": data.get("currency") or "PLN",
            "oid": str(data.get("oid") or ""),
            "token": hashlib.sha256(f"{account.key}:{self._next_id}:{data.get('oid')}".encode()).hexdigest()[:21],
            "client_id": client_id,
            "department_id": department_id,
            "seller_name": (department or {}).get("name") or data.get("seller_name") or "",
            "buyer_name": buyer_name,
            "buyer_company": company,
            **{
                key: data[key]
                for key in data
                if (key.startswith("buyer_") and key not in ("buyer_name", "buyer_company"))
                or (key.startswith("seller_") and key != "seller_name")
                or key in _ISSUER_FIELDS
            },
            "invoice_id": _int(data.get("invoice_id")),
            "from_invoice_id": _int(data.get("from_invoice_id")),
            "correction_reason": data.get("correction_reason"),
            "warehouse_id": warehouse_id,
            "exclude_from_stock_level": _truthy(data.get("exclude_from_stock_level")),
            "show_discount": data.get("show_discount"),
            "discount_kind": data.get("discount_kind"),
            "description": data.get("description") or "",
            "lang": data.get("lang") or "pl",
            "exchange_currency": data.get("exchange_currency"),
            "exchange_kind": data.get("exchange_kind"),
            "exchange_currency_rate": data.get("exchange_currency_rate"),
            "reverse_charge": _truthy(data.get("reverse_charge")),
            "exempt_tax_kind": data.get("exempt_tax_kind"),
            "gov_status": gov_status,
            "gov_id": None,
            "positions": positions,
            "created_at": self._stamp(),
            "updated_at": self._stamp(),
            "_created": self.clock.time(),
        }
        return errors, document

    def _position(
        self,
        account: FakeAccount,
        item: Mapping[str, Any],
        kind: str,
        show_discount: bool,
        discount_kind: object,
        fail: Any,
    ) -> dict[str, Any]:
        product = None
        product_id = _int(item.get("product_id"))
        if product_id is not None:
            product = next((p for p in account.products if p["id"] == product_id), None)
            if product is None:
                fail("positions.product_id", texts.INVALID)
        defaults = product or {}
        name = str(item.get("name") or defaults.get("name") or "").strip()
        if not name:
            fail("positions.name", texts.CANT_BE_BLANK)
        quantity = _number(item.get("quantity", "1"))
        if quantity is None:
            fail("positions.quantity", texts.NOT_A_NUMBER)
            quantity = Decimal(1)
        tax_value = item.get("tax", defaults.get("tax", "23"))  # UNCERTAIN: the account's default rate
        tax = _tax(tax_value)
        if tax is None:
            fail("positions.tax", texts.INVALID)
            tax = ("23", Decimal("0.23"))
        code, rate = tax
        discount = Decimal(0)
        if show_discount and discount_kind in ("percent_unit", "percent_unit_gross", "percent_total"):
            discount = (_number(item.get("discount_percent")) or Decimal(0)) / 100
        amount_off = _number(item.get("discount")) if show_discount and discount_kind == "amount" else None
        values = {
            key: _number(item.get(key)) for key in ("price_net", "price_gross", "total_price_net", "total_price_gross")
        }
        for key, value in values.items():
            if item.get(key) not in (None, "") and value is None:
                fail(f"positions.{key}", texts.NOT_A_NUMBER)
        if values["total_price_gross"] is not None:
            gross = _round(values["total_price_gross"])
            net = _round(gross / (1 + rate))
        elif values["total_price_net"] is not None:
            net = _round(values["total_price_net"])
            gross = net + _round(net * rate)
        elif values["price_gross"] is not None:
            gross = _round(quantity * values["price_gross"] * (1 - discount)) - (amount_off or 0)
            net = _round(gross / (1 + rate))
        elif values["price_net"] is not None:
            net = _round(quantity * values["price_net"] * (1 - discount)) - (amount_off or 0)
            gross = net + _round(net * rate)
        elif _number(defaults.get("price_gross")) is not None:
            gross = _round(quantity * Decimal(defaults["price_gross"]))
            net = _round(gross / (1 + rate))
        elif _number(defaults.get("price_net")) is not None:
            net = _round(quantity * Decimal(defaults["price_net"]))
            gross = net + _round(net * rate)
        else:
            fail("positions.total_price_gross", texts.CANT_BE_BLANK)
            net = gross = Decimal("0.00")
        unit = quantity if quantity else Decimal(1)
        position: dict[str, Any] = {
            "name": name,
            "code": item.get("code") or defaults.get("code"),
            "product_id": product_id,
            "quantity": _rails(quantity),
            "quantity_unit": item.get("quantity_unit") or "szt",
            "tax": code,
            "price_net": _rails(_round(net / unit)),
            "price_gross": _rails(_round(gross / unit)),
            "total_price_net": _rails(net),
            "total_price_gross": _rails(gross),
            "kind": item.get("kind"),
        }
        if show_discount and item.get("discount_percent") is not None:
            position["discount_percent"] = _rails(_number(item.get("discount_percent")) or Decimal(0))
        return position

    def _client_for(self, account: FakeAccount, data: Mapping[str, Any], name: str, company: str) -> int:
        """The client matched by tax number, name or e-mail, else a new one (§5.3)."""
        for client in account.clients:
            if (data.get("buyer_tax_no") and client["tax_no"] == data.get("buyer_tax_no")) or (
                client["name"] == name and client["email"] == data.get("buyer_email")
            ):
                return int(client["id"])
        client_id = 9876 + len(account.clients)
        account.clients.append(
            {
                "id": client_id,
                "name": name,
                "tax_no": data.get("buyer_tax_no"),
                "email": data.get("buyer_email"),
                "company": company,
            }
        )
        return client_id

    def _move_stock(self, account: FakeAccount, document: Mapping[str, Any], sign: int) -> None:
        # Documented link: product_id + warehouse_id; code alone moves nothing (§12, UNCERTAIN).
        if document["kind"] not in ("vat", "receipt") or document["warehouse_id"] is None:
            return
        if document["exclude_from_stock_level"]:
            return
        for position in document["positions"]:
            self._adjust(account, position.get("product_id"), sign * Decimal(position["quantity"]))

    @staticmethod
    def _adjust(account: FakeAccount, product_id: object, change: Decimal) -> None:
        product = next((p for p in account.products if p["id"] == product_id), None)
        if product is not None and product.get("stock_level") is not None:
            product["stock_level"] = _rails(Decimal(product["stock_level"]) + change)

    @route("GET", "invoices/{id}.json")
    def get_invoice(self, request: FakeRequest) -> Reply:
        """``GET /invoices/{id}.json`` (``correction_positions=full``, ``fields[invoice]``, ``additional_fields``)."""
        account, document = self._document(request)
        if request.params.get("send_to_ksef") == "yes" and document["gov_status"] is None and account.ksef:
            document["gov_status"] = "processing"
        shown = self._public(document, full=request.params.get("correction_positions") == "full")
        if request.params.get("additional_fields[invoice]") == "connected_payments":
            shown["connected_payments"] = [p for p in account.payments if document["id"] in p["invoice_ids"]]
        fields = request.params.get("fields[invoice]")
        if fields:
            shown = {key: shown.get(key) for key in ["id", *fields.split(",")]}
        return Reply.json(shown)

    @route("GET", "invoices.json")
    def list_invoices(self, request: FakeRequest) -> Reply:
        """``GET /invoices.json`` with its filters and paging (§3, §15)."""
        account: FakeAccount = request.principal.account
        params = request.params
        period = params.get("period", "this_month")
        if period not in _PERIODS:
            return Reply.json(texts.field_error({"period": [texts.INVALID]}), 422)
        rows = [d for d in account.documents if not d.get("_deleted") and self._in_period(d, period, params)]
        if params.get("oid"):
            wanted = params["oid"].casefold()
            rows = [d for d in rows if wanted in d["oid"].casefold()]  # loose on purpose (§17.3)
        kinds = params.get_list("kinds[]") or ([params["kind"]] if params.get("kind") else [])
        if kinds:
            rows = [d for d in rows if d["kind"] in kinds]
        for key in ("number", "client_id", "from_invoice_id"):
            if params.get(key):
                rows = [d for d in rows if str(d.get(key)) == params[key]]
        if params.get("invoice_ids"):
            wanted_ids = {_int(part) for part in params["invoice_ids"].split(",")}
            rows = [d for d in rows if d["id"] in wanted_ids]
        if params.get("order") == "updated_at.desc":
            rows = sorted(rows, key=lambda d: (d["updated_at"], d["id"]), reverse=True)
        per_page = min(max(_int(params.get("per_page")) or _DEFAULT_PER_PAGE, 1), _MAX_PER_PAGE)
        page = 1 if self.ignore_page else max(_int(params.get("page")) or 1, 1)
        chosen = rows[(page - 1) * per_page : page * per_page]
        include = params.get("include_positions") == "true"
        for document in chosen:
            self._refresh(account, document)
        return Reply.json([self._public(d, positions=include) for d in chosen])

    def _in_period(self, document: Mapping[str, Any], period: str, params: httpx.QueryParams) -> bool:
        if period == "all":
            return True
        issued = dt.date.fromisoformat(document["issue_date"])
        today = self._today()
        first = today.replace(day=1)
        if period == "this_month":
            return (issued.year, issued.month) == (today.year, today.month)
        if period == "last_month":
            previous = first - dt.timedelta(days=1)
            return (issued.year, issued.month) == (previous.year, previous.month)
        if period == "this_year":
            return issued.year == today.year
        if period == "last_year":
            return issued.year == today.year - 1
        if period == "last_30_days":
            return today - dt.timedelta(days=30) <= issued <= today
        if period == "last_12_months":
            return today - dt.timedelta(days=365) <= issued <= today
        try:
            start = dt.date.fromisoformat(params.get("date_from", "0001-01-01"))
            end = dt.date.fromisoformat(params.get("date_to", "9999-12-31"))
        except ValueError:
            return False
        return start <= issued <= end

    @route("PUT", "invoices/{id}.json")
    def update_invoice(self, request: FakeRequest) -> Reply:
        """``PUT /invoices/{id}.json``: partial; positions by ``id``, ``_destroy`` deletes (§3, §11)."""
        account, document = self._document(request)
        data = self._body(request).get("invoice")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"invoice": [texts.CANT_BE_BLANK]}), 422)
        if request.principal.read_only:
            return Reply.json(self._public(document), 200)
        errors: dict[str, list[str]] = {}
        if "status" in data and data["status"] not in _STATUSES:
            errors["status"] = [texts.INVALID]
        if "paid" in data and _number(data["paid"]) is None:
            errors["paid"] = [texts.NOT_A_NUMBER]
        if errors:
            return Reply.json(texts.field_error(errors), 422)
        if isinstance(data.get("positions"), list):
            show = _truthy(document.get("show_discount")) and document.get("discount_kind") in _DISCOUNT_KINDS
            problems: dict[str, list[str]] = {}

            def fail(field: str, text: str) -> None:
                problems.setdefault(field, []).append(text)

            kept = {p["id"]: p for p in document["positions"]}
            for item in data["positions"]:
                ident = _int(item.get("id")) if isinstance(item, dict) else None
                if ident is not None and _truthy(item.get("_destroy")):
                    kept.pop(ident, None)
                elif isinstance(item, dict):
                    merged = {**kept.get(ident or 0, {}), **item}
                    position = self._position(account, merged, document["kind"], show, document["discount_kind"], fail)
                    position["id"] = ident or max(kept, default=0) + 1
                    kept[position["id"]] = position
            if problems:
                return Reply.json(texts.field_error(problems), 422)
            document["positions"] = list(kept.values())
            net = sum((Decimal(p["total_price_net"]) for p in document["positions"]), Decimal("0.00"))
            gross = sum((Decimal(p["total_price_gross"]) for p in document["positions"]), Decimal("0.00"))
            document.update(price_net=_rails(net), price_tax=_rails(gross - net), price_gross=_rails(gross))
        for key, value in data.items():
            if key == "paid":
                document["paid"] = _rails(_round(_number(value) or Decimal(0)))
            elif key != "positions" and key != "id" and key in document:
                document[key] = value
        if "paid" in data and "status" not in data:
            # The paid amount alone marks the document paid, a proforma too (§0, FK-KODA
            # measured; §11 confirms by status). Partly paid: "partial" (the fake's reading).
            paid, gross = Decimal(document["paid"]), Decimal(document["price_gross"])
            if paid >= gross > 0:
                document["status"] = "paid"
            elif paid > 0:
                document["status"] = "partial"
        document["updated_at"] = self._stamp()
        return Reply.json(self._public(document))

    @route("DELETE", "invoices/{id}.json")
    def delete_invoice(self, request: FakeRequest) -> Reply:
        """``DELETE /invoices/{id}.json``; a KSeF document cannot be deleted (§3)."""
        account, document = self._document(request)
        if request.principal.read_only:
            return Reply.json({"code": "ok", "message": "Usunięto"})  # the fake's reading of §16: nothing done
        if document["gov_id"] or document["gov_status"] not in (None, "not_applicable", "not_connected"):
            return Reply.json(texts.error(texts.KSEF_NOT_DELETABLE), 422)  # sent to KSeF, or being sent
        document["_deleted"] = True
        self._move_stock(account, document, +1)
        return Reply.json({"code": "ok", "message": "Usunięto"})  # text not documented

    @route("POST", "invoices/cancel.json")
    def cancel_invoice(self, request: FakeRequest) -> Reply:
        """``POST /invoices/cancel.json`` ``{"cancel_invoice_id", "cancel_reason"}``; receipts refuse (§8)."""
        body = self._body(request)
        request.groups["id"] = str(body.get("cancel_invoice_id"))
        _, document = self._document(request)
        if document["kind"] == "receipt":
            return Reply.json(texts.error(texts.RECEIPT_NOT_CANCELLABLE), 422)
        if request.principal.read_only:
            return Reply.json(self._public(document))  # the fake's reading of §16: nothing done
        document["_cancelled"] = True
        document["cancel_reason"] = body.get("cancel_reason")
        return Reply.json(self._public(document))

    @route("POST", "invoices/{id}/change_status.json")
    def change_status(self, request: FakeRequest) -> Reply:
        """``change_status?status=``: errors come under HTTP 200; a proforma refuses ``paid`` with 422 (§2)."""
        _, document = self._document(request)
        status = request.params.get("status")
        if status not in _STATUSES:
            return Reply.json(texts.error(texts.BAD_STATUS), 200)
        if status == "paid" and document["kind"] == "proforma":
            return Reply.json(texts.error(texts.PROFORMA_STATUS), 422)
        if request.principal.read_only:
            return Reply.json({"code": "ok", "message": "Status zmieniony"})  # the fake's reading of §16
        document["status"] = status
        if status == "paid":
            document["paid"] = document["price_gross"]
        return Reply.json({"code": "ok", "message": "Status zmieniony"})  # text not documented

    @route("POST", "invoices/{id}/send_by_email.json")
    def send_by_email(self, request: FakeRequest) -> Reply:
        """``send_by_email``: at most five addresses; a KSeF document without its number errs under 200 (§2)."""
        account, document = self._document(request)
        addresses = [
            a
            for a in (request.params.get("email_to", "") + "," + request.params.get("email_cc", "")).split(",")
            if a.strip()
        ]
        if len(addresses) > 5:
            return Reply.json(texts.error(texts.TOO_MANY_ADDRESSES), 422)
        if (
            account.ksef
            and document["gov_status"] is not None
            and not document["gov_id"]
            and document["kind"] != "receipt"
        ):
            return Reply.json(texts.KSEF_NOT_SENT, 200)
        document["status"] = "sent" if document["status"] == "issued" else document["status"]
        return Reply.json({"status": "ok"})  # text not documented

    @route("GET", "invoices/{id}.pdf")
    def invoice_pdf(self, request: FakeRequest) -> Reply:
        """The PDF: 422 for ``pdf_delay`` s after a create, HTML on KSeF accounts until the number (§10)."""
        account, document = self._document(request)
        return self._pdf(account, document)

    def _pdf(self, account: FakeAccount, document: Mapping[str, Any]) -> Reply:
        if self.clock.time() - document["_created"] < self.pdf_delay:
            return Reply.json(texts.error(texts.PDF_NOT_READY), 422)
        if account.ksef and document["gov_status"] == "processing":
            return Reply(200, texts.KSEF_PENDING_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
        lines = [f"{document['kind'].upper()} {document['number']}", f"Wystawiono: {document['issue_date']}"]
        lines += [
            f"{p['name']}  {p['quantity']} x  {p['total_price_gross']} {document['currency']}"
            for p in document["positions"]
        ]
        lines.append(f"Razem brutto: {document['price_gross']} {document['currency']}")
        return Reply.pdf(make_pdf("\n".join(lines)), filename=f"{document['number'].replace('/', '_')}.pdf")

    @route("GET", "invoice/{token}.pdf")
    def public_pdf(self, request: FakeRequest) -> Reply:
        """The public PDF link (no token needed, §10)."""
        account: FakeAccount = request.principal.account
        for document in account.documents:
            if document["token"] == request.groups["token"] and not document.get("_deleted"):
                self._refresh(account, document)
                return self._pdf(account, document)
        return Reply.json(texts.NOT_FOUND, 404)

    @route("GET", "invoice/{token}")
    def public_view(self, request: FakeRequest) -> Reply:
        """The public view page of a document."""
        account: FakeAccount = request.principal.account
        for document in account.documents:
            if document["token"] == request.groups["token"] and not document.get("_deleted"):
                page = f"<html><body><h1>{document['number']}</h1></body></html>"
                return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply.json(texts.NOT_FOUND, 404)

    # Payments (§11).

    @route("POST", "banking/payments.json")
    def create_payment(self, request: FakeRequest) -> Reply:
        """``POST /banking/payments.json`` ``{"banking_payment": {...}}``; ``invoice_ids`` settles in order."""
        account: FakeAccount = request.principal.account
        data = self._body(request).get("banking_payment")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"banking_payment": [texts.CANT_BE_BLANK]}), 422)
        price = _number(data.get("price"))
        if price is None or price <= 0:
            return Reply.json(texts.field_error({"price": [texts.NOT_A_NUMBER]}), 422)
        ids = [_int(i) for i in data.get("invoice_ids") or []] or [_int(data.get("invoice_id"))]
        targets = [
            d for i in ids for d in account.documents if d["id"] == i and i is not None and not d.get("_deleted")
        ]
        if ids != [None] and len(targets) != len([i for i in ids if i is not None]):
            return Reply.json(texts.field_error({"invoice_id": [texts.NO_SUCH_DOCUMENT]}), 422)
        if request.principal.read_only:
            return Reply.json({**data, "id": None}, 200)
        left = price
        if _truthy(data.get("paid", True)):
            for document in targets:
                due = Decimal(document["price_gross"]) - Decimal(document["paid"])
                share = left if document is targets[-1] else min(left, max(due, Decimal(0)))
                document["paid"] = _rails(Decimal(document["paid"]) + share)
                document["status"] = (
                    "paid" if Decimal(document["paid"]) >= Decimal(document["price_gross"]) else "partial"
                )
                left -= share
        paid_date = str(data.get("paid_date") or self._today().isoformat())
        payment = {
            "id": 5550001 + len(account.payments),
            "name": data.get("name") or "",
            "price": _rails(price),
            "invoice_id": targets[0]["id"] if targets else None,
            "invoice_ids": [d["id"] for d in targets],
            "paid": _truthy(data.get("paid", True)),
            "kind": data.get("kind") or "api",
            "paid_date": f"{paid_date}T00:00:00.000+01:00",  # a timestamp (FK-CLIENT 0.2.1)
            "currency": data.get("currency") or (targets[0]["currency"] if targets else "PLN"),
        }
        account.payments.append(payment)
        return Reply.json(payment, 201)

    @route("GET", "banking/payments.json")
    def list_payments(self, request: FakeRequest) -> Reply:
        """``GET /banking/payments.json`` (``include=invoices``)."""
        return Reply.json(request.principal.account.payments)

    @route("GET", "banking/payments/{id}.json")
    def get_payment(self, request: FakeRequest) -> Reply:
        """``GET /banking/payments/{id}.json``; the README's singular path is a 404 (§16)."""
        ident = _int(request.groups["id"])
        for payment in request.principal.account.payments:
            if payment["id"] == ident:
                return Reply.json(payment)
        return Reply.json(texts.NOT_FOUND, 404)

    # Departments, products, warehouses (§7, §12).

    @route("GET", "departments.json")
    def list_departments(self, request: FakeRequest) -> Reply:
        """``GET /departments.json``."""
        return Reply.json(request.principal.account.departments)

    @route("GET", "departments/{id}.json")
    def get_department(self, request: FakeRequest) -> Reply:
        """``GET /departments/{id}.json``."""
        ident = _int(request.groups["id"])
        found = next((d for d in request.principal.account.departments if d["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    @route("GET", "products.json")
    def list_products(self, request: FakeRequest) -> Reply:
        """``GET /products.json`` (``page``, ``per_page``; ``warehouse_id`` adds the stock)."""
        products = request.principal.account.products
        per_page = min(max(_int(request.params.get("per_page")) or _DEFAULT_PER_PAGE, 1), _MAX_PER_PAGE)
        page = 1 if self.ignore_page else max(_int(request.params.get("page")) or 1, 1)
        shown = [dict(p) for p in products[(page - 1) * per_page : page * per_page]]
        if "warehouse_id" not in request.params:
            for product in shown:
                product.pop("stock_level", None)
        return Reply.json(shown)

    @route("GET", "products/{id}.json")
    def get_product(self, request: FakeRequest) -> Reply:
        """``GET /products/{id}.json``."""
        ident = _int(request.groups["id"])
        found = next((p for p in request.principal.account.products if p["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    @route("PUT", "products/{id}.json")
    def update_product(self, request: FakeRequest) -> Reply:
        """``PUT /products/{id}.json``: a lone ``price_net`` is ignored; net and gross together change (§16, FK-MCP)."""
        ident = _int(request.groups["id"])
        product = next((p for p in request.principal.account.products if p["id"] == ident), None)
        if product is None:
            return Reply.json(texts.NOT_FOUND, 404)
        data = self._body(request).get("product")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"product": [texts.CANT_BE_BLANK]}), 422)
        if request.principal.read_only:
            return Reply.json(product)  # the fake's reading of §16: nothing changed
        changes = {k: v for k, v in data.items() if k not in ("id", "stock_level")}
        if "price_net" in changes and "price_gross" not in changes:
            del changes["price_net"]  # the net price is derived from gross + tax, never edited alone
        product.update(changes)
        return Reply.json(product)

    @route("GET", "warehouses.json")
    def list_warehouses(self, request: FakeRequest) -> Reply:
        """``GET /warehouses.json``."""
        return Reply.json(request.principal.account.warehouses)

    @route("GET", "warehouses/{id}.json")
    def get_warehouse(self, request: FakeRequest) -> Reply:
        """``GET /warehouses/{id}.json`` (carried-over §1.2)."""
        ident = _int(request.groups["id"])
        found = next((w for w in request.principal.account.warehouses if w["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    # Clients (§3, carried-over §1.2).

    @route("GET", "clients.json")
    def list_clients(self, request: FakeRequest) -> Reply:
        """``GET /clients.json`` with the filters ``name``, ``email``, ``shortcut``, ``tax_no``, ``external_id``."""
        rows = request.principal.account.clients
        for key in ("name", "email", "shortcut", "tax_no", "external_id"):
            if request.params.get(key):
                rows = [c for c in rows if str(c.get(key) or "") == request.params[key]]
        per_page = min(max(_int(request.params.get("per_page")) or _DEFAULT_PER_PAGE, 1), _MAX_PER_PAGE)
        page = 1 if self.ignore_page else max(_int(request.params.get("page")) or 1, 1)
        return Reply.json(rows[(page - 1) * per_page : page * per_page])

    @route("GET", "clients/{id}.json")
    def get_client(self, request: FakeRequest) -> Reply:
        """``GET /clients/{id}.json``."""
        ident = _int(request.groups["id"])
        found = next((c for c in request.principal.account.clients if c["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    @route("POST", "clients.json")
    def create_client(self, request: FakeRequest) -> Reply:
        """``POST /clients.json`` ``{"client": {...}}``; ``name`` is needed (text not documented)."""
        account: FakeAccount = request.principal.account
        data = self._body(request).get("client")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"client": [texts.CANT_BE_BLANK]}), 422)
        if not str(data.get("name") or "").strip():
            return Reply.json(texts.field_error({"name": [texts.CANT_BE_BLANK]}), 422)
        client = {"id": None, **{k: v for k, v in data.items() if k != "id"}}
        if request.principal.read_only:
            return Reply.json(client, 200)  # as a read-only create of a document (§16)
        client["id"] = 9876 + len(account.clients)
        account.clients.append(client)
        return Reply.json(client, 201)

    @route("PUT", "clients/{id}.json")
    def update_client(self, request: FakeRequest) -> Reply:
        """``PUT /clients/{id}.json`` ``{"client": {...}}``."""
        ident = _int(request.groups["id"])
        client = next((c for c in request.principal.account.clients if c["id"] == ident), None)
        if client is None:
            return Reply.json(texts.NOT_FOUND, 404)
        data = self._body(request).get("client")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"client": [texts.CANT_BE_BLANK]}), 422)
        if not request.principal.read_only:
            client.update({k: v for k, v in data.items() if k != "id"})
        return Reply.json(client)

    @route("POST", "warehouse_documents.json")
    def create_warehouse_document(self, request: FakeRequest) -> Reply:
        """``POST /warehouse_documents.json`` (``wz`` out, ``pz`` in, ``mm`` transfer) moving stock (§12)."""
        account: FakeAccount = request.principal.account
        data = self._body(request).get("warehouse_document")
        if not isinstance(data, dict) or data.get("kind") not in ("wz", "pz", "mm"):
            return Reply.json(texts.field_error({"kind": [texts.INVALID]}), 422)
        actions = data.get("warehouse_actions")
        if not isinstance(actions, list) or not actions:
            return Reply.json(texts.field_error({"warehouse_actions": [texts.CANT_BE_BLANK]}), 422)
        if request.principal.read_only:
            return Reply.json({**data, "id": None}, 200)  # as a read-only create of a document (§16)
        sign = {"wz": -1, "pz": 1, "mm": 0}[data["kind"]]
        for action in actions:
            quantity = _number(action.get("quantity")) if isinstance(action, dict) else None
            if quantity is None:
                return Reply.json(texts.field_error({"warehouse_actions.quantity": [texts.NOT_A_NUMBER]}), 422)
            self._adjust(account, _int(action.get("product_id")), sign * quantity)
        record = {"id": 7770001 + len(account.warehouse_documents), **data, "invoice_ids": data.get("invoice_ids", [])}
        account.warehouse_documents.append(record)
        return Reply.json(record, 201)

    @route("PUT", "warehouse_documents/{id}.json")
    def update_warehouse_document(self, request: FakeRequest) -> Reply:
        """``PUT /warehouse_documents/{id}.json`` ``{"warehouse_document": {"invoice_ids": [...]}}``."""
        ident = _int(request.groups["id"])
        data = self._body(request).get("warehouse_document") or {}
        for record in request.principal.account.warehouse_documents:
            if record["id"] == ident and request.principal.read_only:
                return Reply.json(record)  # the fake's reading of §16: nothing changed
            if record["id"] == ident:
                record.update({k: v for k, v in data.items() if k != "id"})
                return Reply.json(record)
        return Reply.json(texts.NOT_FOUND, 404)

    def __repr__(self) -> str:
        accounts, documents = len(self._accounts), len(self._order)
        return f"FakturowniaFake(accounts={accounts}, documents={documents}, requests={self.request_count})"
