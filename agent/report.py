"""The final report of a repair run: what the CLI prints, saves as JSON and CI reads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

StepKind = Literal["plan", "edit", "test", "refactor"]
StepState = Literal["running", "passed", "failed", "rolled_back"]
RunStatus = Literal["fixed", "not_fixed", "nothing_to_fix", "error"]


class TestSummary(BaseModel):
    __test__ = False  # not a pytest test class

    passed: int = 0
    failed: int = 0
    failing: list[str] = Field(default_factory=list)
    timed_out: bool = False


class StepRecord(BaseModel):
    kind: StepKind
    attempt: int
    state: StepState
    duration_s: float
    tokens: int = 0
    detail: str = ""


class RunReport(BaseModel):
    status: RunStatus
    task: str
    model: str
    repo: str
    reason: str = ""  # why the run ended the way it did, one line
    tests_before: TestSummary | None = None
    tests_after: TestSummary | None = None
    targets: list[str] = Field(default_factory=list)  # the failing tests the run set out to fix
    changed: list[str] = Field(default_factory=list)  # "path::function" of accepted edits
    diff: str = ""  # unified diff of the whole fix, the same text as the patch file
    branch: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    tokens: int = 0
    tok_s: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per step kind, plus "total"

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("fixed", "nothing_to_fix") else 1

    def summary(self) -> str:
        line = f"{self.status}: {self.reason}" if self.reason else self.status
        if self.tests_before is not None and self.tests_after is not None:
            line += (
                f" | tests {self.tests_before.failed} failing -> {self.tests_after.failed} failing"
                f" | {self.tokens} tokens at {self.tok_s:.1f} tok/s"
                f" | {self.timings.get('total', 0.0):.1f} s"
            )
        return line
