"""Heap-backed job queue with lazy cancellation."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator

from jobheap.jobs import Job


class JobQueue:
    """Jobs come out most urgent (highest priority) first.

    Jobs of equal priority come out in the order they were pushed. Cancelled
    jobs stay in the heap until they reach the top and are then skipped.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Job]] = []
        self._order = itertools.count()
        self._cancelled: set[int] = set()
        self._live: dict[str, int] = {}

    def push(self, job: Job) -> None:
        """Queue `job`; a job name may be queued only once at a time."""
        if job.name in self._live:
            raise ValueError(f"job {job.name!r} is already queued")
        ticket = next(self._order)
        heapq.heappush(self._heap, (job.priority, ticket, job))
        self._live[job.name] = ticket

    def cancel(self, name: str) -> bool:
        """Cancel the queued job called `name`; False if there is none."""
        ticket = self._live.pop(name, None)
        if ticket is None:
            return False
        self._cancelled.add(ticket)
        return True

    def _discard_cancelled(self) -> None:
        while self._heap and self._heap[0][1] in self._cancelled:
            _, ticket, _ = heapq.heappop(self._heap)
            self._cancelled.discard(ticket)

    def peek(self) -> Job:
        """The job `pop` would return next, left in the queue."""
        self._discard_cancelled()
        if not self._heap:
            raise IndexError("peek from an empty job queue")
        return self._heap[0][2]

    def pop(self) -> Job:
        """Remove and return the most urgent job; IndexError when empty."""
        self._discard_cancelled()
        if not self._heap:
            raise IndexError("pop from an empty job queue")
        _, _, job = heapq.heappop(self._heap)
        del self._live[job.name]
        return job

    def drain(self) -> Iterator[Job]:
        """Pop jobs until the queue is empty."""
        while self:
            yield self.pop()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, name: object) -> bool:
        return name in self._live
