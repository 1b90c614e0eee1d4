"""Where a decode step's time goes: per-kernel GPU time of eager (graph-less, PDL-less) decode steps
of the CUDA runner on random weights, from torch.profiler, averaged per step.

    python bench/profile_step.py [--model qwen2.5-coder-0.5b] [--weights gguf] [--prompt 512] [--steps 20]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

from kog.engine.cuda.bench_models import BENCH_MODELS, random_gguf_weights, random_weights
from kog.engine.cuda.quant_weights import quant_linear
from kog.engine.cuda.runner import CudaRunner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", nargs="+", default=sorted(BENCH_MODELS), choices=sorted(BENCH_MODELS))
    ap.add_argument("--weights", nargs="+", default=["gguf", "bf16"], choices=["gguf", "bf16"])
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    for name in args.model:
        cfg = BENCH_MODELS[name]
        for kind in args.weights:
            if kind == "gguf":
                runner = CudaRunner(cfg, random_gguf_weights(name, cfg, "cuda"), args.prompt + 64,
                                    linear_factory=quant_linear, pdl=False, use_graphs=False)  # fmt: skip
            else:
                runner = CudaRunner(
                    cfg, random_weights(cfg, "cuda"), args.prompt + 64, pdl=False, use_graphs=False
                )
            prompt = torch.randint(0, cfg.vocab_size, (args.prompt,), device="cuda")
            token = int(runner.forward(prompt, 0, last_only=True)[-1].argmax())
            runner.decode(4, token=token, pos=args.prompt)
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                runner.decode(args.steps)
                torch.cuda.synchronize()
            totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
            for event in prof.events():
                if event.device_type == torch.autograd.DeviceType.CUDA:
                    totals[event.name][0] += event.device_time_total
                    totals[event.name][1] += 1
            step_us = sum(t for t, _ in totals.values()) / args.steps
            print(f"\n{name} {kind}: {step_us:.0f} us of kernel time per step (no PDL, no graph)")
            for kernel, (us, count) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
                print(
                    f"  {us / args.steps:8.1f} us/step  {count / args.steps:5.1f}/step  {us / count:6.2f} us each  {kernel[:70]}"
                )
            del runner
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
