"""The SmartBill fake's account: companies, series, documents, and the checks every endpoint shares."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs

from ..base import FakeProvider
from ..documents import StoredDocument
from ..wire import FakeError, FakeRequest, Reply
from . import texts

BASE_URL = "https://ws.smartbill.ro/SBORO/api/"
"""SmartBill's documented base URL ("URL de baza")."""

DEFAULT_TAXES: tuple[tuple[str, Decimal], ...] = (
    ("Normala", Decimal("21")),
    ("Redusa", Decimal("11")),
    ("Redusa locuinte", Decimal("5")),
    ("Taxare inversa", Decimal("0")),
    ("SDD", Decimal("0")),
    ("SFDD", Decimal("0")),
)
"""The VAT rates a new fake account has (the Swagger's names, with the 2025 rates)."""

DEFAULT_SERIES: tuple[tuple[str, str], ...] = (("FCT", "f"), ("CHT", "c"), ("PRF", "p"))
"""Series a new fake account has unless ``series=`` says otherwise: ``(name, type)``."""

PAYMENT_TYPES: tuple[str, ...] = (
    "Alta incasare",
    "Bilet ordin",
    "Card",
    "Card online",
    "CEC",
    "Chitanta",
    "Extras de cont",
    "Mandat postal",
    "Ordin plata",
    "Ramburs",
)
"""``type`` values ``POST payment`` accepts (Swagger "Date incasare"); ``Bon`` is separate."""

SERIES_TYPES = ("f", "p", "c")

# ISO 4217 codes the fake knows; SmartBill accepts "the international standard" codes.
CURRENCIES = frozenset(
    "RON EUR USD GBP CHF HUF BGN PLN CZK SEK NOK DKK JPY CAD AUD MDL TRY CNY UAH RSD "
    "ISK NZD ZAR KRW INR BRL MXN AED ILS SGD HKD".split()
)

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

Key = tuple[str, str]
"""``(series, number)`` of a document."""


class Refusal(FakeError):
    """SmartBill's error answer: ``errorText`` and a status (400 unless said otherwise).

    Raised anywhere inside a handler; endpoints with a larger error shape
    (:data:`texts.ERROR_SHAPES`) get it in that shape.
    """

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(Reply.json(texts.error_body(text), status))
        self.text = text
        self.status = status


@attrs.frozen(kw_only=True)
class SmartBillDetail:
    """What a SmartBill :class:`StoredDocument` holds beyond the common fields (its ``detail``).

    Attributes:
        document_id: SmartBill's internal id (``documentId`` in ``invoice/v2``).
        language: the document's language code.
        reverses: ``(series, number)`` of the invoice a storno reverses, else ``None``.
        reversed_by: ``(series, number)`` of the storno reversing this invoice, else ``None``.
        draft: issued with ``isDraft`` (never in ``documents``, only in ``drafts``).
        payment_type: for receipts and payments, the SmartBill ``type``.
        invoices: for receipts and payments, ``(series, number)`` of the invoices paid.
    """

    document_id: int
    language: str = "RO"
    reverses: Key | None = None
    reversed_by: Key | None = None
    draft: bool = False
    payment_type: str | None = None
    invoices: tuple[Key, ...] = ()


@attrs.define
class Series:
    """A numbering series of one company: ``type`` ``f`` invoice, ``c`` receipt, ``p`` proforma."""

    name: str
    type: str
    next_number: int


@attrs.define
class Record:
    """Mutable internal form of a document; :class:`StoredDocument` is its snapshot."""

    kind: str
    company: str
    company_vat_code: str
    issue_date: str
    body: dict[str, Any]
    document_id: int
    series: str = ""
    number: str = ""
    currency: str = "RON"
    language: str = "RO"
    total: Decimal = Decimal(0)
    client_name: str = ""
    client_vat: str = ""
    use_stock: bool = False
    reverses: Key | None = None
    reversed_by: Key | None = None
    cancelled: bool = False
    draft: bool = False
    payment_type: str | None = None
    # For receipts/payments: what each paid invoice received from this document.
    allocations: list[tuple[Key, Decimal]] = attrs.Factory(list)

    @property
    def key(self) -> Key:
        """``(series, number)``."""
        return (self.series, self.number)


def norm_cif(value: str) -> str:
    """The CIF without its ``RO`` prefix, upper case: the key a company is stored under."""
    # UNCERTAIN: whether SmartBill treats "RO123" and "123" as the same company. The fake
    # accepts both spellings (and any case) so the connector is not forced to guess.
    cif = value.strip().upper()
    return cif[2:].strip() if cif.startswith("RO") else cif


def text_of(value: Any) -> str | None:
    """A non-empty string value (numbers are accepted, as a Java server would coerce)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def decimal_of(value: Any) -> Decimal | None:
    """A numeric value as Decimal; ``None`` when absent or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and value.strip():
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return None


def truthy(value: Any) -> bool:
    """SmartBill booleans: ``true``/``false`` or ``1``/``0`` (Swagger "Formate standard")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return False


def pad(number: int) -> str:
    """SmartBill's document number format: at least four digits ("0023")."""
    return f"{number:04d}"


def spaced(series: str, number: str) -> str:
    """Series and number as error texts print them."""
    # Error texts in the Swagger separate series and number with a space
    # ("Documentul cu seria si numarul test 0001 ..."); success messages do not.
    return f"{series} {number}"


def rounded(value: Decimal, precision: int) -> Decimal:
    """``value`` rounded half-up to ``precision`` decimals."""
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def json_body(request: FakeRequest) -> dict[str, Any]:
    """A POST body: JSON only (real SmartBill also takes XML, which the fake cannot check)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Refusal(texts.ERR_MEDIA_TYPE, status=415)
    try:
        parsed = request.json()
    except ValueError:
        raise Refusal(texts.ERR_BAD_JSON) from None
    if not isinstance(parsed, dict):
        raise Refusal(texts.ERR_BAD_JSON)
    return parsed


class SmartBillState(FakeProvider):
    """The account a SmartBill fake simulates, and the checks its endpoints share.

    The configuration attributes are documented on :class:`SmartBillFake`.
    """

    username: str
    token: str
    company_vat_code: str
    taxes: list[tuple[str, Decimal]]
    languages: set[str]
    currencies: set[str]
    vat_payer: bool
    stock_enabled: bool
    warehouses: set[str]
    check_warehouses: bool
    use_product_codes: bool
    foreign_reference_prices: bool

    def _init_state(self) -> None:
        self._companies: dict[str, str] = {}  # normalised CIF -> CIF as registered
        self._series: dict[str, dict[str, Series]] = {}
        self._default_series: dict[tuple[str, str], str] = {}
        self._records: list[Record] = []
        self._drafts: list[Record] = []
        self._next_id = 100_000

    # Configuration.

    def add_company(self, company_vat_code: str) -> None:
        """Register another company (CIF) that the same user owns."""
        with self._lock:
            self._companies.setdefault(norm_cif(company_vat_code), company_vat_code)
            self._series.setdefault(norm_cif(company_vat_code), {})

    def add_series(
        self, name: str, type: str, next_number: int = 1, *, company: str | None = None, default: bool = False
    ) -> None:
        """Define a document series.

        ``type`` is ``"f"`` invoice, ``"c"`` receipt (chitanta) or ``"p"`` proforma. The
        first series of a type (or one added with ``default=True``) is the default used
        when a request omits ``seriesName``. ``company`` defaults to the main company.
        """
        if type not in SERIES_TYPES:
            raise ValueError(f"series type must be one of {SERIES_TYPES}, not {type!r}")
        if next_number < 1:
            raise ValueError("next_number must be at least 1")
        key = norm_cif(company if company is not None else self.company_vat_code)
        with self._lock:
            if key not in self._series:
                raise ValueError(f"unknown company {company!r}; call add_company first")
            if name in self._series[key]:
                raise ValueError(f"series {name!r} already exists")
            self._series[key][name] = Series(name=name, type=type, next_number=next_number)
            if default or (key, type) not in self._default_series:
                self._default_series[(key, type)] = name

    def next_number(self, series: str, *, company: str | None = None) -> str:
        """The number the series will give next, formatted as ``GET series`` shows it."""
        key = norm_cif(company if company is not None else self.company_vat_code)
        with self._lock:
            return pad(self._series[key][series].next_number)

    # Inspection.

    def stored(self) -> list[StoredDocument]:
        """Every numbered document and payment, in creation order (drafts excluded)."""
        return [self._snapshot(record) for record in self._records]

    @property
    def drafts(self) -> list[StoredDocument]:
        """Documents issued with ``isDraft`` (they have no number)."""
        with self._lock:
            return [self._snapshot(record) for record in self._drafts]

    def invoices(self, series: str | None = None) -> list[StoredDocument]:
        """Invoices and storno invoices in :attr:`documents`, optionally only those of ``series``."""
        return [d for d in self.documents if d.kind in ("invoice", "storno") and series in (None, d.series)]

    def receipts(self, series: str | None = None) -> list[StoredDocument]:
        """Receipts (chitante) in :attr:`documents`, optionally only those of ``series``."""
        return [d for d in self.documents if d.kind == "receipt" and series in (None, d.series)]

    def _snapshot(self, record: Record) -> StoredDocument:
        body = record.body
        note = text_of(body.get("observations") or body.get("observation"))
        return StoredDocument(
            provider="smartbill",
            account=record.company_vat_code,
            kind=record.kind,
            number=record.number,
            series=record.series or None,
            id=str(record.document_id),
            issue_date=record.issue_date,
            currency=record.currency,
            total=record.total,
            paid=self._paid(record) if record.kind in ("invoice", "storno") else Decimal(0),
            reference=note,
            cancelled=record.cancelled,
            corrects="".join(record.reverses) if record.reverses else None,
            body=body,
            detail=SmartBillDetail(
                document_id=record.document_id,
                language=record.language,
                reverses=record.reverses,
                reversed_by=record.reversed_by,
                draft=record.draft,
                payment_type=record.payment_type,
                invoices=tuple(key for key, _ in record.allocations),
            ),
        )

    # Checks and lookups shared by the endpoints (called with the lock held).

    def _company(self, value: Any, missing_text: str) -> tuple[str, str]:
        """(normalised CIF, CIF as sent); 400 when missing, 401 when not the user's."""
        cif = text_of(value)
        if cif is None:
            raise Refusal(missing_text)
        key = norm_cif(cif)
        if key not in self._companies:
            # Swagger response-code table: 401 when the company does not belong to the user.
            raise Refusal(texts.ERR_COMPANY_NOT_OWNED, status=401)
        return key, cif

    @staticmethod
    def _query(request: FakeRequest, *names: str) -> str | None:
        for name in names:
            value = text_of(request.params.get(name))
            if value is not None:
                return value
        return None

    def _target(self, request: FakeRequest, cif_text: str, series_text: str, number_text: str) -> tuple[str, str, str]:
        """``(company, series, number)`` named by the query, or SmartBill's error for what is missing."""
        company, _ = self._company(self._query(request, "cif"), cif_text)
        # The Swagger spells the key "seriesname" (pdf, paymentstatus) and "seriesName"
        # (cancel, restore, delete); SmartBill's own clients send "seriesname" everywhere.
        # Both spellings are accepted on every endpoint.
        series = self._query(request, "seriesname", "seriesName")
        if series is None:
            raise Refusal(series_text)
        number = self._query(request, "number")
        if number is None:
            raise Refusal(number_text)
        return company, series, number

    def _today(self) -> str:
        # SmartBill's "current date" is Romanian local time; UTC+2 (EET) is used here
        # without DST, which can only matter within an hour of midnight.
        moment = dt.datetime.fromtimestamp(self.clock.time(), tz=dt.timezone(dt.timedelta(hours=2)))
        return moment.date().isoformat()

    def _issue_date(self, body: Mapping[str, Any], key: str = "issueDate") -> str:
        """The document date, validated.

        Absent means today (Swagger: "default: data curenta"); present but empty is
        "issueDate trebuie specificat" (UNCERTAIN how the two documented statements
        combine).
        """
        if key not in body or body[key] is None:
            return self._today()
        value = body[key]
        if isinstance(value, str) and not value.strip():
            raise Refusal(texts.ERR_DATE_MISSING)
        if not isinstance(value, str) or not _DATE_RE.fullmatch(value.strip()):
            raise Refusal(texts.ERR_DATE_FORMAT)
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError:
            raise Refusal(texts.ERR_DATE_FORMAT) from None
        return value.strip()

    def _resolve_series(self, company: str, name: Any, kind: str, not_found: str) -> Series:
        series_name = text_of(name)
        if series_name is None:
            series_name = self._default_series.get((company, kind))
            if series_name is None:
                raise Refusal(not_found)
        series = self._series[company].get(series_name)
        if series is None or series.type != kind:
            raise Refusal(not_found)
        return series

    def _allocate_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _find_record(self, company: str, series: str, number: str) -> Record | None:
        for record in self._records:
            if record.company == company and record.kind in ("invoice", "storno") and record.key == (series, number):
                return record
        return None

    def _paid(self, record: Record) -> Decimal:
        paid = (
            amount
            for other in self._records
            if other.company == record.company
            for key, amount in other.allocations
            if key == record.key
        )
        return sum(paid, Decimal(0))

    def _links(self, record: Record) -> dict[str, Any]:
        """``documentUrl``/``documentId``/``documentViewUrl`` as in the storno example.

        UNCERTAIN: the Swagger types ``documentId`` as a string but its error example
        shows the number -1; the fake sends a number in both cases.
        """
        digest = hashlib.sha256(f"{record.document_id}".encode()).hexdigest()
        return {
            "documentUrl": f"https://cloud.smartbill.ro/documente/editare/factura/{record.document_id}/",
            "documentId": record.document_id,
            "documentViewUrl": f"https://cloud.smartbill.ro/documente/extern/pf/factura/{digest}?srvid=1",
        }
