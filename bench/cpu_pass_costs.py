"""What a CPU forward pass of 1..8 new tokens costs (decode steps and speculative verification passes),
for each dtype asked, one model, one process: the agent's decoding is mostly such passes.

    python bench/cpu_pass_costs.py [--model qwen2.5-coder-1.5b] [--dtype auto gguf bfloat16] [--positions 1024]

(auto: the engine's default, for a GGUF model on a CPU with bf16 the bf16 weights plus the blocks.)
"""

from __future__ import annotations

import argparse
import time

import torch

from kog.engine import Engine


def pass_costs(engine: Engine, positions: int, repeats: int) -> list[float]:
    runner = engine.runner
    text = "def f(x):\n    return x + 1\n" * (positions // 8 + 1)
    ids = torch.tensor(engine.tokenizer.encode(text)[: positions + 8])
    runner.forward(ids[:positions], 0, last_only=True)
    costs = []
    for n in range(1, 9):
        runner.forward(ids[positions : positions + n], positions)  # warm-up
        t = time.perf_counter()
        for _ in range(repeats):
            runner.forward(ids[positions : positions + n], positions)
        costs.append((time.perf_counter() - t) / repeats * 1e3)
    return costs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--dtype", nargs="+", default=["auto", "gguf", "bfloat16"])
    ap.add_argument("--positions", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args()
    print(
        f"{args.model}, {args.positions} positions, {torch.get_num_threads()} threads: ms a pass of 1..8 rows"
    )
    for dtype in args.dtype:
        engine = Engine.load(args.model, device="cpu", dtype=None if dtype == "auto" else dtype, draft="none")
        costs = pass_costs(engine, args.positions, args.repeats)
        print(f"{dtype:9} " + " ".join(f"{c:7.1f}" for c in costs))
        del engine


if __name__ == "__main__":
    main()
