"""Recording a payment against a Fakturownia invoice (§11, §13, §16).

:class:`FakturowniaPayments` sets the invoice's paid amount (an absolute ``PUT``) or, with
``payment_records``, creates a bank payment; a lost answer is settled by reading the
invoice's paid amount back, never by a blind resend.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from ...errors import (
    AccountingError,
    AmbiguousOutcome,
    MalformedAnswer,
    PermissionDenied,
    ProviderError,
    ServerError,
    TransportError,
    ValidationError,
)
from ...flow import Flow
from ...model import DocumentKind, Payment, SentDocument
from ...provider import read_json
from .base import FakturowniaBase
from .codec import date_text, money_text, parse_money
from .codes import _int_id


class FakturowniaPayments(FakturowniaBase):
    """``record_payment``: the paid amount, or a bank payment, settled by reading back."""

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Set the invoice's paid amount (``PUT``, idempotent), or create a bank payment (``payment_records``)."""
        self.own_document(document)
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "payments are recorded against a VAT invoice")
        ident = _int_id(document.external_id)
        if ident is None:
            raise ValidationError("document.external_id", "is not a Fakturownia document id")
        response = yield self._get(f"invoices/{ident}.json", "record_payment")
        current = read_json(response)
        if not isinstance(current, Mapping):
            raise ProviderError("Fakturownia answered no document to read the paid amount from", response=response)
        gross = parse_money(current.get("price_gross"))
        if gross is None:
            # Without the invoice's total the paid amount cannot be checked: never guessed.
            raise MalformedAnswer("Fakturownia answered an invoice without its price_gross", response=response)
        paid = parse_money(current.get("paid")) or Decimal("0.00")
        total = paid + payment.amount
        if gross is not None and total > gross:
            raise ValidationError("payment.amount", f"{payment.amount} is more than the unpaid {gross - paid}")
        when = payment.paid_on
        if self.settings.payment_records:
            record: dict[str, Any] = {
                "name": f"{payment.method} {document.number or document.reference}",
                "price": money_text(payment.amount, "payment.amount"),
                "invoice_id": ident,
                "paid": True,
                "kind": "api",
            }
            if when is not None:
                record["paid_date"] = date_text(when)
            answer = yield from self._create_payment(ident, {"banking_payment": record}, paid, total)
            if isinstance(answer, Mapping):
                # The answer was lost but the invoice shows the payment: it was recorded
                # (its id is not known; a bank payment carries no order id to look it up by).
                return SentDocument(
                    provider=self.name,
                    kind=DocumentKind.PAYMENT,
                    reference=document.reference,
                    number=document.number,
                    external_id=None,
                    issue_date=when,
                    raw=dict(answer),
                )
            raw = read_json(answer)
            record_id = _int_id(raw.get("id")) if isinstance(raw, Mapping) else None
            if record_id is None:
                raise PermissionDenied(
                    f"Fakturownia answered HTTP {answer.status_code} to the payment without a new id: the API "
                    "token probably belongs to a read-only user (a known Fakturownia bug). Nothing was recorded.",
                    response=answer,
                )
            return SentDocument(
                provider=self.name,
                kind=DocumentKind.PAYMENT,
                reference=document.reference,
                number=document.number,
                external_id=str(record_id) if record_id is not None else None,
                issue_date=when,
                raw=raw if isinstance(raw, Mapping) else {},
            )
        update: dict[str, Any] = {
            "paid": money_text(total, "payment.amount"),
            "status": "paid" if gross is None or total == gross else "partial",
        }
        if when is not None:
            update["paid_date"] = date_text(when)
        try:
            answer = yield self._send("PUT", f"invoices/{ident}.json", {"invoice": update}, "record_payment")
        except (TransportError, ServerError) as error:
            # The driver retried the absolute PUT and ran out: whether it landed is unknown,
            # and recording the payment again would add it on top of itself. Read back (§11).
            settled = yield from self._paid_now(ident, error, paid, total)
            return SentDocument(
                provider=self.name,
                kind=DocumentKind.PAYMENT,
                reference=document.reference,
                number=document.number,
                external_id=str(ident),
                issue_date=when,
                raw=dict(settled),
            )
        raw = read_json(answer)
        if isinstance(raw, Mapping) and "paid" in raw and parse_money(raw.get("paid")) != total:
            # A read-only user's write answers 200 and changes nothing, as its creates do (§16).
            raise PermissionDenied(
                f"Fakturownia answered the payment but the invoice's paid amount is {raw.get('paid')}, not "
                f"{total}: the API token probably belongs to a read-only user. Nothing was recorded.",
                response=answer,
            )
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.PAYMENT,
            reference=document.reference,
            number=document.number,
            external_id=str(ident),
            issue_date=when,
            raw=raw if isinstance(raw, Mapping) else {},
        )

    def _paid_now(self, ident: int, error: AccountingError, before: Decimal, after: Decimal) -> Flow[Mapping[str, Any]]:
        """The invoice, when it shows the paid amount ``after``; else ``error`` (unchanged) or ambiguity."""
        try:
            check = yield self._get(f"invoices/{ident}.json", "record_payment")
        except AccountingError:
            raise AmbiguousOutcome(
                f"{error.message} (reading the invoice back failed too): check its paid amount, {before} "
                "before this payment, before recording it again.",
                provider=self.name,
                operation="record_payment",
                retry_safe=False,
            ) from error
        current = read_json(check)
        paid = parse_money(current.get("paid")) if isinstance(current, Mapping) else None
        if paid is not None and paid == after and isinstance(current, Mapping):
            return current
        if paid is not None and paid == before:
            raise error  # nothing landed: recording it again is safe
        raise AmbiguousOutcome(
            f"{error.message} (the invoice's paid amount now reads {paid}, neither {before} before nor {after} "
            "after this payment): check it before recording the payment again.",
            provider=self.name,
            operation="record_payment",
            retry_safe=False,
        ) from error

    def _create_payment(
        self, ident: int, body: dict[str, Any], before: Decimal, after: Decimal
    ) -> Flow[httpx.Response | Mapping[str, Any]]:
        """``POST /banking/payments.json`` once: a lost answer is settled by the invoice's paid amount.

        A bank payment is a create with no ``oid`` and no lookup (§11), so it is never resent
        blindly (§13): after a lost answer the invoice is read back. Its paid amount moved
        to ``after``: the payment was recorded (the invoice is returned). Still ``before``:
        nothing was recorded and it is sent once more. Anything else, or a second loss:
        ``AmbiguousOutcome``.
        """
        call = self._send("POST", "banking/payments.json", body, "record_payment", creates=True)
        lost: AmbiguousOutcome | None = None
        for _attempt in range(2):
            try:
                response: httpx.Response = yield call
            except AmbiguousOutcome as error:
                lost = error
                try:
                    check = yield self._get(f"invoices/{ident}.json", "record_payment")
                except AccountingError:
                    raise error from None
                current = read_json(check)
                paid = parse_money(current.get("paid")) if isinstance(current, Mapping) else None
                if paid is not None and paid == after:
                    assert isinstance(current, Mapping)
                    return current
                if paid is None or paid != before:
                    raise
                continue  # the invoice shows nothing of it: it was not recorded
            return response
        assert lost is not None
        again = AmbiguousOutcome(
            f"{lost.message} (the invoice was read back and still showed the paid amount {before}, it was sent "
            "again and that answer was lost too). Recording it again is safe once the invoice's paid amount "
            f"still reads {before}.",
            provider=self.name,
            operation=lost.operation,
            response=lost.response,
            retry_safe=True,
        )
        again.__cause__ = lost
        raise again
