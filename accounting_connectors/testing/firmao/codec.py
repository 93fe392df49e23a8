"""The fake Firmao's store and codec: its constants, organizations and wire helpers.

Built from the project's Firmao sheet (``firmao.md``), never from the connector.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs

from ..wire import FakeError, FakeRequest, Reply
from . import errors

_HOSTS = ("https://system.firmao.pl/", "https://system.firmao.net/")  # firmao.md §1; .net seen in F-PD
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_TYPES = frozenset({"INVOICE", "CORRECTION", "RECEIPT", "PROFORMA", "BILL", "ADVANCE_INVOICE"})
_NEXT_TYPES = {  # invoicenumbers/next dictionary (F-DOC §4o)
    "transaction": {"invoice", "receipt", "proforma", "correction", "bill", "invoicemargin", "advance_invoice"},
    "agreement": {"agreement"},
    "offer": {"offer", "order"},
    "storagedoc": {"outside_income", "outside_release", "inside_release", "inside_income", "warehouse_transfer"},
}
_PAYMENT_TYPES = frozenset({"CASH", "TRANSFER"})  # the only values F-DOC shows
_TEMPLATES = frozenset({"Faktura", "Faktura_korygujaca2", "Paragon", "Proforma"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILTER = re.compile(r"^(?P<field>[A-Za-z][\w.]*)\((?P<op>\w+)\)$")
_MAG_FILTER = re.compile(r'^\((?P<field>[A-Za-z][\w.]*)="(?P<value>.*)"\)$')
_MAX_LIMIT = 100  # licence-dependent (F-DOC §4); the fake's licence
_PATTERNS = {
    "invoice": "{n}/{m}/{yyyy}",
    "receipt": "{n}/{m}/{yyyy}/PAR",
    "correction": "{yyyy}/{mm}/{nnn}/KOR",
    "proforma": "{n}/{m}/{yyyy}/PRO",
    "bill": "{n}/{m}/{yyyy}/R",
    "invoicemargin": "{n}/{m}/{yyyy}/M",
    "advance_invoice": "{n}/{m}/{yyyy}/ZAL",
}


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _refuse(body: Mapping[str, Any], status: int = 400) -> FakeError:
    return FakeError(Reply.json(body, status))


@attrs.define
class Organization:
    """One Firmao organization held by the fake.

    Attributes:
        id: the organization identifier of the URLs.
        users: API login -> password.
        stock_from_invoices: sale transactions with ``storageStateUpdate: AUTO_UPDATE`` move
            stock (an organisation setting, firmao.md §12).
        direct_stock_modification: "Bezpośrednia modyfikacja stanów magazynowych" (F-DOC §3c).
    """

    id: str
    users: dict[str, str]
    stock_from_invoices: bool = True
    direct_stock_modification: bool = False
    customers: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    products: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    transactions: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    entries: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    storagedocs: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    others: dict[str, dict[int, dict[str, Any]]] = attrs.field(factory=dict)
    """Objects the invoicing connector does not use, by path: ``tasks``, ``offers``, ``agreements``,
    ``users`` (what F-PD creates and lists)."""
    lines: list[dict[str, Any]] = attrs.field(factory=list)
    sale_numbers: dict[str, int] = attrs.field(factory=dict)
    counters: dict[tuple[int, str, str], int] = attrs.field(factory=dict)
    sent_totals: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    next_id: int = 50000
    # Indexes, so a lookup costs the same however many objects the organization holds.
    by_number: dict[str, list[int]] = attrs.field(factory=dict)
    entries_by_transaction: dict[int, list[int]] = attrs.field(factory=dict)
    customers_by_name: dict[str, list[int]] = attrs.field(factory=dict)
    customers_by_nip: dict[str, list[int]] = attrs.field(factory=dict)
    products_by_code: dict[str, list[int]] = attrs.field(factory=dict)

    def new_id(self) -> int:
        """The next object id (Firmao's ids in F-DOC's examples are 5xxxx)."""
        self.next_id += 1
        return self.next_id

    def add_customer(self, customer: dict[str, Any]) -> None:
        """Store a customer and index it by name and NIP digits."""
        self.customers[customer["id"]] = customer
        self.customers_by_name.setdefault(str(customer.get("name")), []).append(customer["id"])
        digits = _digits(customer.get("nipNumber"))
        if digits:
            self.customers_by_nip.setdefault(digits, []).append(customer["id"])

    def reindex_customers(self) -> None:
        """Rebuild the customer indexes (after an edit of a name or NIP)."""
        self.customers_by_name.clear()
        self.customers_by_nip.clear()
        for customer in list(self.customers.values()):
            self.add_customer(customer)

    def add_product(self, product: dict[str, Any]) -> None:
        """Store a product and index it by code."""
        self.products[product["id"]] = product
        self.products_by_code.setdefault(str(product.get("productCode")), []).append(product["id"])

    def reindex_products(self) -> None:
        """Rebuild the product index (after an edit of a code)."""
        self.products_by_code.clear()
        for product in list(self.products.values()):
            self.add_product(product)

    def add_entry(self, entry: dict[str, Any]) -> None:
        """Store an entry and index it by its transaction."""
        self.entries[entry["id"]] = entry
        owner = _nested_id(entry.get("transaction"))
        if owner is not None:
            self.entries_by_transaction.setdefault(owner, []).append(entry["id"])

    def remove_entry(self, identifier: int) -> dict[str, Any] | None:
        """Hard-delete an entry."""
        entry = self.entries.pop(identifier, None)
        owner = None if entry is None else _nested_id(entry.get("transaction"))
        if owner is not None:
            self.entries_by_transaction[owner].remove(identifier)
        return entry


# Module helpers: the fake's own codec.


def _json_object(request: FakeRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise _refuse(errors.invalid_json()) from None
    if not isinstance(body, dict):
        raise _refuse(errors.invalid_json())
    return body


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", "" if value is None else str(value))


def _unflatten(body: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys (``customerAddress.city``) as nested objects; nested objects kept (F-DOC §2)."""
    result: dict[str, Any] = {}
    for key, value in body.items():
        _assign(result, key, _unflatten(value) if isinstance(value, dict) else value)
    return result


def _assign(target: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        inner = target.get(part)
        if not isinstance(inner, dict):
            inner = target[part] = {}
        target = inner
    target[parts[-1]] = value


def _lookup(row: Mapping[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    if isinstance(value, Mapping) and "id" in value and path.count(".") == 0:
        return value["id"]  # a reference filters by its id: customer(eq)=50
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _predicate(field: str, op: str, wanted: str) -> Callable[[Mapping[str, Any]], bool] | None:
    """The rows a filter keeps (F-DOC §4 operators); ``None`` for an unknown operator."""

    def compare(row: Mapping[str, Any], test: Callable[[Decimal, Decimal], bool]) -> bool:
        try:
            return test(Decimal(_text(_lookup(row, field))), Decimal(wanted))
        except InvalidOperation:
            return test_text(_text(_lookup(row, field)), wanted, test)

    def test_text(have: str, want: str, test: Callable[[Any, Any], bool]) -> bool:
        return bool(test(have, want))

    values = wanted.split(";")
    table: dict[str, Callable[[Mapping[str, Any]], bool]] = {
        "eq": lambda row: _text(_lookup(row, field)) == wanted,
        "ne": lambda row: _text(_lookup(row, field)) != wanted,
        "contains": lambda row: wanted.casefold() in _text(_lookup(row, field)).casefold(),
        "notContains": lambda row: wanted.casefold() not in _text(_lookup(row, field)).casefold(),
        "in": lambda row: _text(_lookup(row, field)) in values,
        "notin": lambda row: _text(_lookup(row, field)) not in values,
        "gt": lambda row: compare(row, lambda a, b: a > b),
        "ngt": lambda row: compare(row, lambda a, b: not a > b),
        "ge": lambda row: compare(row, lambda a, b: a >= b),
        "nge": lambda row: compare(row, lambda a, b: not a >= b),
        "lt": lambda row: compare(row, lambda a, b: a < b),
        "nlt": lambda row: compare(row, lambda a, b: not a < b),
        "le": lambda row: compare(row, lambda a, b: a <= b),
        "nle": lambda row: compare(row, lambda a, b: not a <= b),
    }
    return table.get(op)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return (0, value)
    return (1, _text(value))


def _required(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None or value == "":
        raise _refuse(errors.field_required(field))
    if not isinstance(value, str):
        raise _refuse(errors.invalid_value(field, value))
    return value


def _date(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise _refuse(errors.invalid_value(field, value))
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise _refuse(errors.invalid_value(field, value)) from None
    return value


def _number(body: Mapping[str, Any], field: str, default: Decimal | None, where: str | None = None) -> Decimal:
    """A number sent as a JSON number or a decimal string (F-DOC writes both)."""
    value = body.get(field)
    if value is None:
        if default is None:
            raise _refuse(errors.field_required(where or field))
        return default
    if isinstance(value, bool):
        raise _refuse(errors.invalid_value(where or field, value))
    try:
        number = Decimal(value) if isinstance(value, (str, int, Decimal)) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _refuse(errors.invalid_value(where or field, value))
    return number


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _nested(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    identifier = _int(value)
    return None if identifier is None else {"id": identifier}


def _nested_id(value: Any) -> int | None:
    return _int(value.get("id")) if isinstance(value, dict) else _int(value)


def _product_ref(org: Organization, product: Any) -> dict[str, Any] | None:
    identifier = _int(product) if not isinstance(product, str) else None
    found = org.products.get(identifier) if identifier is not None else None
    return None if found is None else {"id": found["id"], "name": found.get("name")}


def _status(paid: Decimal, gross: Decimal) -> str:
    if gross > 0 and paid >= gross:
        return "PAID"
    return "PARTIALLY_PAID" if paid > 0 else "NOT_PAID"


def _default_template(kind: str) -> str:
    return {"CORRECTION": "Faktura_korygujaca2", "RECEIPT": "Paragon"}.get(kind, "Faktura")


def _log(
    modification: str,
    object_class: str,
    object_id: int,
    label: str,
    prop: str = "",
    old: Any = None,
    new: Any = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "deletedWith": "",
        "modification": modification,
        "newValueIsDictionary": False,
        "objectClass": object_class,
        "objectId": object_id,
        "objectLabel": label,
        "oldValueIsDictionary": False,
        "property": prop,
    }
    if prop:
        entry.update({"oldValueDisplay": _text(old), "newValueDisplay": _text(new)})
    return entry
