"""A fake Fakturowo.pl, built from ``shared/providers/fakturowo.md`` (cited as §N).

It keeps its own copy of every constant it needs and never imports the connector. What it
does, as the sheet describes the service:

* One endpoint, ``/api`` on ``www.fakturowo.pl`` and ``konto.fakturowo.pl`` (§1), taking
  form fields (url-encoded, or multipart as FO-LARAVEL's cURL arrays send; GET with the
  fields in the query also works, as FO-DOC says, for testing). ``api_id`` is the key;
  ``api_zadanie`` the task: ``1`` issues, ``3`` lists (§3); ``api_status`` without a task
  saves a document "to issue" (§3). ``api_kodowanie`` is accepted and ignored: bytes are
  read as UTF-8 (FO-CS sends ``0`` with UTF-8 bytes).
* Answers are plain-text lines under HTTP 200; errors are ``0`` and a Polish text on the
  next line (:mod:`.messages`, the fake's own texts: the sheet has none).
* Lines are the numbered sets ``produkt_*_N`` *and* the unsuffixed set, each a line of its
  own (the unsuffixed one first), whatever the numbers: FO-PHP (unsuffixed + ``_1..N``),
  FO-CS (``_1..N``) and FO-LARAVEL (unsuffixed, ``_2``, ``_3``...) all pass (§ Changes).
* The issue answer with ``dokument_dostep=1`` is ``1``, ``api_numer``, an empty line (its
  meaning is unknown, §17.2) and the document link; the link serves a PDF, or an HTML page
  with ``link_serves="html"``. ``pobierz?api_id=&api_numer=`` serves the PDF (FO-LIST, §10).
* Several accounts (a hub exports for many merchants), each with its keys (rotation with
  :meth:`FakturowoFake.rotate_key`), its own numbering per kind and month, and its list.
* One call at a time per account (FO-DOC "synchronously", §1, §13): an API call is in
  flight from its arrival until its answer leaves, :data:`ANSWER_SECONDS` later on the
  fake's clock (the fake waits that long before answering), and a call of the same account
  that arrives meanwhile is refused with :data:`.messages.CONCURRENT` (a ``0`` answer,
  HTTP 200). Only overlap is refused: the 0.5 s spacing of §13 is the sheet's advice to
  clients, not a documented rule of the service, so a synchronous client that calls again
  as soon as it has its answer passes, and so does FO-LIST's 300 ms between list pages.
* No duplicate guard (§14): a repeated own ``dokument_numer`` is issued again, as nothing
  in the sheet says Fakturowo refuses it.

The list's order is not documented (§14): ``list_order`` chooses newest or oldest first.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import hashlib
import itertools
import re
import urllib.parse
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

import attrs
import httpx

from ...clock import Clock
from ..base import FakeProvider
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import messages

__all__ = ["DEMO_API_ID", "DEMO_SELLER_NAME", "DEMO_SELLER_NIP", "FakturowoFake"]

DEMO_API_ID = "demo-api-id"
DEMO_SELLER_NIP = "1111111111"  # the sheet's §4 example seller (a valid check digit)
DEMO_SELLER_NAME = "Sprzedawca Sp. z o.o."

# The fake's own copies of the sheet's code lists (§5, §6), all UNCERTAIN there.
KINDS: Mapping[str, str] = {
    "0": "VAT invoice", "2": "proforma (VAT)", "53": "proforma", "3": "advance", "4": "internal", "5": "margin",
    "6": "bill", "12": "simplified", "13": "cash-register invoice", "14": "collective", "20": "receipt",
    "21": "invoice without VAT", "26": "VAT RR", "29": "external issue", "33": "external issue", "31": "final",
    "35": "reverse charge", "36": "PW", "37": "PZ", "38": "WZ", "40": "internal VAT", "41": "WDT",
    "42": "export of goods", "43": "WNT", "44": "VAT MP", "45": "reverse charge without VAT",
    "48": "services export", "49": "services export VAT-UE", "50": "goods import", "51": "services import",
    "52": "services import VAT-UE", "58": "margin advance", "59": "margin final", "60": "margin final",
    "62": "faktura",
}  # fmt: skip
"""``dokument_rodzaj`` (FO-LARAVEL 2019, §5.1)."""
KIND_WORDS: Mapping[str, str] = {"0": "invoice", "20": "receipt"}
NUMBER_PREFIX: Mapping[str, str] = {"0": "FV", "20": "PAR"}  # the fake's own printed format
CURRENCIES = (
    "PLN EUR USD GBP CHF CAD AUD JPY THB HKD NZD SGD HUF UAH CZK DKK ISK NOK SEK HRK RON BGN TRY ILS CLP PHP "
    "MXN ZAR BRL MYR RUB IDR INR KRW CNY XDR".split()
)
"""``dokument_waluta`` 0..35 (FO-CS, §5.1)."""
VAT_PERCENT: Mapping[str, Decimal] = {
    "23": Decimal(23), "8": Decimal(8), "5": Decimal(5), "0": Decimal(0),
    "zw": Decimal(0), "np": Decimal(0), "oo": Decimal(0),
}  # fmt: skip
"""``produkt_stawka_vat`` (FO-LARAVEL ``Price``, §6)."""
PAYMENT_CODES = frozenset(str(code) for code in range(45))
"""``dokument_zaplata`` 0..44 (FO-LARAVEL 2019, §6)."""
PAID_STATUS = frozenset({"0", "1", "2"})
"""``dokument_status``: 0 unpaid, 1 paid, 2 partially paid (§6)."""
LINE_FIELDS = frozenset(
    {
        "produkt_nazwa",
        "produkt_ilosc",
        "produkt_jm",
        "produkt_stawka_vat",
        "produkt_cena_netto",
        "produkt_wartosc_brutto",
    }
)
"""The per-line fields (§5.3)."""
PAGE_SIZE = 100
"""Documents per page of the list (FO-LIST, §3)."""
ANSWER_SECONDS = 0.01
"""How long the fake takes to answer an API call: the call is in flight (the account busy)
from its arrival until then. The service's own time is not documented; this is short so
that a client pacing itself at the sheet's advice (§13) stays near that ceiling."""

_LINE_NAME = re.compile(r"(produkt_[a-z_]*?[a-z])(?:_([0-9]+))?\Z")
_DATE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})\Z")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")
_CENT = Decimal("0.01")


def _api_call(request: Any) -> bool:
    return bool(request is not None and request.path in ("api", "pobierz"))


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _refuse(text: str) -> FakeError:
    return FakeError(Reply.text(f"0\n{text}\n"))


@attrs.define
class _Account:
    nip: str
    name: str
    keys: set[str]
    documents: list[_Document] = attrs.field(factory=list)
    waiting: list[_Document] = attrs.field(factory=list)
    counters: dict[tuple[str, int, int], int] = attrs.field(factory=dict)


@attrs.define
class _Document:
    account: _Account
    api_numer: str
    kind: str
    number: str
    issued: dt.date
    sold: dt.date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    status: str
    paid: Decimal
    payment_code: str | None
    due_days: str | None
    reference: str | None
    buyer: dict[str, str]
    seller: dict[str, str]
    lines: list[dict[str, Any]]
    by_rate: dict[str, dict[str, Decimal]]
    notes: str | None
    token: str
    fields: dict[str, str]

    def snapshot(self, link: str) -> StoredDocument:
        detail = {
            "api_numer": self.api_numer,
            "kind_code": self.kind,
            "net": self.net,
            "vat": self.vat,
            "status": self.status,
            "payment_code": self.payment_code,
            "due_days": self.due_days,
            "buyer": dict(self.buyer),
            "seller": dict(self.seller),
            "lines": [dict(line) for line in self.lines],
            "by_rate": {rate: dict(sums) for rate, sums in self.by_rate.items()},
            "notes": self.notes,
            "link": link,
        }
        return StoredDocument(
            provider="fakturowo",
            account=self.account.nip,
            kind=KIND_WORDS.get(self.kind, f"rodzaj {self.kind}"),
            number=self.number,
            id=self.api_numer,
            issue_date=self.issued.isoformat(),
            currency=self.currency,
            total=self.gross,
            paid=self.paid,
            reference=self.reference,
            body=dict(self.fields),
            detail=detail,
        )


@attrs.frozen
class _Principal:
    account: _Account
    fields: Mapping[str, str]


class FakturowoFake(FakeProvider):
    """An in-memory Fakturowo.pl: accounts, keys, documents, the line answers, the one-call rule.

    Args:
        api_id: the demo account's key.
        seller_nip: the demo account's company NIP.
        seller_name: the demo account's company name.
        list_order: the list task's order (UNCERTAIN at the service): ``"newest_first"`` or
            ``"oldest_first"``.
        link_serves: what the document link answers: ``"pdf"`` or ``"html"`` (FO-PHP calls the
            link the "HTML document URL", so the live link may well open a page).
        clock: the fake's time (give the client the same one).
        keep_log: keep every request in :attr:`requests`.
    """

    provider: ClassVar[str] = "fakturowo"
    base_urls: ClassVar[tuple[str, ...]] = ("https://www.fakturowo.pl/", "https://konto.fakturowo.pl/")
    # One call per account per answer time, counted from arrival: a call refused by it
    # arrived while the previous one had not been answered (FO-DOC "synchronously", §13).
    # The window is 2 ms shorter than the answer time: the windows count whole milliseconds,
    # and a call sent the moment the previous answer is out must never be refused by rounding.
    limits: ClassVar[tuple[FakeLimit, ...]] = (
        FakeLimit(1, ANSWER_SECONDS - 0.002, applies=_api_call, name="synchronous"),
    )
    demo_settings: ClassVar[Mapping[str, Any]] = {
        "api_id": DEMO_API_ID,
        "seller_nip": DEMO_SELLER_NIP,
        "seller_name": DEMO_SELLER_NAME,
    }

    def __init__(
        self,
        *,
        api_id: str = DEMO_API_ID,
        seller_nip: str = DEMO_SELLER_NIP,
        seller_name: str = DEMO_SELLER_NAME,
        list_order: Literal["newest_first", "oldest_first"] = "newest_first",
        link_serves: Literal["pdf", "html"] = "pdf",
        clock: Clock | None = None,
        keep_log: bool = True,
    ) -> None:
        super().__init__(clock=clock, keep_log=keep_log)
        self.list_order = list_order
        """The list task's order: ``"newest_first"`` or ``"oldest_first"``."""
        self.link_serves = link_serves
        """What document links answer: ``"pdf"`` or ``"html"``."""
        self._accounts: dict[str, _Account] = {}
        self._by_key: dict[str, _Account] = {}
        self._by_token: dict[str, _Document] = {}
        self._by_id: dict[str, _Document] = {}
        self._issued: list[_Document] = []
        self._ids = itertools.count(1_000_001)
        self._key_serial = itertools.count(1)
        self.add_account(seller_nip, seller_name, api_id=api_id)

    # Accounts and keys.

    def add_account(self, nip: str, name: str, *, api_id: str | None = None) -> str:
        """Add a Fakturowo account for the company ``nip``; returns its API key."""
        with self._lock:
            if nip in self._accounts:
                raise ValueError(f"an account for NIP {nip} exists already")
            key = api_id or self._new_key(nip)
            if key in self._by_key:
                raise ValueError("that API key belongs to another account")
            account = _Account(nip=nip, name=name, keys={key})
            self._accounts[nip] = account
            self._by_key[key] = account
            return key

    def rotate_key(self, api_id: str) -> str:
        """Regenerate an account's key (as on the Konto page): the old key stops working."""
        with self._lock:
            account = self._by_key.pop(api_id)
            account.keys.discard(api_id)
            key = self._new_key(account.nip)
            account.keys.add(key)
            self._by_key[key] = account
            return key

    def _new_key(self, nip: str) -> str:
        return hashlib.sha256(f"fakturowo-key-{nip}-{next(self._key_serial)}".encode()).hexdigest()[:32]

    def account_documents(self, nip: str) -> list[StoredDocument]:
        """The documents issued in the account of ``nip``, oldest first."""
        with self._lock:
            return [self._snapshot(document) for document in self._accounts[nip].documents]

    def waiting(self, nip: str) -> list[StoredDocument]:
        """Documents saved "to issue" (``api_status``) in the account of ``nip``, not issued."""
        with self._lock:
            return [self._snapshot(document) for document in self._accounts[nip].waiting]

    def stored(self) -> list[StoredDocument]:
        """Every issued document of every account, in the order issued."""
        return [self._snapshot(document) for document in self._issued]

    def _snapshot(self, document: _Document) -> StoredDocument:
        return document.snapshot(self._link(document))

    def _link(self, document: _Document) -> str:
        return f"{self.origin}/dokument/{document.token}"

    # The transport: an API call's answer leaves ANSWER_SECONDS after it arrived.

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request``; an API call's answer takes :data:`ANSWER_SECONDS` (it is in flight)."""
        response = super().handle_request(request)
        if self._is_api_call(request):
            self.clock.sleep(ANSWER_SECONDS)  # outside the lock: other calls may arrive meanwhile
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """As :meth:`handle_request`, for async clients (other tasks run while the call is in flight)."""
        response = await super().handle_async_request(request)
        if self._is_api_call(request):
            await self.clock.asleep(ANSWER_SECONDS)
        return response

    def _is_api_call(self, request: httpx.Request) -> bool:
        return self._relative(request.url) in ("api", "pobierz")

    # The pipeline's hooks.

    def authenticate(self, request: FakeRequest) -> Any:
        """``api_id`` in the form (or query) of an API call; document links are public."""
        if request.path not in ("api", "pobierz"):
            return None
        fields = self._fields(request)
        account = self._by_key.get(fields.get("api_id", ""))
        if account is None:
            raise _refuse(messages.BAD_KEY)
        return _Principal(account, fields)

    def limit_key(self, request: FakeRequest) -> str:
        """The account: one call at a time per account, whichever of its keys is used."""
        principal = request.principal
        return principal.account.nip if isinstance(principal, _Principal) else "*"

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """A call while the account's previous one is in flight: ``0`` and the text, HTTP 200."""
        return Reply.text(f"0\n{messages.CONCURRENT}\n")

    def not_found(self, request: FakeRequest) -> Reply:
        """An HTML 404 page."""
        return Reply(404, messages.NOT_FOUND_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """An HTML 405 page."""
        page = messages.NOT_FOUND_PAGE.replace("404 Not Found", "405 Method Not Allowed").encode()
        return Reply(405, page, {"Content-Type": "text/html; charset=utf-8", "Allow": ", ".join(allowed)})

    def server_error(self, request: FakeRequest) -> Reply:
        """An HTML 500 page; nothing is stored."""
        return Reply(500, messages.SERVER_ERROR_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def error_under_200(self, request: FakeRequest) -> Reply:
        """``0`` and a server-side text under HTTP 200; nothing is stored."""
        return Reply.text(f"0\n{messages.TRY_LATER}\n")

    # Routes.

    @route("POST", "api")
    @route("GET", "api")
    def api(self, request: FakeRequest) -> Reply:
        """The one endpoint: the task is ``api_zadanie`` (or ``api_status`` without one)."""
        principal: _Principal = request.principal
        fields = principal.fields
        task = fields.get("api_zadanie", "")
        if task == "1":
            document = self._issue(principal.account, fields, waiting=False)
            if fields.get("dokument_dostep") == "1":
                return Reply.text(f"1\n{document.api_numer}\n\n{self._link(document)}\n")
            return Reply.text(f"1\n{document.api_numer}\n")
        if task == "3":
            return self._list(principal.account, fields)
        if task == "" and fields.get("api_status") in ("0", "1"):
            document = self._issue(principal.account, fields, waiting=True)
            echoed = [fields.get(name, "") for name in ("api_parametr", "api_parametr1", "api_parametr2")]
            return Reply.text("\n".join(["1", document.api_numer, *echoed]) + "\n")
        if task == "":
            raise _refuse(messages.NO_TASK)
        raise _refuse(messages.UNKNOWN_TASK.format(task=task))

    @route("GET", "pobierz")
    def pobierz(self, request: FakeRequest) -> Reply:
        """The PDF of one of the account's documents (FO-LIST, §10)."""
        principal: _Principal = request.principal
        document = self._by_id.get(principal.fields.get("api_numer", ""))
        if document is None or document.account is not principal.account:
            raise _refuse(messages.NOT_FOUND)
        return Reply.pdf(self._pdf(document), filename=f"{document.api_numer}.pdf")

    @route("GET", "dokument/{token}")
    def document_link(self, request: FakeRequest) -> Reply:
        """The document link of an issue answer: the PDF, or a page with ``link_serves="html"``."""
        document = self._by_token.get(request.groups["token"])
        if document is None:
            return self.not_found(request)
        if self.link_serves == "html":
            page = messages.DOCUMENT_PAGE.format(
                kind=KINDS.get(document.kind, document.kind), number=document.number,
                total=f"{document.gross:f}", currency=document.currency,
            )  # fmt: skip
            return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply.pdf(self._pdf(document), filename=f"{document.api_numer}.pdf")

    # Parsing.

    def _fields(self, request: FakeRequest) -> dict[str, str]:
        """The call's fields: the query of a GET, else the url-encoded or multipart body."""
        if request.method == "GET":
            return dict(request.params.items())
        kind = request.headers.get("Content-Type", "")
        try:
            if kind.lower().startswith("multipart/form-data"):
                return _multipart(kind, request.content)
            text = request.content.decode("utf-8")
            return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))  # the last of a repeated name wins
        except (UnicodeDecodeError, ValueError):
            raise _refuse(messages.BAD_ENCODING) from None

    def _issue(self, account: _Account, fields: Mapping[str, str], *, waiting: bool) -> _Document:
        kind = fields.get("dokument_rodzaj", "") or "0"
        if kind not in KINDS:
            raise _refuse(messages.BAD_VALUE.format(field="dokument_rodzaj", value=kind))
        receipt = kind == "20"
        today = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).date()
        issued = _date(fields, "dokument_data_w", today)
        sold = _date(fields, "dokument_data_s", issued)
        currency_code = fields.get("dokument_waluta", "") or "0"
        if not currency_code.isdigit() or int(currency_code) >= len(CURRENCIES):
            raise _refuse(messages.BAD_VALUE.format(field="dokument_waluta", value=currency_code))
        payment_code = fields.get("dokument_zaplata") or None
        if payment_code is not None and payment_code not in PAYMENT_CODES:
            raise _refuse(messages.BAD_VALUE.format(field="dokument_zaplata", value=payment_code))
        status = fields.get("dokument_status", "") or "0"
        if status not in PAID_STATUS:
            raise _refuse(messages.BAD_VALUE.format(field="dokument_status", value=status))
        paid_text = fields.get("dokument_zaplacono", "")
        buyer = _buyer(fields, required=not receipt)
        lines = _lines(fields)
        basis = fields.get("dokument_podstawa_zw") or fields.get("dokument_rodzaj_podstawa_zw")
        if any(line["vat"] == "zw" for line in lines) and not receipt and not basis:
            raise _refuse(messages.NO_EXEMPTION_BASIS)
        own = fields.get("dokument_numer", "").strip()  # not checked for repeats: no duplicate guard (§14)
        _date(fields, "dokument_data_p", issued)  # DD-MM-YYYY like every date (§1)
        due_days = fields.get("dokument_termin", "")
        if due_days and not due_days.isdigit():  # days after the issue date (§6)
            raise _refuse(messages.BAD_VALUE.format(field="dokument_termin", value=due_days))
        by_rate = _totals(lines)
        net = sum((sums["net"] for sums in by_rate.values()), Decimal("0.00"))
        vat = sum((sums["vat"] for sums in by_rate.values()), Decimal("0.00"))
        gross = net + vat
        # Paid as recorded: the amount sent, else the whole gross when the status says paid.
        paid = _decimal(paid_text, "dokument_zaplacono") if paid_text else gross if status == "1" else Decimal("0.00")
        api_numer = str(next(self._ids))
        if waiting:
            number = ""
        elif own:
            number = own
        else:
            counter = (kind, issued.year, issued.month)
            account.counters[counter] = account.counters.get(counter, 0) + 1
            prefix = NUMBER_PREFIX.get(kind, "DOK")
            number = f"{prefix} {account.counters[counter]}/{issued.month:02d}/{issued.year}"
        document = _Document(
            account=account,
            api_numer=api_numer,
            kind=kind,
            number=number,
            issued=issued,
            sold=sold,
            currency=CURRENCIES[int(currency_code)],
            net=net,
            vat=vat,
            gross=gross,
            status=status,
            paid=paid,
            payment_code=payment_code,
            due_days=fields.get("dokument_termin") or None,
            reference=_text(fields.get("dokument_zamowienie")) or None,
            buyer=buyer,
            seller={name: _text(value) for name, value in fields.items() if name.startswith("sprzedawca_")},
            lines=lines,
            by_rate=by_rate,
            notes=_text(fields.get("dokument_uwagi")) or None,
            token=hashlib.sha256(f"fakturowo-link-{api_numer}".encode()).hexdigest()[:24],
            fields=dict(fields),
        )
        if waiting:
            account.waiting.append(document)
            return document
        account.documents.append(document)
        self._issued.append(document)
        self._by_token[document.token] = document
        self._by_id[api_numer] = document
        return document

    def _list(self, account: _Account, fields: Mapping[str, str]) -> Reply:
        page_text = fields.get("p", "") or "1"
        if not page_text.isdigit() or int(page_text) < 1:
            raise _refuse(messages.BAD_VALUE.format(field="p", value=page_text))
        documents = account.documents if self.list_order == "oldest_first" else account.documents[::-1]
        pages = -(-len(documents) // PAGE_SIZE)
        start = (int(page_text) - 1) * PAGE_SIZE
        rows = [_row(document) for document in documents[start : start + PAGE_SIZE]]
        return Reply.text("\n".join(["1", str(pages), *rows]) + "\n")

    def _pdf(self, document: _Document) -> bytes:
        lines = [
            f"{KINDS.get(document.kind, document.kind)} {document.number}",
            f"Sprzedawca: {document.seller.get('sprzedawca_nazwa', document.account.name)}",
            f"Nabywca: {document.buyer.get('name', '')}",
            f"Data wystawienia: {document.issued:%d-%m-%Y}",
            *(f"{line['name']}  {line['quantity']} x  {line['vat']}" for line in document.lines),
            f"Razem brutto: {document.gross:f} {document.currency}",
        ]
        return make_pdf("\n".join(lines))


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode("utf-8")
    return fields


def _text(value: str | None) -> str:
    """A text parameter with ``[n]`` read as a new line (§1)."""
    return (value or "").replace("[n]", "\n")


def _date(fields: Mapping[str, str], name: str, default: dt.date) -> dt.date:
    value = fields.get(name, "")
    if not value:
        return default
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        raise _refuse(messages.BAD_VALUE.format(field=name, value=value)) from None


def _decimal(value: str, name: str) -> Decimal:
    if not _DECIMAL.match(value):
        raise _refuse(messages.BAD_VALUE.format(field=name, value=value))
    try:
        return Decimal(value)
    except InvalidOperation:
        raise _refuse(messages.BAD_VALUE.format(field=name, value=value)) from None


def _buyer(fields: Mapping[str, str], *, required: bool) -> dict[str, str]:
    person = fields.get("nabywca_osoba", "") or "0"
    if person not in ("0", "1"):
        raise _refuse(messages.BAD_VALUE.format(field="nabywca_osoba", value=person))
    buyer = {
        name.removeprefix("nabywca_"): _text(value) for name, value in fields.items() if name.startswith("nabywca_")
    }
    if person == "1":
        name = " ".join(part for part in (buyer.get("imie", ""), buyer.get("nazwisko", "")) if part.strip())
        if required and not name:
            raise _refuse(messages.MISSING.format(field="nabywca_nazwisko"))
    else:
        name = buyer.get("nazwa", "").strip()
        if required and not name:
            raise _refuse(messages.MISSING.format(field="nabywca_nazwa"))
    buyer["name"] = name
    return buyer


def _lines(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every line slot: the unsuffixed set first, then ``_N`` by number (§5.3)."""
    slots: dict[int, dict[str, str]] = {}
    for name, value in fields.items():
        match = _LINE_NAME.match(name)
        if match is None or match[1] not in LINE_FIELDS:
            continue
        slot = -1 if match[2] is None else int(match[2])
        slots.setdefault(slot, {})[match[1]] = value
    lines = []
    for slot in sorted(slots):
        values = slots[slot]
        suffix = "" if slot < 0 else f"_{slot}"
        if not values.get("produkt_nazwa", "").strip():
            raise _refuse(messages.MISSING.format(field=f"produkt_nazwa{suffix}"))
        quantity = _decimal(values.get("produkt_ilosc", ""), f"produkt_ilosc{suffix}")
        if quantity <= 0:
            raise _refuse(messages.BAD_VALUE.format(field=f"produkt_ilosc{suffix}", value=values["produkt_ilosc"]))
        vat = values.get("produkt_stawka_vat", "")
        if vat not in VAT_PERCENT:
            raise _refuse(messages.BAD_VALUE.format(field=f"produkt_stawka_vat{suffix}", value=vat))
        unit = values.get("produkt_jm", "") or "2"
        if not unit.isdigit():
            raise _refuse(messages.BAD_VALUE.format(field=f"produkt_jm{suffix}", value=unit))
        net_text, gross_text = values.get("produkt_cena_netto", ""), values.get("produkt_wartosc_brutto", "")
        if net_text and gross_text:
            raise _refuse(messages.BOTH_PRICES.format(field=f"produkt_nazwa{suffix}"))
        if not net_text and not gross_text:
            raise _refuse(messages.NO_PRICE.format(field=f"produkt_nazwa{suffix}"))
        line: dict[str, Any] = {
            "slot": suffix or "unsuffixed",
            "name": _text(values["produkt_nazwa"]),
            "quantity": quantity,
            "unit": unit,
            "vat": vat,
        }
        if net_text:
            price = _decimal(net_text, f"produkt_cena_netto{suffix}")
            if price < 0:
                raise _refuse(messages.BAD_VALUE.format(field=f"produkt_cena_netto{suffix}", value=net_text))
            line["net_price"] = price
            line["net"] = _round(quantity * price)
        else:
            line_value = _decimal(gross_text, f"produkt_wartosc_brutto{suffix}")
            if line_value < 0:
                raise _refuse(messages.BAD_VALUE.format(field=f"produkt_wartosc_brutto{suffix}", value=gross_text))
            line["gross"] = _round(line_value)
        lines.append(line)
    if not lines:
        raise _refuse(messages.NO_LINES)
    return lines


def _totals(lines: list[dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """Per VAT rate, as Polish invoices total (art. 106e): sum the lines, then VAT once.

    Net-priced lines: VAT on the rate's net sum. Gross-valued lines: the net is taken out
    of the rate's gross sum. A rate with both adds the two.
    """
    by_rate: dict[str, dict[str, Decimal]] = {}
    for rate in dict.fromkeys(line["vat"] for line in lines):
        fraction = VAT_PERCENT[rate] / 100
        net_sum = sum((line["net"] for line in lines if line["vat"] == rate and "net" in line), Decimal("0.00"))
        gross_sum = sum((line["gross"] for line in lines if line["vat"] == rate and "gross" in line), Decimal("0.00"))
        net_of_gross = _round(gross_sum / (1 + fraction))
        vat = _round(net_sum * fraction) + (gross_sum - net_of_gross)
        net = net_sum + net_of_gross
        by_rate[rate] = {"net": net, "vat": vat, "gross": net + vat}
    return by_rate


def _row(document: _Document) -> str:
    buyer = document.buyer
    seller = document.seller
    columns = [
        document.api_numer,
        document.kind,
        document.number,
        f"{document.issued:%d-%m-%Y}",
        f"{document.sold:%d-%m-%Y}",
        document.currency,
        f"{document.net:f}",
        f"{document.vat:f}",
        f"{document.gross:f}",
        seller.get("sprzedawca_nazwa", document.account.name),
        " ".join(seller.get(name, "") for name in ("sprzedawca_ulica", "sprzedawca_kod", "sprzedawca_miasto")).strip(),
        seller.get("sprzedawca_nip", document.account.nip),
        buyer.get("name", ""),
        " ".join(buyer.get(name, "") for name in ("ulica", "kod", "miasto")).strip(),
        buyer.get("nip", ""),
        document.status,
        document.payment_code or "",
        document.due_days or "",
    ]
    # Values are written as they are (a ';' in a name is not escaped: the sheet shows no escaping).
    return ";".join(column.replace("\n", " ") for column in columns)
