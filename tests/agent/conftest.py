"""Fixtures that build real git repositories in tmp dirs from the examples (never touching examples/)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXES = Path(__file__).resolve().parents[1] / "examples" / "fixes"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def init_repo(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the work tree (not .git) with its bytes, plus HEAD and the branch list."""
    files = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }
    files["<HEAD>"] = git(root, "rev-parse", "HEAD").encode() + git(root, "branch", "--show-current").encode()
    files["<branches>"] = git(root, "branch", "--list").encode()
    return files


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, fixed: bool = False) -> Path:
        root = tmp_path / name
        shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        init_repo(root)
        if fixed:
            git(root, "apply", str(FIXES / f"{name}.patch"))
            git(root, "commit", "-q", "-am", "fix")
        return root

    return make
