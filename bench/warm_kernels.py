"""Compiles every CUDA source for 1..MAX_ROWS activation rows (a thread a CPU core, as the runner's
`prepare` does), so CuPy's disk cache holds them before tests or benchmarks run (a fresh GPU machine
otherwise compiles on first use).

    python bench/warm_kernels.py [--workers 16]
"""

from __future__ import annotations

import argparse
import time

from kog.kernels.build import MAX_ROWS, SOURCE_DIR, prebuild


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=None, help="threads (default: one a CPU core)")
    args = ap.parse_args()
    modules = [
        (path.name, rows) for path in sorted(SOURCE_DIR.glob("*.cu")) for rows in range(1, MAX_ROWS + 1)
    ]
    start = time.perf_counter()
    built = prebuild(modules, workers=args.workers)
    print(f"compiled {built} modules in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
