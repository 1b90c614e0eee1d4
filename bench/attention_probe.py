"""Decode attention, both ways of merging the context slices (a thread-block cluster; global memory
and an atomic counter): error against the torch reference and time per launch (CUDA-graph replays of
100 back-to-back launches, PDL on), at the models' head shapes and several contexts.

    python bench/attention_probe.py [--shape 0.5b 1.5b] [--case 0 1 ...]
"""

from __future__ import annotations

import argparse

import torch

from kog.kernels.attention import MAX_CLUSTER, AttentionWorkspace, attention_decode, attention_reference

SHAPES = {"0.5b": (14, 2, 64), "1.5b": (12, 2, 128)}
CASES = [(576, 40, 1), (576, 520, 1), (4096, 520, 1), (4096, 520, 8), (4096, 2000, 1), (4096, 4000, 1),
         (32768, 32000, 1)]  # fmt: skip
VARIANTS = {"cluster": MAX_CLUSTER, "atomic": 1}


def time_launches(fn, reps: int = 100) -> float:
    """Microseconds per launch of `fn` over graph replays of `reps` back-to-back launches."""
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        for _ in range(3):
            fn()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=stream):
            for _ in range(reps):
                fn()
        graph.replay()
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record(stream)
        for _ in range(10):
            graph.replay()
        end.record(stream)
        torch.cuda.synchronize()
    return start.elapsed_time(end) * 1000 / (10 * reps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shape", nargs="+", default=sorted(SHAPES), choices=sorted(SHAPES))
    ap.add_argument("--case", nargs="+", type=int, default=list(range(len(CASES))))
    args = ap.parse_args()
    print(f"{'shape':6} {'max_seq':>7} {'pos':>6} {'rows':>4}  " + "  ".join(f"{v:>22}" for v in VARIANTS))
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
            for cluster in VARIANTS.values():
                out = torch.full_like(want, float("nan"))

                def fn(q=q, k=k, v=v, state=state, out=out, ws=ws, cluster=cluster):
                    attention_decode(q, k, v, state, out, ws, pdl=True, cluster=cluster)

                fn()
                torch.cuda.synchronize()
                err = ((out.double() - want.double()).norm() / want.double().norm()).item()
                cells.append(f"{time_launches(fn):7.2f} us  err {err:.1e}")
            print(
                f"{shape:6} {max_seq:7d} {start:6d} {n:4d}  " + "  ".join(f"{c:>22}" for c in cells),
                flush=True,
            )


if __name__ == "__main__":
    main()
