"""Replays the engine's prompt-lookup drafting over fixed greedy text, each pass charged a measured
pass cost, to see what the drafting decisions alone are worth apart from run-to-run noise.

Greedy output does not depend on drafting, so the text is generated once (on any device) and every
pass the engine would run is replayed: the same drafter, acceptance estimate and draft count, with
`pass_cost[n - 1]` seconds for a pass of n rows (e.g. the `pass_cost_ms` a `gpu_engine_check.py` JSON
records); `DraftPlanner` is the engine's own decision. Prints the speedup over plain decoding per workload, passes, drafted and accepted tokens.

    python bench/draft_replay.py MODEL.gguf --costs 0.73,0.93,1.57,1.62,1.75,1.66,1.67,1.65
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_engine_check import FREE_PROMPTS, rewrite_prompts  # noqa: E402

from kog.engine import Engine, Message, SamplingParams  # noqa: E402
from kog.engine.spec.cost import DraftPlanner  # noqa: E402
from kog.engine.spec.prompt_lookup import PromptLookupDrafter  # noqa: E402


def replay(
    prompt: list[int], out: list[int], cost: list[float], max_drafts: int
) -> tuple[float, int, int, int]:
    """Seconds, passes, drafted and accepted tokens of the engine's loop over prompt + out (as
    `Engine._stream` runs it: the first output token comes from the prefill)."""
    full = prompt + out
    planner = DraftPlanner(PromptLookupDrafter(), cost, max_drafts)
    at, seconds, passes, drafted, accepted = len(prompt) + 1, 0.0, 0, 0, 0
    while at < len(full):
        drafts = planner.drafts(full[:at], len(full) - at)
        passes += 1
        seconds += cost[len(drafts)]
        if not drafts:
            at += 1
            continue
        a = 0
        while a < len(drafts) and drafts[a] == full[at + a]:
            a += 1
        planner.observe(a, len(drafts))
        drafted, accepted, at = drafted + len(drafts), accepted + a, at + a + 1
    return seconds, passes, drafted, accepted


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--costs", required=True, help="ms per pass of 1, 2, ... rows, comma-separated")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--rewrites", type=int, default=4)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    cost = [float(c) / 1000 for c in args.costs.split(",")]
    engine = Engine.load(args.model, device=args.device, draft="none")
    workloads = {
        "rewrites": rewrite_prompts(args.rewrites),
        "free": [[Message("user", p)] for p in FREE_PROMPTS],
    }
    for name, prompts in workloads.items():
        seconds = plain = 0.0
        passes = drafted = accepted = 0
        for messages in prompts:
            ids = engine.encode(messages)
            out = list(engine.generate(messages, SamplingParams(max_tokens=args.tokens)).token_ids)
            s, p, d, a = replay(ids, out, cost, max_drafts=len(cost) - 1)
            seconds, passes, drafted, accepted = seconds + s, passes + p, drafted + d, accepted + a
            plain += (len(out) - 1) * cost[0]
        print(
            f"{name:9s} x{plain / seconds:.3f} over plain decoding: {passes} passes, "
            f"{drafted} drafted, {accepted} accepted"
        )


if __name__ == "__main__":
    main()
