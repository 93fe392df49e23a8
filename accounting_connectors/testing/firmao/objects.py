"""The fake Firmao's shared request helpers and its non-transaction objects.

Customers, products, storage documents and the objects the peer clients use (tasks,
offers, agreements, users), plus what every route shares: single-field PUTs, entry
pricing, numbering and lists with F-DOC's filters (firmao.md §1, §3, §12, §15).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..base import FakeProvider
from ..routes import route
from ..wire import FakeError, FakeRequest, Reply
from . import errors
from .codec import (
    _FILTER,
    _HUNDRED,
    _MAG_FILTER,
    _MAX_LIMIT,
    _NEXT_TYPES,
    Organization,
    _assign,
    _digits,
    _int,
    _json_object,
    _log,
    _lookup,
    _money,
    _nested,
    _number,
    _predicate,
    _product_ref,
    _refuse,
    _required,
    _sort_key,
    _unflatten,
)


class FirmaoObjects(FakeProvider):
    """Customers, products, storage documents and the helpers every Firmao route shares."""

    ignore_filters: bool
    ignored_filters: set[str]
    unknown_total_size: bool

    # Customers and products.

    @route("GET", "{org}/svc/v1/customers")
    def list_customers(self, request: FakeRequest) -> Reply:
        """``GET customers`` with filters."""
        org: Organization = request.principal

        def index(field: str, value: str) -> list[dict[str, Any]] | None:
            if field == "nipNumber":
                return [org.customers[customer] for customer in org.customers_by_nip.get(_digits(value), [])]
            if field == "name":
                return [org.customers[customer] for customer in org.customers_by_name.get(value, [])]
            return None

        return self._list(request, org.customers.values(), index)

    @route("POST", "{org}/svc/v1/customers")
    def create_customer(self, request: FakeRequest) -> Reply:
        """``POST customers``; a duplicate NIP is a 409 (F-DOC §2d)."""
        org: Organization = request.principal
        body = _unflatten(_json_object(request))
        name = _required(body, "name")
        nip = body.get("nipNumber")
        if nip:
            for other in [org.customers[customer] for customer in org.customers_by_nip.get(_digits(nip), [])]:
                if not other.get("deleted"):
                    raise _refuse(errors.duplicate_value("customer", "nipNumber", other["id"], str(nip)), 409)
        identifier = org.new_id()
        org.add_customer({**body, "id": identifier, "name": name, "deleted": False, "transactionsCount": 0})
        return Reply.json({"changelog": [_log("CREATE", "customer", identifier, str(body.get("label") or name))]}, 201)

    @route("PUT", "{org}/svc/v1/customers/{id}")
    def edit_customer(self, request: FakeRequest) -> Reply:
        """``PUT customers/{id}``: one dotted field (F-MISC: no nested objects)."""
        org: Organization = request.principal
        customer = org.customers.get(_int(request.groups["id"]) or -1)
        if customer is None:
            raise FakeError(Reply.empty(404))
        key, value = self._single_change(request)
        old = customer.get(key)
        _assign(customer, key, value)
        if key in ("name", "nipNumber"):
            org.reindex_customers()
        return Reply.json(
            {"changelog": [_log("CHANGE", "customer", customer["id"], str(customer["name"]), key, old, value)]}
        )

    @route("GET", "{org}/svc/v1/products")
    def list_products(self, request: FakeRequest) -> Reply:
        """``GET products?productCode(eq)=`` (F-DOC) or ``filters=(productCode="")`` (F-MAG)."""
        org: Organization = request.principal

        def index(field: str, value: str) -> list[dict[str, Any]] | None:
            if field == "productCode":
                return [org.products[product] for product in org.products_by_code.get(value, [])]
            return None

        return self._list(request, org.products.values(), index)

    @route("POST", "{org}/svc/v1/products")
    def create_product(self, request: FakeRequest) -> Reply:
        """``POST products`` (F-DOC §2c)."""
        org: Organization = request.principal
        body = _unflatten(_json_object(request))
        name = _required(body, "name")
        identifier = org.new_id()
        org.add_product({"currentStoreState": Decimal(0), "deleted": False, **body, "id": identifier})
        return Reply.json({"changelog": [_log("CREATE", "product", identifier, str(name))]}, 201)

    @route("PUT", "{org}/svc/v1/products/{id}")
    def edit_product(self, request: FakeRequest) -> Reply:
        """``PUT products/{id}``; ``currentStoreState`` only with direct stock modification on (F-DOC §3c)."""
        org: Organization = request.principal
        product = org.products.get(_int(request.groups["id"]) or -1)
        if product is None:
            raise FakeError(Reply.empty(404))
        key, value = self._single_change(request)
        if key == "currentStoreState" and not org.direct_stock_modification:
            raise _refuse(errors.stock_modification_disabled())
        old = product.get(key)
        _assign(product, key, value)
        if key == "productCode":
            org.reindex_products()
        return Reply.json({"changelog": [_log("CHANGE", "product", product["id"], str(product.get("name")), key, old,
                                              value)]})  # fmt: skip

    @route("GET", "{org}/svc/v1/storagedocs")
    def list_storagedocs(self, request: FakeRequest) -> Reply:
        """``GET storagedocs``."""
        org: Organization = request.principal
        return self._list(request, org.storagedocs.values())

    @route("POST", "{org}/svc/v1/storagedocs")
    def create_storagedoc(self, request: FakeRequest) -> Reply:
        """``POST storagedocs`` (F-MAG: ``type``, ``warehouse {id}``, ``paymentType``, ``currency``...)."""
        org: Organization = request.principal
        body = _unflatten(_json_object(request))
        kind = _required(body, "type")
        if kind.lower() not in _NEXT_TYPES["storagedoc"]:
            raise _refuse(errors.invalid_value("type", kind))
        identifier = org.new_id()
        org.storagedocs[identifier] = {**body, "id": identifier, "warehouse": _nested(body.get("warehouse"))}
        return Reply.json({"changelog": [_log("CREATE", "storagedoc", identifier, kind)]}, 201)

    # Helpers.

    def _single_change(self, request: FakeRequest) -> tuple[str, Any]:
        body = _json_object(request)
        for key, value in body.items():
            if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(item, dict) for item in value)):
                raise _refuse(errors.nested_put(key))
        if not body:
            raise _refuse(errors.invalid_json())
        # F-DOC: "mostly tested for one field per request": only the first field takes effect.
        key = next(iter(body))
        return key, body[key]

    def _price(self, org: Organization, entry: Mapping[str, Any], index: int) -> tuple[Decimal, Decimal]:
        product = entry.get("product")
        if isinstance(product, bool) or product is None or (isinstance(product, str) and not product.strip()):
            raise _refuse(errors.field_required(f"transactionEntries[{index}].product"))
        if isinstance(product, Decimal):
            if product != product.to_integral_value() or int(product) not in org.products:
                raise _refuse(errors.entity_not_found("product", product, "product"))
        elif not isinstance(product, str):
            raise _refuse(errors.invalid_value(f"transactionEntries[{index}].product", product))
        count = _number(entry, "quantity", None, f"transactionEntries[{index}].quantity")
        unit = _number(entry, "unitNettoPrice", None, f"transactionEntries[{index}].unitNettoPrice")
        rate = _number(entry, "vatPercent", None, f"transactionEntries[{index}].vatPercent")
        assert count is not None
        assert unit is not None
        assert rate is not None
        if not Decimal(0) <= rate < _HUNDRED:
            raise _refuse(errors.invalid_value(f"transactionEntries[{index}].vatPercent", rate))
        discount = entry.get("discount")
        if discount is not None:
            percent = _number(entry, "discount", None, f"transactionEntries[{index}].discount")
            assert percent is not None
            unit = unit * (1 - percent / _HUNDRED)
        net = _money(count * unit)
        return net, _money(net * rate / _HUNDRED)

    def _correction_original(
        self, org: Organization, body: Mapping[str, Any], entries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        number = body.get("connectedDocNumber")
        if not number:
            raise _refuse(errors.field_required("connectedDocNumber"))
        identifier = org.sale_numbers.get(str(number))
        if identifier is None:
            raise _refuse(errors.entity_not_found("connectedDocNumber", number, "transaction"))
        original = org.transactions[identifier]
        own = set(org.entries_by_transaction.get(identifier, []))
        befores: dict[Any, Any] = {}
        for entry in entries:
            if "invalidRecordId" in entry:
                continue
            base = _int(entry.get("baseEntryId"))
            if base not in own:
                raise _refuse(errors.invalid_correction("baseEntryId", f"{entry.get('baseEntryId')} is not an entry "
                                                        f"of {number}"))  # fmt: skip
            befores[entry.get("recordId")] = base
        afters = [entry.get("invalidRecordId") for entry in entries if "invalidRecordId" in entry]
        if sorted(map(str, afters)) != sorted(map(str, befores)) or set(befores.values()) != own:
            raise _refuse(
                errors.invalid_correction("transactionEntries", "every entry of the original needs a before and an "
                                          "after entry")
            )  # fmt: skip
        return original

    def _customer_for(self, org: Organization, body: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
        customer = body.get("customer")
        if customer is not None:
            identifier = _int(customer.get("id")) if isinstance(customer, dict) else _int(customer)
            found = org.customers.get(identifier or -1)
            if found is None or found.get("deleted"):
                raise _refuse(errors.entity_not_found("customer", customer, "customer"))
            return found, None
        if body.get("createCustomerIfNeeded") is True:
            name = body.get("customerName")
            if not isinstance(name, str) or not name.strip():
                raise _refuse(errors.field_required("customerName"))
            for existing in [org.customers[customer] for customer in org.customers_by_name.get(name, [])]:
                if not existing.get("deleted"):
                    return existing, None  # attached by name (F-DOC)
            given = body.get("customerAddress")
            address: dict[str, Any] = given if isinstance(given, dict) else {}
            created = {
                "id": org.new_id(), "name": name, "label": name, "nipNumber": body.get("nipNumber"),
                "emails": list(body.get("emails") or []), "phones": list(body.get("phones") or []),
                "officeAddress": dict(address), "deleted": False, "transactionsCount": 0,
            }  # fmt: skip
            return created, created
        raise _refuse(errors.field_required("customer"))

    def _next_number(self, org: Organization, line: int, kind: str, mode: str) -> str:
        today = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).date()
        pattern = str(next(item for item in org.lines if item["id"] == line)["patterns"].get(kind, "{n}/{m}/{yyyy}"))
        key = (line, f"{kind}:{mode}", f"{today.year}-{today.month:02d}")
        counter = org.counters.get(key, 1)
        while True:
            number = pattern.format(n=counter, nnn=f"{counter:03d}", m=today.month, mm=f"{today.month:02d}",
                                    yyyy=today.year)  # fmt: skip
            if mode != "SALE" or number not in org.sale_numbers:
                break
            counter += 1
        org.counters[key] = counter
        return number

    def _store_entry(self, org: Organization, row: Mapping[str, Any], entry: Mapping[str, Any], amounts: Any) -> None:
        identifier = org.new_id()
        net, vat = amounts
        org.add_entry({
            "id": identifier,
            "transaction": {"id": row["id"], "transactionNumber": row["transactionNumber"], "customerName":
                            row["customerName"]},
            "product": _product_ref(org, entry.get("product")),
            "name": entry["product"] if isinstance(entry.get("product"), str) else None,
            "productCode": entry.get("productCode"),
            "quantity": _number(entry, "quantity", Decimal(0)),
            "unit": entry.get("unit"),
            "unitNettoPrice": _number(entry, "unitNettoPrice", Decimal(0)),
            "vatPercent": _number(entry, "vatPercent", Decimal(0)),
            "discount": entry.get("discount"),
            "nettoPrice": net,
            "vatPrice": vat,
            "bruttoPrice": net + vat,
            "recordId": entry.get("recordId"),
            "baseEntryId": entry.get("baseEntryId"),
            "invalidRecordId": entry.get("invalidRecordId"),
            "mode": row["mode"],
            "type": "ACTUAL",
        })  # fmt: skip

    def _list(
        self,
        request: FakeRequest,
        rows: Iterable[dict[str, Any]],
        index: Callable[[str, str], list[dict[str, Any]] | None] | None = None,
    ) -> Reply:
        params = request.params
        checks: list[Callable[[Mapping[str, Any]], bool]] = []
        deleted_filtered = False
        candidates: list[dict[str, Any]] | None = None
        if not self.ignore_filters:
            for name, value in params.multi_items():
                if name in self.ignored_filters:
                    continue  # a filter this field does not have: ignored, not refused (F-DOC §4)
                if name == "filters":
                    found = _MAG_FILTER.match(value)
                    if found is None:
                        raise _refuse(errors.invalid_filter(name))
                    mag = _predicate(found["field"], "eq", found["value"])
                    assert mag is not None
                    checks.append(mag)
                    continue
                matched = _FILTER.match(name)
                if matched is None:
                    continue
                deleted_filtered = deleted_filtered or matched["field"] == "deleted"
                if index is not None and matched["op"] == "eq" and candidates is None:
                    candidates = index(matched["field"], value)
                predicate = _predicate(matched["field"], matched["op"], value)
                if predicate is None:
                    raise _refuse(errors.invalid_filter(name))
                checks.append(predicate)
        selected = [
            row
            for row in (rows if candidates is None else candidates)
            if (deleted_filtered or not row.get("deleted")) and all(check(row) for check in checks)
        ]
        sort = params.get("sort") or "id"
        selected.sort(key=lambda row: _sort_key(_lookup(row, sort)), reverse=params.get("dir") == "DESC")
        start = max(_int(params.get("start")) or 0, 0)
        limit = min(max(_int(params.get("limit")) or 50, 1), _MAX_LIMIT)
        page = selected[start : start + limit]
        size = len(selected)
        if self.unknown_total_size and len(page) == limit:
            size = -1  # "at least limit results, probably more" (F-DOC §4)
        return Reply.json({"data": page, "totalSize": size, "sort": sort, "dir": params.get("dir") or "ASC"})
