"""The command line, run in-process through ``main([...])``."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import accounting_connectors as ac
from accounting_connectors import cli
from accounting_connectors.registry import providers
from accounting_connectors.testing.faults import Fault
from accounting_connectors.testing.smartbill import SmartBillFake


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> list[SmartBillFake]:
    """Every SmartBill fake the CLI builds, so tests can inspect what it stored."""
    built: list[SmartBillFake] = []

    class Recording(SmartBillFake):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(cli, "fake_class", lambda name: Recording)
    return built


def _field(output: str, name: str) -> str:
    match = re.search(rf"^{name}:\s+(\S+)", output, re.MULTILINE)
    assert match, output
    return match.group(1)


@pytest.mark.parametrize("driver", [[], ["--async"]], ids=["sync", "async"])
def test_demo_issues_an_invoice_and_writes_its_pdf(
    driver: list[str], tmp_path: Path, fakes: list[SmartBillFake], capsys: pytest.CaptureFixture[str]
) -> None:
    pdf_path = tmp_path / "out" / "invoice.pdf"
    pdf_path.parent.mkdir()

    assert cli.main(["demo", "--pdf", str(pdf_path), *driver]) == 0

    output = capsys.readouterr().out
    assert pdf_path.read_bytes().startswith(b"%PDF")
    (fake,) = fakes
    (stored,) = fake.invoices()
    assert _field(output, "Number") == stored.series + stored.number == "FCT0001"
    assert Decimal(_field(output, "Total")) == stored.total
    assert stored.body["client"]["vatCode"] == "RO87654321"
    assert any(product["isDiscount"] for product in stored.body["products"])
    assert {product["taxPercentage"] for product in stored.body["products"]} == {Decimal(21)}
    assert str(pdf_path) in output


def test_demo_writes_demo_invoice_pdf_in_the_working_directory_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 0
    assert (tmp_path / "demo-invoice.pdf").read_bytes().startswith(b"%PDF")
    assert "FCT0001" in capsys.readouterr().out


def test_demo_reports_an_unwritable_pdf_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["demo", "--pdf", str(tmp_path / "missing" / "invoice.pdf")])
    assert status == 1
    assert "error:" in capsys.readouterr().err


def test_demo_reports_a_missing_vat_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class NoStandardRate(SmartBillFake):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.taxes = [("Redusa", Decimal(11))]

    monkeypatch.setattr(cli, "fake_class", lambda name: NoStandardRate)
    assert cli.main(["demo", "--pdf", str(tmp_path / "x.pdf")]) == 1
    assert "no 21% VAT rate" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_demo_reports_an_ambiguous_outcome_without_resending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    built: list[SmartBillFake] = []

    class Failing(SmartBillFake):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice")
            built.append(self)

    monkeypatch.setattr(cli, "fake_class", lambda name: Failing)
    assert cli.main(["demo", "--pdf", str(tmp_path / "x.pdf")]) == 1
    assert "error: [smartbill.send_invoice]" in capsys.readouterr().err
    (fake,) = built
    assert len(fake.invoices()) == 1  # created once, never sent again
    assert [request.url.path for request in fake.requests].count("/SBORO/api/invoice") == 1


def test_demo_invoice_is_a_valid_document() -> None:
    invoice = cli.demo_invoice()
    assert invoice.buyer.is_company
    assert all(line.vat == ac.VatRate.of(21) for line in invoice.lines)
    assert any(line.discount_percent for line in invoice.lines)
    assert ac.from_dict(ac.to_dict(invoice), ac.Invoice) == invoice


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [("text", "capability  "), ("markdown", "| capability |"), ("html", "<table>"), ("json", '"send_invoice": {')],
)
def test_capabilities_in_each_format(fmt: str, marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["capabilities", "--format", fmt]) == 0
    output = capsys.readouterr().out
    assert "smartbill" in output
    assert marker in output


def test_capabilities_defaults_to_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["capabilities"]) == 0
    assert capsys.readouterr().out.strip() == str(ac.capability_matrix())


def test_providers_lists_each_installed_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["providers"]) == 0
    assert capsys.readouterr().out.split() == providers()
    assert "smartbill" in providers()


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], [], ["capabilities", "--format", "pdf"], ["demo", "--unknown"]],
    ids=["bad-subcommand", "no-subcommand", "bad-format", "bad-option"],
)
def test_bad_arguments_return_non_zero(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_version_and_help_return_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert ac.__version__ in capsys.readouterr().out
    assert cli.main(["demo", "--help"]) == 0
    assert "--pdf" in capsys.readouterr().out


def test_main_module_runs_the_command_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Executed in-process (runpy cannot load it under pytest's import hook) so coverage sees it.
    path = Path(cli.__file__).with_name("__main__.py")
    monkeypatch.setattr(sys, "argv", ["accounting-connectors", "providers"])
    with pytest.raises(SystemExit) as exit_:
        exec(
            compile(path.read_text(), str(path), "exec"),
            {"__name__": "__main__", "__package__": "accounting_connectors"},
        )
    assert exit_.value.code == 0
    assert "smartbill" in capsys.readouterr().out.split()


def test_python_dash_m_runs_main() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "accounting_connectors", "providers"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "smartbill" in result.stdout.split()


def test_a_sandbox_export_keeps_only_the_latest_documents(
    tmp_path: Path, fakes: list[SmartBillFake], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    line = ac.Line(name="Carte", quantity=1, unit="buc", unit_price="30.00", vat=ac.VatRate.of(11))
    template = ac.to_dict(
        ac.Invoice(reference="x", issue_date="2026-01-15", buyer=ac.Party(name="Client"), lines=[line], currency="RON")
    )
    orders = tmp_path / "orders.jsonl"
    orders.write_text("".join(json.dumps({**template, "reference": f"o-{index}"}) + "\n" for index in range(5)))
    monkeypatch.setattr(SmartBillFake, "recent_documents", 2)
    assert cli.main(["export", str(orders), "--sandbox", "--ledger", str(tmp_path / "l.db"), "--quiet"]) == 0
    (fake,) = fakes
    assert fake.keep_documents is False and fake.keep_log is False
    assert [document.number for document in fake.documents] == ["0004", "0005"]  # all 5 numbered, 2 kept
    capsys.readouterr()
