"""Rich HTML for notebooks: what a person inspects renders as a small table.

Jupyter calls ``_repr_html_`` on the last expression of a cell. The model's documents
(with their lines and the totals as the provider's country books them), sent documents,
export results and reports, a provider's capabilities and the lists the connectors return
all render through the functions here. Every value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from .capabilities import Capabilities
    from .export.report import ExportReport, ExportResult
    from .model import Correction, EInvoiceStatus, Invoice, Receipt, SentDocument

T = TypeVar("T")

__all__ = ["Listing", "definitions", "table"]


def _cell(value: object) -> str:
    if value is None:
        return ""
    return html.escape(str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[object]], *, caption: str | None = None) -> str:
    """An HTML table of ``rows`` under ``header`` (every cell escaped)."""
    head = "".join(f"<th>{_cell(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>" for row in rows)
    title = f"<caption>{_cell(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def definitions(title: str, items: Iterable[tuple[str, object]]) -> str:
    """A titled two-column table of ``(name, value)`` pairs, leaving out empty values."""
    rows = "".join(
        f"<tr><th>{_cell(name)}</th><td>{_cell(value)}</td></tr>" for name, value in items if value not in (None, "")
    )
    return f"<table><caption>{_cell(title)}</caption><tbody>{rows}</tbody></table>"


class Listing(list[T]):
    """A list the connectors return (``list_series`` and the like) that renders as a table."""

    def _repr_html_(self) -> str:
        if not self:
            return "<p>(none)</p>"
        import attrs

        fields = [field.name for field in attrs.fields(cast(Any, type(self[0])))]
        return table(fields, ([getattr(item, name) for name in fields] for item in self))


def document_html(document: Invoice | Receipt | Correction) -> str:
    """A document's header, its lines and its totals by both countries' rules."""
    from .model import Correction, Invoice
    from .money import TotalsMethod, document_totals, line_totals

    lines = document.lines
    prices_include_vat = (
        document.original.prices_include_vat if isinstance(document, Correction) else (document.prices_include_vat)
    )
    currency = document.original.currency if isinstance(document, Correction) else document.currency
    kind = type(document).__name__
    header: list[tuple[str, object]] = [("reference", document.reference), ("issue date", document.issue_date)]
    if isinstance(document, Invoice):
        header += [("buyer", document.buyer.name), ("tax id", document.buyer.tax_id), ("due date", document.due_date)]
    if isinstance(document, Correction):
        header += [("corrects", document.original_document.full_number or document.original.reference)]
        header += [("reason", document.reason)]
    header += [("currency", currency), ("prices include VAT", "yes" if prices_include_vat else "no")]
    rows = []
    for line in lines:
        totals = line_totals(line, prices_include_vat=prices_include_vat)
        rows.append(
            [line.name, line.quantity, line.unit, line.unit_price, line.vat, line.discount_percent,
             totals.net, totals.vat, totals.gross]
        )  # fmt: skip
    per_line = document_totals(lines, prices_include_vat=prices_include_vat, method=TotalsMethod.PER_LINE).total
    per_rate = document_totals(lines, prices_include_vat=prices_include_vat, method=TotalsMethod.PER_RATE).total
    booked: list[tuple[str, object, object, object]] = [
        ("per line (Romania)", per_line.net, per_line.vat, per_line.gross)
    ]
    if per_rate != per_line:
        booked.append(("per VAT rate (Poland)", per_rate.net, per_rate.vat, per_rate.gross))
    return (
        definitions(kind, header)
        + table(["name", "quantity", "unit", "unit price", "VAT", "discount %", "net", "VAT", "gross"], rows)
        + table(["totals", "net", "VAT", "gross"], booked)
    )


def sent_html(document: SentDocument) -> str:
    """What the provider issued."""
    link = (
        f'<a href="{html.escape(document.url, quote=True)}">{html.escape(document.url)}</a>' if document.url else None
    )
    items: list[tuple[str, object]] = [
        ("provider", document.provider),
        ("kind", document.kind.value),
        ("reference", document.reference),
        ("number", document.full_number),
        ("provider id", document.external_id),
        ("issue date", document.issue_date),
    ]
    body = definitions("SentDocument", items)
    return body.replace("</tbody>", f"<tr><th>link</th><td>{link}</td></tr></tbody>") if link else body


def einvoice_html(status: EInvoiceStatus) -> str:
    """A document's e-invoicing state: the common state, the number, the reasons and the flags."""
    link = status.verification_url
    items: list[tuple[str, object]] = [
        ("provider", status.provider),
        ("system", status.system.value),
        ("reference", status.reference),
        ("state", status.state.value),
        ("number", status.number),
        ("download id", status.download_id),
        ("provider status", status.provider_status),
        ("sent at", status.sent_at),
        ("accepted at", status.accepted_at),
        ("demo", "yes" if status.demo else None),
        ("resend allowed", "yes" if status.resend_allowed else None),
        ("needs configuration", "yes" if status.needs_configuration else None),
    ]
    body = definitions("EInvoiceStatus", items)
    extra = "".join(f"<tr><th>error</th><td>{_cell(error)}</td></tr>" for error in status.errors)
    if link:
        extra += (
            f'<tr><th>verification</th><td><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></td></tr>'
        )
    return body.replace("</tbody>", extra + "</tbody>") if extra else body


def result_html(result: ExportResult) -> str:
    """One export result."""
    document = result.document
    return definitions(
        "ExportResult",
        [
            ("reference", result.reference),
            ("status", result.status.value),
            ("number", document.full_number if document is not None else None),
            ("message", result.message),
        ],
    )


def report_html(report: ExportReport) -> str:
    """A batch's counts, and the documents that need attention."""
    columns = {
        "sent": report.sent,
        "already sent": report.already_sent,
        "skipped": len(report.skipped),
        "in progress elsewhere": len(report.in_progress),
        "duplicates": len(report.duplicates),
        "failed": len(report.failed),
        "uncertain": len(report.uncertain),
        "not attempted": len(report.not_attempted),
    }
    counts = table(list(columns), [list(columns.values())], caption="ExportReport")
    attention = [(result.reference, result.status.value, result.message) for result in report.failed + report.uncertain]
    attention += [(reference, "not attempted", "") for reference in report.not_attempted]
    if not attention:
        return counts
    return counts + table(["reference", "status", "what to do"], attention, caption="Needs attention")


def capabilities_html(capabilities: Capabilities) -> str:
    """One provider's row of the matrix."""
    return table(
        ["capability", "support", "note"],
        ([capability.value, entry.support.value, entry.note] for capability, entry in capabilities),
        caption=capabilities.provider,
    )


def repr_html(value: Any) -> str:
    """The HTML of any object this module renders."""
    from .capabilities import Capabilities
    from .export.report import ExportReport, ExportResult
    from .model import EInvoiceStatus, SentDocument

    if isinstance(value, SentDocument):
        return sent_html(value)
    if isinstance(value, EInvoiceStatus):
        return einvoice_html(value)
    if isinstance(value, ExportResult):
        return result_html(value)
    if isinstance(value, ExportReport):
        return report_html(value)
    if isinstance(value, Capabilities):
        return capabilities_html(value)
    return document_html(value)
