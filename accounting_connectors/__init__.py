"""accounting-connectors: send invoices, receipts and corrections to online accounting services.

::

    import accounting_connectors as ac

    with ac.connect("smartbill", username="me@firma.ro", token="...", company_vat_code="RO123") as conn:
        sent = conn.send_invoice(invoice)
        pdf = conn.fetch_pdf(sent)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .capabilities import Capabilities, Capability, CapabilityMatrix, Support
from .errors import (
    AccountingError,
    AmbiguousOutcome,
    AuthenticationError,
    ConfigurationError,
    ConnectorClosed,
    MalformedAnswer,
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
    EInvoiceState,
    EInvoiceStatus,
    EInvoiceSystem,
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

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .serialization import from_dict, to_dict

__version__ = "0.1.0"

# Imported on first use, not with the package: the JSON conversion needs cattrs, which
# most programs (that only send documents) never touch, and the drivers load with the
# first connector (connect() imports them).
_LAZY = {"to_dict": "serialization", "from_dict": "serialization", "Client": "client", "AsyncClient": "client"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    "EInvoiceState",
    "EInvoiceStatus",
    "EInvoiceSystem",
    "Invoice",
    "Line",
    "NotFound",
    "Party",
    "Payment",
    "PaymentType",
    "PermissionDenied",
    "MalformedAnswer",
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
