"""One CPU decode step with the compiled small steps (kernels/cpu_ops.c) against the same step with
torch's, alternating in one process (this machine's speed drifts between runs, not within a round).

    python bench/cpu_step_ab.py [--model qwen2.5-coder-0.5b] [--dtype gguf] [--positions 512]

Prints the median ms a step of each over the rounds and the largest logit difference of one step.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from kog.engine import Engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--dtype", default="gguf", choices=["gguf", "bfloat16", "int8"])
    ap.add_argument("--positions", type=int, default=512, help="tokens in the cache before the timed steps")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=8, help="decode steps a round and path")
    args = ap.parse_args()
    engine = Engine.load(args.model, device="cpu", dtype=args.dtype, draft="none")
    runner, decoder = engine.runner, engine.runner.model
    if decoder.ops is None:
        raise SystemExit("this engine has no compiled CPU steps (a float32 model, or KOG_CPU_KERNELS=0)")
    compiled = decoder.ops
    text = "def f(x):\n    return x + 1\n" * (args.positions // 8 + 1)
    ids = torch.tensor(engine.tokenizer.encode(text)[: args.positions])
    runner.forward(ids, 0, last_only=True)
    token = torch.tensor([int(ids[-1])])
    times: dict[str, list[float]] = {"torch": [], "compiled": []}
    for _ in range(args.rounds):
        for name, ops in (("torch", None), ("compiled", compiled)):
            decoder.ops = ops
            t = time.perf_counter()
            for i in range(args.steps):
                runner.forward(token, args.positions + i, last_only=True)
            times[name].append((time.perf_counter() - t) / args.steps * 1e3)
    decoder.ops = None
    plain = runner.forward(token, args.positions, last_only=True)
    decoder.ops = compiled
    fast = runner.forward(token, args.positions, last_only=True)
    print(f"{args.model} {args.dtype}, {args.positions} positions, {torch.get_num_threads()} threads")
    for name, values in times.items():
        rounds = " ".join(f"{v:.1f}" for v in values)
        print(f"{name:9} median {statistics.median(values):6.2f} ms a step  (rounds: {rounds})")
    same = int(plain.argmax()) == int(fast.argmax())
    print(f"largest logit difference {float((plain - fast).abs().max()):.4f}; same argmax: {same}")


if __name__ == "__main__":
    main()
