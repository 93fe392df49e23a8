"""Documents and settings from files, and the ``export`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import accounting_connectors as ac
from accounting_connectors.cli import ProgressBar, demo_invoice, main
from accounting_connectors.export import Numbering, PaymentFallback, SeriesRule, SQLiteLedger
from accounting_connectors.export.files import BadDocument, count_documents, read_documents, settings_from_dict


def write_batch(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    with (folder / "a.jsonl").open("w") as lines:
        for index in range(count):
            lines.write(json.dumps(ac.to_dict(attrs.evolve(demo_invoice(), reference=f"ORD-{index}"))) + "\n")
    receipt = ac.Receipt(reference="POS-1", issue_date="2026-01-15", lines=demo_invoice().lines[:1], currency="RON")
    (folder / "b.json").write_text(json.dumps([{"kind": "receipt", **ac.to_dict(receipt)}]))
    (folder / "notes.txt").write_text("not a document file")


def test_folders_are_read_lazily_and_in_order(tmp_path: Path) -> None:
    write_batch(tmp_path / "in", 3)
    documents = list(read_documents([tmp_path / "in"]))
    assert [document.reference for document in documents if not isinstance(document, BadDocument)] == [
        "ORD-0",
        "ORD-1",
        "ORD-2",
        "POS-1",
    ]
    assert isinstance(documents[-1], ac.Receipt)
    assert count_documents([tmp_path / "in"]) == 4


def test_unreadable_documents_say_where_and_why(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"reference": "x"}\nnot json\n[1]\n{"kind": "memo"}\n')
    bad = list(read_documents([tmp_path / "bad.jsonl"]))
    assert all(isinstance(item, BadDocument) for item in bad)
    assert [item.where for item in bad] == [f"{tmp_path / 'bad.jsonl'}:{line}" for line in (1, 2, 3, 4)]  # type: ignore[union-attr]
    assert bad[0].error.field == "issue_date"  # type: ignore[union-attr]
    assert bad[3].error.field == "kind"  # type: ignore[union-attr]
    with pytest.raises(ac.ConfigurationError, match="does not exist"):
        list(read_documents([tmp_path / "missing.json"]))


def test_settings_from_json() -> None:
    settings = settings_from_dict(
        {
            "numbering": "provider",
            "series": {"WEB": "FCT", "INT": "do not send", "POS": "provider default"},
            "unmapped_series": "do not send",
            "payment_types": {"card": "Card"},
            "unmapped_payment": "fail",
        }
    )
    assert settings.numbering is Numbering.PROVIDER
    assert settings.series == {"WEB": "FCT", "INT": SeriesRule.DO_NOT_SEND, "POS": SeriesRule.PROVIDER_DEFAULT}
    assert settings.unmapped_series is SeriesRule.DO_NOT_SEND
    assert settings.unmapped_payment is PaymentFallback.FAIL
    assert settings_from_dict({"unmapped_payment": "Card"}).unmapped_payment == "Card"
    for bad in ({"colour": "red"}, {"numbering": "mine"}, {"unmapped_series": "FCT"}):
        with pytest.raises(ac.ConfigurationError):
            settings_from_dict(bad)


def test_export_command_sends_once_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_batch(tmp_path / "in", 12)
    ledger = tmp_path / "ledger.db"
    assert main(["export", str(tmp_path / "in"), "--sandbox", "--ledger", str(ledger)]) == 0
    out, err = capsys.readouterr()
    assert "sent 13" in out
    assert "13/13" in err  # the progress bar reached the end
    entries = SQLiteLedger(ledger).entries()
    assert len(entries) == 13
    # A second run against a fresh sandbox sends nothing: the ledger remembers.
    assert main(["export", str(tmp_path / "in"), "--sandbox", "--ledger", str(ledger), "--quiet"]) == 0
    assert "already sent 13" in capsys.readouterr().out


def test_export_command_with_settings_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_batch(tmp_path / "in", 2)
    (tmp_path / "in" / "c.jsonl").write_text('{"reference": "half"}\n')
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"settings": {"use_provider_document": True}}))
    status = main(
        ["export", str(tmp_path / "in"), "--sandbox", "--config", str(config), "--ledger", str(tmp_path / "l.db")]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "sent 3" in out and "unreadable" in out and "c.jsonl:1" in out


def test_export_command_needs_a_provider(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_batch(tmp_path / "in", 1)
    assert main(["export", str(tmp_path / "in"), "--ledger", str(tmp_path / "l.db")]) == 2
    assert "--sandbox" in capsys.readouterr().err


def test_export_command_against_a_configured_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounting_connectors import cli
    from accounting_connectors.testing import FakeClock, SmartBillFake

    clock = FakeClock()
    fake = SmartBillFake(clock=clock)
    real_connect = cli.connect

    def connect_to_fake(provider: str, settings: Any = None, **options: Any) -> ac.Client:
        return real_connect(provider, settings, transport=fake, clock=clock, **options)

    monkeypatch.setattr(cli, "connect", connect_to_fake)
    write_batch(tmp_path / "in", 2)
    config = tmp_path / "config.json"
    credentials = {"username": "demo@example.ro", "token": "demo-token", "company_vat_code": "RO12345678"}
    config.write_text(json.dumps({"provider": "smartbill", "credentials": credentials}))
    assert (
        main(["export", str(tmp_path / "in" / "a.jsonl"), "--config", str(config), "--ledger", str(tmp_path / "l.db")])
        == 0
    )
    assert len(fake.invoices()) == 2


def test_progress_bar_without_a_terminal_prints_each_tenth() -> None:
    class Lines:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    stream = Lines()
    bar = ProgressBar(stream)  # type: ignore[arg-type]
    for done in range(1, 101):
        bar(done, 100, f"r{done}")
    bar(101, None, "r101")
    bar.finish()
    assert stream.text.count("\n") == 12  # 0.., 1.., ... 10 tenths, plus the stream without a total
    assert "[##############################] 100/100 r100" in stream.text
