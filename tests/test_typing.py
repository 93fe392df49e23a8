"""Type checkers see each provider's settings: a misspelt setting is a type error."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is part of the test extra")

SNIPPET = """
import accounting_connectors as ac

ac.connect("smartbill", username="u", token="t", company_vat_code="RO1")
ac.connect("smartbill", username="u", tokne="t", company_vat_code="RO1")
ac.connect_async("infakt", api_key="k", company_tax_id="1234563218", timeout=5.0)
ac.connect_async("infakt", api_kye="k", company_tax_id="1234563218")
name: str = "smartbill"
ac.connect(name, {"username": "u", "token": "t", "company_vat_code": "RO1"})
ac.connect(name, username="u")
"""


def test_connect_overloads_catch_misspelt_settings(tmp_path: Path) -> None:
    source = tmp_path / "uses_connect.py"
    source.write_text(SNIPPET, encoding="utf-8")
    out, err, status = mypy_api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    errors = {line.split(":")[1] for line in out.splitlines() if ": error:" in line}
    assert errors == {"5", "7", "10"}, out + err
    assert status == 1
