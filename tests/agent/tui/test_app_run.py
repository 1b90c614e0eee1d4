"""The screen of `kog-agent fix` driven headless on real tmp repositories, with a scripted model."""

import asyncio

from conftest import git, snapshot
from replies import DIAGNOSIS, PAGE_FIX, PAGE_TIDY, PAGE_WRONG
from tui_support import SIZE, fix_app, step_states, wait_for, wait_for_end

from kog.agent.tui.diffs import DiffPanel
from kog.agent.tui.screens import StepDetailsScreen
from kog.agent.tui.status import engine_state
from kog.agent.tui.tests_panel import TestsPanel
from kog.agent.tui.timeline import StepTimeline

PAGING = "pager/paging.py"
FIXED_LINE = "+    return (total_items - 1) // per_page + 1"


def test_a_full_run_shows_every_step_the_tests_and_the_diff(example_repo):
    root = example_repo("pagination")
    app = fix_app(root, [DIAGNOSIS, PAGE_WRONG, PAGE_FIX])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_end(pilot)
            assert app.view.report.status == "fixed" and app.exit_code == 0
            assert step_states(app) == [
                ("plan", 1, "passed"),
                ("edit", 1, "passed"),
                ("test", 1, "rolled_back"),
                ("edit", 2, "passed"),
                ("test", 2, "passed"),
            ]
            timeline = app.query_one(StepTimeline)
            assert timeline.row_count == 5
            assert str(timeline.get_row("3")[2]) == "↺ rolled back"
            assert str(timeline.get_row("5")[2]) == "✓ passed ⎇"  # committed
            assert engine_state(app) == "done"

            tests = app.query_one(TestsPanel)
            assert len(app.view.tests) == 6 and all(t.passed for t in app.view.tests.values())
            assert tests.query_one("#tests-table").row_count == 6
            # as wide as the longest id from the moment the rows are in (a lazily widened column drew
            # every id cut to the header's width in frames before its update)
            column = tests.query_one("#tests-table").columns["test"]
            assert column.width == max(len(test) for test in app.view.tests) and not column.auto_width
            assert FIXED_LINE in app.view.run_diff and "// per_page - 1" not in app.view.run_diff
            edit_diff = str(app.query_one(DiffPanel).query_one("#edit-diff").content.code)
            assert FIXED_LINE in edit_diff
            assert "page_count" in app.view.stream_text  # the last call's output stays on screen
            assert "fixed" in str(app.query_one("#outcome").content)

    asyncio.run(scenario())
    assert (root / PAGING).read_text().count("(total_items - 1) // per_page + 1") == 1
    assert git(root, "branch", "--show-current").strip() == "kog/fix-all"


def test_the_selected_failing_test_shows_its_failure_message(example_repo):
    root = example_repo("pagination")
    app = fix_app(root, [DIAGNOSIS, PAGE_WRONG], max_steps=1, variants=0)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_end(pilot)
            assert app.view.report.status == "not_fixed"
            table = app.query_one("#tests-table")
            table.focus()
            await pilot.press("ctrl+home")
            await pilot.pause()
            failure = str(app.query_one("#failure-text").content)
            selected = app.query_one(TestsPanel).selected()
            assert not selected.passed and "assert" in failure and failure == selected.message
            await pilot.press("ctrl+end")
            await pilot.pause()
            assert str(app.query_one("#failure-text").content).endswith("passes")

    asyncio.run(scenario())


def test_enter_on_a_step_opens_its_details_with_the_model_output(example_repo):
    root = example_repo("pagination")
    app = fix_app(root, [DIAGNOSIS, PAGE_WRONG, PAGE_FIX])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_end(pilot)
            timeline = app.query_one(StepTimeline)
            timeline.focus()
            timeline.move_cursor(row=1)  # step 2: the wrong edit
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StepDetailsScreen)
            assert app.screen.row.number == 2
            assert "// per_page - 1" in app.screen.row.output and app.screen.row.diffs
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, StepDetailsScreen)

    asyncio.run(scenario())


def test_pause_stops_after_the_current_step_and_resume_finishes_the_run(example_repo):
    root = example_repo("pagination")
    original = (root / PAGING).read_text()
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: 1 in app.view.steps, "the plan step")
            await pilot.press("p")  # the plan step is running its baseline tests
            await wait_for(pilot, lambda: app.paused, "the pause")
            await pilot.pause(0.3)
            assert step_states(app) == [("plan", 1, "passed")]  # nothing started after it
            assert engine_state(app) == "paused" and (root / PAGING).read_text() == original
            await pilot.press("p")
            await wait_for_end(pilot)
            assert app.view.report.status == "fixed"

    asyncio.run(scenario())


def test_confirm_mode_rejects_then_accepts_an_edit_before_it_is_applied(example_repo):
    root = example_repo("pagination")
    original = (root / PAGING).read_text()
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX, PAGE_FIX], confirm=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.review_pending, "the first confirm prompt")
            assert app.query_one("#confirm-banner").display
            assert FIXED_LINE in app.view.edit_diff and app.view.edit_state == "proposed"
            assert (root / PAGING).read_text() == original  # asked before, not after
            await pilot.press("r")
            await wait_for(pilot, lambda: app.review_pending, "the second confirm prompt")
            assert step_states(app)[1] == ("edit", 1, "failed")
            assert "the user rejected the edit" in app.view.steps[2].detail
            await pilot.press("a")
            await wait_for_end(pilot)
            assert app.view.report.status == "fixed"
            assert step_states(app)[2:] == [("edit", 2, "passed"), ("test", 2, "passed")]
            assert not app.query_one("#confirm-banner").display

    asyncio.run(scenario())
    assert FIXED_LINE[1:] in (root / PAGING).read_text()


def test_confirm_keys_are_off_without_confirm_mode(example_repo):
    root = example_repo("pagination")
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_end(pilot)
            assert app.check_action("accept", ()) is False and app.check_action("reject", ()) is False
            await pilot.press("r")
            assert app.view.report.status == "fixed"

    asyncio.run(scenario())


def test_undo_takes_back_the_committed_steps_one_by_one(example_repo):
    root = example_repo("pagination")
    original = (root / PAGING).read_text()
    start = git(root, "rev-parse", "HEAD").strip()
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX, PAGE_TIDY], refactor=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_end(pilot)
            assert [row.kind for row in app.view.committed_rows()] == ["test", "refactor"]
            assert "max(total_items, 0)" in (root / PAGING).read_text()

            await pilot.press("u")
            await wait_for(pilot, lambda: app.view.tests_note.startswith("full"), "the tests after undo")
            text = (root / PAGING).read_text()
            assert "max(total_items, 0)" not in text and FIXED_LINE[1:] in text
            assert (app.view.steps[4].kind, app.view.steps[4].state) == (
                "refactor",
                "undone",
            ) and "max(total_items" not in app.view.run_diff
            assert FIXED_LINE in app.view.run_diff and all(t.passed for t in app.view.tests.values())

            await pilot.press("u")
            await wait_for(pilot, lambda: app.view.tests_note.startswith("full"), "the tests after undo")
            assert (root / PAGING).read_text() == original and app.view.run_diff == ""
            assert git(root, "rev-parse", "HEAD").strip() == start
            assert sum(not t.passed for t in app.view.tests.values()) == 3

            await pilot.press("u")  # nothing is left: the branch stays where it is
            await pilot.pause()
            assert git(root, "rev-parse", "HEAD").strip() == start

    asyncio.run(scenario())


def test_quit_mid_step_restores_the_tree_byte_identical(example_repo):
    root = example_repo("pagination")
    # Every test run lasts a few seconds more, so the edit's run is still going when q arrives.
    (root / "conftest.py").write_text(
        "import time\n\n\ndef pytest_sessionfinish(session):\n    time.sleep(3)\n"
    )
    git(root, "add", "conftest.py")
    git(root, "commit", "-qm", "slow test runs")
    before = snapshot(root)
    original = (root / PAGING).read_text()
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: 3 in app.view.steps, "the test step")
            assert app.view.steps[3].kind == "test" and app.view.steps[3].state == "running"
            assert (root / PAGING).read_text() != original  # the edit is on disk, under test
            await pilot.press("q")
            assert engine_state(app) == "restoring"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 120
            while app.is_running and loop.time() < deadline:
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert app.return_value == 130
    assert snapshot(root) == before


def test_quit_while_a_confirm_prompt_waits_restores_the_tree(example_repo):
    root = example_repo("pagination")
    before = snapshot(root)
    app = fix_app(root, [DIAGNOSIS, PAGE_FIX], confirm=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.review_pending, "the confirm prompt")
            await pilot.press("q")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 120
            while app.is_running and loop.time() < deadline:
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert app.return_value == 130 and snapshot(root) == before
