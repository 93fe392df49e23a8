"""A fake Firmao.pl, built from the project's Firmao sheet (``firmao.md``), not from the connector.

One fake serves several organizations (``https://system.firmao.pl/{organizationId}/svc/v1/``),
each with its API users (HTTP Basic), customers, products, numbering lines and
transactions. The base pipeline matches ``base_urls`` by host root, so the organization is
the first segment of every route pattern (``{org}/svc/v1/transactions``); fault paths are
written the same way: ``fake.inject(Fault.SERVER_ERROR, "demo/svc/v1/transactions")``.

What it does, per the sheet:

* 201 answers with a change log; a transaction's log lists a created customer *first*,
  then the transaction, a commission record and the customer's ``transactionsCount`` change.
* Dotted keys (``customerAddress.city``) and nested objects are both accepted in a POST;
  a PUT with a nested object is refused, and a PUT with several fields applies only the
  first (F-DOC: "mostly tested for one field per request").
* Sale transaction numbers are unique per organization (400 ``transactionNumberAlreadyExists``
  with ``suggestedNumber``); ``invoicenumbers/next`` proposes the next free number of a line.
* Totals sent by the client are kept in ``detail`` but the fake books its own, per entry
  (net = quantity x unit net, VAT = net x rate, each rounded half-up): F-DOC's own
  example sends totals that disagree with its entries, so the live service cannot be
  refusing them. A non-null ``discount`` is read as a percentage (the sheet's §4 reading).
* Limits: 1 request per second per organization (the safest reading of F-MAG); a faster
  call gets an empty HTTP 429.
* ``createCustomerIfNeeded`` attaches the customer with the same name, as F-DOC says.
* Filters ``field(op)=value`` (and F-MAG's ``filters=(field="value")``); ``ignore_filters``
  makes the fake ignore them, as the live service may for a field that has no filter.
* The peer clients' requests pass: F-DOC's examples, F-MAG's storage documents and
  entries, F-PD's customers, tasks, offers and users (on ``system.firmao.net``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

import attrs

from ...clock import Clock
from ..base import FakeProvider
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit
from ..wire import FakeError, FakeRequest, Reply
from . import errors

__all__ = ["DEMO_LOGIN", "DEMO_ORGANIZATION", "DEMO_PASSWORD", "FirmaoFake", "Organization"]

DEMO_ORGANIZATION = "demo"
DEMO_LOGIN = "api@demo.firmao.pl"
DEMO_PASSWORD = "demo-password"

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


class FirmaoFake(FakeProvider):
    """Firmao.pl's REST API over several organizations; see the module docstring.

    Args:
        organizations: organization id -> ``(login, password)`` of its API user; by default
            the demo organization (:data:`DEMO_ORGANIZATION`, :data:`DEMO_LOGIN`, :data:`DEMO_PASSWORD`).
        next_answer: how ``invoicenumbers/next`` answers (UNCERTAIN 9): ``"string"`` (a JSON
            string) or ``"object"`` (``{"number": ...}``).
        clock: the fake's time (give the client the same one).
        keep_log: keep every request in :attr:`requests`.
    """

    provider = "firmao"
    base_urls = _HOSTS
    limits = (FakeLimit(1, 1.0, name="1 request per second"),)
    demo_settings: ClassVar[Mapping[str, Any]] = {
        "organization_id": DEMO_ORGANIZATION,
        "login": DEMO_LOGIN,
        "password": DEMO_PASSWORD,
    }

    def __init__(
        self,
        organizations: Mapping[str, tuple[str, str]] | None = None,
        *,
        next_answer: str = "string",
        clock: Clock | None = None,
        keep_log: bool = True,
    ) -> None:
        super().__init__(clock=clock, keep_log=keep_log)
        if next_answer not in ("string", "object"):
            raise ValueError("next_answer is 'string' or 'object'")
        self.next_answer = next_answer
        self.organizations: dict[str, Organization] = {}
        """The organizations, by id."""
        self.ignore_filters = False
        """Answer lists unfiltered, as the live service may for a field without that filter."""
        self._omit_create = 0
        self._fail_after_commit: list[int] = []
        self._order: list[tuple[str, int]] = []
        for org, (login, password) in (organizations or {DEMO_ORGANIZATION: (DEMO_LOGIN, DEMO_PASSWORD)}).items():
            self.add_organization(org, login, password)

    # Setting the fake up.

    def add_organization(self, organization_id: str, login: str, password: str) -> Organization:
        """A new organization with one API user, one numbering line, a customer and two products."""
        with self._lock:
            org = Organization(id=organization_id, users={login: password})
            org.lines.append({"id": 1, "name": "Domyślna", "default": True, "patterns": dict(_PATTERNS)})
            org.add_customer({
                "id": 50, "name": "Internet Center", "label": "Internet Center", "nipNumber": "1060000062",
                "customerType": "PARTNER", "ownership": "PRIVATE", "emails": [], "phones": [], "deleted": False,
                "officeAddress": {"street": "Piotrkowska 147/8", "postCode": "91-477", "city": "Łódź",
                                  "country": "Polska"},
                "transactionsCount": 9,
            })  # fmt: skip
            for identifier, code, name in ((51, "ST0002", "De PC Pentium"), (52, "SKU-1", "Produkt SKU-1")):
                org.add_product({
                    "id": identifier, "productCode": code, "name": name, "unit": "szt.", "vat": Decimal("23.00"),
                    "netPrice": Decimal("100.00"), "currentStoreState": Decimal(100), "saleable": True,
                    "deleted": False,
                })  # fmt: skip
            org.others = {"tasks": {}, "offers": {}, "agreements": {}, "users": {}}
            org.others["users"][1] = {"id": 1, "label": "Jacob Smith", "firstName": "Jacob", "lastName": "Smith"}
            self.organizations[organization_id] = org
            return org

    def add_user(self, organization_id: str, login: str, password: str) -> None:
        """Another API login of an organization (or a new password for an existing one: rotation)."""
        with self._lock:
            self.organizations[organization_id].users[login] = password

    def omit_create_entry(self, times: int = 1) -> None:
        """The next ``times`` transaction creates commit but answer a change log without their CREATE entry."""
        with self._lock:
            self._omit_create += times

    def fail_after_commit(self, times: int = 1, status: int = 500) -> None:
        """The next ``times`` transaction creates commit and then answer HTTP ``status`` (empty body)."""
        with self._lock:
            self._fail_after_commit.extend([status] * times)

    # The pipeline's hooks.

    def authenticate(self, request: FakeRequest) -> Organization:
        """HTTP Basic against the organization named by the first path segment (F-DOC §1)."""
        org_id, _, rest = request.path.partition("/")
        org = self.organizations.get(org_id)
        if org is None or not rest.startswith("svc/v1/"):
            raise FakeError(Reply.empty(404))
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            login, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            login, password = "", ""
        if scheme.lower() != "basic" or org.users.get(login) != password or not login:
            raise FakeError(Reply.empty(401, {"WWW-Authenticate": 'Basic realm="firmao"'}))
        return org

    def limit_key(self, request: FakeRequest) -> str:
        """Counted per organization (the safest reading: the undocumented limit is the service's)."""
        return request.path.partition("/")[0]

    def rate_limited(self, request: FakeRequest, verdict: Any) -> Reply:
        """An empty 429, as F-MAG describes it (no body, no Retry-After)."""
        return Reply.empty(429)

    def not_found(self, request: FakeRequest) -> Reply:
        """404 without a body."""
        return Reply.empty(404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """405 without a body."""
        return Reply.empty(405, {"Allow": ", ".join(allowed)})

    def server_error(self, request: FakeRequest) -> Reply:
        """500 without a body (none documented); nothing is stored."""
        return Reply.empty(500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """F-DOC documents no errors under 2xx; the nearest is an empty change log, and nothing is stored."""
        return Reply.json({"changelog": []}, 200)

    # Documents.

    def stored(self) -> list[StoredDocument]:
        """Every transaction of every organization, in the order created."""
        documents = []
        for org_id, identifier in self._order:
            row = self.organizations[org_id].transactions[identifier]
            documents.append(
                StoredDocument(
                    provider="firmao",
                    account=org_id,
                    kind=str(row["type"]).lower(),
                    number=str(row["transactionNumber"]),
                    id=str(identifier),
                    issue_date=row["invoiceDate"],
                    currency=row["currency"],
                    total=row["transactionBruttoPrice"],
                    paid=row["paidValue"],
                    reference=None,
                    cancelled=bool(row.get("deleted")),
                    corrects=row.get("connectedDocNumber"),
                    body=self.organizations[org_id].sent_totals.get(identifier, {}).get("body"),
                    detail=row,
                )
            )
        return documents

    # Transactions.

    @route("POST", "{org}/svc/v1/transactions")
    def create_transaction(self, request: FakeRequest) -> Reply:
        """``POST transactions``: an invoice, receipt, correction or other transaction."""
        org: Organization = request.principal
        raw = _json_object(request)
        body = _unflatten(raw)
        kind = _required(body, "type")
        if kind not in _TYPES:
            raise _refuse(errors.invalid_value("type", kind))
        mode = _required(body, "mode")
        if mode not in ("SALE", "PURCHASE"):
            raise _refuse(errors.invalid_value("mode", mode))
        dates = {key: _date(body, key) for key in ("invoiceDate", "transactionDate", "paymentDate")}
        if dates["invoiceDate"] is None:
            raise _refuse(errors.field_required("invoiceDate"))
        for key in ("connectedDocDate", "invoiceReceptionDate", "exchangeRateDate"):
            _date(body, key)
        payment_type = body.get("paymentType", "CASH")
        if payment_type not in _PAYMENT_TYPES:
            raise _refuse(errors.invalid_value("paymentType", payment_type))
        currency = body.get("currency", "PLN")
        if not isinstance(currency, str) or not re.match(r"^[A-Z]{3}$", currency):
            raise _refuse(errors.invalid_value("currency", currency))
        custom = body.get("customFields")
        if custom is not None and (
            not isinstance(custom, dict) or not all(isinstance(value, str) for value in custom.values())
        ):
            raise _refuse(errors.invalid_value("customFields", custom))
        entries = body.get("transactionEntries")
        if not isinstance(entries, list) or not entries or not all(isinstance(item, dict) for item in entries):
            raise _refuse(errors.field_required("transactionEntries"))
        priced = [self._price(org, entry, index) for index, entry in enumerate(entries)]
        original: dict[str, Any] | None = None
        if kind == "CORRECTION":
            original = self._correction_original(org, body, entries)
        customer, new_customer = self._customer_for(org, body)
        number = body.get("transactionNumber")
        if number is None or number == "":
            number = self._next_number(org, 1, kind.lower(), mode)
        if not isinstance(number, str):
            raise _refuse(errors.invalid_value("transactionNumber", number))
        if mode == "SALE" and number in org.sale_numbers:
            raise _refuse(errors.number_exists(self._next_number(org, 1, kind.lower(), mode)))
        # Booked amounts: the fake's own arithmetic, per entry.
        if kind == "CORRECTION":
            before = [amounts for entry, amounts in zip(entries, priced, strict=True) if "invalidRecordId" not in entry]
            after = [amounts for entry, amounts in zip(entries, priced, strict=True) if "invalidRecordId" in entry]
            net = sum((a[0] for a in after), Decimal("0.00")) - sum((a[0] for a in before), Decimal("0.00"))
            vat = sum((a[1] for a in after), Decimal("0.00")) - sum((a[1] for a in before), Decimal("0.00"))
        else:
            net = sum((a[0] for a in priced), Decimal("0.00"))
            vat = sum((a[1] for a in priced), Decimal("0.00"))
        gross = net + vat
        paid_value = _number(body, "paidValue", Decimal(0))
        if body.get("paid") is True and "paidValue" not in body:
            paid_value = gross
        # Everything is checked: commit.
        if new_customer is not None:
            customer = new_customer
            org.add_customer(customer)
        identifier = org.new_id()
        customer["transactionsCount"] = int(customer.get("transactionsCount", 0)) + 1
        given = body.get("customerAddress")
        address: dict[str, Any] = given if isinstance(given, dict) else {}
        row: dict[str, Any] = {
            "id": identifier,
            "type": kind,
            "mode": mode,
            "transactionNumber": number,
            "documentNumber": number,
            "invoiceDate": dates["invoiceDate"],
            "transactionDate": dates["transactionDate"] or dates["invoiceDate"],
            "paymentDate": dates["paymentDate"] or dates["invoiceDate"],
            "paymentType": payment_type,
            "currency": currency,
            "customer": {"id": customer["id"], "label": customer["name"]},
            "customerName": customer["name"],
            "nipNumber": body.get("nipNumber", customer.get("nipNumber")),
            "customerAddress": {key: address.get(key) for key in ("street", "postCode", "city", "country")},
            "invoiceAnnotations": body.get("invoiceAnnotations"),
            "issuingPerson": body.get("issuingPerson", "API"),
            "customFields": custom,
            "transactionNettoPrice": net,
            "transactionVatPrice": vat,
            "transactionBruttoPrice": gross,
            "paidValue": paid_value,
            "restOfPaidValue": gross - paid_value,
            "paid": gross > 0 and paid_value >= gross,
            "paymentStatus": _status(paid_value, gross),
            "storageStateUpdate": body.get("storageStateUpdate", "NO_UPDATE"),
            "warehouse": _nested(body.get("warehouse")),
            "connectedDocNumber": body.get("connectedDocNumber"),
            "connectedDocDate": body.get("connectedDocDate"),
            "correctionCause": body.get("correctionCause"),
            "lastSelectedInvoiceReport": body.get("lastSelectedInvoiceReport", _default_template(kind)),
            "exchangeRate": body.get("exchangeRate"),
            "deleted": False,
            "creationDate": dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        org.transactions[identifier] = row
        org.by_number.setdefault(number, []).append(identifier)
        sent = ("transactionNettoPrice", "transactionVatPrice", "transactionBruttoPrice")
        org.sent_totals[identifier] = {"body": raw, "sent": {key: raw.get(key) for key in sent}}
        if mode == "SALE":
            org.sale_numbers[number] = identifier
        self._order.append((org.id, identifier))
        for entry, amounts in zip(entries, priced, strict=True):
            self._store_entry(org, row, entry, amounts)
        if row["storageStateUpdate"] == "AUTO_UPDATE" and org.stock_from_invoices and kind in ("INVOICE", "RECEIPT"):
            for entry in entries:
                linked = None if isinstance(entry.get("product"), str) else _int(entry.get("product"))
                product = None if linked is None else org.products.get(linked)
                if product is not None:
                    product["currentStoreState"] -= _number(entry, "quantity", Decimal(0))
        log = []
        if new_customer is not None:
            log.append(_log("CREATE", "customer", customer["id"], customer["name"]))
        if self._omit_create:
            self._omit_create -= 1
        else:
            log.append(_log("CREATE", "transaction", identifier, f"{number} - {customer['name']}"))
        log.append(_log("CREATE", "commisionuser", org.new_id(), ""))
        log.append(
            _log("CHANGE", "customer", customer["id"], customer["name"], "transactionsCount",
                 customer["transactionsCount"] - 1, customer["transactionsCount"])
        )  # fmt: skip
        del original
        if self._fail_after_commit:
            return Reply.empty(self._fail_after_commit.pop(0))
        return Reply.json({"changelog": log, "showCustomVatWarning": "true"}, 201)

    @route("GET", "{org}/svc/v1/transactions")
    def list_transactions(self, request: FakeRequest) -> Reply:
        """``GET transactions`` with filters and paging."""
        org: Organization = request.principal

        def index(field: str, value: str) -> list[dict[str, Any]] | None:
            if field == "id":
                found = org.transactions.get(_int(value) or -1)
                return [] if found is None else [found]
            if field == "transactionNumber":
                return [org.transactions[identifier] for identifier in org.by_number.get(value, [])]
            return None

        return self._list(request, org.transactions.values(), index)

    @route("PUT", "{org}/svc/v1/transactions/{id}")
    def edit_transaction(self, request: FakeRequest) -> Reply:
        """``PUT transactions/{id}``: one field applied (F-DOC's warning), nested objects refused."""
        org: Organization = request.principal
        row = org.transactions.get(_int(request.groups["id"]) or -1)
        if row is None:
            raise FakeError(Reply.empty(404))
        key, value = self._single_change(request)
        old = row.get(key)
        gross: Decimal = row["transactionBruttoPrice"]
        if key == "paid":
            if not isinstance(value, bool):
                raise _refuse(errors.invalid_value("paid", value))
            row["paidValue"] = gross if value else Decimal(0)
        elif key == "paidValue":
            if not isinstance(value, Decimal) or value < 0:
                raise _refuse(errors.invalid_value("paidValue", value))
            row["paidValue"] = value
        elif key == "deleted":
            if not isinstance(value, bool):
                raise _refuse(errors.invalid_value("deleted", value))
            row["deleted"] = value
            if row["mode"] == "SALE":
                if value:
                    org.sale_numbers.pop(row["transactionNumber"], None)
                else:
                    org.sale_numbers[row["transactionNumber"]] = row["id"]
        elif key in ("id", "type", "mode", "transactionNumber", "permissions"):
            raise _refuse(errors.invalid_value(key, value))
        else:
            _assign(row, key, value)
        if key in ("paid", "paidValue"):
            row["restOfPaidValue"] = gross - row["paidValue"]
            row["paid"] = gross > 0 and row["paidValue"] >= gross
            row["paymentStatus"] = _status(row["paidValue"], gross)
        label = f"{row['transactionNumber']} - {row['customerName']}"
        return Reply.json({"changelog": [_log("CHANGE", "transaction", row["id"], label, key, old, row.get(key))]})

    # Entries.

    @route("GET", "{org}/svc/v1/transactionentries")
    def list_entries(self, request: FakeRequest) -> Reply:
        """``GET transactionentries?transaction(eq)={id}``."""
        org: Organization = request.principal

        def index(field: str, value: str) -> list[dict[str, Any]] | None:
            if field == "transaction":
                return [org.entries[entry] for entry in org.entries_by_transaction.get(_int(value) or -1, [])]
            return None

        return self._list(request, org.entries.values(), index)

    @route("POST", "{org}/svc/v1/transactionentries")
    def create_entry(self, request: FakeRequest) -> Reply:
        """``POST transactionentries`` (F-MAG: an entry of a storage document)."""
        org: Organization = request.principal
        body = _unflatten(_json_object(request))
        amounts = self._price(org, body, 0)
        owner = _nested(body.get("storageDoc")) or _nested(body.get("transaction"))
        if owner is None:
            raise _refuse(errors.field_required("storageDoc"))
        identifier = _int(owner.get("id"))
        if "storageDoc" in body and identifier not in org.storagedocs:
            raise _refuse(errors.entity_not_found("storageDoc", owner.get("id"), "storagedoc"))
        if "storageDoc" not in body and identifier not in org.transactions:
            raise _refuse(errors.entity_not_found("transaction", owner.get("id"), "transaction"))
        entry_id = org.new_id()
        org.add_entry({
            "id": entry_id, "storageDoc": _nested(body.get("storageDoc")),
            "transaction": _nested(body.get("transaction")),
            "mode": body.get("mode", "SALE"), "product": _product_ref(org, body.get("product")),
            "productCode": body.get("productCode"), "quantity": _number(body, "quantity", Decimal(1)),
            "unit": body.get("unit"), "unitNettoPrice": _number(body, "unitNettoPrice", Decimal(0)),
            "vatPercent": _number(body, "vatPercent", Decimal(0)), "nettoPrice": amounts[0], "vatPrice": amounts[1],
            "bruttoPrice": amounts[0] + amounts[1], "type": "ACTUAL",
        })  # fmt: skip
        return Reply.json({"changelog": [_log("CREATE", "transactionentry", entry_id, "")]}, 201)

    @route("DELETE", "{org}/svc/v1/transactionentries/{id}")
    def delete_entry(self, request: FakeRequest) -> Reply:
        """Entries are hard-deleted with DELETE (F-DOC §5)."""
        org: Organization = request.principal
        entry = org.remove_entry(_int(request.groups["id"]) or -1)
        if entry is None:
            raise FakeError(Reply.empty(404))
        return Reply.json({"changelog": [_log("DELETE", "transactionentry", entry["id"], "")]})

    # PDF.

    @route("GET", "{org}/svc/v1/reports/invoices/transaction/{template}/{file}")
    def transaction_pdf(self, request: FakeRequest) -> Reply:
        """``GET reports/invoices/transaction/{template}/{fileName}.pdf?original=true&id=`` (F-DOC §7)."""
        org: Organization = request.principal
        template, file = request.groups["template"], request.groups["file"]
        row = org.transactions.get(_int(request.params.get("id")) or -1)
        if not file.endswith(".pdf") or template not in _TEMPLATES or row is None or row.get("deleted"):
            raise FakeError(Reply.empty(404))
        title = {"CORRECTION": "Faktura korygujaca", "RECEIPT": "Paragon"}.get(row["type"], "Faktura VAT")
        text = (
            f"{title} {row['transactionNumber']}\nSzablon: {template}\nNabywca: {row['customerName']}\n"
            f"Brutto: {row['transactionBruttoPrice']} {row['currency']}"
        )
        return Reply.pdf(make_pdf(text), file)

    # Numbering.

    @route("GET", "{org}/svc/v1/invoicenumbers")
    def numbering_lines(self, request: FakeRequest) -> Reply:
        """``GET invoicenumbers?dataFormat=MEDIUM``: the numbering lines and their patterns."""
        org: Organization = request.principal
        return Reply.json({"data": org.lines, "totalSize": len(org.lines), "sort": "id", "dir": "ASC"})

    @route("GET", "{org}/svc/v1/invoicenumbers/next")
    def next_number(self, request: FakeRequest) -> Reply:
        """``GET invoicenumbers/next?objectClass=&type=&mode=&id=``: the next free number (F-DOC §4o)."""
        org: Organization = request.principal
        params = request.params
        for name in ("objectClass", "type", "mode", "id"):
            if not params.get(name):
                raise _refuse(errors.field_required(name))
        object_class, kind, mode = params["objectClass"], params["type"], params["mode"]
        if kind not in _NEXT_TYPES.get(object_class, set()):
            raise _refuse(errors.invalid_value("type", kind))
        if mode not in ("SALE", "PURCHASE"):
            raise _refuse(errors.invalid_value("mode", mode))
        line = _int(params["id"])
        if not any(item["id"] == line for item in org.lines):
            raise _refuse(errors.entity_not_found("id", params["id"], "invoicenumber"))
        assert line is not None
        number = self._next_number(org, line, kind, mode)
        return Reply.json(number if self.next_answer == "string" else {"number": number})

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

    @route("GET", "{org}/svc/v1/{collection}")
    def list_others(self, request: FakeRequest) -> Reply:
        """``GET tasks``, ``offers``, ``agreements``, ``users`` (F-PD lists them)."""
        org: Organization = request.principal
        rows = org.others.get(request.groups["collection"])
        if rows is None:
            raise FakeError(Reply.empty(404))
        return self._list(request, rows.values())

    @route("POST", "{org}/svc/v1/{collection}")
    def create_other(self, request: FakeRequest) -> Reply:
        """``POST tasks`` (F-DOC §2b, F-PD), ``offers`` and ``agreements`` (F-DOC §2f, F-PD)."""
        org: Organization = request.principal
        collection = request.groups["collection"]
        if collection not in ("tasks", "offers", "agreements"):
            raise FakeError(Reply.empty(404) if collection not in org.others else Reply.empty(405))
        body = _unflatten(_json_object(request))
        label = str(body.get("name") or body.get("number") or "")
        if collection == "tasks":
            label = _required(body, "name")
        else:
            kind = _required(body, "type")
            if kind not in ("OFFER", "ORDER", "AGREEMENT"):
                raise _refuse(errors.invalid_value("type", kind))
            customer = body.get("customer")
            if customer is not None and _nested_id(customer) not in org.customers:
                raise _refuse(errors.entity_not_found("customer", customer, "customer"))
        identifier = org.new_id()
        org.others[collection][identifier] = {**body, "id": identifier, "deleted": False}
        object_class = {"tasks": "task", "offers": "offer", "agreements": "agreement"}[collection]
        return Reply.json({"changelog": [_log("CREATE", object_class, identifier, label)]}, 201)

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
        return Reply.json({"data": page, "totalSize": len(selected), "sort": sort, "dir": params.get("dir") or "ASC"})


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
