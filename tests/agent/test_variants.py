"""Variants of a suspect: what they change, their order, and the loop trying them (the pitfall variants
before the model's edits, single tokens once those have failed; on real tmp repositories built from the
examples, with a scripted model)."""

import ast

import pytest
from conftest import init_repo, snapshot
from replies import DIAGNOSIS
from scripted_engine import ScriptedEngine

from kog.agent.events import EventBus
from kog.agent.loop import RepairRun, RunConfig
from kog.agent.variants import (
    EXCEPTIONS,
    default_variants,
    edit_variants,
    guard_variants,
    single_token_variants,
    structural_variants,
    suspect_variants,
)
from kog.tools.codemap import parse_definitions

SOURCE = '''"""A module."""

LIMIT = 3


def pick(items, name="a-b"):
    # keep the first < LIMIT items
    if len(items) > 0 and items[0] <= LIMIT:
        return items.pop() + items[-1] * 2
    return min(items) if items else -1


def other(x):
    return x + 1
'''


def variants_of(name, near=()):
    defn = next(d for d in parse_definitions(SOURCE, "m.py") if d.name == name)
    return single_token_variants(SOURCE, defn, list(near))


def test_each_variant_changes_one_token_of_the_definition_and_parses():
    found = {(v.line, v.old, v.new) for v in variants_of("pick")}
    assert {
        (8, ">", ">="), (8, ">", "<"), (8, "0", "1"), (8, "and", "or"), (8, "<=", "<"), (8, "<=", ">="),
        (8, "0", "-1"), (9, "pop()", "pop(0)"), (9, "+", "-"), (9, "-1", "0"), (9, "*", "//"),
        (9, "2", "3"), (9, "2", "1"), (10, "min", "max"),
    } <= found  # fmt: skip
    # the unary minus is its number's (-1 -> -2 / -0), strings, comments and other definitions stay
    assert not {v for v in found if v[1] in ('"a-b"', "<", "x")} and all(6 <= v[0] <= 10 for v in found)
    for v in variants_of("pick"):
        ast.parse(v.new_text)
        before, after = SOURCE.splitlines(), v.new_text.splitlines()
        assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [v.line - 1]


def test_variants_nearest_the_traceback_lines_come_first():
    lines = [v.line for v in variants_of("pick", near=[10])]
    assert lines[0] == 10 and lines == sorted(lines, key=lambda n: abs(n - 10))
    assert [v.line for v in variants_of("pick")] == sorted(v.line for v in variants_of("pick"))


def repair(root, replies, **config):
    engine = ScriptedEngine(replies)
    run = RepairRun(root, engine, EventBus(), RunConfig(**{"refactor": False, **config}))
    return run.run(), engine


def test_a_one_token_bug_the_model_cannot_fix_is_fixed_by_a_variant(example_repo):
    """invoice: a discount added instead of subtracted. The scripted model writes nothing usable; a
    variant of the suspect makes the failing tests pass without breaking the others, and is kept."""
    root = example_repo("invoice")
    report, engine = repair(root, [DIAGNOSIS], max_steps=3)
    assert report.status == "fixed", report.reason
    assert "+        return round_half_up(subtotal * (100 - self.discount_percent), 100)" in report.diff
    assert report.diff.count("\n-") == 1 + 1  # the "---" header and the one changed line
    assert report.tests_after.failed == 0
    edits = [s for s in report.steps if s.kind == "edit"]
    assert edits[-1].detail.endswith("`+` -> `-` on line 49") and edits[-1].tokens == 0
    assert len(engine.calls) == 1 + 3  # the diagnosis and the three model edits the steps allowed


def test_without_variants_or_when_none_helps_the_tree_is_restored(example_repo):
    root = example_repo("invoice")
    before = snapshot(root)
    report, _ = repair(root, [DIAGNOSIS], max_steps=2, variants=0)
    assert report.status == "not_fixed" and "step budget" in report.reason and snapshot(root) == before
    # pagination's fix adds a term (`+ 1`): no single token is wrong, the variants all fail
    root = example_repo("pagination")
    before = snapshot(root)
    report, _ = repair(root, [DIAGNOSIS], max_steps=2, variants=8)
    assert report.status == "not_fixed" and "step budget" in report.reason and snapshot(root) == before
    assert [s.state for s in report.steps if s.kind == "test"][-8:] == ["rolled_back"] * 8


def test_variants_land_on_their_token_in_crlf_tabbed_non_ascii_decorated_code():
    src = 'import x\r\n\r\n@dec\r\ndef f(a):\r\n\tb = "é" + "x"\r\n\treturn a[0] < 2\r\n'
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "f")
    lines = {
        (v.line, v.new_text.splitlines(keepends=True)[v.line - 1])
        for v in single_token_variants(src, defn, [])
    }
    assert (5, '\tb = "é" - "x"\r\n') in lines and (6, "\treturn a[-1] < 2\r\n") in lines
    assert (6, "\treturn a[0] <= 2\r\n") in lines and len(lines) == 7


def test_a_container_indexed_by_the_wrong_variable_gets_its_other_keys():
    src = (
        "def walk(dist, start, graph):\n"
        "    for town in graph:\n"
        "        here = dist[start] + graph.get(town, 0)\n"
        "        dist[town] = here\n"
        "    return dist[len(graph)], dist.get(start)\n"
    )
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "walk")
    names = {(v.line, v.old, v.new) for v in single_token_variants(src, defn, []) if v.old.isidentifier()}
    # dist is indexed by start and town; graph by town alone, so its key has no other to become
    assert names == {(3, "start", "town"), (4, "town", "start"), (5, "start", "town")}


def test_a_function_that_may_return_none_gets_an_empty_input_guard_for_each_collection_parameter():
    src = (
        "def first(items: list[int], n: int, rest, *, table: dict | None = None) -> int | None:\r\n"
        '    """The first item."""\r\n'
        "    return items[0]\r\n"
        "\r\n"
        "\r\n"
        "def count(items: list[int]) -> int:\r\n"
        "    return len(items)\r\n"
    )
    defs = {d.name: d for d in parse_definitions(src, "m.py")}
    guards = guard_variants(src, defs["first"])
    assert [g.describe for g in guards] == [
        f"`if not {name}: return None` added on line 3" for name in ("items", "rest", "table")
    ]  # n is an int; the docstring stays first
    assert guards[0].new_text.splitlines(keepends=True)[2:5] == [
        "    if not items:\r\n",
        "        return None\r\n",
        "    return items[0]\r\n",
    ]
    assert guard_variants(src, defs["count"]) == []  # None is not among its results
    assert suspect_variants(src, defs["first"], [])[:3] == guards


def test_a_mutable_default_becomes_none_and_a_new_container_a_call():
    src = (
        "def add(x, seen: set[int] = set(), *, log=[], name='é', n: int = 0) -> list:\n"
        "    seen.add(x)\n"
        "    log.append(x)\n"
        "    return log\n"
    )
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "add")
    found = default_variants(src, defn)
    assert [v.describe for v in found] == [
        "`= set()` -> `= None` on line 1, `if seen is None: seen = set()` added",
        "`= []` -> `= None` on line 1, `if log is None: log = []` added",
    ]  # the string and the int are not shared state
    assert found[0].new_text.splitlines()[:3] == [
        "def add(x, seen: set[int] | None = None, *, log=[], name='é', n: int = 0) -> list:",
        "    if seen is None:",
        "        seen = set()",
    ]
    assert found[1].new_text.splitlines()[0].startswith("def add(x, seen: set[int] = set(), *, log=None,")


def test_an_except_clause_may_catch_another_builtin_exception():
    src = (
        "def parse(raw):\n"
        "    try:\n"
        "        return int(raw)\n"
        "    except (TypeError, MyError):\n"
        "        return None\n"
        "    except MyError:\n"
        "        return 0\n"
    )
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "parse")
    caught = {(v.line, v.old, v.new) for v in single_token_variants(src, defn, []) if v.old.endswith("Error")}
    # the first of a tuple is swapped for each other built-in; the module's own exceptions stay
    assert caught == {(4, "TypeError", name) for name in EXCEPTIONS if name != "TypeError"}


@pytest.mark.parametrize(
    ("example", "fix", "variant"),
    [
        # Dijkstra measuring each road from the start town: another key of `dist`
        ("routes", "-            candidate = dist[start] + km\n+            candidate = dist[town] + km\n",
         "`start` -> `town` on line 44"),
        # the percentile of no samples indexes an empty list where its annotation promises None
        ("latency", "+    if not samples:\n+        return None\n", "`if not samples: return None` added on line 25"),
        # every memoized function shares the one dict of `store={}`
        ("memo", "+    if store is None:\n+        store = {}\n",
         "`= {}` -> `= None` on line 23, `if store is None: store = {}` added"),
        # a malformed number raises ValueError, which `except TypeError` lets escape
        ("settings", "-        except TypeError:\n+        except ValueError:\n", "`TypeError` -> `ValueError` on line 40"),
    ],
)  # fmt: skip
def test_a_bug_the_model_cannot_fix_is_fixed_by_a_variant_of_its_kind(example_repo, example, fix, variant):
    """The scripted model writes nothing usable; the variant of the bug's kind fixes every target
    without breaking a passing test, and is the last edit of the run."""
    report, _ = repair(example_repo(example), [DIAGNOSIS], max_steps=3)
    assert report.status == "fixed", report.reason
    assert fix in report.diff and report.tests_after.failed == 0
    assert [s for s in report.steps if s.kind == "edit"][-1].detail.endswith(variant)


@pytest.mark.parametrize(
    ("example", "variant"),
    [
        ("memo", "`= {}` -> `= None` on line 23, `if store is None: store = {}` added"),
        ("latency", "`if not samples: return None` added on line 25"),
    ],
)
def test_a_pitfall_variant_is_tried_before_the_model_writes_an_edit(example_repo, example, variant):
    """A mutable default or a missing empty-input guard in a suspect: its variant is judged before any
    model edit, so the model is asked for the diagnosis alone."""
    report, engine = repair(example_repo(example), [DIAGNOSIS], max_steps=3)
    assert report.status == "fixed", report.reason
    edits = [s for s in report.steps if s.kind == "edit"]
    assert edits[-1].detail.endswith(variant) and edits[-1].tokens == 0
    assert len(engine.calls) == 1  # the diagnosis
    assert [s.attempt for s in report.steps if s.kind in ("edit", "test")] == sorted(
        s.attempt for s in report.steps if s.kind in ("edit", "test")
    )


STRUCTURAL_SOURCE = """def first_problem(items: list[str], limit: int) -> str | None:
    found = []
    for item in items:
        if not item.strip():
            continue
        found.append(item)
        return found
    if found == []:
        check(found)
    while limit:
        limit -= 1
    head, tail = items[0].split("-")
    return scale(head, tail) if items[1:] else label(limit, found[:-1])


def scale(a, b):
    return a
"""


def structural(name="first_problem", src=STRUCTURAL_SOURCE):
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == name)
    return {(v.line, v.old, v.new) for v in structural_variants(src, defn)}, structural_variants(src, defn)


def test_structural_variants_are_the_usual_slips_wider_than_a_token():
    found, variants = structural()
    assert found == {
        (4, "not item.strip()", "item.strip()"),  # a condition the other way
        (13, "items[1:]", "not items[1:]"),
        (9, "check(found)", "return check(found)"),  # a dropped result returned
        (7, "return found", "moved out of the loop"),  # the return after the loop, not in it
        (13, "head, tail", "tail, head"),  # neighbouring arguments swapped (names, not `found[:-1]`)
        (13, "[1:]", "[:-1]"),  # the other end of a slice
        (13, "[1:]", "[:1]"),
        (13, "[:-1]", "[1:]"),
        (12, 'items[0].split("-")', 'items[0].split("-", 1)'),  # one cut, not every separator
    }  # `found == []` is the token variants' (== -> !=)
    moved = next(v for v in variants if v.new == "moved out of the loop")
    assert "        found.append(item)\n    return found\n    if found == []:" in moved.new_text
    assert moved.describe == "`return found` moved out of the loop on line 7"
    for v in variants:
        ast.parse(v.new_text)
    # a function that returns nothing keeps its calls as statements
    src = "def log(x):\n    print(x)\n    emit(x)\n"
    assert not {v for v in structural("log", src)[0] if v[2].startswith("return")}


def test_edit_variants_merge_both_kinds_nearest_first_without_repeats():
    defn = next(d for d in parse_definitions(STRUCTURAL_SOURCE, "m.py") if d.name == "first_problem")
    found = edit_variants(STRUCTURAL_SOURCE, defn, [7])
    assert found[0].line == 7 and [abs(v.line - 7) for v in found] == sorted(abs(v.line - 7) for v in found)
    assert len({v.new_text for v in found}) == len(found)
    kinds = {v.new for v in found}
    assert {"moved out of the loop", "!=", 'items[0].split("-", 1)'} <= kinds


RETURN_IN_LOOP = {
    "pyproject.toml": '[project]\nname = "tally"\nversion = "0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "tally.py": (
        "def evens(values: list[int]) -> list[int]:\n"
        '    """The even values, in order."""\n'
        "    out = []\n"
        "    for value in values:\n"
        "        if value % 2 == 0:\n"
        "            out.append(value)\n"
        "        return out\n"
    ),
    "tests/test_tally.py": (
        "from tally import evens\n\n\n"
        "def test_evens():\n    assert evens([2, 3, 4]) == [2, 4]\n\n\n"
        "def test_none():\n    assert evens([]) is not None\n"
    ),
}


def test_a_return_inside_its_loop_the_model_cannot_fix_is_moved_out_by_a_variant(tmp_path):
    for name, content in RETURN_IN_LOOP.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    root = init_repo(tmp_path)
    report, _ = repair(root, [DIAGNOSIS], max_steps=2)
    assert report.status == "fixed", report.reason
    assert "-        return out\n+    return out\n" in report.diff and report.tests_after.failed == 0
    assert [s for s in report.steps if s.kind == "edit"][-1].detail.endswith(
        "`return out` moved out of the loop on line 7"
    )


def test_variants_come_after_the_greedy_edits_and_before_the_sampled_ones(example_repo):
    """invoice again, with the whole step budget: the model's greedy edits fail, the variant `+` ->
    `-` fixes it, and no sampled edit was asked for."""
    report, engine = repair(example_repo("invoice"), [DIAGNOSIS], max_steps=12)
    assert report.status == "fixed", report.reason
    assert [s for s in report.steps if s.kind == "edit"][-1].detail.endswith("`+` -> `-` on line 49")
    params = [p for _, p in engine.calls[1:]]  # after the diagnosis
    assert params and all(p.greedy for p in params)
    numbers = [s.attempt for s in report.steps if s.kind in ("edit", "test")]
    assert numbers == sorted(numbers)  # one count for model edits and variants


def test_truncation_rounding_and_regex_anchoring_are_single_token_variants():
    src = (
        "def cents(text, pattern, values):\n"
        "    if not pattern.match(text):\n"
        "        return values.int\n"
        "    return int(float(text) * 100) + round(2.5)\n"
    )
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "cents")
    found = {(v.line, v.old, v.new) for v in single_token_variants(src, defn, [])}
    assert {
        (2, "match", "fullmatch"),
        (2, "match", "search"),
        (4, "int", "round"),
        (4, "round", "int"),
    } <= found
    assert not {v for v in found if v[0] == 3}  # `values.int` is an attribute, not the built-in


def test_a_derived_value_may_be_meant_where_its_input_is_read_and_a_parameter_copied():
    src = (
        "def add_months(start, months, table):\n"
        "    total = start - 1 + months\n"
        "    year = months // 12\n"
        "    result = table\n"
        "    result[year] = total\n"
        "    return result\n"
    )
    found, _ = structural("add_months", src)
    assert {(3, "months", "total"), (4, "table", "table.copy()")} <= found
    assert not {v for v in found if v[1] == "start" and v[0] == 2}  # not before the value exists


def test_break_continue_and_sibling_methods_are_single_token_variants():
    src = (
        "def tidy(lines, out):\n"
        "    for line in lines:\n"
        "        if line.startswith('#'):\n"
        "            break\n"
        "        out.append(line.rstrip().lower())\n"
        "    return out\n"
    )
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "tidy")
    found = {(v.line, v.old, v.new) for v in single_token_variants(src, defn, [])}
    assert {
        (4, "break", "continue"),
        (3, "startswith", "endswith"),
        (5, "append", "extend"),
        (5, "rstrip", "lstrip"),
        (5, "rstrip", "strip"),
        (5, "lower", "upper"),
    } <= found
    assert not {v for v in found if v[1] in ("line", "lines", "out")}  # plain names are not methods


def test_text_split_at_newlines_may_mean_its_lines():
    src = "def cues(block, rows):\n    lines = block.split('\\n')\n    return lines, rows.split(',')\n"
    found, variants = structural("cues", src)
    assert (2, "block.split('\\n')", "block.splitlines()") in found
    assert not {v for v in found if v[2] == "rows.splitlines()"}
    assert all(ast.parse(v.new_text) for v in variants)


def test_a_loop_that_shrinks_what_it_walks_walks_a_copy():
    src = (
        "class Pantry:\n"
        "    def discard(self, today, seen):\n"
        "        for batch in self.batches:\n"
        "            if batch.expires < today:\n"
        "                self.batches.remove(batch)\n"
        "        for key, value in seen.items():\n"
        "            if not value:\n"
        "                del seen[key]\n"
        "        for key in seen:\n"
        "            print(key)\n"
    )
    defn = next(d for d in parse_definitions(src, "m.py") if d.name == "discard")
    found = suspect_variants(src, defn, [])
    pitfalls = [(v.line, v.old, v.new) for v in found[:2]]
    assert pitfalls == [(3, "self.batches", "list(self.batches)"), (6, "seen.items()", "list(seen.items())")]
    assert not {(v.old, v.new) for v in found[2:]} & {("seen", "list(seen)")}  # that loop only reads


def test_a_running_extreme_starts_from_the_first_item_and_an_order_may_run_the_other_way():
    src = (
        "def summary(readings, heap, jobs):\n"
        "    low = high = 0.0\n"
        "    count = 0\n"
        "    for r in readings:\n"
        "        if r.celsius < low:\n"
        "            low = r.celsius\n"
        "        if high <= r.celsius:\n"
        "            high = r.celsius\n"
        "        count += 1\n"
        "    heapq.heappush(heap, (r.priority, count, r))\n"
        "    jobs.sort(key=lambda j: (j.due, len(j.name)))\n"
        "    return low, high\n"
    )
    found, variants = structural("summary", src)
    assert (2, "0.0", "readings[0].celsius") in found
    assert not {v for v in found if v[0] == 3 and v[2] == "0"}  # `count` is not compared in the loop
    assert {
        (10, "r.priority", "-r.priority"),  # a heap's first key, not the tie-breaker after it
        (11, "j.due", "-j.due"),
        (11, "len(j.name)", "-len(j.name)"),
    } <= found
    assert not {v for v in found if v[2] == "-count"}
    start = next(v for v in variants if v.new == "readings[0].celsius")
    assert start.new_text.splitlines()[1] == "    low = high = readings[0].celsius"
