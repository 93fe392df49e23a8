"""Credentials a provider echoes never reach the ledger file, the report or an error.

Each provider answers the create with a text that echoes one of its credentials: as given,
base64-encoded or URL-encoded. The answer goes through the exporter into an SQLite ledger
on disk; the file's bytes, ``repr``/``str`` of the :class:`ExportReport`, every error (its
text, ``field_errors`` and traceback) and every stored document must hold none of them.
"""

from __future__ import annotations

import base64
import json
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.export import Exporter, ExportStatus, IntegrationSettings, SQLiteLedger
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.ifirma import IFirmaFake
from accounting_connectors.testing.infakt import InFaktFake
from accounting_connectors.testing.smartbill import SmartBillFake

SECRET = "s3cr+t/key=ü"  # characters that differ in every encoding
IFIRMA_KEYS = {"faktura": "EAB0D8ACF3308F3B", "abonent": "0A1B2C3D4E5F6071"}


def forms(secret: str) -> dict[str, str]:
    """The ways a provider may echo ``secret``."""
    encoded = base64.b64encode(secret.encode()).decode()
    return {
        "raw": secret,
        "base64": encoded,
        "base64-unpadded": encoded.rstrip("="),
        "url-encoded": urllib.parse.quote(secret, safe=""),
        "url-encoded-plus": urllib.parse.quote_plus(secret),
    }


def _buyer_pl() -> ac.Party:
    address = ac.Address(street="ul. Długa 1", city="Kraków", postal_code="30-001", country="PL")
    return ac.Party(name="Sklep Sp. z o.o.", tax_id="5260250274", is_company=True, address=address)


def _invoice(currency: str, rate: int, buyer: ac.Party) -> ac.Invoice:
    return ac.Invoice(
        reference="order-1",
        issue_date="2026-01-15",
        buyer=buyer,
        lines=[ac.Line(name="Tricou", quantity=1, unit="buc", unit_price="10.00", vat=ac.VatRate.of(rate))],
        currency=currency,
    )


@attrs.frozen
class Case:
    """One provider: its fake, settings, credentials and the path its create goes to."""

    name: str
    fake: Callable[[FakeClock], Any]
    settings: dict[str, Any]
    credentials: dict[str, str]
    create_path: str
    invoice: ac.Invoice
    # How the provider words an answer, per kind of answer: (status, JSON body).
    answers: dict[str, Callable[[str], tuple[int, Any]]]
    status_path: str | None = None  # inFakt: the task's outcome comes from its status poll


def _smartbill_fake(clock: FakeClock) -> SmartBillFake:
    return SmartBillFake(token=SECRET, clock=clock)


def _infakt_fake(clock: FakeClock) -> InFaktFake:
    return InFaktFake(api_key=SECRET, clock=clock)


def _ifirma_fake(clock: FakeClock) -> IFirmaFake:
    return IFirmaFake(keys=IFIRMA_KEYS, clock=clock)


SMARTBILL_BASIC = base64.b64encode(f"demo@example.ro:{SECRET}".encode()).decode()

CASES = [
    Case(
        name="smartbill",
        fake=_smartbill_fake,
        settings={"username": "demo@example.ro", "token": SECRET, "company_vat_code": "RO12345678"},
        credentials={"token": SECRET, "basic": SMARTBILL_BASIC},
        create_path="/invoice",
        invoice=_invoice("RON", 21, ac.Party(name="Ion Popescu")),
        answers={
            "refused": lambda echo: (400, {"errorText": f"Token invalid: {echo}", "message": "", "number": ""}),
            "server-error": lambda echo: (500, {"errorText": f"Eroare: {echo}", "message": "", "number": ""}),
            # A number wins (issue 8, "never twice" 2): SENT, the text kept in raw.
            "number-and-error": lambda echo: (
                200,
                {"errorText": f"Avertisment {echo}", "message": echo, "number": "0001", "series": "FCT", "url": ""},
            ),
        },
    ),
    Case(
        name="infakt",
        fake=_infakt_fake,
        settings={"api_key": SECRET, **{k: v for k, v in InFaktFake.demo_settings.items() if k != "api_key"}},
        credentials={"api_key": SECRET},
        create_path="/async/invoices.json",
        invoice=_invoice("PLN", 23, _buyer_pl()),
        answers={
            "refused": lambda echo: (422, {"error": f"Klucz {echo}", "errors": {"api_key": [f"{echo} niepoprawny"]}}),
            "server-error": lambda echo: (503, {"error": f"Niedostępne {echo}"}),
            "task-failure": lambda echo: (
                200,
                {
                    "invoice_task_reference_number": "t-1",
                    "processing_code": 422,
                    "processing_description": f"Nie udało się stworzyć faktury ({echo})",
                    "invoice_errors": {"client": [f"klucz {echo}"], echo: ["pole"]},
                },
            ),
        },
        status_path="/async/invoices/status/",
    ),
    Case(
        name="ifirma",
        fake=_ifirma_fake,
        settings={
            **IFirmaFake.demo_settings,
            "invoice_key": IFIRMA_KEYS["faktura"],
            "subscriber_key": IFIRMA_KEYS["abonent"],
        },
        credentials={"faktura": IFIRMA_KEYS["faktura"], "abonent": IFIRMA_KEYS["abonent"]},
        create_path="/iapi/fakturakraj.json",
        invoice=attrs.evolve(
            _invoice("PLN", 23, _buyer_pl()),
            lines=[ac.Line(name="Koszulka", quantity=1, unit="szt.", unit_price="10.00", vat=ac.VatRate.of(23))],
        ),
        answers={
            "refused": lambda echo: (200, {"response": {"Kod": 201, "Informacja": f"Zły klucz {echo}"}}),
            "server-error": lambda echo: (500, {"response": {"Kod": 100, "Informacja": f"Problem {echo}"}}),
        },
    ),
]


class _Echo(httpx.BaseTransport):
    """The provider's fake, except that the create (or its status) answers with an echo."""

    def __init__(self, fake: Any, case: Case, kind: str, echo: str) -> None:
        self.fake, self.case, self.kind, self.echo = fake, case, kind, echo

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        target = self.case.status_path if self.kind == "task-failure" else self.case.create_path
        assert target is not None
        hit = target in path if self.kind == "task-failure" else path.endswith(target)
        if not hit:
            return self.fake.handle_request(request)  # type: ignore[no-any-return]
        if self.kind == "task-failure":
            self.fake.handle_request(request)
        status, body = self.case.answers[self.kind](self.echo)
        return httpx.Response(status, json=body)


def _params() -> Iterator[Any]:
    for case in CASES:
        for kind in case.answers:
            for credential, secret in case.credentials.items():
                for form, echo in forms(secret).items():
                    yield pytest.param(case, kind, secret, echo, id=f"{case.name}-{kind}-{credential}-{form}")


def _leaks(text: str, secret: str) -> list[str]:
    return [name for name, echo in forms(secret).items() if echo in text]


@pytest.mark.parametrize(("case", "kind", "secret", "echo"), list(_params()))
def test_an_echoed_credential_reaches_neither_the_ledger_nor_the_report(
    case: Case, kind: str, secret: str, echo: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    fake = case.fake(clock)
    # The create (for inFakt's task failure: its status poll) answers with the echo.
    transport = _Echo(fake, case, kind, echo)
    path = tmp_path / "exports.db"
    ledger = SQLiteLedger(path)
    results: list[Any] = []
    try:
        with ac.connect(case.name, transport=transport, clock=clock, max_retries=0, **case.settings) as conn:
            exporter = Exporter(conn, IntegrationSettings(), ledger, clock=clock.time)
            report = exporter.export_many([case.invoice], on_result=results.append)
            entries = ledger.entries()
    finally:
        ledger.close()
    assert [result.status for result in results] != [ExportStatus.NOT_ATTEMPTED]
    assert results and results[0].status in (ExportStatus.SENT, ExportStatus.FAILED, ExportStatus.UNCERTAIN)
    texts = {"repr(report)": repr(report), "str(report)": str(report)}
    for index, result in enumerate(results):
        texts[f"repr(result {index})"] = repr(result)
        error = result.error
        if error is not None:
            texts[f"error {index}"] = f"{error} {error!r} {getattr(error, 'field_errors', '')}"
            texts[f"traceback {index}"] = "".join(traceback.format_exception(error))
        if result.document is not None:
            texts[f"document {index}"] = json.dumps(ac.to_dict(result.document), default=str)
    for entry in entries:
        texts[f"ledger entry {entry.key.reference}"] = repr(entry)
    stored = b"".join(file.read_bytes() for file in tmp_path.iterdir() if file.name.startswith("exports.db"))
    texts["ledger file"] = stored.decode("utf-8", errors="replace")
    leaks = {where: found for where, text in texts.items() if (found := _leaks(text, secret))}
    assert leaks == {}
    assert entries, "the ledger recorded the outcome"
