"""`kog-agent bench` / bench/gpu_bench.py: batch-1 decode of the CUDA runner against the bandwidth
roofline and the transformers peers, measured in one run and saved as JSON (and a PNG plot)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import subprocess
from pathlib import Path

import torch

from kog.engine.cuda.bench_models import BENCH_MODELS, random_weights
from kog.engine.cuda.benchmark import (
    decode_timing,
    gemv_bandwidth,
    read_bandwidth,
    roofline_bytes_per_s,
    streamed_tok_s,
)
from kog.engine.cuda.runner import CudaRunner
from kog.engine.errors import DeviceError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", nargs="+", choices=sorted(BENCH_MODELS), default=sorted(BENCH_MODELS))
    p.add_argument("--prompt", nargs="+", type=int, default=[512, 4096], help="prompt lengths")
    p.add_argument("--new-tokens", type=int, default=256)
    p.add_argument(
        "--cache", type=int, default=None,
        help="KV cache positions (default: the longest prompt + new tokens + 16; the engine's own is 16,384)",
    )  # fmt: skip
    p.add_argument(
        "--weights", nargs="+", choices=["bf16", "gguf"], default=["bf16", "gguf"],
        help="bf16 matrices, and/or the GGUF file's Q4_K_M blocks as stored (random values, real layout)",
    )  # fmt: skip
    p.add_argument("--no-peers", action="store_true", help="skip the transformers peers")
    p.add_argument("--variants", action="store_true", help="also time without PDL and without graphs")
    p.add_argument("--identity-tokens", type=int, default=0, help="greedy identity check vs the torch path")
    p.add_argument("--out", type=Path, default=Path("bench/results"))


def _commit() -> str:
    if os.environ.get("KOG_COMMIT"):  # a checkout copied without .git says it this way
        return os.environ["KOG_COMMIT"]
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _driver() -> str:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown"


def _measure_model(name: str, args: argparse.Namespace, roofline: float) -> dict:
    cfg = BENCH_MODELS[name]
    max_seq = max(max(args.prompt) + args.new_tokens + 16, args.cache or 0)
    entry: dict = {
        "config": cfg.__dict__,
        "cache_positions": max_seq,
        "weights": "random values, real shapes: bf16 matrices; gguf = the Q4_K_M file's block types",
        "kog": [],
        "variants": [],
        "peers": [],
        "weight_bytes": {},
        "gpu_memory_bytes": {},
        "streamed_tok_s_512": {},
    }
    if "gguf" in args.weights:
        from kog.engine.cuda.bench_models import random_gguf_weights
        from kog.engine.cuda.quant_weights import quant_linear

        blocks = random_gguf_weights(name, cfg, "cuda")
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        runner = CudaRunner(cfg, blocks, max_seq, linear_factory=quant_linear)
        del blocks
        _time_runner(entry, "gguf", runner, args, before, roofline)
        del runner
        gc.collect()
        torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated()
    weights = random_weights(cfg, "cuda")  # the bf16 runner uses these tensors as they are
    if "bf16" in args.weights:
        runner = CudaRunner(cfg, weights, max_seq)
        _time_runner(entry, "bf16", runner, args, before, roofline)
        del runner
    if args.variants:
        for label, kw in (
            ("kog cuda graph, no PDL", {"pdl": False}),
            ("kog eager launches + PDL", {"use_graphs": False}),
        ):
            variant = CudaRunner(cfg, weights, max_seq, **kw)
            tokens = args.new_tokens if kw.get("use_graphs", True) else 32
            entry["variants"].append(
                decode_timing(label, variant, 512, tokens, roofline=roofline, repeats=3).as_dict()
            )
            del variant
    shapes = {(cfg.q_size, cfg.hidden_size), (cfg.hidden_size, cfg.q_size), (cfg.intermediate_size, cfg.hidden_size),
              (cfg.hidden_size, cfg.intermediate_size), (cfg.vocab_size, cfg.hidden_size)}  # fmt: skip
    entry["gemv"] = [gemv_bandwidth(rows, k, pdl=True) for rows, k in sorted(shapes)]
    del weights
    gc.collect()
    torch.cuda.empty_cache()
    if args.identity_tokens:
        from kog.engine.cuda.identity import greedy_identity

        untied = dataclasses.replace(cfg, tie_embeddings=False)  # tied random weights echo the input token
        entry["identity"] = greedy_identity(
            untied, random_weights(untied, "cuda", seed=1), 512, args.identity_tokens
        ).as_dict()
        entry["identity"]["weights"] = "random, untied LM head"
        gc.collect()
        torch.cuda.empty_cache()
    if not args.no_peers:
        from kog.engine.cuda.peers import transformers_decode

        for compiled in (False, True):
            try:
                entry["peers"].append(
                    transformers_decode(cfg, min(args.prompt), args.new_tokens, compiled=compiled)
                )
            except Exception as err:  # a peer that fails to run is reported, not fatal to the run
                entry["peer_errors"] = [*entry.get("peer_errors", []), f"compiled={compiled}: {err!r}"[:500]]
    return entry


def _time_runner(
    entry: dict, kind: str, runner: CudaRunner, args: argparse.Namespace, before: int, roofline: float
) -> None:
    """Decode timings of one runner at each prompt length; `before`: allocated bytes without its weights."""
    entry["weight_bytes"][kind] = runner.weights.weight_bytes()
    entry["gpu_memory_bytes"][kind] = torch.cuda.memory_allocated() - before
    for prompt_len in args.prompt:
        timing = decode_timing(
            f"kog {kind} cuda graph + PDL", runner, prompt_len, args.new_tokens, roofline=roofline
        )
        entry["kog"].append({**timing.as_dict(), "weights": kind})
    entry["streamed_tok_s_512"][kind] = streamed_tok_s(runner, 512, args.new_tokens)


def _table(report: dict) -> str:
    lines = [
        f"{report['gpu']} | driver {report['driver']} | torch {report['torch']} | {report['date']} | {report['commit'][:10]}"
    ]
    lines.append(
        f"read bandwidth {report['read_bandwidth_gb_s']:.0f} GB/s; roofline {report['roofline_bytes_per_s'] / 1e9:.0f} GB/s "
        f"({report['roofline_source']})"
    )
    lines.append(
        f"{'model':20} {'prompt':>6} {'tok/s':>8} {'ms/tok':>7} {'GB/tok':>7} {'GB/s':>6} {'%roof':>6}  peers (eager / compile) -> ratio"
    )
    for name, m in report["models"].items():
        peers = {p["name"].split()[1]: p["tok_s"] for p in m["peers"]}
        peer_prompt = m["peers"][0]["prompt_len"] if m["peers"] else None
        for t in m["kog"] + m["variants"]:
            ratio = ""
            if peers and t["prompt_len"] == peer_prompt and t in m["kog"]:
                ratio = (
                    "  "
                    + " / ".join(f"{v:.0f}" for v in peers.values())
                    + " -> x"
                    + " / x".join(f"{t['tok_s'] / v:.1f}" for v in peers.values())
                )
            lines.append(
                f"{name[-4:] + ' ' + t['name'][4:]:20.20} {t['prompt_len']:6d} {t['tok_s']:8.0f} {t['ms_per_token']:7.3f} "
                f"{t['bytes_per_token'] / 1e9:7.3f} {t['gb_s']:6.0f} {t['roofline_pct']:5.1f}%{ratio}"
            )
        for kind, tok_s in m["streamed_tok_s_512"].items():
            lines.append(
                f"{name[-4:]} {kind}: streamed (one host read per token) at 512: {tok_s:.0f} tok/s; "
                f"GPU memory (weights, cache, buffers) {m['gpu_memory_bytes'][kind] / 1e9:.2f} GB"
            )
        lines.append(
            f"{name[-4:]} gemv GB/s: "
            + ", ".join(
                f"{g['rows']}x{g['k']} {g['gb_s']:.0f} (torch {g['torch_gb_s']:.0f})" for g in m["gemv"]
            )
        )
        if "identity" in m:
            i = m["identity"]
            lines.append(
                f"{name[-4:]} greedy identity {i['matched_prefix']}/{i['tokens']} tokens ({i['distinct_tokens']} distinct), teacher-forced {i['teacher_forced_agree']}/{i['teacher_forced_steps']}, "
                f"max logits rel err {i['max_logits_rel_err']:.2e}, min torch margin {i['min_torch_margin']:.3f}"
            )
    return "\n".join(lines)


def _plot_series(report: dict) -> tuple[int, dict[str, list[float]]]:
    """The plot's bars: for the shortest prompt measured (the one the peers run at), each series'
    tok/s per model, peers first, then the engine and its roofline per weight kind."""
    prompt = min((t["prompt_len"] for m in report["models"].values() for t in m["kog"]), default=0)
    series: dict[str, list[float]] = {}
    for m in report["models"].values():
        for p in m["peers"]:
            series.setdefault(p["name"], []).append(p["tok_s"])
        for ours in (t for t in m["kog"] if t["prompt_len"] == prompt):
            kind = ours["weights"]
            series.setdefault(f"kog CUDA graph, {kind} (prompt {prompt})", []).append(ours["tok_s"])
            roofline = report["roofline_bytes_per_s"]
            series.setdefault(f"roofline, {kind} bytes at {roofline / 1e12:.2f} TB/s", []).append(
                roofline / ours["bytes_per_token"]
            )
    return prompt, series


def _plot(report: dict, path: Path) -> str:
    _, series = _plot_series(report)
    if not series:
        return "nothing measured: no plot"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed: no plot"
    names = list(report["models"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        if len(values) == len(names):
            bars = ax.bar([x + i * width for x in range(len(names))], values, width, label=label)
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(names))], names)
    ax.set_ylabel("decode tokens/s (batch 1, 256 new tokens)")
    ax.set_title(f"{report['gpu']}, batch 1, {report['date'][:10]}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return str(path)


def run_suite(args: argparse.Namespace) -> dict:
    if not torch.cuda.is_available():
        raise DeviceError("kog-agent bench needs a CUDA GPU")
    date = dt.datetime.now(dt.UTC)
    report = {
        "gpu": torch.cuda.get_device_name(),
        "driver": _driver(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "commit": _commit(),
        "date": date.isoformat(timespec="seconds"),
        "read_bandwidth_gb_s": read_bandwidth() / 1e9,
        "batch": 1,
        "models": {},
    }
    roofline, source = roofline_bytes_per_s(report["gpu"], report["read_bandwidth_gb_s"] * 1e9)
    report["roofline_bytes_per_s"], report["roofline_source"] = roofline, source
    for name in args.model:
        report["models"][name] = _measure_model(name, args, roofline)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"gpu-{date:%Y%m%d-%H%M%S}-{report['commit'][:8]}"
    report["plot"] = _plot(report, stem.with_suffix(".png"))
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    print(_table(report))
    print(f"wrote {stem}.json; plot: {report['plot']}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    run_suite(parser.parse_args(argv))
    return 0
