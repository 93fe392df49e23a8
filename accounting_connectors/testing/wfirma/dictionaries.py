"""The wFirma fake's dictionary routes, ``find`` only.

``series`` (§7), ``vat_codes`` (§6.1), ``goods`` (§12) and ``user_companies`` (§1).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import _FAILED, _Good, _Series, _User, _VatCode
from .rules import _add, _money
from .state import WFirmaState

__all__ = ["DictionaryRoutes"]


class DictionaryRoutes(WFirmaState):
    """The dictionaries of the wFirma fake: series, VAT codes, goods and the user's companies."""

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
