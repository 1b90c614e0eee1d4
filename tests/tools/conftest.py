"""Fixtures for kog.tools: real git repositories built in tmp dirs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tool_repos import git, write_files


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Build a git repository with ``files`` committed on branch main."""

    def build(files: dict[str, str], name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.name", "Test User")
        git(root, "config", "user.email", "test@example.com")
        git(root, "config", "commit.gpgSign", "false")
        write_files(root, files)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
        return root

    return build


@pytest.fixture(params=["warm", "plain"])
def run_mode(request, monkeypatch):
    """A test run forked from the warm pytest, then as a fresh process (kog.tools.warm_pytest)."""
    monkeypatch.setenv("KOG_WARM_TESTS", "1" if request.param == "warm" else "0")
    return request.param
