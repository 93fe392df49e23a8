"""A marketplace hub in one async process: K merchants x M documents, on virtual time.

Each merchant has its own SmartBill account (its own fake, with SmartBill's real limit of
30 calls in any 10 s and its 10-minute penalty) and its own connector, built the way
``docs/export.md`` recommends for a hub: every connector shares one ``httpx.AsyncClient``
(one connection pool, pool limits sized to merchants x in-flight) passed as
``http_client=``. One SQLite ledger records every merchant's documents. Every merchant
exports at once (``AsyncExporter.export_many``) on a :class:`VirtualClock`, so the rate
limits bind as in real time while the run takes only the CPU it needs.

Reported per K (each K in a fresh process, so peak RSS is that run's):

* share of the aggregate ceiling: calls counted by the fakes over the most K merchants'
  limits allow over the run (``K * 30 * (elapsed / 10 + 1)``), and penalties (must be 0);
* set-up CPU per merchant (connector, exporter, first checks);
* the SDK's own CPU per document (exporter, ledger, limiter, connector, httpx; the fakes'
  CPU is measured around each answer and taken out), and a bare
  ``httpx.AsyncClient.post`` of the same invoice body in the same process, its answering
  transport's CPU taken out the same way, with the ratio of the two;
* peak RSS.

Run: ``python benchmarks/hub.py --merchants 10,100,1000 --documents 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

import accounting_connectors as ac
from accounting_connectors.export import AsyncExporter, IntegrationSettings, SQLiteLedger
from accounting_connectors.testing.clock import VirtualClock
from accounting_connectors.testing.smartbill import SmartBillFake

LIMIT, WINDOW = 30, 10.0  # SmartBill's: 30 calls in any 10 s per credential
ANSWER = json.dumps({"errorText": "", "message": "", "number": "0001", "series": "FCT", "url": ""}).encode()


def credentials(index: int) -> dict[str, str]:
    return {"username": f"m{index}@example.ro", "token": f"token-{index}", "company_vat_code": "RO12345678"}


def invoices(merchant: int, count: int, lines: int) -> Iterator[ac.Invoice]:
    line = [
        ac.Line(name=f"Produs {i}", quantity=i + 1, unit="buc", unit_price="19.99", vat=ac.VatRate.of(21))
        for i in range(lines)
    ]
    buyer = ac.Party(name="Client SRL", address=ac.Address(city="Cluj-Napoca", region="Cluj", country="RO"))
    for index in range(count):
        yield ac.Invoice(
            reference=f"m{merchant}-{index}", issue_date="2026-01-15", buyer=buyer, lines=line, currency="RON"
        )


class Timed(httpx.AsyncBaseTransport):
    """Routes each request to its merchant's fake by credential; counts the fakes' CPU apart."""

    def __init__(self, fakes: dict[str, SmartBillFake]) -> None:
        self.fakes = fakes
        self.cpu = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.thread_time()
        try:
            return await self.fakes[request.headers["authorization"]].handle_async_request(request)
        finally:
            self.cpu += time.thread_time() - started


class Canned(httpx.AsyncBaseTransport):
    """An instant SmartBill answer, for the bare post; its CPU is counted apart too."""

    def __init__(self) -> None:
        self.cpu = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.thread_time()
        await request.aread()
        response = httpx.Response(200, content=ANSWER, headers={"Content-Type": "application/json"})
        self.cpu += time.thread_time() - started
        return response


async def bare_posts(body: bytes, count: int, in_flight: int) -> float:
    """CPU seconds per bare ``AsyncClient.post`` of ``body`` (answer parsed), transport excluded."""
    transport = Canned()
    payload = json.loads(body)
    async with httpx.AsyncClient(transport=transport) as client:

        async def one() -> None:
            response = await client.post("https://ws.smartbill.ro/SBORO/api/invoice", json=payload)
            response.json()

        for _ in range(in_flight):  # warm up
            await one()
        transport.cpu = 0.0
        started = time.process_time()
        for _ in range(count // in_flight):
            await asyncio.gather(*(one() for _ in range(in_flight)))
        return (time.process_time() - started - transport.cpu) / (count // in_flight * in_flight)


def run_hub(
    merchants: int, documents: int, lines: int, workers: int, in_thread: bool, freeze: bool, pipe: Connection
) -> None:
    clock = VirtualClock()
    fakes: dict[str, SmartBillFake] = {}
    for index in range(merchants):
        creds = credentials(index)
        fake = SmartBillFake(
            clock=clock,
            keep_log=False,
            username=creds["username"],
            token=creds["token"],
            company_vat_code=creds["company_vat_code"],
        )
        fakes[fake_authorization(index)] = fake
    transport = Timed(fakes)

    async def main() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as folder:
            ledger = SQLiteLedger(Path(folder) / "hub.db")
            limits = httpx.Limits(max_connections=merchants * workers, max_keepalive_connections=merchants * workers)
            async with httpx.AsyncClient(transport=transport, limits=limits) as shared:
                set_up = time.process_time()
                exporters = [
                    AsyncExporter(
                        ac.connect_async("smartbill", credentials(index), http_client=shared, clock=clock),
                        IntegrationSettings(max_concurrency=workers),
                        ledger,
                        ledger_in_thread=in_thread,
                    )
                    for index in range(merchants)
                ]
                await asyncio.gather(*(exporter.check() for exporter in exporters))
                set_up = time.process_time() - set_up
                gc.collect()
                if freeze:
                    gc.freeze()  # what a hub's entry point does after set-up: the collector skips it
                transport.cpu = 0.0
                started, cpu = clock.monotonic(), time.process_time()
                reports = await asyncio.gather(
                    *(
                        exporter.export_many(invoices(index, documents, lines))
                        for index, exporter in enumerate(exporters)
                    )
                )
                cpu = time.process_time() - cpu
                elapsed = clock.monotonic() - started
                fakes_cpu = transport.cpu
            ledger.close()
        assert all(report.sent == documents for report in reports), [str(r) for r in reports if r.sent != documents]
        sample = next(invoices(0, 1, lines))
        connector: Any = exporters[0].connector
        provider = connector.provider
        body = provider._post(
            "invoice", provider._invoice_body(sample, provider._taxes or []), operation="send_invoice"
        ).request.content
        bare = await bare_posts(body, 4000, min(merchants * workers, 100))
        return {"elapsed": elapsed, "cpu": cpu, "fakes_cpu": fakes_cpu, "set_up": set_up, "bare": bare}

    result = clock.run(main())
    calls = sum(fake.request_count for fake in fakes.values())
    result["calls"] = calls
    result["penalties"] = sum(fake.penalties for fake in fakes.values())
    result["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pipe.send(result)


def fake_authorization(index: int) -> str:
    import base64

    creds = credentials(index)
    return "Basic " + base64.b64encode(f"{creds['username']}:{creds['token']}".encode()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", default="10,100,1000", help="comma-separated merchant counts")
    parser.add_argument("--documents", type=int, default=20, help="documents per merchant")
    parser.add_argument("--lines", type=int, default=1, help="lines per invoice")
    parser.add_argument("--workers", type=int, default=4, help="documents in flight per merchant")
    parser.add_argument("--ledger-on-loop", action="store_true", help="AsyncExporter(ledger_in_thread=False)")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() after set-up")
    args = parser.parse_args()
    print(
        f"SmartBill {LIMIT} calls / {WINDOW:g} s per merchant, {args.documents} documents of {args.lines} line(s) "
        f"per merchant, {args.workers} in flight each, ledger {'on the loop' if args.ledger_on_loop else 'in a thread'}"
    )
    for merchants in (int(part) for part in args.merchants.split(",")):
        ours, theirs = multiprocessing.Pipe()
        child = multiprocessing.Process(
            target=run_hub,
            args=(merchants, args.documents, args.lines, args.workers, not args.ledger_on_loop, args.freeze, theirs),
        )
        child.start()
        r = ours.recv()
        child.join()
        total = merchants * args.documents
        share = r["calls"] / (merchants * LIMIT * (r["elapsed"] / WINDOW + 1))
        # The shortest run the limit allows: every window full but the last.
        ideal = (math.ceil(r["calls"] / merchants / LIMIT) - 1) * WINDOW
        sdk = (r["cpu"] - r["fakes_cpu"]) / total
        print(
            f"K={merchants:>5}: {share:6.1%} of the aggregate ceiling, penalties {r['penalties']}, "
            f"{r['elapsed']:7.1f} virtual s (shortest possible {ideal:g} s); "
            f"set-up {r['set_up'] / merchants * 1e3:6.2f} ms CPU per merchant; "
            f"SDK {sdk * 1e6:7.1f} us CPU per document (fakes {r['fakes_cpu'] / total * 1e6:6.1f} us apart), "
            f"bare post {r['bare'] * 1e6:6.1f} us, ratio {sdk / r['bare']:.2f}x; peak RSS {r['rss']:7.1f} MiB"
        )


if __name__ == "__main__":
    main()
