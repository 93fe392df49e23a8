"""The Oblio fake's nomenclatures: ``GET api/nomenclature/{name}`` (§3, §6, §7, §12)."""

from __future__ import annotations

from typing import Any

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import LANGUAGES, _StockItem, _User
from .rules import _number, _ok, _refuse
from .state import OblioState


class NomenclatureRoutes(OblioState):
    """Series, VAT rates, companies, languages, warehouses (``management``), products and clients."""

    # Nomenclatures.

    @route("GET", "api/nomenclature/{name}")
    def nomenclature(self, request: FakeRequest) -> Reply:
        """``series``, ``vat_rates``, ``companies``, ``languages``, ``management``, ``products``, ``clients``."""
        name = request.groups["name"]
        user: _User = request.principal
        if name == "companies":
            return _ok(
                [
                    {
                        "cif": company.cif,
                        "company": company.name,
                        "userTypeAccess": "admin",
                        "useStock": int(company.use_stock),
                    }
                    for cif, company in self._companies.items()
                    if cif in user.cifs
                ]
            )
        company = self._company(request, request.params.get("cif"))
        offset = int(_number(request.params.get("offset", "0"), "offset"))
        if name == "series":
            wanted = request.params.get("type")
            return _ok(
                [
                    {
                        "type": s.type,
                        "name": s.name,
                        "start": s.start,
                        "next": str(s.next).zfill(len(s.start)),
                        "default": s.default,
                    }
                    for s in company.series
                    if not wanted or s.type == wanted
                ]
            )
        if name == "vat_rates":
            return _ok([{"name": n, "percent": p, "default": d} for n, p, d in company.vat_rates])
        if name == "languages":
            return _ok([{"code": code, "name": label} for code, label in LANGUAGES])
        if name == "management":
            if not company.use_stock:
                raise _refuse(texts.ERR_STOCK_OFF)
            return _ok([{"management": m, "workStation": w, "managementType": t} for m, w, t in company.managements])
        if name == "products":
            items = list(company.stock.values())
            for field, attribute in (("code", "code"), ("management", "management"), ("workStation", "work_station")):
                if request.params.get(field):
                    items = [item for item in items if getattr(item, attribute) == request.params[field]]
            if request.params.get("name"):
                items = [item for item in items if request.params["name"].casefold() in item.name.casefold()]
            return _ok([self._product(item) for item in items[offset : offset + 250]])
        if name == "clients":
            found = list(company.clients.values())
            if request.params.get("clientCif"):
                found = [client for client in found if client.get("cif") == request.params["clientCif"]]
            return _ok(found[offset : offset + 250])
        return self.not_found(request)

    @staticmethod
    def _product(item: _StockItem) -> dict[str, Any]:
        return {
            "name": item.name,
            "code": item.code,
            "description": "",
            "measuringUnit": item.measuring_unit,
            "productType": item.product_type,
            "price": item.price,
            "currency": "RON",
            "vatName": "Normala",
            "vatPercentage": 21,
            "vatIncluded": True,
            "stock": [
                {
                    "workStation": item.work_station,
                    "management": item.management,
                    "quantity": item.quantity,
                    "price": item.price,
                }
            ],
        }
