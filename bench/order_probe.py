"""Whether a model's one-row decode speed depends on what ran before it in the process: builds and
times the stored-block runners of a sequence of models one after another (each freed before the
next), as `kog-agent bench` times each model, and prints tok/s for each.

    python bench/order_probe.py --sequence qwen2.5-coder-0.5b qwen2.5-coder-1.5b qwen2.5-coder-0.5b
        [--carveout 100] [--prompt 512] [--new-tokens 256]

`--carveout` sets every kernel's preferred shared-memory carveout (percent) as it is built.
"""

from __future__ import annotations

import argparse
import gc

import torch

import kog.kernels.build as build

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--sequence", nargs="+", required=True)
parser.add_argument("--carveout", type=int, default=None)
parser.add_argument("--prompt", type=int, default=512)
parser.add_argument("--new-tokens", type=int, default=256)
args = parser.parse_args()

if args.carveout is not None:  # before the kernel modules import load_kernel
    plain = build.load_kernel

    def with_carveout(source: str, name: str, rows: int = 1):  # noqa: ANN201
        kernel = plain(source, name, rows)
        kernel.preferred_shared_memory_carveout = args.carveout
        return kernel

    build.load_kernel = with_carveout

from kog.engine.cuda.bench_models import BENCH_MODELS, random_gguf_weights  # noqa: E402
from kog.engine.cuda.benchmark import decode_timing  # noqa: E402
from kog.engine.cuda.quant_weights import quant_linear  # noqa: E402
from kog.engine.cuda.runner import CudaRunner  # noqa: E402

print(f"{torch.cuda.get_device_name()}, carveout {args.carveout}")
for i, name in enumerate(args.sequence):
    cfg = BENCH_MODELS[name]
    blocks = random_gguf_weights(name, cfg, "cuda")
    runner = CudaRunner(cfg, blocks, args.prompt + args.new_tokens + 16, linear_factory=quant_linear)
    del blocks
    t = decode_timing(name, runner, args.prompt, args.new_tokens, roofline=1.0)
    print(
        f"{i} {name}: {t.tok_s:.0f} tok/s ({', '.join(f'{r:.1f}' for r in t.runs_ms)} ms a run)", flush=True
    )
    del runner
    gc.collect()
    torch.cuda.empty_cache()
