"""The step timeline: plan, edit, test and refactor, each attempt with its state and duration."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from kog.agent.tui.view import StepRow

STATES = {
    "running": ("● running", "bold yellow"),
    "passed": ("✓ passed", "green"),
    "failed": ("✗ failed", "red"),
    "rolled_back": ("↺ rolled back", "magenta"),
    "undone": ("⤺ undone", "dim"),
}


def row_cells(row: StepRow, now: float) -> tuple[Text | str, ...]:
    label, style = STATES[row.state]
    seconds = row.duration_s if row.duration_s is not None else max(now - row.started_at, 0.0)
    commit = " ⎇" if row.committed else ""
    return (
        str(row.number),
        f"{row.kind} #{row.attempt}" if row.kind in ("edit", "test") else row.kind,
        Text(label + commit, style),
        f"{seconds:.1f} s",
        str(row.tokens or ""),
        row.detail,
    )


class StepTimeline(DataTable):
    """One row a step; enter opens the selected step's details (the app handles RowSelected)."""

    BINDINGS = [Binding("enter", "select_cursor", "Step details")]
    COLUMNS = (("#", 2), ("step", 9), ("state", 15), ("time", 7), ("tok", 4), ("detail", 100))

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for name, width in self.COLUMNS:
            self.add_column(name, key=name, width=width)
        self._shown: dict[int, tuple[Text | str, ...]] = {}

    def sync(self, rows: list[StepRow], now: float) -> None:
        """Add new steps and redraw the cells that changed, keeping the cursor where it is."""
        follow = self.cursor_row >= self.row_count - 1
        for row in rows:
            cells = row_cells(row, now)
            shown = self._shown.get(row.number)
            if shown is None:
                self.add_row(*cells, key=str(row.number))
            elif shown != cells:
                for (name, _), cell, old in zip(self.COLUMNS, cells, shown, strict=True):
                    if cell != old:
                        self.update_cell(str(row.number), name, cell)
            self._shown[row.number] = cells
        if follow and self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def reset(self) -> None:
        self.clear()
        self._shown = {}

    def selected_step(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None
