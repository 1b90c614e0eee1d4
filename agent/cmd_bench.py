"""`kog-agent bench`: batch-1 decode speed of the CUDA path against the roofline and transformers peers."""

from __future__ import annotations

import argparse

from kog.engine.cuda import add_bench_arguments, run_bench


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench",
        help="measure GPU decode speed (tok/s, GB/s, %% of roofline) against transformers; writes JSON and a plot",
        description="Random weights with the real model shapes (decode speed does not depend on the values).",
    )
    add_bench_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    run_bench(args)
    return 0
