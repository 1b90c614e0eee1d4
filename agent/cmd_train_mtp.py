"""`kog-agent train-mtp`: self-distil MTP drafting heads for a model on local Python sources."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kog.agent.cmd_models import ProgressBar
from kog.engine import Engine
from kog.engine.registry import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train-mtp",
        help="train MTP drafting heads on the model's own rewrites of local Python functions",
        description=(
            "Builds rewrite prompts out of the Python functions under --sources, lets the model answer "
            "them greedily, and trains residual heads to predict its own tokens 2..k+1 ahead. "
            "`--draft mtp` then uses the heads (saved beside the model file unless --out is given)."
        ),
    )
    p.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"registry name, .gguf or HF folder ({DEFAULT_MODEL})"
    )
    p.add_argument("--sources", nargs="+", type=Path, required=True, help=".py files or folders to draw from")
    p.add_argument("--steps", type=int, default=300, help="optimizer steps (default 300)")
    p.add_argument("--out", type=Path, default=None, help="heads file (default: beside the model file)")
    p.add_argument("--heads", type=int, default=4, help="heads, i.e. the most tokens drafted per pass (4)")
    p.add_argument("--prompts", type=int, default=24, help="rewrite prompts to generate from (default 24)")
    p.add_argument("--max-tokens", type=int, default=160, help="tokens generated per prompt (default 160)")
    p.add_argument("--device", default="cpu", help="cpu (the training path; default)")
    p.add_argument("--dtype", default=None, help="float32 or bfloat16 (default: the engine's choice)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from kog.engine.spec.mtp import default_heads_path
    from kog.engine.spec.mtp_train import train_mtp

    for name, value in (("--steps", args.steps), ("--heads", args.heads), ("--prompts", args.prompts)):
        if value < 1:
            print(f"kog-agent: error: {name} must be at least 1", file=sys.stderr)
            return 2
    missing = [str(p) for p in args.sources if not p.exists()]
    if missing:
        print(f"kog-agent: error: no such source: {', '.join(missing)}", file=sys.stderr)
        return 2
    engine = Engine.load(
        args.model, device=args.device, dtype=args.dtype, progress=ProgressBar(str(args.model))
    )
    out = args.out or default_heads_path(engine.model.source)
    report = train_mtp(
        engine,
        args.sources,
        args.steps,
        out,
        n_heads=args.heads,
        n_prompts=args.prompts,
        max_tokens=args.max_tokens,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    accuracy = ", ".join(f"{a:.2f}" for a in report.held_out_accuracy) or "n/a (one prompt)"
    print(
        f"{out}: {report.sequences} continuations, {report.examples} positions, {report.vocab} tokens, "
        f"loss {report.first_loss:.2f} -> {report.last_loss:.2f}, held-out top-1 per head {accuracy}, "
        f"{report.seconds:.0f} s"
    )
    return 0
