"""The repository under repair as the loop uses it: files, fresh code maps, test runs, the git guard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kog.agent.context import error_text
from kog.agent.edit import ProposedEdit
from kog.agent.errors import ReplyRejected
from kog.agent.events import EditApplied, EventBus, TestsRun
from kog.tools.codemap import CodeMap
from kog.tools.files import RepoFiles
from kog.tools.git import RepoGuard
from kog.tools.testrunner import TestRun, run_tests


class Workspace:
    def __init__(self, root: Path, guard: RepoGuard, test_cmd: str, bus: EventBus, timeout_s: float) -> None:
        self.root = root
        self.guard = guard
        self.test_cmd = test_cmd
        self.bus = bus
        self.timeout_s = timeout_s
        self.quick_suite = False  # set from the baseline: a full run costs little more than a targeted one
        self.review: Callable[[ProposedEdit], bool] | None = None  # asked before each edit (confirm mode)
        self.files = RepoFiles(root)

    def run_tests(self, scope: str, select: list[str] | None = None) -> TestRun:
        run = run_tests(self.root, self.test_cmd, select=select, timeout_s=self.timeout_s)
        self.bus.publish(
            TestsRun(
                scope=scope,
                passed=run.passed_ids,
                failed=run.failing_ids,
                duration_s=run.duration_s,
                timed_out=run.timed_out,
                messages={case.id: error_text(case) for case in run.failing},
            )
        )
        return run

    def sources(self) -> dict[str, str]:
        return {path: self.files.read(path) for path in self.files.python_files()}

    def code_map(self) -> CodeMap:
        """A map of the files as they are now (edits move line ranges)."""
        return CodeMap.build(self.root)

    def apply(self, edit: ProposedEdit) -> None:
        if self.review is not None and not self.review(edit):
            raise ReplyRejected("the user rejected the edit")
        self.files.write(edit.path, edit.new_text)
        self.bus.publish(EditApplied(path=edit.path, function=edit.label, diff=edit.diff))
