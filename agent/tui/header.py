"""The top bar: model, device, engine state, decode speed with its sparkline, tokens, elapsed time."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from kog.agent.tui.view import SPARK_POINTS, RunView

STATE_STYLES = {
    "loading": "yellow",
    "ready": "green",
    "generating": "bold cyan",
    "testing": "magenta",
    "prefill": "cyan",
    "planning": "magenta",
    "working": "magenta",
    "paused": "bold yellow",
    "pausing": "yellow",
    "waiting": "bold yellow",
    "restoring": "bold red",
    "failed": "bold red",
    "done": "green",
}


def clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    return f"{minutes:02d}:{secs:02d}"


class RunHeader(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="title-line")
        with Horizontal(id="metrics"):
            yield Static(id="speed")
            yield Sparkline([], id="spark")
            yield Static(id="counts")

    def on_mount(self) -> None:
        self._shown: dict[str, object] = {}

    def _set(self, part: str, value: Text | list[float]) -> None:
        if self._shown.get(part) == value:
            return
        self._shown[part] = value
        if isinstance(value, list):
            self.query_one(f"#{part}", Sparkline).data = value
        else:
            self.query_one(f"#{part}", Static).update(value)

    def show(self, model: str, device: str, state: str, view: RunView, now: float) -> None:
        title = Text.assemble(
            ("kog-agent ", "bold"),
            (model or "no model", "bold cyan"),
            " on ",
            (device or "-", "cyan"),
            "  engine ",
            (state, STATE_STYLES.get(state, "")),
        )
        if view.task:
            title.append(f"   task {view.task!r} in {view.repo}", "dim")
        self._set("title-line", title)
        speed = f"{view.tok_s:6.1f}" if view.tok_s < 10_000 else f"{view.tok_s / 1000:5.0f}k"
        self._set("speed", Text(f"{speed} tok/s ", "bold"))
        points = list(view.tok_s_history)
        # Padded on the left so the line grows from the right, one column a point, like a live chart.
        self._set("spark", [0.0] * (SPARK_POINTS - len(points)) + points)
        elapsed = 0.0
        if view.started_at is not None:
            elapsed = (view.finished_at or now) - view.started_at
        self._set("counts", Text(f" {view.tokens} tokens  {clock_text(elapsed)} elapsed"))
