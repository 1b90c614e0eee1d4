"""Headless views of a run: line-by-line progress for people, JSON lines for machines."""

from __future__ import annotations

import sys
from typing import TextIO

from kog.agent.events import (
    Diagnosed,
    EditApplied,
    EditRejected,
    Event,
    FaultLocalized,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    TestsRun,
)


def _indent(text: str, pad: str = "    ") -> str:
    return "".join(pad + line for line in text.splitlines(keepends=True))


class PlainRenderer:
    """One line per step and test run; the diffs of applied edits; the report at the end."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def __call__(self, event: Event) -> None:
        line = self.line(event)
        if line is not None:
            self.stream.write(line + "\n")
            self.stream.flush()

    def line(self, event: Event) -> str | None:
        match event:
            case RunStarted():
                return (
                    f"kog-agent: {event.task!r} in {event.repo} with {event.model} (tests: {event.test_cmd})"
                )
            case StepStarted():
                return f"[{event.step}] {event.kind} #{event.attempt} {event.detail}".rstrip()
            case StepFinished():
                tokens = f", {event.tokens} tok" if event.tokens else ""
                detail = f": {event.detail}" if event.detail else ""
                return f"[{event.step}] {event.kind} {event.state} ({event.duration_s:.1f} s{tokens}){detail}"
            case FaultLocalized():
                return "    suspects: " + (", ".join(event.candidates) or "none")
            case Diagnosed():
                return "    diagnosis: " + " ".join(event.text.split())
            case EditApplied():
                return (
                    f"    applied to {event.path} ({event.function}):\n"
                    + _indent(event.diff, "      ").rstrip()
                )
            case EditRejected():
                return f"    rejected ({event.function}): {event.reason}"
            case TestsRun():
                timed_out = ", timed out" if event.timed_out else ""
                return (
                    f"    tests ({event.scope}): {len(event.passed)} passed, {len(event.failed)} failed"
                    f" in {event.duration_s:.1f} s{timed_out}"
                )
            case RunFinished():
                report = event.report
                text = report.summary()
                if report.branch:
                    text += f"\nthe fix is committed on branch {report.branch}"
                return text
        return None


class JsonLinesRenderer:
    """Every event as one JSON object a line, `type` naming the event."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def __call__(self, event: Event) -> None:
        self.stream.write(event.model_dump_json() + "\n")
        self.stream.flush()
