"""The ``Connector`` protocols: what every connector offers, sync and async.

:class:`~accounting_connectors.Client` satisfies :class:`Connector` and
:class:`~accounting_connectors.AsyncClient` satisfies :class:`AsyncConnector`. The export
workflow depends on these protocols alone, so any object with the same methods (a
wrapper that adds metrics, a connector of another library) can be exported through.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .capabilities import Capabilities
from .model import (
    Correction,
    DocumentKind,
    EInvoiceStatus,
    Invoice,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatRateInfo,
)

__all__ = ["AsyncConnector", "Connector", "ConnectorInfo"]


@runtime_checkable
class ConnectorInfo(Protocol):
    """What a connector says about itself, the same in both protocols."""

    @property
    def name(self) -> str:
        """The provider's registered name."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """The provider's row of the capability matrix."""
        ...

    @property
    def one_document_at_a_time(self) -> bool:
        """Creates share account-wide state: send documents one after another."""
        ...

    def account(self) -> str:
        """The issuing company, the send-once ledger's account key (never a credential)."""
        ...

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where a person should look after an ambiguous create."""
        ...


@runtime_checkable
class Connector(ConnectorInfo, Protocol):
    """A synchronous connector to one provider account."""

    def send_invoice(self, invoice: Invoice) -> SentDocument:
        """Issue ``invoice``."""
        ...

    def send_receipt(self, receipt: Receipt) -> SentDocument:
        """Issue ``receipt``."""
        ...

    def send_correction(self, correction: Correction) -> SentDocument:
        """Issue ``correction`` of an invoice sent before."""
        ...

    def fetch_pdf(self, document: SentDocument) -> bytes:
        """The PDF bytes of an issued document."""
        ...

    def list_series(self) -> list[Series]:
        """The numbering series configured at the provider."""
        ...

    def list_payment_types(self) -> list[PaymentType]:
        """The payment types the provider accepts."""
        ...

    def list_vat_rates(self) -> list[VatRateInfo]:
        """The VAT rates configured at the provider."""
        ...

    def record_payment(self, document: SentDocument, payment: Payment) -> SentDocument:
        """Record ``payment`` against an issued invoice."""
        ...

    def find_document(self, kind: DocumentKind, reference: str) -> SentDocument | None:
        """The document issued for ``reference``, or ``None``."""
        ...

    def einvoice_status(self, document: SentDocument) -> EInvoiceStatus:
        """Where ``document`` stands in KSeF or RO e-Factura."""
        ...

    def send_einvoice(self, document: SentDocument) -> EInvoiceStatus:
        """Submit ``document`` where the provider has an explicit send (never a second time)."""
        ...

    def close(self) -> None:
        """Release the connector's HTTP client."""
        ...


@runtime_checkable
class AsyncConnector(ConnectorInfo, Protocol):
    """An asynchronous connector: the operations of :class:`Connector` as coroutines."""

    async def send_invoice(self, invoice: Invoice) -> SentDocument:
        """Issue ``invoice``."""
        ...

    async def send_receipt(self, receipt: Receipt) -> SentDocument:
        """Issue ``receipt``."""
        ...

    async def send_correction(self, correction: Correction) -> SentDocument:
        """Issue ``correction`` of an invoice sent before."""
        ...

    async def fetch_pdf(self, document: SentDocument) -> bytes:
        """The PDF bytes of an issued document."""
        ...

    async def list_series(self) -> list[Series]:
        """The numbering series configured at the provider."""
        ...

    async def list_payment_types(self) -> list[PaymentType]:
        """The payment types the provider accepts."""
        ...

    async def list_vat_rates(self) -> list[VatRateInfo]:
        """The VAT rates configured at the provider."""
        ...

    async def record_payment(self, document: SentDocument, payment: Payment) -> SentDocument:
        """Record ``payment`` against an issued invoice."""
        ...

    async def find_document(self, kind: DocumentKind, reference: str) -> SentDocument | None:
        """The document issued for ``reference``, or ``None``."""
        ...

    async def einvoice_status(self, document: SentDocument) -> EInvoiceStatus:
        """Where ``document`` stands in KSeF or RO e-Factura."""
        ...

    async def send_einvoice(self, document: SentDocument) -> EInvoiceStatus:
        """Submit ``document`` where the provider has an explicit send (never a second time)."""
        ...

    async def aclose(self) -> None:
        """Release the connector's HTTP client."""
        ...
