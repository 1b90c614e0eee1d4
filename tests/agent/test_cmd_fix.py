"""`kog-agent ci` and `kog-agent fix` through their own parser, with a scripted model."""

import argparse
import json
import shutil

import pytest
from conftest import EXAMPLES, git, init_repo, snapshot
from replies import DIAGNOSIS, PAGE_FIX, PAGE_WRONG
from scripted_engine import ScriptedEngine

from kog.agent import cmd_fix
from kog.agent.errors import AgentError
from kog.agent.events import event_adapter
from kog.agent.report import RunReport
from kog.tools.errors import DirtyTreeError, NotARepositoryError, TestCommandError
from kog.tools.testrunner import resolve_test_command, run_tests


def parse(*argv):
    parser = argparse.ArgumentParser(prog="kog-agent")
    cmd_fix.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args([str(a) for a in argv])


def scripted(*replies, **options):
    return lambda name, device: ScriptedEngine(list(replies), **options)


def test_ci_writes_a_report_and_a_patch_that_fixes_a_fresh_copy(example_repo, tmp_path, capsys):
    root = example_repo("pagination")
    report_path, patch_path = tmp_path / "report.json", tmp_path / "fix.patch"
    args = parse(
        "ci", "--repo", root, "--report", report_path, "--patch", patch_path, "--json", "--no-refactor"
    )
    assert cmd_fix.run(args, load=scripted(DIAGNOSIS, PAGE_FIX)) == 0

    report = RunReport.model_validate_json(report_path.read_text())
    assert report.status == "fixed" and report.tests_after.failed == 0
    assert patch_path.read_text() == report.diff != ""

    events = [event_adapter.validate_json(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0].type == "run_started" and events[-1].type == "run_finished"
    assert events[-1].report == report
    assert {"step_started", "step_finished", "tokens_streamed", "tests_run", "edit_applied"} <= {
        e.type for e in events
    }

    fresh = tmp_path / "fresh"
    shutil.copytree(EXAMPLES / "pagination", fresh)
    git(fresh, "init", "-q")
    git(fresh, "apply", str(patch_path))
    after = run_tests(fresh, resolve_test_command(fresh))
    assert after.cases and not after.failing


def test_ci_that_cannot_fix_exits_1_with_the_tree_byte_identical(example_repo, tmp_path, capsys):
    root = example_repo("pagination")
    before = snapshot(root)
    report_path = tmp_path / "report.json"
    args = parse("ci", "--repo", root, "--max-steps", 1, "--report", report_path, "--patch", tmp_path / "p")
    assert cmd_fix.run(args, load=scripted(DIAGNOSIS, PAGE_WRONG)) == 1
    assert snapshot(root) == before
    report = json.loads(report_path.read_text())
    assert report["status"] == "not_fixed" and report["diff"] == "" and (tmp_path / "p").read_text() == ""
    out = capsys.readouterr().out
    assert "not_fixed: step budget of 1 exhausted" in out  # the plain progress lines without --json


def test_not_fixed_with_the_default_model_points_to_the_larger_one(example_repo, capsys):
    root = example_repo("pagination")
    assert (
        cmd_fix.run(
            parse("ci", "--repo", root, "--max-steps", 1, "--variants", 0),
            load=scripted(DIAGNOSIS, PAGE_WRONG),
        )
        == 1
    )
    err = capsys.readouterr().err
    assert f"--model {cmd_fix.LARGER_MODEL}" in err
    args = parse("ci", "--repo", root, "--max-steps", 1, "--variants", 0, "--model", cmd_fix.LARGER_MODEL)
    assert cmd_fix.run(args, load=scripted(DIAGNOSIS, PAGE_WRONG)) == 1
    assert "hint:" not in capsys.readouterr().err


def test_nothing_to_fix_exits_0(example_repo):
    root = example_repo("pagination", fixed=True)
    assert cmd_fix.run(parse("ci", "--repo", root), load=scripted()) == 0


def test_bad_input_raises_the_one_line_errors_the_cli_prints(example_repo, tmp_path):
    with pytest.raises(AgentError, match="not a folder"):
        cmd_fix.run(parse("ci", "--repo", tmp_path / "missing"), load=scripted())
    with pytest.raises(AgentError, match="must be positive"):
        cmd_fix.run(parse("fix", "all", "--repo", tmp_path, "--max-steps", 0), load=scripted())
    with pytest.raises(AgentError, match="--variants must be 0 or more"):
        cmd_fix.run(parse("fix", "all", "--repo", tmp_path, "--variants", -1), load=scripted())
    with pytest.raises(AgentError, match="--branches must be 0 or more"):
        cmd_fix.run(parse("fix", "all", "--repo", tmp_path, "--branches", -1), load=scripted())
    report_path = tmp_path / "report.json"
    root = example_repo("pagination")
    (root / "notes.txt").write_text("uncommitted")
    with pytest.raises(DirtyTreeError, match="--allow-dirty") as caught:
        cmd_fix.run(parse("ci", "--repo", root, "--report", report_path), load=scripted())
    assert caught.value.exit_code == 2
    assert json.loads(report_path.read_text())["status"] == "error"


def test_a_repository_without_tests_is_one_plain_error(tmp_path):
    root = tmp_path / "notests"
    root.mkdir()
    (root / "lib.py").write_text("def f():\n    return 1\n")
    init_repo(root)
    before = snapshot(root)
    with pytest.raises(TestCommandError) as caught:
        cmd_fix.run(parse("ci", "--repo", root), load=scripted())
    message = str(caught.value)
    assert "reported no test results" in message and "no tests ran" in message
    assert "junit" not in message and "generated xml file" not in message  # the runner's own report
    assert snapshot(root) == before


def test_the_repository_is_checked_before_the_model_loads(example_repo, tmp_path):
    """A folder that is not a repository, or a dirty tree, is refused before the (slow) model load."""

    def load(name, device):
        raise AssertionError("the model loaded before the repository was checked")

    with pytest.raises(NotARepositoryError, match="not inside a git repository"):
        cmd_fix.run(parse("fix", "all", "--repo", tmp_path, "--plain"), load=load)
    root = example_repo("pagination")
    (root / "notes.txt").write_text("uncommitted")
    with pytest.raises(DirtyTreeError, match="--allow-dirty"):
        cmd_fix.run(parse("ci", "--repo", root), load=load)


def test_ctrl_c_exits_130_with_the_tree_restored(example_repo, capsys):
    root = example_repo("pagination")
    before = snapshot(root)
    args = parse("fix", "all", "--repo", root, "--plain")
    assert cmd_fix.run(args, load=scripted(DIAGNOSIS, PAGE_FIX, interrupt_at=1)) == 130
    assert snapshot(root) == before
    out, err = capsys.readouterr()
    assert "interrupted" in err
    assert "[2] edit failed" in out and out.rstrip().endswith("interrupted")  # the step cut short says so


def test_fix_with_no_commit_leaves_the_change_uncommitted_on_the_users_branch(example_repo):
    root = example_repo("pagination")
    args = parse("fix", "test_partial_last_page_is_counted", "--repo", root, "--no-commit", "--no-refactor")
    assert cmd_fix.run(args, load=scripted(DIAGNOSIS, PAGE_FIX)) == 0
    assert git(root, "branch", "--show-current").strip() == "main"
    assert git(root, "branch", "--list").strip() == "* main"
    assert "+    return (total_items - 1) // per_page + 1" in git(root, "diff")


def test_no_values_turns_the_traced_run_off(tmp_path):
    assert cmd_fix._config(parse("fix", "all", "--repo", tmp_path)).values
    assert not cmd_fix._config(parse("ci", "--repo", tmp_path, "--no-values")).values
