import pytest

from kog.agent.errors import TaskNotFoundError
from kog.agent.select_tests import select_failing
from kog.tools.testrunner import TestCase, TestRun

RUN = TestRun(
    command="pytest",
    cases=[
        TestCase(id="tests/test_math.py::test_add", outcome="failed"),
        TestCase(id="tests/test_math.py::test_add_negative[1-2]", outcome="failed"),
        TestCase(id="tests/test_math.py::TestDivide::test_by_zero", outcome="error"),
        TestCase(id="tests/test_text.py::test_upper", outcome="failed"),
        TestCase(id="tests/test_text.py::test_lower", outcome="passed"),
    ],
)


def ids(task):
    return [case.id.rsplit("::", 1)[-1] for case in select_failing(RUN, task)]


@pytest.mark.parametrize(
    "task",
    [
        "all",
        "",
        "fix everything",
        "the totals are off by one",
        "failing test",
        "fix the failing tests",
        "the test is failing",
        "testing shows a wrong total",
    ],
)
def test_all_or_plain_words_select_every_failing_test(task):
    assert ids(task) == ["test_add", "test_add_negative[1-2]", "test_by_zero", "test_upper"]


def test_a_test_name_in_a_sentence():
    assert ids("test_upper fails") == ["test_upper"]
    assert ids("test_add fails") == ["test_add"]


def test_ids_files_classes_and_prefixes():
    assert ids("tests/test_math.py::test_add_negative[1-2]") == ["test_add_negative[1-2]"]
    assert ids("tests/test_text.py") == ["test_upper"]
    assert ids("TestDivide") == ["test_by_zero"]
    assert ids("test_add_neg") == ["test_add_negative[1-2]"]


def test_a_named_test_that_passes_means_nothing_to_fix():
    assert ids("test_lower is broken") == []


@pytest.mark.parametrize(
    "task", ["test_mul fails", "TestMultiply", "tests/test_mul.py", "test_math.py::test_mul"]
)
def test_a_test_that_does_not_exist_is_an_error(task):
    with pytest.raises(TaskNotFoundError, match="mul|Multiply"):
        select_failing(RUN, task)
