"""Share of a provider's rate-limit ceiling that a bulk export reaches, on virtual time.

For any built-in provider: exports N copies of the demo invoice (each its own reference)
through ``AsyncExporter.export_many`` to the provider's fake, in process, with the
provider's documented limits on both sides, on a :class:`VirtualClock` (concurrent
waits overlap as real ones would, at no real cost). Prints, for the binding limit, the
calls it counted as a share of the most it allows over the run (``calls`` in any window:
``calls * (elapsed / window + 1)``), and the penalties the fake imposed (must be 0).
Scoped limits are counted by HTTP method (a POST is a create or a write), so a token
request counts as a create here.

Run: ``python benchmarks/ceiling.py --provider smartbill --documents 2000`` (or
``--provider all``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx

import accounting_connectors as ac
from accounting_connectors.cli import demo_invoice
from accounting_connectors.export import AsyncExporter, IntegrationSettings, SQLiteLedger
from accounting_connectors.limits import RateLimit, Scope
from accounting_connectors.registry import builtin_providers, fake_class, provider_class
from accounting_connectors.testing.clock import VirtualClock


def _counts(limit: RateLimit, request: httpx.Request) -> bool:
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    if limit.scope is Scope.ALL:
        return True
    if limit.scope in (Scope.WRITES, Scope.CREATES):
        return writes
    return not writes


def measure(name: str, documents: int, workers: int) -> tuple[float, int, float]:
    """(share of the binding ceiling, penalties, virtual seconds)."""
    provider = provider_class(name)
    clock = VirtualClock()
    fake = fake_class(name).demo(clock=clock)
    sample = demo_invoice(clock_date(clock), country=provider.country or "RO")

    def batch() -> Iterator[ac.Invoice]:
        for index in range(documents):
            yield attrs.evolve(sample, reference=f"ceiling-{index}")

    async def run() -> float:
        with tempfile.TemporaryDirectory() as folder:
            async with ac.connect_async(name, dict(fake.demo_settings), transport=fake, clock=clock) as conn:
                exporter = AsyncExporter(
                    conn, IntegrationSettings(max_concurrency=workers), SQLiteLedger(Path(folder) / "l.db")
                )
                await exporter.check()
                started = clock.monotonic()
                report = await exporter.export_many(batch())
                assert report.sent == documents, str(report)
                return clock.monotonic() - started

    elapsed = clock.run(run())
    shares = []
    for limit in provider.rate_limits:
        counted = sum(1 for request in fake.requests if _counts(limit, request))
        # At most `calls` in any window: over `elapsed` seconds, calls * (elapsed / window + 1).
        shares.append(counted / (limit.calls * (elapsed / limit.per_seconds + 1)))
    return max(shares, default=0.0), fake.penalties, elapsed


def clock_date(clock: VirtualClock) -> dt.date:
    return dt.datetime.fromtimestamp(clock.time(), tz=dt.UTC).date()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="smartbill", help="a built-in provider, or 'all'")
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8, help="documents in flight")
    args = parser.parse_args()
    names = builtin_providers() if args.provider == "all" else [args.provider]
    for name in names:
        share, penalties, elapsed = measure(name, args.documents, args.workers)
        print(f"{name:>12}: {share:6.1%} of the binding ceiling, penalties {penalties}, {elapsed:8.1f} virtual s")


if __name__ == "__main__":
    main()
