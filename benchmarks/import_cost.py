"""What ``import accounting_connectors`` costs, against ``import httpx``.

Each import is timed in a fresh interpreter (``python -c``, so nothing is cached in the
process), the two alternating so a busy machine slows both alike; the result is the median
of ``--runs`` processes each (11 by default) and the ratio of the medians. The goal is at
most 1.3x: the package itself needs httpx, so what it adds on top is what is measured.

    python benchmarks/import_cost.py [--runs 11] [--goal 1.3] [--module NAME ...]

Bytecode is compiled once into a temporary cache first, as an installed package has it
(``--source``: none, every import compiles the package from source, as in a checkout with
``PYTHONDONTWRITEBYTECODE=1``; httpx keeps its installed bytecode).
``--module`` adds other imports to time (``accounting_connectors.testing``,
``accounting_connectors.export``...). The exit status is 1 when the ratio is above the goal.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

_TIMER = "import time; t = time.{timer}(); import {module}; print(time.{timer}() - t)"


def import_seconds(module: str, env: dict[str, str], timer: str = "perf_counter") -> float:
    """Seconds ``import module`` takes in a fresh interpreter (wall clock, or ``process_time``)."""
    code = _TIMER.format(module=module, timer=timer)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--goal", type=float, default=1.3)
    parser.add_argument("--module", action="append", default=[], help="another module to time")
    parser.add_argument("--cpu", action="store_true", help="CPU time instead of wall time (steadier on a busy machine)")
    parser.add_argument(
        "--source", action="store_true", help="compile from source on every import (PYTHONDONTWRITEBYTECODE=1)"
    )
    args = parser.parse_args()
    modules = ["httpx", "accounting_connectors", *args.module]
    samples: dict[str, list[float]] = {module: [] for module in modules}
    with tempfile.TemporaryDirectory() as cache:
        # An installed package has its bytecode compiled (pip does it), so every module is
        # compiled once, into a cache of this run's own (PYTHONDONTWRITEBYTECODE, if set,
        # would make the package pay for compiling its source on every import).
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if args.source:  # a checkout without bytecode: what the package's own source costs to compile
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        for module in modules:  # warm the file-system cache and write the bytecode first
            import_seconds(module, env)
        timer = "process_time" if args.cpu else "perf_counter"
        for _ in range(args.runs):
            for module in modules:
                samples[module].append(import_seconds(module, env, timer))
    medians = {module: statistics.median(values) for module, values in samples.items()}
    base = medians["httpx"]
    for module, median in medians.items():
        print(f"import {module:<40} {median * 1000:7.1f} ms  {median / base:5.2f}x httpx")
    ratio = medians["accounting_connectors"] / base
    verdict = "within" if ratio <= args.goal else "above"
    print(f"accounting_connectors / httpx = {ratio:.2f} ({verdict} the goal of {args.goal:.2f}x)")
    return 0 if ratio <= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())
