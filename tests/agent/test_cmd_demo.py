"""`kog-agent demo`: a shipped example copied into a fresh git repository."""

from __future__ import annotations

import subprocess

import pytest

from kog.agent.cmd_demo import DEFAULT_EXAMPLE, example_names, prepare_example
from kog.agent.errors import AgentError


def test_the_examples_ship_with_the_package():
    names = example_names()
    assert "pagination" in names and len(names) >= 10
    assert DEFAULT_EXAMPLE in names


def test_an_example_becomes_a_clean_repository(tmp_path):
    repo = prepare_example("pagination", tmp_path / "demo")
    assert (repo / "pyproject.toml").is_file()
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == ""
    log = subprocess.run(["git", "-C", str(repo), "log", "--oneline"], capture_output=True, text=True)
    assert len(log.stdout.splitlines()) == 1


def test_an_unknown_example_lists_the_known_ones(tmp_path):
    with pytest.raises(AgentError, match="pagination"):
        prepare_example("no-such-example", tmp_path / "demo")


def test_a_non_empty_target_is_refused(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("mine")
    with pytest.raises(AgentError, match="not empty"):
        prepare_example("pagination", tmp_path / "demo")
    assert (tmp_path / "demo" / "keep.txt").read_text() == "mine"
