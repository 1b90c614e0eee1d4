"""Which failing tests a task names: "all", a test id or file, or words such as "test_add fails"."""

from __future__ import annotations

import re

from kog.agent.errors import TaskNotFoundError
from kog.tools.testrunner import TestCase, TestRun

_TOKEN = re.compile(r"[\w./:\[\]-]+")
_ALL = {"", "all", "everything", "tests", "fix"}


def _names(test_id: str) -> set[str]:
    """The ways a task may name a test: id, file, file stem, class, function with and without params."""
    path, _, rest = test_id.partition("::")
    parts = rest.split("::") if rest else []
    names = {test_id, path, path.rsplit("/", 1)[-1], path.rsplit("/", 1)[-1].removesuffix(".py")}
    names.update(parts)
    names.update(part.split("[", 1)[0] for part in parts)
    return names


# Shaped like a pytest name: test_foo, TestFoo, a node id or a file. The words "test", "tests" and
# "testing" are not: "fix the failing test" is a task in plain words.
_TEST_NAME = re.compile(r"test_|Test[A-Z_]")


def _looks_like_a_test(token: str) -> bool:
    return bool(_TEST_NAME.match(token)) or "::" in token or token.endswith(".py")


def _matching(token: str, cases: list[TestCase]) -> list[TestCase]:
    """Cases the token names exactly; failing that, tests whose name starts with a "test_" token."""
    exact = [case for case in cases if token in _names(case.id)]
    if exact or not token.startswith("test_"):
        return exact
    return [case for case in cases if case.id.rsplit("::", 1)[-1].split("[", 1)[0].startswith(token)]


def select_failing(run: TestRun, task: str) -> list[TestCase]:
    """The failing tests the task is about; [] when every test it names passes.

    Raises TaskNotFoundError when the task names a test the run does not have.
    """
    failing = run.failing
    tokens = [t.strip(".,;:'\"`") for t in _TOKEN.findall(task)]
    tokens = [t for t in tokens if t and t.lower() not in _ALL]
    if not tokens:
        return failing
    named = {case.id for token in tokens for case in _matching(token, run.cases)}
    chosen = [case for case in failing if case.id in named]
    if chosen:
        return chosen
    if named:
        return []  # every test the task names passes
    unknown = [t for t in tokens if _looks_like_a_test(t)]
    if unknown:
        raise TaskNotFoundError(f"no test matches {', '.join(unknown)} (the run has {len(run.cases)} tests)")
    return failing  # a task in plain words ("the discount is wrong") means every failing test
