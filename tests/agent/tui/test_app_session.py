"""`kog-agent tui` sessions and the error paths: a task typed and run, then another; errors shown on
a screen, never as a traceback; the commands' own refusals."""

import argparse
import asyncio

import pytest
from conftest import git, snapshot
from replies import DIAGNOSIS, PAGE_FIX, PAGE_WRONG
from textual.widgets import Input
from tui_support import SIZE, fix_app, scripted_loader, wait_for, wait_for_end

from kog.agent import cmd_fix, cmd_tui
from kog.agent.errors import AgentError
from kog.agent.tui.app import KogApp
from kog.agent.tui.error_info import describe
from kog.agent.tui.screens import ErrorScreen
from kog.engine.registry import DEFAULT_MODEL


def test_a_session_runs_a_typed_task_then_another(example_repo):
    root = example_repo("pagination")
    app = KogApp(root, "scripted", load=scripted_loader([DIAGNOSIS, PAGE_FIX]))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.model is not None, "the model")
            task = app.query_one("#task", Input)
            assert task.has_focus
            await pilot.press(*"test_partial_last_page_is_counted fails", "enter")
            await wait_for_end(pilot)
            assert app.view.report.status == "fixed" and app.view.task.startswith("test_partial")
            assert app.view.report.targets == ["tests/test_paging.py::test_partial_last_page_is_counted"]

            await pilot.press("t")  # back to the task line for another run
            assert task.has_focus and not task.disabled
            task.value = ""
            await pilot.press(*"all", "enter")
            await wait_for(
                pilot,
                lambda: app.view.task == "all" and app.view.report is not None and not app.run_active,
                "run 2",
            )
            assert app.view.report.status == "nothing_to_fix"  # the first run's fix is on this branch
            assert app.check_action("new_task", ()) is True

    asyncio.run(scenario())


def test_a_run_the_default_model_cannot_fix_ends_with_a_hint_toward_the_larger_one(example_repo):
    root = example_repo("pagination")
    app = fix_app(root, [DIAGNOSIS, PAGE_WRONG], max_steps=1, variants=0)
    app.model_name = DEFAULT_MODEL  # the scripted replies stand in for the default model's
    shown = []
    app.notify = lambda message, **options: shown.append(message)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_end(pilot)
            assert app.view.report.status == "not_fixed"
            await wait_for(pilot, lambda: shown, "the hint")

    asyncio.run(scenario())
    assert f"--model {cmd_fix.LARGER_MODEL}" in shown[0]


def test_a_dirty_tree_ends_on_an_error_screen_with_the_tree_untouched(example_repo):
    root = example_repo("pagination")
    (root / "notes.txt").write_text("work in progress\n")
    before = snapshot(root)
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the error screen")
            assert app.screen.info.title == "Uncommitted changes"
            assert app.check_action("undo", ()) is False and app.check_action("quit", ()) is True
            await pilot.press("escape")  # nothing to go back to after a failed `fix`
            assert isinstance(app.screen, ErrorScreen)
            await pilot.press("q")

    asyncio.run(scenario())
    assert app.return_value == 2 and snapshot(root) == before


def test_in_a_session_an_error_screen_goes_back_to_the_task_line(example_repo):
    root = example_repo("pagination")
    app = KogApp(root, "scripted", load=scripted_loader([DIAGNOSIS, PAGE_FIX]))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.model is not None, "the model")
            await pilot.press(*"test_nothing_like_this fails", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), "the error screen")
            assert (
                app.screen.info.title == "No such test"
                and "test_nothing_like_this" in app.screen.info.message
            )
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, ErrorScreen) and not app.query_one("#task", Input).disabled
            assert app.error is None  # dismissed: not printed when the session ends

    asyncio.run(scenario())
    assert git(root, "branch", "--show-current").strip() == "main"


def test_an_unexpected_error_is_described_in_one_line():
    info = describe(ZeroDivisionError("division by zero"))
    assert info.title == "Unexpected error" and info.message == "ZeroDivisionError: division by zero"


def test_the_tui_command_needs_a_terminal(example_repo):
    root = example_repo("pagination")
    parser = argparse.ArgumentParser()
    cmd_tui.add_parser(parser.add_subparsers())
    with pytest.raises(AgentError, match="needs a terminal"):
        cmd_tui.run(parser.parse_args(["tui", "--repo", str(root)]))


def test_fix_off_a_terminal_refuses_confirm_and_stays_plain(example_repo, capsys):
    root = example_repo("pagination")
    parser = argparse.ArgumentParser()
    cmd_fix.add_parser(parser.add_subparsers())
    args = parser.parse_args(["fix", "all", "--repo", str(root), "--confirm"])
    with pytest.raises(AgentError, match="--confirm needs the terminal screen"):
        cmd_fix.run(args, load=lambda name, device: None)
    args = parser.parse_args(["fix", "all", "--repo", str(root), "--no-refactor"])
    assert (
        cmd_fix.run(
            args, load=lambda name, device: scripted_loader([DIAGNOSIS, PAGE_FIX])(name, device, None)
        )
        == 0
    )
    assert "fixed: " in capsys.readouterr().out  # the plain renderer's summary line
