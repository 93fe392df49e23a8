"""Bulk export against a fake served over real HTTP on loopback.

For each batch size N, exports N invoices through ``Exporter.export_many`` to the
SmartBill fake behind a loopback HTTP server that adds a fixed latency to every answer
and enforces a configurable rate limit (the fake's penalty stays on: one call over the
limit blocks the account). Prints the achieved call rate as a fraction of the ceiling,
the penalties triggered (must be 0) and the exporting process's peak resident memory
(must stay flat as N grows: the input is a generator and the report keeps only counts of
successes). The fake and the exporter each run in a process of their own.

Run: ``python benchmarks/bulk.py --sizes 1000,10000,100000 --limit 400 --latency 0.01``
(100,000 documents at 40 calls/s take about 40 minutes; the defaults take under two).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import accounting_connectors as ac
from accounting_connectors.clock import SYSTEM_CLOCK
from accounting_connectors.export import Exporter, IntegrationSettings, SQLiteLedger
from accounting_connectors.ratelimit import CredentialLimiter, RateLimit
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.server import serve
from accounting_connectors.testing.smartbill import SmartBillFake

CREDENTIALS = {"username": "bench@example.ro", "token": "bench-token", "company_vat_code": "RO12345678"}
LINE = ac.Line(name="Carte", quantity=1, unit="buc", unit_price="30.00", vat=ac.VatRate.of(11))


def invoices(count: int) -> Iterator[ac.Invoice]:
    for index in range(count):
        yield ac.Invoice(
            reference=f"bench-{index}",
            issue_date="2026-01-15",
            buyer=ac.Party(name="Client"),
            lines=[LINE],
            currency="RON",
        )


class WallClock(FakeClock):
    """The fake's clock reads real time, so its windows match the client's real waits."""

    def time(self) -> float:
        return time.time()


def serve_fake(limit: int, window: float, latency: float, pipe: Connection) -> None:
    """In its own process, so the fake's stored documents do not count as exporter memory."""
    fake = SmartBillFake(clock=WallClock(), rate_limit=limit, rate_window=window, **CREDENTIALS)
    with serve(fake, latency=latency) as base_url:
        pipe.send(base_url)
        pipe.recv()  # until the export is done
        pipe.send((len(fake.requests), fake.penalties))


def export_batch(base_url: str, size: int, limit: int, window: float, workers: int, pipe: Connection) -> None:
    """In a fresh process, so its peak resident memory is the export's alone."""
    # The client is told the same ceiling the fake enforces.
    limiter = CredentialLimiter([RateLimit(limit, window)], SYSTEM_CLOCK)
    with (
        tempfile.TemporaryDirectory() as folder,
        ac.connect("smartbill", base_url=base_url + "/SBORO/api/", limiter=limiter, **CREDENTIALS) as conn,
    ):
        exporter = Exporter(conn, IntegrationSettings(max_concurrency=workers), SQLiteLedger(Path(folder) / "l.db"))
        exporter.check()
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = exporter.export_many(invoices(size))
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    failure = f"{report}: {report.failed[0].error!r}" if report.failed else str(report)
    pipe.send((report.sent == size, failure, elapsed, baseline / 1024, peak / 1024))


def run(size: int, limit: int, window: float, latency: float, workers: int) -> tuple[float, int, float, float, float]:
    """Achieved fraction of the ceiling, penalties, peak memory before and after (MiB), seconds."""
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_fake, args=(limit, window, latency, theirs), daemon=True)
    server.start()
    base_url = ours.recv()
    results, child_end = multiprocessing.Pipe()
    client = multiprocessing.Process(target=export_batch, args=(base_url, size, limit, window, workers, child_end))
    client.start()
    complete, summary, elapsed, baseline, peak = results.recv()
    client.join()
    ours.send("done")
    calls, penalties = ours.recv()
    server.join(timeout=10)
    assert complete, summary
    return calls / elapsed / (limit / window), penalties, baseline, peak, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated batch sizes")
    parser.add_argument("--limit", type=int, default=200, help="calls allowed per window")
    parser.add_argument("--window", type=float, default=1.0, help="seconds per window")
    parser.add_argument("--latency", type=float, default=0.01, help="seconds added to every answer")
    parser.add_argument("--workers", type=int, default=8, help="documents in flight")
    args = parser.parse_args()
    ceiling = args.limit / args.window
    print(f"ceiling {ceiling:.0f} calls/s, latency {args.latency * 1000:.0f} ms, {args.workers} in flight")
    for size in (int(part) for part in args.sizes.split(",")):
        fraction, penalties, baseline, peak, elapsed = run(size, args.limit, args.window, args.latency, args.workers)
        print(
            f"N={size:>7}: {fraction:6.1%} of the ceiling, penalties {penalties}, "
            f"peak memory {peak:6.1f} MiB (before the batch {baseline:.1f} MiB), {elapsed:6.1f} s"
        )


if __name__ == "__main__":
    main()
