"""The engine's state word in the header and the one-line outcome under the panels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from kog.agent.tui.app import KogApp

INTERRUPTED = 130


def cancelling(app: KogApp) -> bool:
    return app.run_active and app.control is not None and app.control.cancelled


def engine_state(app: KogApp) -> str:
    view = app.view
    if app.load_failed:
        return "failed"
    if app.model is None:
        return "loading"
    if cancelling(app):
        return "restoring"
    if app.review_pending:
        return "waiting"
    if app.paused:
        return "paused"
    if app.run_active and app.control is not None and app.control.pause_requested:
        return "pausing"
    row = view.steps.get(view.current) if view.current is not None else None
    if row is not None:
        if row.kind == "test":
            return "testing"
        if view.stream_step == row.number:
            return "generating"
        return "prefill" if row.kind != "plan" else "planning"
    if app.run_active:
        return "working"
    return "done" if view.report is not None else "ready"


def outcome_line(app: KogApp) -> Text:
    report = app.view.report
    if cancelling(app):
        return Text("Stopping: the repository is being restored as it was ...", "bold red")
    if app.paused:
        return Text("Paused after the current step: p resumes, q stops and restores the tree.", "yellow")
    if app.review_pending:
        return Text("Confirm: a applies the proposed edit, r rejects it.", "bold yellow")
    if not app.run_active and app.exit_code == INTERRUPTED:
        return Text("Stopped: the repository is as it was before the run.", "bold red")
    if report is None:
        return Text("")
    style = "bold green" if report.status in ("fixed", "nothing_to_fix") else "bold red"
    line = Text(report.summary(), style)
    undone = sum(row.state == "undone" for row in app.view.steps.values())
    if undone:
        line.append(f"  {undone} committed step{'s' if undone > 1 else ''} undone", "yellow")
    if report.branch:
        line.append(f"  (branch {report.branch})", "dim")
    return line
