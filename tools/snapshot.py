"""A byte-exact copy of a work tree's uncommitted state (changed tracked files, untracked files, index)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from git import Repo


class DirtySnapshot:
    """Copies, outside the repository, of every path that differs from HEAD plus the index file.

    ``put_back`` assumes the work tree is at HEAD again and rewrites those paths exactly
    (content, mode, symlinks; paths deleted in the dirty state are deleted again). It can be
    repeated. ``discard`` removes the copies.
    """

    def __init__(self, repo: Repo) -> None:
        self.work_tree = Path(repo.working_tree_dir or ".")
        self.index_path = Path(repo.git_dir) / "index"
        self.storage = Path(tempfile.mkdtemp(prefix="kog-snapshot-"))
        self.paths = changed_paths(repo) | untracked_paths(repo)
        self.present: set[str] = set()
        for rel in sorted(self.paths):
            source = self.work_tree / rel
            if source.is_symlink() or source.is_file():
                target = self.storage / "files" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
                self.present.add(rel)
        self.index = self.index_path.read_bytes() if self.index_path.exists() else None

    def put_back(self) -> None:
        for rel in sorted(self.paths):
            target = self.work_tree / rel
            if target.is_symlink() or target.is_file():
                target.unlink()
            if rel in self.present:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.storage / "files" / rel, target, follow_symlinks=False)
        if self.index is not None:
            temp = self.index_path.with_name("index.kog-restore")
            temp.write_bytes(self.index)
            os.replace(temp, self.index_path)

    def discard(self) -> None:
        shutil.rmtree(self.storage, ignore_errors=True)


def changed_paths(repo: Repo) -> set[str]:
    """Tracked paths whose index or work-tree state differs from HEAD (deleted ones included)."""
    staged = repo.git.diff("--cached", "--name-only", "-z", "--no-renames", "HEAD")
    unstaged = repo.git.diff("--name-only", "-z", "--no-renames")
    return {path for path in (staged + "\0" + unstaged).split("\0") if path}


def untracked_paths(repo: Repo) -> set[str]:
    """Untracked files that are not ignored (nested repositories left out)."""
    listing = repo.git.ls_files("--others", "--exclude-standard", "-z")
    # NOTE: a nested repository is listed as "dir/"; it is never copied or removed.
    return {path for path in listing.split("\0") if path and not path.endswith("/")}
