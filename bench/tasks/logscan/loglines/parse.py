"""Parsing log lines such as "2024-05-01T12:00:03Z WARN [auth] token expires soon"."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LINE = re.compile(
    r"(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})Z\s+"
    r"(?P<level>[A-Z]+)\s+"
    r"\[(?P<component>[\w.-]+)\]\s+"
    r"(?P<message>.*)"
)


@dataclass(frozen=True)
class Entry:
    """One log record."""

    time: datetime
    level: str
    component: str
    message: str


def parse_line(line: str) -> Entry | None:
    """The entry on one line, or None if the line is not a well-formed record."""
    found = LINE.fullmatch(line.rstrip())
    if found is None or found["level"] not in LEVELS:
        return None
    return Entry(
        time=datetime.fromisoformat(found["time"]),
        level=found["level"],
        component=found["component"],
        message=found["message"],
    )


def parse_log(text: str) -> tuple[list[Entry], list[int]]:
    """The entries of a whole log, and the numbers (from 1) of the lines that were rejected.

    Indented lines continue the message of the entry before them (stack
    traces and the like) and are joined to it with newlines. Blank lines are
    ignored. Any other line that is not a record is rejected and skipped, and
    reading carries on with the line after it.
    """
    entries: list[Entry] = []
    rejected: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line[0].isspace() and entries:
            last = entries[-1]
            entries[-1] = replace(last, message=last.message + "\n" + line.strip())
            continue
        entry = parse_line(line)
        if entry is None:
            rejected.append(number)
            break
        entries.append(entry)
    return entries, rejected
