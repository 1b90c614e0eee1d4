"""Fault localization: rank the repository code that the failing tests reach.

Evidence, strongest first: definitions on the failing tests' tracebacks (innermost frame first);
then definitions the failing tests reach statically, ranked by how many failing tests reach them,
how few passing tests do, how directly, and how large they are.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from kog.agent.reach import ReachIndex, assigned_names, definition_key, is_test_path
from kog.tools.codemap import CodeMap, Definition
from kog.tools.testrunner import Frame, TestCase, TestRun

MAX_PASSING_TESTS = 300  # enough for the libraries at hand, bounded for larger ones


@dataclass(frozen=True)
class Suspect:
    path: str
    definition: Definition | None  # None: the module-level code of path
    why: str

    @property
    def key(self) -> str:
        return definition_key(self.definition) if self.definition else f"{self.path}::<module>"


def test_location(test_id: str) -> tuple[str, str]:
    """("tests/test_x.py", "TestC.test_y") from "tests/test_x.py::TestC::test_y[1-2]"."""
    path, _, rest = test_id.partition("::")
    return path, ".".join(part.split("[", 1)[0] for part in rest.split("::"))


def module_level_names(source: str) -> set[str]:
    """Names assigned at the top of a module (constants, tables), the targets of search/replace edits."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for stmt in tree.body:
        names |= assigned_names(stmt)
    return names


class Localizer:
    def __init__(self, codemap: CodeMap, sources: dict[str, str]) -> None:
        self.codemap = codemap
        self.sources = sources
        self.index = ReachIndex(codemap.definitions(), sources)

    def test_definition(self, test_id: str) -> Definition | None:
        return self.index.find_test(*test_location(test_id))

    def _frame_suspect(self, frame: Frame, test_id: str) -> Suspect:
        defn = self.codemap.enclosing(frame.path, frame.line)
        if defn is not None and defn.kind == "class":
            defn = None  # a class body line is edited like module-level code
        return Suspect(frame.path, defn, f"on the traceback of {test_id} (line {frame.line})")

    def _trace_suspects(self, failing: list[TestCase]) -> list[Suspect]:
        """Definitions on the tracebacks, innermost first, then by how many tests pass through them."""
        suspects: dict[str, Suspect] = {}
        distance: dict[str, int] = {}  # frames from the innermost one, at best
        tests: dict[str, int] = {}
        for case in failing:
            frames = [f for f in case.frames if not is_test_path(f.path)]
            on_trace = [self._frame_suspect(frame, case.id) for frame in reversed(frames)]
            for steps_out, suspect in enumerate(on_trace):
                suspects.setdefault(suspect.key, suspect)
                distance[suspect.key] = min(distance.get(suspect.key, steps_out), steps_out)
            for key in {suspect.key for suspect in on_trace}:
                tests[key] = tests.get(key, 0) + 1
        return sorted(suspects.values(), key=lambda s: (distance[s.key], -tests[s.key]))

    def _failing_names(self, case: TestCase, test: Definition, follow: bool = True) -> set[str] | None:
        for frame in case.frames:
            if frame.path == test.path and test.start_line <= frame.line <= test.end_line:
                return self.index.failing_names(test, frame.line, follow)
        return None

    def _direct_counts(self, cases: list[TestCase]) -> dict[str, int]:
        """How many failing cases call each definition in the failing statement itself (not through
        what set up its variables: `s = Stack()` before `assert s.pop() == 3` points at pop)."""
        counts: dict[str, int] = {}
        for case in cases:
            test = self.test_definition(case.id)
            names = self._failing_names(case, test, follow=False) if test is not None else None
            if not names:
                continue
            for key, depth in self.index.reach(test, names).items():
                if depth == 1:
                    counts[key] = counts.get(key, 0) + 1
        return counts

    def _reach_counts(self, cases: list[TestCase], focus: bool) -> tuple[dict[str, int], dict[str, int]]:
        """How many of the cases reach each definition, and how directly; with focus, a failing
        case counts from its failing statement when that statement reaches any code at all."""
        counts: dict[str, int] = {}
        depths: dict[str, int] = {}
        for case in cases:
            test = self.test_definition(case.id)
            if test is None:
                continue
            names = self._failing_names(case, test) if focus else None
            reached = (self.index.reach(test, names) if names else None) or self.index.reach(test)
            for key, depth in reached.items():
                counts[key] = counts.get(key, 0) + 1
                depths[key] = min(depths.get(key, depth), depth)
        return counts, depths

    def test_reach(self, case: TestCase) -> tuple[frozenset[str], frozenset[str]]:
        """The suspect keys a failing case points at (its traceback's definitions and the code its
        failing statement calls), and every definition it reaches."""
        direct = {
            self._frame_suspect(frame, case.id).key for frame in case.frames if not is_test_path(frame.path)
        }
        test = self.test_definition(case.id)
        if test is None:
            return frozenset(direct), frozenset(direct)
        names = self._failing_names(case, test, follow=False)
        if names:
            direct |= {key for key, depth in self.index.reach(test, names).items() if depth == 1}
        return frozenset(direct), frozenset(direct | set(self.index.reach(test)))

    def rank(self, failing: list[TestCase], run: TestRun, limit: int = 4) -> list[Suspect]:
        suspects = self._trace_suspects(failing)
        failing_counts, depths = self._reach_counts(failing, focus=True)
        direct = self._direct_counts(failing)
        failing_ids = {case.id for case in run.failing}
        passing = [case for case in run.cases if case.id not in failing_ids][:MAX_PASSING_TESTS]
        passing_counts, _ = self._reach_counts(passing, focus=False)

        def order(key: str) -> tuple[bool, int, int, int, int, int]:
            defn = self.index.definition(key)
            size = defn.end_line - defn.start_line
            # Classes last: their own code (fields, defaults) is rarely where a reached bug lives.
            # Then what the failing statements call themselves, before what set up their variables.
            return (
                defn.kind == "class",
                -direct.get(key, 0),
                -failing_counts[key],
                passing_counts.get(key, 0),
                depths[key],
                -size,
            )

        taken = {s.key for s in suspects}
        for key in sorted(failing_counts, key=order):
            if key in taken:
                continue
            defn = self.index.definition(key)
            why = f"reached by {failing_counts[key]} failing and {passing_counts.get(key, 0)} passing tests"
            suspects.append(Suspect(defn.path, defn, why))
            taken.add(key)
        suspects = suspects[:limit]
        return self._with_module_code(suspects)

    def _with_module_code(self, suspects: list[Suspect]) -> list[Suspect]:
        """Add the module-level code of the top suspect's file when that suspect reads its constants.

        Last: it is edited with a search/replace block, a format small models rarely get right."""
        if not suspects or suspects[0].definition is None:
            return suspects
        top = suspects[0]
        constants = module_level_names(self.sources.get(top.path, "")) & self.index.names_in(top.definition)
        module = Suspect(top.path, None, f"module-level {', '.join(sorted(constants))} read by {top.key}")
        if not constants or any(s.key == module.key for s in suspects):
            return suspects
        return suspects + [module]
