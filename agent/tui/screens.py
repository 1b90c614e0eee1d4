"""Screens over the main one: an error screen (never a traceback) and a step's details."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from kog.agent.tui.error_info import ErrorInfo
from kog.agent.tui.stream import highlighted
from kog.agent.tui.timeline import STATES
from kog.agent.tui.view import StepRow


class ErrorScreen(Screen[None]):
    """A failure explained in three parts; q quits, escape goes back when there is a screen to go back to."""

    BINDINGS = [Binding("q", "app.quit", "Quit"), Binding("escape", "back", "Back")]

    def __init__(self, info: ErrorInfo, can_go_back: bool) -> None:
        super().__init__()
        self.info = info
        self.can_go_back = can_go_back

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Static(Text(self.info.title, "bold red"), id="error-title")
            yield Static(Text(self.info.message), id="error-message")
            yield Static(Text(self.info.hint, "italic"), id="error-hint")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_go_back if action == "back" else True

    def action_back(self) -> None:
        self.dismiss()


def step_details(row: StepRow) -> Group:
    state, style = STATES[row.state]
    duration = f"{row.duration_s:.1f} s" if row.duration_s is not None else "running"
    parts: list = [
        Text.assemble((f"Step {row.number}: {row.kind} #{row.attempt}  ", "bold"), (state, style)),
        Text(f"{duration}, {row.tokens} tokens" + (", committed" if row.committed else "")),
        Text(row.detail or "", "italic"),
    ]
    for note in row.notes:
        parts.append(Text(f"- {note}"))
    for test_id, message in row.failures.items():
        parts += [Text(f"\n✗ {test_id}", "bold red"), Text(message)]
    if row.output:
        parts += [Text("\nModel output", "bold underline"), highlighted(row.output, "markdown")]
    for diff in row.diffs:
        parts += [Text("\nEdit", "bold underline"), highlighted(diff.rstrip("\n"), "diff")]
    return Group(*parts)


class StepDetailsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, row: StepRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-box"):
            yield Static(step_details(self.row))
        yield Footer()
