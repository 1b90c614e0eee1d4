"""Progress bars while a model is downloaded, assembled, verified, converted and loaded."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

STAGES = {
    "download": "downloading the parts",
    "assemble": "assembling the model file",
    "verify": "verifying the checksum",
    "convert": "converting the weights",
    "load": "loading the weights",
    "build kernels": "building the CUDA kernels",
    "capture graphs": "capturing the decode graphs",
}


class LoadingPanel(Vertical):
    def __init__(self, model: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = model

    def compose(self) -> ComposeResult:
        yield Label(f"Loading {self.model} ...", id="loading-title")

    def progress(self, stage: str, done: int, total: int) -> None:
        bars = self.query(f"#bar-{stage}")
        if bars:
            bar = bars.first(ProgressBar)
        else:
            bar = ProgressBar(total=None, show_eta=False, id=f"bar-{stage}")
            self.mount(Horizontal(Label(STAGES.get(stage, stage), classes="stage"), bar, classes="stage-row"))
        if total > 0:
            bar.update(total=total, progress=min(done, total))
