"""What a function did while a test ran: its arguments, the values its lines assigned, what it returned.

    calls = trace_calls(root, "python -m pytest", ["tests/test_x.py::test_y"], [("pkg/mod.py::fn", definition)],
                        timeout_s=60)
    calls["tests/test_x.py::test_y"]["pkg/mod.py::fn"]  # -> the function's last calls in that test

A pytest plugin (loaded with -p into the same test process `run_tests` starts) turns `sys.settrace` on
around each selected test's call and records the calls of the wanted functions only (other frames are
not traced line by line): the arguments, after each line the local names whose value changed, and the
return value or the exception that left the call. Values are `reprlib` reprs, clipped. A failing
function's values are what a debugger would show its author; a small model reads them more reliably
than it runs the code in its head.
"""

from __future__ import annotations

import json
import shlex
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kog.tools.codemap import Definition
from kog.tools.errors import TestCommandError
from kog.tools.testrunner import is_pytest, run_tests

TRACE_PLUGIN = "kog_trace_calls"
CALLS_KEPT = 2  # a function's last calls a test keeps
STEPS_KEPT = 24  # assignments a call keeps from its start (a loop's first rounds)
TAIL_KEPT = 6  # and from its end (the last round, what led to the result)
LINE_LIMIT = 2000  # lines a call traces one by one; after them only its values at the end
CALL_LIMIT = 200  # calls of a function a test traces line by line; later ones: arguments and result

# Runs inside the test process. Standard library only; never raises into the test.
TRACE_PLUGIN_SOURCE = """
import json, os, reprlib, sys
import pytest

_spec = json.loads(os.environ["KOG_TRACE_SPEC"])
_wanted = {}
for _path, _name, _start, _end, _key in _spec["functions"]:
    _wanted.setdefault((os.path.normcase(os.path.realpath(_path)), _name), []).append((_start, _end, _key))
_codes = {}
_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = _spec["value_chars"]
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = _repr.maxdeque = 6
_repr.maxlevel = 3
_found = {}  # test id -> function key -> [call, ...]
_made = {}  # function key -> [calls so far in this test]
_SKIP = 0x20 | 0x80 | 0x200  # generators, coroutines, async generators: one call a resume

def _value(value):
    try:
        text = _repr.repr(value)
    except Exception as exc:
        return f"<repr failed: {type(exc).__name__}>"
    limit = 2 * _spec["value_chars"]
    return text if len(text) <= limit else text[: limit - 3] + "..."

def _key(code):
    if code in _codes:
        return _codes[code]
    key = None
    if not code.co_flags & _SKIP:
        spots = _wanted.get((os.path.normcase(os.path.realpath(code.co_filename)), code.co_name), ())
        for start, end, k in spots:
            if start <= code.co_firstlineno <= end:
                key = k
    _codes[code] = key
    return key

def _snapshot(frame):
    return {name: _value(value) for name, value in frame.f_locals.items() if not name.startswith("__")}

def _tracer(calls):
    def trace(frame, event, arg):
        key = _key(frame.f_code)
        if key is None:
            return None
        record = {"args": _snapshot(frame), "steps": [], "tail": [], "more": 0, "returned": None, "raised": None}
        state = {"seen": dict(record["args"]), "line": frame.f_lineno, "pending": None, "lines": 0}
        made = _made.setdefault(key, [0])
        made[0] += 1
        if made[0] > _spec["call_limit"]:  # a function called in a hot loop: its arguments and result only
            frame.f_trace_lines = False
            state["line"] = -1
        def step(frame, event, arg):
            if event == "line":
                state["lines"] += 1
                if state["lines"] > _spec["line_limit"]:  # a long loop: the values at the end only
                    frame.f_trace_lines = False
                    state["line"] = -1
                    return step
            if event in ("line", "return"):
                now = _snapshot(frame)
                changed = {k: v for k, v in now.items() if state["seen"].get(k) != v}
                if changed:
                    if len(record["steps"]) < _spec["steps"]:
                        record["steps"].append([state["line"], changed])
                    else:
                        record["tail"].append([state["line"], changed])
                        if len(record["tail"]) > _spec["tail"]:
                            del record["tail"][0]
                            record["more"] += 1
                state["seen"], state["line"] = now, frame.f_lineno
            if event == "line":
                state["pending"] = None
            elif event == "exception":
                kind, exc = arg[0], arg[1]
                state["pending"] = f"{kind.__name__}: {str(exc)[:200]}"
            elif event == "return":
                if state["pending"] is not None and arg is None:
                    record["raised"] = state["pending"]
                else:
                    record["returned"] = _value(arg)
                kept = calls.setdefault(key, [])
                kept.append(record)
                del kept[: -_spec["calls"]]
            return step
        return step
    return trace

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    calls = {}
    _made.clear()
    previous = sys.gettrace()
    sys.settrace(_tracer(calls))
    try:
        yield
    finally:
        sys.settrace(previous)
        _found[item.nodeid] = calls
        try:
            with open(_spec["out"], "w", encoding="utf-8") as handle:
                json.dump(_found, handle)
        except Exception:
            pass
"""


@dataclass(frozen=True)
class TracedCall:
    args: dict[str, str]  # name -> repr, at the call
    steps: list[tuple[int, dict[str, str]]]  # (line just run or -1: lines no longer traced, changes)
    tail: list[tuple[int, dict[str, str]]]  # the last ones, when more than STEPS_KEPT were made
    more: int  # assignments left out between `steps` and `tail`
    returned: str | None
    raised: str | None  # "ValueError: message" when an exception left the call


# test id -> function key -> its last calls in that test, oldest first
Traces = dict[str, dict[str, list[TracedCall]]]


def traceable(test_cmd: str) -> bool:
    """Whether the test command runs pytest, which the tracing plugin needs."""
    try:
        return is_pytest(shlex.split(test_cmd))
    except ValueError:
        return False


def trace_calls(
    root: str | Path,
    test_cmd: str,
    test_ids: Sequence[str],
    functions: Sequence[tuple[str, Definition]],
    timeout_s: float,
    value_chars: int = 60,
) -> Traces:
    """Runs `test_ids` with `functions` ((key, definition) pairs) traced; what each test saw of each.
    Empty when the command does not run pytest, or the run wrote nothing or failed to start (a test
    that never reached the functions, a crash): the values are an aid, and the caller goes on
    without them (the agent's plan step says when it has some)."""
    if not test_ids or not functions or not traceable(test_cmd):
        return {}
    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix="kog-trace-") as scratch_dir:
        out = Path(scratch_dir) / "calls.json"
        spec = {
            "functions": [
                [str(root / d.path), d.name, d.start_line, d.end_line, key] for key, d in functions
            ],
            "out": str(out),
            "calls": CALLS_KEPT,
            "steps": STEPS_KEPT,
            "tail": TAIL_KEPT,
            "line_limit": LINE_LIMIT,
            "call_limit": CALL_LIMIT,
            "value_chars": value_chars,
        }
        try:
            run_tests(
                root,
                test_cmd,
                select=list(test_ids),
                timeout_s=timeout_s,
                plugins={TRACE_PLUGIN: TRACE_PLUGIN_SOURCE},
                env={"KOG_TRACE_SPEC": json.dumps(spec)},
            )
        except TestCommandError:
            return {}
        try:
            found = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
    return {
        test: {
            key: [
                TracedCall(
                    args=dict(c["args"]),
                    steps=[(int(line), dict(changed)) for line, changed in c["steps"]],
                    tail=[(int(line), dict(changed)) for line, changed in c["tail"]],
                    more=int(c["more"]),
                    returned=c["returned"],
                    raised=c["raised"],
                )
                for c in calls
            ]
            for key, calls in by_key.items()
        }
        for test, by_key in found.items()
        if isinstance(by_key, dict)
    }


def describe_call(call: TracedCall, name: str, source_lines: dict[int, str], max_steps: int = 12) -> str:
    """The call as lines a model reads: `name(arg=value, ...)`, each assignment after the source line
    that made it, and the result; of a long call, its first assignments and its last four.
    `source_lines`: file line number -> its text, indented as in the function (the body one level in)."""
    args = ", ".join(f"{k}={v}" for k, v in call.args.items() if k != "self")
    lines = [f"{name}({args})"]
    made = [*call.steps, *call.tail]
    last = min(4, len(call.tail)) if call.tail else 0
    head = made[: max_steps - last] if len(made) > max_steps else made
    tail = made[len(made) - last :] if len(made) > max_steps else []
    hidden = call.more + len(made) - len(head) - len(tail)
    for line, changed in head + ([(0, {})] if hidden else []) + tail:
        if line == 0:
            lines.append(f"    # ... {hidden} more assignments ...")
            continue
        values = ", ".join(f"{k} = {v}" for k, v in changed.items())
        if line < 0:
            lines.append(f"    # by the end: {values}")
            continue
        code = source_lines.get(line, "")
        lines.append(f"{code}  # then {values}" if code else f"    # then {values}")
    if call.raised is not None:
        lines.append(f"    # raised {call.raised}")
    else:
        lines.append(f"    # returned {call.returned}")
    return "\n".join(lines)


__all__ = ["Traces", "TracedCall", "describe_call", "trace_calls", "traceable"]
