"""Localization on real test runs: tracebacks through several files, and static reach."""

import textwrap

import pytest
from conftest import init_repo

from kog.agent.localize import Localizer
from kog.agent.plan import goal_for
from kog.tools.codemap import CodeMap
from kog.tools.files import RepoFiles
from kog.tools.testrunner import run_tests

FILES = {
    "pkg/__init__.py": "",
    "pkg/orders.py": """
        from pkg.pricing import price_of


        def order_total(items):
            return sum(price_of(name) * qty for name, qty in items)


        def describe(items):
            return ", ".join(name for name, _ in items)
    """,
    "pkg/pricing.py": """
        from pkg.catalog import lookup


        def price_of(name):
            return lookup(name)


        def discount(total):
            return total - total // 10
    """,
    "pkg/catalog.py": """
        CATALOG = {"apple": {"price": 3}, "pear": {"cost": 4}}


        def lookup(name):
            return CATALOG[name]["price"]
    """,
    "tests/test_orders.py": """
        from pkg.orders import describe, order_total
        from pkg.pricing import discount


        def test_pear_order():
            assert order_total([("pear", 2)]) == 8


        def test_apple_order():
            assert order_total([("apple", 2)]) == 6


        def test_discount_of_100():
            total = 100
            reduced = discount(total)
            assert reduced == 80


        def test_describe():
            assert describe([("apple", 1)]) == "apple"
    """,
}


def repo_with_tests(root, sources):
    """A git repository of `sources`, its test run, and a Localizer over it."""
    for path, text in sources.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text).lstrip())
    init_repo(root)
    run = run_tests(root, "python -m pytest")
    files = RepoFiles(root)
    localizer = Localizer(CodeMap.build(root), {p: files.read(p) for p in files.python_files()})
    return run, localizer


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return repo_with_tests(tmp_path_factory.mktemp("shop"), FILES)


def case(run, name):
    [found] = [c for c in run.cases if c.id.endswith(name)]
    return found


def test_a_traceback_through_three_files_ranks_its_frames_innermost_first(shop):
    run, localizer = shop
    pear = case(run, "test_pear_order")
    assert pear.outcome == "failed" and "KeyError" in pear.traceback
    keys = [s.key for s in localizer.rank([pear], run)]
    assert keys[:3] == ["pkg/catalog.py::lookup", "pkg/pricing.py::price_of", "pkg/orders.py::order_total"]
    # lookup reads the module-level CATALOG, where the data is wrong: it is offered too, last.
    assert keys[-1] == "pkg/catalog.py::<module>"


def test_an_assertion_in_the_test_is_traced_back_through_its_local_variables(shop):
    run, localizer = shop
    failing = case(run, "test_discount_of_100")
    suspects = localizer.rank([failing], run)
    assert suspects[0].key == "pkg/pricing.py::discount"
    assert "pkg/orders.py::describe" not in [s.key for s in suspects]


def test_a_function_reached_only_by_failing_tests_outranks_one_passing_tests_reach(shop):
    run, localizer = shop
    failing = [c for c in run.cases if c.outcome == "failed"]
    keys = [s.key for s in localizer.rank(failing, run)]
    assert "pkg/orders.py::describe" not in keys  # only a passing test reaches it


STACK = {
    "stacks/__init__.py": "",
    "stacks/stack.py": """
        class Stack:
            def __init__(self):
                self._items = []

            def push(self, item):
                self._items.append(item)

            def pop(self):
                return self._items.pop(0)

            def peek(self):
                return self._items[-1]

            def __len__(self):
                return len(self._items)
    """,
    "tests/test_stack.py": """
        from stacks.stack import Stack


        def test_push_and_len():
            s = Stack()
            s.push(1)
            assert len(s) == 1


        def test_pop_is_lifo():
            s = Stack()
            for x in (1, 2, 3):
                s.push(x)
            assert s.pop() == 3


        def test_peek_after_pop():
            s = Stack()
            s.push("a")
            s.push("b")
            s.pop()
            assert s.peek() == "a"
    """,
}


def test_what_the_failing_statement_calls_ranks_before_what_set_up_its_variables(tmp_path):
    """`s = Stack()` before `assert s.pop() == 3` and `assert s.peek() == "a"`: both failing tests reach
    Stack.__init__ through s, their failing statements call pop and peek."""
    run, localizer = repo_with_tests(tmp_path, STACK)
    failing = [case(run, "test_pop_is_lifo"), case(run, "test_peek_after_pop")]
    keys = [s.key for s in localizer.rank(failing, run)]
    assert set(keys[:2]) == {"stacks/stack.py::Stack.pop", "stacks/stack.py::Stack.peek"}


CODEC = {
    "codec/__init__.py": "",
    "codec/text.py": """
        def encode(items):
            return ",".join(items)


        def decode(text):
            return text.split(",") if text else []
    """,
    "tests/test_text.py": """
        from codec.text import decode, encode


        def test_encode_escapes_commas():
            assert encode(["a,b"]) == "a\\\\,b"


        def test_decode_reads_escaped_commas():
            assert decode("a\\\\,b") == ["a,b"]


        def test_round_trip():
            items = ["x,y", "z"]
            assert decode(encode(items)) == items
    """,
}


def test_each_suspect_of_a_bug_in_two_functions_is_shown_its_own_tests_first(tmp_path):
    run, localizer = repo_with_tests(tmp_path, CODEC)
    failing = [c for c in run.cases if c.outcome == "failed"]
    assert [c.id.rsplit("::", 1)[1] for c in failing] == [
        "test_encode_escapes_commas",
        "test_decode_reads_escaped_commas",
        "test_round_trip",
    ]
    goal = goal_for(failing, run, localizer)
    shown = {}
    for suspect in localizer.rank(failing, run):
        shown[suspect.key] = [t.test_id.rsplit("::", 1)[1] for t in goal.tests_for(suspect)]
    assert shown["codec/text.py::decode"] == ["test_decode_reads_escaped_commas", "test_round_trip"]
    assert shown["codec/text.py::encode"] == ["test_encode_escapes_commas", "test_round_trip"]
    # What a test points at, and what it only reaches: the round trip calls both in its failing line.
    round_trip = goal.tests[2]
    assert round_trip.direct == {"codec/text.py::decode", "codec/text.py::encode"}
    assert goal.tests[0].direct == {"codec/text.py::encode"} == goal.tests[0].reached
