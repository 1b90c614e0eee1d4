"""CPU benchmark: this engine against Hugging Face transformers on the same GGUF, dtype and prompt.

Prints decode and prefill tok/s of both, prefix-reuse time to first token, and cold/warm load
times, and saves them as JSON under bench/results/. Run it on an otherwise idle machine.

    python bench/cpu_bench.py [--model qwen2.5-coder-0.5b] [--dtype auto] [--prompt-tokens 512] [--new 64]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts, result_path  # noqa: E402

from kog.engine import Engine, SamplingParams  # noqa: E402
from kog.engine.engine import cpu_matvec  # noqa: E402
from kog.engine.registry import resolve_model  # noqa: E402

CODE = Path(__file__).resolve().parents[1] / "engine" / "engine.py"


def make_prompt(engine: Engine, n_tokens: int) -> list[int]:
    ids = engine.tokenizer.encode(CODE.read_text() * 4)
    return ids[:n_tokens]


def engine_figures(engine: Engine, prompt: list[int], new: int) -> dict:
    text = engine.tokenizer.decode(prompt)
    figures = {}
    for draft in ("none", "prompt-lookup"):
        engine.set_drafter(draft)
        engine._cached = []  # no reuse between the measured calls
        engine.generate(text, SamplingParams(max_tokens=4))  # warm-up
        engine._cached = []
        c = engine.generate(text, SamplingParams(max_tokens=new))
        figures[draft] = {
            "prefill_tok_s": c.stats.prefill_tok_s,
            "decode_tok_s": c.stats.decode_tok_s,
            "generated": c.stats.generated_tokens,
            "tokens_per_pass": c.stats.tokens_per_pass,
        }
    # Prefix reuse: same long prefix, a different last line.
    engine.drafter = None
    engine._cached = []
    first = engine.generate(text + "\n# first question\n", SamplingParams(max_tokens=1))
    second = engine.generate(text + "\n# second question\n", SamplingParams(max_tokens=1))
    figures["prefix_reuse"] = {
        "first_ttft_s": first.stats.ttft_s,
        "second_ttft_s": second.stats.ttft_s,
        "reused_tokens": second.stats.reused_tokens,
        "speedup": first.stats.ttft_s / max(second.stats.ttft_s, 1e-9),
    }
    return figures


def transformers_figures(gguf_path: Path, dtype: torch.dtype, prompt: list[int], new: int) -> dict:
    from transformers import AutoModelForCausalLM

    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=dtype)
    load_s = time.perf_counter() - t
    ids = torch.tensor([prompt])
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=2, do_sample=False)  # warm-up
        t = time.perf_counter()
        model(ids)
        prefill_s = time.perf_counter() - t
        t = time.perf_counter()
        model.generate(ids, max_new_tokens=1, min_new_tokens=1, do_sample=False)
        one_s = time.perf_counter() - t
        t = time.perf_counter()
        model.generate(ids, max_new_tokens=new, min_new_tokens=new, do_sample=False)
        all_s = time.perf_counter() - t
    return {
        "load_s": load_s,
        "prefill_tok_s": len(prompt) / prefill_s,
        "decode_tok_s": (new - 1) / max(all_s - one_s, 1e-9),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument(
        "--dtype", default="auto", choices=["auto", "float32", "bfloat16", "int8", "gguf"],
        help="the engine's weights (auto: the engine's default; gguf: the file's blocks as stored); "
        "transformers runs the same dtype (bfloat16 for auto and gguf, float32 for int8)",
    )  # fmt: skip
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--skip-transformers", action="store_true")
    ap.add_argument(
        "--peer-dtype",
        choices=["float32", "bfloat16"],
        help="transformers' dtype (default: as described above)",
    )
    ap.add_argument(
        "--torch-matvec", action="store_true",
        help="also time plain decoding with PyTorch's products instead of the compiled CPU kernel",
    )  # fmt: skip
    ap.add_argument("--cold", action="store_true", help="also time a cold load into an empty KOG_HOME")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = None if args.dtype == "auto" else "gguf" if args.dtype == "gguf" else getattr(torch, args.dtype)
    peers = {"int8": torch.float32, "gguf": torch.bfloat16, "auto": torch.bfloat16}
    default_peer = peers.get(args.dtype, dtype)
    peer_dtype = getattr(torch, args.peer_dtype) if args.peer_dtype else default_peer
    out = {
        "machine": machine_facts(),
        "model": args.model,
        "dtype": args.dtype,
        "prompt_tokens": args.prompt_tokens,
        "new_tokens": args.new,
    }
    if args.cold:
        with tempfile.TemporaryDirectory() as home:
            old = os.environ.get("KOG_HOME")
            os.environ["KOG_HOME"] = home
            t = time.perf_counter()
            Engine.load(args.model, device="cpu", dtype=dtype)
            out["cold_load_s"] = time.perf_counter() - t
            if old is None:
                del os.environ["KOG_HOME"]
            else:
                os.environ["KOG_HOME"] = old
    Engine.load(args.model, device="cpu", dtype=dtype)  # make sure the cache exists
    t = time.perf_counter()
    engine = Engine.load(args.model, device="cpu", dtype=dtype)
    out["warm_load_s"] = time.perf_counter() - t
    matvec = getattr(engine.runner.model, "matvec", None)
    out["engine_matvec"] = f"compiled kernel, {matvec.vector_width}-wide" if matvec else "torch"
    out["engine_dtype"] = engine.info.dtype
    prompt = make_prompt(engine, args.prompt_tokens)
    out["engine"] = engine_figures(engine, prompt, args.new)
    del engine
    if args.torch_matvec and args.dtype != "gguf":  # stored blocks have no PyTorch-product form
        os.environ["KOG_CPU_KERNELS"] = "0"
        cpu_matvec.cache_clear()
        plain = Engine.load(args.model, device="cpu", dtype=dtype)
        out["engine_torch_matvec"] = engine_figures(plain, prompt, args.new)["none"]
        del plain
        del os.environ["KOG_CPU_KERNELS"]
        cpu_matvec.cache_clear()
    if not args.skip_transformers:
        out["transformers"] = transformers_figures(
            resolve_model(args.model).path, peer_dtype, prompt, args.new
        )
        out["transformers"]["dtype"] = str(peer_dtype).removeprefix("torch.")
        out["decode_ratio"] = out["engine"]["none"]["decode_tok_s"] / out["transformers"]["decode_tok_s"]
    path = result_path(f"cpu-{args.model}-{args.dtype}")
    path.write_text(json.dumps(out, indent=2) + "\n")
    e = out["engine"]
    print(
        f"\n{args.model} {args.dtype}, prompt {len(prompt)} tok, {args.new} new, {out['machine']['cpu']} "
        f"x{out['machine']['torch_threads']} threads, commit {out['machine']['commit']}"
    )
    print(f"engine weights: {out['engine_dtype']}; matrix-vector products: {out['engine_matvec']}")
    if "cold_load_s" in out:
        print(f"cold load (assemble + convert)   {out['cold_load_s']:8.1f} s")
    print(f"warm load                        {out['warm_load_s']:8.1f} s")
    print(f"{'':32s} {'prefill tok/s':>14s} {'decode tok/s':>13s}")
    print(f"{'kog engine':32s} {e['none']['prefill_tok_s']:14.1f} {e['none']['decode_tok_s']:13.2f}")
    if "engine_torch_matvec" in out:
        t = out["engine_torch_matvec"]
        print(f"{'kog engine, PyTorch products':32s} {t['prefill_tok_s']:14.1f} {t['decode_tok_s']:13.2f}")
    pl = e["prompt-lookup"]
    print(
        f"{'kog engine + prompt lookup':32s} {'':14s} {pl['decode_tok_s']:13.2f}  ({pl['tokens_per_pass']:.2f} tok/pass)"
    )
    if "transformers" in out:
        t = out["transformers"]
        label = f"transformers ({t['dtype']})"
        print(f"{label:32s} {t['prefill_tok_s']:14.1f} {t['decode_tok_s']:13.2f}")
        print(f"decode ratio (plain engine / transformers): {out['decode_ratio']:.2f}x")
    r = e["prefix_reuse"]
    print(
        f"prefix reuse: ttft {r['first_ttft_s'] * 1000:.0f} ms -> {r['second_ttft_s'] * 1000:.0f} ms "
        f"({r['speedup']:.1f}x, {r['reused_tokens']} tokens reused)"
    )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
