"""Localization on real test runs: tracebacks through several files, and static reach."""

import textwrap

import pytest
from conftest import init_repo

from kog.agent.localize import Localizer
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


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("shop")
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text).lstrip())
    init_repo(root)
    run = run_tests(root, "python -m pytest")
    files = RepoFiles(root)
    localizer = Localizer(CodeMap.build(root), {p: files.read(p) for p in files.python_files()})
    return run, localizer


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
