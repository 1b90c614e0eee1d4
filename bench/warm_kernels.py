"""Compiles every CUDA source for 1..MAX_ROWS activation rows in parallel processes, so CuPy's disk
cache holds them before tests or benchmarks run (a fresh GPU machine otherwise compiles on first use).

    python bench/warm_kernels.py [--workers 16]
"""

from __future__ import annotations

import argparse
import re
import time
from concurrent.futures import ProcessPoolExecutor

from kog.kernels.build import MAX_ROWS, SOURCE_DIR, load_kernel
from kog.kernels.quant_reference import FORMATS

FIRST_KERNEL = re.compile(r'extern "C" __global__ void\s+(?:__launch_bounds__\([^)]*\)\s*)?(\w+)\s*\(')


def _build(job: tuple[str, str, int]) -> str:
    source, name, rows = job
    load_kernel(source, name, rows)  # compiles the whole module
    return f"{source}:{rows}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=16)
    args = ap.parse_args()
    jobs = []
    names = {fmt.source: f"{fmt.prefix}_rows_f32" for fmt in FORMATS.values()}  # kernels made by macros
    for path in sorted(SOURCE_DIR.glob("*.cu")):
        found = FIRST_KERNEL.search(path.read_text())
        name = names.get(path.name) or (found.group(1) if found else None)
        if name:
            jobs += [(path.name, name, rows) for rows in range(1, MAX_ROWS + 1)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        done = list(pool.map(_build, jobs))
    print(f"compiled {len(done)} modules in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
