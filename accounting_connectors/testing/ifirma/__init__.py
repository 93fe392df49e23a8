"""A stateful fake of the iFirma.pl API (``https://www.ifirma.pl/iapi/``), as an httpx transport.

Built from iFirma's documentation as summarised in ``shared/providers/ifirma.md``
(I-DOC official pages, I-OFF official plugins, I-BUNDLE iFirmaBundle DTOs), not from
this library's connector::

    fake = IFirmaFake(username="demo", keys={"faktura": "...", "abonent": "..."})
    with httpx.Client(transport=fake) as client:
        client.get("https://www.ifirma.pl/iapi/abonent/miesiacksiegowy.json",
                   headers={"Authentication": "IAPIS user=demo, hmac-sha1=..."})

What it models: the ``Authentication: IAPIS user=..., hmac-sha1=...`` signature,
recomputed over the received URL (without query), user, the endpoint's key name and the
exact received body bytes (Kod 400/401/402/403); several users of one company
(:meth:`IFirmaFake.add_user`), each with their own keys and limits; the
``{"response": {"Kod", "Informacja"}}`` envelope under HTTP 200; UTF-8 JSON bodies
(Kod 101/102/200); the accounting month (an invoice dated outside it is refused until
the month is moved with ``PUT abonent/miesiacksiegowy.json``); ``fakturakraj``,
``fakturawaluta``, ``fakturawdt`` and ``fakturaeksporttowarow`` with their required
fields and only their documented fields; numbering per series (``NazwaSeriiNumeracji``);
reading invoices back (``PelnyNumer``); PDFs; corrections of domestic invoices;
payments; the contractor register (``kontrahenci``: add, edit, read, search), which an
invoice may name instead of an inline buyer; ``abonent/limit.json``; 100 requests a
minute and 15,000 a day per user on an injectable clock; and injected faults.

iFirma does not document its not-found answer, its rate-limit answer, numbering
formats or most message texts; the fake's choices are marked ``# not documented``.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import urllib.parse
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
from . import rules, texts
from .ksef import KsefRoutes
from .rules import KINDS, Refusal, Series, envelope

BASE_URL = "https://www.ifirma.pl/iapi/"
"""iFirma's documented API root."""

DEFAULT_USER = "demo"
DEFAULT_KEYS: Mapping[str, str] = {"faktura": "EAB0D8ACF3308F3B", "abonent": "0A1B2C3D4E5F6071"}
"""Hex keys of the demo user, per key name (the first is the documentation's example key)."""

DEFAULT_COMPANY = "5252344078"
"""The NIP of the demo company, the ``account`` of every document the fake issues."""

DEFAULT_SERIES = "Domyślna"
"""The account's default numbering series (used when ``NazwaSeriiNumeracji`` is omitted)."""

_AUTH = re.compile(r"IAPIS user=(?P<user>[^,]+), hmac-sha1=(?P<digest>[0-9a-f]{40})")
_DAY = 86_400.0


@attrs.frozen(kw_only=True)
class IFirmaDetail:
    """The iFirma side of a :class:`StoredDocument` (its ``detail``).

    Attributes:
        endpoint: the endpoint it was issued through (``fakturakraj``, ...); corrections
            are ``fakturakraj``.
        sequence: the sequence number within the series and period.
        sale_date: ``DataSprzedazy`` (of the original, for a correction).
        net, vat: totals (for a correction: after correction).
        gross_basis: ``LiczOd`` is ``BRT`` (prices include VAT).
        lines: how many ``Pozycje`` it has.
        buyer_name, buyer_nip: ``Kontrahent.Nazwa`` and ``Kontrahent.NIP``.
        due: ``TerminPlatnosci``.
        reason: for a correction, ``PowodKorekty``.
        user: the login that issued it.
    """

    endpoint: str
    sequence: int
    sale_date: str
    net: Decimal
    vat: Decimal
    gross_basis: bool = False
    lines: int = 0
    buyer_name: str = ""
    buyer_nip: str = ""
    due: str | None = None
    reason: str | None = None
    user: str = DEFAULT_USER


@attrs.frozen
class StoredPayment:
    """A payment registered with ``faktury/wplaty``: the invoice id, amount, date and type."""

    invoice_id: int
    amount: Decimal
    date: str
    invoice_type: str


def _key_name(path: str) -> str:
    """The key a path is signed with (I-DOC: abonent, faktura, rachunek, wydatek)."""
    head = path.split("/", 1)[0]
    if head == "abonent":
        return "abonent"
    if head.startswith("rachunek"):
        return "rachunek"
    if head.startswith("wydatek"):
        return "wydatek"
    return "faktura"


class IFirmaFake(KsefRoutes):
    """The iFirma API, in memory, as an httpx transport (sync and async).

    One lock serialises all requests, so many threads may share it. Documents are
    :class:`StoredDocument` with ``id`` the ``Identyfikator`` (as text), ``number`` the
    printed ``PelnyNumer``, ``series`` the series' name and an :class:`IFirmaDetail`.

    Configuration attributes (mutable between requests):
        keys: the first user's hex keys per key name; a key name without a key answers Kod 402.
        users: every user's keys, by login (:meth:`add_user`).
        terms_accepted: ``False`` answers every call with Kod 499.
        super_account: ``False`` answers every call with Kod 500.
        faults: the :class:`~accounting_connectors.testing.faults.FaultPlan`; paths are
            relative to ``/iapi/`` (``"fakturakraj.json"``).
    """

    provider: ClassVar[str] = "ifirma"
    base_urls: ClassVar[tuple[str, ...]] = (BASE_URL,)
    limits: ClassVar[tuple[FakeLimit, ...]] = (FakeLimit(100, 60.0), FakeLimit(15_000, _DAY, name="daily"))
    demo_settings: ClassVar[Mapping[str, Any]] = {
        "username": DEFAULT_USER,
        "company_tax_id": DEFAULT_COMPANY,
        "invoice_key": DEFAULT_KEYS["faktura"],
        "subscriber_key": DEFAULT_KEYS["abonent"],
    }

    def __init__(
        self,
        *,
        username: str = DEFAULT_USER,
        keys: Mapping[str, str] = DEFAULT_KEYS,
        clock: Clock | None = None,
        keep_log: bool = True,
        accounting_month: tuple[int, int] | None = None,
        series: Iterable[str] = (),
        company: str = DEFAULT_COMPANY,
        per_minute: int = 100,
        per_day: int = 15_000,
    ) -> None:
        if (per_minute, per_day) != (100, 15_000):
            # The windows are built from `limits`; this instance's own limits shadow the class's.
            vars(self)["limits"] = (FakeLimit(per_minute, 60.0), FakeLimit(per_day, _DAY, name="daily"))
        super().__init__(clock=clock if clock is not None else FakeClock(), keep_log=keep_log)
        self.username = username
        self.company = company
        """The company's NIP: the ``account`` of its documents."""
        self.users: dict[str, dict[str, str]] = {username: dict(keys)}
        self.keys = self.users[username]
        self.terms_accepted = True
        self.super_account = True
        self.per_day = per_day
        self.month_moves = 0
        today = self._today()
        year, month = accounting_month or (today.year, today.month)
        self._month = year * 12 + month - 1
        self._series: dict[str, Series] = {}
        for name in (DEFAULT_SERIES, *series):
            self.add_series(name)
        self._docs: dict[int, StoredDocument] = {}
        self._payments: list[StoredPayment] = []
        # The contractor register (kontrahenci), by Identyfikator.
        self._contractors: dict[str, dict[str, Any]] = {}
        # Accepted calls per user in the last day, oldest first, for abonent/limit.json.
        self._used: dict[str, collections.deque[float]] = {}
        self._next_id = 1000

    # Configuration.

    def add_user(self, username: str, keys: Mapping[str, str]) -> None:
        """Give the company another API user (its own login, keys and limits, the same documents)."""
        with self._lock:
            if username in self.users:
                raise ValueError(f"user {username!r} already exists")
            self.users[username] = dict(keys)

    @property
    def accounting_month(self) -> tuple[int, int]:
        """The current accounting month as ``(year, month)``."""
        with self._lock:
            year, index = divmod(self._month, 12)
            return year, index + 1

    @accounting_month.setter
    def accounting_month(self, value: tuple[int, int]) -> None:
        year, month = value
        if not 1 <= month <= 12:
            raise ValueError("month must be 1..12")
        with self._lock:
            self._month = year * 12 + month - 1

    def add_series(self, name: str, *, prefix: str = "", monthly: bool = False) -> None:
        """Define a numbering series (numbers restart each year, or each month if ``monthly``)."""
        with self._lock:
            if name in self._series:
                raise ValueError(f"series {name!r} already exists")
            self._series[name] = Series(name=name, prefix=prefix, monthly=monthly)

    # Inspection.

    def stored(self) -> list[StoredDocument]:
        """Every stored invoice and correction, in issue order."""
        return list(self._docs.values())

    @property
    def contractors(self) -> list[dict[str, Any]]:
        """The contractor register (``kontrahenci``), in the order added."""
        with self._lock:
            return [dict(record) for record in self._contractors.values()]

    @property
    def payments(self) -> list[StoredPayment]:
        """Payments registered so far."""
        with self._lock:
            return list(self._payments)

    def used_today(self, user: str | None = None) -> int:
        """Requests counted against ``user``'s daily limit in the last 24 hours."""
        with self._lock:
            return len(self._recent(user or self.username))

    # The pipeline's hooks.

    def authenticate(self, request: FakeRequest) -> str:
        """Recompute the HMAC-SHA1 from the received request (I-DOC /naglowek-autoryzacji, /faq)."""
        match = _AUTH.fullmatch(request.headers.get("authentication", ""))
        if match is None:
            raise Refusal(400)
        user = match.group("user")
        keys = self.users.get(user)
        if keys is None:
            raise Refusal(401)
        key_name = _key_name(request.path)
        key = keys.get(key_name)
        if key is None:
            raise Refusal(402, texts.NO_KEY.format(key_name=key_name))
        url = request.raw.url
        # The URL as received, without its query string: scheme, host (and port) and path;
        # behind a relay that names the address the client called, that address too.
        origins = [f"{url.scheme}://{url.netloc.decode('ascii')}"]
        if "x-forwarded-host" in request.headers:
            forwarded = request.headers.get("x-forwarded-proto", "http")
            origins.append(f"{forwarded}://{request.headers['x-forwarded-host']}")
        tail = user.encode() + key_name.encode() + request.content
        path = url.raw_path.split(b"?", 1)[0]
        digests = [hmac.new(bytes.fromhex(key), o.encode() + path + tail, hashlib.sha1).hexdigest() for o in origins]
        if not any(hmac.compare_digest(digest, match.group("digest")) for digest in digests):
            raise Refusal(403)
        if not self.terms_accepted:
            raise Refusal(499)
        if not self.super_account:
            raise Refusal(500)
        return user

    def limit_key(self, request: FakeRequest) -> str:
        """The limits are per user."""
        return str(request.principal)

    def limit_headers(self, request: FakeRequest, verdict: LimitVerdict) -> Mapping[str, str]:
        """No headers; an accepted call is counted for ``abonent/limit.json``."""
        if verdict.allowed:
            self._recent(str(request.principal)).append(self.clock.time())
        return {}

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """What iFirma answers on excess is not documented: HTTP 429, Retry-After (seconds), Kod 100."""
        assert verdict.limit is not None
        text = texts.LIMIT_DAY if verdict.limit.name == "daily" else texts.LIMIT_MINUTE  # not documented
        wait = max(1, math.ceil(verdict.reset_at - self.clock.time()))
        return envelope(100, text.format(calls=verdict.limit.calls), 429).with_headers({"Retry-After": str(wait)})

    def not_found(self, request: FakeRequest) -> Reply:
        """Not documented: unknown resources answer HTTP 404 in the envelope."""
        return envelope(200, texts.NO_RESOURCE.format(method=request.method, path=request.path), 404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """The same 404 as an unknown path: iFirma knows no resource for another method."""
        return self.not_found(request)

    def server_error(self, request: FakeRequest) -> Reply:
        """HTTP 500 with Kod 100 (technical problem)."""
        return envelope(100, texts.KOD[100], 500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """Kod 100 under HTTP 200."""
        return envelope(100, texts.KOD[100])

    # The accounting month and the limit.

    @route("GET", "abonent/miesiacksiegowy.json")
    def get_month(self, request: FakeRequest) -> Reply:
        """The current accounting month."""
        year, month = divmod(self._month, 12)
        return envelope(0, "", MiesiacKsiegowy=month + 1, RokKsiegowy=year)

    @route("PUT", "abonent/miesiacksiegowy.json")
    def put_month(self, request: FakeRequest) -> Reply:
        """Move the accounting month one step (``NAST`` or ``POPRZ``)."""
        body = self._body(request)
        if set(body) - rules.MONTH_FIELDS:
            raise Refusal(200)
        if body.get("MiesiacKsiegowy") not in ("NAST", "POPRZ"):
            raise Refusal(201, texts.MONTH_DIRECTION)  # not documented
        if not isinstance(body.get("PrzeniesDaneZPoprzedniegoRoku", False), bool):
            raise Refusal(201, texts.MONTH_CARRY)  # not documented
        self._month += 1 if body["MiesiacKsiegowy"] == "NAST" else -1
        self.month_moves += 1
        year, month = divmod(self._month, 12)
        return envelope(0, texts.MONTH_CHANGED, MiesiacKsiegowy=month + 1, RokKsiegowy=year)

    @route("GET", "abonent/limit.json")
    def get_limit(self, request: FakeRequest) -> Reply:
        """The user's calls of the last day and the daily limit."""
        used = len(self._recent(str(request.principal)))
        return envelope(0, "", LimitWykorzystany=used, LimitPrzyznany=self.per_day)

    # The contractor register (§2.4: add, edit, read by id, search). Declared before the
    # invoices: ``kontrahenci/{query}.json`` would otherwise match ``{kind}/{id}.json``.

    @route("POST", "kontrahenci.json")
    def post_contractor(self, request: FakeRequest) -> Reply:
        """Add a contractor; its ``Identyfikator`` is the one given, else one the fake assigns."""
        record = self._contractor_body(request)
        identifier = record.get("Identyfikator")
        if identifier is None:
            self._next_id += 1
            identifier = str(self._next_id)  # not documented: how iFirma names a new contractor
        elif str(identifier) in self._contractors:
            raise Refusal(201, texts.CONTRACTOR_EXISTS.format(identifier=identifier))  # not documented
        record["Identyfikator"] = str(identifier)
        self._contractors[str(identifier)] = record
        # not documented: I-BUNDLE reads the new contractor's id from Wynik.
        return envelope(0, texts.CONTRACTOR_ADDED, Wynik=str(identifier), Identyfikator=str(identifier))

    @route("PUT", "kontrahenci/{id}.json")
    def put_contractor(self, request: FakeRequest) -> Reply:
        """Edit a contractor: the body replaces it whole, omitted fields are wiped (I-MCP)."""
        identifier = urllib.parse.unquote(request.groups["id"])
        if identifier not in self._contractors:
            raise Refusal(201, texts.NO_CONTRACTOR, 404)  # not documented
        record = self._contractor_body(request)
        record["Identyfikator"] = identifier
        self._contractors[identifier] = record
        return envelope(0, texts.CONTRACTOR_CHANGED, Wynik=identifier)

    @route("GET", "kontrahenci/id/{id}.json")
    def get_contractor(self, request: FakeRequest) -> Reply:
        """A contractor by its id (I-MCP: note the ``/id/`` segment)."""
        record = self._contractors.get(urllib.parse.unquote(request.groups["id"]))
        if record is None:
            raise Refusal(201, texts.NO_CONTRACTOR, 404)  # not documented
        return envelope(0, "", Wynik=dict(record))

    @route("GET", "kontrahenci/{query}.json")
    def search_contractors(self, request: FakeRequest) -> Reply:
        """Contractors whose name, NIP or id contains the query (the query is in the path, I-MCP)."""
        query = urllib.parse.unquote(request.groups["query"]).casefold()
        found = [
            dict(record)
            for record in self._contractors.values()
            if any(query in str(record.get(field) or "").casefold() for field in ("Nazwa", "NIP", "Identyfikator"))
        ]
        return envelope(0, "", Wynik=found)  # lists answer in Wynik (§2.2)

    def _contractor_body(self, request: FakeRequest) -> dict[str, Any]:
        record = self._body(request)
        errors: list[str] = []
        rules.contractor(record, errors)
        if errors:
            raise Refusal(201, " ".join(errors))
        return record

    # Invoices.

    @route("POST", "{kind}.json")
    def post_invoice(self, request: FakeRequest) -> Reply:
        """Issue an invoice of one kind, after every documented check."""
        kind = request.groups["kind"]
        if kind not in KINDS:
            return self.not_found(request)
        body = self._body(request)
        unknown = sorted(set(body) - rules.FIELDS[kind])
        if unknown:
            raise Refusal(200, texts.UNKNOWN_FIELDS.format(fields=", ".join(unknown)))
        rules.required(body, (*rules.REQUIRED_COMMON, *rules.REQUIRED[kind]))
        errors: list[str] = []
        gross_basis = body.get("LiczOd") == "BRT"
        if kind in ("fakturakraj", "fakturawaluta") and body["LiczOd"] not in ("NET", "BRT"):
            errors.append(texts.LIC_OD)
        issue = rules.date(body, "DataWystawienia", errors)
        sale = rules.date(body, "DataSprzedazy", errors)
        due = rules.date(body, "TerminPlatnosci", errors) if body.get("TerminPlatnosci") is not None else None
        rules.choice(body, "FormatDatySprzedazy", ("DZN", "MSC"), errors)
        rules.choice(body, "SposobZaplaty", rules.PAYMENT_METHODS, errors)
        rules.choice(body, "RodzajPodpisuOdbiorcy", rules.SIGNATURES, errors)
        if "WidocznyNumerGios" in body and not isinstance(body["WidocznyNumerGios"], bool):
            errors.append(texts.BOOLEAN.format(field="WidocznyNumerGios"))
        numer = body.get("Numer")
        if numer is not None and (isinstance(numer, bool) or not isinstance(numer, int) or numer < 1):
            errors.append(texts.NUMER)
        rules.lengths(body, rules.DOCUMENT_LENGTHS, errors)
        currency = "PLN" if kind == "fakturakraj" else self._currency(body, kind, errors)
        buyer_name, buyer_nip = rules.buyer(body, kind, errors, self._contractors)
        net, vat, gross = rules.lines(body.get("Pozycje"), kind, gross_basis, errors, correction=False)
        series = self._series_of(body, errors)
        if issue and sale:
            if issue < sale:
                errors.append(texts.ISSUE_BEFORE_SALE)
            year, month = divmod(sale.year * 12 + sale.month, 12)
            if issue > dt.date(year, month + 1, 15):
                errors.append(texts.ISSUE_TOO_LATE)
            if due and due < sale:
                errors.append(texts.DUE_BEFORE_SALE)
            if series and series.last_issue and issue < series.last_issue:
                errors.append(texts.ISSUE_BEFORE_PREVIOUS)
            self._check_month(issue, errors)
        for field in ("Zaplacono", "ZaplaconoNaDokumencie"):
            if field not in rules.REQUIRED_COMMON and body.get(field) is None:
                continue
            amount = rules.number(body.get(field))
            if amount is None or amount < 0 or amount >= rules.MAX_AMOUNT:
                errors.append(texts.PAID_RANGE.format(field=field))
            elif not errors and amount > gross:
                errors.append(texts.PAID_OVER_GROSS.format(field=field, gross=gross))
        if errors:
            raise Refusal(201, " ".join(errors))
        assert issue is not None
        assert sale is not None
        assert series is not None
        if isinstance(numer, int):
            # UNCERTAIN what Numer does; the fake reads it as the sequence number to use.
            sequence, full = numer, series.format(issue, numer, False)
        else:
            sequence, full = series.allocate(issue, correction=False)
        series.last_issue = issue
        detail = IFirmaDetail(
            endpoint=kind, sequence=sequence, sale_date=sale.isoformat(), net=net, vat=vat, gross_basis=gross_basis,
            lines=len(body["Pozycje"]), buyer_name=buyer_name, buyer_nip=buyer_nip, due=body.get("TerminPlatnosci"),
            user=str(request.principal),
        )  # fmt: skip
        paid = rules.number(body["Zaplacono"]) or Decimal(0)
        doc = self._store(
            kind, issue, body, number=full, series=series.name, currency=currency, total=gross, paid=paid, detail=detail
        )
        return envelope(0, texts.ISSUED, Identyfikator=int(doc.id or 0))  # not documented

    @route("GET", "{kind}/{id}.json")
    def get_invoice(self, request: FakeRequest) -> Reply:
        """An issued document's list-item fields (``PelnyNumer``, ...)."""
        doc = self._lookup(request)
        # The list-item fields (I-OFF InvoiceResponse.php, I-BUNDLE) in the envelope.
        return envelope(
            0, "", FakturaId=int(doc.id or 0), PelnyNumer=doc.number, NazwaSeriiNumeracji=doc.series,
            KontrahentNazwa=doc.detail.buyer_name, NIPKontrahenta=doc.detail.buyer_nip, DataWystawienia=doc.issue_date,
            Brutto=doc.total, Rodzaj=doc.detail.endpoint, Waluta=doc.currency, Zaplacono=doc.paid,
            TerminPlatnosci=doc.detail.due,
            # UNCERTAIN: that the document's read carries its lines as sent (I-OFF reads
            # line fields such as CenaZRabatem from responses).
            Pozycje=list(doc.body.get("Pozycje") or []),
            # NumerKSEF and StatusKSEF (I-TP, live-verified third-party reads): see .ksef.
            **self.ksef_fields(doc),
        )  # fmt: skip

    @route("GET", "faktury.json")
    def list_invoices(self, request: FakeRequest) -> Reply:
        """Sales invoices by issue date (``dataOd`` required, ``dataDo``) and buyer NIP, in pages.

        I-MCP, I-BUNDLE ``InvoiceService::list`` (sheet §2.4): list items carry ``FakturaId``,
        ``PelnyNumer``, ``KontrahentNazwa``, ``NIPKontrahenta``, ``DataWystawienia``,
        ``Brutto``, ``Rodzaj``, ``Waluta``, ``Zaplacono``, ``TerminPlatnosci``.
        """
        params = request.params
        errors: list[str] = []
        start = rules.date({"dataOd": params.get("dataOd")}, "dataOd", errors) if params.get("dataOd") else None
        end = rules.date({"dataDo": params.get("dataDo")}, "dataDo", errors) if params.get("dataDo") else None
        if start is None:
            errors.append(texts.LIST_FROM_NEEDED)  # not documented (wording); I-MCP: dataOd is required
        if errors:
            raise Refusal(201, " ".join(errors))
        assert start is not None
        nip = "".join(ch for ch in params.get("nipKontrahenta", "") if ch.isalnum())
        try:
            page = max(int(params.get("strona", "1")), 1)
            size = min(max(int(params.get("iloscNaStronie", "20")), 1), 100)
        except ValueError:
            raise Refusal(201, texts.LIST_PAGE) from None  # not documented (wording)
        found = [
            doc
            for doc in sorted(self._docs.values(), key=lambda doc: int(doc.id or 0))
            if doc.issue_date is not None
            and start.isoformat() <= doc.issue_date
            and (end is None or doc.issue_date <= end.isoformat())
            and (not nip or "".join(ch for ch in doc.detail.buyer_nip if ch.isalnum()) == nip)
        ]
        items = [
            {
                "FakturaId": int(doc.id or 0),
                "PelnyNumer": doc.number,
                "KontrahentNazwa": doc.detail.buyer_name,
                "NIPKontrahenta": doc.detail.buyer_nip,
                "DataWystawienia": doc.issue_date,
                "Brutto": doc.total,
                "Rodzaj": doc.detail.endpoint,
                "Waluta": doc.currency,
                "Zaplacono": doc.paid,
                "TerminPlatnosci": doc.detail.due,
            }
            for doc in found[(page - 1) * size : page * size]
        ]
        return envelope(0, "", Wynik=items)

    # .pdf, and the variants clients use (.pdf.single, .pdf.oryg); all print the same here.
    @route("GET", "{kind}/{id}.pdf")
    @route("GET", "{kind}/{id}.pdf.single")
    @route("GET", "{kind}/{id}.pdf.oryg")
    def get_pdf(self, request: FakeRequest) -> Reply:
        """An issued document's printout."""
        doc = self._lookup(request)
        title = "Faktura korygujaca" if doc.corrects is not None else "Faktura VAT"
        text = f"{title} {doc.number}\nData wystawienia: {doc.issue_date}\nNabywca: {doc.detail.buyer_name}\n"
        text += f"Netto: {doc.detail.net} VAT: {doc.detail.vat} Brutto: {doc.total} {doc.currency}"
        return Reply(200, make_pdf(text), {"Content-Type": "application/pdf"})

    # Corrections and payments.

    @route("POST", "fakturakraj/korekta/{ref}.json")
    def post_correction(self, request: FakeRequest) -> Reply:
        """Correct a domestic invoice, by id or by number (``/`` as ``_``)."""
        ref = request.groups["ref"]
        original = self._find_ref(ref)
        if original is None or original.kind != "fakturakraj":
            raise Refusal(201, texts.NO_DOMESTIC_INVOICE.format(ref=ref), 404)  # not documented
        body = self._body(request)
        if set(body) - rules.CORRECTION_FIELDS:
            raise Refusal(200, texts.BAD_CORRECTION)
        # SpelnionoWarunki is required (T) on the official page (ifirma.md §2.10, corrected).
        rules.required(body, ("PowodKorekty", "DataWystawienia", "Pozycje", "SpelnionoWarunki"))
        errors: list[str] = []
        if not isinstance(body["SpelnionoWarunki"], bool):
            errors.append(texts.BOOLEAN.format(field="SpelnionoWarunki"))
        rules.choice(body, "PowodKorekty", rules.CORRECTION_REASONS, errors)
        rules.choice(body, "SposobZaplaty", rules.PAYMENT_METHODS, errors)
        rules.choice(body, "RodzajPodpisuOdbiorcy", rules.SIGNATURES, errors)
        rules.lengths(body, rules.DOCUMENT_LENGTHS, errors)
        issue = rules.date(body, "DataWystawienia", errors)
        positions = body["Pozycje"]
        before = original.detail
        if isinstance(positions, list) and len(positions) != before.lines:
            # Lines are the state after correction, one per original line (I-DOC).
            errors.append(texts.CORRECTION_LINES.format(lines=before.lines))
        net, vat, gross = rules.lines(positions, "fakturakraj", before.gross_basis, errors, correction=True)
        series = self._series_of(body, errors)
        if issue is not None:
            if issue.isoformat() < str(original.issue_date):
                errors.append(texts.CORRECTION_BEFORE)
            self._check_month(issue, errors)
        if errors:
            raise Refusal(201, " ".join(errors))
        assert issue is not None
        assert series is not None
        sequence, full = series.allocate(issue, correction=True)
        changes = {"sequence": sequence, "net": net, "vat": vat, "reason": str(body["PowodKorekty"])}
        detail = attrs.evolve(before, due=body.get("TerminPlatnosci"), user=str(request.principal), **changes)
        doc = self._store(
            "korekta", issue, body, number=full, series=series.name, currency=original.currency, total=gross,
            corrects=original.id, detail=detail,
        )  # fmt: skip
        return envelope(0, texts.CORRECTION_ISSUED, Identyfikator=int(doc.id or 0))

    @route("POST", "faktury/wplaty/{type}/{ref}.json")
    def post_payment(self, request: FakeRequest) -> Reply:
        """Register a payment against an invoice, by its printed number."""
        invoice_type, ref = request.groups["type"], request.groups["ref"]
        if not re.fullmatch(r"[a-z_]+", invoice_type):
            return self.not_found(request)
        if invoice_type not in rules.PAYMENT_INVOICE_TYPES:
            raise Refusal(201, texts.PAYMENT_TYPE.format(invoice_type=invoice_type))  # not documented
        number = ref.replace("_", "/")
        kind = rules.PAYMENT_KIND.get(invoice_type)
        doc = next(
            (d for d in self._docs.values() if d.number == number and d.kind == kind),
            None,
        )
        if doc is None:
            # UNCERTAIN whether the numeric id works too; the fake accepts the number only.
            raise Refusal(201, texts.NO_INVOICE_NUMBER.format(number=number), 404)  # not documented
        body = self._body(request)
        if set(body) - rules.PAYMENT_FIELDS:
            raise Refusal(200, texts.BAD_PAYMENT)
        errors: list[str] = []
        amount = rules.number(body.get("Kwota"))
        if amount is None or amount <= 0 or amount >= rules.MAX_AMOUNT:
            errors.append(texts.PAYMENT_AMOUNT)
        day = self._today().isoformat()
        if body.get("Data") is not None:
            parsed = rules.date(body, "Data", errors)
            day = parsed.isoformat() if parsed else day
        elif doc.currency != "PLN":
            errors.append(texts.PAYMENT_DATE)  # UNCERTAIN rule
        if errors:
            raise Refusal(201, " ".join(errors))
        assert amount is not None
        self._docs[int(doc.id or 0)] = attrs.evolve(doc, paid=doc.paid + amount)
        self._payments.append(StoredPayment(int(doc.id or 0), amount, day, invoice_type))
        return envelope(0, texts.PAYMENT_REGISTERED)  # not documented

    # Helpers.

    def _recent(self, user: str) -> collections.deque[float]:
        """``user``'s accepted calls of the last day; old ones drop off the front (amortised O(1))."""
        calls = self._used.setdefault(user, collections.deque())
        horizon = self.clock.time() - _DAY
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls

    @staticmethod
    def _body(request: FakeRequest) -> dict[str, Any]:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise Refusal(102)
        try:
            text = request.content.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal(101) from None
        try:
            parsed = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            raise Refusal(200) from None
        if not isinstance(parsed, dict):
            raise Refusal(200)
        return parsed

    def _currency(self, body: Mapping[str, Any], kind: str, errors: list[str]) -> str:
        currency = str(body.get("Waluta"))
        if not re.fullmatch(r"[A-Z]{3}", currency) or (kind == "fakturawaluta" and currency == "PLN"):
            errors.append(texts.CURRENCY.format(currency=currency))
        language = body.get("Jezyk")
        if language is not None and not (isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language)):
            errors.append(texts.LANGUAGE)
        rate = body.get("KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury")
        if rate is not None and not ((value := rules.number(rate)) is not None and value > 0):
            errors.append(texts.RATE)
        if kind == "fakturawaluta":
            rules.choice(body, "TypSprzedazy", ("WYSYLKOWA", "KRAJOWA"), errors)
        return currency

    def _today(self) -> dt.date:
        # Poland is UTC+1 (+2 in summer); +1 is used, which matters only near midnight.
        return dt.datetime.fromtimestamp(self.clock.time(), tz=dt.timezone(dt.timedelta(hours=1))).date()

    def _series_of(self, body: Mapping[str, Any], errors: list[str]) -> Series | None:
        name = body.get("NazwaSeriiNumeracji")
        if name is None:
            return self._series[DEFAULT_SERIES]
        series = self._series.get(name) if isinstance(name, str) else None
        if series is None:
            errors.append(texts.NO_SERIES.format(name=name))  # not documented
        return series

    def _check_month(self, issue: dt.date, errors: list[str]) -> None:
        if issue.year * 12 + issue.month - 1 != self._month:
            year, index = divmod(self._month, 12)
            # not documented (wording): the rule is I-DOC's, the month must be moved first.
            errors.append(texts.OUTSIDE_MONTH.format(issue=issue.isoformat(), month=index + 1, year=year))

    def _lookup(self, request: FakeRequest) -> StoredDocument:
        kind, identifier = request.groups["kind"], request.groups["id"]
        if kind not in KINDS or not identifier.isdigit():
            raise FakeError(self.not_found(request))
        doc = self._docs.get(int(identifier))
        if doc is None or doc.detail.endpoint != kind:
            # not documented: a missing document answers HTTP 404 in the envelope.
            raise Refusal(201, texts.NO_INVOICE.format(identifier=identifier), 404)
        return doc

    def _find_ref(self, ref: str) -> StoredDocument | None:
        if ref.isdigit():
            return self._docs.get(int(ref))
        number = ref.replace("_", "/")
        return next((doc for doc in self._docs.values() if doc.number == number), None)

    def _store(self, kind: str, issue: dt.date, body: dict[str, Any], **fields: Any) -> StoredDocument:
        """File a new document: ``fields`` are :class:`StoredDocument`'s (``number``, ``total``, ...)."""
        self._next_id += 1
        doc = StoredDocument(
            provider=self.provider,
            account=self.company,
            kind=kind,
            id=str(self._next_id),
            issue_date=issue.isoformat(),
            body=body,
            **fields,
        )
        self._docs[self._next_id] = doc
        return doc

    def __repr__(self) -> str:
        return f"IFirmaFake(username={self.username!r}, accounting_month={self.accounting_month!r})"
