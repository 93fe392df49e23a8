"""The Fakturowo fake class: accounts and keys, the one-call-at-a-time transport, the routes.

:class:`FakturowoFake` holds the accounts (:mod:`.records`), answers ``/api`` (issue, list,
save "to issue"), ``pobierz`` and the document link with the line answers of the sheet,
and keeps each API call in flight for :data:`~.records.ANSWER_SECONDS`; the form reading
and validation are in :mod:`.forms`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal

import httpx

from ...clock import Clock
from ..base import FakeProvider
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeRequest, Reply
from . import messages
from .forms import _buyer, _date, _decimal, _lines, _multipart, _row, _text, _totals
from .records import (
    ANSWER_SECONDS,
    CURRENCIES,
    DEMO_API_ID,
    DEMO_SELLER_NAME,
    DEMO_SELLER_NIP,
    KINDS,
    NUMBER_PREFIX,
    PAGE_SIZE,
    PAID_STATUS,
    PAYMENT_CODES,
    _Account,
    _api_call,
    _Document,
    _Principal,
    _refuse,
)


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
