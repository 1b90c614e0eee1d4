"""Numbering, timing and recording the steps of a run, with their started/finished events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kog.agent.events import EventBus, StepFinished, StepStarted
from kog.agent.report import StepKind, StepRecord, StepState


@dataclass
class Step:
    number: int
    kind: StepKind
    attempt: int
    state: StepState = "passed"
    tokens: int = 0
    detail: str = ""


class StepLog:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.records: list[StepRecord] = []
        self._count = 0

    @contextmanager
    def step(self, kind: StepKind, attempt: int = 1, detail: str = "") -> Iterator[Step]:
        """A step; set its state inside the block. An exception leaving it marks the step failed
        (Ctrl-C: with the detail "interrupted")."""
        self._count += 1
        step = Step(self._count, kind, attempt, detail=detail)
        self.bus.publish(StepStarted(step=step.number, kind=kind, attempt=attempt, detail=detail))
        started = time.monotonic()
        try:
            yield step
        except KeyboardInterrupt:
            step.state, step.detail = "failed", "interrupted"  # not a verdict on the step's work
            raise
        except BaseException:
            step.state = "failed"
            raise
        finally:
            duration = time.monotonic() - started
            self.records.append(
                StepRecord(
                    kind=kind,
                    attempt=attempt,
                    state=step.state,
                    duration_s=round(duration, 3),
                    tokens=step.tokens,
                    detail=step.detail,
                )
            )
            self.bus.publish(
                StepFinished(
                    step=step.number,
                    kind=kind,
                    attempt=attempt,
                    state=step.state,
                    duration_s=duration,
                    tokens=step.tokens,
                    detail=step.detail,
                )
            )

    def timings(self, total_s: float) -> dict[str, float]:
        timings: dict[str, float] = {}
        for record in self.records:
            timings[record.kind] = round(timings.get(record.kind, 0.0) + record.duration_s, 3)
        timings["total"] = round(total_s, 3)
        return timings
