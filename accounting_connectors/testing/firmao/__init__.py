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
  (all of them) or ``ignored_filters`` (the named parameters)
  makes the fake ignore them, as the live service may for a field that has no filter.
* The peer clients' requests pass: F-DOC's examples, F-MAG's storage documents and
  entries, F-PD's customers, tasks, offers and users (on ``system.firmao.net``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from ...clock import Clock
from ..documents import StoredDocument
from ..pdf import make_pdf
from ..routes import route
from ..throttle import FakeLimit
from ..wire import FakeError, FakeRequest, Reply
from . import errors
from .codec import (
    _HOSTS,
    _NEXT_TYPES,
    _PATTERNS,
    _PAYMENT_TYPES,
    _TEMPLATES,
    _TYPES,
    Organization,
    _assign,
    _date,
    _default_template,
    _int,
    _json_object,
    _log,
    _money,
    _nested,
    _nested_id,
    _number,
    _product_ref,
    _refuse,
    _required,
    _status,
    _unflatten,
)
from .objects import FirmaoObjects

__all__ = ["DEMO_LOGIN", "DEMO_ORGANIZATION", "DEMO_PASSWORD", "FirmaoFake", "Organization"]

DEMO_ORGANIZATION = "demo"
DEMO_LOGIN = "api@demo.firmao.pl"
DEMO_PASSWORD = "demo-password"


class FirmaoFake(FirmaoObjects):
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
        self.ignored_filters: set[str] = set()
        """Filter parameters (``productCode(eq)``, ``filters``) ignored as if the field had no such
        filter, while the others still apply (F-DOC: not every field supports every operator)."""
        self.unknown_total_size = False
        """Answer a full page with ``totalSize: -1``, as F-DOC says Firmao does "in some cases"."""
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

    @route("PUT", "{org}/svc/v1/transactionentries/{id}")
    def edit_entry(self, request: FakeRequest) -> Reply:
        """``PUT transactionentries/{id}`` (firmao.md §3; F-MAG's ``updateTransactionEntry``): one field."""
        org: Organization = request.principal
        entry = org.entries.get(_int(request.groups["id"]) or -1)
        if entry is None:
            raise FakeError(Reply.empty(404))
        key, value = self._single_change(request)
        if key in ("id", "transaction", "storageDoc", "permissions"):
            raise _refuse(errors.invalid_value(key, value))
        if key in ("quantity", "unitNettoPrice", "vatPercent"):
            value = _number({key: value}, key, None)
        old = entry.get(key)
        _assign(entry, key, value)
        net = _money(entry["quantity"] * entry["unitNettoPrice"])
        vat = _money(net * entry["vatPercent"] / 100)
        entry.update({"nettoPrice": net, "vatPrice": vat, "bruttoPrice": net + vat})
        return Reply.json({"changelog": [_log("CHANGE", "transactionentry", entry["id"], "", key, old, value)]})

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

    # Objects the invoicing connector does not use; routed last, after every named collection.

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
