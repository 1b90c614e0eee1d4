"""Snapshots of the screens (pytest-textual-snapshot): the main screen after a run, the confirm
prompt, model loading and the error screens. A real scripted run is recorded once, then replayed
with fixed times and speeds, so that every number on screen is the same on every machine."""

import shutil
import threading
from pathlib import Path

import pytest
from conftest import EXAMPLES, init_repo
from replies import DIAGNOSIS, PAGE_FIX, PAGE_WRONG
from scripted_engine import ScriptedEngine
from textual.widgets import Input
from tui_support import SIZE

from kog.agent.events import (
    EditProposed,
    EventBus,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TestsRun,
    TokensStreamed,
)
from kog.agent.loop import RepairRun, RunConfig
from kog.agent.tui.app import KogApp
from kog.agent.tui.inbox import ReviewAsked
from kog.agent.tui.workers import load_engine

T0 = 1_800_000_000.0
SHOWN_REPO = "~/src/pagination"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> list:
    """The events of a real run on a copy of pagination: a wrong edit rolled back, then the fix."""
    root = tmp_path_factory.mktemp("recorded") / "pagination"
    shutil.copytree(
        EXAMPLES / "pagination", root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    init_repo(root)
    events: list = []
    bus = EventBus()
    bus.subscribe(events.append)
    engine = ScriptedEngine([DIAGNOSIS, PAGE_WRONG, PAGE_FIX])
    report = RepairRun(root, engine, bus, RunConfig(refactor=False)).run()
    assert report.status == "fixed"
    return replayable(events, str(root))


def replayable(events: list, root: str) -> list:
    """The events with fixed clock times (tokens at a speed that varies from call to call), durations
    that follow from those times, and the temporary folder renamed."""
    at, started, calls, out = T0, {}, 0, []
    for event in events:
        previous = out[-1] if out else None
        update: dict = {}
        if isinstance(event, TokensStreamed):
            if not isinstance(previous, TokensStreamed):
                calls += 1
            at += 0.02 * (1 + 0.4 * (calls % 3))
            update["tok_s"] = 30.0 + 5 * (calls % 3)
        else:
            at += 0.5
        update["at"] = at
        match event:
            case RunStarted():
                update |= {"repo": SHOWN_REPO, "test_cmd": "python -m pytest"}
            case StepStarted():
                started[event.step] = at
            case StepFinished():
                update["duration_s"] = at - started[event.step]
            case TestsRun():
                update["duration_s"] = 0.5
                update["messages"] = {k: v.replace(root, SHOWN_REPO) for k, v in event.messages.items()}
            case RunFinished():
                total = at - T0
                tokens = event.report.tokens
                update["report"] = event.report.model_copy(
                    update={
                        "repo": SHOWN_REPO,
                        "tok_s": round(tokens / total, 1),
                        "timings": {"total": total},
                    }
                )
        out.append(event.model_copy(update=update))
    return out


def session_app(root: Path, **options) -> KogApp:
    """A `kog-agent tui` session whose screen is fed recorded events instead of running a repair."""
    engine = ScriptedEngine([])
    app = KogApp(
        root, "scripted", load=lambda name, device, progress: engine, clock=lambda: T0 + 60, **options
    )
    app.animation_level = "none"  # the tab underline and scrolls land at once, not over frames
    return app


async def replay(pilot, events: list, *notes) -> None:
    app = pilot.app
    while app.model is None:
        await pilot.pause(0.05)
    app.query_one("#task", Input).cursor_blink = False
    app.action_leave_task()  # where a run leaves the focus: on the steps, for the run's keys
    for item in [*events, *notes]:
        app.inbox.put(item)
    while len(app.inbox):  # drained by the app's own timer
        await pilot.pause(0.05)
    await settled(pilot)


async def settled(pilot, timeout: float = 10.0) -> None:
    """Wait until two frames a tenth of a second apart are the same: a recompose (the footer after
    a change of bindings) or a layout can still be pending on a loaded machine after the drain."""
    app, shown = pilot.app, None
    for _ in range(int(timeout / 0.1)):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.1)
        frame = app.export_screenshot()
        if frame == shown:
            return
        shown = frame


def test_main_screen_after_a_run(snap_compare, recorded, example_repo):
    root = example_repo("pagination")
    app = session_app(root)
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: replay(pilot, recorded))


def test_confirm_prompt_over_a_proposed_edit(snap_compare, recorded, example_repo):
    root = example_repo("pagination")
    app = session_app(root, confirm=True)
    proposals = [i for i, e in enumerate(recorded) if isinstance(e, EditProposed)]
    upto = recorded[: proposals[-1] + 1]
    asked = ReviewAsked(upto[-1].path, upto[-1].function, upto[-1].diff)
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: replay(pilot, upto, asked))


def test_loading_screen_with_progress_bars(snap_compare, example_repo):
    root = example_repo("pagination")
    release = threading.Event()

    def slow_load(name, device, progress):
        progress("assemble", 300 << 20, 491 << 20)
        progress("verify", 491 << 20, 491 << 20)
        progress("convert", 3, 8)
        release.wait(timeout=60)
        return ScriptedEngine([])

    app = KogApp(root, "qwen2.5-coder-0.5b", task="all", load=slow_load, clock=lambda: T0)

    async def bars_shown(pilot):
        while len(app.query(".stage-row")) < 3:
            await pilot.pause(0.05)
        await pilot.pause(0.2)

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=bars_shown)
    finally:
        release.set()


def test_error_screen_for_a_missing_model(snap_compare, example_repo):
    root = example_repo("pagination")
    app = KogApp(root, "no-such-model", task="all", load=load_engine, clock=lambda: T0)

    async def failed(pilot):
        while not app.load_failed:
            await pilot.pause(0.05)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=failed)
    assert app.exit_code == 2 and "unknown model 'no-such-model'" in str(app.error)


def test_error_screen_for_a_folder_that_is_not_a_repository(snap_compare, tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path)  # a relative path keeps the temporary folder's name off the screen
    app = KogApp(
        Path("project"), "scripted", task="all", load=lambda *a: ScriptedEngine([]), clock=lambda: T0
    )
    assert snap_compare(app, terminal_size=SIZE)
    assert app.exit_code == 2 and app.model is None  # no model is loaded for a repository it cannot use
