"""The wFirma fake's state: setting up accounts, and answering.

Accounts are companies, series, users, keys and goods; answers carry the ``status > code``
envelope (§2), requests are checked for their keys and ``company_id`` (§1), and ``find``
is paged (§15).

:class:`WFirmaState` is the base of the route mixins and of :class:`~.fake.WFirmaFake`,
which sets these attributes up in its ``__init__``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement

from ..base import FakeProvider
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .dialect import BadInput, parse_body, render
from .records import _FAILED, _Company, _Good, _Series, _User, _VatCode
from .rules import _add, _decimal, _matches, _text

__all__ = ["WFirmaState"]


class WFirmaState(FakeProvider):
    """The accounts of the wFirma fake and the way it answers."""

    filters_id_external: bool
    app_keys: set[str]
    users: dict[str, _User]
    companies: dict[str, _Company]
    _next_id: dict[str, int]
    _order: list[tuple[str, str]]
    _fatal_after_commit: set[str]
    ksef_delay: float

    # Setting up accounts.

    def add_company(
        self,
        company_id: str,
        name: str,
        *,
        books: bool = False,
        warehouse: bool = False,
        vat_id_base: int = 0,
        ksef: bool = False,
        ksef_authorised: bool = True,
    ) -> None:
        """A company with default series (FV, PAR, DS, KOR) and the Polish VAT codes.

        VAT code ids start at 222 + ``vat_id_base``: ids are per account (§6.1). With ``ksef``
        every invoice and correction added goes to KSeF at issue; ``ksef_authorised=False``
        refuses ``invoices/add`` as when the key's user has no KSeF authorisation (EINVOICING §3.3).
        """
        company = _Company(
            company_id, name, books=books, warehouse=warehouse, ksef=ksef, ksef_authorised=ksef_authorised
        )
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

    # Finding.

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
