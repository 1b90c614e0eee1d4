"""Decode-attention kernels side by side: error against the torch reference and time per launch
(CUDA-graph replays of back-to-back launches, PDL on), at the models' head shapes and several contexts.

    python bench/attention_probe.py [--sources attention_v4.cu attention.cu] [--once]

`--once` launches each kernel once per shape and exits (for `ncu`).
"""

from __future__ import annotations

import argparse
import math

import torch

from kog.kernels.attention import AttentionWorkspace, attention_reference
from kog.kernels.build import load_kernel
from kog.kernels.launch import f32, i32, launch, ptr

SHAPES = {"0.5b": (14, 2, 64), "1.5b": (12, 2, 128)}
CASES = [(576, 40, 1), (576, 520, 1), (4096, 520, 1), (4096, 520, 8), (4096, 4000, 1), (32768, 32000, 1)]


FLOOR = r"""
extern "C" __global__ void attention_decode(const float* q, const void* k, const void* v, const int* state,
                                            float* out, float* po, float* pml, int* counters, int n_heads,
                                            int n_kv, int head_dim, int max_seq, int max_splits, float scale) {
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
  asm volatile("griddepcontrol.wait;" ::: "memory");
  if (threadIdx.x == 0 && blockIdx.y == 0) out[blockIdx.x] = (float)__ldcg(state);
}
"""


def kernel(source: str):
    if source != "floor":
        return load_kernel(source, "attention_decode")
    import cupy

    fn = cupy.RawModule(code=FLOOR).get_function("attention_decode")
    fn.max_dynamic_shared_size_bytes = 64 * 1024
    return fn


def shared_bytes(source: str, n_heads: int, n_kv: int, head_dim: int) -> int:
    if source == "attention_v4.cu":  # the previous design: one block per KV head, tiles in shared memory
        return max(2 * 64 * (head_dim * 2 + 16), n_heads // n_kv * 8 * 128 * 4)
    return 0


def run(source, q, k, v, state, out, ws, n_heads, pdl=True):
    n_kv, max_seq, head_dim = k.shape
    args = [
        ptr(q), ptr(k), ptr(v), ptr(state), ptr(out), ptr(ws.part_o), ptr(ws.part_ml), ptr(ws.counters),
        i32(n_heads), i32(n_kv), i32(head_dim), i32(max_seq), i32(ws.max_splits),
        f32(math.log2(math.e) / math.sqrt(head_dim)),
    ]  # fmt: skip
    launch(
        kernel(source),
        (n_kv if source == "attention_v4.cu" else n_heads, ws.max_splits, q.shape[0]),
        (128, 1, 1),
        args,
        shared_mem=shared_bytes(source, n_heads, n_kv, head_dim),
        pdl=pdl,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sources", nargs="+", default=["attention_v4.cu", "attention.cu"])
    ap.add_argument("--once", action="store_true")
    ap.add_argument("--shape", nargs="+", default=sorted(SHAPES), choices=sorted(SHAPES))
    ap.add_argument("--case", nargs="+", type=int, default=list(range(len(CASES))))
    args = ap.parse_args()
    print(f"{'shape':6} {'max_seq':>7} {'pos':>6} {'rows':>4}  " + "  ".join(f"{s:>24}" for s in args.sources))
    for shape in args.shape:
        n_heads, n_kv, head_dim = SHAPES[shape]
        for max_seq, start, n in (CASES[i] for i in args.case):
            g = torch.Generator(device="cuda").manual_seed(start)
            k = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
            v = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
            q = torch.randn(n, n_heads * head_dim, generator=g, device="cuda") * 2
            state = torch.tensor([start, 0], dtype=torch.int32, device="cuda")
            ws = AttentionWorkspace.allocate(n_heads, n_kv, head_dim, max_seq, "cuda")
            want = attention_reference(q, k, v, start)
            cells = []
            for source in args.sources:
                out = torch.full_like(want, float("nan"))
                run(source, q, k, v, state, out, ws, n_heads, pdl=False)
                torch.cuda.synchronize()
                err = ((out.double() - want.double()).norm() / want.double().norm()).item()
                if args.once:
                    cells.append(f"err {err:.1e}")
                    continue
                stream = torch.cuda.Stream()
                with torch.cuda.stream(stream):
                    for _ in range(3):
                        run(source, q, k, v, state, out, ws, n_heads)
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph, stream=stream):
                        for _ in range(100):
                            run(source, q, k, v, state, out, ws, n_heads)
                    graph.replay()
                    torch.cuda.synchronize()
                    start_ev, end_ev = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start_ev.record(stream)
                    for _ in range(10):
                        graph.replay()
                    end_ev.record(stream)
                    torch.cuda.synchronize()
                us = start_ev.elapsed_time(end_ev) * 1000 / 1000
                cells.append(f"{us:7.2f} us  err {err:.1e}")
            print(f"{shape:6} {max_seq:7d} {start:6d} {n:4d}  " + "  ".join(f"{c:>24}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
