"""Job records and the one-line text form used by the command-line client."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Job:
    """A unit of work; a larger `priority` is more urgent."""

    name: str
    priority: int = 0
    payload: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def parse_job(line: str) -> Job:
    """Parse "name[:priority] [key=value ...]", e.g. "resize:5 width=640".

    The priority defaults to 0 and may be negative. Raises ValueError on an
    empty line, a non-integer priority or a payload item without "=".
    """
    words = line.split()
    if not words:
        raise ValueError("empty job line")
    head, *items = words
    name, _, priority_text = head.partition(":")
    if not name:
        raise ValueError(f"job without a name: {line!r}")
    try:
        priority = int(priority_text) if priority_text else 0
    except ValueError:
        raise ValueError(f"bad priority {priority_text!r} in {line!r}") from None
    payload: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"bad payload item {item!r} in {line!r}")
        payload[key] = value
    return Job(name, priority, payload)
