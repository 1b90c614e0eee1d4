"""The plan step: run the tests, choose the failing ones the task names, localize, diagnose."""

from __future__ import annotations

from dataclasses import dataclass

from kog.agent.ask import ModelCaller
from kog.agent.attempt import Goal
from kog.agent.context import failing_test, target
from kog.agent.events import Diagnosed, FaultLocalized
from kog.agent.localize import Localizer, Suspect
from kog.agent.prompts import diagnosis_messages
from kog.agent.select_tests import select_failing
from kog.agent.steps import StepLog
from kog.agent.values import observed_values
from kog.agent.workspace import Workspace
from kog.engine.api import SamplingParams
from kog.engine.errors import PromptTooLongError
from kog.tools.errors import TestCommandError
from kog.tools.testrunner import TestCase, TestRun

TESTS_KEPT = 8  # failing tests a goal holds, for each suspect's prompt to pick its own from
DIAGNOSIS = SamplingParams(max_tokens=120, temperature=0.0, stop=("\n\n",))


@dataclass
class Plan:
    baseline: TestRun
    goal: Goal | None  # None when nothing the task names fails
    suspects: list[Suspect]
    diagnosis: str = ""


def localize(ws: Workspace, failing: list[TestCase], run: TestRun) -> tuple[list[Suspect], Localizer]:
    localizer = Localizer(ws.code_map(), ws.sources())
    suspects = localizer.rank(failing, run)
    ws.bus.publish(FaultLocalized(tests=[c.id for c in failing], candidates=[s.key for s in suspects]))
    return suspects, localizer


def goal_for(failing: list[TestCase], baseline: TestRun, localizer: Localizer) -> Goal:
    tests = [failing_test(case, localizer) for case in failing[:TESTS_KEPT]]
    return Goal(baseline=baseline, targets=[case.id for case in failing], tests=tests)


def diagnose(ws: Workspace, caller: ModelCaller, goal: Goal, suspect: Suspect, step: int) -> str:
    tests = goal.tests_for(suspect)
    view = target(suspect, ws.files.read(suspect.path), tests, goal.values.get(suspect.key, ""))
    try:
        reply = caller.ask(diagnosis_messages(tests, view), DIAGNOSIS, step)
    except PromptTooLongError:
        return ""
    ws.bus.publish(Diagnosed(text=reply.text.strip()))
    return reply.text.strip()


def make_plan(ws: Workspace, caller: ModelCaller, steps: StepLog, task: str, traced: int = 0) -> Plan:
    """`traced`: the best suspects whose values in the failing tests their prompts show (values.py)."""
    with steps.step("plan", detail=task) as step:
        baseline = ws.run_tests("baseline")
        if not baseline.cases:
            lines = baseline.output_tail.strip().splitlines()
            said = [line for line in lines if line.strip("=- ") and "generated xml file" not in line]
            tail = " | ".join(said[-3:])  # not the runner's banner for its own temporary report
            raise TestCommandError(f"`{ws.test_cmd}` reported no test results: {tail or 'no output'}")
        failing = select_failing(baseline, task)
        if not failing:
            step.detail = f"no failing test ({len(baseline.cases)} tests pass)"
            return Plan(baseline, None, [])
        suspects, localizer = localize(ws, failing, baseline)
        goal = goal_for(failing, baseline, localizer)
        step.detail = f"{len(failing)} failing; suspects: {', '.join(s.key for s in suspects[:3]) or 'none'}"
        if not suspects:
            return Plan(baseline, goal, [])
        if traced:
            goal.values = observed_values(ws, goal, suspects[:traced])
            step.detail += f"; values of {len(goal.values)} traced" if goal.values else ""
        tokens_before = caller.tokens
        diagnosis = diagnose(ws, caller, goal, suspects[0], step.number)
        step.tokens = caller.tokens - tokens_before
        return Plan(baseline, goal, suspects, diagnosis)
