"""accounting-connectors: send invoices, receipts and corrections to online accounting services.

::

    import accounting_connectors as ac

    with ac.connect("smartbill", username="me@firma.ro", token="...", company_vat_code="RO123") as conn:
        sent = conn.send_invoice(invoice)
        pdf = conn.fetch_pdf(sent)
"""

from __future__ import annotations

from .capabilities import Capabilities, Capability, CapabilityMatrix, Support
from .client import AsyncClient, Client
from .errors import (
    AccountingError,
    AmbiguousOutcome,
    AuthenticationError,
    ConfigurationError,
    ConnectorClosed,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    RateLimited,
    ReferenceConflict,
    ServerError,
    Timeout,
    TransportError,
    UnsupportedOperation,
    ValidationError,
)
from .model import (
    Address,
    Correction,
    DocumentKind,
    Invoice,
    Line,
    Party,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatKind,
    VatRate,
    VatRateInfo,
)
from .registry import capability_matrix, connect, connect_async, providers
from .serialization import from_dict, to_dict

__version__ = "0.1.0"

__all__ = [
    "AccountingError",
    "Address",
    "AmbiguousOutcome",
    "AsyncClient",
    "AuthenticationError",
    "Capabilities",
    "Capability",
    "CapabilityMatrix",
    "Client",
    "ConfigurationError",
    "ConnectorClosed",
    "Correction",
    "DocumentKind",
    "Invoice",
    "Line",
    "NotFound",
    "Party",
    "Payment",
    "PaymentType",
    "PermissionDenied",
    "ProviderError",
    "ProviderValidationError",
    "RateLimited",
    "Receipt",
    "ReferenceConflict",
    "SentDocument",
    "Series",
    "ServerError",
    "Support",
    "Timeout",
    "TransportError",
    "UnsupportedOperation",
    "ValidationError",
    "VatKind",
    "VatRate",
    "VatRateInfo",
    "__version__",
    "capability_matrix",
    "connect",
    "connect_async",
    "from_dict",
    "providers",
    "to_dict",
]
