"""Parse access-log lines such as "GET /api/users 200 42ms"."""

from __future__ import annotations

import re
from typing import NamedTuple

_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>\d+(?:\.\d+)?)ms$")


class Request(NamedTuple):
    method: str
    path: str
    status: int
    ms: float


def parse_line(line: str) -> Request:
    """Parse one log line; raise ValueError for lines in any other shape."""
    match = _LINE.match(line.strip())
    if match is None:
        raise ValueError(f"not an access-log line: {line!r}")
    return Request(match["method"], match["path"], int(match["status"]), float(match["ms"]))


def samples_for(lines: list[str], path_prefix: str = "/") -> list[float]:
    """Latencies in ms of the successful (2xx) requests under `path_prefix`."""
    requests = [parse_line(line) for line in lines if line.strip()]
    return [r.ms for r in requests if r.path.startswith(path_prefix) and 200 <= r.status < 300]
