"""The work done off the UI thread: loading the model, running a repair, re-running the tests.

Each reports only through the inbox and never raises: a failure becomes a note the screen shows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kog.agent.context import error_text
from kog.agent.events import TestsRun
from kog.agent.loop import RepairRun
from kog.agent.model import LanguageModel
from kog.agent.tui.control import RunCancelled
from kog.agent.tui.inbox import Inbox, ModelFailed, ModelProgress, ModelReady, RunEnded
from kog.engine.api import ProgressFn
from kog.tools.testrunner import run_tests

ModelLoader = Callable[[str, str, ProgressFn], LanguageModel]


def load_engine(name: str, device: str, progress: ProgressFn) -> LanguageModel:
    from kog.engine import Engine

    return Engine.load(name, device=device, progress=progress)


def device_label(device: str) -> str:
    if not device.startswith("cuda"):
        return device
    try:
        import torch

        return torch.cuda.get_device_name(device)
    except (ImportError, RuntimeError, AssertionError):
        return device


def load_model(load: ModelLoader, name: str, device: str, inbox: Inbox) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        inbox.put(ModelProgress(stage, done, total))

    try:
        model = load(name, device, progress)
    except Exception as exc:  # any failure is shown on the error screen, never as a traceback
        inbox.put(ModelFailed(exc))
        return
    inbox.put(ModelReady(model, device_label(model.info.device)))


def run_repair(run: RepairRun, inbox: Inbox) -> None:
    try:
        run.run()
    except RunCancelled:
        inbox.put(RunEnded("cancelled"))
    except Exception as exc:  # shown on the error screen; the guard has restored the tree
        inbox.put(RunEnded("failed", exc))
    else:
        inbox.put(RunEnded("finished"))


def run_suite(root: Path, test_cmd: str, inbox: Inbox) -> None:
    """The whole suite, as a full test run of the finished run (after an undo)."""
    try:
        run = run_tests(root, test_cmd)
    except Exception as exc:  # a test command that broke since the run: say so on the error screen
        inbox.put(RunEnded("failed", exc))
        return
    inbox.put(
        TestsRun(
            scope="full",
            passed=run.passed_ids,
            failed=run.failing_ids,
            duration_s=run.duration_s,
            timed_out=run.timed_out,
            messages={case.id: error_text(case) for case in run.failing},
        )
    )
