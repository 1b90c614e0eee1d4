"""Test-run latency: `run_tests` on every example repository, forked from the warm pytest and as a
fresh process (KOG_WARM_TESTS=0), alternating, in one process; prints a table and saves a JSON.

    python bench/test_runs.py [--repeats 5] [--only inventory --only memo]

The first warm run of the process starts the server; it is reported apart and left out of the
medians. Runs use the examples' own test command, the failing tests included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fix_examples import EXAMPLES, example_names, scratch_repo  # noqa: E402
from machine import machine_facts, result_path  # noqa: E402

from kog.tools.testrunner import resolve_test_command, run_tests  # noqa: E402


def timed_run(root: Path, command: str, warm: bool) -> float:
    os.environ["KOG_WARM_TESTS"] = "1" if warm else "0"
    started = time.perf_counter()
    run = run_tests(root, command)
    elapsed = time.perf_counter() - started
    if not run.cases:
        raise SystemExit(f"{root.name}: no test results ({run.output_tail[-300:]})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", action="append", default=None)
    args = parser.parse_args()
    rows, first_warm = [], None
    with tempfile.TemporaryDirectory(prefix="kog-test-runs-") as scratch:
        for name in args.only or example_names():
            root = scratch_repo(EXAMPLES / name, Path(scratch))
            command = resolve_test_command(root)
            if first_warm is None:
                first_warm = timed_run(root, command, warm=True)
            times: dict[str, list[float]] = {"warm": [], "plain": []}
            for _ in range(args.repeats):
                for mode in ("plain", "warm"):
                    times[mode].append(timed_run(root, command, warm=mode == "warm"))
            warm, plain = statistics.median(times["warm"]), statistics.median(times["plain"])
            rows.append({"example": name, "warm_s": warm, "plain_s": plain, "runs": times})
            print(f"{name:12s} plain {plain:6.2f} s   warm {warm:6.2f} s   x{plain / warm:4.1f}", flush=True)
    warm_all = statistics.median(r["warm_s"] for r in rows)
    plain_all = statistics.median(r["plain_s"] for r in rows)
    print(
        f"{'median':12s} plain {plain_all:6.2f} s   warm {warm_all:6.2f} s   (first warm run {first_warm:.2f} s)"
    )
    out = result_path("test_runs")
    out.write_text(
        json.dumps(
            {
                "machine": machine_facts(),
                "repeats": args.repeats,
                "first_warm_s": first_warm,
                "examples": rows,
            },
            indent=1,
        )
    )
    print(f"saved {out}")


if __name__ == "__main__":
    main()
