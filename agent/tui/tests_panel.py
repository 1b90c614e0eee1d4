"""The failing and passing tests of the latest run, with the failure message of the selected one."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from kog.agent.tui.view import TestRow


class TestsPanel(Vertical):
    __test__ = False  # not a pytest test class

    def compose(self) -> ComposeResult:
        yield Static(id="tests-note")
        yield DataTable(id="tests-table", cursor_type="row")
        with VerticalScroll(id="failure"):
            yield Static(id="failure-text")

    def on_mount(self) -> None:
        table = self.query_one("#tests-table", DataTable)
        table.add_column("", key="mark", width=1)
        table.add_column("test", key="test", width=4)
        self._rows: list[TestRow] = []
        self._note: str | None = None

    def show(self, note: str, tests: dict[str, TestRow]) -> None:
        if note != self._note:
            self._note = note
            self.query_one("#tests-note", Static).update(Text(note or "no test run yet", "dim"))
        # Failing first: they are what the run is about.
        rows = sorted(tests.values(), key=lambda t: (t.passed, t.id))
        if rows == self._rows:
            return
        table = self.query_one("#tests-table", DataTable)
        selected = self.selected()
        # The test column as wide as its longest id, set here: a column that fits its content is
        # widened lazily, and a frame drawn before that (under a prompt pushed at once) cut every id.
        table.clear(columns=True)
        table.add_column("", key="mark", width=1)
        table.add_column("test", key="test", width=max((cell_len(row.id) for row in rows), default=4))
        for row in rows:
            mark = Text("✓", "green") if row.passed else Text("✗", "bold red")
            table.add_row(mark, row.id, key=row.id)
        self._rows = rows
        ids = [row.id for row in rows]
        if selected is not None and selected.id in ids:
            table.move_cursor(row=ids.index(selected.id))
        self._show_failure()

    def selected(self) -> TestRow | None:
        table = self.query_one("#tests-table", DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_failure()

    def _show_failure(self) -> None:
        row = self.selected()
        if row is None:
            text = Text("")
        elif row.passed:
            text = Text(f"{row.id} passes", "green")
        else:
            text = Text(row.message or f"{row.id} fails (no message)", "red")
        self.query_one("#failure-text", Static).update(text)
