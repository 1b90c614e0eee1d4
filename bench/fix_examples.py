"""Repair benchmark: run the agent over every example with each model, print and save the figures.

Each example is copied to a scratch git repository (examples/ is never touched), the agent runs
with the product's defaults unless overridden, and the script prints, per model, the fix rate, the
median wall time per example, the tokens generated and the decode speed; the JSON under
bench/results/ also keeps every run's report.

    python bench/fix_examples.py [--model qwen2.5-coder-0.5b] [--model qwen2.5-coder-1.5b]
                                 [--device auto] [--dtype int8] [--only pagination --only invoice]
                                 [--max-steps 12] [--examples DIR]

`--examples` takes another folder of examples laid out like examples/ (a set the agent was never
tuned on measures how far its repairs generalize); the JSON records which folder ran.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts, result_path  # noqa: E402

from kog.agent.events import EventBus  # noqa: E402
from kog.agent.loop import RepairRun, RunConfig, for_device  # noqa: E402
from kog.agent.render_plain import PlainRenderer  # noqa: E402
from kog.agent.report import RunReport  # noqa: E402
from kog.engine import Engine  # noqa: E402
from kog.engine.registry import DEFAULT_MODEL  # noqa: E402
from kog.tools.testrunner import prestart_tests  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_names(folder: Path = EXAMPLES) -> list[str]:
    return sorted(p.parent.name for p in folder.glob("*/pyproject.toml"))


def scratch_repo(source: Path, parent: Path) -> Path:
    root = parent / source.name
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "example"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def run_example(engine: Engine, source: Path, config: RunConfig, verbose: bool) -> tuple[RunReport, float]:
    bus = EventBus()
    if verbose:
        bus.subscribe(PlainRenderer(sys.stderr))
    with tempfile.TemporaryDirectory(prefix=f"kog-bench-{source.name}-") as scratch:
        root = scratch_repo(source, Path(scratch))
        started = time.monotonic()
        report = RepairRun(root, engine, bus, config).run()
        return report, time.monotonic() - started


def summarize(model: str, load_s: float, runs: list[dict]) -> dict:
    fixed = [r for r in runs if r["status"] == "fixed"]
    tokens = sum(r["tokens"] for r in runs)
    decode_s = sum(r["tokens"] / r["tok_s"] for r in runs if r["tok_s"] > 0)
    return {
        "model": model,
        "load_s": round(load_s, 1),
        "examples": len(runs),
        "fixed": len(fixed),
        "fix_rate": round(len(fixed) / len(runs), 3) if runs else 0.0,
        "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 1) if runs else 0.0,
        "tokens": tokens,
        "tok_s": round(tokens / decode_s, 1) if decode_s > 0 else 0.0,
        "fixed_examples": [r["example"] for r in fixed],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help=f"repeatable (default: {DEFAULT_MODEL})")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default=None, help="the engine's weights (default: the engine's choice)")
    parser.add_argument("--only", action="append", help="run only these examples (repeatable)")
    parser.add_argument("--max-steps", type=int, help="edit attempts (default: the device's, RunConfig)")
    parser.add_argument("--max-time", type=float, default=RunConfig.max_time_s)
    parser.add_argument("--samples", type=int, help="sampled candidates a search (default: the device's)")
    parser.add_argument("--no-refactor", action="store_true")
    parser.add_argument("--no-values", action="store_true", help="RunConfig.values off")
    parser.add_argument("--verbose", action="store_true", help="each run's progress lines on stderr")
    parser.add_argument(
        "--examples", type=Path, default=EXAMPLES, help="a folder of examples laid out like examples/"
    )
    args = parser.parse_args()

    folder = args.examples.resolve()
    available = example_names(folder)
    if not available:
        parser.error(f"no examples (<name>/pyproject.toml) under {folder}")
    names = args.only or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        parser.error(f"unknown examples: {', '.join(unknown)}")
    config = RunConfig(
        max_steps=args.max_steps,
        max_time_s=args.max_time,
        samples=args.samples,
        refactor=not args.no_refactor,
        values=not args.no_values,
    )
    results = {
        "machine": machine_facts(),
        "device": args.device,
        "dtype": args.dtype,
        "examples": str(folder),
        "config": config.__dict__,
        "models": [],
    }
    for model in args.model or [DEFAULT_MODEL]:
        started = time.monotonic()
        prestart_tests(folder / names[0], None)  # pytest's start-up beside the model's load
        engine = Engine.load(model, device=args.device, dtype=args.dtype)
        load_s = time.monotonic() - started
        runs = []
        for name in names:
            report, wall_s = run_example(engine, folder / name, config, args.verbose)
            runs.append(
                {
                    "example": name,
                    "status": report.status,
                    "wall_s": round(wall_s, 1),
                    "tokens": report.tokens,
                    "tok_s": report.tok_s,
                    "attempts": sum(1 for s in report.steps if s.kind == "edit"),
                    "report": report.model_dump(),
                }
            )
            print(
                f"{model:22} {name:12} {report.status:10} {wall_s:7.1f} s {report.tokens:6} tok "
                f"{report.tok_s:6.1f} tok/s  {report.reason}",
                flush=True,
            )
        summary = summarize(model, load_s, runs)
        results["models"].append(
            {
                **summary,
                "info": engine.info.__dict__,
                "config": for_device(config, engine.info.device).__dict__,
                "runs": runs,
            }
        )
        print(
            f"== {model} ({engine.info.device}): fixed {summary['fixed']}/{summary['examples']} "
            f"({summary['fix_rate']:.0%}), median {summary['median_wall_s']} s per example, "
            f"{summary['tokens']} tokens at {summary['tok_s']} tok/s, load {summary['load_s']} s",
            flush=True,
        )
    path = result_path("fix_examples")
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
