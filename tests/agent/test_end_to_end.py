"""`kog-agent ci` end to end with the real default model on the CPU (slow: minutes)."""

import json
import shutil
import subprocess
import sys

import pytest
from conftest import EXAMPLES, git, snapshot

from kog.tools.testrunner import resolve_test_command, run_tests

pytestmark = pytest.mark.slow

# The example the default 0.5B model repairs greedily within the budget below.
FIXABLE = "inventory"  # the default 0.5B fixes it greedily (bench/results/fix_examples-20261126-*)


def kog_agent(*args, timeout=1800):
    command = [sys.executable, "-m", "kog.agent.cli", *[str(a) for a in args]]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_ci_with_the_default_model_fixes_an_example(example_repo, tmp_path):
    root = example_repo(FIXABLE)
    report_path, patch_path = tmp_path / "report.json", tmp_path / "fix.patch"
    done = kog_agent("ci", "--repo", root, "--device", "cpu", "--report", report_path, "--patch", patch_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = json.loads(report_path.read_text())
    assert report["status"] == "fixed" and report["model"] == "qwen2.5-coder-0.5b"
    assert report["tests_before"]["failed"] > 0 and report["tests_after"]["failed"] == 0
    assert patch_path.read_text() == report["diff"] != ""
    assert report["tokens"] > 0 and report["tok_s"] > 0

    fresh = tmp_path / "fresh"
    shutil.copytree(EXAMPLES / FIXABLE, fresh)
    git(fresh, "init", "-q")
    git(fresh, "apply", str(patch_path))
    after = run_tests(fresh, resolve_test_command(fresh))
    assert after.cases and not after.failing


def test_a_run_that_cannot_succeed_exits_1_with_the_tree_byte_identical(example_repo, tmp_path):
    root = example_repo("tagcodec")  # two functions must change: one edit attempt cannot fix it
    before = snapshot(root)
    report_path = tmp_path / "report.json"
    done = kog_agent("ci", "--repo", root, "--device", "cpu", "--max-steps", 1, "--report", report_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(report_path.read_text())["status"] == "not_fixed"
    assert snapshot(root) == before
