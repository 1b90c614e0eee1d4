"""The repair loop on real tmp repositories built from the examples, with a scripted model."""

import ast
from dataclasses import replace

import pytest
from conftest import git, init_repo, snapshot
from replies import (
    DECODE_FIX,
    DIAGNOSIS,
    ENCODE_FIX,
    PAGE_BREAKS_A_PASSING_TEST,
    PAGE_FIX,
    PAGE_HANGS,
    PAGE_TIDY,
    PAGE_WRONG,
    UNUSABLE,
)
from scripted_engine import ScriptedEngine

from kog.agent.errors import TaskNotFoundError
from kog.agent.events import EditApplied, EditRejected, EventBus, RunFinished, TestsRun
from kog.agent.loop import DEVICE_BUDGETS, RepairRun, RunConfig
from kog.tools.errors import DirtyTreeError

PAGING = "pager/paging.py"


def repair(root, replies, events=None, **config):
    bus = EventBus()
    if events is not None:
        bus.subscribe(events.append)
    engine = ScriptedEngine(replies)
    # The model's edits alone: single-token variants (tests/agent/test_variants.py) off unless asked for.
    report = RepairRun(root, engine, bus, RunConfig(**{"refactor": False, "variants": 0, **config})).run()
    return report, engine


def test_a_right_rewrite_is_accepted_committed_and_reported(example_repo):
    root = example_repo("pagination")
    original = (root / PAGING).read_text()
    events = []
    report, engine = repair(root, [DIAGNOSIS, PAGE_FIX], events)

    assert report.status == "fixed" and report.exit_code == 0
    assert report.changed == [f"{PAGING}::page_count"]
    assert "+    return (total_items - 1) // per_page + 1" in report.diff
    assert report.diff.count("\n-") == 1 + 1  # the "---" header and the one changed line
    assert (
        report.tests_before.failed == 3 and report.tests_after.failed == 0 and report.tests_after.passed == 6
    )
    assert [s.kind for s in report.steps] == ["plan", "edit", "test"]
    assert report.branch == git(root, "branch", "--show-current").strip()
    assert "(total_items - 1) // per_page + 1" in (root / PAGING).read_text()
    assert git(root, "show", f"main:{PAGING}") == original  # the user's branch is untouched
    assert isinstance(events[-1], RunFinished) and events[-1].report == report

    diagnosis_prompt, diagnosis_params = engine.calls[0]
    assert diagnosis_params.greedy and diagnosis_params.max_tokens == 120 and "\n\n" in diagnosis_params.stop
    edit_prompt = engine.calls[1][0][-1].content
    assert "def test_partial_last_page_is_counted" in edit_prompt and "assert 3 == 4" in edit_prompt
    assert DIAGNOSIS in edit_prompt and "def page_count(" in edit_prompt


@pytest.mark.parametrize("values", [True, False])
def test_the_prompts_show_what_the_suspect_did_in_a_failing_test(example_repo, values):
    root = example_repo("pagination")
    paging = (root / PAGING).read_text()  # a local name, so the call assigns something to show
    (root / PAGING).write_text(paging.replace("    return (total_items - 1) // per_page\n",
                                              "    pages = (total_items - 1) // per_page\n    return pages\n"))  # fmt: skip
    git(root, "commit", "-qam", "pages")
    report, engine = repair(root, [DIAGNOSIS, PAGE_FIX], values=values)
    assert report.status == "fixed"
    assert ("values of" in report.steps[0].detail) is values
    for prompt in (engine.calls[0][0][-1].content, engine.calls[1][0][-1].content):  # diagnosis, edit
        shown = (
            "When the failing test tests/test_paging.py::test_partial_last_page_is_counted ran, its last call"
        )
        assert (shown in prompt) is values
        expected = "page_count(total_items=10, per_page=3)\n    pages = (total_items - 1) // per_page  # then pages = 3\n    # returned 3\n"
        assert (expected in prompt) is values


def test_a_call_whose_result_the_error_shows_and_that_assigns_nothing_is_not_shown(example_repo):
    report, engine = repair(example_repo("pagination"), [DIAGNOSIS, PAGE_FIX])
    assert report.status == "fixed"
    assert "its last call of `page_count`" not in engine.calls[1][0][-1].content


def test_unusable_replies_never_touch_a_file_and_the_run_ends_cleanly(example_repo):
    root = example_repo("pagination")
    before = snapshot(root)
    events = []
    report, engine = repair(
        root, [DIAGNOSIS, *UNUSABLE], events, suspects=1, retries=len(UNUSABLE) - 1, samples=0
    )

    assert report.status == "not_fixed" and report.exit_code == 1
    assert not [e for e in events if isinstance(e, EditApplied)]
    reasons = [e.reason for e in events if isinstance(e, EditRejected)]
    assert len(reasons) == len(UNUSABLE) and len(engine.calls) == 1 + len(UNUSABLE)
    assert "no code" in reasons[0] and "count_pages instead of page_count" in reasons[2]
    assert "would not parse" in reasons[4]
    assert snapshot(root) == before


def test_a_failed_edit_is_rolled_back_and_its_failure_fed_to_the_retry(example_repo):
    root = example_repo("pagination")
    events = []
    report, engine = repair(root, [DIAGNOSIS, PAGE_WRONG, PAGE_FIX], events)

    assert report.status == "fixed"
    assert [(s.kind, s.state) for s in report.steps] == [
        ("plan", "passed"),
        ("edit", "passed"),
        ("test", "rolled_back"),
        ("edit", "passed"),
        ("test", "passed"),
    ]
    retry_prompt = engine.calls[2][0][-1].content
    assert "(total_items - 1) // per_page - 1" in retry_prompt and "still fails" in retry_prompt
    detail = report.steps[2].detail  # the step says how the test failed, not just that it did
    assert detail.startswith("tests/test_paging.py::") and " still fails: " in detail
    assert not detail.endswith(":") and "\n" not in detail
    assert "// per_page - 1" not in report.diff


def test_an_edit_that_breaks_a_passing_test_is_not_accepted(example_repo):
    root = example_repo("pagination")
    before = snapshot(root)
    report, engine = repair(root, [DIAGNOSIS, PAGE_BREAKS_A_PASSING_TEST], max_steps=2)

    assert report.status == "not_fixed" and "step budget of 2" in report.reason
    rolled_back = [s for s in report.steps if s.state == "rolled_back"]
    assert len(rolled_back) == 1 and "test_page_size_must_be_positive" in rolled_back[0].detail
    assert snapshot(root) == before
    # The retry learns how the broken test fails now, not only its name.
    retry = engine.calls[2][0][-1].content
    assert "tests/test_paging.py::test_page_size_must_be_positive now fails:" in retry
    assert "ZeroDivisionError: integer division or modulo by zero" in retry


def test_a_two_function_bug_is_fixed_in_two_accepted_steps(example_repo):
    root = example_repo("tagcodec")
    report, _ = repair(root, [DIAGNOSIS, DECODE_FIX, ENCODE_FIX])

    assert report.status == "fixed", report.reason
    assert report.changed == ["tagcodec/codec.py::decode_tags", "tagcodec/codec.py::encode_tags"]
    assert report.tests_after.failed == 0
    assert "def encode_tags" in report.diff and "def decode_tags" in report.diff


def test_a_kept_refactor_and_a_refactor_that_breaks_tests(example_repo):
    root = example_repo("pagination")
    report, _ = repair(root, [DIAGNOSIS, PAGE_FIX, PAGE_TIDY], refactor=True)
    assert report.status == "fixed" and report.steps[-1].kind == "refactor"
    assert report.steps[-1].state == "passed" and "max(total_items, 0)" in report.diff

    root = example_repo("tagcodec")
    broken_tidy = ENCODE_FIX.replace("ESCAPE * 2", "ESCAPE")
    report, _ = repair(root, [DIAGNOSIS, DECODE_FIX, ENCODE_FIX, DECODE_FIX, broken_tidy], refactor=True)
    assert report.status == "fixed" and report.tests_after.failed == 0
    refactors = [s for s in report.steps if s.kind == "refactor"]
    assert [s.state for s in refactors] == ["passed", "rolled_back"]  # decode unchanged, encode broke
    assert "ESCAPE * 2" in report.diff


def test_a_hanging_edit_is_stopped_and_rolled_back(example_repo):
    root = example_repo("pagination")
    before = snapshot(root)
    events = []
    report, _ = repair(root, [DIAGNOSIS, PAGE_HANGS], events, max_steps=1, edit_test_timeout_s=4)
    assert report.status == "not_fixed"
    assert [e.timed_out for e in events if isinstance(e, TestsRun)] == [False, True]
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("limits", "reason"),
    [({"max_steps": 1}, "step budget"), ({"max_tokens": 3}, "token budget"), ({"max_time_s": 0.5}, "time")],
)
def test_each_budget_ends_the_run_not_fixed_with_the_tree_restored(example_repo, limits, reason):
    root = example_repo("pagination")
    before = snapshot(root)
    report, _ = repair(root, [DIAGNOSIS, PAGE_WRONG, PAGE_FIX], **limits)
    assert report.status == "not_fixed" and report.exit_code == 1 and reason in report.reason
    assert snapshot(root) == before


def test_the_search_budget_follows_the_models_device_unless_given(tmp_path):
    """A reply costs seconds on a CPU and well under one on a GPU: there the search goes on longer."""
    engine = ScriptedEngine([])
    run = RepairRun(tmp_path, engine)
    assert (run.config.max_steps, run.config.samples) == DEVICE_BUDGETS["cpu"] == (12, 8)
    engine.info = replace(engine.info, device="cuda:0")
    run = RepairRun(tmp_path, engine)
    assert (run.config.max_steps, run.config.samples) == DEVICE_BUDGETS["cuda"] == (40, 16)
    run = RepairRun(tmp_path, engine, config=RunConfig(max_steps=5, samples=2))
    assert (run.config.max_steps, run.config.samples) == (5, 2)


def test_nothing_to_fix_asks_the_model_nothing(example_repo):
    root = example_repo("pagination", fixed=True)
    before = snapshot(root)
    report, engine = repair(root, [DIAGNOSIS])
    assert report.status == "nothing_to_fix" and report.exit_code == 0 and not engine.calls
    assert snapshot(root) == before


def test_a_task_naming_a_passing_test_or_an_unknown_one(example_repo):
    root = example_repo("pagination")
    report, engine = repair(root, [DIAGNOSIS], task="test_no_items_means_no_pages still fails?")
    assert report.status == "nothing_to_fix" and not engine.calls
    with pytest.raises(TaskNotFoundError, match="test_nothing_like_this"):
        repair(root, [DIAGNOSIS], task="test_nothing_like_this fails")


def test_a_named_test_narrows_the_targets(example_repo):
    root = example_repo("pagination")
    report, _ = repair(root, [DIAGNOSIS, PAGE_FIX], task="test_partial_last_page_is_counted fails")
    assert report.targets == ["tests/test_paging.py::test_partial_last_page_is_counted"]
    assert report.status == "fixed"


def test_a_dirty_tree_is_refused_before_anything_runs(example_repo):
    root = example_repo("pagination")
    (root / PAGING).write_text((root / PAGING).read_text() + "\n# local work\n")
    before = snapshot(root)
    with pytest.raises(DirtyTreeError):
        repair(root, [DIAGNOSIS, PAGE_FIX])
    assert snapshot(root) == before


def test_files_on_disk_always_parse_when_an_edit_is_applied(example_repo):
    root = example_repo("pagination")
    parsed = []

    def check(event):
        if isinstance(event, EditApplied):
            parsed.append(ast.parse((root / event.path).read_text()) is not None)

    bus = EventBus()
    bus.subscribe(check)
    engine = ScriptedEngine([DIAGNOSIS, UNUSABLE[3], PAGE_WRONG, PAGE_FIX])
    report = RepairRun(root, engine, bus, RunConfig(refactor=False, suspects=1, retries=3)).run()
    assert report.status == "fixed" and parsed == [True, True]
    assert [s.state for s in report.steps if s.kind == "edit"] == ["failed", "passed", "passed"]


def test_ctrl_c_restores_the_tree_even_after_an_accepted_fix(example_repo):
    root = example_repo("pagination")
    before = snapshot(root)
    engine = ScriptedEngine([DIAGNOSIS, PAGE_FIX], interrupt_at=2)  # the refactor call
    with pytest.raises(KeyboardInterrupt):
        RepairRun(root, engine, EventBus(), RunConfig(refactor=True)).run()
    assert snapshot(root) == before


def test_samples_are_told_that_an_unchanged_reply_was_wrong(example_repo):
    """A greedy reply that copies the function back ends the greedy tries; the sampled candidates of
    that suspect see it as a wrong answer (small models otherwise keep copying the code back)."""
    root = example_repo("pagination")
    source = (root / PAGING).read_text()
    start = source.index("def page_count(")
    end = source.index("\n\n\n", start) if "\n\n\n" in source[start:] else len(source)
    unchanged = f"```python\n{source[start:end].rstrip()}\n```"
    report, engine = repair(root, [DIAGNOSIS, unchanged, PAGE_FIX], suspects=1, retries=1, samples=1)

    assert report.status == "fixed"
    assert [(s.kind, s.state) for s in report.steps][1:] == [
        ("edit", "failed"),
        ("edit", "passed"),
        ("test", "passed"),
    ]
    sample_prompt, sample_params = engine.calls[2]
    assert not sample_params.greedy
    assert "it is the code exactly as it is now" in sample_prompt[-1].content


def test_samples_widen_after_a_sample_copies_the_code_back(example_repo):
    """A sampled reply that changes nothing means that suspect's samples copy confident code: its next
    samples drop the top_p cut and run hotter; the other suspect's samples keep the usual setting."""
    root = example_repo("pagination")
    source = (root / PAGING).read_text()
    start = source.index("def page_count(")
    end = source.index("\n\n\n", start) if "\n\n\n" in source[start:] else len(source)
    unchanged = f"```python\n{source[start:end].rstrip()}\n```"
    replies = [DIAGNOSIS, PAGE_WRONG, unchanged, unchanged, PAGE_WRONG, PAGE_FIX]  # samples: 0, 0, 1, 0
    report, engine = repair(root, replies, suspects=1, retries=0, samples=4)

    assert report.status == "fixed"
    samples = [params for _, params in engine.calls[2:6]]
    assert [(p.temperature, p.top_p) for p in samples] == [(0.7, 0.95), (1.0, 1.0), (0.7, 0.95), (1.0, 1.0)]
    assert [p.seed for p in samples] == [1, 2, 3, 4]


def test_a_repeat_of_a_rolled_back_edit_is_not_tested_again(example_repo):
    """The greedy edit fails its test; the first sample repeats it word for word: rejected from memory,
    without a test run, and the second sample's fix is kept."""
    root = example_repo("pagination")
    events: list = []
    report, engine = repair(
        root, [DIAGNOSIS, PAGE_WRONG, PAGE_WRONG, PAGE_FIX], events, suspects=1, retries=0, samples=2
    )

    assert report.status == "fixed"
    assert [(s.kind, s.state) for s in report.steps][1:] == [
        ("edit", "passed"),
        ("test", "rolled_back"),
        ("edit", "failed"),
        ("edit", "passed"),
        ("test", "passed"),
    ]
    assert "repeats an earlier wrong edit" in report.steps[3].detail
    assert sum(isinstance(e, EditApplied) for e in events) == 2
    assert not any(params.greedy for _, params in engine.calls[2:4])


QUEUE = '''import heapq


class Queue:
    """Jobs by priority, the highest first."""

    def __init__(self):
        self._heap = []

    def push(self, priority, name):
        heapq.heappush(self._heap, (priority, name))

    def peek(self):
        return self._heap[0][1]

    def pop(self):
        return heapq.heappop(self._heap)[1]
'''
QUEUE_TESTS = """from jobs.queue import Queue


def make():
    q = Queue()
    for priority, name in [(1, "a"), (5, "b"), (3, "c")]:
        q.push(priority, name)
    return q


def test_peek_is_the_highest():
    assert make().peek() == "b"


def test_pop_order():
    q = make()
    assert [q.pop(), q.pop(), q.pop()] == ["b", "c", "a"]


def test_one_job():
    q = Queue()
    q.push(2, "x")
    assert q.pop() == "x"
"""


def method(code):
    return f"```python\n{code}\n```\n"


def test_a_partial_fix_that_the_real_fix_undoes_is_taken_back(tmp_path):
    """`peek` rewritten to fit its test (max of the heap) passes one target and is kept; the real fix
    (`push` negating the priority) then passes the other but fails `peek`'s test, which only the
    partial fix had turned green: judged with the partial fix taken back, it fixes both alone."""
    (tmp_path / "jobs").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "jobs/__init__.py").write_text("")
    (tmp_path / "jobs/queue.py").write_text(QUEUE)
    (tmp_path / "tests/test_queue.py").write_text(QUEUE_TESTS)
    init_repo(tmp_path)
    same_init = method("def __init__(self):\n    self._heap = []")
    same_push = method("def push(self, priority, name):\n    heapq.heappush(self._heap, (priority, name))")
    overfit_peek = method("def peek(self):\n    return max(self._heap)[1]")
    push_fix = method("def push(self, priority, name):\n    heapq.heappush(self._heap, (-priority, name))")
    # Suspects in order: __init__, push, peek; after the partial fix: pop, __init__, push.
    replies = [DIAGNOSIS, same_init, same_push, overfit_peek, same_init, same_init, push_fix]
    events = []
    report, _ = repair(tmp_path, replies, events, branches=0, retries=0, samples=0)

    assert report.status == "fixed", report.reason
    assert report.changed == ["jobs/queue.py::Queue.push"] and report.tests_after.failed == 0
    assert "(-priority, name)" in report.diff and "max(" not in report.diff
    assert (tmp_path / "jobs/queue.py").read_text() == QUEUE.replace(
        "(priority, name))", "(-priority, name))"
    )
    taken = [e for e in events if isinstance(e, EditApplied) and e.function.startswith("taken back")]
    assert len(taken) == 1 and "-        return max(self._heap)[1]" in taken[0].diff
    assert "partial fixes before it taken back" in report.steps[-1].detail
    log = git(tmp_path, "log", "--format=%s", "-3").splitlines()
    assert log[0].startswith("Fix Queue.push") and "take back the partial fixes of" in log[0]
