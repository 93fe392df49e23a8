"""What each connector can do, declared as data and rendered as a matrix.

Each provider module declares a :class:`Capabilities` value; ``capability_matrix()``
collects them. The matrix renders as plain text (``str``), Markdown (``to_markdown``)
and HTML (``_repr_html_``, so a notebook shows it as a table).
"""

from __future__ import annotations

import enum
import html
import textwrap
from collections.abc import Iterable, Iterator, Mapping

import attrs


class Capability(enum.Enum):
    """Something a connector may be able to do."""

    SEND_INVOICE = "send_invoice"
    SEND_RECEIPT = "send_receipt"
    SEND_CORRECTION = "send_correction"
    FETCH_PDF = "fetch_pdf"
    LIST_SERIES = "list_series"
    LIST_PAYMENT_TYPES = "list_payment_types"
    LIST_VAT_RATES = "list_vat_rates"
    RECORD_PAYMENT = "record_payment"
    SKU_STOCK = "sku_stock"
    EXTERNAL_NUMBERING = "external_numbering"
    DOCUMENT_LINK = "document_link"
    NATIVE_IDEMPOTENCY = "native_idempotency"
    LOOKUP_BY_REFERENCE = "lookup_by_reference"
    EINVOICE = "einvoice"


class Support(enum.Enum):
    """Whether a provider's connector does a capability."""

    SUPPORTED = "supported"
    NOT_SUPPORTED = "not supported"
    """The provider's API cannot do it."""
    NOT_IMPLEMENTED = "not implemented"
    """The API can, this library does not yet."""


_SYMBOL = {Support.SUPPORTED: "yes", Support.NOT_SUPPORTED: "no", Support.NOT_IMPLEMENTED: "not yet"}


@attrs.frozen
class Entry:
    """One cell of the matrix: a support status and a short note about the traps."""

    support: Support
    note: str = ""

    def __str__(self) -> str:
        symbol = _SYMBOL[self.support]
        return f"{symbol} ({self.note})" if self.note else symbol


@attrs.frozen
class Capabilities:
    """One provider's row: an entry for every :class:`Capability`.

    Capabilities left out of ``entries`` count as ``NOT_IMPLEMENTED``.
    """

    provider: str
    entries: Mapping[Capability, Entry] = attrs.field(factory=dict)

    def __getitem__(self, capability: Capability) -> Entry:
        return self.entries.get(capability, Entry(Support.NOT_IMPLEMENTED))

    def supports(self, capability: Capability) -> bool:
        """True when the connector does ``capability``."""
        return self[capability].support is Support.SUPPORTED

    def __iter__(self) -> Iterator[tuple[Capability, Entry]]:
        return ((capability, self[capability]) for capability in Capability)

    def _repr_html_(self) -> str:
        from .notebook import repr_html

        return repr_html(self)


@attrs.frozen
class CapabilityMatrix:
    """All installed providers' capability rows."""

    rows: tuple[Capabilities, ...]

    @classmethod
    def of(cls, rows: Iterable[Capabilities]) -> CapabilityMatrix:
        """A matrix of ``rows`` in the order given."""
        return cls(tuple(rows))

    def _table(self) -> tuple[list[str], list[list[str]]]:
        header = ["capability", *(row.provider for row in self.rows)]
        body = [[capability.value, *(str(row[capability]) for row in self.rows)] for capability in Capability]
        return header, body

    def to_text(self, width: int = 80) -> str:
        """A plain-text table that fits ``width`` columns.

        Cells show the status; notes are numbered (``yes [3]``) and listed below each
        block. Providers go into as many blocks side by side as the width allows.
        """
        label = max(len(capability.value) for capability in Capability)
        column = 12
        per_block = max(1, (width - label) // (column + 2))
        blocks: list[str] = []
        number = 0
        for start in range(0, len(self.rows), per_block):
            rows = self.rows[start : start + per_block]
            notes: list[str] = []
            lines = [
                "  ".join(["capability".ljust(label), *(row.provider[:column].ljust(column) for row in rows)]).rstrip(),
                "  ".join(["-" * label, *("-" * column for _ in rows)]),
            ]
            for capability in Capability:
                cells = []
                for row in rows:
                    entry = row[capability]
                    cell = _SYMBOL[entry.support]
                    if entry.note:
                        number += 1
                        cell = f"{cell} [{number}]"
                        notes.append(f"[{number}] {row.provider}, {capability.value}: {entry.note}")
                    cells.append(cell.ljust(column))
                lines.append("  ".join([capability.value.ljust(label), *cells]).rstrip())
            wrapped = [textwrap.fill(note, width, subsequent_indent="    ") for note in notes]
            blocks.append("\n".join([*lines, "", *wrapped]))
        return "\n\n".join(blocks)

    def to_data(self) -> dict[str, dict[str, dict[str, str]]]:
        """Plain data for JSON: provider -> capability -> ``{"support", "note"}``."""
        return {
            row.provider: {
                capability.value: {"support": entry.support.value, "note": entry.note} for capability, entry in row
            }
            for row in self.rows
        }

    def to_markdown(self) -> str:
        """A Markdown table (used by the docs)."""
        header, body = self._table()

        def render(cells: list[str]) -> str:
            return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

        rule = "|" + "|".join("---" for _ in header) + "|"
        return "\n".join([render(header), rule, *(render(line) for line in body)])

    def to_html(self) -> str:
        """An HTML table."""
        header, body = self._table()
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in line) + "</tr>" for line in body)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_text()
