"""`kog-agent generate`: stream a completion to stdout, one stats line to stderr."""

from __future__ import annotations

import argparse
import sys

from kog.agent.cmd_models import ProgressBar
from kog.engine import Engine, Message, SamplingParams
from kog.engine.registry import DEFAULT_MODEL


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("generate", help="generate text from a prompt with a local model")
    p.add_argument("prompt", help="the prompt text (use - to read it from stdin)")
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"registry name, .gguf file or HF folder (default {DEFAULT_MODEL})",
    )
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--temperature", type=float, default=0.0, help="0 means greedy (default)")
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    p.add_argument(
        "--draft", default="auto", help="speculative drafter: auto, prompt-lookup, none, draft:MODEL or mtp"
    )
    p.add_argument(
        "--chat", action="store_true", help="wrap the prompt as a user message in the model's chat template"
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.prompt == "-" else args.prompt
    params = SamplingParams(
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        seed=args.seed,
        stop=tuple(args.stop),
    )
    engine = Engine.load(
        args.model, device=args.device, progress=ProgressBar(str(args.model)), draft=args.draft
    )
    prompt = [Message("user", text)] if args.chat else text
    stats = None
    for chunk in engine.stream(prompt, params):
        sys.stdout.write(chunk.text)
        sys.stdout.flush()
        stats = chunk.stats or stats
    sys.stdout.write("\n")
    if stats is not None:
        print(f"[{engine.info.name} on {engine.info.device}] {stats.summary()}", file=sys.stderr)
    return 0
