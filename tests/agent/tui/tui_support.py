"""Driving the app headless: a scripted model behind the engine's loader, waits on the app's own state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from scripted_engine import ScriptedEngine
from textual.pilot import Pilot

from kog.agent.loop import RunConfig
from kog.agent.tui.app import KogApp

SIZE = (160, 48)
HANG_S = 120.0  # only a guard against a hung test; no assertion is made on time


def scripted_loader(replies: list[str], **options) -> Callable:
    engine = ScriptedEngine(replies, **options)
    return lambda name, device, progress: engine


def fix_app(root: Path, replies: list[str], *, confirm: bool = False, **config) -> KogApp:
    """The screen of `kog-agent fix all` on root, with a scripted model."""
    return KogApp(
        root,
        "scripted",
        task="all",
        config=RunConfig(**{"refactor": False, **config}),
        confirm=confirm,
        load=scripted_loader(replies),
    )


async def wait_for(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.05)


async def wait_for_end(pilot: Pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.view.report is not None and not pilot.app.run_active, "the run")
    await pilot.pause()


def step_states(app: KogApp) -> list[tuple[str, int, str]]:
    return [(row.kind, row.attempt, row.state) for row in app.view.steps.values()]
