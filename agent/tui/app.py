"""The kog-agent screen: one repair (`fix`) or a session of them (`tui`), watched and steered live.

The model loads and the repair runs in threads; their events and notes go through the Inbox,
drained every 50 ms on the UI thread, so the screen repaints at most 20 times a second however
fast the model streams, and key presses are handled between two drains.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Static

from kog.agent.cmd_fix import larger_model_hint
from kog.agent.events import Event, EventBus, RunFinished, TokensStreamed
from kog.agent.loop import RepairRun, RunConfig
from kog.agent.model import LanguageModel
from kog.agent.tui.control import RunControl
from kog.agent.tui.diffs import DiffPanel
from kog.agent.tui.error_info import describe
from kog.agent.tui.header import RunHeader
from kog.agent.tui.inbox import (
    Inbox,
    ModelFailed,
    ModelProgress,
    ModelReady,
    Paused,
    ReviewAsked,
    RunDiff,
    RunEnded,
)
from kog.agent.tui.loading import LoadingPanel
from kog.agent.tui.repo_watch import RunRepo, UndoError
from kog.agent.tui.screens import ErrorScreen, StepDetailsScreen
from kog.agent.tui.status import INTERRUPTED, engine_state, outcome_line
from kog.agent.tui.stream import TokenStream
from kog.agent.tui.tests_panel import TestsPanel
from kog.agent.tui.timeline import StepTimeline
from kog.agent.tui.view import RunView
from kog.agent.tui.workers import ModelLoader, load_engine, load_model, run_repair, run_suite
from kog.engine.registry import DEFAULT_MODEL
from kog.tools.errors import NotARepositoryError
from kog.tools.git import RepoGuard

DRAIN_S = 0.05


class KogApp(App[int]):
    CSS_PATH = "kog.tcss"
    TITLE = "kog-agent"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("p", "pause", "Pause/resume"),
        Binding("u", "undo", "Undo step"),
        Binding("a", "accept", "Accept edit"),
        Binding("r", "reject", "Reject edit"),
        Binding("t", "new_task", "New task"),
        Binding("escape", "leave_task", "Back to the steps", show=False),
    ]

    def __init__(
        self,
        repo: Path,
        model: str,
        device: str = "auto",
        *,
        task: str | None = None,
        config: RunConfig | None = None,
        confirm: bool = False,
        load: ModelLoader = load_engine,
        clock: Callable[[], float] = time.time,
        screenshot: Path | None = None,
    ) -> None:
        """task=None opens a session (type a task, run it, run another); a task runs it at once."""
        super().__init__()
        self.repo = Path(repo)
        self.model_name = model
        self.device = device
        self.fix_task = task
        self.config = config or RunConfig()
        self.confirm = confirm
        self.load = load
        self.clock = clock
        self.screenshot = screenshot
        self.inbox = Inbox()
        self.view = RunView()
        self.model: LanguageModel | None = None
        self.device_name = ""
        self.control: RunControl | None = None
        self.run_repo: RunRepo | None = None
        self.run_active = False
        self.paused = False
        self.review_pending = False
        self.quitting = False
        self.load_failed = False
        self.error: Exception | None = None  # what stopped the app, printed once it has closed
        self.exit_code = 0
        self._outcome_shown: Text | None = None

    @property
    def session(self) -> bool:
        return self.fix_task is None

    def compose(self) -> ComposeResult:
        yield RunHeader(id="header")
        if self.session:
            yield Input(
                placeholder='Task: "all", a test id, or words like "test_add fails"; enter runs it', id="task"
            )
        yield LoadingPanel(self.model_name, id="loading")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield StepTimeline(id="timeline")
                yield TestsPanel(id="tests")
            with Vertical(id="right"):
                yield TokenStream(id="stream")
                yield DiffPanel(id="diffs")
        yield Static(id="outcome")
        yield Footer()

    def on_mount(self) -> None:
        for selector, title in (("#timeline", "Steps"), ("#tests", "Tests"), ("#stream", "Model output")):
            self.query_one(selector).border_title = title
        self.query_one("#diffs").border_title = "Diff"
        self.set_interval(DRAIN_S, self.drain)
        self.set_interval(1.0, self.render_view)
        self.render_view()
        try:
            self._check_repo()
        except NotARepositoryError as exc:
            self.fail(exc, can_go_back=False)
            return
        # NOTE: a daemon thread, not a worker: a quit while a model is assembled must not wait for it.
        threading.Thread(
            target=load_model,
            args=(self.load, self.model_name, self.device, self.inbox),
            name="kog-model-load",
            daemon=True,
        ).start()

    def _check_repo(self) -> None:
        if not self.repo.is_dir():
            raise NotARepositoryError(f"{self.repo} is not a folder")
        RepoGuard(self.repo, "check")  # raises when the folder is not in a git work tree

    # Runs.

    def start_run(self, task: str) -> None:
        if self.model is None or self.run_active:
            return
        self.view = RunView()
        self.query_one(StepTimeline).reset()
        self.control = RunControl(self.inbox)
        self.run_repo = RunRepo(self.repo, self.inbox)
        self.run_active, self.paused, self.review_pending = True, False, False
        if self.session:
            self.query_one("#task", Input).disabled = True
        self.query_one(StepTimeline).focus()
        bus = EventBus()
        bus.subscribe(self.inbox.put)
        bus.subscribe(self.run_repo)
        bus.subscribe(self.control)  # last: a pause or cancel acts once the others have seen the event
        review = self.control.review if self.confirm else None
        self.repair(RepairRun(self.repo, self.model, bus, replace(self.config, task=task), review=review))
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def repair(self, run: RepairRun) -> None:
        run_repair(run, self.inbox)

    @work(thread=True, exclusive=True, group="tests", exit_on_error=False)
    def rerun_tests(self) -> None:
        run_suite(self.repo.resolve(), self.view.test_cmd, self.inbox)

    # The inbox.

    def drain(self) -> None:
        items = self.inbox.take_all()
        if not items:
            return
        tokens: list[TokensStreamed] = []
        for item in items:
            # NOTE: tokens are most of the traffic; a run of them goes to the view in one call.
            if type(item) is TokensStreamed:
                tokens.append(item)
                continue
            if tokens:
                self.view.apply_tokens(tokens)
                tokens = []
            self.take(item)
        if tokens:
            self.view.apply_tokens(tokens)
        self.render_view()

    def take(self, item: object) -> None:
        match item:
            case Event():
                self.view.apply(item)
                if isinstance(item, RunFinished):
                    self.exit_code = item.report.exit_code
                    if item.report.status == "not_fixed" and self.model_name == DEFAULT_MODEL:
                        self.notify(larger_model_hint().removeprefix("hint: "), title="Hint", timeout=30)
            case ModelProgress():
                self.query_one(LoadingPanel).progress(item.stage, item.done, item.total)
            case ModelReady():
                self.model, self.device_name = item.model, item.device
                self.query_one(LoadingPanel).display = False
                if self.fix_task is not None:
                    self.start_run(self.fix_task)
                else:
                    self.query_one("#task", Input).focus()
            case ModelFailed():
                self.load_failed = True
                self.fail(item.error, can_go_back=False)
            case ReviewAsked():
                self.review_pending = True
                self.query_one(DiffPanel).ask_confirm(True)
                self.refresh_bindings()
            case Paused():
                self.paused = True
            case RunDiff():
                self.view.run_diff = item.diff
            case RunEnded():
                self.run_ended(item)

    def run_ended(self, ended: RunEnded) -> None:
        self.run_active, self.paused, self.review_pending = False, False, False
        self.query_one(DiffPanel).ask_confirm(False)
        if ended.outcome == "cancelled":
            self.exit_code = INTERRUPTED
            self.view.tests_note += "  (stopped)"
        if self.session:
            self.query_one("#task", Input).disabled = False  # t goes back to it; the keys act on the run
        self.refresh_bindings()
        if ended.outcome == "failed" and ended.error is not None:
            self.fail(ended.error, can_go_back=self.session)
        if self.quitting:
            self.exit(self.exit_code)
        elif self.screenshot is not None:
            self.call_after_refresh(self.save_screenshot, self.screenshot.name, str(self.screenshot.parent))

    def fail(self, error: Exception, can_go_back: bool) -> None:
        self.error = error
        self.exit_code = 2
        self.push_screen(ErrorScreen(describe(error), can_go_back), callback=self._error_dismissed)

    def _error_dismissed(self, _: None) -> None:
        self.error, self.exit_code = None, 0  # back in the session: the error is behind the user

    # Rendering.

    def render_view(self) -> None:
        # The 1 s interval can fire while the app takes its widgets down on exit (one screen, one
        # widget at a time, with awaits between): by then the app no longer runs, and any of the
        # panels below may be gone already.
        if not self.is_running:
            return
        now = self.clock()
        model = self.model.info.name if self.model is not None else self.model_name
        self.query_one(RunHeader).show(model, self.device_name, engine_state(self), self.view, now)
        self.query_one(StepTimeline).sync(list(self.view.steps.values()), now)
        stream = self.query_one(TokenStream)
        stream.show(self.view.stream_step, self.view.stream_text)
        row = self.view.steps.get(self.view.stream_step) if self.view.stream_step is not None else None
        stream.border_title = f"Model output · step {row.number} {row.kind}" if row else "Model output"
        view = self.view
        self.query_one(DiffPanel).show(view.edit_label, view.edit_diff, view.edit_state, view.run_diff)
        self.query_one(TestsPanel).show(view.tests_note, view.tests)
        outcome = outcome_line(self)
        if outcome != self._outcome_shown:
            self._outcome_shown = outcome
            self.query_one("#outcome", Static).update(outcome)

    # Keys.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(self.screen, ErrorScreen):
            return action == "quit"
        if action == "new_task":
            return self.session and not self.run_active
        if action in ("accept", "reject"):
            return (True if self.review_pending else None) if self.confirm else False
        if action == "pause":
            return True if self.run_active else None
        return True

    async def action_quit(self) -> None:
        if not self.run_active:
            self.exit(0 if self.session and self.error is None else self.exit_code)
        elif self.control is not None and not self.control.cancelled:
            self.quitting = True
            self.control.cancel()
            self.render_view()

    def action_pause(self) -> None:
        if not self.run_active or self.control is None:
            return
        if self.paused or self.control.pause_requested:
            self.control.resume()
            self.paused = False
        else:
            self.control.request_pause()
        self.render_view()

    def action_accept(self) -> None:
        self._decide(True)

    def action_reject(self) -> None:
        self._decide(False)

    def _decide(self, accept: bool) -> None:
        if self.control is None or not self.review_pending:
            return
        self.review_pending = False
        self.control.decide(accept)
        self.query_one(DiffPanel).ask_confirm(False)
        self.refresh_bindings()
        self.render_view()

    def action_undo(self) -> None:
        report = self.view.report
        if self.run_active:
            self.notify("Undo works once the run has ended; q stops it and restores everything.")
            return
        if report is None or report.status != "fixed" or not report.branch or self.run_repo is None:
            self.notify("Nothing to undo: no committed step.", severity="warning")
            return
        try:
            subject = self.run_repo.undo_last(report.branch)
        except UndoError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.view.undo()
        self.view.run_diff = self.run_repo.diff()
        self.view.tests_note = "re-running the tests ..."
        self.notify(f"Undone: {subject}")
        self.render_view()
        self.rerun_tests()

    def action_details(self) -> None:
        number = self.query_one(StepTimeline).selected_step()
        if number is not None and number in self.view.steps:
            self.push_screen(StepDetailsScreen(self.view.steps[number]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, StepTimeline):
            self.action_details()

    def action_new_task(self) -> None:
        if self.session and not self.run_active:
            self.query_one("#task", Input).focus()

    def action_leave_task(self) -> None:
        self.query_one(StepTimeline).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.model is None:
            self.notify("The model is still loading.")
            return
        self.start_run(event.value.strip() or "all")
