"""Time each reference function against its production counterpart, in one process.

Every case is run alternately (reference, production, reference, ...) so that both see the
same machine state; the median of the repeats is reported. The table goes to stdout and the
rows to ``bench.json`` as ``{name, size, reference_s, production_s, ratio}``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

import benchmarks

Case = tuple[str, int, Callable[[], object], Callable[[], object]]


def discover() -> dict[str, Callable[[], Iterator[Case]]]:
    """Every module ``benchmarks/<section>.py`` with a ``cases()`` generator is a suite."""
    suites = {}
    for info in pkgutil.iter_modules(benchmarks.__path__):
        module = importlib.import_module(f"benchmarks.{info.name}")
        if hasattr(module, "cases"):
            suites[info.name] = module.cases
    return suites


def median_seconds(
    reference: Callable[[], object], production: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median wall time of each callable, measured in alternation after one warm-up call."""
    reference(), production()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, out in ((reference, times[0]), (production, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--output", type=Path, default=Path("bench.json"))
    suites = discover()
    parser.add_argument("suites", nargs="*", help=f"any of {sorted(suites)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.suites) - set(suites)
    if unknown:
        parser.error(f"unknown suites {sorted(unknown)}; choose from {sorted(suites)}")
    torch.manual_seed(0)
    rows = []
    print(f"{'name':<28}{'size':>8}{'reference':>14}{'production':>14}{'ratio':>8}")
    for suite in args.suites or sorted(suites):
        for name, size, reference, production in suites[suite]():
            ref_s, prod_s = median_seconds(reference, production, args.repeats)
            rows.append(
                {
                    "name": name,
                    "size": size,
                    "reference_s": ref_s,
                    "production_s": prod_s,
                    "ratio": ref_s / prod_s,
                }
            )
            print(
                f"{name:<28}{size:>8}{ref_s * 1e3:>12.2f}ms{prod_s * 1e3:>12.2f}ms"
                f"{ref_s / prod_s:>8.2f}"
            )
    args.output.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
