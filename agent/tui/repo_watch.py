"""The repository as the screen follows it: where the run started, its diff so far, and undo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kog.agent.errors import AgentError
from kog.agent.events import Event, StepFinished, StepStarted
from kog.agent.tui.inbox import Inbox, RunDiff

# Read-only commands must not take the index lock the running loop may need.
GIT_ENV = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}


class UndoError(AgentError):
    """There is no committed step to undo, or the fix branch is no longer checked out."""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=GIT_ENV,
    )
    if done.returncode != 0:
        raise UndoError(f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class RunRepo:
    """A bus subscriber in the run's thread: notes the start commit and sends the diff after each
    test or refactor step, while the loop waits, so no git command races the loop's own."""

    def __init__(self, root: Path, inbox: Inbox) -> None:
        self.root = root
        self.inbox = inbox
        self.base: str | None = None  # the fix branch's first commit (after the user's own work)

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted) and self.base is None:
            self.base = git(self.root, "rev-parse", "HEAD").strip()
        elif isinstance(event, StepFinished) and event.kind in ("test", "refactor") and self.base:
            self.inbox.put(RunDiff(self.diff()))

    def diff(self) -> str:
        if self.base is None:
            return ""
        return git(self.root, "diff", "--no-color", "--no-ext-diff", self.base, "--")

    def undo_last(self, branch: str) -> str:
        """Move the fix branch back one commit, keeping any change of the user's; returns its subject."""
        current = git(self.root, "branch", "--show-current").strip()
        if current != branch:
            raise UndoError(f"the fix branch {branch} is no longer checked out (on {current or 'no branch'})")
        if self.base is None or git(self.root, "rev-parse", "HEAD").strip() == self.base:
            raise UndoError("nothing left to undo: the branch is back where the run started")
        subject = git(self.root, "log", "-1", "--format=%s").strip()
        git(self.root, "reset", "-q", "--keep", "HEAD~1")
        return subject
