"""The ``accounting-connectors`` command line.

::

    accounting-connectors demo [--provider NAME] [--pdf PATH] [--async]
    accounting-connectors capabilities [--format text|markdown|html]
    accounting-connectors providers
    accounting-connectors export PATH... [--config FILE] [--ledger FILE] [--sandbox] [--provider NAME]

``demo`` issues a sample invoice on the embedded sandbox of a built-in provider (its fake
from :mod:`accounting_connectors.testing`, no network and no account needed; SmartBill
unless ``--provider`` names another) through the real SDK, prints the number the
provider gave it and writes its PDF.

``export`` sends every document in JSON / JSON Lines files (or folders of them) through
the export workflow, with a progress bar, each document at most once (the ledger file
remembers what was sent). ``--config`` names a JSON file
``{"provider": "smartbill", "credentials": {...}, "settings": {...}}``; ``--sandbox``
sends to the embedded fake of the config's provider (or ``--provider``, default
SmartBill) instead of a real account.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from . import __version__
from .errors import AccountingError, ConfigurationError
from .model import Address, Invoice, Line, Party, SentDocument, VatRate
from .money import TotalsMethod, document_totals
from .provider import Provider
from .registry import (
    builtin_providers,
    capability_matrix,
    connect,
    connect_async,
    fake_class,
    provider_class,
    providers,
)
from .testing.base import FakeProvider
from .testing.clock import FakeClock

DEFAULT_SANDBOX = "smartbill"
"""The provider whose sandbox ``demo`` and ``export --sandbox`` use when none is named."""


def demo_invoice(issue_date: dt.date | None = None, *, country: str = "RO") -> Invoice:
    """The sample invoice the demo sends for a provider of ``country`` (``"RO"`` or ``"PL"``).

    A company buyer, the country's standard VAT rate, a discounted line and a service.
    """
    issued = issue_date or dt.date.today()
    if country == "PL":
        return _polish_demo_invoice(issued)
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
            address=Address(
                street="Str. Memorandumului 28", city="Cluj-Napoca", region="Cluj", postal_code="400114", country="RO"
            ),
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


def _polish_demo_invoice(issued: dt.date) -> Invoice:
    return Invoice(
        reference="DEMO-ORDER-1001",
        issue_date=issued,
        sale_date=issued,
        due_date=issued + dt.timedelta(days=14),
        currency="PLN",
        buyer=Party(
            name="Przykładowa Dystrybucja sp. z o.o.",
            tax_id="5260250995",
            is_company=True,
            email="ksiegowosc@przyklad.pl",
            address=Address(street="ul. Marszałkowska 10", city="Warszawa", postal_code="00-590", country="PL"),
        ),
        lines=[
            Line(name="Kawa ziarnista 1 kg", quantity=3, unit="szt.", unit_price="89.90", vat=VatRate.of(23)),
            Line(name="Młynek ręczny", quantity=1, unit="szt.", unit_price="249.00", vat=VatRate.of(23)),
            Line(name="Transport", quantity=1, unit="usł.", unit_price="19.99", vat=VatRate.of(23), is_service=True),
        ],
        notes="Zamówienie internetowe nr 1001",
    )


def _sandbox(name: str) -> tuple[FakeProvider, FakeClock, dict[str, Any]]:
    # One virtual clock for the fake and the client: any rate-limit wait costs no real time.
    if name not in builtin_providers():
        raise ConfigurationError(f"no sandbox for {name!r}; sandboxes: {', '.join(builtin_providers())}")
    clock = FakeClock()
    fake = fake_class(name).demo(clock=clock)
    return fake, clock, dict(fake.demo_settings)


def _send_sync(name: str, invoice: Invoice) -> tuple[SentDocument, bytes]:
    fake, clock, settings = _sandbox(name)
    with connect(name, settings, transport=fake, clock=clock) as conn:
        sent = conn.send_invoice(invoice)
        return sent, conn.fetch_pdf(sent)


async def _send_async(name: str, invoice: Invoice) -> tuple[SentDocument, bytes]:
    fake, clock, settings = _sandbox(name)
    async with connect_async(name, settings, transport=fake, clock=clock) as conn:
        sent = await conn.send_invoice(invoice)
        return sent, await conn.fetch_pdf(sent)


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    name = args.provider
    provider = provider_class(name) if name in builtin_providers() else None
    if provider is None:
        raise ConfigurationError(f"no sandbox for {name!r}; sandboxes: {', '.join(builtin_providers())}")
    invoice = demo_invoice(country=provider.country or "RO")
    driver = "async" if args.use_async else "sync"
    sent, pdf = asyncio.run(_send_async(name, invoice)) if args.use_async else _send_sync(name, invoice)
    path = Path(args.pdf)
    path.write_bytes(pdf)
    method = TotalsMethod.PER_RATE if provider.country == "PL" else TotalsMethod.PER_LINE
    totals = document_totals(invoice.lines, prices_include_vat=invoice.prices_include_vat, method=method)
    title = provider.title or name
    print(f"Sent invoice {invoice.reference} to the embedded {title} sandbox ({driver} client).", file=out)
    print(f"Number: {sent.full_number}", file=out)
    print(f"Total:  {totals.total.gross} {invoice.currency} (net {totals.total.net}, VAT {totals.total.vat})", file=out)
    print(f"PDF:    {path} ({len(pdf)} bytes)", file=out)
    return 0


def _capabilities(args: argparse.Namespace, out: TextIO) -> int:
    matrix = capability_matrix()
    renderers: dict[str, Callable[[], str]] = {
        "text": matrix.to_text,
        "markdown": matrix.to_markdown,
        "html": matrix.to_html,
        "json": lambda: json.dumps(matrix.to_data(), indent=2, ensure_ascii=False),
    }
    rendered = renderers[args.format]()
    print(rendered, file=out)
    return 0


def _providers(args: argparse.Namespace, out: TextIO) -> int:
    for name in providers():
        print(name, file=out)
    return 0


class ProgressBar:
    """``progress(done, total, reference)`` as a live bar on a terminal, or log lines elsewhere.

    On a terminal the bar is tqdm's (``pip install 'accounting-connectors[cli]'``) with
    done/total, rate and time left, fitted to the terminal's width; without tqdm, a line of
    our own fitted the same way. Elsewhere (a log file, CI) it prints one line per tenth.
    """

    def __init__(self, stream: TextIO, width: int = 30, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.width = width
        self.live = stream.isatty()
        self._clock = clock
        self._started = clock()
        self._last_tenth = -1
        self._tqdm: Any = None
        if self.live:
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self._tqdm = tqdm(file=stream, dynamic_ncols=True, unit="doc", leave=True)

    def __call__(self, done: int, total: int | None, reference: str) -> None:
        """Show that ``done`` of ``total`` documents are handled, the last being ``reference``."""
        if self._tqdm is not None:
            self._tqdm.total = total
            self._tqdm.update(done - self._tqdm.n)
            self._tqdm.set_postfix_str(reference, refresh=False)
            return
        if total:
            filled = min(self.width, self.width * done // total)
            text = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {reference}"
            tenth = 10 * done // total
        else:
            text, tenth = f"{done} done, last {reference}", done // 100
        if self.live:
            columns = max(shutil.get_terminal_size().columns - 1, 20)
            text = f"{text} {self._pace(done, total)}"
            print(f"\r{text[:columns]:<{columns}}", end="", file=self.stream, flush=True)
        elif tenth != self._last_tenth:
            self._last_tenth = tenth
            print(text, file=self.stream)

    def _pace(self, done: int, total: int | None) -> str:
        elapsed = self._clock() - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        if not total or rate <= 0:
            return f"{rate:.1f}/s"
        return f"{rate:.1f}/s, {_duration((total - done) / rate)} left"

    def finish(self) -> None:
        """End the bar's line."""
        if self._tqdm is not None:
            self._tqdm.close()
        elif self.live:
            print(file=self.stream)


def _duration(seconds: float) -> str:
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}m" if hours else f"{minute}m{second:02d}s" if minute else f"{second}s"


def ceiling_note(provider: type[Provider], documents: int) -> str | None:
    """What the provider's tightest limit means for a batch: the least time it can take.

    One call per document is the floor (creates that read back or poll take more).
    """
    limits = [limit for limit in provider.rate_limits if limit.calls > 0]
    if not limits or documents <= 0:
        return None
    tightest = min(limits, key=lambda limit: limit.calls / limit.per_seconds)
    seconds = documents / (tightest.calls / tightest.per_seconds)
    if seconds < 60:
        return None
    return (
        f"{documents:,} documents at {provider.title or provider.name}'s {tightest.calls} calls per "
        f"{tightest.per_seconds:g} s take at least {_duration(seconds)}"
    )


def _read_config(path: str | None) -> dict[str, Any]:
    """The config file: JSON, or TOML when it ends in ``.toml``."""
    if path is None:
        return {}
    text = Path(path).read_text(encoding="utf-8-sig")
    if path.endswith(".toml"):
        try:
            config: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(f"{path} is not valid TOML: {error}") from None
    else:
        try:
            config = json.loads(text)
        except ValueError as error:
            raise ConfigurationError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(config, dict):
        raise ConfigurationError(f'{path} must hold an object: {{"provider", "credentials", "settings"}}')
    return config


ENV_PREFIX = "ACCOUNTING_CONNECTORS_"
"""Credentials come from ``ACCOUNTING_CONNECTORS_<PROVIDER>_<SETTING>`` variables too."""


def credentials_from_env(provider: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The provider's settings found in the environment, converted to their declared types.

    ``ACCOUNTING_CONNECTORS_SMARTBILL_TOKEN=...`` is SmartBill's ``token``: secrets never
    need to be written in a file or typed on a command line.
    """
    environ = os.environ if environ is None else environ
    prefix = f"{ENV_PREFIX}{provider.upper()}_"
    cls = provider_class(provider)
    fields = {field.name: field for field in attrs.fields(cls.settings_class)} if hasattr(cls, "settings_class") else {}
    found: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower()
        field = fields.get(name)
        kind = str(field.type) if field is not None else "str"
        found[name] = _from_text(key, value, kind)
    return found


def _from_text(key: str, value: str, kind: str) -> Any:
    if kind.startswith("bool"):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigurationError(f"{key} must be true or false, not {value!r}")
    if kind.startswith("int"):
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(f"{key} must be a whole number, not {value!r}") from None
    if kind.startswith("float"):
        try:
            return float(value)
        except ValueError:
            raise ConfigurationError(f"{key} must be a number, not {value!r}") from None
    return value


def _export(args: argparse.Namespace, out: TextIO) -> int:
    from .export import Exporter, IntegrationSettings, SQLiteLedger
    from .export.files import BadDocument, count_documents, read_documents, settings_from_dict

    config = _read_config(args.config)
    settings = settings_from_dict(config.get("settings", {})) if config.get("settings") else IntegrationSettings()
    paths = [Path(path) for path in args.paths]
    if args.sandbox:
        fake, clock, sandbox_settings = _sandbox(args.provider or config.get("provider") or DEFAULT_SANDBOX)
        fake.keep_log = False  # a long sandbox run keeps a count of requests, not each request
        fake.keep_documents = False  # ... and only the latest documents (in the fakes that honour it)
        conn = connect(fake.provider, sandbox_settings, transport=fake, clock=clock)
    elif config.get("provider") or args.provider:
        name = str(args.provider or config["provider"])
        credentials = config.get("credentials", {})
        if not isinstance(credentials, dict):
            raise ConfigurationError(f"{args.config}: credentials must be an object")
        conn = connect(name, {**credentials, **credentials_from_env(name)})
    else:
        print(
            "error: give --config (or --provider with ACCOUNTING_CONNECTORS_<PROVIDER>_<SETTING> variables) "
            "with a provider and its credentials, or --sandbox",
            file=sys.stderr,
        )
        return 2
    bad: list[BadDocument] = []

    bar = ProgressBar(sys.stderr) if not args.quiet else None
    total = count_documents(paths)
    handled = 0

    def tick(done: int, reference: str) -> None:
        nonlocal handled
        handled = done
        if bar is not None:
            bar(done + len(bad), total, reference)

    def documents() -> Iterator[Any]:
        for item in read_documents(paths, default_kind=args.kind):
            if isinstance(item, BadDocument):
                bad.append(item)
                tick(handled, item.where)  # unreadable records count as handled too
            else:
                yield item

    note = ceiling_note(provider_class(conn.name), total)
    if note is not None and not args.quiet:
        print(note, file=sys.stderr)
    ledger = SQLiteLedger(args.ledger)
    try:
        with conn:
            exporter = Exporter(conn, settings, ledger)
            report = exporter.export_many(documents(), progress=lambda done, _, reference: tick(done, reference))
    finally:
        ledger.close()
        if bar is not None:
            bar.finish()
    print(f"Exported to {conn.name}: {report}", file=out)
    for item in bad:
        print(f"unreadable {item.where}: {item.error}", file=out)
    for result in [*report.failed, *report.uncertain]:
        print(f"{result.status.value} {result.reference}: {result.message}", file=out)
    for reference in report.not_attempted:
        print(f"not attempted {reference}", file=out)
    for reference in report.duplicates:
        print(f"duplicate {reference}: it appears more than once in this batch; one copy was exported", file=out)
    return 0 if report.ok and not bad else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accounting-connectors",
        description="Send invoices, receipts and corrections to online accounting services.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="issue a sample invoice on a provider's embedded sandbox and save its PDF",
        description="Issue a sample invoice on the embedded sandbox of a built-in provider (no network, "
        "no account), print its number and save its PDF.",
    )
    demo.add_argument(
        "--provider", default=DEFAULT_SANDBOX, choices=builtin_providers(), help="whose sandbox (default: smartbill)"
    )
    demo.add_argument("--pdf", default="demo-invoice.pdf", metavar="PATH", help="where to write the PDF")
    demo.add_argument("--async", dest="use_async", action="store_true", help="use the asynchronous client")
    demo.set_defaults(handler=_demo)

    caps = commands.add_parser("capabilities", help="print what each installed connector can do")
    caps.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text", help="output format")
    caps.set_defaults(handler=_capabilities)

    names = commands.add_parser("providers", help="list the installed providers")
    names.set_defaults(handler=_providers)

    export = commands.add_parser(
        "export",
        help="send the documents in JSON / JSON Lines files, each at most once",
        description="Send every document in the files (or folders) given, through the export workflow "
        "with its send-once ledger. Exits 1 if any document failed, is uncertain or unreadable.",
    )
    export.add_argument("paths", nargs="+", metavar="PATH", help="JSON or JSON Lines files, or folders of them")
    export.add_argument("--config", metavar="FILE", help='JSON or TOML: {"provider", "credentials", "settings"}')
    export.add_argument("--ledger", default="exports.db", metavar="FILE", help="the send-once ledger (SQLite)")
    export.add_argument("--kind", choices=("invoice", "receipt", "correction"), default="invoice",
                        help="kind of documents without a \"kind\" key")  # fmt: skip
    export.add_argument("--sandbox", action="store_true", help="send to a provider's embedded fake")
    export.add_argument(
        "--provider",
        choices=builtin_providers(),
        help="whose sandbox, with --sandbox (default: the config's or smartbill)",
    )
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    export.set_defaults(handler=_export)
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
        sys.stdout.flush()
    except BrokenPipeError:
        # `capabilities | head`: the reader left; say nothing more (and let Python's
        # final flush of stdout go nowhere instead of printing a second error).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except AccountingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return status
