"""What the boundary between two decode-step graphs costs: times a runner's greedy decode as replays of
graphs that hold K one-row steps each (K = 1 is the runner's own graph a step), on random weights.

    python bench/steps_probe.py [--model NAME ...] [--weights gguf bf16] [--steps 1 2 4 8]
        [--prompt 512] [--new-tokens 256] [--rounds 2]

Between two replays the GPU ends one graph and starts the next: the first kernel of a step (the
embedding lookup) cannot start its prologue while the last (the LM head and its pick) runs, as every
other kernel of the step can under programmatic dependent launch. Inside a graph of K steps that
hand-over is an ordinary edge. Prints tok/s a K and the tokens' agreement with K = 1.
"""

from __future__ import annotations

import argparse
import statistics

import torch

from kog.engine.cuda.bench_models import BENCH_MODELS, random_runner
from kog.engine.cuda.buffers import HISTORY_LEN
from kog.engine.cuda.step import StepMode

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--model", nargs="+", default=list(BENCH_MODELS))
parser.add_argument("--weights", nargs="+", default=["gguf", "bf16"])
parser.add_argument("--steps", nargs="+", type=int, default=[1, 2, 4, 8])
parser.add_argument("--prompt", type=int, default=512)
parser.add_argument("--new-tokens", type=int, default=256)
parser.add_argument("--rounds", type=int, default=2)
args = parser.parse_args()


def capture(runner, k: int, short: bool) -> torch.cuda.CUDAGraph:
    """A graph of k greedy steps (the runner's pool is not shared: these graphs are the probe's own)."""
    step, bufs = runner.graphs.step, runner.bufs
    state, ids = bufs.state.clone(), bufs.ids.clone()
    for _ in range(k):
        step.record(1, StepMode.GREEDY, short)
    bufs.state.copy_(state)
    bufs.ids.copy_(ids)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(k):
            step.record(1, StepMode.GREEDY, short)
    bufs.state.copy_(state)
    bufs.ids.copy_(ids)
    return graph


@torch.inference_mode()
def main() -> None:
    print(torch.cuda.get_device_name(), torch.__version__)
    n = args.new_tokens
    for name in args.model:
        for kind in args.weights:
            runner = random_runner(name, kind, args.prompt + n + 64)
            cfg = runner.cfg
            g = torch.Generator(device=runner.device).manual_seed(1)
            prompt = torch.randint(0, cfg.vocab_size, (args.prompt,), generator=g, device=runner.device)
            token = int(runner.forward(prompt, 0, last_only=True)[-1].argmax())
            short = runner._short(args.prompt + n)
            runner.decode(8, token=token, pos=args.prompt)  # the runner's own graph, captured
            reference = runner.decode(n, token=token, pos=args.prompt).tolist()
            graphs = {k: capture(runner, k, short) for k in args.steps if k > 1}
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            results: dict[int, list[float]] = {k: [] for k in args.steps}
            same: dict[int, bool] = {}
            for _ in range(args.rounds):
                for k in args.steps:
                    runs = []
                    for _ in range(5):
                        runner.start(token, args.prompt)
                        first = runner._decoded
                        torch.cuda.synchronize()
                        start.record()
                        if k == 1:
                            runner.decode(n)
                        else:
                            for _ in range(n // k):
                                graphs[k].replay()
                            runner.position += n // k * k
                            runner._decoded += n // k * k
                        end.record()
                        end.synchronize()
                        runs.append(start.elapsed_time(end) / (n // k * k))
                    slots = torch.arange(first, first + n // k * k, device=runner.device) % HISTORY_LEN
                    same[k] = runner.bufs.history[slots].tolist() == reference[: n // k * k]
                    results[k].append(1000 / statistics.median(runs))
            base = statistics.median(results[1]) if 1 in results else None
            for k in args.steps:
                tok_s = statistics.median(results[k])
                gain = f" ({100 * (tok_s / base - 1):+.1f}%)" if base else ""
                rounds = " / ".join(f"{v:,.0f}" for v in results[k])
                print(f"{name} {kind} K={k}: {rounds} tok/s{gain}; tokens as K=1: {same[k]}")
            del runner, graphs
            torch.cuda.empty_cache()


main()
