"""Opening the screen from the command line: `kog-agent fix` on a terminal, and `kog-agent tui`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from kog.agent.loop import RunConfig
from kog.agent.model import LanguageModel
from kog.agent.tui.app import KogApp
from kog.agent.tui.error_info import describe
from kog.agent.tui.workers import load_engine

SCREENSHOT_ENV = "KOG_TUI_SCREENSHOT"  # save an SVG of the screen there when the run ends


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def screenshot_path() -> Path | None:
    value = os.environ.get(SCREENSHOT_ENV)
    return Path(value).resolve() if value else None


def run_app(app: KogApp) -> int:
    code = app.run()
    if app.error is not None:
        info = describe(app.error)
        print(f"kog-agent: error: {info.message}", file=sys.stderr)
    return app.exit_code if code is None else code


def fix_in_tui(
    args: argparse.Namespace, config: RunConfig, load: Callable[[str, str], LanguageModel] | None = None
) -> int:
    """`kog-agent fix` on a terminal; `load(model, device)` replaces the engine (tests), without progress."""
    app = KogApp(
        args.repo,
        args.model,
        args.device,
        task=config.task,
        config=config,
        confirm=getattr(args, "confirm", False),
        load=load_engine if load is None else (lambda name, device, progress: load(name, device)),
        screenshot=screenshot_path(),
    )
    return run_app(app)
