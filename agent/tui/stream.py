"""The live output of the current model call: completed lines are highlighted once and appended
(Markdown prose, code blocks in their language), the line being written shows below them. The view
follows the end unless the user has scrolled up to read.

Appending keeps each repaint proportional to the new text, so a long reply at full speed costs the
screen no more than a short one.
"""

from __future__ import annotations

from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

THEME = "monokai"
KEPT_LINES = 2_000  # the whole reply stays in the step's details
# Lines written a repaint at most: a stream faster than anyone can read skips to its tail.
LINES_PER_REPAINT = 40


def highlighted(text: str, lexer: str) -> Syntax:
    return Syntax(text, lexer, theme=THEME, word_wrap=True, background_color="default")


class LineHighlighter:
    """Highlights a reply line by line, following its ``` fences."""

    def __init__(self) -> None:
        self.language: str | None = None  # inside a fence: its language
        self._syntaxes: dict[str, Syntax] = {}

    def _syntax(self, language: str) -> Syntax:
        if language not in self._syntaxes:
            try:
                lexer = get_lexer_by_name(language)
            except ClassNotFound:
                lexer = TextLexer()
            # NOTE: a Lexer object, not its name: Syntax looks a name up again on every call.
            self._syntaxes[language] = Syntax("", lexer, theme=THEME, background_color="default")
        return self._syntaxes[language]

    def follow(self, line: str) -> None:
        """Track the fences of a line that is not shown."""
        if line.lstrip().startswith("```"):
            self.language = None if self.language is not None else (line.strip()[3:].strip() or "text")

    def line(self, line: str) -> Text:
        if line.lstrip().startswith("```"):
            self.follow(line)
            return Text(line, "dim")
        text = self._syntax(self.language or "markdown").highlight(line)
        text.rstrip()
        return text


class TokenStream(Vertical):
    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=KEPT_LINES, wrap=True, id="stream-log")
        yield Static(id="stream-partial")

    def on_mount(self) -> None:
        self._key: object = None
        self._consumed = 0
        self._partial = ""
        self._highlighter = LineHighlighter()

    def show(self, key: object, text: str) -> None:
        """Show `text`, the output so far of the call named by `key`; a new key starts afresh."""
        log = self.query_one(RichLog)
        if key != self._key or len(text) < self._consumed:
            self._key, self._consumed, self._partial = key, 0, ""
            self._highlighter = LineHighlighter()
            log.clear()
        if len(text) == self._consumed:
            return
        pending = self._partial + text[self._consumed :]
        self._consumed = len(text)
        *complete, self._partial = pending.split("\n")
        # NOTE: the line being written stays one row high (a fixed height spares the screen a layout
        # on every repaint); what overflows it moves to the log a row at a time, as wrapping would.
        width = max(self.size.width - 3, 8)
        while len(self._partial) > width:
            cut = self._partial.rfind(" ", 0, width) + 1 or width
            complete.append(self._partial[:cut])
            self._partial = self._partial[cut:]
        if complete:
            skipped, shown = complete[:-LINES_PER_REPAINT], complete[-LINES_PER_REPAINT:]
            for line in skipped:
                self._highlighter.follow(line)
            lines = [self._highlighter.line(line) for line in shown]
            if skipped:
                lines.insert(
                    0, Text(f"⋯ {len(skipped)} lines streamed past (enter on the step shows all)", "dim")
                )
            following = log.scroll_y >= log.max_scroll_y - 1
            log.write(Text("\n").join(lines), scroll_end=following)
        self.query_one("#stream-partial", Static).update(Text(self._partial))
