"""The wFirma fake's payment routes: ``payments/add`` against an invoice and ``payments/find`` (§11)."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

from ..routes import route
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .rules import _DATE, _add, _attach, _day, _decimal, _money, _text
from .state import WFirmaState

__all__ = ["PaymentRoutes"]


class PaymentRoutes(WFirmaState):
    """The ``payments`` module of the wFirma fake."""

    # Payments.

    @route("POST", "payments/add")
    def add_payment(self, request: FakeRequest) -> Reply:
        """A payment against an invoice (§11)."""
        company, body = self._begin(request)
        record = body.find("payments/payment")
        if record is None:
            raise self._refuse(request, texts.INPUT_ERROR, "brak gałęzi payments > payment")
        errors: list[tuple[str, str]] = []
        if _text(record, "object_name") not in ("invoice", "expense"):
            errors.append(("object_name", texts.BAD_VALUE))
        document = company.documents.get(_text(record, "object_id") or "")
        if document is None or document.cancelled:
            errors.append(("object_id", texts.NO_SUCH_OBJECT))
        value = _decimal(_text(record, "value") or "")
        if value is None or value <= 0:
            errors.append(("value", texts.BAD_NUMBER))
        date = _text(record, "date") or self._today()
        if not _DATE.match(date) or _day(date) is None:
            errors.append(("date", texts.BAD_DATE))
        method = _text(record, "payment_method")
        if method is not None and method not in texts.PAYMENT_METHODS:
            errors.append(("payment_method", texts.BAD_VALUE))
        if errors or document is None or value is None:
            for field, message in errors:
                _attach(record, field, message)
            root = Element("api")
            SubElement(root, "payments").append(record)
            raise FakeError(self._reply(request, root, texts.ERROR))
        document.alreadypaid += value
        payment = {
            "id": str(self._take("payment")),
            "object_name": "invoice",
            "object_id": document.id,
            "value": _money(value),
            "date": date,
            "type": "income",
            "payment_method": method or document.paymentmethod,
            "payment_type": "cashbox" if (method or document.paymentmethod) == "cash" else "account",
            "initial": "0",
        }
        company.payments.append(payment)
        root = Element("api")
        element = SubElement(SubElement(root, "payments"), "payment")
        _add(element, **payment)
        SubElement(SubElement(element, "invoice"), "id").text = document.id
        if "payments/add" in self._fatal_after_commit:
            self._fatal_after_commit.discard("payments/add")
            return self._status(request, texts.FATAL)
        return self._reply(request, root)

    @route("GET", "payments/find")
    @route("POST", "payments/find")
    def find_payments(self, request: FakeRequest) -> Reply:
        """The company's payments."""
        company, body = self._begin(request)

        def element(payment: dict[str, str]) -> Element:
            row = Element("payment")
            _add(row, **payment)
            return row

        return self._found(request, body, "payments", company.payments, lambda p: p, element)
