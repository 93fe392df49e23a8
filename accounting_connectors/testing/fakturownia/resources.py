"""The Fakturownia fake's other resources (§3, §7, §11, §12, §16).

:class:`ResourceRoutes`: bank payments (the plural path), departments, products (a lone
``price_net`` on update is ignored), warehouses, clients and warehouse documents.
"""

from __future__ import annotations

from decimal import Decimal

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .rules import FakturowniaRules
from .state import _DEFAULT_PER_PAGE, _MAX_PER_PAGE, FakeAccount, _int, _number, _rails, _truthy


class ResourceRoutes(FakturowniaRules):
    """Payments, departments, products, warehouses, clients and warehouse documents."""

    # Payments (§11).

    @route("POST", "banking/payments.json")
    def create_payment(self, request: FakeRequest) -> Reply:
        """``POST /banking/payments.json`` ``{"banking_payment": {...}}``; ``invoice_ids`` settles in order."""
        account: FakeAccount = request.principal.account
        data = self._body(request).get("banking_payment")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"banking_payment": [texts.CANT_BE_BLANK]}), 422)
        price = _number(data.get("price"))
        if price is None or price <= 0:
            return Reply.json(texts.field_error({"price": [texts.NOT_A_NUMBER]}), 422)
        ids = [_int(i) for i in data.get("invoice_ids") or []] or [_int(data.get("invoice_id"))]
        targets = [
            d for i in ids for d in account.documents if d["id"] == i and i is not None and not d.get("_deleted")
        ]
        if ids != [None] and len(targets) != len([i for i in ids if i is not None]):
            return Reply.json(texts.field_error({"invoice_id": [texts.NO_SUCH_DOCUMENT]}), 422)
        if request.principal.read_only:
            return Reply.json({**data, "id": None}, 200)
        left = price
        if _truthy(data.get("paid", True)):
            for document in targets:
                due = Decimal(document["price_gross"]) - Decimal(document["paid"])
                share = left if document is targets[-1] else min(left, max(due, Decimal(0)))
                document["paid"] = _rails(Decimal(document["paid"]) + share)
                document["status"] = (
                    "paid" if Decimal(document["paid"]) >= Decimal(document["price_gross"]) else "partial"
                )
                left -= share
        paid_date = str(data.get("paid_date") or self._today().isoformat())
        payment = {
            "id": 5550001 + len(account.payments),
            "name": data.get("name") or "",
            "price": _rails(price),
            "invoice_id": targets[0]["id"] if targets else None,
            "invoice_ids": [d["id"] for d in targets],
            "paid": _truthy(data.get("paid", True)),
            "kind": data.get("kind") or "api",
            "paid_date": f"{paid_date}T00:00:00.000+01:00",  # a timestamp (FK-CLIENT 0.2.1)
            "currency": data.get("currency") or (targets[0]["currency"] if targets else "PLN"),
        }
        account.payments.append(payment)
        return Reply.json(payment, 201)

    @route("GET", "banking/payments.json")
    def list_payments(self, request: FakeRequest) -> Reply:
        """``GET /banking/payments.json`` (``include=invoices``)."""
        return Reply.json(request.principal.account.payments)

    @route("GET", "banking/payments/{id}.json")
    def get_payment(self, request: FakeRequest) -> Reply:
        """``GET /banking/payments/{id}.json``; the README's singular path is a 404 (§16)."""
        ident = _int(request.groups["id"])
        for payment in request.principal.account.payments:
            if payment["id"] == ident:
                return Reply.json(payment)
        return Reply.json(texts.NOT_FOUND, 404)

    # Departments, products, warehouses (§7, §12).

    @route("GET", "departments.json")
    def list_departments(self, request: FakeRequest) -> Reply:
        """``GET /departments.json``."""
        return Reply.json(request.principal.account.departments)

    @route("GET", "departments/{id}.json")
    def get_department(self, request: FakeRequest) -> Reply:
        """``GET /departments/{id}.json``."""
        ident = _int(request.groups["id"])
        found = next((d for d in request.principal.account.departments if d["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    @route("GET", "products.json")
    def list_products(self, request: FakeRequest) -> Reply:
        """``GET /products.json`` (``page``, ``per_page``; ``warehouse_id`` adds the stock)."""
        products = request.principal.account.products
        per_page = min(max(_int(request.params.get("per_page")) or _DEFAULT_PER_PAGE, 1), _MAX_PER_PAGE)
        page = 1 if self.ignore_page else max(_int(request.params.get("page")) or 1, 1)
        shown = [dict(p) for p in products[(page - 1) * per_page : page * per_page]]
        if "warehouse_id" not in request.params:
            for product in shown:
                product.pop("stock_level", None)
        return Reply.json(shown)

    @route("GET", "products/{id}.json")
    def get_product(self, request: FakeRequest) -> Reply:
        """``GET /products/{id}.json``."""
        ident = _int(request.groups["id"])
        found = next((p for p in request.principal.account.products if p["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    @route("PUT", "products/{id}.json")
    def update_product(self, request: FakeRequest) -> Reply:
        """``PUT /products/{id}.json``: a lone ``price_net`` is ignored; net and gross together change (§16, FK-MCP)."""
        ident = _int(request.groups["id"])
        product = next((p for p in request.principal.account.products if p["id"] == ident), None)
        if product is None:
            return Reply.json(texts.NOT_FOUND, 404)
        data = self._body(request).get("product")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"product": [texts.CANT_BE_BLANK]}), 422)
        if request.principal.read_only:
            return Reply.json(product)  # the fake's reading of §16: nothing changed
        changes = {k: v for k, v in data.items() if k not in ("id", "stock_level")}
        if "price_net" in changes and "price_gross" not in changes:
            del changes["price_net"]  # the net price is derived from gross + tax, never edited alone
        product.update(changes)
        return Reply.json(product)

    @route("GET", "warehouses.json")
    def list_warehouses(self, request: FakeRequest) -> Reply:
        """``GET /warehouses.json``."""
        return Reply.json(request.principal.account.warehouses)

    @route("GET", "warehouses/{id}.json")
    def get_warehouse(self, request: FakeRequest) -> Reply:
        """``GET /warehouses/{id}.json`` (carried-over §1.2)."""
        ident = _int(request.groups["id"])
        found = next((w for w in request.principal.account.warehouses if w["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    # Clients (§3, carried-over §1.2).

    @route("GET", "clients.json")
    def list_clients(self, request: FakeRequest) -> Reply:
        """``GET /clients.json`` with the filters ``name``, ``email``, ``shortcut``, ``tax_no``, ``external_id``."""
        rows = request.principal.account.clients
        for key in ("name", "email", "shortcut", "tax_no", "external_id"):
            if request.params.get(key):
                rows = [c for c in rows if str(c.get(key) or "") == request.params[key]]
        per_page = min(max(_int(request.params.get("per_page")) or _DEFAULT_PER_PAGE, 1), _MAX_PER_PAGE)
        page = 1 if self.ignore_page else max(_int(request.params.get("page")) or 1, 1)
        return Reply.json(rows[(page - 1) * per_page : page * per_page])

    @route("GET", "clients/{id}.json")
    def get_client(self, request: FakeRequest) -> Reply:
        """``GET /clients/{id}.json``."""
        ident = _int(request.groups["id"])
        found = next((c for c in request.principal.account.clients if c["id"] == ident), None)
        return Reply.json(found) if found is not None else Reply.json(texts.NOT_FOUND, 404)

    @route("POST", "clients.json")
    def create_client(self, request: FakeRequest) -> Reply:
        """``POST /clients.json`` ``{"client": {...}}``; ``name`` is needed (text not documented)."""
        account: FakeAccount = request.principal.account
        data = self._body(request).get("client")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"client": [texts.CANT_BE_BLANK]}), 422)
        if not str(data.get("name") or "").strip():
            return Reply.json(texts.field_error({"name": [texts.CANT_BE_BLANK]}), 422)
        client = {"id": None, **{k: v for k, v in data.items() if k != "id"}}
        if request.principal.read_only:
            return Reply.json(client, 200)  # as a read-only create of a document (§16)
        client["id"] = 9876 + len(account.clients)
        account.clients.append(client)
        return Reply.json(client, 201)

    @route("PUT", "clients/{id}.json")
    def update_client(self, request: FakeRequest) -> Reply:
        """``PUT /clients/{id}.json`` ``{"client": {...}}``."""
        ident = _int(request.groups["id"])
        client = next((c for c in request.principal.account.clients if c["id"] == ident), None)
        if client is None:
            return Reply.json(texts.NOT_FOUND, 404)
        data = self._body(request).get("client")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"client": [texts.CANT_BE_BLANK]}), 422)
        if not request.principal.read_only:
            client.update({k: v for k, v in data.items() if k != "id"})
        return Reply.json(client)

    @route("POST", "warehouse_documents.json")
    def create_warehouse_document(self, request: FakeRequest) -> Reply:
        """``POST /warehouse_documents.json`` (``wz`` out, ``pz`` in, ``mm`` transfer) moving stock (§12)."""
        account: FakeAccount = request.principal.account
        data = self._body(request).get("warehouse_document")
        if not isinstance(data, dict) or data.get("kind") not in ("wz", "pz", "mm"):
            return Reply.json(texts.field_error({"kind": [texts.INVALID]}), 422)
        actions = data.get("warehouse_actions")
        if not isinstance(actions, list) or not actions:
            return Reply.json(texts.field_error({"warehouse_actions": [texts.CANT_BE_BLANK]}), 422)
        if request.principal.read_only:
            return Reply.json({**data, "id": None}, 200)  # as a read-only create of a document (§16)
        sign = {"wz": -1, "pz": 1, "mm": 0}[data["kind"]]
        for action in actions:
            quantity = _number(action.get("quantity")) if isinstance(action, dict) else None
            if quantity is None:
                return Reply.json(texts.field_error({"warehouse_actions.quantity": [texts.NOT_A_NUMBER]}), 422)
            self._adjust(account, _int(action.get("product_id")), sign * quantity)
        record = {"id": 7770001 + len(account.warehouse_documents), **data, "invoice_ids": data.get("invoice_ids", [])}
        account.warehouse_documents.append(record)
        return Reply.json(record, 201)

    @route("PUT", "warehouse_documents/{id}.json")
    def update_warehouse_document(self, request: FakeRequest) -> Reply:
        """``PUT /warehouse_documents/{id}.json`` ``{"warehouse_document": {"invoice_ids": [...]}}``."""
        ident = _int(request.groups["id"])
        data = self._body(request).get("warehouse_document") or {}
        for record in request.principal.account.warehouse_documents:
            if record["id"] == ident and request.principal.read_only:
                return Reply.json(record)  # the fake's reading of §16: nothing changed
            if record["id"] == ident:
                record.update({k: v for k, v in data.items() if k != "id"})
                return Reply.json(record)
        return Reply.json(texts.NOT_FOUND, 404)
