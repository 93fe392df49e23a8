"""A stateful fake of the SmartBill Cloud REST API, as an httpx transport.

Built only from SmartBill's own documentation (the official Swagger "SmartBill REST API"
and Postman collection; see ``/work/shared/providers/smartbill_oblio.md`` section 1), so
that tests of the connector exercise the provider's documented behaviour rather than our
own reading of it::

    fake = SmartBillFake(username="demo@example.ro", token="demo-token",
                         company_vat_code="RO12345678")
    with httpx.Client(transport=fake, base_url="https://ws.smartbill.ro/SBORO/api/",
                      auth=("demo@example.ro", "demo-token")) as client:
        client.post("invoice", json={...})

What it models: preemptive Basic auth and company (CIF) ownership (401), JSON-only
bodies (415), ``POST invoice`` / ``invoice/v2`` validation with SmartBill's Romanian
error texts, per-series zero-padded numbering, drafts, embedded payments, ``invoice/
reverse`` (storno), ``payment`` (receipts and other payment types), ``invoice/
paymentstatus``, ``invoice/pdf``, ``series``, ``tax``, ``invoice/cancel`` /
``restore``, ``DELETE invoice`` and ``DELETE payment/chitanta`` (last in series only),
the 30-calls-per-10-seconds limit with its 10-minute 403 block, and injected faults.

Error texts come from the Swagger wherever it gives one; texts the documentation does
not give are marked ``# text not documented`` where they are defined.

Not modelled: XML bodies, proformas (``estimate*``), fiscal receipts (``Bon``), e-mail,
stock quantities, ``GET stocks``, ``DELETE payment/v2``.
"""

from __future__ import annotations

import base64
import binascii
import collections
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeAlias

import attrs
import httpx

from accounting_connectors.testing._legacy_base import LegacyFakeProvider as FakeProvider
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.faults import (
    Fault,
    normalize_path,
    read_timeout,
)
from accounting_connectors.testing.pdf import make_pdf

__all__ = [
    "BASE_URL",
    "DEFAULT_SERIES",
    "DEFAULT_TAXES",
    "PAYMENT_TYPES",
    "SmartBillFake",
    "StoredDocument",
]

BASE_URL = "https://ws.smartbill.ro/SBORO/api/"
"""SmartBill's documented base URL ("URL de baza")."""

_HOST = "ws.smartbill.ro"
_BASE_PATH = "/SBORO/api/"

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

_INVOICE_PAYMENT_TYPES = (
    "Chitanta",
    "Bon",
    "Card",
    "CEC",
    "Bilet ordin",
    "Ordin plata",
    "Mandat postal",
    "Alta incasare",
)
"""``payment.type`` values accepted inside ``POST invoice`` (Swagger "Date incasare")."""

_SERIES_TYPES = ("f", "p", "c")

# ISO 4217 codes the fake knows; SmartBill accepts "the international standard" codes.
_CURRENCIES = frozenset(
    "RON EUR USD GBP CHF HUF BGN PLN CZK SEK NOK DKK JPY CAD AUD MDL TRY CNY UAH RSD "
    "ISK NZD ZAR KRW INR BRL MXN AED ILS SGD HKD".split()
)

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# ---------------------------------------------------------------------------------------
# Error texts. Documented ones are quoted verbatim from the Swagger's "Mesaje de eroare
# 400" tables; the others are marked "text not documented".
# ---------------------------------------------------------------------------------------
_ERR_AUTH = "Autentificare esuata! Verificati utilizatorul si tokenul."  # text not documented
_ERR_COMPANY_NOT_OWNED = "Firma la care incercati sa va conectati nu este disponibila pentru acest utilizator."
_ERR_RATE_LIMIT = (  # text not documented
    "Ati depasit numarul maxim de {limit} apeluri in {window} secunde. Accesul a fost blocat pentru {block} minute."
)
_ERR_MEDIA_TYPE = "Formatul continutului nu este acceptat de server."  # response-code table
_ERR_BAD_JSON = "Continutul cererii nu este un JSON valid."  # text not documented
_ERR_NOT_FOUND_PATH = "Resursa {path} nu exista."  # text not documented
_ERR_METHOD = "Metoda {method} nu este permisa pentru resursa {path}."  # text not documented
_ERR_NOT_ACCEPTABLE = (  # text not documented
    "Pentru vizualizarea pdf trebuie trimis headerul Accept: application/octet-stream."
)
_ERR_SERVER = "A aparut o eroare interna. Va rugam incercati mai tarziu."  # text not documented
_ERR_FAULT_200 = "A aparut o eroare la procesarea documentului."  # text not documented

_ERR_CIF_BODY = "CIF-ul firmei ('companyVatCode') trebuie specificat"
_ERR_CIF_QUERY = "Ciful firmei trebuie specificat!"
_ERR_CIF_QUERY_SHORT = "Cif trebuie specificat."
_ERR_DATE_FORMAT = "Data documentului trebuie sa fie de forma yyyy-MM-dd."
_ERR_DATE_MISSING = "issueDate trebuie specificat"
_ERR_CLIENT_MISSING = "client trebuie specificat"
_ERR_CLIENT_INVALID = "Client invalid!"
_ERR_SERIES_NOT_FOUND = "Seria nu a fost gasita! Folositi o serie creata in contul de cloud."
_ERR_CURRENCY = "Moneda nu a fost gasita pe server!"
_ERR_LANGUAGE = "Limba nu a fost gasita pe server!"
_ERR_NO_PRODUCTS = "Factura nu contine produse!"
_ERR_TOO_MANY_LINES = "Numarul maxim acceptat de 400 intrari pe document a fost depasit."
_ERR_ONLY_DISCOUNT = (
    "Nu poti sa emiti un document care contine doar un discount. Trebuie sa ai si produse / servicii adaugate."
)
_ERR_PRODUCT_FIELD = "{field} trebuie specificat pentru fiecare produs"
_ERR_DISCOUNT_FIELD = "{field} trebuie specificat pentru fiecare produs de tip discount"
_ERR_DISCOUNT_ITEMS = (  # text not documented
    "numberOfItems trebuie specificat pentru fiecare produs de tip discount si nu poate "
    "depasi numarul de produse anterioare."
)
_ERR_DISCOUNT_NEGATIVE = (  # text not documented
    "discountValue trebuie sa fie o valoare negativa pentru fiecare produs de tip discount"
)
_ERR_DISCOUNT_PERCENT_MIXED = (  # text not documented
    "Discountul procentual nu poate fi aplicat pe produse cu cote tva diferite."
)
_ERR_DISCOUNT_TAX_MIXED = (
    "La aplicarea unui discount pentru produse cu cote tva diferite, trebuie sa specifici si cota tva a discountului."
)
_ERR_PRODUCT_CODE = "Produsul {name} nu are codul specificat."
_ERR_TAX_MISSING = "Trebuie sa setezi o cota tva pentru produsul {name}."
_ERR_TAX_NOT_FOUND = "Cota tva a produsului {name} nu a fost gasita pe server!"
_ERR_PRODUCT_CURRENCY = "Nu puteti emite documente in {invoice} cu moneda de referinta a produselor in {product} !"
_ERR_FOREIGN_PRICES = "Aveti produse care au pretul in alta moneda decat cea a facturii."
_ERR_PAYMENT_TAX = "O firma neplatitoare de tva nu poate folosi tva la incasare!"
_ERR_STOCK_DISABLED = "Modulul stoc nu este activ!"
_ERR_WAREHOUSE_MISSING = "Gestiunea predatoare nu este setata pentru produsul {name}."
_ERR_WAREHOUSE_NOT_FOUND = "Gestiunea predatoare {warehouse} a produsului {name} nu a fost gasita."
_ERR_ESTIMATE_NOT_FOUND = "Factura proforma {doc} nu a fost gasita!"
_ERR_EMBEDDED_PAYMENT_TYPE = "type trebuie specificat pentru incasare"
_ERR_EMBEDDED_PAYMENT_VALUE = "value trebuie specificat pentru incasare"
_ERR_PAYMENT_TYPE_UNKNOWN = "Tipul incasarii nu a fost gasit!"
_ERR_PAYMENT_SERIES = "Seria incasarii nu a fost gasita pe server."

_ERR_REVERSE_CIF = "Firma la care incercati sa va conectati nu mai este disponibila in Cloud."
_ERR_REVERSE_SERIES = "Seria facturii trebuie specificata in parametrul 'seriesName'!"
_ERR_REVERSE_NUMBER = "Numarul facturii trebuie specificat in parametrul 'number'!"
_ERR_INVOICE_NOT_FOUND = "Factura cu seria si numarul {doc} nu a fost gasita!"
_ERR_ALREADY_REVERSED = "Factura este deja stornata."
_ERR_IS_STORNO = "Factura {doc} este de tip storno. Nu se poate storna."
_ERR_STORNO_DATE = "Data emiterii facturii storno nu poate fi anterioara datei emiterii facturii stornate."

_ERR_PAYMENT_TYPE_MISSING = "Tipul incasarii trebuie specificat."
_ERR_PAYMENT_VALUE = "Valoarea incasarii trebuie specificata."
_ERR_PAYMENT_INVOICE_DETAILS = (
    "Pentru emiterea unei incasari cu datele de pe factura trebuie specificate seria si numarul facturii."
)
_ERR_PAYMENT_ONE_INVOICE = "Trebuie specificata doar o factura!"
_ERR_PAYMENT_INVOICE_NOT_FOUND = "Factura nu a fost gasita!"
_ERR_PAYMENT_CANCELLED = (
    "Factura {doc} este anulata, nu o puteti incasa. Restaurati intai factura sau emiteti "
    "incasarea independent de factura."
)
_ERR_PAYMENT_NOT_RECEIPT_SERIES = "Seria nu poate fi folosita la chitante."
_ERR_PAYMENT_BON = "Nu s-a gasit casa de marcat pentru userul {user}."
_ERR_PAYMENT_TOO_MANY = "Numarul maxim acceptat de 70 intrari pe document a fost depasit."
_ERR_PAYMENT_CLIENT = "Clientul facturii {doc} nu corespunde cu clientul incasarii!"
_ERR_PAYMENT_CURRENCY = "Moneda facturii {doc} nu corespunde cu moneda incasarii!"
_ERR_PAYMENT_LANGUAGE = "Limba facturii {doc} nu corespunde cu limba incasarii!"

_ERR_QUERY_SERIES = "Seriesname trebuie specificat."
_ERR_QUERY_NUMBER = "Number trebuie specificat."
_ERR_PDF_SERIES = "Seria facturii trebuie specificata!"
_ERR_PDF_NUMBER = "Numarul facturii trebuie specificat!"
_ERR_NOT_LAST = "Documentul cu seria si numarul {doc} nu este ultimul din serie!"
_ERR_ALREADY_CANCELLED = "Factura {doc} este deja anulata."  # text not documented
_ERR_NOT_CANCELLED = "Factura {doc} nu este anulata."  # text not documented
_ERR_CANCEL_WITH_STORNO = (
    "Pentru factura {doc} exista deja stornari care incarca stocul. Trebuie sa anulati "
    "intai facturile storno ({storno})."
)
_ERR_RECEIPT_NOT_FOUND = "Chitanta nu a fost gasita."
_ERR_SERIES_TYPE = (
    "Tipul documentului nu poate fi {type}! Parametrul type poate lua valorile: 'f' pentru "
    "factura, 'p' pentru proforma si 'c' pentru chitanta."
)

_MSG_CANCELLED = "Factura cu seria si numarul {doc} a fost anulata cu succes."
_MSG_RESTORED = "Factura cu seria si numarul {doc} a fost restaurata cu succes."
_MSG_DELETED = "Factura cu seria si numarul {doc} a fost stearsa cu succes."
_MSG_RECEIPT_DELETED = "Chitanta cu seria si numarul {doc} a fost stearsa cu succes."


# ---------------------------------------------------------------------------------------
# Public record of stored documents
# ---------------------------------------------------------------------------------------
@attrs.frozen
class StoredDocument:
    """A snapshot of a document the fake holds (invoice, storno, receipt or payment).

    Attributes:
        kind: ``"invoice"``, ``"storno"``, ``"receipt"`` (chitanta) or ``"payment"``
            (any other payment type; it has no series or number).
        series: the series name (``""`` for payments).
        number: the zero-padded number exactly as SmartBill returns it (``"0001"``);
            ``""`` for payments and drafts.
        issue_date: ``YYYY-MM-DD``.
        body: the JSON object received (numbers parsed as :class:`~decimal.Decimal`).
            For a storno it is the ``invoice/reverse`` body; for a receipt created by an
            invoice's embedded ``payment`` it is that ``payment`` object.
        reverses: ``(series, number)`` of the invoice a storno reverses, else ``None``.
        reversed_by: ``(series, number)`` of the storno reversing this invoice, else
            ``None``.
        company_vat_code: the issuing company's CIF as sent.
        document_id: SmartBill's internal id (``documentId`` in ``invoice/v2``).
        currency: the document's currency.
        language: the document's language code.
        total: the invoice total with VAT (negative for a storno); for receipts and
            payments the amount collected.
        paid_amount: for invoices, the sum collected against it so far.
        cancelled: ``PUT invoice/cancel`` was applied (and not restored).
        draft: issued with ``isDraft`` (never in :attr:`SmartBillFake.documents`).
        payment_type: for receipts and payments, the SmartBill ``type``.
        invoices: for receipts and payments, ``(series, number)`` of the invoices paid.
    """

    kind: str
    series: str
    number: str
    issue_date: str
    body: dict[str, Any] = attrs.field(hash=False, eq=False, repr=False)
    reverses: tuple[str, str] | None = None
    reversed_by: tuple[str, str] | None = None
    company_vat_code: str = ""
    document_id: int = 0
    currency: str = "RON"
    language: str = "RO"
    total: Decimal = Decimal(0)
    paid_amount: Decimal = Decimal(0)
    cancelled: bool = False
    draft: bool = False
    payment_type: str | None = None
    invoices: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """``(series, number)``."""
        return (self.series, self.number)


# ---------------------------------------------------------------------------------------
# Internal state
# ---------------------------------------------------------------------------------------
class _ApiError(Exception):
    """An error answer: raised anywhere inside a handler, turned into a JSON body."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


@attrs.define
class _Series:
    name: str
    type: str
    next_number: int


@attrs.define
class _Record:
    """Mutable internal form of a document; :class:`StoredDocument` is its snapshot."""

    kind: str
    company: str
    company_vat_code: str
    series: str
    number: str
    issue_date: str
    body: dict[str, Any]
    document_id: int
    currency: str = "RON"
    language: str = "RO"
    total: Decimal = Decimal(0)
    client_name: str = ""
    client_vat: str = ""
    use_stock: bool = False
    reverses: tuple[str, str] | None = None
    reversed_by: tuple[str, str] | None = None
    cancelled: bool = False
    draft: bool = False
    payment_type: str | None = None
    # For receipts/payments: what each paid invoice received from this document.
    allocations: list[tuple[tuple[str, str], Decimal]] = attrs.Factory(list)


@attrs.define
class _Window:
    """Per-credential rate-limit state."""

    calls: collections.deque[int] = attrs.Factory(collections.deque)  # accepted, in ms
    blocked_until: int = 0  # ms


@attrs.frozen
class _Line:
    """A validated invoice line: its amount with VAT and its VAT rate (None: no VAT)."""

    gross: Decimal
    rate: Decimal | None
    is_discount: bool


@attrs.frozen
class _Reply:
    status: int
    payload: dict[str, Any] | None = None
    pdf: bytes | None = None
    filename: str = ""


_Handler: TypeAlias = Callable[[httpx.Request, dict[str, Any]], _Reply]


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------
def _norm_cif(value: str) -> str:
    # UNCERTAIN: whether SmartBill treats "RO123" and "123" as the same company. The fake
    # accepts both spellings (and any case) so the connector is not forced to guess.
    cif = value.strip().upper()
    return cif[2:].strip() if cif.startswith("RO") else cif


def _text(value: Any) -> str | None:
    """A non-empty string value (numbers are accepted, as a Java server would coerce)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _decimal(value: Any) -> Decimal | None:
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


def _truthy(value: Any) -> bool:
    """SmartBill booleans: ``true``/``false`` or ``1``/``0`` (Swagger "Formate standard")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return False


def _pad(number: int) -> str:
    """SmartBill's document number format: at least four digits ("0023")."""
    return f"{number:04d}"


def _doc(series: str, number: str) -> str:
    # Error texts in the Swagger separate series and number with a space
    # ("Documentul cu seria si numarul test 0001 ..."); success messages do not.
    return f"{series} {number}"


def _round(value: Decimal, precision: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def _json_bytes(value: Any) -> bytes:
    """Serialise to JSON with Decimals as exact JSON numbers (never through float)."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}: {_encode(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _error_body(text: str) -> dict[str, Any]:
    """SmartBill's error shape (the Swagger's ``Fault``)."""
    return {"errorText": text, "message": "", "number": ""}


def _links_error_body(text: str) -> dict[str, Any]:
    """Error shape of ``invoice/reverse`` (and, presumably, ``invoice/v2``)."""
    return {
        "errorText": text,
        "message": "",
        "number": "",
        "series": "",
        "url": "",
        "documentUrl": "",
        "documentId": -1,
        "documentViewUrl": "",
    }


def _status_error_body(text: str) -> dict[str, Any]:
    """Error shape of ``invoice/paymentstatus`` (amounts null, as in the Swagger)."""
    return {
        "errorText": text,
        "message": "",
        "number": "",
        "series": "",
        "paid": False,
        "invoiceTotalAmount": None,
        "paidAmount": None,
        "unpaidAmount": None,
    }


# ---------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------
class SmartBillFake(FakeProvider):
    """SmartBill Cloud REST API, in memory, as an httpx transport.

    Use as ``httpx.Client(transport=fake)`` or ``httpx.AsyncClient(transport=fake)``;
    one lock serialises all requests, so many threads may share it.

    Configuration attributes (mutable between requests):
        taxes: ``(name, percentage)`` pairs the account has; a product's
            ``taxName``+``taxPercentage`` must be one of them.
        languages: language codes documents may use (``RO`` and ``EN`` by default).
        currencies: ISO currency codes the server knows.
        vat_payer: the company is a VAT payer (VAT fields required and checked).
        stock_enabled: the stock module is active (else ``useStock`` is rejected).
        warehouses: warehouse names that exist (case-sensitive).
        check_warehouses: reject ``useStock`` lines whose warehouse is not in
            :attr:`warehouses`.
        use_product_codes: the account has "Foloseste cod produs" on (``code`` required).
        foreign_reference_prices: "Am preturi cu moneda de referinta in valuta" is on
            (RON invoices may have lines priced in another currency).
        faults: the :class:`~accounting_connectors.testing.faults.FaultPlan`.
    """

    origin = f"https://{_HOST}"
    """Scheme and host of the real service, for :func:`~accounting_connectors.testing.serve`."""

    def __init__(
        self,
        username: str = "demo@example.ro",
        token: str = "demo-token",
        company_vat_code: str = "RO12345678",
        clock: FakeClock | None = None,
        *,
        rate_limit: int = 30,
        rate_window: float = 10.0,
        block_seconds: float = 600.0,
        series: Iterable[tuple[str, str]] = DEFAULT_SERIES,
        vat_payer: bool = True,
        stock_enabled: bool = False,
        warehouses: Iterable[str] = (),
        use_product_codes: bool = False,
    ) -> None:
        super().__init__()
        self.username = username
        self.token = token
        self.company_vat_code = company_vat_code
        self.clock = clock if clock is not None else FakeClock()
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.block_seconds = block_seconds

        self.taxes: list[tuple[str, Decimal]] = list(DEFAULT_TAXES)
        self.languages: set[str] = {"RO", "EN"}
        self.currencies: set[str] = set(_CURRENCIES)
        self.vat_payer = vat_payer
        self.stock_enabled = stock_enabled
        self.warehouses: set[str] = set(warehouses)
        self.check_warehouses = True
        self.use_product_codes = use_product_codes
        self.foreign_reference_prices = False
        self.penalties = 0

        # RLock: helpers called with the lock held may take it again.
        self._companies: dict[str, str] = {}  # normalised CIF -> CIF as registered
        self._series: dict[str, dict[str, _Series]] = {}
        self._default_series: dict[tuple[str, str], str] = {}
        self._records: list[_Record] = []
        self._drafts: list[_Record] = []
        self._windows: dict[str, _Window] = {}
        self._next_id = 100_000
        self.add_company(company_vat_code)
        for name, kind in series:
            self.add_series(name, kind)

        self._routes: dict[str, dict[str, _Handler]] = {
            "invoice": {"POST": self._post_invoice, "DELETE": self._delete_invoice},
            "invoice/v2": {"POST": self._post_invoice_v2},
            "invoice/reverse": {"POST": self._post_reverse},
            "invoice/cancel": {"PUT": self._put_cancel},
            "invoice/restore": {"PUT": self._put_restore},
            "invoice/paymentstatus": {"GET": self._get_payment_status},
            "invoice/pdf": {"GET": self._get_pdf},
            "payment": {"POST": self._post_payment},
            "payment/chitanta": {"DELETE": self._delete_receipt},
            "series": {"GET": self._get_series},
            "tax": {"GET": self._get_tax},
        }
        # Endpoints whose errors carry document links, with documentId -1 (Swagger,
        # invoice/reverse); assumed for invoice/v2 as well (UNCERTAIN).
        self._error_shapes: dict[str, Callable[[str], dict[str, Any]]] = {
            "invoice/v2": _links_error_body,
            "invoice/reverse": _links_error_body,
            "invoice/paymentstatus": _status_error_body,
        }

    # ------------------------------------------------------------------ configuration
    def add_company(self, company_vat_code: str) -> None:
        """Register another company (CIF) that the same user owns."""
        with self._lock:
            self._companies.setdefault(_norm_cif(company_vat_code), company_vat_code)
            self._series.setdefault(_norm_cif(company_vat_code), {})

    def add_series(
        self,
        name: str,
        type: str,
        next_number: int = 1,
        *,
        company: str | None = None,
        default: bool = False,
    ) -> None:
        """Define a document series.

        ``type`` is ``"f"`` invoice, ``"c"`` receipt (chitanta) or ``"p"`` proforma. The
        first series of a type (or one added with ``default=True``) is the default used
        when a request omits ``seriesName``. ``company`` defaults to the main company.
        """
        if type not in _SERIES_TYPES:
            raise ValueError(f"series type must be one of {_SERIES_TYPES}, not {type!r}")
        if next_number < 1:
            raise ValueError("next_number must be at least 1")
        key = _norm_cif(company if company is not None else self.company_vat_code)
        with self._lock:
            if key not in self._series:
                raise ValueError(f"unknown company {company!r}; call add_company first")
            if name in self._series[key]:
                raise ValueError(f"series {name!r} already exists")
            self._series[key][name] = _Series(name=name, type=type, next_number=next_number)
            if default or (key, type) not in self._default_series:
                self._default_series[(key, type)] = name

    def next_number(self, series: str, *, company: str | None = None) -> str:
        """The number the series will give next, formatted as ``GET series`` shows it."""
        key = _norm_cif(company if company is not None else self.company_vat_code)
        with self._lock:
            return _pad(self._series[key][series].next_number)

    def inject(
        self,
        fault: Fault,
        path: str | None = None,
        times: int | None = 1,
        *,
        method: str | None = None,
    ) -> None:
        """Make the next ``times`` matching requests fail with ``fault``.

        ``path`` is relative to the base URL (``"invoice"``, exact match) or ``None`` for
        any path; ``times=None`` means until ``fake.faults.clear()``. See :class:`Fault`.

        A fault hits the next matching request the fake receives, whatever else would
        have happened to it: it takes precedence over a 401 or a 403 answer. Except for
        ``CONNECTION_RESET``, the request still counts against the rate limit.
        """
        self.faults.add(fault, path, times=times, method=method)

    # ------------------------------------------------------------------ inspection
    @property
    def documents(self) -> list[StoredDocument]:
        """Every numbered document and payment, in creation order (drafts excluded)."""
        with self._lock:
            return [self._snapshot(r) for r in self._records]

    @property
    def drafts(self) -> list[StoredDocument]:
        """Documents issued with ``isDraft`` (they have no number)."""
        with self._lock:
            return [self._snapshot(r) for r in self._drafts]

    def invoices(self, series: str | None = None) -> list[StoredDocument]:
        """Invoices and storno invoices, optionally only those of ``series``."""
        return [d for d in self.documents if d.kind in ("invoice", "storno") and (series is None or d.series == series)]

    def receipts(self, series: str | None = None) -> list[StoredDocument]:
        """Receipts (chitante), optionally only those of ``series``."""
        return [d for d in self.documents if d.kind == "receipt" and (series is None or d.series == series)]

    def find(self, series: str, number: str) -> StoredDocument | None:
        """The document with this series and number (in any company), if stored."""
        for doc in self.documents:
            if doc.series == series and doc.number == number:
                return doc
        return None

    # ------------------------------------------------------------------ transport API

    # ------------------------------------------------------------------ core
    def _handle(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" or url.host != _HOST:
            # Plain HTTP is refused by SmartBill; any other host is simply not SmartBill.
            raise httpx.ConnectError(f"the SmartBill fake only serves https://{_HOST}{_BASE_PATH}", request=request)
        rel = normalize_path(url.path[len(_BASE_PATH) :]) if url.path.startswith(_BASE_PATH) else None
        method = request.method.upper()
        with self._lock:
            fault = self._arrive(request, rel if rel is not None else url.path, method)
            allowed, headers = self._count_call(request)
            if fault is Fault.TIMEOUT_BEFORE_COMMIT:
                raise read_timeout(request)
            if fault is Fault.SERVER_ERROR:
                return self._respond(_Reply(500, _error_body(_ERR_SERVER)), headers)
            if fault is Fault.ERROR_TEXT_200:
                return self._respond(_Reply(200, _error_body(_ERR_FAULT_200)), headers)
            if not allowed:
                text = _ERR_RATE_LIMIT.format(
                    limit=self.rate_limit,
                    window=f"{self.rate_window:g}",
                    block=f"{self.block_seconds / 60:g}",
                )
                return self._respond(_Reply(403, _error_body(text)), headers)
            reply = self._route(request, rel, method)
            response = self._respond(reply, headers)
            if fault is Fault.TIMEOUT_AFTER_COMMIT:
                raise read_timeout(request)
            return response

    def _count_call(self, request: httpx.Request) -> tuple[bool, dict[str, str]]:
        """Apply the rate limit to this call; return (allowed, X-RateLimit-* headers).

        SmartBill documents "30 calls in 10 seconds; on excess, access is blocked for 10
        minutes". The fake uses the strictest reading, a sliding window: the call is
        refused if ``rate_limit`` calls were already accepted in the half-open interval
        (now - window, now]. A call exactly ``window`` seconds after an earlier one no
        longer sees it, so a client that waits until ``X-RateLimit-Reset`` is safe.

        Times are kept in integer milliseconds, as a server logging calls would: a client
        spacing calls exactly ``window / limit`` apart on the fake clock must not be
        blocked by float rounding of virtual time.
        """
        now = round(self.clock.time() * 1000)
        window_ms = round(self.rate_window * 1000)
        # Keyed by the raw credential as sent, so wrong credentials have their own budget.
        window = self._windows.setdefault(request.headers.get("authorization", ""), _Window())
        calls = window.calls
        while calls and calls[0] <= now - window_ms:
            calls.popleft()
        allowed = True
        if window.blocked_until > now:
            allowed = False
        elif len(calls) >= self.rate_limit:
            window.blocked_until = now + round(self.block_seconds * 1000)
            self.penalties += 1
            allowed = False
        else:
            calls.append(now)
        if window.blocked_until > now:
            remaining = 0
            reset_ms = window.blocked_until
        else:
            remaining = max(self.rate_limit - len(calls), 0)
            reset_ms = calls[0] + window_ms if calls else now
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
            # Unix seconds, rounded up: waiting until this second is always enough.
            "X-RateLimit-Reset": str(-(-reset_ms // 1000)),
        }
        return allowed, headers

    def _route(self, request: httpx.Request, rel: str | None, method: str) -> _Reply:
        shape: Callable[[str], dict[str, Any]] = _error_body
        try:
            self._authenticate(request)
            if rel is None or rel not in self._routes:
                path = request.url.path
                raise _ApiError(_ERR_NOT_FOUND_PATH.format(path=path), status=404)
            shape = self._error_shapes.get(rel, _error_body)
            handlers = self._routes[rel]
            if method not in handlers:
                raise _ApiError(_ERR_METHOD.format(method=method, path=rel), status=405)
            body: dict[str, Any] = {}
            if method == "POST":
                body = self._json_body(request)
            return handlers[method](request, body)
        except _ApiError as error:
            return _Reply(error.status, shape(error.text))

    def _respond(self, reply: _Reply, headers: Mapping[str, str]) -> httpx.Response:
        all_headers = dict(headers)
        if reply.pdf is not None:
            all_headers["Content-Type"] = "application/octet-stream"
            all_headers["Content-Disposition"] = f'attachment; filename="{reply.filename}"'
            return httpx.Response(reply.status, headers=all_headers, content=reply.pdf)
        all_headers["Content-Type"] = "application/json; charset=utf-8"
        return httpx.Response(reply.status, headers=all_headers, content=_json_bytes(reply.payload or {}))

    def _authenticate(self, request: httpx.Request) -> None:
        """Preemptive Basic auth with ``base64(username:token)``; anything else is 401."""
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise _ApiError(_ERR_AUTH, status=401)
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _ApiError(_ERR_AUTH, status=401) from None
        if decoded != f"{self.username}:{self.token}":
            raise _ApiError(_ERR_AUTH, status=401)

    def _json_body(self, request: httpx.Request) -> dict[str, Any]:
        # The fake speaks JSON only. Real SmartBill also accepts application/xml; a
        # connector that sends XML is outside what this fake can check.
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise _ApiError(_ERR_MEDIA_TYPE, status=415)
        try:
            parsed = json.loads(request.content.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _ApiError(_ERR_BAD_JSON) from None
        if not isinstance(parsed, dict):
            raise _ApiError(_ERR_BAD_JSON)
        return parsed

    # ------------------------------------------------------------------ shared checks
    def _company(self, value: Any, missing_text: str) -> tuple[str, str]:
        """(normalised CIF, CIF as sent); 400 when missing, 401 when not the user's."""
        cif = _text(value)
        if cif is None:
            raise _ApiError(missing_text)
        key = _norm_cif(cif)
        if key not in self._companies:
            # Swagger response-code table: 401 when the company does not belong to the user.
            raise _ApiError(_ERR_COMPANY_NOT_OWNED, status=401)
        return key, cif

    @staticmethod
    def _query(request: httpx.Request, *names: str) -> str | None:
        for name in names:
            value = _text(request.url.params.get(name))
            if value is not None:
                return value
        return None

    def _series_query(self, request: httpx.Request) -> str | None:
        # The Swagger spells the key "seriesname" (pdf, paymentstatus) and "seriesName"
        # (cancel, restore, delete); SmartBill's own clients send "seriesname" everywhere.
        # Both spellings are accepted on every endpoint.
        return self._query(request, "seriesname", "seriesName")

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
            raise _ApiError(_ERR_DATE_MISSING)
        if not isinstance(value, str) or not _DATE_RE.fullmatch(value.strip()):
            raise _ApiError(_ERR_DATE_FORMAT)
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _ApiError(_ERR_DATE_FORMAT) from None
        return value.strip()

    def _resolve_series(self, company: str, name: Any, kind: str, not_found: str) -> _Series:
        series_name = _text(name)
        if series_name is None:
            series_name = self._default_series.get((company, kind))
            if series_name is None:
                raise _ApiError(not_found)
        series = self._series[company].get(series_name)
        if series is None or series.type != kind:
            raise _ApiError(not_found)
        return series

    def _allocate_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _find_record(self, company: str, series: str, number: str) -> _Record | None:
        for record in self._records:
            if (
                record.company == company
                and record.kind in ("invoice", "storno")
                and record.series == series
                and record.number == number
            ):
                return record
        return None

    def _paid(self, record: _Record) -> Decimal:
        key = (record.series, record.number)
        return sum(
            (
                amount
                for other in self._records
                if other.company == record.company
                for inv, amount in other.allocations
                if inv == key
            ),
            Decimal(0),
        )

    def _snapshot(self, record: _Record) -> StoredDocument:
        return StoredDocument(
            kind=record.kind,
            series=record.series,
            number=record.number,
            issue_date=record.issue_date,
            body=record.body,
            reverses=record.reverses,
            reversed_by=record.reversed_by,
            company_vat_code=record.company_vat_code,
            document_id=record.document_id,
            currency=record.currency,
            language=record.language,
            total=record.total,
            paid_amount=self._paid(record) if record.kind in ("invoice", "storno") else Decimal(0),
            cancelled=record.cancelled,
            draft=record.draft,
            payment_type=record.payment_type,
            invoices=tuple(inv for inv, _ in record.allocations),
        )

    def _links(self, record: _Record) -> dict[str, Any]:
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

    # ------------------------------------------------------------------ POST invoice
    def _post_invoice(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        return self._issue_invoice(body, links=False)

    def _post_invoice_v2(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        return self._issue_invoice(body, links=True)

    def _issue_invoice(self, body: dict[str, Any], *, links: bool) -> _Reply:
        # Everything is validated before anything is stored: SmartBill either issues the
        # whole document (with its receipt) or answers an error and stores nothing.
        company, cif = self._company(body.get("companyVatCode"), _ERR_CIF_BODY)
        issue_date = self._issue_date(body)
        client = body.get("client")
        if not isinstance(client, dict):
            raise _ApiError(_ERR_CLIENT_MISSING)
        client_name = _text(client.get("name"))
        if client_name is None:
            raise _ApiError(_ERR_CLIENT_INVALID)
        if _truthy(body.get("useEstimateDetails")):
            # Proformas are not modelled, so no estimate can be found.
            estimate = body.get("estimate")
            ref = ""
            if isinstance(estimate, dict):
                ref = f"{_text(estimate.get('seriesName')) or ''}{_text(estimate.get('number')) or ''}"
            raise _ApiError(_ERR_ESTIMATE_NOT_FOUND.format(doc=ref))
        series = self._resolve_series(company, body.get("seriesName"), "f", _ERR_SERIES_NOT_FOUND)
        currency = _text(body.get("currency")) or "RON"
        if currency not in self.currencies:
            raise _ApiError(_ERR_CURRENCY)
        language = _text(body.get("language")) or "RO"
        if language not in self.languages:
            raise _ApiError(_ERR_LANGUAGE)
        precision = self._precision(body.get("precision"))
        if _truthy(body.get("usePaymentTax")) and not self.vat_payer:
            raise _ApiError(_ERR_PAYMENT_TAX)
        use_stock = _truthy(body.get("useStock"))
        lines = self._validate_lines(body.get("products"), currency, use_stock, precision)
        total = sum((line.gross for line in lines), Decimal(0))
        payment = self._validate_embedded_payment(body.get("payment"), company)

        # A draft gets no number and does not move the series (Swagger "Ciorna").
        draft = _truthy(body.get("isDraft"))
        number = "" if draft else _pad(series.next_number)
        if not draft:
            series.next_number += 1
        record = _Record(
            kind="invoice",
            company=company,
            company_vat_code=cif,
            series=series.name,
            number=number,
            issue_date=issue_date,
            body=body,
            document_id=self._allocate_id(),
            currency=currency,
            language=language,
            total=total,
            client_name=client_name,
            client_vat=_text(client.get("vatCode")) or "",
            use_stock=use_stock,
            draft=draft,
        )
        if draft:
            self._drafts.append(record)
            reply: dict[str, Any] = {"errorText": "", "message": "", "number": "", "series": series.name, "url": ""}
            if links:
                reply.update(self._links(record))
            return _Reply(200, reply)
        self._records.append(record)
        if payment is not None:
            pay_type, value, receipt_series = payment
            self._store_payment(
                company=company,
                cif=cif,
                pay_type=pay_type,
                value=value,
                receipt_series=receipt_series,
                issue_date=issue_date,
                body=body["payment"],
                currency=currency,
                language=language,
                client_name=client_name,
                client_vat=record.client_vat,
                allocations=[((record.series, record.number), value)],
            )
        reply = {
            "errorText": "",
            "message": "",
            "number": number,
            "series": series.name,
            # The Swagger shows a payment link here when paymentUrl generated one; the
            # fake has no payment processor configured, so it stays empty.
            "url": "",
        }
        if links:
            reply.update(self._links(record))
        return _Reply(200, reply)

    @staticmethod
    def _precision(value: Any) -> int:
        # Swagger: 2, 3 or 4; above 4 is clamped to 4. Below 2 is assumed to mean 2.
        parsed = _decimal(value)
        if parsed is None:
            return 2
        return int(min(max(parsed, Decimal(2)), Decimal(4)))

    def _validate_lines(self, products: Any, currency: str, use_stock: bool, precision: int) -> list[_Line]:
        if not isinstance(products, list) or not products:
            raise _ApiError(_ERR_NO_PRODUCTS)
        if len(products) > 400:
            raise _ApiError(_ERR_TOO_MANY_LINES)
        entries = [p if isinstance(p, dict) else {} for p in products]
        if all(_truthy(p.get("isDiscount")) for p in entries):
            raise _ApiError(_ERR_ONLY_DISCOUNT)
        if use_stock and not self.stock_enabled:
            raise _ApiError(_ERR_STOCK_DISABLED)
        lines: list[_Line] = []
        for product in entries:
            name = _text(product.get("name"))
            if name is None:
                raise _ApiError(_ERR_PRODUCT_FIELD.format(field="name"))
            if _text(product.get("measuringUnitName")) is None:
                raise _ApiError(_ERR_PRODUCT_FIELD.format(field="measuringUnitName"))
            product_currency = _text(product.get("currency"))
            if product_currency is None:
                raise _ApiError(_ERR_PRODUCT_FIELD.format(field="currency"))
            if product_currency not in self.currencies:
                raise _ApiError(_ERR_CURRENCY)
            if product_currency != currency:
                if currency != "RON":
                    raise _ApiError(_ERR_PRODUCT_CURRENCY.format(invoice=currency, product=product_currency))
                if not self.foreign_reference_prices:
                    raise _ApiError(_ERR_FOREIGN_PRICES)
            if _truthy(product.get("isDiscount")):
                lines.append(self._discount_line(product, name, lines, precision))
            else:
                lines.append(self._product_line(product, name, use_stock, precision))
        return lines

    def _product_line(self, product: Mapping[str, Any], name: str, use_stock: bool, precision: int) -> _Line:
        quantity = _decimal(product.get("quantity"))
        if quantity is None:
            raise _ApiError(_ERR_PRODUCT_FIELD.format(field="quantity"))
        price = _decimal(product.get("price"))
        if price is None:
            raise _ApiError(_ERR_PRODUCT_FIELD.format(field="price"))
        if self.use_product_codes and _text(product.get("code")) is None:
            raise _ApiError(_ERR_PRODUCT_CODE.format(name=name))
        rate = self._resolve_tax(product, name)
        if use_stock and not _truthy(product.get("isService")):
            # Services are never taken from stock (Swagger "Emitere de facturi pentru
            # servicii"); warehouse names are case-sensitive.
            warehouse = product.get("warehouseName")
            if not isinstance(warehouse, str) or not warehouse.strip():
                raise _ApiError(_ERR_WAREHOUSE_MISSING.format(name=name))
            if self.check_warehouses and warehouse not in self.warehouses:
                raise _ApiError(_ERR_WAREHOUSE_NOT_FOUND.format(warehouse=warehouse, name=name))
        amount = quantity * price * self._rate_factor(product, rate)
        # UNCERTAIN: SmartBill's rounding; the fake rounds each line half-up.
        return _Line(gross=_round(amount, precision), rate=rate, is_discount=False)

    def _rate_factor(self, product: Mapping[str, Any], rate: Decimal | None) -> Decimal:
        """Multiplier from the entered amount to the amount with VAT."""
        if rate is None or _truthy(product.get("isTaxIncluded")):
            return Decimal(1)
        return 1 + rate / 100

    def _resolve_tax(self, product: Mapping[str, Any], name: str) -> Decimal | None:
        """The line's VAT rate; the taxName+taxPercentage pair must exist in the account."""
        if not self.vat_payer:
            # "Pentru firme neplatitoare de TVA doar parametrul Price este obligatoriu."
            return None
        tax_name = _text(product.get("taxName"))
        percentage = _decimal(product.get("taxPercentage"))
        if tax_name is None and percentage is None:
            raise _ApiError(_ERR_TAX_MISSING.format(name=name))
        if tax_name is None and percentage == 0:
            # Swagger: 0% without taxName is taken as "0% TVA Inclus".
            tax_name = "TVA Inclus"
        # UNCERTAIN: how SmartBill matches when only one of the pair is sent; the fake
        # accepts it when some configured rate fits the part that was sent.
        for known_name, known_percentage in self.taxes:
            if (tax_name is None or known_name == tax_name) and (percentage is None or known_percentage == percentage):
                return known_percentage
        raise _ApiError(_ERR_TAX_NOT_FOUND.format(name=name))

    def _discount_line(self, product: Mapping[str, Any], name: str, previous: list[_Line], precision: int) -> _Line:
        """A discount entry: it covers the ``numberOfItems`` entries just before it."""
        count = _decimal(product.get("numberOfItems"))
        if count is None or count != count.to_integral_value() or not 1 <= count <= len(previous):
            raise _ApiError(_ERR_DISCOUNT_ITEMS)
        covered = previous[-int(count) :]
        raw_type = _decimal(product.get("discountType"))
        # Swagger: default 2; any value other than 1 or 2 is treated as 1.
        discount_type = 2 if raw_type is None else (2 if raw_type == 2 else 1)
        rates = {line.rate for line in covered if line.rate is not None}
        if discount_type == 2:
            percentage = _decimal(product.get("discountPercentage"))
            if percentage is None:
                raise _ApiError(_ERR_DISCOUNT_FIELD.format(field="discountPercentage"))
            if len(rates) > 1:
                raise _ApiError(_ERR_DISCOUNT_PERCENT_MIXED)
            base = sum((line.gross for line in covered), Decimal(0))
            amount = -base * percentage / 100
            return _Line(gross=_round(amount, precision), rate=next(iter(rates), None), is_discount=True)
        value = _decimal(product.get("discountValue"))
        if value is None:
            raise _ApiError(_ERR_DISCOUNT_FIELD.format(field="discountValue"))
        if value >= 0:
            raise _ApiError(_ERR_DISCOUNT_NEGATIVE)
        rate: Decimal | None
        if len(rates) > 1:
            # A fixed discount over mixed rates must name its own rate (Swagger, discount
            # note 3); over a single rate the discount's own tax fields are ignored.
            if _decimal(product.get("taxPercentage")) is None:
                raise _ApiError(_ERR_DISCOUNT_TAX_MIXED)
            rate = self._resolve_tax(product, name)
        else:
            rate = next(iter(rates), None)
        amount = value * self._rate_factor(product, rate)
        return _Line(gross=_round(amount, precision), rate=rate, is_discount=True)

    def _validate_embedded_payment(self, payment: Any, company: str) -> tuple[str, Decimal, _Series | None] | None:
        """``payment{value, paymentSeries, type, isCash}`` inside ``POST invoice``."""
        if payment is None:
            return None
        if not isinstance(payment, dict):
            raise _ApiError(_ERR_EMBEDDED_PAYMENT_TYPE)
        pay_type = _text(payment.get("type"))
        if pay_type is None:
            raise _ApiError(_ERR_EMBEDDED_PAYMENT_TYPE)
        value = _decimal(payment.get("value"))
        if value is None:
            raise _ApiError(_ERR_EMBEDDED_PAYMENT_VALUE)
        if pay_type not in _INVOICE_PAYMENT_TYPES:
            raise _ApiError(_ERR_PAYMENT_TYPE_UNKNOWN)
        receipt_series: _Series | None = None
        if pay_type == "Chitanta":
            # paymentSeries is marked required for Chitanta (no default is documented
            # here, unlike POST payment); it must name a receipt series.
            name = _text(payment.get("paymentSeries"))
            receipt_series = self._series[company].get(name) if name is not None else None
            if receipt_series is None or receipt_series.type != "c":
                raise _ApiError(_ERR_PAYMENT_SERIES)
        return pay_type, value, receipt_series

    def _store_payment(
        self,
        *,
        company: str,
        cif: str,
        pay_type: str,
        value: Decimal,
        receipt_series: _Series | None,
        issue_date: str,
        body: dict[str, Any],
        currency: str,
        language: str,
        client_name: str,
        client_vat: str,
        allocations: list[tuple[tuple[str, str], Decimal]],
        draft: bool = False,
    ) -> _Record:
        series_name = ""
        number = ""
        if receipt_series is not None:
            series_name = receipt_series.name
            if not draft:
                number = _pad(receipt_series.next_number)
                receipt_series.next_number += 1
        record = _Record(
            kind="receipt" if pay_type == "Chitanta" else "payment",
            company=company,
            company_vat_code=cif,
            series=series_name,
            number=number,
            issue_date=issue_date,
            body=body,
            document_id=self._allocate_id(),
            currency=currency,
            language=language,
            total=value,
            client_name=client_name,
            client_vat=client_vat,
            payment_type=pay_type,
            allocations=[] if draft else allocations,
            draft=draft,
        )
        (self._drafts if draft else self._records).append(record)
        return record

    # ------------------------------------------------------------------ POST invoice/reverse
    def _post_reverse(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, cif = self._company(body.get("companyVatCode"), _ERR_REVERSE_CIF)
        series_name = _text(body.get("seriesName"))
        if series_name is None:
            raise _ApiError(_ERR_REVERSE_SERIES)
        number = _text(body.get("number"))
        if number is None:
            raise _ApiError(_ERR_REVERSE_NUMBER)
        original = self._find_record(company, series_name, number)
        if original is None:
            raise _ApiError(_ERR_INVOICE_NOT_FOUND.format(doc=_doc(series_name, number)))
        if original.kind == "storno":
            raise _ApiError(_ERR_IS_STORNO.format(doc=_doc(series_name, number)))
        if original.reversed_by is not None:
            existing = self._find_record(company, *original.reversed_by)
            # A storno that was cancelled or deleted no longer reverses the invoice.
            if existing is not None and not existing.cancelled:
                raise _ApiError(_ERR_ALREADY_REVERSED)
        issue_date = self._issue_date(body)
        if issue_date < original.issue_date:
            raise _ApiError(_ERR_STORNO_DATE)
        # UNCERTAIN (fact sheet 1.8): the storno is assumed to take the next number in the
        # original's series, as SB-MCP reports.
        series = self._series[company].get(series_name)
        if series is None:
            raise _ApiError(_ERR_SERIES_NOT_FOUND)
        storno_number = _pad(series.next_number)
        series.next_number += 1
        storno = _Record(
            kind="storno",
            company=company,
            company_vat_code=cif,
            series=series_name,
            number=storno_number,
            issue_date=issue_date,
            body=body,
            document_id=self._allocate_id(),
            currency=original.currency,
            language=original.language,
            total=-original.total,
            client_name=original.client_name,
            client_vat=original.client_vat,
            use_stock=original.use_stock,
            reverses=(original.series, original.number),
        )
        original.reversed_by = (series_name, storno_number)
        self._records.append(storno)
        reply: dict[str, Any] = {
            "errorText": "",
            "message": "",
            "number": storno_number,
            "series": series_name,
            "url": "",
        }
        reply.update(self._links(storno))
        return _Reply(200, reply)

    # ------------------------------------------------------------------ POST payment
    def _post_payment(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, cif = self._company(body.get("companyVatCode"), _ERR_CIF_BODY)
        pay_type = _text(body.get("type"))
        if pay_type is None:
            raise _ApiError(_ERR_PAYMENT_TYPE_MISSING)
        if pay_type == "Bon":
            # Fiscal receipts need a cash register configured for the user; the fake
            # account has none.
            raise _ApiError(_ERR_PAYMENT_BON.format(user=self.username))
        if pay_type not in PAYMENT_TYPES:
            raise _ApiError(_ERR_PAYMENT_TYPE_UNKNOWN)
        issue_date = self._issue_date(body)
        use_details = _truthy(body.get("useInvoiceDetails"))
        references = self._invoice_references(body.get("invoicesList"))
        if len(references) > 70:
            raise _ApiError(_ERR_PAYMENT_TOO_MANY)
        if use_details and not references:
            raise _ApiError(_ERR_PAYMENT_INVOICE_DETAILS)
        if use_details and len(references) > 1:
            # UNCERTAIN: the Swagger's error table says one invoice only in this mode,
            # its prose says several; the fake takes the stricter rule.
            raise _ApiError(_ERR_PAYMENT_ONE_INVOICE)
        invoices: list[_Record] = []
        for series_name, number in references:
            found = self._find_record(company, series_name, number)
            if found is None:
                raise _ApiError(_ERR_PAYMENT_INVOICE_NOT_FOUND)
            if found.cancelled:
                raise _ApiError(_ERR_PAYMENT_CANCELLED.format(doc=f"{series_name}{number}"))
            invoices.append(found)

        if use_details:
            # Client, currency, language and value are taken from the invoice; values
            # sent in the request are ignored (Swagger "cu datele din factura").
            source = invoices[0]
            client_name, client_vat = source.client_name, source.client_vat
            currency, language = source.currency, source.language
            # "Valoarea incasarii este totalul facturat" (Swagger).
            value = source.total
        else:
            value_or_none = _decimal(body.get("value"))
            if value_or_none is None:
                raise _ApiError(_ERR_PAYMENT_VALUE)
            value = value_or_none
            client = body.get("client")
            name = _text(client.get("name")) if isinstance(client, dict) else None
            if name is None or not isinstance(client, dict):
                raise _ApiError(_ERR_CLIENT_INVALID)
            client_name, client_vat = name, _text(client.get("vatCode")) or ""
            currency = _text(body.get("currency")) or "RON"
            if currency not in self.currencies:
                raise _ApiError(_ERR_CURRENCY)
            language = _text(body.get("language")) or "RO"
            if language not in self.languages:
                raise _ApiError(_ERR_LANGUAGE)
            for invoice in invoices:
                ref = f"{invoice.series}{invoice.number}"
                if not self._same_client(invoice, client_name, client_vat):
                    raise _ApiError(_ERR_PAYMENT_CLIENT.format(doc=ref))
                if invoice.currency != currency:
                    raise _ApiError(_ERR_PAYMENT_CURRENCY.format(doc=ref))
                if invoice.language != language:
                    raise _ApiError(_ERR_PAYMENT_LANGUAGE.format(doc=ref))

        receipt_series: _Series | None = None
        if pay_type == "Chitanta":
            series_name_sent = _text(body.get("seriesName"))
            if series_name_sent is not None:
                found_series = self._series[company].get(series_name_sent)
                if found_series is None:
                    raise _ApiError(_ERR_SERIES_NOT_FOUND)
                if found_series.type != "c":
                    raise _ApiError(_ERR_PAYMENT_NOT_RECEIPT_SERIES)
                receipt_series = found_series
            else:
                # Omitted: the account's default receipt series.
                receipt_series = self._resolve_series(company, None, "c", _ERR_SERIES_NOT_FOUND)

        allocations = self._allocate(value, invoices)
        record = self._store_payment(
            company=company,
            cif=cif,
            pay_type=pay_type,
            value=value,
            receipt_series=receipt_series,
            issue_date=issue_date,
            body=body,
            currency=currency,
            language=language,
            client_name=client_name,
            client_vat=client_vat,
            allocations=allocations,
            draft=_truthy(body.get("isDraft")),
        )
        return _Reply(
            200,
            {
                "errorText": "",
                "message": "",
                "number": record.number,
                "series": record.series,
            },
        )

    @staticmethod
    def _invoice_references(raw: Any) -> list[tuple[str, str]]:
        """``(seriesName, number)`` of each ``invoicesList`` entry.

        An array per the Swagger; a single object is also accepted because SmartBill's
        own Postman example sends one.
        """
        if raw is None:
            return []
        items = [raw] if isinstance(raw, dict) else raw
        if not isinstance(items, list):
            raise _ApiError(_ERR_PAYMENT_INVOICE_DETAILS)
        references: list[tuple[str, str]] = []
        for item in items:
            series = _text(item.get("seriesName")) if isinstance(item, dict) else None
            number = _text(item.get("number")) if isinstance(item, dict) else None
            if series is None or number is None:
                raise _ApiError(_ERR_PAYMENT_INVOICE_DETAILS)
            references.append((series, number))
        return references

    @staticmethod
    def _same_client(invoice: _Record, name: str, vat: str) -> bool:
        # UNCERTAIN how SmartBill matches clients: by CIF when both sides have one,
        # otherwise by name (case-insensitive).
        if invoice.client_vat and vat:
            return _norm_cif(invoice.client_vat) == _norm_cif(vat)
        return invoice.client_name.strip().casefold() == name.strip().casefold()

    def _allocate(self, value: Decimal, invoices: list[_Record]) -> list[tuple[tuple[str, str], Decimal]]:
        """Spread a payment over the listed invoices.

        In order, each up to what it still owes; any excess goes to the last one
        (UNCERTAIN: SmartBill's own rule is not documented).
        """
        allocations: list[tuple[tuple[str, str], Decimal]] = []
        left = value
        for index, invoice in enumerate(invoices):
            owed = max(invoice.total - self._paid(invoice), Decimal(0))
            share = left if index == len(invoices) - 1 else min(left, owed)
            allocations.append(((invoice.series, invoice.number), share))
            left -= share
        return allocations

    # ------------------------------------------------------------------ query-string endpoints
    def _target(
        self,
        request: httpx.Request,
        *,
        cif_text: str,
        series_text: str,
        number_text: str,
    ) -> tuple[str, str, str]:
        company, _ = self._company(self._query(request, "cif"), cif_text)
        series = self._series_query(request)
        if series is None:
            raise _ApiError(series_text)
        number = self._query(request, "number")
        if number is None:
            raise _ApiError(number_text)
        return company, series, number

    def _get_payment_status(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, series, number = self._target(
            request,
            cif_text=_ERR_CIF_QUERY,
            series_text=_ERR_PDF_SERIES,
            number_text=_ERR_PDF_NUMBER,
        )
        record = self._find_record(company, series, number)
        if record is None:
            raise _ApiError(_ERR_PAYMENT_INVOICE_NOT_FOUND)
        paid = self._paid(record)
        unpaid = record.total - paid
        return _Reply(
            200,
            {
                "errorText": "",
                "message": "",
                # The Swagger example leaves number and series empty here.
                "number": "",
                "series": "",
                "invoiceTotalAmount": record.total,
                "paidAmount": paid,
                "unpaidAmount": unpaid,
                "paid": unpaid <= 0,
            },
        )

    def _get_pdf(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        # Swagger: the PDF is sent only with "Accept: application/octet-stream".
        accept = request.headers.get("accept", "").lower()
        if "application/octet-stream" not in accept:
            raise _ApiError(_ERR_NOT_ACCEPTABLE, status=406)
        company, series, number = self._target(
            request,
            cif_text=_ERR_CIF_QUERY,
            series_text=_ERR_PDF_SERIES,
            number_text=_ERR_PDF_NUMBER,
        )
        record = self._find_record(company, series, number)
        if record is None:
            raise _ApiError(_ERR_INVOICE_NOT_FOUND.format(doc=_doc(series, number)))
        return _Reply(200, pdf=self._render(record), filename=f"{series}{number}.pdf")

    def _render(self, record: _Record) -> bytes:
        title = "FACTURA STORNO" if record.kind == "storno" else "FACTURA"
        text = [
            f"{title} seria {record.series} nr. {record.number}",
            f"Data emiterii: {record.issue_date}",
            f"Furnizor CIF: {record.company_vat_code}",
            f"Client: {record.client_name} {record.client_vat}".rstrip(),
        ]
        products = record.body.get("products")
        if isinstance(products, list):
            for product in products:
                if isinstance(product, dict):
                    text.append(
                        f"- {product.get('name', '')} {product.get('quantity', '')} "
                        f"{product.get('measuringUnitName', '')} x {product.get('price', '')}"
                    )
        if record.reverses is not None:
            text.append(f"Storneaza factura {record.reverses[0]}{record.reverses[1]}")
        text.append(f"Total: {record.total} {record.currency}")
        if record.cancelled:
            text.append("ANULATA")
        return make_pdf("\n".join(text))

    def _queried_invoice(self, request: httpx.Request) -> tuple[str, str, str, _Record]:
        """The invoice named by ``cif``, series and ``number`` in the query, or SmartBill's error."""
        company, series, number = self._target(
            request,
            cif_text=_ERR_CIF_QUERY_SHORT,
            series_text=_ERR_QUERY_SERIES,
            number_text=_ERR_QUERY_NUMBER,
        )
        record = self._find_record(company, series, number)
        if record is None:
            raise _ApiError(_ERR_INVOICE_NOT_FOUND.format(doc=_doc(series, number)))
        return company, series, number, record

    def _put_cancel(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, series, number, record = self._queried_invoice(request)
        if record.cancelled:
            raise _ApiError(_ERR_ALREADY_CANCELLED.format(doc=_doc(series, number)))
        if record.use_stock and record.reversed_by is not None:
            storno = self._find_record(company, *record.reversed_by)
            if storno is not None and not storno.cancelled:
                raise _ApiError(
                    _ERR_CANCEL_WITH_STORNO.format(doc=f"{series}{number}", storno=f"{storno.series}{storno.number}")
                )
        record.cancelled = True
        return _Reply(200, self._message(_MSG_CANCELLED.format(doc=f"{series}{number}")))

    def _put_restore(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        _, series, number, record = self._queried_invoice(request)
        if not record.cancelled:
            raise _ApiError(_ERR_NOT_CANCELLED.format(doc=_doc(series, number)))
        record.cancelled = False
        return _Reply(200, self._message(_MSG_RESTORED.format(doc=f"{series}{number}")))

    def _delete_invoice(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, series, number, record = self._queried_invoice(request)
        self._remove_last(company, record)
        # The number may be issued again; collections recorded against the deleted
        # invoice must not count towards its successor.
        key = (record.series, record.number)
        for other in self._records:
            if other.company == company:
                other.allocations = [a for a in other.allocations if a[0] != key]
        if record.reverses is not None:
            original = self._find_record(company, *record.reverses)
            if original is not None:
                original.reversed_by = None
        return _Reply(200, self._message(_MSG_DELETED.format(doc=f"{series}{number}")))

    def _delete_receipt(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, series, number = self._target(
            request,
            cif_text=_ERR_CIF_QUERY_SHORT,
            series_text=_ERR_QUERY_SERIES,
            number_text=_ERR_QUERY_NUMBER,
        )
        record = next(
            (
                r
                for r in self._records
                if r.company == company and r.kind == "receipt" and r.series == series and r.number == number
            ),
            None,
        )
        if record is None:
            raise _ApiError(_ERR_RECEIPT_NOT_FOUND)
        # Deleting the receipt also deletes the collection it recorded.
        self._remove_last(company, record)
        return _Reply(200, self._message(_MSG_RECEIPT_DELETED.format(doc=f"{series}{number}")))

    def _remove_last(self, company: str, record: _Record) -> None:
        """Delete ``record`` if it is the last document of its series.

        Its number goes back to the series (UNCERTAIN: SmartBill reusing the number is
        assumed; it is what "only the last one can be deleted, to avoid duplicates"
        suggests).
        """
        series = self._series[company].get(record.series)
        if series is None or _pad(series.next_number - 1) != record.number:
            raise _ApiError(_ERR_NOT_LAST.format(doc=_doc(record.series, record.number)))
        self._records.remove(record)
        series.next_number -= 1

    @staticmethod
    def _message(text: str) -> dict[str, Any]:
        return {"errorText": "", "message": text, "number": "", "series": "", "url": ""}

    def _get_series(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        company, _ = self._company(self._query(request, "cif"), _ERR_CIF_QUERY)
        kind = request.url.params.get("type")
        if kind not in (None, "", *_SERIES_TYPES):
            raise _ApiError(_ERR_SERIES_TYPE.format(type=kind))
        listing = [
            {"name": s.name, "nextNumber": _pad(s.next_number), "type": s.type}
            for s in self._series[company].values()
            if not kind or s.type == kind
        ]
        return _Reply(200, {"errorText": "", "message": "", "number": "", "series": "", "list": listing})

    def _get_tax(self, request: httpx.Request, body: dict[str, Any]) -> _Reply:
        self._company(self._query(request, "cif"), _ERR_CIF_QUERY)
        taxes = [{"name": name, "percentage": pct} for name, pct in self.taxes]
        return _Reply(200, {"errorText": "", "message": "", "number": "", "series": "", "taxes": taxes})

    def __repr__(self) -> str:
        return (
            f"SmartBillFake(username={self.username!r}, company={self.company_vat_code!r}, "
            f"documents={len(self._records)})"
        )
