"""Every Python example of README.md and of docs/ runs as written, and runs again.

Each page's ```` ```python ```` blocks run in page order in one namespace of the page's
own, in a temporary working directory (the examples write ``exports.db``, PDFs...), with
no network: ``ac.connect`` and ``ac.connect_async`` calls that give no transport are sent
to the provider's demo fake (one per provider and page, on the page's virtual clock), with
the fake's ``demo_settings`` in place of the example's credentials. The names an example
takes from the surrounding prose (``orders``, a ``conn``...) come from a short prelude per
page, below. A function ``test_*`` that a block defines is called too, with the
testing kit's fixtures by name (``smartbill_fake``, ``fake_clock``...).

Each page runs twice, in the same folder, to prove the examples can be run again and
again. A block that cannot run (a fragment, a sketch of a plugin package) is skipped only
when the page marks it with ``<!-- no-run -->`` on the line before its fence; the number
of blocks run is checked, so a block cannot silently stop running.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

import accounting_connectors as ac
from accounting_connectors import registry
from accounting_connectors.testing import FakeClock, FakeProvider, VirtualClock

ROOT = Path(__file__).resolve().parent.parent
NO_RUN = "<!-- no-run -->"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)

# What a page's examples take from its prose. Runs first, in the page's namespace.
_INVOICE = """
import datetime as dt
from decimal import Decimal

import accounting_connectors as ac

invoice = ac.Invoice(
    reference="ORDER-1001",
    issue_date=dt.date(2026, 1, 15),
    buyer=ac.Party(
        name="Exemplu SRL", tax_id="RO87654321", is_company=True,
        address=ac.Address(street="Str. Memorandumului 28", city="Cluj-Napoca", region="Cluj", country="RO"),
    ),
    lines=[
        ac.Line(name="Cafea boabe 1 kg", quantity=3, unit="buc", unit_price="89.90", vat=ac.VatRate.of(21)),
        ac.Line(name="Rasnita", quantity=1, unit="buc", unit_price="249.00", vat=ac.VatRate.of(21), discount_percent=10),
    ],
    currency="RON",
)
"""
_POLISH_INVOICE = """
import datetime as dt

import accounting_connectors as ac

invoice = ac.Invoice(
    reference="order-1001",
    issue_date=dt.date(2026, 1, 15),
    buyer=ac.Party(
        name="Kowalski Sp. z o.o.", tax_id="5252344078", is_company=True,
        address=ac.Address(street="Prosta 1", city="Warszawa", postal_code="00-001", country="PL"),
    ),
    lines=[ac.Line(name="Produkt A", quantity=2, unit="szt.", unit_price="100.00", vat=ac.VatRate.of(23))],
    currency="PLN",
)
"""
_ORDERS = """
import datetime as dt

import accounting_connectors as ac

orders = invoices = [
    ac.Invoice(
        reference=f"WEB-{number}",
        issue_date=dt.date(2026, 1, 15),
        series="WEB",
        buyer=ac.Party(name="Ion Popescu", address=ac.Address(city="Cluj-Napoca", region="Cluj", country="RO")),
        lines=[ac.Line(name="Cafea boabe 1 kg", quantity=1, unit="buc", unit_price="89.90", vat=ac.VatRate.of(21))],
        currency="RON",
    )
    for number in range(1, 4)
]
"""
_CONN = """
conn = ac.connect("smartbill", username="me@firma.ro", token="...", company_vat_code="RO12345678")
"""
_SMARTBILL_FAKE = """
from accounting_connectors.testing import FakeClock, SmartBillFake

clock = FakeClock()
"""
PRELUDES: Mapping[str, str] = {
    "README.md": _ORDERS,
    "docs/index.md": _INVOICE,
    "docs/concepts.md": _INVOICE,
    "docs/export.md": _INVOICE + _ORDERS + _CONN,
    "docs/testing.md": _INVOICE,
    "docs/providers/smartbill.md": _INVOICE + _SMARTBILL_FAKE,
    "docs/providers/infakt.md": _POLISH_INVOICE,
}


@attrs.define
class Block:
    """One fenced Python block of a page."""

    line: int
    code: str
    run: bool


def pages() -> list[Path]:
    """README.md, then every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def python_blocks(text: str) -> list[Block]:
    """The page's ```` ```python ```` blocks, in order, each with its ``no-run`` mark."""
    blocks = []
    for match in _FENCE.finditer(text):
        if match["info"].strip().split(" ")[0] not in ("python", "py", "pycon"):
            continue
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        line = text.count("\n", 0, match.start()) + 2
        blocks.append(Block(line, textwrap.dedent(match["body"]), before != NO_RUN))
    return blocks


class DemoRouter:
    """``connect`` and ``connect_async`` sending to the demo fakes of one page."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.fakes: dict[str, FakeProvider] = {}

    def fake(self, name: str) -> FakeProvider:
        if name not in self.fakes:
            self.fakes[name] = registry.fake_class(name).demo(clock=self.clock)
        return self.fakes[name]

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def connect(name: str, settings: Mapping[str, Any] | None = None, /, **options: Any) -> Any:
            merged, driver = registry._split(settings, options)
            if "transport" in driver or "http_client" in driver or "base_url" in merged:
                # The example says where to send (a fake, or one served on loopback).
                return original(name, merged, **driver)
            fake = self.fake(name)
            # The demo account's credentials replace the example's placeholders; every
            # other setting the example gives (series, options) is kept.
            merged.update(fake.demo_settings)
            driver.setdefault("clock", self.clock)
            return original(name, merged, transport=fake, **driver)

        return connect


def fixture_value(name: str, router: DemoRouter) -> Any:
    """The testing kit's pytest fixture ``name``, as the plugin builds it."""
    if name == "fake_clock":
        return router.clock
    if name == "virtual_clock":
        return VirtualClock()
    if name.endswith("_fake"):
        return registry.fake_class(name.removesuffix("_fake")).demo(clock=router.clock)
    raise LookupError(f"an example's test asks for the fixture {name!r}, which this harness does not provide")


def run_test_function(function: Callable[..., Any], router: DemoRouter) -> None:
    arguments = {name: fixture_value(name, router) for name in inspect.signature(function).parameters}
    result = function(**arguments)
    if inspect.iscoroutine(result):
        asyncio.run(result)


def run_page(page: Path, router: DemoRouter) -> int:
    """Runs the page's blocks in one namespace; the number of blocks run."""
    relative = page.relative_to(ROOT).as_posix()
    namespace: dict[str, Any] = {"__name__": f"docs_example_{page.stem}"}
    prelude = PRELUDES.get(relative)
    if prelude is not None:
        exec(compile(prelude, f"<prelude of {relative}>", "exec"), namespace)
    ran = 0
    for block in python_blocks(page.read_text(encoding="utf-8")):
        if not block.run:
            continue
        before = set(namespace)
        code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
        exec(code, namespace)
        for name in sorted(set(namespace) - before):
            value = namespace[name]
            if name.startswith("test_") and inspect.isfunction(value):
                run_test_function(value, router)
        ran += 1
    return ran


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _routed(monkeypatch: pytest.MonkeyPatch) -> DemoRouter:
    router = DemoRouter(FakeClock())
    for name in ("connect", "connect_async"):
        routed = router.wrap(getattr(registry, name))
        monkeypatch.setattr(registry, name, routed)
        monkeypatch.setattr(ac, name, routed)
    return router


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_example_of_the_page_runs_twice(
    page: Path, in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    for attempt in range(2):  # the second run finds the first run's files in place
        with monkeypatch.context() as patch:
            router = _routed(patch)
            ran = run_page(page, router)
        assert ran == sum(block.run for block in blocks), f"run {attempt + 1}"
    capsys.readouterr()


def test_examples_are_found_and_most_run() -> None:
    counts = {page.name: python_blocks(page.read_text(encoding="utf-8")) for page in pages()}
    total = sum(len(blocks) for blocks in counts.values())
    ran = sum(block.run for blocks in counts.values() for block in blocks)
    assert len(python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))) >= 7
    assert total >= 45
    # Skipping is the exception: every block runs unless its page marks it.
    assert ran >= total - 10, f"{total - ran} of {total} blocks are marked {NO_RUN}"


def test_a_marked_block_is_skipped_and_an_unmarked_one_runs() -> None:
    text = "Intro\n\n<!-- no-run -->\n```python\nraise SystemExit\n```\n\n```python\nx = 1\n```\n"
    assert [block.run for block in python_blocks(text)] == [False, True]
    assert python_blocks("    ```python\n    y = 2\n    ```\n")[0].code == "y = 2\n"
