"""One edit attempt: ask for a rewrite of a suspect, apply it, test it, keep or roll it back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kog.agent.ask import ModelCaller
from kog.agent.branches import Branch
from kog.agent.context import error_text, target
from kog.agent.edit import ProposedEdit, definition_body, propose_edit
from kog.agent.errors import NoChange, ReplyRejected
from kog.agent.events import EditApplied, EditProposed, EditRejected
from kog.agent.localize import Suspect
from kog.agent.model import Prompt
from kog.agent.parse_reply import has_closed_block, has_search_replace
from kog.agent.prompts import FailedAttempt, FailingTest, edit_messages, search_replace_messages
from kog.agent.steps import StepLog
from kog.agent.variants import Variant
from kog.agent.workspace import Workspace
from kog.engine.api import SamplingParams
from kog.engine.errors import PromptTooLongError
from kog.tools.codemap import parse_definitions
from kog.tools.testrunner import TestRun

MAX_REJECTED_LINES = 30
TESTS_IN_PROMPT = 2  # failing tests a prompt shows


@dataclass
class Goal:
    """What the run is after: the target tests to turn green, without breaking the baseline's passes."""

    baseline: TestRun
    targets: list[str]
    tests: list[FailingTest]  # the first targets', in the runner's order
    changed: list[str] = field(default_factory=list)  # "path::qualname" of kept edits
    # Before the first kept partial fix narrowed the goal: the baseline and targets it started from
    start: TestRun | None = None
    start_targets: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # suspect key -> what it did (agent/values.py)

    def tests_for(self, suspect: Suspect) -> list[FailingTest]:
        """The tests a prompt about `suspect` shows: those that point at it first (on their traceback
        or called by their failing statement), then those that reach it, then the rest. Where a bug
        spans two functions, each one's prompt shows its own tests instead of the other's."""

        def order(test: FailingTest) -> int:
            return 0 if suspect.key in test.direct else 1 if suspect.key in test.reached else 2

        return sorted(self.tests, key=order)[:TESTS_IN_PROMPT]


@dataclass(frozen=True)
class Verdict:
    kind: Literal["fixed", "progress", "failed", "rejected", "unchanged"]
    history: FailedAttempt | None = None  # what the next attempt's prompt learns from this one
    full_run: TestRun | None = None
    label: str = ""
    asked: tuple[Prompt, tuple[int, ...]] | None = None  # an unchanged reply: its prompt and token ids


def edit_budget(caller: ModelCaller, source: str) -> int:
    """Room for the rewritten unit: about twice its size, with a floor and a ceiling."""
    return max(128, min(1024, 2 * caller.model.count_tokens(source) + 96))


def one_line(text: str, limit: int = 160) -> str:
    """A step's detail from a multi-line outcome: its first line, and the line after it when the first
    only announces it ("... still fails:")."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _still_failing(run: TestRun, targets: list[str]) -> str:
    if run.timed_out:
        return f"the tests timed out after {run.duration_s:.0f} s (an endless loop?)"
    for case in run.failing:
        if case.id in targets:
            return f"{case.id} still fails:\n{error_text(case)}"
    tail = "\n".join(run.output_tail.strip().splitlines()[-12:])
    return f"the target tests did not pass:\n{tail}"


class Attempts:
    def __init__(self, ws: Workspace, caller: ModelCaller, steps: StepLog) -> None:
        self.ws = ws
        self.caller = caller
        self.steps = steps
        self.judged: dict[str, str] = {}  # file text an edit produced -> why it was rolled back

    def attempt(
        self,
        suspect: Suspect,
        goal: Goal,
        diagnosis: str,
        history: list[FailedAttempt],
        params: SamplingParams,
        number: int,
        branch: Branch | None = None,
    ) -> Verdict:
        """`branch`: a reply this attempt continues from a place where the model doubted (branches.py);
        it must come with the prompt the branched reply answered (the same suspect, goal, diagnosis
        and history)."""
        self.caller.budget.take_step()
        text = self.ws.files.read(suspect.path)
        tests = goal.tests_for(suspect)
        view = target(suspect, text, tests, goal.values.get(suspect.key, ""))
        label = f"{suspect.path}::{view.qualname}"
        detail = label if branch is None else f"{label}: branch {branch.describe}"
        with self.steps.step("edit", number, detail=detail) as step:
            if suspect.definition is not None:
                messages = edit_messages(tests, view, diagnosis, history)
                until = has_closed_block
            else:
                messages = search_replace_messages(tests, view, diagnosis, history)
                until = has_search_replace
            params = SamplingParams(
                max_tokens=edit_budget(self.caller, view.source),
                temperature=params.temperature,
                top_p=params.top_p,
                seed=params.seed,
            )
            reply_text, reply_ids = "", ()
            try:
                begun = branch.begun if branch is not None else ()
                begun_text = branch.text if branch is not None else ""
                reply = self.caller.ask(messages, params, step.number, until, begun, begun_text)
                reply_text, reply_ids = reply.text, reply.token_ids
                step.tokens = reply.tokens
                edit = propose_edit(text, suspect, reply_text)
                if edit.new_text in self.judged:  # sampled replies often repeat an earlier one
                    raise ReplyRejected(f"it repeats an earlier wrong edit: {self.judged[edit.new_text]}")
                self.ws.bus.publish(EditProposed(path=edit.path, function=edit.label, diff=edit.diff))
                self.ws.apply(edit)
            except (ReplyRejected, PromptTooLongError) as exc:
                reason = exc.reason if isinstance(exc, ReplyRejected) else str(exc)
                step.state, step.detail = "failed", f"{detail}: {one_line(reason)}"
                self.ws.bus.publish(EditRejected(path=suspect.path, function=view.qualname, reason=reason))
                shown = "\n".join(reply_text.strip().splitlines()[:MAX_REJECTED_LINES])
                if isinstance(exc, NoChange):
                    lesson = "it is the code exactly as it is now, and that code fails the test: change it"
                    asked = (messages, reply_ids)
                    return Verdict("unchanged", FailedAttempt(view.source, lesson), label=label, asked=asked)
                return Verdict("rejected", FailedAttempt(shown or "(an empty reply)", reason), label=label)
        return self._judge(edit, goal, number, label)

    def try_variant(self, suspect: Suspect, goal: Goal, text: str, variant: Variant, number: int) -> Verdict:
        """A variant (variants.py) of the suspect in its file's `text` as it is on disk,
        applied and judged as a model's edit is."""
        assert suspect.definition is not None
        self.caller.budget.check()
        label = f"{suspect.path}::{suspect.definition.qualname}"
        # The definition as it lies in the new text (a guard moves its end down).
        qualname = suspect.definition.qualname
        moved = [d for d in parse_definitions(variant.new_text, suspect.path) if d.qualname == qualname]
        code = definition_body(variant.new_text, moved[0] if moved else suspect.definition)[1]
        edit = ProposedEdit(suspect.path, suspect.definition.qualname, text, variant.new_text, code)
        with self.steps.step("edit", number, detail=f"{label}: {variant.describe}") as step:
            self.ws.bus.publish(EditProposed(path=edit.path, function=edit.label, diff=edit.diff))
            try:
                self.ws.apply(edit)
            except ReplyRejected as exc:
                step.state, step.detail = "failed", f"{label}: {one_line(exc.reason)}"
                return Verdict("rejected", label=label)
        # Every target at once: a variant that turns some green finds what the tests check more often
        # than the bug (chained ones made pagination's page count `(total_items + 2) // per_page`,
        # right only for the tests' three items a page).
        return self._judge(edit, goal, number, label, partial=False)

    def _judge(
        self, edit: ProposedEdit, goal: Goal, number: int, label: str, partial: bool = True
    ) -> Verdict:
        with self.steps.step("test", number, detail=label) as step:
            # A quick suite is run whole at once: a separate run of the targets would cost as much.
            if not self.ws.quick_suite:
                target_run = self.ws.run_tests("target", select=goal.targets)
                if not set(goal.targets) & set(target_run.passed_ids):
                    return self._roll_back(step, edit, _still_failing(target_run, goal.targets))
            full = self.ws.run_tests("full")
            now_passing = set(full.passed_ids)
            broken = [t for t in goal.baseline.passed_ids if t not in now_passing]
            remaining = [t for t in goal.targets if t not in now_passing]
            if broken and not remaining and set(broken) <= set(goal.start_targets):
                alone = self._without_partial_fixes(edit, goal, label, step)
                if alone is not None:
                    return alone
            if broken:
                outcome = f"it breaks tests that passed before: {', '.join(broken[:5])}"
                first = next((case for case in full.failing if case.id == broken[0]), None)
                if first is not None:  # what the edit got wrong, as the model can read it
                    outcome += f"\n{first.id} now fails:\n{error_text(first)}"
                return self._roll_back(step, edit, outcome)
            if len(remaining) == len(goal.targets) or (remaining and not partial):
                return self._roll_back(step, edit, _still_failing(full, remaining))
            self.ws.guard.checkpoint(f"Fix {edit.label} in {edit.path}")
            goal.changed.append(label)
            kind = "progress" if remaining else "fixed"
            step.detail = (
                f"{label}: {len(goal.targets) - len(remaining)} of {len(goal.targets)} target tests pass"
            )
            return Verdict(kind, full_run=full, label=label)

    def _without_partial_fixes(self, edit: ProposedEdit, goal: Goal, label: str, step) -> Verdict | None:
        """An edit that turns the remaining targets green but breaks only tests that kept partial fixes
        had turned green (a partial fix that fit some tests, undone by the real one): the edit again with
        those fixes taken back, judged against the start. Fixed there, it is kept alone and the goal is
        the first one again; else None (the caller's roll back restores the partial fixes)."""
        assert goal.start is not None
        reversed_diff = self.ws.guard.take_back()
        if reversed_diff is None:  # the edit rewrote what they changed
            return None
        full = self.ws.run_tests("full")
        now_passing = set(full.passed_ids)
        if any(t not in now_passing for t in [*goal.start.passed_ids, *goal.start_targets]):
            return None
        taken_back = ", ".join(dict.fromkeys(goal.changed))
        self.ws.bus.publish(
            EditApplied(path=edit.path, function=f"taken back: {taken_back}", diff=reversed_diff)
        )
        self.ws.guard.checkpoint(
            f"Fix {edit.label} in {edit.path}; take back the partial fixes of {taken_back}"
        )
        goal.changed[:] = [label]
        goal.baseline, goal.targets = goal.start, list(goal.start_targets)
        count = len(goal.targets)
        step.detail = f"{label}: {count} of {count} target tests pass, the partial fixes before it taken back"
        return Verdict("fixed", full_run=full, label=label)

    def _roll_back(self, step, edit: ProposedEdit, outcome: str) -> Verdict:
        self.judged[edit.new_text] = outcome
        self.ws.guard.rollback()
        step.state, step.detail = "rolled_back", one_line(outcome)
        return Verdict("failed", FailedAttempt(edit.code, outcome), label=f"{edit.path}::{edit.label}")
