"""Typed events of a repair run and the in-process bus that carries them to subscribers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from kog.agent.report import RunReport, StepKind, StepState

log = logging.getLogger(__name__)


class Event(BaseModel):
    at: float = Field(default_factory=time.time)


class RunStarted(Event):
    type: Literal["run_started"] = "run_started"
    task: str
    repo: str
    model: str
    test_cmd: str


class StepStarted(Event):
    type: Literal["step_started"] = "step_started"
    step: int
    kind: StepKind
    attempt: int
    detail: str = ""


class StepFinished(Event):
    type: Literal["step_finished"] = "step_finished"
    step: int
    kind: StepKind
    attempt: int
    state: StepState
    duration_s: float
    tokens: int = 0
    detail: str = ""


class TokensStreamed(Event):
    type: Literal["tokens_streamed"] = "tokens_streamed"
    step: int
    text: str  # the delta since the previous event
    tokens: int  # generated so far in this call
    tok_s: float


class FaultLocalized(Event):
    type: Literal["fault_localized"] = "fault_localized"
    tests: list[str]
    candidates: list[str]  # "path::qualname", best first


class Diagnosed(Event):
    type: Literal["diagnosed"] = "diagnosed"
    text: str


class EditProposed(Event):
    type: Literal["edit_proposed"] = "edit_proposed"
    path: str
    function: str
    diff: str


class EditApplied(Event):
    type: Literal["edit_applied"] = "edit_applied"
    path: str
    function: str
    diff: str


class EditRejected(Event):
    type: Literal["edit_rejected"] = "edit_rejected"
    path: str
    function: str
    reason: str
    diff: str = ""


class TestsRun(Event):
    __test__ = False  # not a pytest test class

    type: Literal["tests_run"] = "tests_run"
    scope: Literal["baseline", "target", "full"]
    passed: list[str]
    failed: list[str]
    duration_s: float
    timed_out: bool = False
    messages: dict[str, str] = Field(default_factory=dict)  # failing test id -> end of its report


class RunFinished(Event):
    type: Literal["run_finished"] = "run_finished"
    report: RunReport


AnyEvent = Annotated[
    RunStarted
    | StepStarted
    | StepFinished
    | TokensStreamed
    | FaultLocalized
    | Diagnosed
    | EditProposed
    | EditApplied
    | EditRejected
    | TestsRun
    | RunFinished,
    Field(discriminator="type"),
]
event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

Subscriber = Callable[[Event], None]


class EventBus:
    """Delivers each published event to every subscriber, in the publishing thread.

    A subscriber that raises is logged and skipped: a broken view must not stop a repair.
    A BaseException (KeyboardInterrupt, a view's cancel) is not caught: it stops the run, which
    restores the tree as on Ctrl-C.
    """

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", callback, type(event).__name__)
