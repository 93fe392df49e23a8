"""``import accounting_connectors`` loads only what sending a document needs.

The fakes, the command line, the export workflow, cattrs (until ``to_dict``/``from_dict``),
the drivers, the provider base and tenacity (until a connector is built), asyncio and
importlib.metadata stay unloaded;
``benchmarks/import_cost.py`` measures the time this saves against ``import httpx``.
"""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = [
    "accounting_connectors.client",
    "accounting_connectors.provider",
    "accounting_connectors.flow",
    "accounting_connectors.ratelimit",
    "accounting_connectors.testing",
    "accounting_connectors.cli",
    "accounting_connectors.export",
    "accounting_connectors.serialization",
    "accounting_connectors.connectors.smartbill",
    "cattrs",
    "tenacity",
    "asyncio",
    "importlib.metadata",
]


def _loaded_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def test_the_package_alone_loads_none_of_the_lazy_parts() -> None:
    loaded = _loaded_after("import accounting_connectors as ac\nac.Invoice, ac.connect, ac.AccountingError")
    assert "accounting_connectors.model" in loaded and "httpx" in loaded
    assert sorted(loaded & set(LAZY)) == []


def test_lazy_names_load_on_first_use() -> None:
    code = (
        "import accounting_connectors as ac\n"
        "assert 'to_dict' in dir(ac) and 'to_dict' in ac.__all__\n"
        "from accounting_connectors import from_dict\n"
        "assert ac.to_dict(ac.VatRate.of(21)) is not None and callable(from_dict)\n"
        "from accounting_connectors.client import AsyncClient, Client\n"
        "assert ac.Client is Client and ac.AsyncClient is AsyncClient\n"
        "try:\n    ac.no_such_name\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)\n"
    )
    loaded = _loaded_after(code)
    assert {"accounting_connectors.serialization", "cattrs"} <= loaded


def test_a_connector_loads_the_drivers() -> None:
    code = (
        "import accounting_connectors as ac\n"
        "from accounting_connectors.testing import SmartBillFake\n"
        "fake = SmartBillFake.demo()\n"
        "with ac.connect('smartbill', SmartBillFake.demo_settings, transport=fake) as conn:\n"
        "    assert isinstance(conn, ac.Client) and conn.list_series()\n"
    )
    assert {"accounting_connectors.client", "tenacity"} <= _loaded_after(code)
