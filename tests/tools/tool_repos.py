"""Helpers for kog.tools tests: git in a folder, writing files, and a byte-level picture of a tree."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return result.stdout


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def tree_state(root: Path) -> dict[str, object]:
    """Every file outside .git (sha256, mode, link target), the staged entries, the branch and HEAD."""
    files: dict[str, tuple[str, int, str]] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not (folder == str(root) and d == ".git")]
        for name in names:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                files[rel] = ("", 0, os.readlink(path))
            else:
                files[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode, "")
    return {
        "files": files,
        "index": git(root, "ls-files", "--stage", "-z"),
        "head": git(root, "rev-parse", "HEAD").strip(),
        "branch": git(root, "branch", "--show-current").strip(),
        "branches": git(root, "branch", "--list", "--format=%(refname:short) %(objectname)"),
        "status": git(root, "status", "--porcelain=v1", "--untracked-files=all"),
    }
