"""What the screen shows of a run, folded from its events; widgets only render this."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from kog.agent.events import (
    Diagnosed,
    EditApplied,
    EditProposed,
    EditRejected,
    Event,
    FaultLocalized,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TestsRun,
    TokensStreamed,
)
from kog.agent.report import RunReport

RowState = Literal["running", "passed", "failed", "rolled_back", "undone"]
EditState = Literal["proposed", "applied", "rejected", "rolled back", "kept", "undone"]
SPARK_POINTS = 48
SPARK_EVERY_S = 0.5  # event time between two sparkline points, so the line is the same on every replay


@dataclass
class StepRow:
    number: int
    kind: str
    attempt: int
    detail: str
    started_at: float
    state: RowState = "running"
    duration_s: float | None = None
    tokens: int = 0
    parts: list[str] = field(default_factory=list)  # what the model wrote during the step, as streamed
    diffs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # failing test id -> its message, in the step
    applied: bool = False  # an edit was written during the step
    committed: bool = False  # the step ended with a checkpoint commit

    @property
    def output(self) -> str:
        # NOTE: joined on demand; appending to one string per chunk would be quadratic in a long stream.
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


@dataclass
class TestRow:
    __test__ = False  # not a pytest test class

    id: str
    passed: bool
    message: str = ""


@dataclass
class RunView:
    task: str = ""
    repo: str = ""
    test_cmd: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    steps: dict[int, StepRow] = field(default_factory=dict)
    current: int | None = None  # the running step
    stream_step: int | None = None  # the step whose model output is on screen
    tok_s: float = 0.0
    tok_s_history: deque[float] = field(default_factory=lambda: deque(maxlen=SPARK_POINTS))
    edit_label: str = ""
    edit_diff: str = ""
    edit_state: EditState | None = None
    run_diff: str = ""
    tests: dict[str, TestRow] = field(default_factory=dict)
    tests_note: str = ""
    suspects: list[str] = field(default_factory=list)
    diagnosis: str = ""
    report: RunReport | None = None
    _last_sample_at: float = float("-inf")
    _first_token: tuple[float, int] = (0.0, 0)  # (at, tokens) of the current call's first event

    @property
    def tokens(self) -> int:
        return sum(row.tokens for row in self.steps.values())

    @property
    def stream_text(self) -> str:
        row = self.steps.get(self.stream_step) if self.stream_step is not None else None
        return row.output if row is not None else ""

    def committed_rows(self) -> list[StepRow]:
        return [row for row in self.steps.values() if row.committed]

    def apply(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.task, self.repo, self.test_cmd, self.started_at = (
                    event.task,
                    event.repo,
                    event.test_cmd,
                    event.at,
                )
            case StepStarted():
                self.steps[event.step] = StepRow(
                    event.step, event.kind, event.attempt, event.detail, started_at=event.at
                )
                self.current = event.step
            case TokensStreamed():
                self.apply_tokens([event])
            case StepFinished():
                self._finish_step(event)
            case FaultLocalized():
                self.suspects = list(event.candidates)
            case Diagnosed():
                self.diagnosis = event.text
            case EditProposed():
                self._edit(event.function, event.diff, "proposed")
            case EditApplied():
                self._edit(event.function, event.diff, "applied", note=f"applied to {event.path}")
                if self.current in self.steps:
                    self.steps[self.current].applied = True
            case EditRejected():
                self._edit(event.function, event.diff or self.edit_diff, "rejected", note=event.reason)
            case TestsRun():
                self._tests(event)
            case RunFinished():
                self._finish_run(event.report, event.at)

    def apply_tokens(self, events: list[TokensStreamed]) -> None:
        """A run of token events, in one pass: at full speed they are most of a run's events."""
        row = None
        for event in events:
            if event.step != self.stream_step:
                self._first_token = (event.at, event.tokens)
                self.stream_step = event.step
                row = self.steps.get(event.step)
            elif row is None:
                row = self.steps.get(event.step)
            if row is not None:
                row.parts.append(event.text)
            if event.at >= self._last_sample_at + SPARK_EVERY_S:
                self.tok_s_history.append(self._decode_speed(event))
                self._last_sample_at = event.at
        last = events[-1]
        if row is not None:
            row.tokens = max(row.tokens, last.tokens)
        self.tok_s = self._decode_speed(last)

    def _decode_speed(self, event: TokensStreamed) -> float:
        """Tokens a second since the call's first token: the event's own figure counts the prompt's
        prefill too, which on a CPU hides the decode speed for most of a short reply."""
        first_at, first_tokens = self._first_token
        if event.at - first_at < 0.2:
            return event.tok_s
        return (event.tokens - first_tokens) / (event.at - first_at)

    def _finish_step(self, event: StepFinished) -> None:
        row = self.steps.get(event.step)
        if row is None:
            return
        row.state, row.duration_s, row.detail = event.state, event.duration_s, event.detail
        row.tokens = max(row.tokens, event.tokens)
        previous = self.steps.get(event.step - 1)
        if event.kind == "test" and event.state == "passed" and previous is not None and previous.applied:
            row.committed = True  # an accepted attempt: its edit is checkpointed
            self.edit_state = "kept"
        elif event.kind == "refactor" and event.state == "passed" and row.applied:
            row.committed = True
            self.edit_state = "kept"
        elif event.state == "rolled_back":
            self.edit_state = "rolled back"
        self.current = None

    def _edit(self, label: str, diff: str, state: EditState, note: str = "") -> None:
        self.edit_label, self.edit_diff, self.edit_state = label, diff, state
        row = self.steps.get(self.current) if self.current is not None else None
        if row is not None:
            if diff and diff not in row.diffs:
                row.diffs.append(diff)
            if note:
                row.notes.append(f"{label}: {note}")

    def _tests(self, event: TestsRun) -> None:
        if event.scope != "target":
            self.tests = {}
        for test_id in event.passed:
            self.tests[test_id] = TestRow(test_id, True)
        for test_id in event.failed:
            self.tests[test_id] = TestRow(test_id, False, event.messages.get(test_id, ""))
        timed_out = ", timed out" if event.timed_out else ""
        self.tests_note = (
            f"{event.scope}: {len(event.passed)} passed, {len(event.failed)} failed"
            f" in {event.duration_s:.1f} s{timed_out}"
        )
        row = self.steps.get(self.current) if self.current is not None else None
        if row is not None:
            row.notes.append(f"tests ({self.tests_note})")
            row.failures.update({test_id: event.messages.get(test_id, "") for test_id in event.failed})

    def _finish_run(self, report: RunReport, at: float) -> None:
        self.report, self.finished_at = report, at
        self.run_diff = report.diff if report.status == "fixed" else ""

    def undo(self) -> StepRow | None:
        """Mark the last committed step undone and return it."""
        rows = self.committed_rows()
        if not rows:
            return None
        row = rows[-1]
        row.committed, row.state = False, "undone"
        self.edit_state = "undone"
        return row
