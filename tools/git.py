"""A guard around one repair: a fix branch, checkpoints, rollback, and restoring the user's tree exactly."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType


class RepoGuard:
    """Context manager that isolates the agent's edits on a ``kog/fix-<slug>`` branch.

    On enter: checks the repository, refuses a dirty tree unless ``allow_dirty`` (then snapshots
    it so it can be restored byte-for-byte and carries it onto the fix branch), records the
    original branch and HEAD, and creates and checks out the fix branch at HEAD.
    On exit with an exception (KeyboardInterrupt included): ``restore()``.
    """

    def __init__(self, root: str | Path, task: str, allow_dirty: bool = False, commit: bool = True) -> None:
        raise NotImplementedError

    def __enter__(self) -> RepoGuard:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise NotImplementedError

    @property
    def branch(self) -> str:
        """The fix branch's name."""
        raise NotImplementedError

    def checkpoint(self, message: str) -> str:
        """Record the working tree as the new rollback point; with commit=True, commit it and return the sha."""
        raise NotImplementedError

    def rollback(self) -> None:
        """Put the working tree back to the last checkpoint; files created since are removed."""
        raise NotImplementedError

    def diff(self) -> str:
        """Unified diff from the start (including the user's dirty state) to the working tree."""
        raise NotImplementedError

    def finish(self, success: bool) -> None:
        """Success: commit=True leaves the user on the fix branch with its commits; commit=False puts
        the changes uncommitted on the original branch and deletes the fix branch. Failure: restore()."""
        raise NotImplementedError

    def restore(self) -> None:
        """Put the repository back exactly as it was at enter; idempotent, safe on an interrupt path."""
        raise NotImplementedError
