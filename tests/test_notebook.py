"""What a person inspects in a notebook renders as HTML tables, escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import accounting_connectors as ac
from accounting_connectors.export import ExportReport, ExportResult, ExportStatus
from accounting_connectors.notebook import Listing
from accounting_connectors.testing.clock import FakeClock

CREDENTIALS = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}


class Cells(HTMLParser):
    """The text of every table cell, and whether the markup is balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.captions: list[str] = []
        self._open: list[str] = []
        self._target: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._open.append(tag)
        if tag in ("td", "th"):
            self.cells.append("")
            self._target = self.cells
        elif tag == "caption":
            self.captions.append("")
            self._target = self.captions

    def handle_endtag(self, tag: str) -> None:
        assert self._open.pop() == tag
        if tag in ("td", "th", "caption"):
            self._target = None

    def handle_data(self, data: str) -> None:
        if self._target is not None:
            self._target[-1] += data


def parse(markup: str) -> Cells:
    cells = Cells()
    cells.feed(markup)
    cells.close()
    assert cells._open == []
    return cells


def invoice() -> ac.Invoice:
    return ac.Invoice(
        reference="ORD-<1>",
        issue_date="2026-01-15",
        buyer=ac.Party(name="Exemplu & Fiii SRL", tax_id="RO87654321", is_company=True,
                       address=ac.Address(city="Cluj", country="RO")),
        lines=[
            ac.Line(name="Cafea", quantity=3, unit="buc", unit_price="89.90", vat=ac.VatRate.of(21)),
            ac.Line(name="Rasnita", quantity=1, unit="buc", unit_price="249.00", vat=ac.VatRate.of(21),
                    discount_percent=10),
        ],
        currency="RON",
    )  # fmt: skip


def test_an_invoice_shows_its_lines_and_the_totals_as_booked() -> None:
    cells = parse(invoice()._repr_html_())
    assert "Invoice" in cells.captions
    assert "ORD-<1>" in cells.cells and "Exemplu & Fiii SRL" in cells.cells  # escaped, then read back
    assert "Cafea" in cells.cells and "224.10" in cells.cells  # 249.00 less 10 %
    assert "per line (Romania)" in cells.cells
    assert "<1>" not in invoice()._repr_html_().replace("&lt;1&gt;", "")


def test_sent_documents_results_reports_capabilities_and_listings(smartbill_fake: Any) -> None:
    with ac.connect("smartbill", CREDENTIALS, transport=smartbill_fake, clock=FakeClock()) as conn:
        sent = conn.send_invoice(invoice())
        series = conn.list_series()
        capabilities = conn.capabilities
    assert isinstance(series, Listing) and isinstance(series, list)
    assert sent.full_number in parse(sent._repr_html_()).cells
    assert "FCT" in parse(series._repr_html_()).cells
    assert "send_invoice" in parse(capabilities._repr_html_()).cells
    result = ExportResult(reference="ORD-2", status=ExportStatus.UNCERTAIN, message="check SmartBill")
    assert "check SmartBill" in parse(result._repr_html_()).cells
    report = ExportReport(sent=3)
    report.add(result)
    cells = parse(report._repr_html_())
    assert "Needs attention" in cells.captions and "ORD-2" in cells.cells and "3" in cells.cells
    assert parse(Listing([])._repr_html_()).cells == []


def test_a_correction_names_what_it_corrects(smartbill_fake: Any) -> None:
    with ac.connect("smartbill", CREDENTIALS, transport=smartbill_fake, clock=FakeClock()) as conn:
        sent = conn.send_invoice(invoice())
    correction = ac.Correction.full_reversal(
        reference="ORD-1-storno", original=invoice(), original_document=sent, reason="retur", issue_date="2026-01-20"
    )
    cells = parse(correction._repr_html_())
    assert sent.full_number in cells.cells and "retur" in cells.cells
