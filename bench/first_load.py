"""A model's first load on a machine: the CUDA runner built and prepared as the engine does with a
drafter (kernels compiled by NVRTC, graphs of 1..8-row passes captured), timed in a fresh process with
an empty kernel cache, then again in another with that cache warm.

    python bench/first_load.py --model qwen2.5-coder-1.5b [--threads 1 0] [--kind gguf]

`--threads`: the builds' threads for each cold/warm pair (0: one a CPU core, the default). Random
weights of the model's real shapes and formats (what is compiled does not depend on the values).
Prints a table and writes `bench/results/first-load-*.json`.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts, result_path  # noqa: E402


def child(model: str, kind: str) -> None:
    import torch

    import kog.kernels.build as build
    from kog.engine.cuda.bench_models import random_runner

    start = time.perf_counter()
    runner = random_runner(model, kind, 1024)
    torch.cuda.synchronize()
    made = time.perf_counter()
    runner.prepare()
    torch.cuda.synchronize()
    done = time.perf_counter()
    token = runner.decode_step(0, 0)
    print(json.dumps({
        "runner_s": made - start, "prepare_s": done - made, "modules": len(build._built), "token": token,
    }))  # fmt: skip


def run(model: str, kind: str, threads: int, cache: str) -> dict:
    env = dict(os.environ, CUPY_CACHE_DIR=cache)
    if threads:
        env["KOG_BUILD_THREADS"] = str(threads)
    else:
        env.pop("KOG_BUILD_THREADS", None)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--model", model, "--kind", kind],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - start
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--kind", default="gguf", choices=["gguf", "bf16"])
    ap.add_argument("--threads", type=int, nargs="+", default=[0])
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.model, args.kind)
        return
    rows = []
    for threads in args.threads:
        with tempfile.TemporaryDirectory(prefix="kog-kernel-cache-") as cache:
            for cache_state in ("cold", "warm"):
                figures = run(args.model, args.kind, threads, cache)
                rows.append({"threads": threads or os.cpu_count(), "cache": cache_state, **figures})
    print(f"{args.model} ({args.kind}), first load of the CUDA runner")
    print(f"{'threads':>7} {'cache':>5} {'modules':>7} {'runner s':>8} {'prepare s':>9} {'process s':>9}")
    for r in rows:
        print(
            f"{r['threads']:>7} {r['cache']:>5} {r['modules']:>7} {r['runner_s']:>8.1f} "
            f"{r['prepare_s']:>9.1f} {r['process_s']:>9.1f}"
        )
    path = result_path("first-load")
    path.write_text(
        json.dumps({**machine_facts(), "model": args.model, "kind": args.kind, "runs": rows}, indent=1)
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
