"""The results of a test run, as the agent, its reports and the CLI exchange them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Outcome = Literal["passed", "failed", "error", "skipped"]


class Frame(BaseModel):
    """One traceback frame in a file of the repository (path repository-relative, line 1-based)."""

    path: str
    line: int
    function: str


class TestCase(BaseModel):
    """One test result; ``id`` is the pytest node id, e.g. ``tests/test_x.py::TestC::test_y``.

    A collection error has the file's path as id. ``frames`` run from the test toward the
    failure (innermost last) and hold repository files only.
    """

    __test__ = False

    id: str
    outcome: Outcome
    message: str = ""
    traceback: str = ""
    frames: list[Frame] = []


class TestRun(BaseModel):
    """The results of one run of the test command; ``returncode`` is None when it was killed."""

    __test__ = False

    command: str
    cases: list[TestCase] = []
    duration_s: float = 0.0
    timed_out: bool = False
    returncode: int | None = None
    output_tail: str = ""

    @property
    def failing(self) -> list[TestCase]:
        """Cases that failed or errored."""
        return [case for case in self.cases if case.outcome in ("failed", "error")]

    @property
    def passed_ids(self) -> list[str]:
        return [case.id for case in self.cases if case.outcome == "passed"]

    @property
    def failing_ids(self) -> list[str]:
        return [case.id for case in self.failing]

    def case(self, test_id: str) -> TestCase | None:
        """The case with this id, or None."""
        return next((case for case in self.cases if case.id == test_id), None)
