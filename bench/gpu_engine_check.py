"""On a GPU: the engine end to end with real weights. Checks the CUDA-graph path against the
float32 PyTorch reference (free-running greedy and teacher-forced agreement) and times decoding
with and without prompt-lookup drafting on function rewrites. Prints a table, saves JSON.

    python bench/gpu_engine_check.py MODEL.gguf [--tokens 256]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts, result_path  # noqa: E402

from kog.engine import Engine, Message, SamplingParams  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FREE_PROMPTS = ["def quicksort(arr):", "Explain what a Python context manager is and when to use one."]


def rewrite_prompts(limit: int) -> list[list[Message]]:
    modules = [
        m for m in sorted(EXAMPLES.glob("*/*/*.py")) if m.name != "__init__.py" and "tests" not in m.parts
    ]
    return [
        [
            Message(
                "user",
                "Rewrite this module with clear names, keeping its behaviour. Return the whole module "
                f"in one python code block.\n\n```python\n{m.read_text()}```",
            )
        ]
        for m in modules[:limit]
    ]


def teacher_forced(gpu: Engine, prompt_ids: list[int], tokens: list[int]) -> float:
    """Share of positions where the GPU decode path's argmax equals the reference's next token."""
    runner = gpu.runner
    logits = runner.forward(torch.tensor(prompt_ids), 0, last_only=True)
    agree = int(int(logits[-1].argmax()) == tokens[0])
    for i, tok in enumerate(tokens[:-1]):
        logits = runner.forward(torch.tensor([tok]), len(prompt_ids) + i)
        agree += int(int(logits[-1].argmax()) == tokens[i + 1])
    gpu._cached = []
    return agree / len(tokens)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--rewrites", type=int, default=6)
    ap.add_argument("--timing-only", action="store_true", help="skip the identity checks against the CPU")
    ap.add_argument("--modes", nargs="+", default=["gguf", "bfloat16"], choices=["gguf", "bfloat16"])
    args = ap.parse_args()
    out: dict = {"machine": machine_facts(), "gpu": torch.cuda.get_device_name(), "model": args.model}
    references = {}
    if not args.timing_only:
        ref = Engine.load(args.model, device="cpu", dtype="float32", draft="none")
        references = {p: ref.generate(p, SamplingParams(max_tokens=args.tokens)) for p in FREE_PROMPTS}
        del ref
    for mode in args.modes:
        gpu = Engine.load(args.model, device="cuda", dtype=mode, draft="none")
        res: dict = {
            "runner": type(gpu.runner).__name__,
            "dtype": gpu.info.dtype,
            "gpu_memory_gb": torch.cuda.memory_allocated() / 1e9,
        }
        checks = []
        for prompt, want in references.items():
            got = gpu.generate(prompt, SamplingParams(max_tokens=args.tokens))
            pairs = zip(want.token_ids, got.token_ids, strict=False)
            same = next(
                (i for i, (a, b) in enumerate(pairs) if a != b), min(len(want.token_ids), len(got.token_ids))
            )
            tf = teacher_forced(gpu, gpu.tokenizer.encode(prompt), list(want.token_ids))
            checks.append(
                {
                    "prompt": prompt,
                    "identical_prefix": same,
                    "reference_tokens": len(want.token_ids),
                    "teacher_forced_agreement": tf,
                }
            )
        res["identity"] = checks
        workloads = {
            "rewrites": rewrite_prompts(args.rewrites),
            "free": [[Message("user", p)] for p in FREE_PROMPTS],
        }
        for draft in ("none", "prompt-lookup"):
            gpu.set_drafter(draft)  # builds the verification graphs for a drafter
            if draft != "none" and getattr(gpu.runner, "pass_cost", None):
                res["pass_cost_ms"] = [round(c * 1000, 3) for c in gpu.runner.pass_cost]
            for workload, prompts in workloads.items():
                rows = []
                for messages in prompts:
                    gpu._cached = []
                    gpu.generate(messages, SamplingParams(max_tokens=8))  # warm the shapes
                    gpu._cached = []
                    c = gpu.generate(messages, SamplingParams(max_tokens=args.tokens))
                    rows.append(
                        {
                            "tokens": c.stats.generated_tokens,
                            "decode_s": c.stats.decode_s,
                            "tok_s": c.stats.decode_tok_s,
                            "tokens_per_pass": c.stats.tokens_per_pass,
                            "passes": c.stats.forward_passes,
                            "drafted": c.stats.drafted,
                            "accepted": c.stats.accepted,
                        }
                    )
                total = sum(r["tokens"] - 1 for r in rows)
                res[f"{workload}/{draft}"] = {
                    "rows": rows,
                    "tok_s": total / sum(r["decode_s"] for r in rows),
                    "tokens_per_pass": sum(r["tokens_per_pass"] for r in rows) / len(rows),
                }
        out[mode] = res
        del gpu
        torch.cuda.empty_cache()
    path = result_path("gpu-engine")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\n{out['gpu']}  {Path(args.model).name}  commit {out['machine']['commit']}")
    for mode in args.modes:
        res = out[mode]
        print(f"[{mode}] runner {res['runner']}, GPU memory {res['gpu_memory_gb']:.2f} GB")
        for c in res["identity"]:
            print(
                f"  identity {c['prompt'][:30]!r:34s} identical {c['identical_prefix']}/{c['reference_tokens']}, "
                f"teacher-forced {c['teacher_forced_agreement']:.1%}"
            )
        if "pass_cost_ms" in res:
            print(
                "  ms per pass of 1..n rows (host included): "
                + " ".join(f"{c:.2f}" for c in res["pass_cost_ms"])
            )
        for workload in ("rewrites", "free"):
            plain, pl = res[f"{workload}/none"], res[f"{workload}/prompt-lookup"]
            print(f"  {workload:8s} plain         {plain['tok_s']:8.1f} tok/s")
            print(
                f"  {workload:8s} prompt-lookup {pl['tok_s']:8.1f} tok/s  {pl['tokens_per_pass']:.2f} tok/pass  "
                f"speedup {pl['tok_s'] / plain['tok_s']:.2f}x  "
                f"drafted {sum(r['drafted'] for r in pl['rows'])} in {sum(r['passes'] for r in pl['rows'])} passes, "
                f"accepted {sum(r['accepted'] for r in pl['rows'])}"
            )
    print(f"saved {path}")


if __name__ == "__main__":
    main()
