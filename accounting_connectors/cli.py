"""The ``accounting-connectors`` command line.

::

    accounting-connectors demo [--pdf PATH] [--async]
    accounting-connectors capabilities [--format text|markdown|html]
    accounting-connectors providers

``demo`` issues a sample Romanian invoice on the embedded SmartBill sandbox (the fake
from :mod:`accounting_connectors.testing.smartbill`, no network and no account needed)
through the real SDK, prints the number SmartBill gave it and writes its PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import AccountingError
from .model import Address, Invoice, Line, Party, SentDocument, VatRate
from .money import TotalsMethod, document_totals
from .registry import capability_matrix, connect, connect_async, providers
from .testing.clock import FakeClock
from .testing.smartbill import SmartBillFake

DEMO_USERNAME = "demo@example.ro"
"""The demo account's user name (the sandbox's default account)."""
DEMO_TOKEN = "demo-token"
"""The demo account's API token."""
DEMO_COMPANY = "RO12345678"
"""The demo account's company CIF."""


def demo_invoice(issue_date: dt.date | None = None) -> Invoice:
    """The sample invoice the demo sends: a company buyer, 21 % VAT and a discount line."""
    issued = issue_date or dt.date.today()
    return Invoice(
        reference="DEMO-ORDER-1001",
        issue_date=issued,
        due_date=issued + dt.timedelta(days=14),
        currency="RON",
        buyer=Party(
            name="Exemplu Distributie SRL",
            tax_id="RO87654321",
            is_company=True,
            registration_number="J12/3456/2020",
            email="contabilitate@exemplu.ro",
            address=Address(street="Str. Memorandumului 28", city="Cluj-Napoca", region="Cluj", postal_code="400114"),
        ),
        lines=[
            Line(name="Cafea boabe 1 kg", quantity=3, unit="buc", unit_price="89.90", vat=VatRate.of(21)),
            Line(
                name="Rasnita manuala",
                quantity=1,
                unit="buc",
                unit_price="249.00",
                vat=VatRate.of(21),
                discount_percent=10,
            ),
            Line(name="Transport", quantity=1, unit="buc", unit_price="19.99", vat=VatRate.of(21), is_service=True),
        ],
        notes="Comanda online nr. 1001",
    )


def _sandbox() -> tuple[SmartBillFake, FakeClock]:
    # One virtual clock for the fake and the client: any rate-limit wait costs no real time.
    clock = FakeClock()
    fake = SmartBillFake(username=DEMO_USERNAME, token=DEMO_TOKEN, company_vat_code=DEMO_COMPANY, clock=clock)
    return fake, clock


def _send_sync(invoice: Invoice) -> tuple[SentDocument, bytes]:
    fake, clock = _sandbox()
    with connect(
        "smartbill",
        username=DEMO_USERNAME,
        token=DEMO_TOKEN,
        company_vat_code=DEMO_COMPANY,
        transport=fake,
        clock=clock,
    ) as conn:
        sent = conn.send_invoice(invoice)
        return sent, conn.fetch_pdf(sent)


async def _send_async(invoice: Invoice) -> tuple[SentDocument, bytes]:
    fake, clock = _sandbox()
    async with connect_async(
        "smartbill",
        username=DEMO_USERNAME,
        token=DEMO_TOKEN,
        company_vat_code=DEMO_COMPANY,
        transport=fake,
        clock=clock,
    ) as conn:
        sent = await conn.send_invoice(invoice)
        return sent, await conn.fetch_pdf(sent)


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    invoice = demo_invoice()
    driver = "async" if args.use_async else "sync"
    sent, pdf = asyncio.run(_send_async(invoice)) if args.use_async else _send_sync(invoice)
    path = Path(args.pdf)
    path.write_bytes(pdf)
    totals = document_totals(invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_LINE)
    print(f"Sent invoice {invoice.reference} to the embedded SmartBill sandbox ({driver} client).", file=out)
    print(f"Number: {sent.full_number}", file=out)
    print(f"Total:  {totals.total.gross} {invoice.currency} (net {totals.total.net}, VAT {totals.total.vat})", file=out)
    print(f"PDF:    {path} ({len(pdf)} bytes)", file=out)
    return 0


def _capabilities(args: argparse.Namespace, out: TextIO) -> int:
    matrix = capability_matrix()
    rendered = {"text": matrix.to_text, "markdown": matrix.to_markdown, "html": matrix.to_html}[args.format]()
    print(rendered, file=out)
    return 0


def _providers(args: argparse.Namespace, out: TextIO) -> int:
    for name in providers():
        print(name, file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accounting-connectors",
        description="Send invoices, receipts and corrections to online accounting services.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="issue a sample invoice on the embedded SmartBill sandbox and save its PDF",
        description="Issue a sample Romanian invoice on the embedded SmartBill sandbox (no network, "
        "no account), print its number and save its PDF.",
    )
    demo.add_argument("--pdf", default="demo-invoice.pdf", metavar="PATH", help="where to write the PDF")
    demo.add_argument("--async", dest="use_async", action="store_true", help="use the asynchronous client")
    demo.set_defaults(handler=_demo)

    caps = commands.add_parser("capabilities", help="print what each installed connector can do")
    caps.add_argument("--format", choices=("text", "markdown", "html"), default="text", help="output format")
    caps.set_defaults(handler=_capabilities)

    names = commands.add_parser("providers", help="list the installed providers")
    names.set_defaults(handler=_providers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # argparse exits on --help, --version and bad arguments; hand back its status.
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        status: int = args.handler(args, sys.stdout)
    except AccountingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return status
