"""Quantized GEMV speed at batch 1 on the GPU: every (shape, GGUF type) the registry's models decode with,
as the fused runner path would run it (fp32 activations; RMSNorm fused where a norm precedes), timed
from CUDA-graph replays over rotated copies of the weights (more bytes than L2 holds), with PDL.

    python bench/quant_bench.py [--sweep] [--warm-only] [--out bench/results]

Prints GB/s and % of the read roofline per shape (the reference H100's measured 3.02 TB/s there, the
run's own bandwidth check on any other GPU: kog.engine.cuda.benchmark.roofline_bytes_per_s), the
weight-stream time per token of each model, and writes bench/results/quant-<date>-<commit>.json (GPU, driver, torch, commit, date).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROTATE_BYTES = 120 << 20  # weight copies cycled per timing: well past the 50 MB L2


@dataclass(frozen=True)
class Case:
    model: str
    role: str
    rows: int
    cols: int
    qtype: str
    count: int  # matrices of this kind per decode step
    norm: bool  # RMSNorm fused on the input (q/k/v, gate/up, LM head); else a residual add


def model_cases() -> list[Case]:
    """Layouts of the registry's Q4_K_M files (llama.cpp gives v and down Q6_K on half the layers)."""
    cases = []
    for model, h, i, layers, more_bits, (low, high, head) in (
        ("qwen2.5-coder-0.5b", 896, 4864, 24, 12, ("Q5_0", "Q8_0", "Q8_0")),
        ("qwen2.5-coder-1.5b", 1536, 8960, 28, 14, ("Q4_K", "Q6_K", "Q6_K")),
    ):
        kv = 128 if h == 896 else 256
        down_low = "Q4_K"
        cases += [
            Case(model, "q_proj", h, h, low, layers, True),
            Case(model, "k_proj", kv, h, low, layers, True),
            Case(model, "v_proj", kv, h, high, more_bits, True),
            Case(model, "v_proj", kv, h, low, layers - more_bits, True),
            Case(model, "o_proj", h, h, low, layers, False),
            Case(model, "gate/up_proj", i, h, low, 2 * layers, True),
            Case(model, "down_proj", h, i, "Q6_K", more_bits, False),
            Case(model, "down_proj", h, i, down_low, layers - more_bits, False),
            Case(model, "lm_head", 151936, h, head, 1, True),
        ]
    cases += [
        Case("smollm2-135m", "gate/up_proj", 1536, 576, "Q4_1", 60, True),
        Case("smollm2-135m", "down_proj", 576, 1536, "Q4_1", 30, False),
    ]
    return cases


def warm_kernels(rows: tuple[int, ...] = tuple(range(1, 9))) -> None:
    """Compiles every format's module for these activation-row counts, and the runner modules the quant
    mode uses for its tests, a thread a CPU core (they land in CuPy's disk cache)."""
    from kog.kernels.build import prebuild
    from kog.kernels.quant_reference import FORMATS

    modules = [(f.source, n) for f in FORMATS.values() for n in rows]
    prebuild(modules + [(source, 1) for source in ("embed.cu", "attention.cu", "sampling.cu")])


def time_launches(launches: list, repeats: int = 7) -> float:
    """Median microseconds per launch of a CUDA graph holding `launches` (callables) in order."""
    import torch

    for fn in launches[: min(len(launches), 4)]:
        fn()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for fn in launches:
            fn()
    graph.replay()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1000 / len(launches))
    return statistics.median(times)


def bench_case(case: Case, sweep: bool, roofline_gbps: float) -> dict:
    import torch

    from kog.kernels import gemv
    from kog.kernels.quant import QuantLinear
    from kog.kernels.quant_plan import plan_gemv
    from kog.kernels.quant_reference import random_blocks

    data = random_blocks(case.qtype, case.rows, case.cols, device="cuda", seed=case.rows + case.cols)
    copies = max(2, min(1500, math.ceil(ROTATE_BYTES / data.numel())))
    lins = [QuantLinear(case.qtype, data, case.cols, "cuda") for _ in range(copies)]
    reps = max(1, math.ceil(40 / copies))
    x = torch.randn(1, case.cols, device="cuda")
    xb = x.to(torch.bfloat16)
    norm = (torch.rand(case.cols, device="cuda") + 0.5).to(torch.bfloat16) if case.norm else None
    out = torch.randn(1, case.rows, device="cuda")

    def timed(pdl=True, **over) -> float:
        def call(lin):
            if case.norm:
                return lambda: lin.gemv(x, norm=norm, out=out, pdl=pdl, **over)
            return lambda: lin.gemv(x, residual=out, out=out, pdl=pdl, **over)

        return time_launches([call(lin) for _ in range(reps) for lin in lins])

    def row(us: float, **extra) -> dict:
        gbps = data.numel() / us / 1e3
        return {
            "us": round(us, 3),
            "gbps": round(gbps, 1),
            "roofline_pct": round(100 * gbps / roofline_gbps, 1),
            **extra,
        }

    kind = "f32_norm" if case.norm else "f32"
    plan = plan_gemv(lins[0].fmt, case.rows, case.cols, 1, kind, torch.cuda.current_device())
    result = {**case.__dict__, "nbytes": data.numel(), "default": row(timed(), **plan.__dict__)}
    result["no_pdl_us"] = round(timed(pdl=False), 3)
    result["bf16_input_us"] = round(
        time_launches([(lambda lin=lin: lin.matvec(xb, out=out)) for lin in lins]), 3
    )
    dense = [
        torch.randn(case.rows, case.cols, device="cuda").to(torch.bfloat16)
        for _ in range(max(2, copies // 3))
    ]
    result["bf16_weights_us"] = round(
        time_launches([(lambda w=w: gemv(w, x, out=out, pdl=True)) for w in dense]), 3
    )
    del dense
    if sweep:
        result["sweep"] = [
            row(timed(rows_per_warp=r, warps=w), rows_per_warp=r, warps=w)
            for r in (1, 2, 4)
            for w in (2, 4, 8)
        ]
    return result


def machine() -> dict:
    import subprocess
    from datetime import UTC, datetime

    import torch

    from kog.engine.cuda.benchmark import read_bandwidth, roofline_bytes_per_s

    gpu = torch.cuda.get_device_name()
    roofline, source = roofline_bytes_per_s(gpu, read_bandwidth())
    smi = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The device gets a copy of the tree without .git: the caller passes the commit.
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    commit = os.environ.get("KOG_COMMIT") or git.stdout.strip()
    return {
        "gpu": gpu,
        "driver": smi.split(",")[-1].strip() if smi else None,
        "torch": torch.__version__,
        "commit": commit or None,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "roofline_gbps": roofline / 1e9,
        "roofline_source": source,
    }


def per_model(results: list[dict], roofline_gbps: float) -> dict:
    models: dict[str, dict] = {}
    for r in results:
        m = models.setdefault(r["model"], {"gemv_us": 0.0, "bytes": 0})
        m["gemv_us"] += r["count"] * r["default"]["us"]
        m["bytes"] += r["count"] * r["nbytes"]
    for m in models.values():
        m["gemv_us"] = round(m["gemv_us"], 1)
        m["gbps"] = round(m["bytes"] / m["gemv_us"] / 1e3, 1)
        m["roofline_pct"] = round(100 * m["gbps"] / roofline_gbps, 1)
        m["gemv_bound_tok_s"] = round(1e6 / m["gemv_us"])
    return models


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", action="store_true", help="also time rows-per-warp x warps variants")
    ap.add_argument("--warm-only", action="store_true", help="compile the kernels and stop")
    ap.add_argument("--out", default="bench/results")
    args = ap.parse_args(argv)
    warm_kernels()
    if args.warm_only:
        return 0
    facts = machine()
    results = [bench_case(c, args.sweep, facts["roofline_gbps"]) for c in model_cases()]
    report = {**facts, "cases": results, "models": per_model(results, facts["roofline_gbps"])}
    out = Path(args.out) / f"quant-{report['date'][:10]}-{report['commit']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print_table(report)
    print(f"wrote {out}")
    return 0


def print_table(report: dict) -> None:
    print(
        f"\n{report['gpu']}, driver {report['driver']}, torch {report['torch']}, {report['commit']}, {report['date']}"
    )
    head = f"{'model':<19}{'matrix':<13}{'shape':>12} {'type':<5}{'MB':>7}{'us':>8}{'GB/s':>7}{'%roof':>6}"
    print(head + f"{'r':>2}{'w':>2}{'blk':>5}{'noPDL':>7}{'bf16x':>7}{'bf16W':>7}  best sweep")
    for r in report["cases"]:
        d = r["default"]
        best = min(r.get("sweep", [d]), key=lambda s: s["us"])
        sweep = f"{best['us']:.2f}us r{best.get('rows_per_warp')} w{best.get('warps')}"
        print(
            f"{r['model'][:18]:<19}{r['role']:<13}{r['rows']:>6}x{r['cols']:<5} {r['qtype']:<5}{r['nbytes'] / 1e6:>7.2f}"
            f"{d['us']:>8.2f}{d['gbps']:>7.0f}{d['roofline_pct']:>6.0f}{d['rows_per_warp']:>2}{d['warps']:>2}{d['blocks']:>5}"
            f"{r['no_pdl_us']:>7.2f}{r['bf16_input_us']:>7.2f}{r['bf16_weights_us']:>7.2f}  {sweep if 'sweep' in r else ''}"
        )
    for name, m in report["models"].items():
        print(
            f"{name}: GEMVs {m['gemv_us']} us/token for {m['bytes'] / 1e6:.0f} MB = {m['gbps']} GB/s "
            f"({m['roofline_pct']}% of roofline); GEMV-only bound {m['gemv_bound_tok_s']} tok/s"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
