"""What the model is shown of a failure: pytest's compact error, with string differences spelled out."""

from __future__ import annotations

from kog.agent.context import error_text, number_difference, string_difference
from kog.tools.testrunner import TestCase

TRACEBACK = """\
    def test_title_becomes_slug():
>       assert slugify("Hello, World!") == "hello-world"
E       AssertionError: assert 'hello_world' == 'hello-world'
E
E         - hello-world
E         ?      ^
E         + hello_world
E         ?      ^

tests/test_slug.py:7: AssertionError"""


def test_string_differences_are_spelled_out():
    assert string_difference("AssertionError: assert 'hello_world' == 'hello-world'") == (
        "Difference: 'hello_world' has '_' where 'hello-world' has '-'"
    )
    assert (
        string_difference("assert 'abcd' == 'abc'") == "Difference: 'abcd' has an extra 'd' that 'abc' lacks"
    )
    assert string_difference("assert 'abc' == 'abcd'") == "Difference: 'abc' has no 'd' where 'abcd' has it"


def test_other_comparisons_get_no_note():
    for line in (
        "assert 3 == 4",
        "assert [1] == [2]",
        "assert x == 'a'",
        "assert 'a' == 'a'",
        "ValueError: boom",
    ):
        assert string_difference(line) == ""
    assert string_difference("assert 'abcdefgh' == 'a1c2e3g4'") == ""  # too scattered to help


def test_error_text_keeps_the_assertion_and_adds_the_difference():
    case = TestCase(
        id="tests/test_slug.py::test_title_becomes_slug", outcome="failed", message="", traceback=TRACEBACK
    )
    text = error_text(case)
    lines = text.splitlines()
    assert lines[0] == 'assert slugify("Hello, World!") == "hello-world"'
    assert "AssertionError: assert 'hello_world' == 'hello-world'" in lines
    assert "Difference: 'hello_world' has '_' where 'hello-world' has '-'" in lines
    assert lines[-1] == "tests/test_slug.py:7: AssertionError"


def test_integer_differences_are_spelled_out():
    assert number_difference("AssertionError: assert 2 == 3") == "Difference: 2 is 1 less than 3"
    assert number_difference("assert 10 == 4") == "Difference: 10 is 6 more than 4"
    for line in (
        "assert 3 == 3",
        "assert True == 1",
        "assert 2.5 == 3",
        "assert 'a' == 'b'",
        "assert x == 3",
    ):
        assert number_difference(line) == ""


def test_error_text_of_an_off_by_one():
    traceback = (
        "    def test_partial_last_page_is_counted():\n>       assert page_count(10, 3) == 4\n"
        "E       assert 3 == 4\nE        +  where 3 = page_count(10, 3)\n\n"
        "tests/test_paging.py:7: AssertionError"
    )
    case = TestCase(id="tests/test_paging.py::t", outcome="failed", message="", traceback=traceback)
    assert "Difference: 3 is 1 less than 4" in error_text(case).splitlines()
