"""`kog-agent tui`: an interactive session on one repository: type a task, watch it run, run another."""

from __future__ import annotations

import argparse
from pathlib import Path

from kog.agent.errors import AgentError
from kog.agent.loop import RunConfig
from kog.engine.registry import DEFAULT_MODEL
from kog.tools.testrunner import prestart_tests


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tui", help="an interactive session: type a task, watch it run, run another")
    p.add_argument("--repo", type=Path, default=Path("."), help="the repository to work on (default: .)")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model name or path (default: {DEFAULT_MODEL})")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--test-cmd", help="the test command (default: [tool.kog-agent] test-cmd, else pytest)")
    p.add_argument(
        "--confirm", action="store_true", help="accept (a) or reject (r) each edit before it is applied"
    )


def run(args: argparse.Namespace) -> int:
    from kog.agent.tui.app import KogApp
    from kog.agent.tui.launch import on_terminal, run_app, screenshot_path

    if not on_terminal():
        raise AgentError("kog-agent tui needs a terminal; use kog-agent fix --plain or kog-agent ci instead")
    prestart_tests(args.repo, args.test_cmd)  # pytest's start-up beside the model's load
    app = KogApp(
        args.repo,
        args.model,
        args.device,
        config=RunConfig(test_cmd=args.test_cmd),
        confirm=args.confirm,
        screenshot=screenshot_path(),
    )
    return run_app(app)
