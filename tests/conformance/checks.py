"""The conformance checks, as functions that return the problems they find.

Each check is used twice: on every registered provider, where it must find nothing, and
on a deliberately wrong request or provider, where it must find the fault (its
companion test), so no check can pass by checking nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

import accounting_connectors as ac
from accounting_connectors.capabilities import Capability, Support
from accounting_connectors.provider import Provider

from .case import ProviderCase

OPERATIONS: Mapping[Capability, str] = {
    Capability.SEND_INVOICE: "send_invoice",
    Capability.SEND_RECEIPT: "send_receipt",
    Capability.SEND_CORRECTION: "send_correction",
    Capability.FETCH_PDF: "fetch_pdf",
    Capability.LIST_SERIES: "list_series",
    Capability.LIST_PAYMENT_TYPES: "list_payment_types",
    Capability.LIST_VAT_RATES: "list_vat_rates",
    Capability.RECORD_PAYMENT: "record_payment",
    Capability.LOOKUP_BY_REFERENCE: "find_document",
    Capability.EINVOICE: "einvoice_status",
}
"""Capabilities that are one operation of the connector."""


def matrix_problems(provider: type[Provider]) -> list[str]:
    """Where the capability row and the implemented operations disagree."""
    problems = []
    for capability, operation in OPERATIONS.items():
        implemented = getattr(provider, operation) is not getattr(Provider, operation)
        supported = provider.capabilities[capability].support is Support.SUPPORTED
        if implemented is not supported:
            state = "implements" if implemented else "does not implement"
            problems.append(
                f"{provider.name} {state} {operation} but declares {capability.value} {'SUPPORTED' if supported else 'not supported'}"
            )
    return problems


def undocumented_fields(case: ProviderCase, requests: Iterable[httpx.Request]) -> dict[str, set[str]]:
    """Field names sent that the provider's documented list lacks, by request line."""
    problems: dict[str, set[str]] = {}
    for request in requests:
        if not case.checked(request):
            continue
        unknown = case.field_names(request) - set(case.fields)
        if unknown:
            problems.setdefault(f"{request.method} {request.url.path}", set()).update(unknown)
    return problems


def _sample_arguments(operation: str, case: ProviderCase, fake_document: ac.SentDocument) -> tuple[Any, ...]:
    """Arguments for ``operation``, built only for the operation asked (a builder may refuse others)."""
    builders: dict[str, Any] = {
        "send_invoice": lambda: (case.invoice,),
        "send_receipt": lambda: (
            case.receipt
            or ac.Receipt(
                reference="conformance-receipt",
                issue_date=case.invoice.issue_date,
                lines=case.invoice.lines,
                currency=case.invoice.currency,
            ),
        ),
        "send_correction": lambda: (case.correction(case.invoice, fake_document),),
        "fetch_pdf": lambda: (fake_document,),
        "list_series": tuple,
        "list_payment_types": tuple,
        "list_vat_rates": tuple,
        "record_payment": lambda: (fake_document, case.payment(case.invoice)),
        "find_document": lambda: (ac.DocumentKind.INVOICE, case.invoice.reference),
        "einvoice_status": lambda: (fake_document,),
    }
    return tuple(builders[operation]())


def refusal_problems(connector: Any, fake: Any, case: ProviderCase) -> list[str]:
    """Unsupported operations that do not raise ``UnsupportedOperation``, or that send a request."""
    problems = []
    document = ac.SentDocument(
        provider=case.name, kind=ac.DocumentKind.INVOICE, reference="x", number="1", external_id="1"
    )
    for capability, operation in OPERATIONS.items():
        if connector.capabilities[capability].support is Support.SUPPORTED:
            continue
        before = fake.request_count
        try:
            getattr(connector, operation)(*_sample_arguments(operation, case, document))
        except ac.UnsupportedOperation:
            pass
        except Exception as error:  # any other outcome is the problem reported
            problems.append(f"{operation}: raised {type(error).__name__} instead of UnsupportedOperation")
            continue
        else:
            problems.append(f"{operation}: returned instead of raising UnsupportedOperation")
        if fake.request_count != before:
            problems.append(f"{operation}: sent {fake.request_count - before} request(s) before refusing")
    return problems


def _exercise_send_invoice(connector: Any, fake: Any, case: ProviderCase) -> None:
    before = len(fake.documents)
    sent = connector.send_invoice(case.invoice_for("conf-invoice"))
    assert sent.provider == case.name and sent.reference == "conf-invoice"
    assert sent.number, "no number came back"
    assert len(fake.documents) == before + 1, "the fake holds no new document"


def _exercise_send_receipt(connector: Any, fake: Any, case: ProviderCase) -> None:
    assert case.receipt is not None, "receipts are SUPPORTED but the case has no sample receipt"
    before = len(fake.documents)
    sent = connector.send_receipt(case.receipt)
    assert sent.kind is ac.DocumentKind.RECEIPT and sent.number
    assert len(fake.documents) == before + 1


def _exercise_send_correction(connector: Any, fake: Any, case: ProviderCase) -> None:
    invoice = case.invoice_for("conf-corrected")
    sent = connector.send_invoice(invoice)
    before = len(fake.documents)
    corrected = connector.send_correction(case.correction(invoice, sent))
    assert corrected.kind is ac.DocumentKind.CORRECTION and corrected.number
    assert len(fake.documents) == before + 1


def _exercise_fetch_pdf(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(case.invoice_for("conf-pdf"))
    assert connector.fetch_pdf(sent).startswith(b"%PDF")


def _exercise_list(operation: str) -> Any:
    def exercise(connector: Any, fake: Any, case: ProviderCase) -> None:
        listed = getattr(connector, operation)()
        assert isinstance(listed, list) and listed, f"{operation} returned nothing"

    return exercise


def _exercise_record_payment(connector: Any, fake: Any, case: ProviderCase) -> None:
    invoice = case.invoice_for("conf-paid")
    sent = connector.send_invoice(invoice)
    recorded = connector.record_payment(sent, case.payment(invoice))
    assert isinstance(recorded, ac.SentDocument)
    stored = fake.find(number=sent.number)
    assert stored is not None and stored.paid > 0, "the fake records no payment"


def _exercise_lookup(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(case.invoice_for("conf-lookup"))
    found = connector.find_document(ac.DocumentKind.INVOICE, "conf-lookup")
    assert found is not None and found.number == sent.number
    assert connector.find_document(ac.DocumentKind.INVOICE, "conf-never-sent") is None


def _exercise_idempotency(connector: Any, fake: Any, case: ProviderCase) -> None:
    first = connector.send_invoice(case.invoice_for("conf-twice"))
    before = len(fake.documents)
    again = connector.send_invoice(case.invoice_for("conf-twice"))
    assert again.number == first.number, "a replay issued another document"
    assert len(fake.documents) == before, "a replay stored a second document"


def _exercise_einvoice(connector: Any, fake: Any, case: ProviderCase) -> None:
    sent = connector.send_invoice(case.invoice_for("conf-einvoice"))
    status = connector.einvoice_status(sent)
    assert isinstance(status, ac.EInvoiceStatus)
    assert status.provider == case.name and status.reference == "conf-einvoice"
    assert status.state is not ac.EInvoiceState.NOT_APPLICABLE, "an invoice is not applicable"
    assert not (status.resend_allowed and status.may_be_accepted)
    stored = fake.find(number=sent.number)
    assert stored is not None, "the fake holds no such document"


GENERIC_EXERCISES = {
    Capability.SEND_INVOICE: _exercise_send_invoice,
    Capability.SEND_RECEIPT: _exercise_send_receipt,
    Capability.SEND_CORRECTION: _exercise_send_correction,
    Capability.FETCH_PDF: _exercise_fetch_pdf,
    Capability.LIST_SERIES: _exercise_list("list_series"),
    Capability.LIST_PAYMENT_TYPES: _exercise_list("list_payment_types"),
    Capability.LIST_VAT_RATES: _exercise_list("list_vat_rates"),
    Capability.RECORD_PAYMENT: _exercise_record_payment,
    Capability.LOOKUP_BY_REFERENCE: _exercise_lookup,
    Capability.NATIVE_IDEMPOTENCY: _exercise_idempotency,
    Capability.EINVOICE: _exercise_einvoice,
}


def exercise_for(case: ProviderCase, capability: Capability) -> Any:
    """The check of ``capability`` for this provider (its own, else the generic one)."""
    return case.exercises.get(capability) or GENERIC_EXERCISES.get(capability)
