"""Hand-over from worker threads to the UI thread: one ordered queue the app drains on a timer.

Bus events and the notes below go through the same queue, so the screen sees them in the order
they happened; draining every 50 ms batches a fast token stream into one repaint.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

from kog.agent.model import LanguageModel


@dataclass(frozen=True)
class ModelProgress:
    stage: str  # "download", "assemble", "verify", "convert", "load"
    done: int
    total: int  # 0 when unknown


@dataclass(frozen=True)
class ModelReady:
    model: LanguageModel
    device: str  # "cpu" or the GPU's name


@dataclass(frozen=True)
class ModelFailed:
    error: Exception


@dataclass(frozen=True)
class ReviewAsked:
    path: str
    function: str
    diff: str


@dataclass(frozen=True)
class Paused:
    step: int


@dataclass(frozen=True)
class RunDiff:
    diff: str  # the work tree against the run's start, after a step


@dataclass(frozen=True)
class RunEnded:
    outcome: Literal["finished", "cancelled", "failed"]
    error: Exception | None = None


class Inbox:
    def __init__(self) -> None:
        self._items: deque[object] = deque()
        self._lock = threading.Lock()

    def put(self, item: object) -> None:
        with self._lock:
            self._items.append(item)

    def __len__(self) -> int:
        return len(self._items)

    def take_all(self) -> list[object]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items
