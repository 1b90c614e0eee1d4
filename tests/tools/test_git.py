"""RepoGuard on real repositories: refusals, snapshots, checkpoints, rollback and exact restores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tool_repos import git, tree_state

from kog.tools.errors import DirtyTreeError, GitStateError, NotARepositoryError, ToolError
from kog.tools.git import RepoGuard, branch_slug

FILES = {
    "pkg/__init__.py": "",
    "pkg/calc.py": "def add(a, b):\n    return a - b\n",
    "tests/test_calc.py": "from pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    ".gitignore": "*.log\n",
}


def make_dirty(root: Path) -> None:
    """Staged, unstaged, staged-then-changed, deleted, untracked (one executable) and ignored changes."""
    (root / "pkg/calc.py").write_text("def add(a, b):\n    return a - b  # work in progress\n")
    (root / "pkg/staged.py").write_text("STAGED = 1\n")
    git(root, "add", "pkg/staged.py")
    (root / "pkg/staged.py").write_text("STAGED = 2\n")
    git(root, "rm", "-q", "--cached", "pkg/__init__.py")
    (root / "tests/test_calc.py").unlink()
    (root / "notes").mkdir()
    (root / "notes/todo.txt").write_bytes(b"crlf line\r\nno final newline")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "run.sh", 0o755)
    (root / "debug.log").write_text("ignored\n")


def test_refuses_non_repository_and_dirty_tree(tmp_path, make_repo):
    with pytest.raises(NotARepositoryError):
        RepoGuard(tmp_path, "task")
    root = make_repo(FILES)
    (root / "scratch.py").write_text("x = 1\n")
    before = tree_state(root)
    with pytest.raises(DirtyTreeError) as caught:
        RepoGuard(root, "task").__enter__()
    assert caught.value.exit_code == 2 and isinstance(caught.value, ToolError)
    assert tree_state(root) == before


def test_ignored_files_do_not_make_the_tree_dirty(make_repo):
    root = make_repo(FILES)
    (root / "build.log").write_text("ignored\n")
    with RepoGuard(root, "task") as guard:
        assert guard.branch == "kog/fix-task"
        guard.finish(success=False)
    assert (root / "build.log").read_text() == "ignored\n"


def test_refuses_repository_without_commits(tmp_path):
    git(tmp_path, "init", "-q")
    with pytest.raises(GitStateError):
        RepoGuard(tmp_path, "task").__enter__()


def test_checkpoint_rollback_and_success_keeps_commits(make_repo):
    root = make_repo(FILES)
    with RepoGuard(root, "Fix add()!") as guard:
        assert git(root, "branch", "--show-current").strip() == "kog/fix-fix-add"
        (root / "pkg/calc.py").write_text("def add(a, b):\n    return a + b\n")
        sha = guard.checkpoint("Fix add")
        assert guard.checkpoint("nothing new") == sha
        (root / "pkg/calc.py").write_text("broken(\n")
        (root / "pkg/new_dir").mkdir()
        (root / "pkg/new_dir/junk.py").write_text("junk\n")
        (root / "debug.log").write_text("ignored, left alone\n")
        assert "broken(" in guard.diff() and "junk" in guard.diff()
        guard.rollback()
        assert (root / "pkg/calc.py").read_text() == "def add(a, b):\n    return a + b\n"
        assert not (root / "pkg/new_dir").exists()
        assert (root / "debug.log").exists()
        assert "+    return a + b" in guard.diff()
        guard.finish(success=True)
    assert git(root, "branch", "--show-current").strip() == "kog/fix-fix-add"
    assert git(root, "log", "--format=%s", "-2").split("\n")[:2] == ["Fix add", "initial"]
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "rev-parse", "main").strip() != sha


def test_branch_name_is_unique(make_repo):
    root = make_repo(FILES)
    git(root, "branch", "kog/fix-task")
    with RepoGuard(root, "task") as guard:
        assert guard.branch == "kog/fix-task-2"
        guard.finish(success=False)
    assert branch_slug("  ??? ") == "task"
    assert branch_slug("Fix the Parser: handle `None` inputs") == "fix-the-parser-handle-none-inputs"


def test_failure_restores_clean_tree_byte_identical(make_repo):
    root = make_repo(FILES)
    (root / "debug.log").write_text("ignored\n")
    before = tree_state(root)
    with RepoGuard(root, "task") as guard:
        (root / "pkg/calc.py").write_text("def add(a, b):\n    return a + b\n")
        guard.checkpoint("attempt")
        (root / "pkg/calc.py").unlink()
        (root / "created.py").write_text("new\n")
        guard.finish(success=False)
    assert tree_state(root) == before


def test_allow_dirty_snapshot_restored_byte_identical(make_repo):
    root = make_repo(FILES)
    make_dirty(root)
    before = tree_state(root)
    with RepoGuard(root, "task", allow_dirty=True) as guard:
        assert git(root, "log", "-1", "--format=%s").strip() == "kog: uncommitted work at start"
        assert guard.diff() == ""
        (root / "notes/todo.txt").write_text("agent edit\n")
        (root / "pkg/calc.py").write_text("def add(a, b):\n    return a + b\n")
        guard.checkpoint("attempt")
        (root / "extra.py").write_text("x\n")
        guard.finish(success=False)
    assert tree_state(root) == before


def test_success_without_commit_leaves_changes_on_original_branch(make_repo):
    root = make_repo(FILES)
    make_dirty(root)
    before = tree_state(root)
    with RepoGuard(root, "task", allow_dirty=True, commit=False) as guard:
        (root / "pkg/calc.py").write_text("def add(a, b):\n    return a + b\n")
        (root / "pkg/helper.py").write_text("HELP = 1\n")
        guard.checkpoint("Fix add")
        guard.finish(success=True)
    after = tree_state(root)
    assert after["branch"] == "main" and after["head"] == before["head"]
    assert after["branches"] == before["branches"]
    assert after["index"] == before["index"]
    assert (root / "pkg/calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert (root / "pkg/helper.py").read_text() == "HELP = 1\n"
    changed = {"pkg/calc.py", "pkg/helper.py"}
    assert {k: v for k, v in after["files"].items() if k not in changed} == {
        k: v for k, v in before["files"].items() if k not in changed
    }


def test_keyboard_interrupt_inside_block_restores(make_repo):
    root = make_repo(FILES)
    make_dirty(root)
    before = tree_state(root)
    with pytest.raises(KeyboardInterrupt), RepoGuard(root, "task", allow_dirty=True) as guard:
        (root / "pkg/calc.py").write_text("half written")
        guard.checkpoint("attempt")
        (root / "pkg/calc.py").write_text("more")
        raise KeyboardInterrupt
    assert tree_state(root) == before
    guard.restore()  # idempotent: a second call changes nothing
    assert tree_state(root) == before


def test_leaving_block_without_finish_restores_detached_head(make_repo):
    root = make_repo(FILES)
    git(root, "checkout", "-q", "--detach")
    before = tree_state(root)
    with RepoGuard(root, "task") as guard:
        (root / "pkg/calc.py").write_text("changed\n")
        guard.checkpoint("attempt")
    assert tree_state(root) == before
    assert git(root, "branch", "--list", "kog/*") == ""
    with pytest.raises(GitStateError):
        guard.checkpoint("after the end")


def test_success_without_checkpoint_restores(make_repo):
    root = make_repo(FILES)
    before = tree_state(root)
    with RepoGuard(root, "task") as guard:
        (root / "pkg/calc.py").write_text("never checkpointed\n")
        guard.finish(success=True)
    assert tree_state(root) == before


SIX = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(6))


def test_take_back_undoes_the_checkpoints_and_keeps_later_changes(make_repo):
    root = make_repo({**FILES, "pkg/six.py": SIX})
    with RepoGuard(root, "task") as guard:
        partial = SIX.replace("return 1", "return -1")
        (root / "pkg/six.py").write_text(partial)
        (root / "pkg/calc.py").write_text("def add(a, b):\n    return a * b\n")
        guard.checkpoint("partial")
        later = partial.replace("return 4", "return 40")
        (root / "pkg/six.py").write_text(later)
        diff = guard.take_back()
        assert diff is not None and "-    return -1\n+    return 1\n" in diff and "a/pkg/calc.py" in diff
        assert (root / "pkg/six.py").read_text() == SIX.replace("return 4", "return 40")
        assert (root / "pkg/calc.py").read_text() == FILES["pkg/calc.py"]
        guard.rollback()  # the checkpoint comes back, the later change goes
        assert (root / "pkg/six.py").read_text() == partial
        guard.finish(success=False)


def test_take_back_refuses_later_changes_to_the_same_lines(make_repo):
    root = make_repo({**FILES, "pkg/six.py": SIX})
    with RepoGuard(root, "task") as guard:
        (root / "pkg/six.py").write_text(SIX.replace("return 1", "return -1"))
        guard.checkpoint("partial")
        later = SIX.replace("return 1", "return 100")
        (root / "pkg/six.py").write_text(later)
        assert guard.take_back() is None
        assert (root / "pkg/six.py").read_text() == later
        (root / "pkg/added.py").write_text("X = 1\n")
        guard.checkpoint("adds a file")
        assert guard.take_back() is None  # a file the start did not have
        guard.finish(success=False)
