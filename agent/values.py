"""What the suspects did while the failing tests ran, shown in their prompts.

One traced run of the goal's failing tests (kog.tools.tracing) records each suspect's last calls; a
suspect's prompt shows its last call in the first of its tests that made one: the arguments, each
line that set a value with the values after it, and what it returned or raised. A small model that
copies the code back unchanged often has not seen that `hours` is -5 or that `found` is None; here it
reads it.
"""

from __future__ import annotations

from kog.agent.attempt import Goal
from kog.agent.localize import Suspect
from kog.agent.workspace import Workspace
from kog.tools.tracing import TracedCall, describe_call, trace_calls

MAX_VALUES_CHARS = 1200  # a suspect's note at most; longer ones keep their first lines


def observed_values(ws: Workspace, goal: Goal, suspects: list[Suspect]) -> dict[str, str]:
    """Suspect key -> its last call in a failing test its prompt shows, as lines; empty where the test
    command is not pytest or no shown test called the suspect."""
    functions = [
        (s.key, s.definition) for s in suspects if s.definition is not None and s.definition.kind != "class"
    ]
    if not functions:
        return {}
    traces = trace_calls(ws.root, ws.test_cmd, [t.test_id for t in goal.tests], functions, ws.timeout_s)
    notes: dict[str, str] = {}
    for key, definition in functions:
        suspect = next(s for s in suspects if s.key == key)
        for test in goal.tests_for(suspect):
            calls = traces.get(test.test_id, {}).get(key)
            if not calls or _said_already(calls[-1], test.error):
                continue
            source = _body_lines(ws.files.read(definition.path), definition.start_line, definition.end_line)
            text = describe_call(calls[-1], definition.name, source)
            notes[key] = (
                f"When the failing test {test.test_id} ran, its last call of `{definition.name}` went "
                f"like this (the arguments, each line that set a value with the values after it, the "
                f"result):\n```\n{_clip(text)}\n```"
            )
            break
    return notes


def _said_already(call: TracedCall, error: str) -> bool:
    """A call that assigned nothing and whose result the test's error shows (pytest's "where 3 =
    page_count(10, 3)") adds only prompt tokens."""
    return not call.steps and call.raised is None and f"{call.returned} =" in error


def _body_lines(text: str, start: int, end: int) -> dict[int, str]:
    """Line number -> text of the definition's lines, the def's own indentation taken off (so the body
    sits one level in, as it reads in the prompt's code)."""
    lines = text.splitlines()[start - 1 : end]
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return {start + i: line[indent:].rstrip() for i, line in enumerate(lines) if line.strip()}


def _clip(text: str) -> str:
    if len(text) <= MAX_VALUES_CHARS:
        return text
    kept = text[:MAX_VALUES_CHARS].rsplit("\n", 1)[0]
    return f"{kept}\n  ..."
