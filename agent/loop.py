"""The repair loop: plan, then edit and test until the target tests pass, then refactor.

Greedy attempts come first (each suspect, retried once with the new failure; a reply that changes
nothing is branched where the model doubted, branches.py), then sampled candidates at a temperature;
the first edit that turns the target tests green without breaking a passing test wins. Every way
out of the loop leaves the user's tree restored unless fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kog.agent.ask import ModelCaller
from kog.agent.attempt import Attempts, Goal, Verdict
from kog.agent.branches import Branch, branch_points
from kog.agent.budget import Budget
from kog.agent.edit import ProposedEdit
from kog.agent.errors import BudgetExhausted
from kog.agent.events import EventBus, RunFinished, RunStarted
from kog.agent.localize import Suspect
from kog.agent.model import LanguageModel, ScoringModel
from kog.agent.plan import Plan, goal_for, localize, make_plan
from kog.agent.prompts import FailedAttempt
from kog.agent.refactor import refactor
from kog.agent.report import RunReport, TestSummary
from kog.agent.steps import StepLog
from kog.agent.values import observed_values
from kog.agent.variants import edit_variants, pitfall_variants
from kog.agent.workspace import Workspace
from kog.engine.api import SamplingParams
from kog.engine.errors import PromptTooLongError
from kog.tools.git import RepoGuard
from kog.tools.testrunner import TestRun, resolve_test_command

GREEDY = SamplingParams(temperature=0.0)
QUICK_SUITE_S = 10.0  # a suite this fast is re-run whole after each edit, without a targeted run first


@dataclass(frozen=True)
class RunConfig:
    task: str = "all"
    test_cmd: str | None = None
    max_steps: int | None = None  # edit attempts (None: the device's share, DEVICE_BUDGETS)
    max_time_s: float = 900.0
    max_tokens: int = 20_000
    commit: bool = True
    allow_dirty: bool = False
    refactor: bool = True
    suspects: int = 3  # suspects tried greedily, best first
    retries: int = 1  # greedy retries of a suspect with the new failure in the prompt
    # Where a suspect's greedy reply changed nothing: that reply continued from the places the model
    # doubted most, each with its runner-up token (branches.py), for the best suspect; one for others.
    branches: int = 3
    # Sampled candidates after the greedy ones (None: the device's share; max_steps bounds them too).
    samples: int | None = None
    temperature: float = 0.7
    # A suspect's samples after one of them changed nothing: a small model copies confident code back
    # (its tokens past top_p's cut alone), so the cut goes and the temperature rises.
    wide_temperature: float = 1.0
    # Variants of the suspects (variants.py), at most: pitfalls' fixes before the model's edits, single
    # tokens and structural ones once its greedy edits have failed (before the sampled ones).
    variants: int = 60
    # The best suspects' values in a failing test (the arguments, what each line set, the result) in
    # their prompts (values.py): one traced test run a plan and a narrowing. Off: none.
    values: bool = True
    test_timeout_s: float = 300.0  # the baseline run
    edit_test_timeout_s: float | None = None  # runs after an edit; None: 5x the baseline, 30 s at least


# Edit attempts and sampled candidates by where the model runs, as (max_steps, samples). A reply takes
# seconds on a CPU and well under one on a GPU, where a search that ran out of attempts in ten
# seconds may as well go on: with 40 attempts and 16 samples the 1.5B on an H200 repaired 3 of the 14
# tasks it had missed with 12 and 8 (bench/NOTES.md, "A third blind set; the 1.5B on a GPU").
DEVICE_BUDGETS = {"cpu": (12, 8), "cuda": (40, 16)}


def for_device(config: RunConfig, device: str) -> RunConfig:
    """`config` with the attempts and samples it leaves open set for a model on `device`."""
    steps, samples = DEVICE_BUDGETS["cuda" if device.startswith("cuda") else "cpu"]
    return replace(
        config,
        max_steps=steps if config.max_steps is None else config.max_steps,
        samples=samples if config.samples is None else config.samples,
    )


def summarize(run: TestRun) -> TestSummary:
    return TestSummary(
        passed=len(run.passed_ids), failed=len(run.failing), failing=run.failing_ids, timed_out=run.timed_out
    )


class RepairRun:
    def __init__(
        self,
        repo: str | Path,
        model: LanguageModel,
        bus: EventBus | None = None,
        config: RunConfig | None = None,
        review: Callable[[ProposedEdit], bool] | None = None,
    ) -> None:
        self.root = Path(repo).resolve()
        self.review = review  # asked before each edit is applied; False rejects it
        self.model = model
        self.bus = bus or EventBus()
        self.config = for_device(config or RunConfig(), model.info.device)
        self.variants_tried = 0
        self._variants_left = 0  # of the current search's (RunConfig.variants)
        self._number = 0  # the last attempt's number in the step log (model edits and variants alike)

    def _next_number(self) -> int:
        self._number += 1
        return self._number

    def run(self) -> RunReport:
        config = self.config
        budget = Budget(config.max_steps, config.max_time_s, config.max_tokens)
        test_cmd = resolve_test_command(self.root, config.test_cmd)
        report = RunReport(
            status="not_fixed", task=config.task, model=self.model.info.name, repo=str(self.root)
        )
        self.bus.publish(
            RunStarted(task=config.task, repo=str(self.root), model=report.model, test_cmd=test_cmd)
        )
        caller = ModelCaller(self.model, self.bus, budget)
        steps = StepLog(self.bus)
        with RepoGuard(self.root, config.task, allow_dirty=config.allow_dirty, commit=config.commit) as guard:
            ws = Workspace(self.root, guard, test_cmd, self.bus, config.test_timeout_s)
            ws.review = self.review
            try:
                self._run(ws, caller, steps, report)
            except BudgetExhausted as exc:
                report.status, report.reason = "not_fixed", str(exc)
                report.tests_after = report.tests_before
            if report.status == "fixed":
                report.diff = guard.diff()
                report.branch = guard.branch if config.commit else None
            guard.finish(success=report.status == "fixed")
        report.steps = steps.records
        report.tokens = caller.tokens
        report.tok_s = round(caller.tok_s, 2)
        report.timings = steps.timings(budget.elapsed_s)
        self.bus.publish(RunFinished(report=report))
        return report

    def _run(self, ws: Workspace, caller: ModelCaller, steps: StepLog, report: RunReport) -> None:
        traced = self.config.suspects if self.config.values else 0
        plan = make_plan(ws, caller, steps, self.config.task, traced)
        report.tests_before = report.tests_after = summarize(plan.baseline)
        # After the baseline, a run that takes far longer than it did is a hang an edit introduced.
        derived = min(self.config.test_timeout_s, max(30.0, 5 * plan.baseline.duration_s))
        ws.timeout_s = self.config.edit_test_timeout_s or derived
        ws.quick_suite = plan.baseline.duration_s <= QUICK_SUITE_S and not plan.baseline.timed_out
        if plan.goal is None:
            report.status = "nothing_to_fix"
            report.reason = "no test fails" if not plan.baseline.failing else "the tests the task names pass"
            return
        report.targets = list(plan.goal.targets)
        if not plan.suspects:
            report.reason = "the failing tests reach no code of the repository that could be edited"
            return
        green = self._repair(Attempts(ws, caller, steps), plan)
        report.changed = list(dict.fromkeys(plan.goal.changed))
        if green is None:
            tried = f", {self.variants_tried} variants" if self.variants_tried else ""
            report.reason = f"no edit made the target tests pass ({caller.budget.steps} attempts{tried})"
            return
        if self.config.refactor:
            green = refactor(ws, caller, steps, plan.goal, green)
        report.status, report.reason = "fixed", f"{len(plan.goal.targets)} failing tests pass now"
        report.tests_after = summarize(green)

    def _repair(self, attempts: Attempts, plan: Plan) -> TestRun | None:
        """The full test run of the fixed tree, or None; accepted partial fixes narrow the goal."""
        assert plan.goal is not None
        goal, suspects, diagnosis = plan.goal, plan.suspects, plan.diagnosis
        while True:
            verdict = self._search(attempts, goal, suspects, diagnosis)
            if verdict is None or verdict.full_run is None:
                return None
            if verdict.kind == "fixed":
                return verdict.full_run
            remaining = [case for case in verdict.full_run.failing if case.id in goal.targets]
            if goal.start is None:  # a later edit may be judged without the partial fixes
                goal.start, goal.start_targets = goal.baseline, list(goal.targets)
            suspects, localizer = localize(attempts.ws, remaining, verdict.full_run)
            narrowed = goal_for(remaining, verdict.full_run, localizer)
            goal.targets, goal.tests, goal.baseline, diagnosis = (
                narrowed.targets,
                narrowed.tests,
                verdict.full_run,
                "",
            )
            if not suspects:
                return None
            if self.config.values:
                goal.values = observed_values(attempts.ws, goal, suspects[: self.config.suspects])

    def _search(
        self, attempts: Attempts, goal: Goal, suspects: list[Suspect], diagnosis: str
    ) -> Verdict | None:
        """The suspects' pitfall variants (variants.py), then the model's greedy edits of the suspects;
        when those fail (or the step budget runs out), the suspects' single-token and structural
        variants, then the model's sampled edits. A verdict that fixed or progressed.

        The variants come before the samples: a test run each and no tokens, where a sampled edit
        costs a whole rewrite of the function, and the model's greedy replies and their branches have
        already said what it sees."""
        out_of_steps: BudgetExhausted | None = None
        self._variants_left = self.config.variants  # for this search, both kinds together
        if self.config.variants:  # a known pitfall's fix first: a test run each, no tokens
            verdict = self._variants(attempts, goal, suspects, pitfalls=True)
            if verdict is not None:
                return verdict
        unchanged: dict[int, FailedAttempt] = {}  # suspect rank -> its greedy reply that changed nothing
        try:
            verdict = self._greedy_edits(attempts, goal, suspects, diagnosis, unchanged)
        except BudgetExhausted as exc:
            if exc.budget != "step" or not self.config.variants:
                raise
            verdict, out_of_steps = None, exc
        if verdict is None:
            verdict = self._variants(attempts, goal, suspects, pitfalls=False)
        if verdict is None and out_of_steps is not None:
            raise out_of_steps
        if verdict is None:
            verdict = self._sampled_edits(attempts, goal, suspects, unchanged)
        return verdict

    def _variants(
        self, attempts: Attempts, goal: Goal, suspects: list[Suspect], pitfalls: bool
    ) -> Verdict | None:
        """Variants of the suspects, best suspect first, within the search's `variants` in all: their
        pitfall variants (guards and defaults), or their single tokens nearest the lines the failing
        tests' tracebacks pass."""
        failing = [case for case in goal.baseline.failing if case.id in goal.targets]
        for suspect in suspects[: self.config.suspects]:
            defn = suspect.definition
            if defn is None:
                continue
            near = [
                frame.line
                for case in failing
                for frame in case.frames
                if frame.path == suspect.path and defn.start_line <= frame.line <= defn.end_line
            ]
            text = attempts.ws.files.read(suspect.path)  # as each rolled-back variant leaves it
            found = pitfall_variants(text, defn) if pitfalls else edit_variants(text, defn, near)
            for variant in found:
                if self._variants_left <= 0:
                    return None
                self._variants_left -= 1
                self.variants_tried += 1
                verdict = attempts.try_variant(suspect, goal, text, variant, self._next_number())
                if verdict.kind in ("fixed", "progress"):
                    return verdict
        return None

    def _branch_points(self, verdict: Verdict, count: int) -> list[Branch]:
        """Branches of an unchanged reply (branches.py), where the model can score one."""
        if count <= 0 or verdict.asked is None or not isinstance(self.model, ScoringModel):
            return []
        prompt, reply = verdict.asked
        try:
            scores = self.model.score(prompt, reply)
        except PromptTooLongError:
            return []
        return branch_points(scores, count)

    def _greedy_edits(
        self,
        attempts: Attempts,
        goal: Goal,
        suspects: list[Suspect],
        diagnosis: str,
        unchanged: dict[int, FailedAttempt],
    ) -> Verdict | None:
        """Each suspect's greedy edit (and a retry that sees why it failed); a reply that changes
        nothing is branched where the model doubted, and noted in `unchanged` for the samples."""
        config = self.config
        for rank, suspect in enumerate(suspects[: config.suspects]):
            history = []
            for _ in range(1 + config.retries):
                verdict = attempts.attempt(
                    suspect, goal, diagnosis if rank == 0 else "", history, GREEDY, self._next_number()
                )
                if verdict.kind in ("fixed", "progress"):
                    return verdict
                if verdict.kind == "unchanged":
                    if verdict.history is not None:
                        unchanged[rank] = verdict.history
                    count = config.branches if rank == 0 else min(config.branches, 1)
                    budget = attempts.caller.budget
                    count = min(count, budget.max_steps - budget.steps)  # no scoring for no attempt
                    for branch in self._branch_points(verdict, count):
                        number = self._next_number()
                        tried = attempts.attempt(
                            suspect, goal, diagnosis if rank == 0 else "", history, GREEDY, number, branch
                        )
                        if tried.kind in ("fixed", "progress"):
                            return tried
                    break  # a greedy retry of a model that saw no bug repeats itself; sampling follows
                history = [verdict.history] if verdict.history else []
        return None

    def _sampled_edits(
        self, attempts: Attempts, goal: Goal, suspects: list[Suspect], unchanged: dict[int, FailedAttempt]
    ) -> Verdict | None:
        config = self.config
        # Two samples of the best suspect for each one of the runner-up: most fixes come from the first.
        top = [0, 0, 1][: 2 + (len(suspects) > 1)]
        copied: set[int] = set()  # suspect ranks a sampled reply of which changed nothing
        for seed in range(1, config.samples + 1):
            rank = top[(seed - 1) % len(top)]
            if rank in copied:
                params = SamplingParams(temperature=config.wide_temperature, top_p=1.0, seed=seed)
            else:
                params = SamplingParams(temperature=config.temperature, top_p=0.95, seed=seed)
            # Without the diagnosis: a small model's diagnosis is often vague, and with it the
            # samples tend to copy the code back unchanged; for the same reason a suspect whose
            # greedy reply changed nothing is shown that reply as a wrong answer. (Showing them a
            # rolled-back edit as well made samples copy it: fix rate down on the examples.)
            lesson = [unchanged[rank]] if rank in unchanged else []
            verdict = attempts.attempt(suspects[rank], goal, "", lesson, params, self._next_number())
            if verdict.kind in ("fixed", "progress"):
                return verdict
            if verdict.kind == "unchanged":
                copied.add(rank)
        return None
