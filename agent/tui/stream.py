"""The live output of the current model call, highlighted as Markdown with its code blocks,
following the text as it grows unless the user has scrolled up to read."""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

TAIL_LINES = 300  # highlighting is redone on each repaint; the tail is what a live view needs
THEME = "monokai"


def highlighted(text: str, lexer: str) -> Syntax:
    return Syntax(text, lexer, theme=THEME, word_wrap=True, background_color="default")


class TokenStream(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="stream-text")

    def on_mount(self) -> None:
        self._text = ""

    def show(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        at_end = self.scroll_y >= self.max_scroll_y - 1
        tail = "\n".join(text.splitlines()[-TAIL_LINES:]) if text.count("\n") > TAIL_LINES else text
        self.query_one("#stream-text", Static).update(highlighted(tail, "markdown") if tail else "")
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)
