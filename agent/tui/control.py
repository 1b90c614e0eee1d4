"""Steering a run from the screen: pause after the current step, confirm each edit, cancel.

The UI thread asks; the run's thread obeys where the loop publishes events (as a bus subscriber)
and where it is about to apply an edit (as the run's review callback).
"""

from __future__ import annotations

import queue
import threading

from kog.agent.edit import ProposedEdit
from kog.agent.events import Event, RunFinished, StepFinished
from kog.agent.tui.inbox import Inbox, Paused, ReviewAsked


class RunCancelled(BaseException):
    """Raised in the run's thread when the user quits mid-run; the repository guard restores the tree.

    A BaseException, like KeyboardInterrupt, so that no handler of the loop mistakes it for a failure.
    """


class RunControl:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.pause_requested = False
        self.awaiting_review = False
        self._cancelled = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._decisions: queue.SimpleQueue[bool | None] = queue.SimpleQueue()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # The UI thread's side.

    def request_pause(self) -> None:
        self.pause_requested = True
        self._resume.clear()

    def resume(self) -> None:
        self.pause_requested = False
        self._resume.set()

    def decide(self, accept: bool) -> None:
        if self.awaiting_review:
            self.awaiting_review = False
            self._decisions.put(accept)

    def cancel(self) -> None:
        self._cancelled.set()
        self._resume.set()
        self._decisions.put(None)

    # The run's thread's side.

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            return  # the guard is done; nothing is left to restore
        if self.cancelled:
            raise RunCancelled
        if isinstance(event, StepFinished) and self.pause_requested:
            self.inbox.put(Paused(event.step))
            self._resume.wait()
            if self.cancelled:
                raise RunCancelled

    def review(self, edit: ProposedEdit) -> bool:
        """Wait for the user to accept or reject the edit; a quit while waiting cancels the run."""
        if self.cancelled:
            raise RunCancelled
        self.awaiting_review = True
        self.inbox.put(ReviewAsked(edit.path, edit.label, edit.diff))
        decision = self._decisions.get()
        if decision is None:
            raise RunCancelled
        return decision
