"""A fake wFirma API2, built from ``shared/providers/wfirma.md`` and the Postman collection.

What it does the wFirma way (section numbers of the sheet):

* API keys in three headers, ``accessKey``, ``secretKey``, ``appKey`` (§1); wrong keys
  answer ``AUTH``; five failed logins lock the access key for five minutes, answered
  ``AUTH FAILED LIMIT WAIT 5 MINUTES`` even to the right keys (§13, earlier §1.1).
* ``company_id`` selects one of the user's companies; a user with several companies who
  names none gets ``COMPANY ID REQUIRED``, a company not theirs ``ACCESS DENIED`` (§1).
* Bodies in XML (parsed with ``defusedxml``) or JSON, numbered or as arrays under
  ``api`` (§1.1); answers in ``outputFormat`` (default ``inputFormat``), always with
  ``status > code`` under HTTP 200 (§2), validation errors attached to the records.
* Documents numbered per series from the series' template and reset (§7), VAT by the
  company's ``vat_code`` ids (a ``vat`` it does not know is silently reset to 23 %, §6.1),
  goods with codes and stock (§12), corrections by ``parent_id`` with after states (§9),
  payments (§11), raw PDFs from ``invoices/download`` (§10), ``fiscalize``/``unfiscalize``
  (§8), ``find`` with conditions and paging (§14, §15), unknown fields silently ignored
  (§16), and no edits on accounts kept on full accounting books (§16).
* A request-count limit answered ``TOTAL REQUESTS LIMIT EXCEEDED`` (not quantified by
  wFirma; ``requests_per_minute`` here).

``detail`` of each :class:`StoredDocument` is a dict: ``type``, ``lines`` (dicts with
``id``, ``name``, ``count``, ``price``, ``vat_code_id``, ``vat``, ``good_id``,
``discount_percent``, ``netto``, ``brutto``), ``netto``, ``tax``, ``contractor``,
``price_type``, ``paymentmethod``, ``description``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, SubElement

import attrs

from ...clock import Clock
from ..base import FakeProvider
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .dialect import BadInput, element_to_json, parse_body, render

__all__ = ["DEMO_KEYS", "WFirmaFake"]

DEMO_KEYS = {"access_key": "demo-access-key", "secret_key": "demo-secret-key", "app_key": "demo-app-key"}
"""The demo user's API keys."""
DEMO_COMPANY = "1001"
"""The demo user's first company (warehouse module on)."""
SECOND_COMPANY = "1002"
"""The demo user's second company (kept on full accounting books: no edits)."""

FAILED_LOGINS = 5
LOCKOUT_SECONDS = 300.0

_CENT = Decimal("0.01")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FAILED = object()


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return f"{_round(value):f}"


@attrs.define
class _Series:
    id: str
    name: str
    template: str
    type: str
    reset: str = "yearly"
    initnumber: int = 1
    counters: dict[str, int] = attrs.field(factory=dict)

    def next_number(self, day: dt.date) -> tuple[int, str]:
        period = {"monthly": day.strftime("%Y-%m"), "monthy": day.strftime("%Y-%m"), "daily": day.isoformat()}.get(
            self.reset, str(day.year)
        )
        number = self.counters.get(period, self.initnumber - 1) + 1
        self.counters[period] = number
        full = (
            self.template.replace("[numer]", str(number))
            .replace("[rok]", str(day.year))
            .replace("[miesiąc]", f"{day.month:02d}")
            .replace("[dzień]", f"{day.day:02d}")
        )
        return number, full


@attrs.define
class _VatCode:
    id: str
    code: str
    rate: Decimal
    country: str = "PL"


@attrs.define
class _Good:
    id: str
    name: str
    code: str
    unit: str = "szt."
    netto: Decimal = Decimal("0.00")
    count: Decimal = Decimal(0)
    vat_code_id: str = ""


@attrs.define
class _Line:
    id: str
    name: str
    unit: str
    count: Decimal
    price: Decimal
    vat: str
    vat_code_id: str
    rate: Decimal
    discount_percent: Decimal
    good_id: str
    netto: Decimal = Decimal(0)
    brutto: Decimal = Decimal(0)


@attrs.define
class _Document:
    id: str
    type: str
    number: int
    fullnumber: str
    series_id: str
    date: str
    currency: str
    price_type: str
    paymentmethod: str
    lines: list[_Line]
    netto: Decimal
    tax: Decimal
    total: Decimal
    contractor: dict[str, str]
    id_external: str | None
    description: str | None
    parent_id: str | None
    alreadypaid: Decimal = Decimal(0)
    cancelled: bool = False
    fiscalized: bool = False
    body: Any = None


@attrs.define
class _Company:
    id: str
    name: str
    books: bool = False
    warehouse: bool = False
    series: dict[str, _Series] = attrs.field(factory=dict)
    defaults: dict[str, str] = attrs.field(factory=dict)
    vat_codes: dict[str, _VatCode] = attrs.field(factory=dict)
    goods: dict[str, _Good] = attrs.field(factory=dict)
    documents: dict[str, _Document] = attrs.field(factory=dict)
    payments: list[dict[str, str]] = attrs.field(factory=list)


@attrs.define
class _User:
    secret_key: str
    companies: list[str]


class WFirmaFake(FakeProvider):
    """An in-memory wFirma API2: several users, companies, keys and the documents issued."""

    provider: ClassVar[str] = "wfirma"
    base_urls: ClassVar[tuple[str, ...]] = ("https://api2.wfirma.pl/",)
    demo_settings: ClassVar[Mapping[str, Any]] = {**DEMO_KEYS, "company_id": DEMO_COMPANY}
    limits: ClassVar[tuple[FakeLimit, ...]] = (
        FakeLimit(
            FAILED_LOGINS,
            LOCKOUT_SECONDS,
            penalty_seconds=LOCKOUT_SECONDS,
            applies=lambda request: request.principal is _FAILED,
            name="failed_logins",
        ),
        FakeLimit(60, 60.0, name="requests"),
    )

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keep_log: bool = True,
        requests_per_minute: int = 60,
        filters_id_external: bool = True,
    ) -> None:
        if requests_per_minute != 60:
            limits = (type(self).limits[0], FakeLimit(requests_per_minute, 60.0, name="requests"))
            setattr(self, "limits", limits)  # noqa: B010 - this fake's own request limit
        super().__init__(clock=clock, keep_log=keep_log)
        self.filters_id_external = filters_id_external
        """UNCERTAIN (§14): whether ``find`` filters on ``id_external``; ``False`` ignores that condition."""
        self.app_keys: set[str] = set()
        self.users: dict[str, _User] = {}
        self.companies: dict[str, _Company] = {}
        self._next_id = {"invoice": 68827800, "content": 19630700, "payment": 5000, "good": 4700, "series": 1}
        self._order: list[tuple[str, str]] = []
        self._fatal_after_commit: set[str] = set()

    # Setting up accounts.

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> WFirmaFake:
        """The demo user (:data:`DEMO_KEYS`) with companies 1001 and 1002."""
        fake = cls(clock=clock)
        fake.add_company(DEMO_COMPANY, "Demo Sp. z o.o.", warehouse=True)
        fake.add_company(SECOND_COMPANY, "Druga Firma S.A.", books=True, vat_id_base=1000)
        fake.add_user(DEMO_KEYS["access_key"], DEMO_KEYS["secret_key"], [DEMO_COMPANY, SECOND_COMPANY])
        fake.app_keys.add(DEMO_KEYS["app_key"])
        fake.add_good(DEMO_COMPANY, "SKU-1", "Produkt A", count=Decimal(100))
        fake.add_good(DEMO_COMPANY, "SKU-2", "Produkt B", count=Decimal(5))
        return fake

    def add_company(
        self, company_id: str, name: str, *, books: bool = False, warehouse: bool = False, vat_id_base: int = 0
    ) -> None:
        """A company with default series (FV, PAR, DS, KOR) and the Polish VAT codes.

        VAT code ids start at 222 + ``vat_id_base``: ids are per account (§6.1).
        """
        company = _Company(company_id, name, books=books, warehouse=warehouse)
        for name_, template, kind in (
            ("FV", "FV [numer]/[rok]", "normal"),
            ("PAR", "PAR [numer]/[rok]", "receipt_fiscal_normal"),
            ("DS", "DS [numer]/[rok]", "receipt_normal"),
            ("KOR", "KOR [numer]/[rok]", "correction"),
        ):
            self.add_series(company, name_, template, kind, default=True)
        codes = ["23", "8", "5", "0", "WDT", "EXP", "NP", "NPUE", "VAT_BUYER", "22", "7", "3", "", "ZW"]
        for offset, code in enumerate(codes):
            if code:
                rate = Decimal(texts.POLISH_VAT[code])
                company.vat_codes[str(222 + vat_id_base + offset)] = _VatCode(
                    str(222 + vat_id_base + offset), code, rate
                )
        # OSS codes: empty code, a foreign declaration country (§6.1).
        company.vat_codes[str(300 + vat_id_base)] = _VatCode(str(300 + vat_id_base), "", Decimal(19), "DE")
        company.vat_codes[str(301 + vat_id_base)] = _VatCode(str(301 + vat_id_base), "", Decimal(20), "FR")
        self.companies[company_id] = company

    def add_series(
        self,
        company: _Company | str,
        name: str,
        template: str,
        kind: str,
        *,
        reset: str = "yearly",
        default: bool = False,
    ) -> str:
        """Add a numbering series; returns its id."""
        owner = company if isinstance(company, _Company) else self.companies[company]
        identifier = str(self._take("series"))
        owner.series[identifier] = _Series(identifier, name, template, kind, reset)
        if default:
            owner.defaults.setdefault(kind, identifier)
        return identifier

    def add_user(self, access_key: str, secret_key: str, companies: Iterable[str]) -> None:
        """A user (an API key pair) with access to ``companies``."""
        self.users[access_key] = _User(secret_key, list(companies))

    def rotate_keys(self, access_key: str) -> tuple[str, str]:
        """Edit the key: both ``accessKey`` and ``secretKey`` change (§1); the old pair stops working."""
        user = self.users.pop(access_key)
        new_access, new_secret = secrets.token_hex(16), secrets.token_hex(16)
        self.users[new_access] = _User(new_secret, user.companies)
        return new_access, new_secret

    def add_good(self, company_id: str, code: str, name: str, *, count: Decimal = Decimal(0)) -> str:
        """A catalogue good with product code ``code`` (the SKU, §12); returns its id."""
        company = self.companies[company_id]
        identifier = str(self._take("good"))
        vat = next(code_.id for code_ in company.vat_codes.values() if code_.code == "23")
        company.goods[identifier] = _Good(identifier, name, code, count=count, vat_code_id=vat)
        return identifier

    def good(self, company_id: str, code: str) -> dict[str, Any] | None:
        """The good with product ``code``: ``id``, ``name``, ``count``."""
        for good in self.companies[company_id].goods.values():
            if good.code == code:
                return {"id": good.id, "name": good.name, "count": good.count}
        return None

    def vat_code_id(self, company_id: str, code: str) -> str:
        """The id of VAT ``code`` in the company (ids differ between companies)."""
        return next(vat.id for vat in self.companies[company_id].vat_codes.values() if vat.code == code)

    def inject_fatal_after_commit(self, path: str = "invoices/add") -> None:
        """The next request to ``path`` is processed (a document stored), then answered ``FATAL``."""
        self._fatal_after_commit.add(path)

    def _today(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).date().isoformat()

    def _take(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    # The pipeline's hooks.

    def authenticate(self, request: FakeRequest) -> Any:
        """The three API-key headers (§1); a locked access key is refused even with the right keys."""
        access = request.headers.get("accessKey", "")
        locked = self.blocked_until(access)
        if locked is not None and locked > self.clock.time():
            raise FakeError(self._status(request, texts.AUTH_FAILED_LIMIT))
        user = self.users.get(access)
        if (
            user is None
            or request.headers.get("secretKey") != user.secret_key
            or request.headers.get("appKey") not in self.app_keys
        ):
            return _FAILED
        return user

    def limit_key(self, request: FakeRequest) -> str:
        """Limits and the failed-login lock count by access key."""
        return str(request.headers.get("accessKey", ""))

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """``AUTH FAILED LIMIT WAIT 5 MINUTES`` or ``TOTAL REQUESTS LIMIT EXCEEDED``, under HTTP 200."""
        if verdict.limit is not None and verdict.limit.name == "failed_logins":
            return self._status(request, texts.AUTH_FAILED_LIMIT)
        return self._status(request, texts.TOTAL_REQUESTS_LIMIT_EXCEEDED)

    def not_found(self, request: FakeRequest) -> Reply:
        """Unknown module or action: ``ACTION NOT FOUND`` under HTTP 200."""
        return self._status(request, texts.ACTION_NOT_FOUND)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """No 405 at wFirma: ``ACTION NOT FOUND``."""
        return self._status(request, texts.ACTION_NOT_FOUND)

    def server_error(self, request: FakeRequest) -> Reply:
        """HTTP 500 with a ``FATAL`` envelope (nothing stored)."""
        return attrs.evolve(self._status(request, texts.FATAL), status=500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """``FATAL`` under HTTP 200 (nothing stored)."""
        return self._status(request, texts.FATAL)

    def stored(self) -> list[StoredDocument]:
        """Every document of every company, in the order issued."""
        return [
            self._snapshot(company_id, self.companies[company_id].documents[doc]) for company_id, doc in self._order
        ]

    # Replies.

    @staticmethod
    def _formats(request: FakeRequest) -> tuple[str, str]:
        input_format = request.params.get("inputFormat", "xml").lower()
        output_format = request.params.get("outputFormat", input_format).lower()
        return input_format, output_format

    def _reply(self, request: FakeRequest, root: Element, code: str = texts.OK, message: str | None = None) -> Reply:
        status = SubElement(root, "status")
        SubElement(status, "code").text = code
        if message is not None:
            SubElement(status, "message").text = message
        content, kind = render(root, self._formats(request)[1])
        return Reply(200, content, {"Content-Type": kind})

    def _status(self, request: FakeRequest, code: str, message: str | None = None) -> Reply:
        return self._reply(request, Element("api"), code, message)

    def _refuse(self, request: FakeRequest, code: str, message: str | None = None) -> FakeError:
        return FakeError(self._status(request, code, message))

    def _begin(self, request: FakeRequest) -> tuple[_Company, Element]:
        if request.principal is _FAILED:
            raise self._refuse(request, texts.AUTH)
        user: _User = request.principal
        wanted = request.params.get("company_id")
        if wanted is None:
            if len(user.companies) != 1:
                raise self._refuse(request, texts.COMPANY_ID_REQUIRED)
            wanted = user.companies[0]
        if wanted not in user.companies or wanted not in self.companies:
            raise self._refuse(request, texts.ACCESS_DENIED)
        try:
            body = parse_body(request.content, self._formats(request)[0])
        except BadInput as error:
            raise self._refuse(request, texts.INPUT_ERROR, str(error)) from None
        return self.companies[wanted], body

    # Invoices.

    @route("POST", "invoices/add")
    def add_invoice(self, request: FakeRequest) -> Reply:
        """Issue an invoice, receipt or correction (§4, §8, §9)."""
        company, body = self._begin(request)
        record = body.find("invoices/invoice")
        if record is None:
            raise self._refuse(request, texts.INPUT_ERROR, "brak gałęzi invoices > invoice")
        document = self._build(request, company, record)
        company.documents[document.id] = document
        self._order.append((company.id, document.id))
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        if "invoices/add" in self._fatal_after_commit:
            self._fatal_after_commit.discard("invoices/add")
            return self._status(request, texts.FATAL)
        return self._reply(request, root)

    def _build(self, request: FakeRequest, company: _Company, record: Element) -> _Document:
        errors: list[tuple[Element, str, str]] = []
        kind = _text(record, "type")
        if kind is None:
            if _text(record, "auto_send") == "1":
                raise self._refuse(request, texts.ERROR, texts.AUTO_SEND_WITHOUT_TYPE)
            errors.append((record, "type", texts.EMPTY_FIELD))
            kind = "normal"
        elif kind not in texts.INVOICE_TYPES:
            errors.append((record, "type", texts.BAD_VALUE))
        parent: _Document | None = None
        if kind == "correction":
            parent_id = _text(record, "parent_id") or _text(record, "parent/id")  # both forms (§9)
            parent = company.documents.get(parent_id or "")
            if parent is None or parent.type in texts.RECEIPT_TYPES:
                errors.append((record, "parent_id", texts.NO_SUCH_OBJECT))
        today = self._today()
        date = _text(record, "date") or today
        if not _DATE.match(date) or _day(date) is None:
            errors.append((record, "date", texts.BAD_DATE))
        for name in ("disposaldate", "paymentdate"):
            value = _text(record, name)
            if value is not None and (not _DATE.match(value) or _day(value) is None):
                errors.append((record, name, texts.BAD_DATE))
        method = _text(record, "paymentmethod") or "transfer"
        if method not in texts.PAYMENT_METHODS:
            errors.append((record, "paymentmethod", texts.BAD_VALUE))
        price_type = _text(record, "price_type") or (parent.price_type if parent else "netto")
        if price_type not in ("netto", "brutto"):
            errors.append((record, "price_type", texts.BAD_VALUE))
        contractor = self._contractor(record, kind, parent, errors)
        series_id = _text(record, "series/id")
        if series_id is not None and series_id not in company.series:
            errors.append((_branch(record, "series"), "id", texts.NO_SUCH_OBJECT))
        lines = self._lines(company, record, parent, price_type, errors)
        paid = _decimal(_text(record, "alreadypaid_initial") or "0")
        if paid is None:
            errors.append((record, "alreadypaid_initial", texts.BAD_NUMBER))
        if errors:
            for element, field, message in errors:
                _attach(element, field, message)
            root = Element("api")
            SubElement(root, "invoices").append(record)
            raise FakeError(self._reply(request, root, texts.ERROR))
        netto, tax, total = _totals(lines, price_type)
        if parent is not None:
            netto, tax, total = netto - parent.netto, tax - parent.tax, total - parent.total
        series = company.series.get(series_id or company.defaults.get(kind, company.defaults["normal"]))
        assert series is not None
        day = _day(date) or dt.date.today()
        number, fullnumber = series.next_number(day)
        if company.warehouse and kind != "correction" and kind not in ("proforma", "offer"):
            for line in lines:
                good = company.goods.get(line.good_id)
                if good is not None:
                    good.count -= line.count
        return _Document(
            id=str(self._take("invoice")),
            type=kind,
            number=number,
            fullnumber=fullnumber,
            series_id=series.id,
            date=date,
            currency=(parent.currency if parent else _text(record, "currency") or "PLN"),
            price_type=price_type,
            paymentmethod=method,
            lines=lines,
            netto=netto,
            tax=tax,
            total=total,
            contractor=contractor,
            id_external=_text(record, "id_external"),
            description=_text(record, "description"),
            parent_id=parent.id if parent else None,
            alreadypaid=paid or Decimal(0),
            body=element_to_json(record),
        )

    def _contractor(
        self, record: Element, kind: str, parent: _Document | None, errors: list[tuple[Element, str, str]]
    ) -> dict[str, str]:
        element = record.find("contractor")
        if element is None:
            # A fiscal receipt has no contractor (W-DOC ereceipt_integration_receipt); a
            # correction inherits the corrected invoice's.
            if kind in texts.RECEIPT_TYPES:
                return {}
            if parent is not None:
                return dict(parent.contractor)
            errors.append((record, "contractor", texts.EMPTY_FIELD))
            return {}
        values = {child.tag: (child.text or "") for child in element if len(child) == 0}
        if _text(element, "id") is None:
            # The doc example rejects an empty name, zip and city [W-DOC; W-GUIDE].
            for name in ("name", "zip", "city"):
                if not values.get(name, "").strip():
                    errors.append((element, name, texts.EMPTY_FIELD))
        kind_of_id = values.get("tax_id_type")
        if kind_of_id is not None and kind_of_id not in ("nip", "vat", "pesel", "regon", "custom", "none"):
            errors.append((element, "tax_id_type", texts.BAD_VALUE))
        return values

    def _lines(
        self,
        company: _Company,
        record: Element,
        parent: _Document | None,
        price_type: str,
        errors: list[tuple[Element, str, str]],
    ) -> list[_Line]:
        contents = record.findall("invoicecontents/invoicecontent")
        if not contents and parent is None:
            errors.append((record, "invoicecontents", texts.NO_CONTENTS))
        after = {line.id: attrs.evolve(line) for line in parent.lines} if parent else {}
        new: list[_Line] = []
        by_code = {vat.code: vat for vat in company.vat_codes.values() if vat.code}
        for content in contents:
            linked_id = _text(content, "parent_id")
            linked = after.get(linked_id or "") if linked_id else None
            if linked_id and linked is None:
                errors.append((content, "parent_id", texts.NO_SUCH_OBJECT))
                continue
            name = _text(content, "name")
            if linked is not None:
                if name is not None and name != linked.name:
                    errors.append((content, "name", texts.LINKED_LINE_FIXED))
                name = linked.name
            if not name:
                errors.append((content, "name", texts.EMPTY_CONTENT_NAME))
                continue
            count = _decimal(_text(content, "count") or ("" if linked is None else str(linked.count)))
            price = _decimal(_text(content, "price") or ("" if linked is None else str(linked.price)))
            if count is None:
                errors.append((content, "count", texts.BAD_NUMBER))
            if price is None:
                errors.append((content, "price", texts.BAD_NUMBER))
            vat_id = _text(content, "vat_code/id")
            plain = _text(content, "vat")
            vat: _VatCode | None
            if vat_id is not None:  # the id wins over vat (W-GUIDE)
                vat = company.vat_codes.get(vat_id)
                if vat is None:
                    errors.append((_branch(content, "vat_code"), "id", texts.NO_SUCH_OBJECT))
            elif plain is not None:
                vat = by_code.get(plain) or by_code["23"]  # an unknown vat is silently reset to 23 % (§16)
            elif linked is not None:
                vat = company.vat_codes.get(linked.vat_code_id)
            else:
                vat = by_code["23"]
            good_id = _text(content, "good/id") or ("" if linked is None else linked.good_id)
            if good_id and good_id != "0" and good_id not in company.goods:
                errors.append((_branch(content, "good"), "id", texts.NO_SUCH_OBJECT))
            percent: Decimal | None
            if content.find("discount") is None and linked is not None:
                percent = linked.discount_percent  # a linked line keeps what it does not restate
            elif _text(content, "discount") not in (None, "", "0"):
                percent = _decimal(_text(content, "discount_percent") or "0")
            else:
                percent = Decimal(0)
            if percent is None:
                errors.append((content, "discount_percent", texts.BAD_NUMBER))
            if count is None or price is None or vat is None or percent is None:
                continue
            line = _Line(
                id=str(self._take("content")),
                name=name,
                unit=_text(content, "unit") or ("szt." if linked is None else linked.unit),
                count=count,
                price=price,
                vat=vat.code or f"{vat.rate}",
                vat_code_id=vat.id,
                rate=vat.rate,
                discount_percent=percent,
                good_id=good_id if good_id != "0" else "",
            )
            if linked is not None:
                after[linked.id] = line
            else:
                new.append(line)
        lines = [*after.values(), *new]
        for line in lines:
            amount = _round(line.count * line.price * (1 - line.discount_percent / 100))
            if price_type == "brutto":
                line.brutto = amount
                line.netto = _round(amount / (1 + line.rate / 100))
            else:
                line.netto = amount
                line.brutto = amount + _round(amount * line.rate / 100)
        return lines

    @route("GET", "invoices/get/{id}")
    @route("POST", "invoices/get/{id}")
    def get_invoice(self, request: FakeRequest) -> Reply:
        """One document with its lines."""
        company, _ = self._begin(request)
        document = self._document(request, company)
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        return self._reply(request, root)

    @route("GET", "invoices/find")
    @route("POST", "invoices/find")
    def find_invoices(self, request: FakeRequest) -> Reply:
        """``find`` with conditions, order and paging (§14, §15)."""
        company, body = self._begin(request)
        rows = [doc for doc in company.documents.values() if not doc.cancelled]
        ignored = set() if self.filters_id_external else {"id_external"}
        return self._found(
            request, body, "invoices", rows, lambda doc: _invoice_fields(doc), self._invoice_element, ignored
        )

    @route("POST", "invoices/download/{id}")
    @route("GET", "invoices/download/{id}")
    def download_invoice(self, request: FakeRequest) -> Reply:
        """The PDF, raw (``outputFormat`` is not honoured, §10)."""
        company, body = self._begin(request)
        document = self._document(request, company)
        page = "invoice"
        for parameter in body.findall("invoices/parameters/parameter"):
            if _text(parameter, "name") == "page":
                page = _text(parameter, "value") or "invoice"
        if page not in ("all", "invoice", "invoicecopy", "invoiceCopy"):
            raise self._refuse(request, texts.ERROR, texts.BAD_VALUE)
        title = {"normal": "Faktura VAT", "correction": "Faktura korygująca"}.get(document.type, "Paragon")
        text = f"{title} {document.fullnumber}\n{company.name}\nRazem: {_money(document.total)} {document.currency}"
        return Reply.pdf(make_pdf(text), filename=f"{document.fullnumber.replace('/', '_')}.pdf")

    @route("POST", "invoices/edit/{id}")
    def edit_invoice(self, request: FakeRequest) -> Reply:
        """Edits: refused on accounts kept on full accounting books (§16); else ``description`` only."""
        company, body = self._begin(request)
        document = self._document(request, company)
        if company.books:
            raise self._refuse(request, texts.ERROR, texts.BOOKS_NO_EDIT)
        description = _text(body, "invoices/invoice/description")
        if description is not None:
            document.description = description
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        return self._reply(request, root)

    @route("DELETE", "invoices/delete/{id}")
    @route("POST", "invoices/delete/{id}")
    @route("GET", "invoices/delete/{id}")
    def delete_invoice(self, request: FakeRequest) -> Reply:
        """Delete (kept as cancelled in :attr:`documents`)."""
        company, _ = self._begin(request)
        document = self._document(request, company)
        document.cancelled = True
        return self._status(request, texts.OK)

    @route("GET", "invoices/fiscalize/{id}")
    @route("POST", "invoices/fiscalize/{id}")
    @route("GET", "invoices/unfiscalize/{id}")
    @route("POST", "invoices/unfiscalize/{id}")
    def fiscalize_invoice(self, request: FakeRequest) -> Reply:
        """Mark a fiscal receipt fiscalised, or undo it (§8); wFirma drives no printer."""
        company, _ = self._begin(request)
        document = self._document(request, company)
        if document.type not in ("receipt_fiscal_normal", "receipt_fiscal_bill"):
            raise self._refuse(request, texts.ERROR, texts.BAD_VALUE)
        document.fiscalized = not request.path.startswith("invoices/unfiscalize")
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        return self._reply(request, root)

    def _document(self, request: FakeRequest, company: _Company) -> _Document:
        document = company.documents.get(request.groups["id"])
        if document is None or document.cancelled:
            raise self._refuse(request, texts.NOT_FOUND)
        return document

    def _invoice_element(self, document: _Document) -> Element:
        element = Element("invoice")
        remaining = document.total - document.alreadypaid
        state = "paid" if document.total > 0 and remaining <= 0 else ("unpaid" if document.total > 0 else "undefined")
        _add(
            element,
            id=document.id,
            fullnumber=document.fullnumber,
            number=str(document.number),
            type=document.type,
            date=document.date,
            currency=document.currency,
            price_type=document.price_type,
            paymentmethod=document.paymentmethod,
            paymentstate=state,
            netto=_money(document.netto),
            tax=_money(document.tax),
            total=_money(document.total),
            alreadypaid=_money(document.alreadypaid),
            remaining=_money(remaining),
            id_external=document.id_external or "",
            description=document.description or "",
        )
        if document.parent_id:
            _add(element, parent_id=document.parent_id)
        SubElement(SubElement(element, "series"), "id").text = document.series_id
        contractor = SubElement(element, "contractor")
        _add(contractor, **document.contractor)
        contents = SubElement(element, "invoicecontents")
        for line in document.lines:
            content = SubElement(contents, "invoicecontent")
            _add(
                content,
                id=line.id,
                name=line.name,
                unit=line.unit,
                count=f"{line.count:.4f}",
                price=_money(line.price),
                discount="1" if line.discount_percent else "0",
                discount_percent=_money(line.discount_percent),
                netto=_money(line.netto),
                brutto=_money(line.brutto),
                vat=line.vat,
            )
            SubElement(SubElement(content, "vat_code"), "id").text = line.vat_code_id
            SubElement(SubElement(content, "good"), "id").text = line.good_id or "0"
        return element

    # Payments.

    @route("POST", "payments/add")
    def add_payment(self, request: FakeRequest) -> Reply:
        """A payment against an invoice (§11)."""
        company, body = self._begin(request)
        record = body.find("payments/payment")
        if record is None:
            raise self._refuse(request, texts.INPUT_ERROR, "brak gałęzi payments > payment")
        errors: list[tuple[str, str]] = []
        if _text(record, "object_name") not in ("invoice", "expense"):
            errors.append(("object_name", texts.BAD_VALUE))
        document = company.documents.get(_text(record, "object_id") or "")
        if document is None or document.cancelled:
            errors.append(("object_id", texts.NO_SUCH_OBJECT))
        value = _decimal(_text(record, "value") or "")
        if value is None or value <= 0:
            errors.append(("value", texts.BAD_NUMBER))
        date = _text(record, "date") or self._today()
        if not _DATE.match(date) or _day(date) is None:
            errors.append(("date", texts.BAD_DATE))
        method = _text(record, "payment_method")
        if method is not None and method not in texts.PAYMENT_METHODS:
            errors.append(("payment_method", texts.BAD_VALUE))
        if errors or document is None or value is None:
            for field, message in errors:
                _attach(record, field, message)
            root = Element("api")
            SubElement(root, "payments").append(record)
            raise FakeError(self._reply(request, root, texts.ERROR))
        document.alreadypaid += value
        payment = {
            "id": str(self._take("payment")),
            "object_name": "invoice",
            "object_id": document.id,
            "value": _money(value),
            "date": date,
            "type": "income",
            "payment_method": method or document.paymentmethod,
            "payment_type": "cashbox" if (method or document.paymentmethod) == "cash" else "account",
            "initial": "0",
        }
        company.payments.append(payment)
        root = Element("api")
        element = SubElement(SubElement(root, "payments"), "payment")
        _add(element, **payment)
        SubElement(SubElement(element, "invoice"), "id").text = document.id
        if "payments/add" in self._fatal_after_commit:
            self._fatal_after_commit.discard("payments/add")
            return self._status(request, texts.FATAL)
        return self._reply(request, root)

    @route("GET", "payments/find")
    @route("POST", "payments/find")
    def find_payments(self, request: FakeRequest) -> Reply:
        """The company's payments."""
        company, body = self._begin(request)

        def element(payment: dict[str, str]) -> Element:
            row = Element("payment")
            _add(row, **payment)
            return row

        return self._found(request, body, "payments", company.payments, lambda p: p, element)

    # Dictionaries.

    @route("GET", "series/find")
    @route("POST", "series/find")
    def find_series(self, request: FakeRequest) -> Reply:
        """The company's numbering series (§7)."""
        company, body = self._begin(request)

        def fields(series: _Series) -> dict[str, str]:
            return {
                "id": series.id,
                "name": series.name,
                "template": series.template,
                "type": series.type,
                "reset": series.reset,
                "initnumber": str(series.initnumber),
                "visibility": "visible",
            }

        def element(series: _Series) -> Element:
            row = Element("series")
            _add(row, **fields(series))
            return row

        return self._found(request, body, "series", list(company.series.values()), fields, element)

    @route("GET", "vat_codes/find")
    @route("POST", "vat_codes/find")
    def find_vat_codes(self, request: FakeRequest) -> Reply:
        """The company's VAT codes: Polish ones with a ``code``, OSS ones with a country (§6.1)."""
        company, body = self._begin(request)

        def fields(vat: _VatCode) -> dict[str, str]:
            return {"id": vat.id, "code": vat.code, "rate": f"{vat.rate:.2f}", "label": vat.code or f"{vat.rate}%"}

        def element(vat: _VatCode) -> Element:
            row = Element("vat_code")
            _add(row, **fields(vat), type="standard" if vat.rate >= 20 else ("reduced" if vat.rate else "other"))
            SubElement(SubElement(row, "declaration_country"), "id").text = vat.country
            return row

        return self._found(request, body, "vat_codes", list(company.vat_codes.values()), fields, element)

    @route("GET", "goods/find")
    @route("POST", "goods/find")
    def find_goods(self, request: FakeRequest) -> Reply:
        """Catalogue goods; ``code`` is the SKU (§12)."""
        company, body = self._begin(request)

        def fields(good: _Good) -> dict[str, str]:
            return {"id": good.id, "name": good.name, "code": good.code, "unit": good.unit, "count": f"{good.count:f}"}

        def element(good: _Good) -> Element:
            row = Element("good")
            _add(row, **fields(good), netto=_money(good.netto))
            SubElement(SubElement(row, "vat_code"), "id").text = good.vat_code_id
            return row

        return self._found(request, body, "goods", list(company.goods.values()), fields, element)

    @route("GET", "user_companies/find")
    @route("POST", "user_companies/find")
    def find_user_companies(self, request: FakeRequest) -> Reply:
        """The user's companies (no ``company_id`` needed)."""
        if request.principal is _FAILED:
            raise self._refuse(request, texts.AUTH)
        user: _User = request.principal
        root = Element("api")
        branch = SubElement(root, "user_companies")
        for company_id in user.companies:
            row = SubElement(branch, "user_company")
            company = SubElement(row, "company")
            _add(company, id=company_id, name=self.companies[company_id].name)
        return self._reply(request, root)

    def _found(
        self,
        request: FakeRequest,
        body: Element,
        module: str,
        rows: list[Any],
        fields: Callable[[Any], Mapping[str, str]],
        element: Callable[[Any], Element],
        ignored: set[str] | None = None,
    ) -> Reply:
        parameters = body.find(f"{module}/parameters")
        conditions = parameters.find("conditions") if parameters is not None else None
        if conditions is not None:
            rows = [row for row in rows if _matches(conditions, fields(row), ignored or set(), "and")]
        page = max(int(_decimal(_text(parameters, "page") or "1") or 1), 1)
        limit = min(max(int(_decimal(_text(parameters, "limit") or "20") or 20), 1), 100)
        selected = rows[(page - 1) * limit : page * limit]
        root = Element("api")
        branch = SubElement(root, module)
        for row in selected:
            branch.append(element(row))
        _add(SubElement(branch, "parameters"), limit=str(limit), page=str(page), total=str(len(rows)))
        return self._reply(request, root)

    def _snapshot(self, company_id: str, document: _Document) -> StoredDocument:
        return StoredDocument(
            provider=self.provider,
            account=company_id,
            kind=document.type,
            number=document.fullnumber,
            series=document.series_id,
            id=document.id,
            issue_date=document.date,
            currency=document.currency,
            total=document.total,
            paid=document.alreadypaid,
            reference=document.id_external,
            cancelled=document.cancelled,
            corrects=document.parent_id,
            body=document.body,
            detail={
                "type": document.type,
                "lines": [attrs.asdict(line) for line in document.lines],
                "netto": document.netto,
                "tax": document.tax,
                "contractor": dict(document.contractor),
                "price_type": document.price_type,
                "paymentmethod": document.paymentmethod,
                "description": document.description,
                "fiscalized": document.fiscalized,
            },
        )


def _invoice_fields(document: _Document) -> dict[str, str]:
    return {
        "id": document.id,
        "type": document.type,
        "fullnumber": document.fullnumber,
        "number": str(document.number),
        "date": document.date,
        "id_external": document.id_external or "",
        "total": _money(document.total),
        "remaining": _money(document.total - document.alreadypaid),
        "nip": document.contractor.get("nip", ""),
    }


def _matches(group: Element, fields: Mapping[str, str], ignored: set[str], joiner: str) -> bool:
    results: list[bool] = []
    for child in group:
        if child.tag == "condition":
            name = (_text(child, "field") or "").rsplit(".", 1)[-1]
            if name in ignored or name not in fields:
                continue  # unknown fields are ignored, as everywhere in wFirma (§16)
            results.append(_compare(fields[name], (_text(child, "operator") or "eq").lower(), _text(child, "value")))
        elif child.tag in ("and", "or"):
            results.append(_matches(child, fields, ignored, child.tag))
        elif child.tag == "not":
            results.append(not _matches(child, fields, ignored, "and"))
    if not results:
        return True
    return all(results) if joiner == "and" else any(results)


def _compare(actual: str, operator: str, expected: str | None) -> bool:
    wanted = expected or ""
    if operator in ("is null", "is not null"):
        return (actual == "") is (operator == "is null")
    if operator in ("like", "not like"):
        pattern = "^" + ".*".join(re.escape(part) for part in wanted.split("%")) + "$"
        found = re.match(pattern, actual, re.IGNORECASE | re.DOTALL) is not None
        return found is (operator == "like")
    if operator == "in":
        return actual in [part.strip() for part in wanted.split(",")]
    left, right = _decimal(actual), _decimal(wanted)
    if operator in ("gt", "lt", "ge", "le") and left is not None and right is not None:
        return {"gt": left > right, "lt": left < right, "ge": left >= right, "le": left <= right}[operator]
    if operator == "ne":
        return actual != wanted
    return actual == wanted


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _branch(element: Element, tag: str) -> Element:
    found = element.find(tag)
    return element if found is None else found


def _add(element: Element, **fields: str) -> None:
    for name, value in fields.items():
        SubElement(element, name).text = value


def _attach(element: Element, field: str, message: str) -> None:
    """Attach a validation error to the record it concerns [W-DOC "Walidacyjne komunikaty błędów"]."""
    errors = element.find("errors")
    if errors is None:
        errors = SubElement(element, "errors")
    error = SubElement(errors, "error")
    _add(error, field=field, message=message)
    method = SubElement(error, "method")
    _add(method, name="require" if message == texts.EMPTY_FIELD else "validate", parameters="")


def _totals(lines: list[_Line], price_type: str) -> tuple[Decimal, Decimal, Decimal]:
    """The totals wFirma books: lines summed per VAT code, VAT once per code (art. 106e)."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        amount, rate = sums.get(line.vat_code_id, (Decimal(0), line.rate))
        sums[line.vat_code_id] = (amount + (line.brutto if price_type == "brutto" else line.netto), rate)
    netto = tax = Decimal("0.00")
    for amount, rate in sums.values():
        if price_type == "brutto":
            net = _round(amount / (1 + rate / 100))
            netto, tax = netto + net, tax + amount - net
        else:
            netto, tax = netto + amount, tax + _round(amount * rate / 100)
    return netto, tax, netto + tax
