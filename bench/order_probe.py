"""Whether a model's one-row decode speed depends on what ran before it in the process: builds and
times stored-block runners of random weights one after another, as `kog-agent bench` times each model,
and prints tok/s and where each runner's buffers lie.

    python bench/order_probe.py --sequence qwen2.5-coder-0.5b keep:qwen2.5-coder-0.5b again:0 free
        [--carveout 100] [--prompt 512] [--new-tokens 256]

Each entry of the sequence is one action:
    NAME        build NAME's runner (weights made on the GPU, as the bench does), time it, free it
    cpu:NAME    the same with the weights made on the CPU (no model-sized GPU scratch before the build)
    keep:NAME   build and time, and keep the runner (numbered from 0 in the order kept)
    prepared:NAME  build, capture its verification graphs as the engine does with a drafter, time it
    again:I     time kept runner I again
    graphs:I    capture kept runner I's step graphs anew, then time it
    buffers:I   give kept runner I new decode buffers (activations, cache, workspaces) and graphs, time it
    dummy:K     capture, replay and drop K graphs of one small kernel (dummykeep:K: keep them)
    recapture:I capture kept runner I's step graphs anew over the same step (its tensors kept), time it
    place:I:KIB:WHAT  give kept runner I new graphs with WHAT placed KIB KiB into a fresh 8 MiB
                allocation: `step` (the step's q/k/v and gate/up outputs), `act` (the residual stream,
                q, attention and MLP activations) or `ws` (the SiLU-image workspaces), then time it
    pad:MB      allocate MB of GPU memory and keep it until `free`
    free        free the kept runners and pads, and empty torch's allocator cache

`--carveout` sets every kernel's preferred shared-memory carveout (percent) as it is built.
`--arena` carves each runner's stored blocks out of one allocation of that many MiB (instead of one
allocation a matrix).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc

import torch

import kog.kernels.build as build

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--sequence", nargs="+", required=True)
parser.add_argument("--carveout", type=int, default=None)
parser.add_argument("--arena", type=int, default=None)
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
from kog.engine.cuda.buffers import DecodeBuffers  # noqa: E402
from kog.engine.cuda.graphs import StepGraphs  # noqa: E402
from kog.engine.cuda.quant_weights import quant_linear  # noqa: E402
from kog.engine.cuda.runner import CudaRunner  # noqa: E402
from kog.engine.cuda.step import DecodeStep  # noqa: E402
from kog.kernels import quant  # noqa: E402


def tensors(obj: object, seen: set[int]) -> list[torch.Tensor]:
    """Every tensor reachable from obj through dataclass fields, sequences and object attributes."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return [obj] if obj.is_cuda else []
    if isinstance(obj, (list, tuple)):
        return [t for item in obj for t in tensors(item, seen)]
    if dataclasses.is_dataclass(obj):
        return [t for f in dataclasses.fields(obj) for t in tensors(getattr(obj, f.name), seen)]
    if hasattr(obj, "__dict__") and type(obj).__module__.startswith("kog."):
        return [t for value in vars(obj).values() for t in tensors(value, seen)]
    return []


def where(runner: CudaRunner) -> str:
    def span(ts: list[torch.Tensor]) -> str:
        ptrs = sorted(t.data_ptr() for t in ts)
        mib = sum(t.untyped_storage().nbytes() for t in ts) / 2**20
        return f"{len(ts)} tensors, {mib:.0f} MiB, {ptrs[0]:#x}..{ptrs[-1]:#x}"

    ws = ", ".join(f"{k[1]} B at {v.data_ptr():#x}" for k, v in quant._WORKSPACES.items())
    return (
        f"   weights {span(tensors(runner.weights, set()))}\n   buffers {span(tensors(runner.bufs, set()))}\n"
        f"   workspaces {ws or 'none'}; allocator reserved {torch.cuda.memory_reserved() / 2**20:.0f} MiB"
    )


def hot(runner: CudaRunner) -> str:
    """Addresses (and their offsets in a 2 MiB page) of the small tensors every layer reads and writes."""
    b = runner.bufs
    named = {"x": b.x, "q": b.q, "attn": b.attn, "mlp": b.mlp, "qkv_out": b.qkv_out, "gate_up": b.gate_up}
    named.update({f"ws{k[1]}": v for k, v in quant._WORKSPACES.items()})
    return "   " + ", ".join(
        f"{k} {t.data_ptr():#x} (+{t.data_ptr() % (2 << 20) >> 10} KiB)" for k, t in named.items()
    )


_placements: list[torch.Tensor] = []  # kept alive with the graphs that captured their addresses


def place(runner: CudaRunner, kib: int, what: str) -> None:
    """New step graphs for a kept runner, with one group of hot tensors moved into a fresh allocation."""
    arena = torch.zeros(8 << 20, dtype=torch.uint8, device="cuda")
    _placements.append(arena)
    offset = kib << 10

    def carve(t: torch.Tensor) -> torch.Tensor:
        nonlocal offset
        n = t.numel() * t.element_size()
        view = arena[offset : offset + n].view(t.dtype).view(t.shape)
        offset += (n + 255) // 256 * 256
        return view

    b = runner.bufs
    if what == "act":
        runner.bufs = dataclasses.replace(b, x=carve(b.x), q=carve(b.q), attn=carve(b.attn), mlp=carve(b.mlp))
    elif what == "step":
        runner.bufs = dataclasses.replace(b, qkv_out=carve(b.qkv_out), gate_up=carve(b.gate_up))
    elif what == "ws":
        for key, t in list(quant._WORKSPACES.items()):
            quant._WORKSPACES[key] = carve(t)
    else:
        raise SystemExit(f"place: unknown group {what!r}")
    step = DecodeStep(runner.cfg, runner.weights, runner.bufs, pdl=runner.pdl)
    runner.graphs = StepGraphs(step, enabled=True)
    gc.collect()


class ArenaTorch:
    """torch for kog.kernels.quant, whose large uint8 zeros (QuantLinear's buffers) come from one arena."""

    def __init__(self, mib: int) -> None:
        self.arena = torch.zeros(mib << 20, dtype=torch.uint8, device="cuda")
        self.used = 0

    def __getattr__(self, name: str) -> object:
        return getattr(torch, name)

    def zeros(self, n: int, *, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        if dtype != torch.uint8 or n < 1 << 16:
            return torch.zeros(n, dtype=dtype, device=device)
        start, self.used = self.used, self.used + (n + 255) // 256 * 256
        if self.used > self.arena.numel():
            raise SystemExit(f"--arena {args.arena} MiB is too small")
        return self.arena[start : start + n]


def build_runner(name: str, device: str) -> CudaRunner:
    cfg = BENCH_MODELS[name]
    blocks = random_gguf_weights(name, cfg, device)
    if args.arena:
        quant.torch = ArenaTorch(args.arena)
    try:
        return CudaRunner(cfg, blocks, args.prompt + args.new_tokens + 16, linear_factory=quant_linear)
    finally:
        if args.arena:
            print(
                f"   arena {quant.torch.used / 2**20:.0f} of {args.arena} MiB used at {quant.torch.arena.data_ptr():#x}"
            )
            quant.torch = torch


def time(label: str, name: str, runner: CudaRunner) -> None:
    t = decode_timing(name, runner, args.prompt, args.new_tokens, roofline=1.0)
    runs = ", ".join(f"{r:.1f}" for r in t.runs_ms)
    print(f"{label} {name}: {t.tok_s:.0f} tok/s ({runs} ms a run)", flush=True)


print(f"{torch.cuda.get_device_name()}, carveout {args.carveout}")
kept: list[tuple[str, CudaRunner]] = []
pads: list[torch.Tensor] = []
dummies: list[torch.cuda.CUDAGraph] = []
for i, action in enumerate(args.sequence):
    verb, _, arg = action.rpartition(":")
    if action == "free":
        kept.clear()
        pads.clear()
        gc.collect()
        torch.cuda.empty_cache()
        print(f"{i} free", flush=True)
    elif verb == "pad":
        pads.append(torch.zeros(int(arg) << 20, dtype=torch.uint8, device="cuda"))
        print(f"{i} pad {arg} MiB at {pads[-1].data_ptr():#x}", flush=True)
    elif verb.startswith("place:"):
        index, what = verb.split(":")[1], arg
        kib = int(action.split(":")[2])
        name, runner = kept[int(index)]
        place(runner, kib, what)
        time(f"{i} {action}:", name, runner)
        print(hot(runner), flush=True)
    elif verb in ("dummy", "dummykeep"):
        for _ in range(int(arg)):
            t = torch.zeros(1024, device="cuda")
            t.add_(1)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                t.add_(1)
            g.replay()
            if verb == "dummykeep":
                pads.append(t)
                dummies.append(g)
        torch.cuda.synchronize()
        print(f"{i} {verb} {arg}", flush=True)
    elif verb == "recapture":
        name, runner = kept[int(arg)]
        runner.graphs = StepGraphs(runner.graphs.step, enabled=True)
        gc.collect()
        time(f"{i} recapture {arg}:", name, runner)
        print(hot(runner), flush=True)
    elif verb in ("again", "graphs", "buffers"):
        name, runner = kept[int(arg)]
        if verb == "buffers":
            runner.bufs = DecodeBuffers.allocate(runner.cfg, runner.max_seq_len, runner.device)
        if verb != "again":
            step = DecodeStep(runner.cfg, runner.weights, runner.bufs, pdl=runner.pdl)
            runner.graphs = StepGraphs(step, enabled=True)
            gc.collect()
        time(f"{i} {verb} {arg}:", name, runner)
        print(hot(runner), flush=True)
        if verb == "buffers":
            print(where(runner), flush=True)
    elif verb in ("", "cpu", "keep", "prepared"):
        runner = build_runner(arg, "cpu" if verb == "cpu" else "cuda")
        if verb == "prepared":  # the engine's order with a drafter: verification graphs, then the step's
            runner.prepare()
        time(f"{i} {verb or 'build'}{f' {len(kept)}' if verb == 'keep' else ''}:", arg, runner)
        print(where(runner), flush=True)
        if verb == "keep":
            kept.append((arg, runner))
        del runner
        gc.collect()
        torch.cuda.empty_cache()
    else:
        parser.error(f"unknown action {action!r}")
