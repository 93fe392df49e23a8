"""A stateful fake of the Oblio.eu REST API, as an httpx transport.

Built from the Oblio sheet (``shared/providers/oblio.md``), never from the connector: it
keeps its own copy of every constant. What it models:

* OAuth client credentials at ``POST api/authorize/token`` (form or JSON, as the doc and
  the official clients send it), Bearer tokens valid 3600 s on the fake's clock, the two
  401 texts (``... has expired`` / ``... is invalid``), secret rotation (a new secret
  revokes the old one and its tokens);
* several logins and companies (``cif`` in every call; a login reaches only its own
  companies), each with series (``next``, zero-padded), VAT rates, languages, stock;
* ``POST api/docs/{invoice,proforma,notice}``: JSON only, required fields and types,
  ``vatIncluded`` defaulting to 1, discount lines, own numbering with
  ``disableAutoSeries``, ``collect`` at issue, ``useStock`` with ``management`` and
  ``code``, storno through ``referenceDocument`` (full with ``refund:1``; partial with
  negative quantities, OB-FG's positive balancing line allowed), and ``idempotencyKey``
  deduplication, account-wide (a key collides within a login's companies and between the
  logins of a company): a replayed key answers 200 with the first document (the sheet's
  safest reading, §14, §17.1);
* reads, ``invoice/list`` with its filters and paging, ``invoice/collect`` (JSON or form),
  cancel, restore, delete (the last document of a series only), nomenclatures;
* the public ``link`` (``utils/show_file``) serving a one-page PDF without the token;
* the documented limits: 30 creates / 100 s and 30 other calls / 10 s per token, plus the
  older "more than 3 requests per second blocks the token for 10 minutes" (§13), answered
  with HTTP 429 (UNCERTAIN in the sheet);
* the kit's faults, and :meth:`OblioFake.fail_after_commit` (a create stored, then 5xx).

Totals: every line is rounded half-up to 0.01 (net or gross, as ``vatIncluded`` says)
and split into net and VAT once; a discount line lowers the amount of the line(s) it
applies to before that split. How Oblio rounds discounts is not documented (UNCERTAIN).

Not modelled: webhooks, e-Factura, ``nomenclature/clients`` search by name, e-mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

import attrs

from ...clock import Clock
from ..base import FakeProvider
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts

__all__ = ["BASE_URL", "COLLECT_TYPES", "DEMO_CIF", "DEMO_EMAIL", "DEMO_SECRET", "OblioFake"]

BASE_URL = "https://www.oblio.eu/"
"""Oblio's host; the API lives under ``api/`` and the document links under ``utils/``."""

TOKEN_SECONDS = 3600
"""Lifetime of an access token (``expires_in`` of the token answer, §1)."""

COLLECT_TYPES: tuple[str, ...] = (
    "Chitanta",
    "Bon fiscal",
    "Bon fiscal card",
    "Alta incasare numerar",
    "Ordin de plata",
    "Mandat postal",
    "Card",
    "CEC",
    "Bilet ordin",
    "Alta incasare banca",
    "Ramburs",
)
"""The collect types, exactly as the doc lists them (§6)."""

PRODUCT_TYPES: tuple[str, ...] = (
    "Marfa",
    "Materii prime",
    "Materiale consumabile",
    "Semifabricate",
    "Produs finit",
    "Produs rezidual",
    "Produse agricole",
    "Animale si pasari",
    "Ambalaje",
    "Obiecte de inventar",
    "Serviciu",
)
"""``productType`` values (§5.2)."""

DEFAULT_VAT_RATES: tuple[tuple[str, Decimal, bool], ...] = (
    ("Normala", Decimal(21), True),
    ("Redusa", Decimal(11), False),
    ("SFDD", Decimal(0), False),
    ("SDD", Decimal(0), False),
    ("Taxare inversa", Decimal(0), False),
)
"""A new company's VAT nomenclature: the doc's names, Romania's rates since 2025-08 (§6)."""

DEFAULT_SERIES: tuple[tuple[str, str, str], ...] = (
    ("Factura", "FCT", "0001"),
    ("Proforma", "PRF", "0001"),
    ("Aviz", "AVZ", "0001"),
    ("Chitanta", "CHT", "0001"),
)
"""A new company's series ``(type, name, start)``; ``Aviz``/``Chitanta`` types are UNCERTAIN (§7)."""

LANGUAGES: tuple[tuple[str, str], ...] = (
    ("RO", "Romana"),
    ("EN", "Engleza"),
    ("FR", "Franceza"),
    ("IT", "Italiana"),
    ("SP", "Spaniola"),
    ("HU", "Maghiara"),
    ("DE", "Germana"),
)
"""``nomenclature/languages``: the doc's sample (``EN``/``Engleza``, §3) and the codes the
official WooCommerce plugin offers (OB-WOO ``_wp_oblio_get_languages``, §18)."""

DEMO_EMAIL = "demo@oblio.example"
DEMO_SECRET = "demo-api-secret-0123456789"
DEMO_CIF = "RO37311090"
SECOND_CIF = "RO12345674"

_DOC_TYPES = {"invoice": "Factura", "proforma": "Proforma", "notice": "Aviz"}
_KINDS = {"Factura": "invoice", "Proforma": "proforma", "Aviz": "notice"}
_CURRENCIES = frozenset("RON EUR USD GBP CHF HUF BGN PLN CZK SEK NOK DKK MDL TRY CAD AUD JPY CNY UAH".split())
_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _refuse(message: str, status: int = 400) -> FakeError:
    return FakeError(Reply.json({"status": status, "statusMessage": message}, status))


def _ok(data: Any, message: str = texts.MSG_SUCCESS) -> Reply:
    return Reply.json({"status": 200, "statusMessage": message, "data": data})


# Reading values the way a PHP service does: numbers may come as JSON numbers or numeric
# strings, 0/1 flags as numbers, strings or booleans (OB-WOO sends ``save: true``, OB-FG
# ``vatIncluded: true``).


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _refuse(texts.ERR_FIELD_TYPE.format(field=field)) from None
        if number.is_finite():
            return number
    raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))


def _flag(value: Any, field: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))


def _empty(value: Any) -> bool:
    """PHP's "nothing here", as a PHP service reads it.

    OB-WOO and OB-PHP's README send ``[]`` for no collect or reference document, and
    ``false`` for an option never saved (``get_option``); OB-GO's structs always marshal,
    so it sends ``{}`` for them. PHP's ``json_decode($body, true)`` reads ``[]`` and ``{}``
    as the same empty array.
    """
    return (
        value is None or value is False or value == [] or value == {} or (isinstance(value, str) and not value.strip())
    )


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if _empty(value):
        if required:
            raise _refuse(texts.ERR_FIELD_REQUIRED.format(field=field))
        return None
    if isinstance(value, (bool, dict, list)):
        raise _refuse(texts.ERR_FIELD_TYPE.format(field=field))
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _date(value: Any, field: str) -> str | None:
    text = _text(value, field)
    if text is None:
        return None
    if not _DATE.match(text):
        raise _refuse(texts.ERR_DATE.format(field=field))
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise _refuse(texts.ERR_DATE.format(field=field)) from None
    return text


def _same_number(stored: str, asked: str) -> bool:
    """``number=55`` finds ``"0055"`` (§3)."""
    if stored == asked:
        return True
    return stored.isdigit() and asked.isdigit() and int(stored) == int(asked)


def _unflatten(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Form fields with PHP brackets (``collect[type]=Card``) as nested dicts."""
    result: dict[str, Any] = {}
    for key, value in items:
        parts = re.findall(r"[^\[\]]+", key)
        if not parts:
            continue
        target = result
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[parts[-1]] = value
    return result


@attrs.define
class _Series:
    type: str
    name: str
    start: str
    next: int
    default: bool = True

    def take(self) -> str:
        number = str(self.next).zfill(len(self.start))
        self.next += 1
        return number


@attrs.define
class _StockItem:
    name: str
    code: str
    management: str
    work_station: str
    quantity: Decimal
    price: Decimal
    measuring_unit: str = "buc"
    product_type: str = "Marfa"


@attrs.define
class _Line:
    name: str
    quantity: Decimal
    price: Decimal
    vat_name: str
    vat_percent: Decimal
    vat_included: bool
    amount: Decimal
    code: str | None = None
    management: str | None = None
    measuring_unit: str = "buc"
    discount: Decimal = _ZERO

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        amount = self.amount - self.discount
        if self.vat_included:
            net = _money(amount / (1 + self.vat_percent / 100))
            return net, amount - net, amount
        vat = _money(amount * self.vat_percent / 100)
        return amount, vat, amount + vat


@attrs.define
class _Document:
    id: int
    cif: str
    doc_type: str
    series: str
    number: str
    issue_date: str
    due_date: str | None
    currency: str
    exchange_rate: Decimal | None
    precision: int
    client: dict[str, Any]
    lines: list[_Line]
    net: Decimal
    vat: Decimal
    total: Decimal
    mentions: str | None
    key: str | None
    link_token: str
    body: Any
    owner: str
    collects: list[dict[str, Any]] = attrs.Factory(list)
    canceled: bool = False
    deleted: bool = False
    storno_of: _Document | None = None
    refund: bool = False
    stornoed: Decimal = _ZERO
    fully_stornoed: bool = False

    @property
    def paid(self) -> Decimal:
        return sum((Decimal(str(collect["value"])) for collect in self.collects), _ZERO)


@attrs.define
class _Company:
    cif: str
    name: str
    ic: int
    use_stock: bool
    series: list[_Series]
    vat_rates: list[tuple[str, Decimal, bool]]
    managements: list[tuple[str, str, str]]
    stock: dict[tuple[str, str], _StockItem] = attrs.Factory(dict)
    clients: dict[str, dict[str, Any]] = attrs.Factory(dict)
    keys: dict[str, _Document] = attrs.Factory(dict)

    def series_named(self, name: str, kind: str) -> _Series | None:
        return next((s for s in self.series if s.name == name and s.type == kind), None)


@attrs.define
class _User:
    email: str
    secret: str
    cifs: set[str]
    keys: dict[str, _Document] = attrs.Factory(dict)


@attrs.define
class _Token:
    value: str
    email: str
    expires_at: float


def _is_create(request: FakeRequest) -> bool:
    return request.method == "POST" and request.path in ("api/docs/invoice", "api/docs/proforma", "api/docs/notice")


def _is_api(request: FakeRequest) -> bool:
    return request.path.startswith("api/")


class OblioFake(FakeProvider):
    """The Oblio.eu API over simulated logins, companies and documents.

    Args:
        clock: the fake's time (tokens expire and limits count on it).
        keep_log: keep every request in :attr:`requests`.
        email: the demo login's e-mail (``client_id``).
        api_secret: the demo login's API secret (``client_secret``).
        company_vat_code: the demo login's first company.
    """

    provider: ClassVar[str] = "oblio"
    base_urls: ClassVar[tuple[str, ...]] = (BASE_URL,)
    limits: ClassVar[tuple[FakeLimit, ...]] = (
        FakeLimit(3, 1.0, penalty_seconds=600.0, applies=_is_api, name="per-second"),
        FakeLimit(30, 100.0, applies=_is_create, name="creates"),
        FakeLimit(30, 10.0, applies=lambda request: _is_api(request) and not _is_create(request), name="others"),
    )
    demo_settings: ClassVar[Mapping[str, Any]] = {
        "email": DEMO_EMAIL,
        "api_secret": DEMO_SECRET,
        "company_vat_code": DEMO_CIF,
    }

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keep_log: bool = True,
        email: str = DEMO_EMAIL,
        api_secret: str = DEMO_SECRET,
        company_vat_code: str = DEMO_CIF,
    ) -> None:
        super().__init__(clock=clock, keep_log=keep_log)
        self._companies: dict[str, _Company] = {}
        self._users: dict[str, _User] = {}
        self._tokens: dict[str, _Token] = {}
        self._documents: list[_Document] = []
        self._next_id = 261751
        self._fail_after_commit = 0
        self._fail_status = 502
        self._issued = 0
        self.add_company(company_vat_code, "Demo Oblio SRL", use_stock=True)
        self.add_user(email, api_secret, [company_vat_code])

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> OblioFake:
        """The demo login with two companies (``RO37311090`` with stock, ``RO12345674``)."""
        fake = cls(clock=clock)
        fake.add_company(SECOND_CIF, "Al Doilea Magazin SRL", use_stock=False)
        fake.grant(DEMO_EMAIL, SECOND_CIF)
        return fake

    # Setting up accounts.

    def add_company(
        self,
        cif: str,
        name: str,
        *,
        use_stock: bool = False,
        series: Iterable[tuple[str, str, str]] = DEFAULT_SERIES,
        vat_rates: Iterable[tuple[str, Decimal, bool]] = DEFAULT_VAT_RATES,
    ) -> None:
        """Add a company; with ``use_stock`` it gets warehouse ``Magazin`` (work station ``Sediu``) and stock."""
        with self._lock:
            managements = [("Magazin", "Sediu", "Cantitativ Valorica")] if use_stock else []
            company = _Company(
                cif=cif,
                name=name,
                ic=91467 + len(self._companies),
                use_stock=use_stock,
                series=[_Series(kind, series_name, start, int(start)) for kind, series_name, start in series],
                vat_rates=list(vat_rates),
                managements=managements,
            )
            if use_stock:
                for code, product, price in (
                    ("SKU-1", "Produs A", "100"),
                    ("SKU-2", "Carte B", "50"),
                    ("TR-1", "Tricou", "49.90"),
                ):
                    company.stock[(code, "Magazin")] = _StockItem(
                        product, code, "Magazin", "Sediu", Decimal(1000), Decimal(price)
                    )
            self._companies[cif.upper()] = company

    def add_user(self, email: str, api_secret: str, cifs: Iterable[str]) -> None:
        """Add a login that may issue for the companies ``cifs``."""
        with self._lock:
            self._users[email.casefold()] = _User(email, api_secret, {cif.upper() for cif in cifs})

    def grant(self, email: str, cif: str) -> None:
        """Give a login access to one more company."""
        with self._lock:
            self._users[email.casefold()].cifs.add(cif.upper())

    def rotate_secret(self, email: str) -> str:
        """Regenerate a login's API secret (as a password reset does): the old one and its tokens stop working."""
        with self._lock:
            user = self._users[email.casefold()]
            user.secret = secrets.token_hex(16)
            for value in [value for value, token in self._tokens.items() if token.email == user.email.casefold()]:
                del self._tokens[value]
            return user.secret

    def add_stock(
        self, cif: str, code: str, name: str, quantity: Decimal | int | str, *, management: str = "Magazin"
    ) -> None:
        """Put ``quantity`` of a product into a company's warehouse."""
        with self._lock:
            company = self._companies[cif.upper()]
            item = company.stock.get((code, management))
            if item is None:
                station = next((m[1] for m in company.managements if m[0] == management), "Sediu")
                company.stock[(code, management)] = _StockItem(
                    name, code, management, station, Decimal(quantity), Decimal(0)
                )
            else:
                item.quantity += Decimal(quantity)

    def stock_of(self, cif: str, code: str, management: str = "Magazin") -> Decimal | None:
        """The quantity of a product in stock, or ``None`` when the warehouse has no such product."""
        with self._lock:
            item = self._companies[cif.upper()].stock.get((code, management))
            return None if item is None else item.quantity

    def expire_tokens(self) -> None:
        """Make every issued token expired (the next call answers ``... has expired``)."""
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, self.clock.time())

    @property
    def tokens_issued(self) -> int:
        """How many access tokens the token endpoint has handed out (valid or not)."""
        with self._lock:
            return self._issued

    def fail_after_commit(self, times: int = 1, status: int = 502) -> None:
        """The next ``times`` creates are stored and then answered with HTTP ``status``."""
        with self._lock:
            self._fail_after_commit = times
            self._fail_status = status

    # The pipeline hooks.

    def authenticate(self, request: FakeRequest) -> Any:
        """Bearer token check for ``api/`` (but not the token endpoint); the link needs none."""
        if not _is_api(request) or request.path == "api/authorize/token":
            return None
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _refuse(texts.ERR_TOKEN_MISSING, 401)
        token = self._tokens.get(header.removeprefix("Bearer ").strip())
        if token is None:
            raise _refuse(texts.ERR_TOKEN_INVALID, 401)
        if token.expires_at <= self.clock.time():
            raise _refuse(texts.ERR_TOKEN_EXPIRED, 401)
        return self._users[token.email]

    def limit_key(self, request: FakeRequest) -> str:
        """Limits count per access token (token requests per ``client_id``)."""
        if request.path == "api/authorize/token":
            fields = self._token_fields(request)
            return "client:" + str(fields.get("client_id", "")).casefold()
        return "token:" + str(request.headers.get("Authorization", ""))

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """HTTP 429 in Oblio's envelope (the real answer is UNCERTAIN, §13)."""
        return Reply.json({"status": 429, "statusMessage": texts.ERR_RATE_LIMIT}, 429)

    def not_found(self, request: FakeRequest) -> Reply:
        """An unknown path, in Oblio's envelope."""
        return Reply.json({"status": 404, "statusMessage": texts.ERR_NOT_FOUND_PATH.format(path=request.path)}, 404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """A method the path does not take."""
        body = {"status": 405, "statusMessage": texts.ERR_METHOD.format(method=request.method)}
        return Reply.json(body, 405, {"Allow": ", ".join(allowed)})

    def server_error(self, request: FakeRequest) -> Reply:
        """HTTP 500 in Oblio's envelope; nothing is stored."""
        return Reply.json({"status": 500, "statusMessage": texts.ERR_SERVER}, 500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """HTTP 200 whose body says ``status`` 400 (seen by a third-party suite, §2); nothing stored."""
        return Reply.json({"status": 400, "statusMessage": texts.ERR_FAULT_200}, 200)

    # Authentication.

    def _token_fields(self, request: FakeRequest) -> dict[str, Any]:
        kind = request.headers.get("Content-Type", "")
        try:
            if "json" in kind:
                body = request.json()
                return body if isinstance(body, dict) else {}
            if "x-www-form-urlencoded" in kind or "multipart" in kind:
                return dict(request.form())
        except ValueError:
            return {}
        return {}

    @route("POST", "api/authorize/token")
    def token(self, request: FakeRequest) -> Reply:
        """Client credentials: form (doc, OB-WOO, OB-GO-OFF) or JSON (OB-PHP, OB-JS); no envelope."""
        kind = request.headers.get("Content-Type", "")
        if not any(word in kind for word in ("json", "x-www-form-urlencoded", "multipart")):
            raise _refuse(texts.ERR_TOKEN_CONTENT_TYPE)  # OB-GO: the token request needs a Content-Type
        fields = self._token_fields(request)
        grant = fields.get("grant_type")
        if grant not in (None, "", "client_credentials"):
            raise _refuse(texts.ERR_GRANT_TYPE.format(grant=grant))
        user = self._users.get(str(fields.get("client_id") or "").casefold())
        if user is None or not secrets.compare_digest(str(fields.get("client_secret") or ""), user.secret):
            raise _refuse(texts.ERR_CLIENT_CREDENTIALS, 401)
        now = self.clock.time()
        value = secrets.token_hex(20)
        self._tokens[value] = _Token(value, user.email.casefold(), now + TOKEN_SECONDS)
        self._issued += 1
        return Reply.json(
            {
                "access_token": value,
                "expires_in": str(TOKEN_SECONDS),
                "token_type": "Bearer",
                "scope": "",
                "request_time": str(int(now)),
            }
        )

    def _company(self, request: FakeRequest, cif: Any) -> _Company:
        text = _text(cif, "cif")
        if text is None:
            raise _refuse(texts.ERR_CIF_MISSING)
        user: _User = request.principal
        company = self._companies.get(text.upper())
        if company is None or text.upper() not in user.cifs:
            raise _refuse(texts.ERR_COMPANY_ACCESS.format(cif=text), 401)
        return company

    def _write_body(self, request: FakeRequest, *, json_only: bool = False) -> dict[str, Any]:
        kind = request.headers.get("Content-Type", "")
        if "json" in kind:
            try:
                body = request.json()
            except ValueError:
                raise _refuse(texts.ERR_NOT_JSON) from None
            if not isinstance(body, dict):
                raise _refuse(texts.ERR_NOT_JSON)
            return body
        if json_only:
            raise _refuse(texts.ERR_JSON_REQUIRED)
        if request.content:
            try:
                return _unflatten(request.form_items())
            except ValueError:
                raise _refuse(texts.ERR_NOT_JSON) from None
        return _unflatten(request.params.multi_items())

    # Documents.

    @route("POST", "api/docs/{doctype}")
    def create(self, request: FakeRequest) -> Reply:
        """Create an invoice, proforma or notice (§3, §4, §5, §9)."""
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        body = self._write_body(request, json_only=True)  # "document creation must be raw JSON" (§1)
        company = self._company(request, body.get("cif"))
        user: _User = request.principal
        key = _text(body.get("idempotencyKey"), "idempotencyKey")
        if key is not None:
            # Keys are account-wide (§14, §16): the widest reading, a key collides with any
            # earlier use by this login (any company) or in this company (any login).
            used = [d for d in (user.keys.get(key), company.keys.get(key)) if d is not None and not d.deleted]
            first = used[0] if used else None
            if first is not None:
                # A replayed key answers the first document (safest reading, §14, §17.1).
                return _ok(self._created(first))
        document = self._build(company, user, doc_type, body, key)
        self._commit(company, document)
        if key is not None:
            user.keys[key] = company.keys[key] = document
        if self._fail_after_commit:
            self._fail_after_commit -= 1
            return Reply.json({"status": self._fail_status, "statusMessage": texts.ERR_SERVER}, self._fail_status)
        return _ok(self._created(document))

    def _created(self, document: _Document) -> dict[str, Any]:
        return {"seriesName": document.series, "number": document.number, "link": self._link(document)}

    def _link(self, document: _Document) -> str:
        ic = self._companies[document.cif].ic
        return f"{BASE_URL}utils/show_file/?ic={ic}&id={document.id}&it={document.link_token}"

    def _build(self, company: _Company, user: _User, doc_type: str, body: dict[str, Any], key: str | None) -> _Document:
        reference = None if _empty(body.get("referenceDocument")) else body.get("referenceDocument")
        original: _Document | None = None
        refund = False
        if reference is not None:
            if doc_type != "Factura" or not isinstance(reference, dict):
                raise _refuse(texts.ERR_FIELD_TYPE.format(field="referenceDocument"))
            ref_type = _text(reference.get("type"), "referenceDocument.type", required=True)
            if ref_type not in ("Factura", "Proforma", "Aviz"):
                raise _refuse(texts.ERR_REFERENCE_TYPE)
            ref_series = _text(reference.get("seriesName"), "referenceDocument.seriesName", required=True)
            ref_number = _text(reference.get("number"), "referenceDocument.number", required=True)
            assert ref_series is not None
            assert ref_number is not None
            original = self._find(company, ref_type, ref_series, ref_number)
            label = f"{ref_series}{ref_number}"
            if original is None:
                raise _refuse(texts.ERR_REFERENCE_MISSING.format(doc=label))
            refund = _flag(reference.get("refund"), "referenceDocument.refund", False)
            if ref_type == "Factura":
                if original.storno_of is not None:
                    raise _refuse(texts.ERR_STORNO_OF_STORNO.format(doc=label))
                if original.canceled:
                    raise _refuse(texts.ERR_CANCELED.format(doc=label))
                if original.fully_stornoed or (refund and original.stornoed != 0):
                    raise _refuse(texts.ERR_ALREADY_STORNO.format(doc=label))
        series_name = _text(body.get("seriesName"), "seriesName", required=True)
        assert series_name is not None
        series = company.series_named(series_name, doc_type)
        if series is None:
            raise _refuse(texts.ERR_SERIES.format(series=series_name))
        client = body.get("client")
        if original is not None and client is None:
            client = dict(original.client)
        if not isinstance(client, dict):
            raise _refuse(texts.ERR_FIELD_REQUIRED.format(field="client"))
        if _text(client.get("name"), "client.name") is None:
            raise _refuse(texts.ERR_CLIENT_NAME)
        for flag in ("vatPayer", "save", "autocomplete"):
            _flag(client.get(flag), f"client.{flag}", False)
        issue_date = _date(body.get("issueDate"), "issueDate") or dt.date.fromtimestamp(self.clock.time()).isoformat()
        due_date = _date(body.get("dueDate"), "dueDate")
        for field in ("deliveryDate", "collectDate"):
            _date(body.get(field), field)
        language = _text(body.get("language"), "language") or "RO"
        if language.upper() not in {code for code, _ in LANGUAGES}:
            raise _refuse(texts.ERR_LANGUAGE.format(language=language))
        precision = int(_number(body.get("precision", 2), "precision"))
        if not 2 <= precision <= 4:
            raise _refuse(texts.ERR_PRECISION)
        currency = (_text(body.get("currency"), "currency") or "RON").upper()
        if currency not in _CURRENCIES:
            raise _refuse(texts.ERR_CURRENCY.format(currency=currency))
        exchange_rate = _number(body["exchangeRate"], "exchangeRate") if body.get("exchangeRate") is not None else None
        for flag in ("sendEmail", "spvExtern", "disableAutoSeries"):
            _flag(body.get(flag), flag, False)
        use_stock = _flag(body.get("useStock"), "useStock", doc_type == "Aviz")
        if use_stock and not company.use_stock:
            if doc_type != "Proforma":
                raise _refuse(texts.ERR_STOCK_OFF)
            use_stock = False
        # useStock is an invoice (and notice) field (§5.1, §3). OB-WOO builds its proforma
        # from the invoice data, useStock included: the lines keep their warehouse (for the
        # invoice made from the proforma), but a proforma moves no goods.
        takes_stock = use_stock and doc_type != "Proforma"
        for field in ("mentions", "internalNote", "workStation", "orderNumber", "issuerName", "noticeNumber"):
            _text(body.get(field), field)
        storno = original is not None and ref_type_is_invoice(original)
        if original is not None and (refund or (not storno and not body.get("products"))):
            # A full storno reverses every line; an invoice from a proforma or notice copies them.
            sign = -1 if storno else 1
            lines = [
                attrs.evolve(
                    line, quantity=sign * line.quantity, amount=sign * line.amount, discount=sign * line.discount
                )
                for line in original.lines
            ]
        else:
            products = body.get("products")
            if not isinstance(products, list) or not products:
                raise _refuse(texts.ERR_PRODUCTS)
            lines = self._lines(company, products, use_stock, storno=storno)
        net = sum((line.totals()[0] for line in lines), _ZERO)
        vat = sum((line.totals()[1] for line in lines), _ZERO)
        if storno and not refund and (net + vat > 0 or all(line.quantity >= 0 for line in lines)):
            raise _refuse(texts.ERR_STORNO_POSITIVE)
        if storno and original is not None and not refund and original.stornoed + (net + vat) < -original.total:
            raise _refuse(texts.ERR_STORNO_EXCEEDS.format(doc=f"{original.series}{original.number}"))
        own_number = _flag(body.get("disableAutoSeries"), "disableAutoSeries", False)
        if own_number:
            number = _text(body.get("number"), "number")
            if number is None:
                raise _refuse(texts.ERR_NUMBER_REQUIRED)
            if self._find(company, doc_type, series_name, number, include_deleted=False) is not None:
                raise _refuse(texts.ERR_NUMBER_TAKEN.format(number=number, series=series_name))
        else:
            number = ""  # taken from the series when committed
        self._next_id += 1
        document = _Document(
            id=self._next_id,
            cif=company.cif.upper(),
            doc_type=doc_type,
            series=series_name,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            exchange_rate=exchange_rate,
            precision=precision,
            client=dict(client),
            lines=lines,
            net=net,
            vat=vat,
            total=net + vat,
            mentions=_text(body.get("mentions"), "mentions"),
            key=key,
            link_token=hashlib.sha256(f"{company.cif}|{self._next_id}|{secrets.token_hex(8)}".encode()).hexdigest()[
                :32
            ],
            body=body,
            owner=user.email.casefold(),
            storno_of=original if storno else None,
            refund=refund,
        )
        collect = None if _empty(body.get("collect")) else body.get("collect")
        if collect is not None:
            if doc_type != "Factura" or not isinstance(collect, dict):
                raise _refuse(texts.ERR_FIELD_TYPE.format(field="collect"))
            document.collects.append(self._collect(company, document, collect, issue_date))
        if takes_stock:
            self._take_stock(company, lines)
        return document

    def _lines(self, company: _Company, products: list[Any], use_stock: bool, *, storno: bool) -> list[_Line]:
        lines: list[_Line] = []
        undiscounted: list[_Line] = []
        for index, product in enumerate(products):
            if not isinstance(product, dict):
                raise _refuse(texts.ERR_FIELD_TYPE.format(field=f"products[{index}]"))
            name = _text(product.get("name"), "name")
            if name is None:
                raise _refuse(texts.ERR_PRODUCT_NAME.format(index=index + 1))
            if "discount" in product:
                self._discount(product, name, lines, undiscounted)
                continue
            if product.get("price") is None:
                raise _refuse(texts.ERR_PRODUCT_PRICE.format(name=name))
            price = _number(product["price"], "price")
            quantity = _number(product.get("quantity", 1), "quantity")
            if quantity < 0 and not storno:
                raise _refuse(texts.ERR_NEGATIVE_QUANTITY.format(name=name))
            # A partial storno may carry a positive line: OB-FG (production) balances
            # rounding with "Ajustare storno" at quantity +1 (§9). The storno as a whole must
            # reverse something (checked on its total).
            vat_name, vat_percent = self._vat(company, product, name)
            included = _flag(product.get("vatIncluded"), "vatIncluded", True)  # default 1 (§5.2)
            _flag(product.get("save"), "save", True)
            product_type = _text(product.get("productType"), "productType")
            if product_type is not None and product_type not in PRODUCT_TYPES:
                raise _refuse(texts.ERR_FIELD_TYPE.format(field="productType"))
            code = _text(product.get("code"), "code")
            management = _text(product.get("management"), "management")
            if use_stock and product_type != "Serviciu":
                if management is None or all(entry[0] != management for entry in company.managements):
                    raise _refuse(texts.ERR_MANAGEMENT.format(management=management or ""))
                if (code or "", management) not in company.stock:
                    raise _refuse(texts.ERR_STOCK_PRODUCT.format(name=name, code=code or "", management=management))
            line = _Line(
                name=name,
                quantity=quantity,
                price=price,
                vat_name=vat_name,
                vat_percent=vat_percent,
                vat_included=included,
                amount=_money(quantity * price),
                code=code,
                management=management if use_stock and product_type != "Serviciu" else None,
                measuring_unit=_text(product.get("measuringUnit"), "measuringUnit") or "buc",
            )
            lines.append(line)
            undiscounted.append(line)
        if not lines:
            raise _refuse(texts.ERR_PRODUCTS)
        return lines

    def _discount(self, product: dict[str, Any], name: str, lines: list[_Line], undiscounted: list[_Line]) -> None:
        value = _number(product.get("discount"), "discount")
        if value <= 0:
            raise _refuse(texts.ERR_DISCOUNT.format(name=name))
        kind = _text(product.get("discountType"), "discountType") or "valoric"
        if kind not in ("procentual", "valoric"):
            raise _refuse(texts.ERR_DISCOUNT_TYPE.format(name=name))
        all_above = _flag(product.get("discountAllAbove"), "discountAllAbove", False)
        targets = list(undiscounted) if all_above else lines[-1:]
        if not targets:
            raise _refuse(texts.ERR_DISCOUNT_FIRST.format(name=name))
        if kind == "procentual":
            if value > 100:
                raise _refuse(texts.ERR_DISCOUNT.format(name=name))
            for line in targets:
                line.discount += _money(line.amount * value / 100)
        else:
            base = sum((line.amount for line in targets), _ZERO)
            if value > base:
                raise _refuse(texts.ERR_DISCOUNT.format(name=name))
            left = value
            for position, line in enumerate(targets):
                share = left if position == len(targets) - 1 else _money(value * line.amount / base)
                line.discount += share
                left -= share
        for line in targets:
            if line in undiscounted:
                undiscounted.remove(line)

    def _vat(self, company: _Company, product: dict[str, Any], name: str) -> tuple[str, Decimal]:
        vat_name = _text(product.get("vatName"), "vatName")
        percent = (
            _number(product["vatPercentage"], "vatPercentage") if product.get("vatPercentage") is not None else None
        )
        for rate_name, rate, default in company.vat_rates:
            if vat_name is None and percent is None and default:
                return rate_name, rate
            named = vat_name is not None or percent is not None
            if named and (vat_name is None or vat_name == rate_name) and (percent is None or percent == rate):
                return rate_name, rate
        shown = " ".join(part for part in (vat_name, None if percent is None else f"{percent}%") if part)
        raise _refuse(texts.ERR_VAT.format(vat=shown, name=name))

    def _take_stock(self, company: _Company, lines: list[_Line]) -> None:
        needed: dict[tuple[str, str], Decimal] = {}
        for line in lines:
            if line.management is not None:
                key = (line.code or "", line.management)
                needed[key] = needed.get(key, Decimal(0)) + line.quantity
        for key, quantity in needed.items():
            item = company.stock[key]
            if item.quantity < quantity:
                raise _refuse(texts.ERR_STOCK_LOW.format(name=item.name, management=item.management))
        for key, quantity in needed.items():
            company.stock[key].quantity -= quantity

    def _collect(self, company: _Company, document: _Document, collect: dict[str, Any], today: str) -> dict[str, Any]:
        kind = _text(collect.get("type"), "collect.type", required=True)
        if kind not in COLLECT_TYPES:
            raise _refuse(texts.ERR_COLLECT_TYPE.format(type=kind))
        issue_date = _date(collect.get("issueDate"), "collect.issueDate") or today
        value = _number(collect["value"], "collect.value") if collect.get("value") is not None else None
        if value is None:
            value = max(document.total - document.paid, _ZERO)
        if value <= 0:
            raise _refuse(texts.ERR_COLLECT_VALUE)
        entry: dict[str, Any] = {"issueDate": issue_date, "type": kind, "value": value}
        if kind == "Chitanta":
            series_name = _text(collect.get("seriesName"), "collect.seriesName")
            series = None if series_name is None else company.series_named(series_name, "Chitanta")
            if series_name is None:
                raise _refuse(texts.ERR_COLLECT_SERIES)
            if series is None:
                raise _refuse(texts.ERR_SERIES.format(series=series_name))
            entry["seriesName"] = series_name
            entry["number"] = series  # numbered when committed
        else:
            number = _text(collect.get("documentNumber"), "collect.documentNumber")
            if number is None:
                raise _refuse(texts.ERR_COLLECT_NUMBER)
            entry["number"] = number
        mentions = _text(collect.get("mentions"), "collect.mentions")
        if mentions:
            entry["mentions"] = mentions
        return entry

    def _commit(self, company: _Company, document: _Document) -> None:
        if not document.number:
            series = company.series_named(document.series, document.doc_type)
            assert series is not None
            document.number = series.take()
        self._number_collects(document)
        if document.storno_of is not None:
            original = document.storno_of
            original.stornoed += document.total
            if document.refund:
                original.fully_stornoed = True
                original.collects.clear()  # refund:1 also deletes the payment (§9)
        self._documents.append(document)
        if _flag(document.client.get("save"), "client.save", False):
            company.clients[str(document.client.get("cif") or document.client.get("name"))] = dict(document.client)

    @staticmethod
    def _number_collects(document: _Document) -> None:
        for collect in document.collects:
            if isinstance(collect["number"], _Series):
                collect["number"] = collect["number"].take()

    def _find(
        self, company: _Company, doc_type: str, series: str, number: str, *, include_deleted: bool = False
    ) -> _Document | None:
        for document in reversed(self._documents):
            if document.cif != company.cif.upper() or document.doc_type != doc_type or document.series != series:
                continue
            if document.deleted and not include_deleted:
                continue
            if _same_number(document.number, number):
                return document
        return None

    def _located(self, request: FakeRequest, body: Mapping[str, Any], doc_type: str) -> tuple[_Company, _Document]:
        company = self._company(request, body.get("cif"))
        series = _text(body.get("seriesName"), "seriesName", required=True)
        number = _text(body.get("number"), "number", required=True)
        assert series is not None
        assert number is not None
        document = self._find(company, doc_type, series, number)
        if document is None:
            raise _refuse(texts.ERR_DOCUMENT_MISSING)
        return company, document

    def _read_shape(self, document: _Document) -> dict[str, Any]:
        return {
            "documentType": document.doc_type,
            "seriesName": document.series,
            "number": document.number,
            "link": self._link(document),
            "collects": [
                {"issueDate": c["issueDate"], "type": c["type"], "number": c["number"], "value": c["value"]}
                for c in document.collects
            ],
        }

    @route("GET", "api/docs/{doctype}")
    def read(self, request: FakeRequest) -> Reply:
        """``GET api/docs/{type}?cif=&seriesName=&number=`` (§3)."""
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        _, document = self._located(request, dict(request.params), doc_type)
        return _ok(self._read_shape(document))

    @route("GET", "api/docs/invoice/list")
    def list_invoices(self, request: FakeRequest) -> Reply:
        """``GET api/docs/invoice/list`` with its filters, order and paging (§3, §15)."""
        params = request.params
        company = self._company(request, params.get("cif"))
        limit = int(_number(params.get("limitPerPage", "100"), "limitPerPage"))
        if not 1 <= limit <= 100:
            raise _refuse(texts.ERR_LIMIT_PER_PAGE)
        offset = int(_number(params.get("offset", "0"), "offset"))
        order_by = params.get("orderBy", "id")
        if order_by not in ("id", "issueDate", "number"):
            raise _refuse(texts.ERR_ORDER_BY)
        rows = [
            d for d in self._documents if d.cif == company.cif.upper() and d.doc_type == "Factura" and not d.deleted
        ]
        if params.get("seriesName"):
            rows = [d for d in rows if d.series == params["seriesName"]]
        if params.get("number"):
            rows = [d for d in rows if _same_number(d.number, params["number"])]
        if params.get("id"):
            rows = [d for d in rows if str(d.id) == params["id"]]
        for field in ("cif", "email", "phone", "code"):
            wanted = params.get(f"client[{field}]")
            if wanted:
                rows = [d for d in rows if str(d.client.get(field) or "") == wanted]
        canceled, collected = params.get("canceled", "-1"), params.get("collected", "-1")
        if canceled in ("0", "1"):
            rows = [d for d in rows if d.canceled is (canceled == "1")]
        if collected in ("0", "1"):
            rows = [d for d in rows if (d.paid >= d.total) is (collected == "1")]
        if params.get("draft") == "1":
            rows = []  # the API creates no drafts (§15)
        if params.get("issuedAfter"):
            after = _date(params["issuedAfter"], "issuedAfter") or ""
            rows = [d for d in rows if d.issue_date >= after]
        if params.get("issuedBefore"):
            before = _date(params["issuedBefore"], "issuedBefore") or ""
            rows = [d for d in rows if d.issue_date <= before]
        keys = {
            "id": lambda d: d.id,
            "issueDate": lambda d: (d.issue_date, d.id),
            "number": lambda d: (d.series, d.number),
        }
        rows.sort(key=keys[order_by], reverse=params.get("orderDir", "ASC").upper() == "DESC")
        page = rows[offset : offset + limit]
        with_collects = params.get("withCollects") == "1"
        with_products = params.get("withProducts") == "1"
        return _ok([self._row(document, with_collects, with_products) for document in page])

    def _row(self, document: _Document, with_collects: bool, with_products: bool) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": str(document.id),
            "draft": "0",
            "canceled": "1" if document.canceled else "0",
            "collected": "1" if document.paid >= document.total else "0",
            "type": "Factura",
            "seriesName": document.series,
            "number": document.number,
            "issueDate": document.issue_date,
            "dueDate": document.due_date,
            "precision": str(document.precision),
            "currency": document.currency,
            "exchangeRate": str(document.exchange_rate or 1),
            "total": str(document.total),
            "mentions": document.mentions,
            "link": self._link(document),
            "einvoice": "",
            "einvoiceStatus": {"text": "", "sent": "-1", "code": "-1"},
            "client": {
                "clientId": str(abs(hash(str(document.client.get("cif") or document.client.get("name")))) % 10_000_000),
                "cif": document.client.get("cif"),
                "name": document.client.get("name"),
                "email": document.client.get("email"),
                "phone": document.client.get("phone"),
                "code": document.client.get("code"),
            },
        }
        if with_collects:
            row["collects"] = self._read_shape(document)["collects"]
        if with_products:
            row["products"] = [
                {"name": line.name, "code": line.code, "quantity": line.quantity, "price": line.price,
                 "vatName": line.vat_name, "vatPercentage": line.vat_percent}
                for line in document.lines
            ]  # fmt: skip
        return row

    @route("PUT", "api/docs/invoice/collect")
    def collect(self, request: FakeRequest) -> Reply:
        """``PUT api/docs/invoice/collect`` (JSON, or form data as other writes accept, §1, §11)."""
        body = self._write_body(request)
        company, document = self._located(request, body, "Factura")
        if document.canceled:
            raise _refuse(texts.ERR_CANCELED.format(doc=f"{document.series}{document.number}"))
        collect = body.get("collect")
        if not isinstance(collect, dict):
            raise _refuse(texts.ERR_FIELD_REQUIRED.format(field="collect"))
        today = dt.date.fromtimestamp(self.clock.time()).isoformat()
        entry = self._collect(company, document, collect, today)
        document.collects.append(entry)
        self._number_collects(document)
        return _ok(self._read_shape(document))

    @route("PUT", "api/docs/{doctype}/cancel")
    def cancel(self, request: FakeRequest) -> Reply:
        """Cancel a document; its number stays taken (§9)."""
        return self._set_canceled(request, True, texts.MSG_CANCELED)

    @route("PUT", "api/docs/{doctype}/restore")
    def restore(self, request: FakeRequest) -> Reply:
        """Restore a cancelled document."""
        return self._set_canceled(request, False, texts.MSG_RESTORED)

    def _set_canceled(self, request: FakeRequest, canceled: bool, message: str) -> Reply:
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        _, document = self._located(request, self._write_body(request), doc_type)
        document.canceled = canceled
        data = {
            "documentType": doc_type,
            "seriesName": document.series,
            "number": document.number,
            "link": self._link(document),
        }
        return _ok(data, message)

    @route("DELETE", "api/docs/{doctype}")
    def delete(self, request: FakeRequest) -> Reply:
        """Delete the last document of a series (JSON body as OB-PHP, or query string as OB-FG)."""
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        body = self._write_body(request)
        company, document = self._located(request, body, doc_type)
        series = company.series_named(document.series, doc_type)
        if series is None or str(series.next - 1).zfill(len(series.start)) != document.number:
            raise _refuse(texts.ERR_NOT_LAST)
        _flag(body.get("deleteCollect"), "deleteCollect", False)
        document.deleted = True
        series.next -= 1
        if document.storno_of is not None:
            document.storno_of.stornoed -= document.total
            document.storno_of.fully_stornoed = False
        data = {"documentType": doc_type, "seriesName": document.series, "number": document.number}
        return _ok(data, texts.MSG_DELETED)

    # Nomenclatures.

    @route("GET", "api/nomenclature/{name}")
    def nomenclature(self, request: FakeRequest) -> Reply:
        """``series``, ``vat_rates``, ``companies``, ``languages``, ``management``, ``products``, ``clients``."""
        name = request.groups["name"]
        user: _User = request.principal
        if name == "companies":
            return _ok(
                [
                    {
                        "cif": company.cif,
                        "company": company.name,
                        "userTypeAccess": "admin",
                        "useStock": int(company.use_stock),
                    }
                    for cif, company in self._companies.items()
                    if cif in user.cifs
                ]
            )
        company = self._company(request, request.params.get("cif"))
        offset = int(_number(request.params.get("offset", "0"), "offset"))
        if name == "series":
            wanted = request.params.get("type")
            return _ok(
                [
                    {
                        "type": s.type,
                        "name": s.name,
                        "start": s.start,
                        "next": str(s.next).zfill(len(s.start)),
                        "default": s.default,
                    }
                    for s in company.series
                    if not wanted or s.type == wanted
                ]
            )
        if name == "vat_rates":
            return _ok([{"name": n, "percent": p, "default": d} for n, p, d in company.vat_rates])
        if name == "languages":
            return _ok([{"code": code, "name": label} for code, label in LANGUAGES])
        if name == "management":
            if not company.use_stock:
                raise _refuse(texts.ERR_STOCK_OFF)
            return _ok([{"management": m, "workStation": w, "managementType": t} for m, w, t in company.managements])
        if name == "products":
            items = list(company.stock.values())
            for field, attribute in (("code", "code"), ("management", "management"), ("workStation", "work_station")):
                if request.params.get(field):
                    items = [item for item in items if getattr(item, attribute) == request.params[field]]
            if request.params.get("name"):
                items = [item for item in items if request.params["name"].casefold() in item.name.casefold()]
            return _ok([self._product(item) for item in items[offset : offset + 250]])
        if name == "clients":
            found = list(company.clients.values())
            if request.params.get("clientCif"):
                found = [client for client in found if client.get("cif") == request.params["clientCif"]]
            return _ok(found[offset : offset + 250])
        return self.not_found(request)

    @staticmethod
    def _product(item: _StockItem) -> dict[str, Any]:
        return {
            "name": item.name,
            "code": item.code,
            "description": "",
            "measuringUnit": item.measuring_unit,
            "productType": item.product_type,
            "price": item.price,
            "currency": "RON",
            "vatName": "Normala",
            "vatPercentage": 21,
            "vatIncluded": True,
            "stock": [
                {
                    "workStation": item.work_station,
                    "management": item.management,
                    "quantity": item.quantity,
                    "price": item.price,
                }
            ],
        }

    # The public link.

    @route("GET", "utils/show_file")
    def show_file(self, request: FakeRequest) -> Reply:
        """The document's public link: a PDF, no API token needed (§10)."""
        params = request.params
        document = next(
            (d for d in self._documents if str(d.id) == params.get("id") and d.link_token == params.get("it")), None
        )
        if document is None or str(self._companies[document.cif].ic) != params.get("ic"):
            return Reply(404, f"<html><body>{texts.ERR_LINK}</body></html>".encode(), {"Content-Type": "text/html"})
        company = self._companies[document.cif]
        title = "Factura storno" if document.storno_of is not None else document.doc_type
        text = (
            f"{title} {document.series} {document.number}\n{company.name} CIF {company.cif}\n"
            f"Client: {document.client.get('name')}\nData: {document.issue_date}\n"
            f"Total: {document.total} {document.currency}"
        )
        filename = f"{document.doc_type}_{document.series}_{document.number}.pdf"
        return Reply.pdf(make_pdf(text), filename, {"Content-Disposition": f'inline; filename="{filename}"'})

    # What every fake shows.

    def stored(self) -> list[StoredDocument]:
        """Every document created through the API, oldest first (deleted ones marked cancelled)."""
        return [self._snapshot(document) for document in self._documents]

    def _snapshot(self, document: _Document) -> StoredDocument:
        storno = document.storno_of
        return StoredDocument(
            provider="oblio",
            account=document.cif,
            kind="storno" if storno is not None else _KINDS[document.doc_type],
            number=document.number,
            series=document.series,
            id=str(document.id),
            issue_date=document.issue_date,
            currency=document.currency,
            total=document.total,
            paid=document.paid,
            reference=document.key,
            cancelled=document.canceled or document.deleted,
            corrects=None if storno is None else f"{storno.series}{storno.number}",
            body=document.body,
            detail={
                "mentions": document.mentions,
                "collects": [dict(collect) for collect in document.collects],
                "link": self._link(document),
                "net": document.net,
                "vat": document.vat,
                "refund": document.refund,
                "deleted": document.deleted,
                "client": dict(document.client),
                "owner": document.owner,
                "lines": [
                    {
                        "name": line.name,
                        "quantity": line.quantity,
                        "price": line.price,
                        "discount": line.discount,
                        "vat": line.vat_percent,
                        "totals": line.totals(),
                        "code": line.code,
                    }
                    for line in document.lines
                ],
            },
        )


def ref_type_is_invoice(document: _Document) -> bool:
    """Whether a referenced document is an invoice (storno), not a proforma or notice to invoice."""
    return document.doc_type == "Factura"
