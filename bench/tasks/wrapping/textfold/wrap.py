"""Greedy line wrapping of paragraphs, with indenting, justifying and shortening."""

from __future__ import annotations

import re

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of `text`, which are separated by blank lines, with whitespace collapsed."""
    paragraphs = [" ".join(block.split()) for block in PARAGRAPH_BREAK.split(text)]
    return [paragraph for paragraph in paragraphs if paragraph]


def wrap_paragraph(paragraph: str, width: int) -> list[str]:
    """Lines of at most `width` characters, filled greedily with whole words.

    A word longer than `width` gets a line of its own rather than being cut.
    """
    lines: list[str] = []
    current = ""
    for word in paragraph.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap every paragraph of `text` to `width`, as one flat list of lines.

    Paragraphs are separated by blank lines in `text`; in the result an empty
    string separates the lines of one paragraph from those of the next.
    """
    if width < 1:
        raise ValueError(f"width must be positive, got {width}")
    lines: list[str] = []
    for paragraph in split_paragraphs(text):
        if lines:
            lines.append("")
        lines.append(wrap_paragraph(paragraph, width))
    return lines


def fill(text: str, width: int = 70) -> str:
    """`text` wrapped to `width` as a single string with newlines."""
    return "\n".join(wrap_text(text, width))


def indent(lines: list[str], prefix: str, first: str | None = None) -> list[str]:
    """Prefix every non-empty line; `first`, if given, replaces the prefix of the first line."""
    result = []
    for number, line in enumerate(lines):
        lead = first if number == 0 and first is not None else prefix
        result.append(lead + line if line else line)
    return result


def justify(line: str, width: int) -> str:
    """Spread the words of `line` to exactly `width` characters; earlier gaps get extra spaces."""
    words = line.split()
    if len(words) < 2:
        return line.ljust(width)
    gaps = len(words) - 1
    spaces, extra = divmod(width - sum(len(word) for word in words), gaps)
    pieces = []
    for index, word in enumerate(words[:-1]):
        pieces.append(word + " " * (spaces + (1 if index < extra else 0)))
    return "".join(pieces) + words[-1]


def shorten(text: str, width: int, placeholder: str = "...") -> str:
    """Collapse whitespace and cut at a word boundary so the result fits in `width`."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    kept = wrap_paragraph(text, width - len(placeholder))
    return (kept[0] if kept else "") + placeholder
