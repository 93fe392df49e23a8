"""The export workflow: settings, series and payment mapping, send-once ledger, bulk export.

::

    from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger

    exporter = Exporter(conn, IntegrationSettings(series={"WEB": "FCT"}), SQLiteLedger("exports.db"))
    result = exporter.export(invoice)           # at issue time
    report = exporter.export_many(invoices)     # in bulk
"""

from __future__ import annotations

from .exporter import AsyncExporter, Document, Exporter, Operation, Progress
from .ledger import Ledger, LedgerEntry, LedgerKey, LedgerState, fingerprint
from .report import ExportReport, ExportResult, ExportStatus
from .settings import IntegrationSettings, Numbering, PaymentFallback, SeriesRule
from .sqlite import SQLiteLedger

__all__ = [
    "AsyncExporter",
    "Document",
    "ExportReport",
    "ExportResult",
    "ExportStatus",
    "Exporter",
    "IntegrationSettings",
    "Ledger",
    "LedgerEntry",
    "LedgerKey",
    "LedgerState",
    "Numbering",
    "Operation",
    "PaymentFallback",
    "Progress",
    "SQLiteLedger",
    "SeriesRule",
    "fingerprint",
]
