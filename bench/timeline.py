"""What each kernel adds to a graph-replayed decode step, read from the kernels themselves.

With KOG_TIMELINE set, every kernel's first block records the GPU's global clock when its wait on the
previous kernel returns (kernels/common.cuh). Inside a PDL chain a kernel's wait returns once the
kernel before it has finished, so the gap between two consecutive returns is the time the earlier
kernel spent on the step's critical path after its own wait returned: its work, its tail and the
hand-over to the next. Unlike per-kernel times of eager launches (bench/profile_step.py), these include
what the overlap with the neighbours hides or adds. The gap after a step's last kernel also holds the
gap between two graph replays. Also printed: how long before its wait returned a kernel's first block
had reached it (how early it launched).

    python bench/timeline.py [--model qwen2.5-coder-1.5b] [--weights gguf bf16] [--prompt 512]
                             [--steps 32] [--cache 16384]
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections import defaultdict

SLOTS = 65536
os.environ.setdefault("KOG_TIMELINE", str(SLOTS))  # before any kernel is built

import cupy  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from kog.engine.cuda.bench_models import BENCH_MODELS, random_runner  # noqa: E402
from kog.engine.cuda.runner import CudaRunner  # noqa: E402
from kog.engine.cuda.step import StepMode  # noqa: E402
from kog.kernels.build import TIMELINE_SLOTS, timeline_modules  # noqa: E402
from kog.kernels.launch import log_launches  # noqa: E402


def _buffers() -> list:
    """Each built module's `kog_timeline` array (slot 0 the count, then [grid id, reached, returned])."""
    return [
        cupy.ndarray((1 + 3 * TIMELINE_SLOTS,), dtype=cupy.uint64, memptr=m.get_global("kog_timeline"))
        for m in timeline_modules()
    ]


def _records() -> np.ndarray:
    """Every module's records as rows [grid id, reached, returned], ordered by return."""
    rows = []
    for buf in _buffers():
        count = min(int(buf[0].get()), TIMELINE_SLOTS)
        rows.append(buf[1 : 1 + 3 * count].get().reshape(count, 3))
    table = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.uint64)
    return table[np.argsort(table[:, 2], kind="stable")]


def _kind(name: str) -> str:
    return name.removesuffix("_r1").removesuffix("_r2").removesuffix("_r4")


def timeline(runner: CudaRunner, prompt_len: int, steps: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The kernel names of one decode step and, per step and kernel, the ns from the previous kernel's
    wait return to this one's ([steps, kernels]) and from reaching the wait to its return."""
    cfg = runner.cfg
    token = int(
        runner.forward(torch.randint(0, cfg.vocab_size, (prompt_len,), device="cuda"), 0, last_only=True)[
            -1
        ].argmax()
    )
    runner.decode(8, token=token, pos=prompt_len)  # capture and warm up
    short = runner._short(prompt_len + 1)
    with log_launches() as names:  # one step's launches, in order (eager, the same sequence the graph holds)
        runner.graphs.step.record(1, StepMode.GREEDY, short)
    torch.cuda.synchronize()
    runner.start(token, prompt_len)
    if short != runner._short(prompt_len + steps + 1):
        raise SystemExit("the steps would cross from the short-context graphs to the others: fewer --steps")
    for buf in _buffers():
        buf.fill(0)
    torch.cuda.synchronize()
    runner.decode(steps)
    torch.cuda.synchronize()
    table = _records()
    per_step = len(names)
    if len(table) != per_step * steps:
        raise SystemExit(
            f"{len(table)} records for {steps} steps of {per_step} launches: a kernel without a wait?"
        )
    returned = table[:, 2].astype(np.int64).reshape(steps, per_step)
    reached = table[:, 1].astype(np.int64).reshape(steps, per_step)
    # What kernel i adds: from its own wait's return to the next kernel's (the next step's first for the last).
    nxt = np.concatenate([returned[:, 1:], np.roll(returned[:, :1], -1, axis=0)], axis=1)
    added = (nxt - returned)[:-1]  # the last step has no next step
    early = (returned - reached)[:-1]
    return names, added, early


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", nargs="+", default=sorted(BENCH_MODELS), choices=sorted(BENCH_MODELS))
    ap.add_argument("--weights", nargs="+", default=["gguf", "bf16"], choices=["gguf", "bf16"])
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument(
        "--cache", type=int, default=None, help="KV cache positions (default: prompt + steps + 64)"
    )
    args = ap.parse_args()
    for name in args.model:
        for kind in args.weights:
            runner = random_runner(name, kind, args.cache or args.prompt + args.steps + 64)
            names, added, early = timeline(runner, args.prompt, args.steps)
            step_us = added.sum(axis=1) / 1e3
            print(
                f"\n{name} {kind}: {len(names)} launches a step, {statistics.median(step_us):.1f} us a step "
                f"(median of {len(step_us)}), prompt {args.prompt}"
            )
            by_kind: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
            med = np.median(added, axis=0) / 1e3
            med_early = np.median(early, axis=0) / 1e3
            for i, kernel in enumerate(names):
                entry = by_kind[_kind(kernel)]
                entry[0] += med[i]
                entry[1] += med_early[i]
                entry[2] += 1
            print(f"  {'us/step':>8} {'count':>5} {'us each':>8} {'launched early by':>17}  kernel")
            for kernel, (us, us_early, count) in sorted(by_kind.items(), key=lambda kv: -kv[1][0]):
                print(f"  {us:8.1f} {count:5d} {us / count:8.2f} {us_early / count:14.2f} us  {kernel}")
            layer = [f"{names[i][:28]} {med[i]:.2f}" for i in range(len(names)) if i < 12]
            print("  first launches (us each): " + ", ".join(layer))
            del runner
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
