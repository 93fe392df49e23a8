"""Export files as order systems write them: JSON numbers, byte-order marks, broken files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import accounting_connectors as ac
from accounting_connectors.export.files import BadDocument, count_documents, read_documents


def document(price: str = "89.9") -> str:
    # Prices and quantities as JSON numbers, not strings.
    return (
        '{"reference": "ORD-1", "issue_date": "2026-01-15", "currency": "RON",'
        ' "buyer": {"name": "Ion", "address": {"city": "Cluj", "country": "RO"}},'
        f' "lines": [{{"name": "Cafea", "quantity": 3, "unit": "buc", "unit_price": {price},'
        ' "vat": {"percent": 21}}]}'
    )


def test_json_numbers_are_read_as_exact_decimals(tmp_path: Path) -> None:
    (tmp_path / "orders.json").write_text(document("89.9"))
    (read,) = read_documents([tmp_path / "orders.json"])
    assert isinstance(read, ac.Invoice)
    assert read.lines[0].unit_price == Decimal("89.9")
    assert read.lines[0].quantity == Decimal(3)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2))
def test_any_price_written_as_a_json_number_survives_exactly(price: Decimal) -> None:
    record = json.loads(document(str(price)), parse_float=Decimal)
    assert Decimal(str(record["lines"][0]["unit_price"])) == price


def test_a_byte_order_mark_is_accepted_in_json_and_json_lines(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"\xef\xbb\xbf" + document().encode())
    (tmp_path / "b.jsonl").write_bytes(b"\xef\xbb\xbf" + document().encode() + b"\n")
    found = list(read_documents([tmp_path]))
    assert [type(item) for item in found] == [ac.Invoice, ac.Invoice]
    assert count_documents([tmp_path]) == 2


def test_broken_files_are_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "1-latin1.json").write_bytes(document().replace("Cafea", "Caf\xe9").encode("latin-1"))
    (tmp_path / "2-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "3-not-json.json").write_text("reference=ORD-1")
    (tmp_path / "4-bad-line.jsonl").write_bytes(document().encode() + b"\n\xff\xfe\n")
    (tmp_path / "5-good.json").write_text(document())
    found = list(read_documents([tmp_path]))
    reasons = [item.error.reason for item in found if isinstance(item, BadDocument)]
    assert len(reasons) == 4
    assert "not valid UTF-8" in reasons[0]
    assert "nested too deeply" in reasons[1]
    assert "not valid JSON" in reasons[2]
    assert "not valid UTF-8" in reasons[3]
    assert [type(item) for item in found if not isinstance(item, BadDocument)] == [ac.Invoice, ac.Invoice]
    assert count_documents([tmp_path]) == 6


def test_the_command_line_names_the_ceiling_and_counts_unreadable_records(tmp_path: Path, capsys: Any) -> None:
    from accounting_connectors.cli import ceiling_note, main
    from accounting_connectors.registry import provider_class

    note = ceiling_note(provider_class("smartbill"), 3000)
    assert note == "3,000 documents at SmartBill.ro's 30 calls per 10 s take at least 16m40s"
    assert ceiling_note(provider_class("smartbill"), 10) is None
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text(document() + "\nnot json\n")
    assert main(["export", str(tmp_path / "in"), "--sandbox", "--ledger", str(tmp_path / "l.db")]) == 1
    captured = capsys.readouterr()
    assert "unreadable" in captured.out and "sent 1" in captured.out
    assert "2/2" in captured.err  # the bar reaches the end although one record was unreadable


def test_capabilities_as_json_and_as_text_that_fits_80_columns(capsys: Any) -> None:
    from accounting_connectors.cli import main

    assert main(["capabilities", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["smartbill"]["send_invoice"]["support"] == "supported"
    assert main(["capabilities"]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "smartbill" in text and "[1]" in text


def test_a_ledger_that_is_a_folder_is_an_error_not_a_traceback(tmp_path: Path, capsys: Any) -> None:
    from accounting_connectors.cli import main

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_text(document())
    assert main(["export", str(tmp_path / "in"), "--sandbox", "--ledger", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"max_concurrency": "4"}, 'settings.max_concurrency must be a whole number, not "4"'),
        ({"max_concurrency": True}, "settings.max_concurrency must be a whole number, not true"),
        ({"transfer_sku": "yes"}, 'settings.transfer_sku must be true or false, not "yes"'),
        ({"series": ["FCT"]}, "settings.series must be an object"),
    ],
)
def test_settings_of_the_wrong_type_name_the_key_and_what_it_should_be(settings: dict[str, Any], says: str) -> None:
    from accounting_connectors.export.files import settings_from_dict

    with pytest.raises(ac.ConfigurationError) as caught:
        settings_from_dict(settings)
    assert says in str(caught.value)


def test_credentials_from_the_environment_and_settings_from_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from accounting_connectors import cli
    from accounting_connectors.registry import fake_class
    from accounting_connectors.testing.clock import FakeClock

    clock = FakeClock()
    fake = fake_class("smartbill").demo(clock=clock)
    real_connect = cli.connect
    seen: dict[str, Any] = {}

    def connect_to_fake(provider: str, settings: Any = None, **options: Any) -> ac.Client:
        seen.update(settings)
        return real_connect(provider, settings, transport=fake, clock=clock, **options)

    monkeypatch.setattr(cli, "connect", connect_to_fake)
    monkeypatch.setenv("ACCOUNTING_CONNECTORS_SMARTBILL_USERNAME", "demo@example.ro")
    monkeypatch.setenv("ACCOUNTING_CONNECTORS_SMARTBILL_TOKEN", "demo-token")
    monkeypatch.setenv("ACCOUNTING_CONNECTORS_SMARTBILL_SAVE_CLIENTS", "no")
    config = tmp_path / "export.toml"
    config.write_text(
        'provider = "smartbill"\n[credentials]\ncompany_vat_code = "RO12345678"\n[settings]\nmax_concurrency = 2\n'
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_text(document())
    status = cli.main(["export", str(tmp_path / "in"), "--config", str(config), "--ledger", str(tmp_path / "l.db")])
    assert status == 0, capsys.readouterr()
    assert seen == {
        "company_vat_code": "RO12345678",
        "username": "demo@example.ro",
        "token": "demo-token",
        "save_clients": False,
    }
    assert len(fake.documents) == 1


def test_an_environment_value_of_the_wrong_type_is_named() -> None:
    from accounting_connectors.cli import credentials_from_env

    with pytest.raises(
        ac.ConfigurationError, match="ACCOUNTING_CONNECTORS_SMARTBILL_SAVE_CLIENTS must be true or false"
    ):
        credentials_from_env("smartbill", {"ACCOUNTING_CONNECTORS_SMARTBILL_SAVE_CLIENTS": "maybe"})
    assert credentials_from_env("smartbill", {"OTHER": "x"}) == {}
