"""The diff of the current edit and of the whole run, and the confirm prompt over them."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from kog.agent.tui.stream import highlighted

EDIT_STATES = {
    "proposed": "yellow",
    "applied": "cyan",
    "rejected": "red",
    "rolled back": "magenta",
    "kept": "green",
    "undone": "dim",
}


def diff_view(diff: str, empty: str) -> Syntax | Text:
    return highlighted(diff.rstrip("\n"), "diff") if diff.strip() else Text(empty, "dim")


class DiffPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="confirm-banner")
        with TabbedContent(id="diff-tabs"):
            with TabPane("This edit", id="edit-tab"):
                with VerticalScroll():
                    yield Static(id="edit-title")
                    yield Static(id="edit-diff")
            with TabPane("Whole run", id="run-tab"):
                with VerticalScroll():
                    yield Static(id="run-diff")

    def on_mount(self) -> None:
        self.query_one("#confirm-banner").display = False
        self._shown: tuple[str, str, str | None, str] | None = None

    def show(self, label: str, diff: str, state: str | None, run_diff: str) -> None:
        if (label, diff, state, run_diff) == self._shown:
            return  # re-rendering a diff costs a highlight and a layout
        self._shown = (label, diff, state, run_diff)
        title = Text(label or "no edit yet", "bold")
        if state:
            title.append(f"  {state}", EDIT_STATES.get(state, ""))
        self.query_one("#edit-title", Static).update(title)
        self.query_one("#edit-diff", Static).update(
            diff_view(diff, "The model has not proposed an edit yet.")
        )
        self.query_one("#run-diff", Static).update(diff_view(run_diff, "Nothing changed so far."))

    def ask_confirm(self, asking: bool) -> None:
        banner = self.query_one("#confirm-banner", Static)
        banner.display = asking
        if asking:
            banner.update(
                Text.assemble(
                    ("Apply this edit?  ", "bold"),
                    ("a", "bold green"),
                    " accept   ",
                    ("r", "bold red"),
                    " reject",
                )
            )
            self.query_one("#diff-tabs", TabbedContent).active = "edit-tab"
