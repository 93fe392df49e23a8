"""A stateful fake of the iFirma.pl API (``https://www.ifirma.pl/iapi/``), as an httpx transport.

Built from iFirma's documentation as summarised in the iFirma section of
``shared/providers/wfirma_ifirma_firmao.md`` (I-DOC official pages, I-OFF official
plugins, I-BUNDLE iFirmaBundle DTOs), not from this library's connector::

    fake = IFirmaFake(username="demo", keys={"faktura": "...", "abonent": "..."})
    with httpx.Client(transport=fake) as client:
        client.get("https://www.ifirma.pl/iapi/abonent/miesiacksiegowy.json",
                   headers={"Authentication": "IAPIS user=demo, hmac-sha1=..."})

What it models: the ``Authentication: IAPIS user=..., hmac-sha1=...`` signature,
recomputed over the received URL (without query), user, the endpoint's key name and the
exact received body bytes (Kod 400/401/402/403); the ``{"response": {"Kod", "Informacja"}}``
envelope under HTTP 200; UTF-8 JSON bodies (Kod 101/102/200); the accounting month (an
invoice dated outside it is refused until the month is moved with ``PUT
abonent/miesiacksiegowy.json``); ``fakturakraj``, ``fakturawaluta``, ``fakturawdt`` and
``fakturaeksporttowarow`` with their required fields and only their documented fields;
numbering per series (``NazwaSeriiNumeracji``); reading invoices back (``PelnyNumer``);
PDFs; corrections of domestic invoices; payments; ``abonent/limit.json``; 100 requests a
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
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs
import httpx

from accounting_connectors.testing._legacy_base import LegacyFakeProvider as FakeProvider
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import Fault, normalize_path, read_timeout
from accounting_connectors.testing.pdf import make_pdf

__all__ = [
    "BASE_URL",
    "DEFAULT_KEYS",
    "DEFAULT_SERIES",
    "DEFAULT_USER",
    "IFirmaFake",
    "StoredInvoice",
    "StoredPayment",
]

BASE_URL = "https://www.ifirma.pl/iapi/"
"""iFirma's documented API root."""

_HOST = "www.ifirma.pl"
_BASE_PATH = "/iapi/"

DEFAULT_USER = "demo"
DEFAULT_KEYS: Mapping[str, str] = {"faktura": "EAB0D8ACF3308F3B", "abonent": "0A1B2C3D4E5F6071"}
"""Hex keys of the demo user, per key name (the first is the documentation's example key)."""

DEFAULT_SERIES = "Domyślna"
"""The account's default numbering series (used when ``NazwaSeriiNumeracji`` is omitted)."""

PAYMENT_METHODS = ("GTK", "POB", "PRZ", "KAR", "PZA", "CZK", "KOM", "BAR", "DOT", "PAL", "ALG", "P24", "TPA", "ELE")
"""``SposobZaplaty`` codes (I-DOC field table)."""

CORRECTION_REASONS = ("OBOW_RABAT", "ZWR_SPRZ_TOW", "ZWR_NAB_KWOT", "ZWR_NAB_ZAL", "PODW_CENY", "POMYLKI")
"""``PowodKorekty`` codes (I-DOC correction page)."""

PAYMENT_INVOICE_TYPES = (
    "prz_faktura_kraj", "prz_faktura_wysylka", "prz_faktura_paragon", "prz_faktura_wys_ter_kraj",
    "prz_faktura_szczeg_obow", "prz_faktura_met_kasowa", "prz_faktura_odwr_obciaz",
    "prz_faktura_odwr_obciaz_budowa", "prz_faktura_budowa", "prz_dostawa_ue_towarow", "prz_eksport_towarow",
    "prz_eksport_dost_uslug_ue", "prz_eksport_dost_uslug_nie_ue", "prz_faktura_kon", "prz_faktura_wyposaz",
    "prz_faktura_sr_trwaly", "prz_rachunek_kraj",
)  # fmt: skip
"""``typ_faktury`` values of the payments endpoint (I-DOC; the list read was truncated)."""

# The kinds the fake issues, and which payment type pays each.
_KINDS = ("fakturakraj", "fakturawaluta", "fakturawdt", "fakturaeksporttowarow")
_PAYMENT_KIND = {
    "prz_faktura_kraj": "fakturakraj",
    "prz_dostawa_ue_towarow": "fakturawdt",
    "prz_eksport_towarow": "fakturaeksporttowarow",
}

# Polish VAT rates as fractions (fact sheet 2.6); WDT and export are at 0.
_DOMESTIC_RATES = frozenset({Decimal("0.23"), Decimal("0.08"), Decimal("0.05"), Decimal("0")})

# Fields each body may carry: the I-DOC field table (2.5) plus the variants' additions
# (I-BUNDLE). Anything else is "invalid domain-object structure" (Kod 200), the strict
# reading of that code.
_DOMESTIC_FIELDS = frozenset(
    "Zaplacono ZaplaconoNaDokumencie LiczOd NumerKontaBankowego SplitPayment DataWystawienia "
    "MiejsceWystawienia DataSprzedazy FormatDatySprzedazy TerminPlatnosci SposobZaplaty NazwaSeriiNumeracji "
    "NazwaSzablonu RodzajPodpisuOdbiorcy PodpisOdbiorcy PodpisWystawcy Uwagi WidocznyNumerGios WidocznyNumerBdo "
    "Numer IdentyfikatorKontrahenta PrefiksUEKontrahenta NIPKontrahenta Kontrahent Pozycje ProceduryJpk "
    "DodatkoweUwagi".split()
)
_CURRENCY_FIELDS = frozenset(
    "Waluta Jezyk KursWalutyWidoczny KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury".split()
)
_FIELDS: Mapping[str, frozenset[str]] = {
    "fakturakraj": _DOMESTIC_FIELDS,
    "fakturawaluta": _DOMESTIC_FIELDS | _CURRENCY_FIELDS | {"TypSprzedazy"},
    # WDT and export bodies have no LiczOd, TypSprzedazy or SplitPayment (I-BUNDLE).
    "fakturawdt": (_DOMESTIC_FIELDS | _CURRENCY_FIELDS) - {"LiczOd", "SplitPayment"},
    "fakturaeksporttowarow": (_DOMESTIC_FIELDS | _CURRENCY_FIELDS) - {"LiczOd", "SplitPayment"},
}
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "fakturakraj": ("LiczOd", "WidocznyNumerGios"),
    "fakturawaluta": ("LiczOd", "TypSprzedazy", "Waluta"),
    "fakturawdt": ("Waluta", "Jezyk"),
    "fakturaeksporttowarow": ("Waluta", "Jezyk"),
}
_REQUIRED_COMMON = (
    "Zaplacono",
    "ZaplaconoNaDokumencie",
    "DataWystawienia",
    "DataSprzedazy",
    "FormatDatySprzedazy",
    "SposobZaplaty",
    "RodzajPodpisuOdbiorcy",
    "Pozycje",
)
_LINE_FIELDS = frozenset(
    "NazwaPelna Jednostka Ilosc CenaJednostkowa StawkaVat TypStawkiVat PKWiU GTU Rabat StawkaRyczaltu "
    "PodstawaPrawna Zal15 NazwaPelnaObca JednostkaObca".split()
)
_BUYER_FIELDS = frozenset(
    "Nazwa Nazwa2 Identyfikator PrefiksUE NIP Ulica KodPocztowy Miejscowosc Kraj KodKraju Email Telefon "
    "OsobaFizyczna JestOdbiorca JestDostawca PodmiotPowiazany".split()
)
_BUYER_LENGTHS = {
    "Nazwa": 150, "Identyfikator": 15, "PrefiksUE": 2, "NIP": 13, "Ulica": 65, "KodPocztowy": 16,
    "Miejscowosc": 65, "Kraj": 70, "KodKraju": 2, "Email": 65, "Telefon": 32,
}  # fmt: skip
_CORRECTION_FIELDS = frozenset(
    "PowodKorekty PowodKorektyNaWydruku DataWystawienia Pozycje SpelnionoWarunki MiejsceWystawienia "
    "TerminPlatnosci Zaplacono SposobZaplaty NumerKontaBankowego SplitPayment NazwaSeriiNumeracji NazwaSzablonu "
    "RodzajPodpisuOdbiorcy PodpisOdbiorcy PodpisWystawcy Uwagi".split()
)

_AUTH = re.compile(r"IAPIS user=(?P<user>[^,]+), hmac-sha1=(?P<digest>[0-9a-f]{40})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal(100_000_000)

# Informacja texts: the meanings are I-DOC's Kod table; the wording is not documented.
_TEXTS = {
    100: "Wystąpił problem techniczny.",
    101: "Nieprawidłowe kodowanie znaków, oczekiwano UTF-8.",
    102: "Brak lub nieprawidłowy typ zawartości żądania.",
    200: "Nieprawidłowa struktura obiektu domenowego.",
    400: "Nieprawidłowy nagłówek autoryzacji.",
    401: "Nieprawidłowy login użytkownika.",
    402: "Brak wygenerowanego klucza autoryzacji.",
    403: "Nieprawidłowy skrót (hash) żądania.",
    499: "Nie zaakceptowano regulaminu ifirma.pl. Zaloguj się do serwisu.",
    500: "Brak uprawnień do zasobu.",
}


@attrs.frozen
class StoredInvoice:
    """A snapshot of a document the fake holds.

    Attributes:
        id: iFirma's ``Identyfikator`` / ``FakturaId``.
        kind: the endpoint it was issued through (``fakturakraj``, ...); corrections are
            ``fakturakraj``.
        series: the numbering series' name.
        number: the sequence number within the series and period.
        full_number: ``PelnyNumer`` as printed.
        issue_date: ``DataWystawienia``.
        body: the JSON object received (numbers as :class:`~decimal.Decimal`).
        currency: ``Waluta`` (``PLN`` for domestic invoices).
        net, vat, gross: totals (for a correction: after correction).
        paid: ``Zaplacono`` plus payments registered since.
        corrects: for a correction, the id of the invoice it corrects.
        reason: for a correction, ``PowodKorekty``.
    """

    id: int
    kind: str
    series: str
    number: int
    full_number: str
    issue_date: str
    body: dict[str, Any] = attrs.field(eq=False, repr=False)
    currency: str = "PLN"
    net: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    corrects: int | None = None
    reason: str | None = None


@attrs.frozen
class StoredPayment:
    """A payment registered with ``faktury/wplaty``: the invoice id, amount, date and type."""

    invoice_id: int
    amount: Decimal
    date: str
    invoice_type: str


class _Refusal(Exception):
    """An error answer: raised inside a handler, turned into the envelope."""

    def __init__(self, code: int, text: str | None = None, status: int = 200) -> None:
        super().__init__(text or _TEXTS.get(code, ""))
        self.code = code
        self.text = text or _TEXTS.get(code, "")
        self.status = status


@attrs.define
class _Series:
    name: str
    prefix: str
    monthly: bool
    counters: dict[tuple[str, int, int], int] = attrs.Factory(dict)
    last_issue: dt.date | None = None

    def allocate(self, day: dt.date, correction: bool) -> tuple[int, str]:
        period = (day.year, day.month if self.monthly else 0)
        key = ("K" if correction else "F", *period)
        number = self.counters.get(key, 0) + 1
        self.counters[key] = number
        return number, self.format(day, number, correction)

    def format(self, day: dt.date, number: int, correction: bool) -> str:
        # The number formats are not documented; these follow iFirma's printed examples
        # ("1/2026", monthly "1/01/2026"), corrections with a "K" marker.
        middle = f"/{day.month:02d}" if self.monthly else ""
        return f"{self.prefix}{number}{middle}/{day.year}" + ("/K" if correction else "")


@attrs.define
class _Doc:
    id: int
    kind: str
    series: str
    number: int
    full_number: str
    issue_date: dt.date
    sale_date: dt.date
    body: dict[str, Any]
    currency: str
    gross_basis: bool
    net: Decimal
    vat: Decimal
    gross: Decimal
    paid: Decimal
    buyer_name: str
    buyer_nip: str
    due: str | None
    lines: int
    corrects: int | None = None
    reason: str | None = None


@attrs.frozen
class _Reply:
    status: int
    payload: dict[str, Any] | None = None
    pdf: bytes | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)


def _number(value: Any) -> Decimal | None:
    """A JSON number as Decimal (never a bool or a string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return None


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _encode(value: Any) -> str:
    """JSON with Decimals written exactly (never through float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _key_name(rel: str) -> str:
    """The key a path is signed with (I-DOC: abonent, faktura, rachunek, wydatek)."""
    head = rel.split("/", 1)[0]
    if head == "abonent":
        return "abonent"
    if head.startswith("rachunek"):
        return "rachunek"
    if head.startswith("wydatek"):
        return "wydatek"
    return "faktura"


class IFirmaFake(FakeProvider):
    """The iFirma API, in memory, as an httpx transport (sync and async).

    One lock serialises all requests, so many threads may share it.

    Configuration attributes (mutable between requests):
        keys: the user's hex keys per key name; a key name without a key answers Kod 402.
        terms_accepted: ``False`` answers every call with Kod 499.
        super_account: ``False`` answers every call with Kod 500.
        per_minute, per_day: the request limits per user (100 and 15,000).
        faults: the :class:`~accounting_connectors.testing.faults.FaultPlan`; paths are
            relative to ``/iapi/`` (``"fakturakraj.json"``).
    """

    origin = f"https://{_HOST}"
    """Scheme and host of the real service, for :func:`~accounting_connectors.testing.serve`."""

    def __init__(
        self,
        username: str = DEFAULT_USER,
        keys: Mapping[str, str] = DEFAULT_KEYS,
        clock: FakeClock | None = None,
        *,
        accounting_month: tuple[int, int] | None = None,
        series: Iterable[str] = (),
        per_minute: int = 100,
        per_day: int = 15_000,
    ) -> None:
        super().__init__()
        self.username = username
        self.keys = dict(keys)
        self.clock = clock if clock is not None else FakeClock()
        self.terms_accepted = True
        self.super_account = True
        self.per_minute = per_minute
        self.per_day = per_day
        self.limit_hits = 0
        self.month_moves = 0
        today = self._today()
        year, month = accounting_month or (today.year, today.month)
        self._month = year * 12 + month - 1
        self._series: dict[str, _Series] = {}
        self.add_series(DEFAULT_SERIES)
        for name in series:
            self.add_series(name)
        self._docs: dict[int, _Doc] = {}
        self._payments: list[StoredPayment] = []
        self._calls: dict[str, collections.deque[float]] = {}
        self._next_id = 1000

    # ------------------------------------------------------------------ configuration
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
            self._series[name] = _Series(name=name, prefix=prefix, monthly=monthly)

    def inject(
        self, fault: Fault, path: str | None = None, *, times: int | None = 1, method: str | None = None
    ) -> None:
        """Queue ``fault`` for the next ``times`` requests to ``path`` (relative to ``/iapi/``)."""
        self.faults.add(fault, path, times=times, method=method)

    # ------------------------------------------------------------------ inspection
    @property
    def documents(self) -> list[StoredInvoice]:
        """Every stored invoice and correction, in issue order."""
        with self._lock:
            return [self._snapshot(doc) for doc in self._docs.values()]

    def invoices(self, kind: str | None = None) -> list[StoredInvoice]:
        """Invoices (not corrections), optionally of one ``kind``."""
        return [d for d in self.documents if d.corrects is None and (kind is None or d.kind == kind)]

    @property
    def corrections(self) -> list[StoredInvoice]:
        """Corrections issued through ``fakturakraj/korekta``."""
        return [d for d in self.documents if d.corrects is not None]

    def find(self, full_number: str) -> StoredInvoice | None:
        """The document printed with ``full_number``, if stored."""
        return next((d for d in self.documents if d.full_number == full_number), None)

    @property
    def payments(self) -> list[StoredPayment]:
        """Payments registered so far."""
        with self._lock:
            return list(self._payments)

    def used_today(self, user: str | None = None) -> int:
        """Requests counted against ``user``'s daily limit in the last 24 hours."""
        with self._lock:
            now = self.clock.time()
            return sum(1 for t in self._calls.get(user or self.username, ()) if t > now - 86_400)

    # ------------------------------------------------------------------ transport API

    # ------------------------------------------------------------------ core
    def _handle(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" or url.host != _HOST:
            raise httpx.ConnectError(f"the iFirma fake only serves https://{_HOST}{_BASE_PATH}", request=request)
        path = url.path
        rel = normalize_path(path[len(_BASE_PATH) :]) if path.startswith(_BASE_PATH) else normalize_path(path)
        method = request.method.upper()
        with self._lock:
            fault = self._arrive(request, rel, method)
            limited = self._count(request)
            if fault is Fault.TIMEOUT_BEFORE_COMMIT:
                raise read_timeout(request)
            if fault is Fault.SERVER_ERROR:
                return self._respond(_Reply(500, _envelope(100, _TEXTS[100])))
            if fault is Fault.ERROR_TEXT_200:
                return self._respond(_Reply(200, _envelope(100, _TEXTS[100])))
            if limited is not None:
                return self._respond(limited)
            reply = self._route(request, rel, method)
            response = self._respond(reply)
            if fault is Fault.TIMEOUT_AFTER_COMMIT:
                raise read_timeout(request)
            return response

    def _count(self, request: httpx.Request) -> _Reply | None:
        """Apply 100/minute and 15,000/day per user (sliding windows); refused calls do not count.

        What iFirma answers on excess is not documented: the fake answers HTTP 429 with
        a ``Retry-After`` (seconds) and the envelope (Kod 100).  # not documented
        """
        match = _AUTH.fullmatch(request.headers.get("authentication", ""))
        user = match.group("user") if match else ""
        now = self.clock.time()
        calls = self._calls.setdefault(user, collections.deque())
        while calls and calls[0] <= now - 86_400:
            calls.popleft()
        minute = [t for t in calls if t > now - 60]
        wait: float | None = None
        text = ""
        if len(minute) >= self.per_minute:
            wait = minute[-self.per_minute] + 60 - now
            text = f"Przekroczono limit zapytań API: {self.per_minute} na minutę."  # not documented
        elif len(calls) >= self.per_day:
            wait = calls[-self.per_day] + 86_400 - now
            text = f"Przekroczono limit zapytań API: {self.per_day} na dobę."  # not documented
        if wait is None:
            calls.append(now)
            return None
        self.limit_hits += 1
        retry_after = str(max(1, -int(-wait // 1)))
        return _Reply(429, _envelope(100, text), headers={"Retry-After": retry_after})

    def _route(self, request: httpx.Request, rel: str, method: str) -> _Reply:
        try:
            self._authenticate(request, rel)
            if not self.terms_accepted:
                raise _Refusal(499)
            if not self.super_account:
                raise _Refusal(500)
            handler, args = self._resolve(rel, method)
            body: dict[str, Any] = {}
            if method in ("POST", "PUT"):
                body = self._json_body(request)
            return handler(request, body, *args)
        except _Refusal as refusal:
            return _Reply(refusal.status, _envelope(refusal.code, refusal.text))

    def _resolve(self, rel: str, method: str) -> tuple[Callable[..., _Reply], tuple[str, ...]]:
        kinds = "|".join(_KINDS)
        routes: list[tuple[str, str, Callable[..., _Reply]]] = [
            ("GET", r"abonent/miesiacksiegowy\.json", self._get_month),
            ("PUT", r"abonent/miesiacksiegowy\.json", self._put_month),
            ("GET", r"abonent/limit\.json", self._get_limit),
            ("POST", rf"({kinds})\.json", self._post_invoice),
            ("POST", r"fakturakraj/korekta/([^/]+)\.json", self._post_correction),
            ("GET", rf"({kinds})/(\d+)\.json", self._get_invoice),
            # .pdf, and the variants clients use (.pdf.single, .pdf.oryg); all print the same here.
            ("GET", rf"({kinds})/(\d+)\.pdf(?:\.single|\.oryg)?", self._get_pdf),
            ("POST", r"faktury/wplaty/([a-z_]+)/([^/]+)\.json", self._post_payment),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, rel)
            if match and route_method == method:
                return handler, match.groups()
        # not documented: unknown resources answer HTTP 404 in the envelope.
        raise _Refusal(200, f"Nie znaleziono zasobu {method} /iapi/{rel}.", status=404)

    def _respond(self, reply: _Reply) -> httpx.Response:
        headers = dict(reply.headers)
        if reply.pdf is not None:
            headers["Content-Type"] = "application/pdf"
            return httpx.Response(reply.status, headers=headers, content=reply.pdf)
        headers["Content-Type"] = "application/json; charset=UTF-8"
        return httpx.Response(reply.status, headers=headers, content=_encode(reply.payload or {}).encode("utf-8"))

    def _authenticate(self, request: httpx.Request, rel: str) -> None:
        """Recompute the HMAC-SHA1 from the received request (I-DOC /naglowek-autoryzacji, /faq)."""
        match = _AUTH.fullmatch(request.headers.get("authentication", ""))
        if match is None:
            raise _Refusal(400)
        user = match.group("user")
        if user != self.username:
            raise _Refusal(401)
        key_name = _key_name(rel)
        key = self.keys.get(key_name)
        if key is None:
            raise _Refusal(402, f"Brak wygenerowanego klucza autoryzacji '{key_name}'.")
        url = request.url
        # The URL as received, without its query string: scheme, host (and port) and path.
        signed_url = f"{url.scheme}://{url.netloc.decode('ascii')}".encode() + url.raw_path.split(b"?", 1)[0]
        message = signed_url + user.encode() + key_name.encode() + request.content
        expected = hmac.new(bytes.fromhex(key), message, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, match.group("digest")):
            raise _Refusal(403)

    def _json_body(self, request: httpx.Request) -> dict[str, Any]:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise _Refusal(102)
        try:
            text = request.content.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refusal(101) from None
        try:
            parsed = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            raise _Refusal(200) from None
        if not isinstance(parsed, dict):
            raise _Refusal(200)
        return parsed

    def _today(self) -> dt.date:
        # Poland is UTC+1 (+2 in summer); +1 is used, which matters only near midnight.
        return dt.datetime.fromtimestamp(self.clock.time(), tz=dt.timezone(dt.timedelta(hours=1))).date()

    # ------------------------------------------------------------------ accounting month
    def _get_month(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        year, month = divmod(self._month, 12)
        return _Reply(200, _envelope(0, "", MiesiacKsiegowy=month + 1, RokKsiegowy=year))

    def _put_month(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        if set(body) - {"MiesiacKsiegowy", "PrzeniesDaneZPoprzedniegoRoku"}:
            raise _Refusal(200)
        direction = body.get("MiesiacKsiegowy")
        if direction not in ("NAST", "POPRZ"):
            raise _Refusal(201, "Pole MiesiacKsiegowy musi mieć wartość NAST lub POPRZ.")  # not documented
        carry = body.get("PrzeniesDaneZPoprzedniegoRoku", False)
        if not isinstance(carry, bool):
            raise _Refusal(201, "Pole PrzeniesDaneZPoprzedniegoRoku musi być wartością logiczną.")  # not documented
        self._month += 1 if direction == "NAST" else -1
        self.month_moves += 1
        year, month = divmod(self._month, 12)
        return _Reply(
            200, _envelope(0, "Miesiąc księgowy został zmieniony.", MiesiacKsiegowy=month + 1, RokKsiegowy=year)
        )

    def _get_limit(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        return _Reply(200, _envelope(0, "", LimitWykorzystany=self.used_today(), LimitPrzyznany=self.per_day))

    # ------------------------------------------------------------------ invoices
    def _post_invoice(self, request: httpx.Request, body: dict[str, Any], kind: str) -> _Reply:
        unknown = sorted(set(body) - _FIELDS[kind])
        if unknown:
            raise _Refusal(200, f"Nieprawidłowa struktura obiektu: nieznane pola {', '.join(unknown)}.")
        errors: list[str] = []
        for field in (*_REQUIRED_COMMON, *_REQUIRED[kind]):
            if body.get(field) is None:
                errors.append(f"Pole {field} jest wymagane.")
        if errors:
            raise _Refusal(201, " ".join(errors))
        gross_basis = body.get("LiczOd") == "BRT"
        if kind in ("fakturakraj", "fakturawaluta") and body["LiczOd"] not in ("NET", "BRT"):
            errors.append("Pole LiczOd musi mieć wartość NET lub BRT.")
        issue = self._date(body, "DataWystawienia", errors)
        sale = self._date(body, "DataSprzedazy", errors)
        due = self._date(body, "TerminPlatnosci", errors) if body.get("TerminPlatnosci") is not None else None
        self._choice(body, "FormatDatySprzedazy", ("DZN", "MSC"), errors)
        self._choice(body, "SposobZaplaty", PAYMENT_METHODS, errors)
        self._choice(body, "RodzajPodpisuOdbiorcy", ("OUP", "UPO", "BPO", "BWO"), errors)
        if "WidocznyNumerGios" in body and not isinstance(body["WidocznyNumerGios"], bool):
            errors.append("Pole WidocznyNumerGios musi być wartością logiczną.")
        numer = body.get("Numer")
        if numer is not None and (isinstance(numer, bool) or not isinstance(numer, int) or numer < 1):
            errors.append("Pole Numer musi być liczbą całkowitą dodatnią.")
        self._lengths(body, {"Uwagi": 1000, "MiejsceWystawienia": 50, "NumerKontaBankowego": 28}, errors)
        currency = "PLN"
        if kind != "fakturakraj":
            currency = str(body.get("Waluta"))
            if not re.fullmatch(r"[A-Z]{3}", currency) or (kind == "fakturawaluta" and currency == "PLN"):
                errors.append(f"Nieprawidłowa waluta {currency}.")
            language = body.get("Jezyk")
            if language is not None and not (isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language)):
                errors.append("Nieprawidłowy język wydruku.")
            rate = body.get("KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury")
            if rate is not None and not ((value := _number(rate)) is not None and value > 0):
                errors.append("Kurs waluty musi być liczbą dodatnią.")
        if kind == "fakturawaluta":
            self._choice(body, "TypSprzedazy", ("WYSYLKOWA", "KRAJOWA"), errors)
        buyer_name, buyer_nip = self._buyer(body, kind, errors)
        totals = self._lines(body.get("Pozycje"), kind, gross_basis, errors, correction=False)
        series = self._series_of(body, errors)
        if issue and sale:
            if issue < sale:
                errors.append("Data wystawienia nie może być wcześniejsza niż data sprzedaży.")
            year, month = divmod(sale.year * 12 + sale.month, 12)
            if issue > dt.date(year, month + 1, 15):
                errors.append("Data wystawienia nie może być późniejsza niż 15. dzień miesiąca po sprzedaży.")
            if due and due < sale:
                errors.append("Termin płatności nie może być wcześniejszy niż data sprzedaży.")
            if series and series.last_issue and issue < series.last_issue:
                errors.append("Data wystawienia nie może być wcześniejsza niż data poprzedniej faktury w serii.")
            self._check_month(issue, errors)
        net, vat, gross = totals
        for field in ("Zaplacono", "ZaplaconoNaDokumencie"):
            amount = _number(body.get(field))
            if amount is None or amount < 0 or amount >= _MAX_AMOUNT:
                errors.append(f"Pole {field} musi być liczbą od 0 do 99999999.99.")
            elif not errors and amount > gross:
                errors.append(f"Kwota w polu {field} nie może przekraczać wartości brutto faktury ({gross}).")
        if errors:
            raise _Refusal(201, " ".join(errors))
        assert issue is not None
        assert sale is not None
        assert series is not None
        if isinstance(numer, int):
            # UNCERTAIN what Numer does; the fake reads it as the sequence number to use.
            number, full = numer, series.format(issue, numer, False)
        else:
            number, full = series.allocate(issue, correction=False)
        series.last_issue = issue
        doc = _Doc(
            id=self._allocate_id(),
            kind=kind,
            series=series.name,
            number=number,
            full_number=full,
            issue_date=issue,
            sale_date=sale,
            body=body,
            currency=currency,
            gross_basis=gross_basis,
            net=net,
            vat=vat,
            gross=gross,
            paid=_number(body["Zaplacono"]) or Decimal(0),
            buyer_name=buyer_name,
            buyer_nip=buyer_nip,
            due=body.get("TerminPlatnosci"),
            lines=len(body["Pozycje"]),
        )
        self._docs[doc.id] = doc
        return _Reply(200, _envelope(0, "Faktura została wystawiona.", Identyfikator=doc.id))  # not documented

    def _buyer(self, body: Mapping[str, Any], kind: str, errors: list[str]) -> tuple[str, str]:
        inline = body.get("Kontrahent")
        if inline is None:
            if body.get("IdentyfikatorKontrahenta") or body.get("NIPKontrahenta"):
                # The fake keeps no contractor register.
                errors.append("Nie znaleziono kontrahenta.")  # not documented
            else:
                errors.append("Należy podać kontrahenta: Kontrahent, NIPKontrahenta lub IdentyfikatorKontrahenta.")
            return "", ""
        if not isinstance(inline, dict) or set(inline) - _BUYER_FIELDS:
            raise _Refusal(200, "Nieprawidłowa struktura obiektu Kontrahent.")
        for field in ("Nazwa", "KodPocztowy", "Miejscowosc"):
            if not (isinstance(inline.get(field), str) and inline[field].strip()):
                errors.append(f"Pole Kontrahent.{field} jest wymagane.")
        self._lengths(inline, _BUYER_LENGTHS, errors, prefix="Kontrahent.")
        for flag in ("OsobaFizyczna", "JestOdbiorca", "JestDostawca", "PodmiotPowiazany"):
            if flag in inline and not isinstance(inline[flag], bool):
                errors.append(f"Pole Kontrahent.{flag} musi być wartością logiczną.")
        if kind == "fakturawdt" and not inline.get("NIP"):
            errors.append("Dla wewnątrzwspólnotowej dostawy towarów wymagany jest NIP kontrahenta.")
        return str(inline.get("Nazwa") or ""), str(inline.get("NIP") or "")

    def _lines(
        self, lines: Any, kind: str, gross_basis: bool, errors: list[str], *, correction: bool
    ) -> tuple[Decimal, Decimal, Decimal]:
        """Validate ``Pozycje`` and total them per VAT rate (art. 106e: VAT per rate, not per line)."""
        if not isinstance(lines, list) or not lines:
            errors.append("Faktura musi zawierać co najmniej jedną pozycję.")
            return Decimal(0), Decimal(0), Decimal(0)
        sums: dict[Decimal, Decimal] = {}
        foreign = kind != "fakturakraj"
        for index, line in enumerate(lines, start=1):
            where = f"Pozycja {index}:"
            if not isinstance(line, dict) or set(line) - _LINE_FIELDS:
                raise _Refusal(200, f"Nieprawidłowa struktura pozycji {index}.")
            required = ["NazwaPelna", "Jednostka"] + (["NazwaPelnaObca", "JednostkaObca"] if foreign else [])
            for field in required:
                if not (isinstance(line.get(field), str) and line[field].strip()):
                    errors.append(f"{where} pole {field} jest wymagane.")
            self._lengths(
                line, {"NazwaPelna": 300, "NazwaPelnaObca": 300, "Jednostka": 10, "JednostkaObca": 10}, errors, where
            )
            quantity = _number(line.get("Ilosc"))
            price = _number(line.get("CenaJednostkowa"))
            if quantity is None or quantity < 0 or (quantity == 0 and not correction):
                errors.append(f"{where} ilość musi być większa od zera.")
            if price is None or price < 0 or price >= _MAX_AMOUNT:
                errors.append(f"{where} nieprawidłowa cena jednostkowa.")
            discount = Decimal(0)
            if line.get("Rabat") is not None:
                rabat = _number(line["Rabat"])
                if rabat is None or not 0 <= rabat < 100:
                    errors.append(f"{where} rabat musi być liczbą od 0 do mniej niż 100.")
                else:
                    discount = rabat
            rate_type = line.get("TypStawkiVat")
            rate = _number(line.get("StawkaVat")) if line.get("StawkaVat") is not None else None
            if rate_type == "PRC":
                allowed = _DOMESTIC_RATES if kind in ("fakturakraj", "fakturawaluta") else {Decimal(0)}
                if rate is None and kind in ("fakturawdt", "fakturaeksporttowarow"):
                    rate = Decimal(0)
                if rate is None or rate not in allowed:
                    errors.append(f"{where} nieprawidłowa stawka VAT.")
                    continue
            elif rate_type == "ZW" and kind in ("fakturakraj", "fakturawaluta"):
                if rate is not None:
                    errors.append(f"{where} pozycja zwolniona nie może mieć stawki VAT.")
                rate = Decimal(-1)  # exempt: its own group, no VAT
            else:
                errors.append(f"{where} nieprawidłowy typ stawki VAT.")
                continue
            if quantity is not None and price is not None:
                amount = _round(quantity * price * (1 - discount / 100))
                sums[rate] = sums.get(rate, Decimal(0)) + amount
        net = vat = Decimal("0.00")
        for rate, amount in sums.items():
            fraction = max(rate, Decimal(0))
            if gross_basis:
                part_net = _round(amount / (1 + fraction))
                net, vat = net + part_net, vat + amount - part_net
            else:
                part_vat = _round(amount * fraction)
                net, vat = net + amount, vat + part_vat
        return net, vat, net + vat

    def _series_of(self, body: Mapping[str, Any], errors: list[str]) -> _Series | None:
        name = body.get("NazwaSeriiNumeracji")
        if name is None:
            return self._series[DEFAULT_SERIES]
        series = self._series.get(name) if isinstance(name, str) else None
        if series is None:
            errors.append(f"Seria numeracji o nazwie '{name}' nie istnieje.")  # not documented
        return series

    def _check_month(self, issue: dt.date, errors: list[str]) -> None:
        if issue.year * 12 + issue.month - 1 != self._month:
            year, index = divmod(self._month, 12)
            # not documented (wording): the rule is I-DOC's, the month must be moved first.
            errors.append(
                f"Data wystawienia {issue.isoformat()} jest poza bieżącym miesiącem księgowym "
                f"{index + 1:02d}/{year}. Zmień miesiąc księgowy."
            )

    @staticmethod
    def _date(body: Mapping[str, Any], field: str, errors: list[str]) -> dt.date | None:
        value = body.get(field)
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        errors.append(f"Pole {field} musi być datą w formacie RRRR-MM-DD.")
        return None

    @staticmethod
    def _choice(body: Mapping[str, Any], field: str, allowed: Iterable[str], errors: list[str]) -> None:
        if body.get(field) is not None and body[field] not in tuple(allowed):
            errors.append(f"Nieprawidłowa wartość pola {field}: {body[field]}.")

    @staticmethod
    def _lengths(body: Mapping[str, Any], limits: Mapping[str, int], errors: list[str], prefix: str = "") -> None:
        for field, limit in limits.items():
            value = body.get(field)
            if value is None:
                continue
            if not isinstance(value, str):
                errors.append(f"{prefix}{field}: oczekiwano tekstu.")
            elif len(value) > limit:
                errors.append(f"{prefix}{field}: maksymalnie {limit} znaków.")

    def _allocate_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _lookup(self, kind: str, identifier: str) -> _Doc:
        doc = self._docs.get(int(identifier))
        if doc is None or doc.kind != kind:
            # not documented: a missing document answers HTTP 404 in the envelope.
            raise _Refusal(201, f"Nie znaleziono faktury o identyfikatorze {identifier}.", status=404)
        return doc

    def _get_invoice(self, request: httpx.Request, body: dict[str, Any], kind: str, identifier: str) -> _Reply:
        doc = self._lookup(kind, identifier)
        # The list-item fields (I-OFF InvoiceResponse.php, I-BUNDLE) in the envelope.
        return _Reply(
            200,
            _envelope(
                0,
                "",
                FakturaId=doc.id,
                PelnyNumer=doc.full_number,
                NazwaSeriiNumeracji=doc.series,
                KontrahentNazwa=doc.buyer_name,
                NIPKontrahenta=doc.buyer_nip,
                DataWystawienia=doc.issue_date.isoformat(),
                Brutto=doc.gross,
                Rodzaj=doc.kind,
                Waluta=doc.currency,
                Zaplacono=doc.paid,
                TerminPlatnosci=doc.due,
            ),
        )

    def _get_pdf(self, request: httpx.Request, body: dict[str, Any], kind: str, identifier: str) -> _Reply:
        doc = self._lookup(kind, identifier)
        title = "Faktura korygujaca" if doc.corrects is not None else "Faktura VAT"
        text = f"{title} {doc.full_number}\nData wystawienia: {doc.issue_date}\nNabywca: {doc.buyer_name}\n"
        text += f"Netto: {doc.net} VAT: {doc.vat} Brutto: {doc.gross} {doc.currency}"
        return _Reply(200, pdf=make_pdf(text))

    # ------------------------------------------------------------------ corrections
    def _find_ref(self, ref: str) -> _Doc | None:
        if ref.isdigit():
            return self._docs.get(int(ref))
        number = ref.replace("_", "/")
        return next((doc for doc in self._docs.values() if doc.full_number == number), None)

    def _post_correction(self, request: httpx.Request, body: dict[str, Any], ref: str) -> _Reply:
        original = self._find_ref(ref)
        if original is None or original.kind != "fakturakraj" or original.corrects is not None:
            raise _Refusal(201, f"Nie znaleziono faktury krajowej {ref} do korekty.", status=404)  # not documented
        if set(body) - _CORRECTION_FIELDS:
            raise _Refusal(200, "Nieprawidłowa struktura obiektu korekty.")
        errors: list[str] = []
        for field in ("PowodKorekty", "DataWystawienia", "Pozycje"):
            if body.get(field) is None:
                errors.append(f"Pole {field} jest wymagane.")
        if errors:
            raise _Refusal(201, " ".join(errors))
        self._choice(body, "PowodKorekty", CORRECTION_REASONS, errors)
        self._choice(body, "SposobZaplaty", PAYMENT_METHODS, errors)
        self._choice(body, "RodzajPodpisuOdbiorcy", ("OUP", "UPO", "BPO", "BWO"), errors)
        self._lengths(body, {"Uwagi": 1000, "MiejsceWystawienia": 50, "NumerKontaBankowego": 28}, errors)
        issue = self._date(body, "DataWystawienia", errors)
        lines = body["Pozycje"]
        if isinstance(lines, list) and len(lines) != original.lines:
            # Lines are the state after correction, one per original line (I-DOC).
            errors.append(f"Korekta musi zawierać {original.lines} pozycji (stan po korekcie).")
        net, vat, gross = self._lines(lines, "fakturakraj", original.gross_basis, errors, correction=True)
        series = self._series_of(body, errors)
        if issue is not None:
            if issue < original.issue_date:
                errors.append("Data korekty nie może być wcześniejsza niż data faktury korygowanej.")
            self._check_month(issue, errors)
        if errors:
            raise _Refusal(201, " ".join(errors))
        assert issue is not None
        assert series is not None
        number, full = series.allocate(issue, correction=True)
        doc = _Doc(
            id=self._allocate_id(),
            kind="fakturakraj",
            series=series.name,
            number=number,
            full_number=full,
            issue_date=issue,
            sale_date=original.sale_date,
            body=body,
            currency=original.currency,
            gross_basis=original.gross_basis,
            net=net,
            vat=vat,
            gross=gross,
            paid=Decimal(0),
            buyer_name=original.buyer_name,
            buyer_nip=original.buyer_nip,
            due=body.get("TerminPlatnosci"),
            lines=original.lines,
            corrects=original.id,
            reason=str(body["PowodKorekty"]),
        )
        self._docs[doc.id] = doc
        return _Reply(200, _envelope(0, "Faktura korygująca została wystawiona.", Identyfikator=doc.id))

    # ------------------------------------------------------------------ payments
    def _post_payment(self, request: httpx.Request, body: dict[str, Any], invoice_type: str, ref: str) -> _Reply:
        if invoice_type not in PAYMENT_INVOICE_TYPES:
            raise _Refusal(201, f"Nieprawidłowy typ faktury {invoice_type}.")  # not documented
        number = ref.replace("_", "/")
        kind = _PAYMENT_KIND.get(invoice_type)
        doc = next(
            (d for d in self._docs.values() if d.full_number == number and d.kind == kind and d.corrects is None),
            None,
        )
        if doc is None:
            # UNCERTAIN whether the numeric id works too; the fake accepts the number only.
            raise _Refusal(201, f"Nie znaleziono faktury o numerze {number}.", status=404)  # not documented
        if set(body) - {"Kwota", "Data", "KwotaPln", "Kurs"}:
            raise _Refusal(200, "Nieprawidłowa struktura obiektu wpłaty.")
        errors: list[str] = []
        amount = _number(body.get("Kwota"))
        if amount is None or amount <= 0 or amount >= _MAX_AMOUNT:
            errors.append("Pole Kwota jest wymagane i musi być liczbą dodatnią.")
        day = self._today().isoformat()
        if body.get("Data") is not None:
            parsed = self._date(body, "Data", errors)
            day = parsed.isoformat() if parsed else day
        elif doc.currency != "PLN":
            errors.append("Pole Data jest wymagane dla faktury w walucie obcej.")  # UNCERTAIN rule
        if errors:
            raise _Refusal(201, " ".join(errors))
        assert amount is not None
        doc.paid += amount
        self._payments.append(StoredPayment(invoice_id=doc.id, amount=amount, date=day, invoice_type=invoice_type))
        return _Reply(200, _envelope(0, "Wpłata została zarejestrowana."))  # not documented

    # ------------------------------------------------------------------ snapshots
    @staticmethod
    def _snapshot(doc: _Doc) -> StoredInvoice:
        return StoredInvoice(
            id=doc.id,
            kind=doc.kind,
            series=doc.series,
            number=doc.number,
            full_number=doc.full_number,
            issue_date=doc.issue_date.isoformat(),
            body=doc.body,
            currency=doc.currency,
            net=doc.net,
            vat=doc.vat,
            gross=doc.gross,
            paid=doc.paid,
            corrects=doc.corrects,
            reason=doc.reason,
        )

    def __repr__(self) -> str:
        return f"IFirmaFake(username={self.username!r}, accounting_month={self.accounting_month!r})"


def _envelope(code: int, text: str, **fields: Any) -> dict[str, Any]:
    """The response envelope of every iFirma answer (I-OFF Response.php)."""
    return {"response": {"Kod": code, "Informacja": text, **fields}}
