"""Peak memory of ``accounting-connectors export --sandbox`` as the batch grows.

Writes N invoices to a JSON Lines file, runs the command line on it in a fresh process
(``python -m accounting_connectors export FILE --sandbox --quiet``, a ledger file of its
own) and prints that process's peak resident memory (``ru_maxrss``). The SDK's export
workflow keeps only counts; the sandbox (the provider's fake, in the same process) must
not grow with N either.

    python benchmarks/sandbox_memory.py [--sizes 1000,20000] [--provider smartbill]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_orders(path: Path, count: int) -> None:
    import accounting_connectors as ac

    line = ac.Line(name="Carte", quantity=1, unit="buc", unit_price="30.00", vat=ac.VatRate.of(11))
    template = ac.to_dict(
        ac.Invoice(reference="x", issue_date="2026-01-15", buyer=ac.Party(name="Client"), lines=[line], currency="RON")
    )
    with path.open("w", encoding="utf-8") as file:
        for index in range(count):
            file.write(json.dumps({**template, "reference": f"bench-{index}"}) + "\n")


def peak_mib(count: int, provider: str, folder: Path) -> tuple[float, float]:
    """Peak RSS (MiB) and seconds of one sandbox export of ``count`` documents."""
    orders, ledger = folder / f"orders-{count}.jsonl", folder / f"ledger-{count}.db"
    write_orders(orders, count)
    command = [sys.executable, "-m", "accounting_connectors", "export", str(orders), "--sandbox"]
    command += ["--provider", provider, "--ledger", str(ledger), "--quiet"]
    started = time.perf_counter()
    pid = subprocess.Popen(command, stdout=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"export of {count} documents failed (exit status {os.waitstatus_to_exitcode(status)})")
    seconds = time.perf_counter() - started
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return usage.ru_maxrss * (1024 / scale) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--provider", default="smartbill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for count in (int(size) for size in args.sizes.split(",")):
            mib, seconds = peak_mib(count, args.provider, Path(folder))
            print(f"{count:>8,} documents to the {args.provider} sandbox: peak RSS {mib:7.1f} MiB ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
