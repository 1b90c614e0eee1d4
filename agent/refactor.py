"""The refactor step: once green, ask for a tidier version of each changed function; keep it only
if the whole suite stays as green as the fix left it."""

from __future__ import annotations

from kog.agent.ask import ModelCaller
from kog.agent.attempt import Goal, edit_budget
from kog.agent.context import target
from kog.agent.edit import propose_edit
from kog.agent.errors import BudgetExhausted, NoChange, ReplyRejected
from kog.agent.events import EditProposed, EditRejected
from kog.agent.localize import Suspect
from kog.agent.parse_reply import has_closed_block
from kog.agent.prompts import refactor_messages
from kog.agent.steps import StepLog
from kog.agent.workspace import Workspace
from kog.engine.api import SamplingParams
from kog.engine.errors import PromptTooLongError
from kog.tools.testrunner import TestRun


def _find(ws: Workspace, label: str) -> Suspect | None:
    path, _, qualname = label.partition("::")
    for defn in ws.code_map().find(qualname, path):
        if defn.qualname == qualname and defn.path == path:
            return Suspect(path, defn, "changed by the fix")
    return None


def refactor(ws: Workspace, caller: ModelCaller, steps: StepLog, goal: Goal, green: TestRun) -> TestRun:
    """Tidy each changed definition; returns the full test run of the tree that is kept."""
    for label in dict.fromkeys(goal.changed):
        suspect = _find(ws, label)
        if suspect is None:
            continue  # module-level edits are left as they are
        with steps.step("refactor", detail=label) as step:
            text = ws.files.read(suspect.path)
            view = target(suspect, text)
            params = SamplingParams(max_tokens=edit_budget(caller, view.source))
            try:
                reply = caller.ask(refactor_messages(view), params, step.number, until=has_closed_block)
                step.tokens = reply.tokens
                edit = propose_edit(text, suspect, reply.text)
                ws.bus.publish(EditProposed(path=edit.path, function=edit.label, diff=edit.diff))
                ws.apply(edit)
            except NoChange:
                step.detail = f"{label}: already tidy"
                continue
            except (ReplyRejected, PromptTooLongError) as exc:
                step.state, step.detail = "failed", f"{label}: {exc}"
                ws.bus.publish(EditRejected(path=suspect.path, function=view.qualname, reason=str(exc)))
                continue
            except BudgetExhausted:
                step.state, step.detail = "failed", f"{label}: budget exhausted, the fix is kept as it was"
                return green
            full = ws.run_tests("full")
            if set(green.passed_ids) <= set(full.passed_ids):
                ws.guard.checkpoint(f"Tidy {edit.label} in {edit.path}")
                green = full
            else:
                ws.guard.rollback()
                step.state, step.detail = "rolled_back", f"{label}: the tidied version fails tests"
    return green
