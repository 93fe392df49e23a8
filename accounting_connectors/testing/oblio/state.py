"""The Oblio fake's account state: logins, companies, tokens and documents, set up and looked up.

:class:`OblioState` holds what every route handler shares: the stores, the account setup
(companies, logins, stock, secrets, tokens), company access, reading a write's body, and
finding, linking, showing and collecting on documents.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ...clock import Clock
from ..base import FakeProvider
from ..wire import FakeRequest
from . import texts
from .records import (
    _ZERO,
    BASE_URL,
    COLLECT_TYPES,
    DEFAULT_SERIES,
    DEFAULT_VAT_RATES,
    _Company,
    _Document,
    _Series,
    _StockItem,
    _Token,
    _User,
)
from .rules import _date, _number, _refuse, _same_number, _text, _unflatten


class OblioState(FakeProvider):
    """The stores and shared lookups of :class:`~accounting_connectors.testing.oblio.OblioFake`."""

    def __init__(self, *, clock: Clock | None = None, keep_log: bool = True) -> None:
        super().__init__(clock=clock, keep_log=keep_log)
        self._companies: dict[str, _Company] = {}
        self._users: dict[str, _User] = {}
        self._tokens: dict[str, _Token] = {}
        self._documents: list[_Document] = []
        self._next_id = 261751
        self._fail_after_commit = 0
        self._fail_status = 502
        self._issued = 0
        self.spv_delay = 60.0
        """Seconds ANAF takes to process an upload (code 0, then 1 or 2)."""

    # Setting up accounts.

    def add_company(
        self,
        cif: str,
        name: str,
        *,
        use_stock: bool = False,
        spv: str = "none",
        series: Iterable[tuple[str, str, str]] = DEFAULT_SERIES,
        vat_rates: Iterable[tuple[str, Decimal, bool]] = DEFAULT_VAT_RATES,
    ) -> None:
        """Add a company; with ``use_stock`` it gets warehouse ``Magazin`` (work station ``Sediu``) and stock.

        ``spv`` is its e-Factura setup: ``none``, ``manual`` or ``auto`` (see ``_Company.spv``).
        """
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
                spv=spv,
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

    def set_spv(self, cif: str, mode: str) -> None:
        """Set a company's SPV setup: ``none``, ``manual`` or ``auto`` (EINVOICING §3.8)."""
        if mode not in ("none", "manual", "auto"):
            raise ValueError(f"unknown SPV mode {mode!r}")
        with self._lock:
            self._companies[cif.upper()].spv = mode

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

    # Shared by the routes.

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

    def _created(self, document: _Document) -> dict[str, Any]:
        return {"seriesName": document.series, "number": document.number, "link": self._link(document)}

    def _link(self, document: _Document) -> str:
        ic = self._companies[document.cif].ic
        return f"{BASE_URL}utils/show_file/?ic={ic}&id={document.id}&it={document.link_token}"

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
