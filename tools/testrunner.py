"""Running a repository's tests in a clean subprocess and reading the results from JUnit XML."""

from __future__ import annotations

from pathlib import Path
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

    ``frames`` run from the test toward the failure (innermost last), repository files only.
    """

    __test__ = False

    id: str
    outcome: Outcome
    message: str = ""
    traceback: str = ""
    frames: list[Frame] = []


class TestRun(BaseModel):
    """The results of one run of the test command."""

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


def resolve_test_command(root: str | Path, cli_value: str | None = None) -> str:
    """--test-cmd if given, else ``[tool.kog-agent] test-cmd`` of root/pyproject.toml, else pytest."""
    raise NotImplementedError


def run_tests(
    root: str | Path, command: str, select: list[str] | None = None, timeout_s: float = 300
) -> TestRun:
    """Run ``command`` in ``root`` with a clean environment; kill it (process group) at the timeout.

    pytest commands get ``--junitxml=<tmp> -p no:cacheprovider -q`` and the ``select`` ids appended.
    """
    raise NotImplementedError
