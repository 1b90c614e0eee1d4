"""Where a decode step's time goes: per-kernel GPU time of eager (graph-less, PDL-less) decode steps
of the CUDA runner on random weights, from torch.profiler, averaged per step. With `--rows N`, the
passes are N-row verification passes (speculative decoding), and the graph-replayed wall time of a
pass of 1..8 rows is printed first.

    python bench/profile_step.py [--model qwen2.5-coder-0.5b] [--weights gguf] [--prompt 512] [--steps 20]
                                 [--rows 8]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

from kog.engine.cuda.bench_models import BENCH_MODELS, random_runner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", nargs="+", default=sorted(BENCH_MODELS), choices=sorted(BENCH_MODELS))
    ap.add_argument("--weights", nargs="+", default=["gguf", "bf16"], choices=["gguf", "bf16"])
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rows", type=int, default=1, help="rows a pass (1: plain decode)")
    args = ap.parse_args()
    for name in args.model:
        cfg = BENCH_MODELS[name]
        for kind in args.weights:
            prompt = torch.randint(0, cfg.vocab_size, (args.prompt,), device="cuda")
            if args.rows > 1:
                timed = random_runner(name, kind, args.prompt + 64)
                timed.forward(prompt, 0, last_only=True)
                costs = []
                for n in range(1, 9):
                    for _ in range(3):
                        timed.forward(prompt[:n], args.prompt)
                    torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    for _ in range(20):
                        timed.forward(prompt[:n], args.prompt)
                    torch.cuda.synchronize()
                    costs.append((time.perf_counter() - t0) / 20 * 1000)
                print(f"\n{name} {kind}: ms per graph-replayed pass of 1..8 rows (forward, logits out): "
                      + " ".join(f"{c:.3f}" for c in costs))  # fmt: skip
                del timed
            runner = random_runner(name, kind, args.prompt + 64, pdl=False, use_graphs=False)
            token = int(runner.forward(prompt, 0, last_only=True)[-1].argmax())
            runner.decode(4, token=token, pos=args.prompt)
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                if args.rows > 1:
                    for _ in range(args.steps):
                        runner.forward(prompt[: args.rows], args.prompt)
                else:
                    runner.decode(args.steps)
                torch.cuda.synchronize()
            totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
            for event in prof.events():
                if event.device_type == torch.autograd.DeviceType.CUDA:
                    totals[event.name][0] += event.device_time_total
                    totals[event.name][1] += 1
            step_us = sum(t for t, _ in totals.values()) / args.steps
            print(
                f"\n{name} {kind}: {step_us:.0f} us of kernel time per {args.rows}-row pass (no PDL, no graph)"
            )
            for kernel, (us, count) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
                print(
                    f"  {us / args.steps:8.1f} us/step  {count / args.steps:5.1f}/step  {us / count:6.2f} us each  {kernel[:70]}"
                )
            del runner
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
