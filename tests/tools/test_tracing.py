"""trace_calls on real tiny repositories (forked from the warm pytest and as a fresh process), and how a
traced call reads."""

from __future__ import annotations

import shlex
import sys

import pytest
from tool_repos import write_files

from kog.tools.codemap import CodeMap
from kog.tools.tracing import STEPS_KEPT, TracedCall, describe_call, trace_calls, traceable

PYTEST = f"{shlex.quote(sys.executable)} -m pytest"

pytestmark = pytest.mark.usefixtures("run_mode")  # each test both ways (conftest.py)

CLOCK = {
    "clock/__init__.py": "",
    "clock/fmt.py": (
        "def offset(minutes):\n"
        "    sign = '-' if minutes < 0 else '+'\n"
        "    hours, rest = divmod(minutes, 60)\n"
        "    return f'{sign}{hours:02d}:{rest:02d}'\n"
        "\n"
        "\n"
        "def total(values):\n"
        "    acc = 0\n"
        "    for v in values:\n"
        "        acc += v\n"
        "    return acc\n"
        "\n"
        "\n"
        "def parse(text):\n"
        "    if not text:\n"
        "        raise ValueError('empty')\n"
        "    return int(text)\n"
        "\n"
        "\n"
        "def squares(n):\n"
        "    for i in range(n):\n"
        "        yield i * i\n"
        "\n"
        "\n"
        "class Box:\n"
        "    def __init__(self):\n"
        "        self.items = []\n"
        "\n"
        "    def put(self, item):\n"
        "        size = len(self.items)\n"
        "        self.items.append(item)\n"
        "        return size\n"
    ),
    "tests/test_fmt.py": (
        "import pytest\n"
        "from clock.fmt import Box, offset, parse, squares, total\n\n\n"
        "def test_offset():\n"
        "    assert offset(30) == '+00:30'\n"
        "    assert offset(-300) == '-05:00'\n\n\n"
        "def test_total():\n"
        "    assert total(range(100)) == 1\n\n\n"
        "def test_parse():\n"
        "    assert parse('7') == 7\n"
        "    parse('')\n\n\n"
        "def test_squares_and_box():\n"
        "    assert list(squares(3)) == [0, 1, 4]\n"
        "    assert Box().put('x') == 1\n"
    ),
}


@pytest.fixture
def clock(tmp_path):
    write_files(tmp_path, CLOCK)
    return tmp_path


def functions(root, *names):
    code = CodeMap.build(root)
    return [(f"{d.path}::{d.qualname}", d) for d in code.definitions() if d.name in names]


def traced(root, test, *names):
    found = trace_calls(root, PYTEST, [f"tests/test_fmt.py::{test}"], functions(root, *names), timeout_s=60)
    return found.get(f"tests/test_fmt.py::{test}", {})


def test_a_call_keeps_its_arguments_assignments_and_result_and_the_last_calls(clock):
    calls = traced(clock, "test_offset", "offset")["clock/fmt.py::offset"]
    assert [c.args for c in calls] == [{"minutes": "30"}, {"minutes": "-300"}]
    last = calls[-1]
    assert last.steps == [(2, {"sign": "'-'"}), (3, {"hours": "-5", "rest": "0"})]
    assert last.returned == "'--5:00'" and last.raised is None


def test_a_raised_exception_is_the_calls_end(clock):
    calls = traced(clock, "test_parse", "parse")["clock/fmt.py::parse"]
    assert calls[0].returned == "7" and calls[-1].raised == "ValueError: empty" and calls[-1].returned is None


def test_a_long_loop_keeps_its_first_and_last_assignments(clock):
    (call,) = traced(clock, "test_total", "total")["clock/fmt.py::total"]
    assert len(call.steps) == STEPS_KEPT and call.steps[0] == (8, {"acc": "0"})
    assert call.tail[-1] == (10, {"acc": "4950"}) and call.returned == "4950"
    # acc = 0; v = 0 (acc += 0 changes nothing); then v and acc a round
    assert len(call.steps) + len(call.tail) + call.more == 1 + 1 + 2 * 99


def test_generators_are_left_out_and_methods_are_traced(clock):
    found = traced(clock, "test_squares_and_box", "squares", "put")
    assert "clock/fmt.py::squares" not in found
    (put,) = found["clock/fmt.py::Box.put"]
    assert put.steps == [(30, {"size": "0"})] and put.returned == "0"  # a default repr does not change


def test_other_commands_and_nothing_to_trace_give_nothing(clock):
    assert not traceable("make test") and traceable(PYTEST) and traceable("uv run pytest -x")
    assert (
        trace_calls(clock, "make test", ["tests/test_fmt.py::test_offset"], functions(clock, "offset"), 60)
        == {}
    )
    assert trace_calls(clock, PYTEST, [], functions(clock, "offset"), 60) == {}
    assert traced(clock, "test_offset", "total") == {}  # the test never calls it


def test_a_described_call_reads_as_the_code_with_its_values():
    call = TracedCall(
        args={"self": "<Box>", "minutes": "-300"},
        steps=[(2, {"sign": "'-'"}), (3, {"hours": "-5", "rest": "0"})],
        tail=[],
        more=0,
        returned="'--5:00'",
        raised=None,
    )
    source = {2: "    sign = '-' if minutes < 0 else '+'", 3: "    hours, rest = divmod(minutes, 60)"}
    assert describe_call(call, "offset", source) == (
        "offset(minutes=-300)\n"
        "    sign = '-' if minutes < 0 else '+'  # then sign = '-'\n"
        "    hours, rest = divmod(minutes, 60)  # then hours = -5, rest = 0\n"
        "    # returned '--5:00'"
    )


def test_a_long_described_call_keeps_its_start_and_its_last_four():
    steps = [(10, {"acc": str(i)}) for i in range(30)]
    call = TracedCall(
        args={}, steps=steps[:24], tail=steps[24:], more=5, returned=None, raised="KeyError: 'x'"
    )
    lines = describe_call(call, "total", {10: "    acc += v"}, max_steps=12).splitlines()
    assert (
        lines[0] == "total()"
        and lines[1] == "    acc += v  # then acc = 0"
        and len(lines) == 1 + 8 + 1 + 4 + 1
    )
    assert lines[9] == "    # ... 23 more assignments ..."  # 5 never kept, 18 kept and not shown
    assert lines[-2] == "    acc += v  # then acc = 29" and lines[-1] == "    # raised KeyError: 'x'"


def test_a_call_past_the_line_limit_keeps_its_values_at_the_end(clock, monkeypatch):
    monkeypatch.setattr("kog.tools.tracing.LINE_LIMIT", 50)
    (call,) = traced(clock, "test_total", "total")["clock/fmt.py::total"]
    assert call.tail[-1] == (-1, {"v": "99", "acc": "4950"}) and call.returned == "4950"
    assert len(call.steps) + len(call.tail) + call.more < 60
    source = {8: "    acc = 0", 9: "    for v in values:", 10: "        acc += v"}
    assert describe_call(call, "total", source).splitlines()[-2:] == [
        "    # by the end: acc = 4950, v = 99",
        "    # returned 4950",
    ]


def test_a_run_that_cannot_start_gives_nothing(clock):
    missing = f"{clock / 'no-such-python'} -m pytest"
    assert (
        trace_calls(clock, missing, ["tests/test_fmt.py::test_offset"], functions(clock, "offset"), 60) == {}
    )
