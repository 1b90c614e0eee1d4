"""A guard around one repair: a fix branch, checkpoints, rollback, and restoring the user's tree exactly.

Choices the agreed API left open: with allow_dirty the user's uncommitted work becomes the first
commit of the fix branch ("kog: uncommitted work at start"), so diff() and the fix commits show only
the agent's changes; the original dirty state (index included) is restored byte-for-byte from copies.
checkpoint() always commits on the fix branch, since rollback needs a commit; with commit=False the
fix branch is deleted at finish() and the changes land uncommitted on the original branch.
finish(True) keeps what was checkpointed and drops later changes. Hooks and signing are off for every
git command the guard runs. Added: GitStateError (no commits, merge in progress, branch clash).
"""

from __future__ import annotations

import difflib
import re
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from git import GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from kog.tools.errors import DirtyTreeError, GitStateError, NotARepositoryError
from kog.tools.snapshot import DirtySnapshot, untracked_paths

BRANCH_PREFIX = "kog/fix-"
GIT_OPTIONS = ("-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false")
FALLBACK_IDENTITY = {"name": "kog-agent", "email": "kog-agent@localhost"}
IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_LOG", "rebase-merge", "rebase-apply")
DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--binary")


class RepoGuard:
    """Context manager that isolates the agent's edits on a ``kog/fix-<slug>`` branch.

    On enter: checks the repository, refuses a dirty tree unless ``allow_dirty`` (then snapshots
    it so it can be restored byte-for-byte and carries it onto the fix branch), records the
    original branch and HEAD, and creates and checks out the fix branch at HEAD. Leaving the
    block with an exception (KeyboardInterrupt included), or without finish(), restores.
    """

    def __init__(self, root: str | Path, task: str, allow_dirty: bool = False, commit: bool = True) -> None:
        try:
            self.repo = Repo(Path(root), search_parent_directories=True)
        except (InvalidGitRepositoryError, NoSuchPathError) as exc:
            raise NotARepositoryError(f"{root} is not inside a git repository") from exc
        if self.repo.bare or self.repo.working_tree_dir is None:
            raise NotARepositoryError(f"{root} is a bare git repository")
        self.work_tree = Path(self.repo.working_tree_dir)
        self.task = task
        self.allow_dirty = allow_dirty
        self.commit = commit
        self.git = self.repo.git
        self.git.set_persistent_git_options(c=list(GIT_OPTIONS[1::2]))
        self.original_branch: str | None = None
        self.original_head = ""
        self.start_commit = ""
        self.last_checkpoint = ""
        self._branch = ""
        self._snapshot: DirtySnapshot | None = None
        self._state = "new"  # new -> active -> done

    def check(self) -> bool:
        """Whether the tree is dirty, after refusing what entering would refuse (no commits, a git
        operation under way, a dirty tree unless allowed): callers check before costly work."""
        self._check_state()
        dirty = self.repo.is_dirty(untracked_files=True)
        if dirty and not self.allow_dirty:
            raise DirtyTreeError(
                f"{self.work_tree} has uncommitted changes or untracked files; commit or stash them, "
                "or allow a dirty tree"
            )
        return dirty

    def __enter__(self) -> RepoGuard:
        dirty = self.check()
        self.original_head = self.repo.head.commit.hexsha
        self.original_branch = None if self.repo.head.is_detached else self.repo.active_branch.name
        self._branch = self._free_branch_name(branch_slug(self.task))
        self._snapshot = DirtySnapshot(self.repo) if dirty else None
        self._state = "active"
        try:
            try:
                self.git.checkout("-q", "-b", self._branch)
            except GitCommandError as exc:
                raise GitStateError(f"cannot create branch {self._branch}: {exc.stderr.strip()}") from exc
            if self._snapshot is not None:
                self.git.add("-A")
                self._commit("kog: uncommitted work at start")
            self.start_commit = self.last_checkpoint = self.repo.head.commit.hexsha
        except BaseException:
            self.restore()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.restore()

    @property
    def branch(self) -> str:
        """The fix branch's name."""
        return self._branch

    @property
    def active(self) -> bool:
        """True between a successful enter and finish()/restore()."""
        return self._state == "active"

    def checkpoint(self, message: str) -> str:
        """Commit the working tree on the fix branch as the new rollback point and return its sha.

        With nothing changed since the last checkpoint, no commit is made and its sha is returned.
        """
        self._require_active()
        self.git.add("-A")
        if self.repo.is_dirty(index=True, working_tree=False, untracked_files=False):
            self._commit(message)
        self.last_checkpoint = self.repo.head.commit.hexsha
        return self.last_checkpoint

    def rollback(self) -> None:
        """Put the working tree back to the last checkpoint; untracked files created since are removed."""
        self._require_active()
        with signals_deferred():
            self.git.reset("-q", "--hard", self.last_checkpoint)
            self._remove_untracked()

    def take_back(self) -> str | None:
        """Undo, in the working tree, the changes checkpointed since the start, keeping those made after
        the last checkpoint (each file a three-way merge: `git merge-file`); the diff of what changed, or
        None with the tree untouched when a file does not merge cleanly (the later changes touch the
        same lines) or was added or removed. `rollback` brings everything back."""
        self._require_active()
        listed = self._git_bytes("diff", "--name-only", "-z", self.start_commit, self.last_checkpoint, "--")
        merged: dict[Path, tuple[str, bytes]] = {}
        with tempfile.TemporaryDirectory(prefix="kog-take-back-") as tmp:
            base, start = Path(tmp, "base"), Path(tmp, "start")
            for rel in filter(None, listed.decode("utf-8", errors="surrogateescape").split("\0")):
                path = self.work_tree / rel
                on_both = self._exists(self.start_commit, rel) and self._exists(self.last_checkpoint, rel)
                if not (path.is_file() and on_both):
                    return None
                base.write_bytes(self._git_bytes("show", f"{self.last_checkpoint}:{rel}"))
                start.write_bytes(self._git_bytes("show", f"{self.start_commit}:{rel}"))
                status, out, _ = self.git.execute(
                    ["git", *GIT_OPTIONS, "merge-file", "-p", "-q", str(path), str(base), str(start)],
                    stdout_as_string=False,
                    strip_newline_in_stdout=False,
                    with_extended_output=True,
                    with_exceptions=False,
                )
                if status != 0:
                    return None
                merged[path] = (rel, out)
        parts = []
        with signals_deferred():
            for path, (rel, text) in merged.items():
                before = path.read_bytes()
                path.write_bytes(text)
                parts += difflib.unified_diff(
                    before.decode("utf-8", errors="replace").splitlines(keepends=True),
                    text.decode("utf-8", errors="replace").splitlines(keepends=True),
                    f"a/{rel}",
                    f"b/{rel}",
                )
        return "".join(parts)

    def _exists(self, commit: str, rel: str) -> bool:
        status, _, _ = self.git.execute(
            ["git", *GIT_OPTIONS, "cat-file", "-e", f"{commit}:{rel}"],
            with_extended_output=True,
            with_exceptions=False,
        )
        return status == 0

    def diff(self) -> str:
        """Unified diff from the start (after the user's own uncommitted work) to the working tree."""
        self._require_active()
        parts = [self._git_bytes("diff", *DIFF_OPTIONS, self.start_commit, "--")]
        for rel in sorted(untracked_paths(self.repo)):
            parts.append(self._git_bytes("diff", *DIFF_OPTIONS, "--no-index", "--", "/dev/null", rel))
        return b"".join(parts).decode("utf-8", errors="replace")

    def finish(self, success: bool) -> None:
        """Success: commit=True leaves the user on the fix branch with its commits; commit=False puts
        the changes uncommitted on the original branch and deletes the fix branch. Failure: restore().

        Changes made after the last checkpoint are dropped; with no checkpoint at all, this restores.
        """
        self._require_active()
        if not success or self.last_checkpoint == self.start_commit:
            self.restore()
            return
        self.rollback()
        if self.commit:
            self._finish_state()
            return
        patch = self._git_bytes("diff", *DIFF_OPTIONS, self.start_commit, self.last_checkpoint, "--")
        try:
            with signals_deferred():
                self._back_to_original()
                applied = self._apply(patch)
        except BaseException:
            self.restore()
            raise
        self._finish_state()
        if not applied:
            raise GitStateError(
                f"the fix does not apply to {self.original_branch or self.original_head}; the tree is "
                f"restored and the fix is kept on branch {self._branch}"
            )
        self.git.branch("-q", "-D", self._branch)

    def restore(self) -> None:
        """Put the repository back exactly as it was at enter; idempotent, safe on an interrupt path."""
        if self._state != "active":
            return
        with signals_deferred():
            try:
                self._wait_for_index_lock()
                self._back_to_original()
                if self._branch in self.repo.heads:
                    self.git.branch("-q", "-D", self._branch)
            except (GitCommandError, OSError) as exc:
                saved = (
                    f"; your uncommitted work is saved in {self._snapshot.storage}" if self._snapshot else ""
                )
                raise GitStateError(f"could not restore {self.work_tree}: {exc}{saved}") from exc
            self._finish_state()

    def _wait_for_index_lock(self, timeout_s: float = 5.0) -> None:
        """Give a git command cut short by the same interrupt time to drop its lock."""
        lock = Path(self.repo.git_dir) / "index.lock"
        deadline = time.monotonic() + timeout_s
        while lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _back_to_original(self) -> None:
        # NOTE: untracked files are removed only while on the fix branch, where the user's own are
        # committed; a repeated call (already on the original branch) must not remove them.
        if not self.repo.head.is_detached and self.repo.active_branch.name == self._branch:
            self.git.reset("-q", "--hard")
            self._remove_untracked()
        self.git.checkout("-q", "-f", self.original_branch or self.original_head, "--")
        if self._snapshot is not None:
            self._snapshot.put_back()

    def _finish_state(self) -> None:
        if self._snapshot is not None:
            self._snapshot.discard()
        self._state = "done"

    def _remove_untracked(self) -> None:
        keep = self._snapshot.paths if self._snapshot is not None else set()
        for rel in untracked_paths(self.repo) - keep:
            path = self.work_tree / rel
            path.unlink(missing_ok=True)
            for parent in path.parents:
                if parent == self.work_tree or any(parent.iterdir()):
                    break
                parent.rmdir()

    def _apply(self, patch: bytes) -> bool:
        if not patch.strip():
            return True
        with tempfile.NamedTemporaryFile(prefix="kog-fix-", suffix=".patch") as handle:
            handle.write(patch)
            handle.flush()
            status, _, _ = self.git.execute(
                ["git", *GIT_OPTIONS, "apply", "--binary", "--whitespace=nowarn", handle.name],
                with_extended_output=True,
                with_exceptions=False,
            )
        return status == 0

    def _commit(self, message: str) -> None:
        env = {}
        for key, fallback in FALLBACK_IDENTITY.items():
            if not self._configured(f"user.{key}"):
                env[f"GIT_AUTHOR_{key.upper()}"] = env[f"GIT_COMMITTER_{key.upper()}"] = fallback
        self.git.commit("-q", "--no-verify", "-m", message, env=env)

    def _configured(self, key: str) -> bool:
        status, out, _ = self.git.config("--get", key, with_extended_output=True, with_exceptions=False)
        return status == 0 and bool(out.strip())

    def _git_bytes(self, *args: str) -> bytes:
        """Raw output of a git command (exit status ignored: diff --no-index exits 1 on differences)."""
        _, out, _ = self.git.execute(
            ["git", *GIT_OPTIONS, *args],
            stdout_as_string=False,
            strip_newline_in_stdout=False,
            with_extended_output=True,
            with_exceptions=False,
        )
        return out

    def _check_state(self) -> None:
        if not self.repo.head.is_valid():
            raise GitStateError(f"{self.work_tree} has no commits yet; make a first commit")
        git_dir = Path(self.repo.git_dir)
        busy = [name for name in IN_PROGRESS if (git_dir / name).exists()]
        if busy:
            raise GitStateError(f"{self.work_tree} is in the middle of a git operation ({busy[0]})")
        if (git_dir / "index.lock").exists():
            raise GitStateError(f"another git process holds {git_dir / 'index.lock'}")

    def _free_branch_name(self, slug: str) -> str:
        existing = {head.name for head in self.repo.heads}
        name, suffix = f"{BRANCH_PREFIX}{slug}", 2
        while name in existing:
            name, suffix = f"{BRANCH_PREFIX}{slug}-{suffix}", suffix + 1
        return name

    def _require_active(self) -> None:
        if self._state != "active":
            raise GitStateError("the repository guard is not active (not entered, or already finished)")


def branch_slug(task: str, max_len: int = 40) -> str:
    """A branch-name-safe slug of the task: lowercase words joined by dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", task.lower()).strip("-")[:max_len].rstrip("-")
    return slug or "task"


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends, so an interrupt cannot cut a restore in half."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
