"""SubRip documents: numbered cues separated by blank lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from srtcues.timecodes import format_timecode, parse_timecode

_ARROW = " --> "


class SrtError(ValueError):
    """The text is not a valid SubRip document."""


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from `start` to `end` (milliseconds)."""

    index: int
    start: int
    end: int
    text: str

    @property
    def duration(self) -> int:
        return self.end - self.start


def parse_srt(text: str) -> list[Cue]:
    """Parse a SubRip document into cues.

    Cues are separated by one or more blank lines; a leading byte-order mark
    and both Unix and Windows line endings are accepted. Each cue has an index
    line, a timing line ("start --> end") and one or more text lines, which are
    joined with "\\n".
    """
    cues: list[Cue] = []
    body = text.lstrip("\ufeff").strip()
    if not body:
        return cues
    for block in re.split(r"\n\s*\n", body):
        lines = block.split("\n")
        if len(lines) < 3:
            raise SrtError(f"incomplete cue: {block!r}")
        try:
            index = int(lines[0])
        except ValueError:
            raise SrtError(f"bad cue index: {lines[0]!r}") from None
        start_text, arrow, end_text = lines[1].partition(_ARROW)
        if not arrow:
            raise SrtError(f"bad timing line in cue {index}: {lines[1]!r}")
        try:
            start, end = parse_timecode(start_text), parse_timecode(end_text)
        except ValueError as error:
            raise SrtError(f"cue {index}: {error}") from None
        if end < start:
            raise SrtError(f"cue {index} ends before it starts")
        cues.append(Cue(index, start, end, "\n".join(lines[2:])))
    return cues


def dump_srt(cues: Iterable[Cue]) -> str:
    """SubRip text for `cues`, renumbered from 1, with Unix line endings."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        timing = format_timecode(cue.start) + _ARROW + format_timecode(cue.end)
        blocks.append(f"{number}\n{timing}\n{cue.text}\n")
    return "\n".join(blocks)


def shift_cues(cues: Iterable[Cue], offset: int) -> list[Cue]:
    """Move every cue by `offset` milliseconds (negative is earlier).

    Times that would become negative are clamped to zero; cues that end up
    with no duration at all are dropped.
    """
    shifted = []
    for cue in cues:
        start, end = max(cue.start + offset, 0), max(cue.end + offset, 0)
        if end > start:
            shifted.append(replace(cue, start=start, end=end))
    return shifted
