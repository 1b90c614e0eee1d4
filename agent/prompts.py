"""The chat prompts of each step. Short and concrete: small models follow one clear request, and
every prompt token costs prefill time on a laptop CPU."""

from __future__ import annotations

from dataclasses import dataclass

from kog.engine.api import Message

SYSTEM = "You are a careful Python developer. You fix bugs with the smallest correct change."


@dataclass(frozen=True)
class FailingTest:
    test_id: str
    source: str  # the test function, possibly with the helpers and fixtures it uses
    error: str  # the assertion message or exception, compact
    # Keys ("path::qualname") of the repository code on its traceback or called by its failing
    # statement, and of all it reaches; a suspect's prompt shows the tests that reach it first.
    direct: frozenset[str] = frozenset()
    reached: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Target:
    path: str
    name: str  # the function or method name ("" for module-level code)
    qualname: str  # "Class.method" or "function"
    source: str  # the definition as it is in the file
    context: str  # module-level lines it reads (constants), for reference
    notes: tuple[str, ...] = ()  # pitfalls in the code, literals behind a wrong output (context.target)
    values: str = ""  # what it did in a failing test (agent/values.py)


@dataclass(frozen=True)
class FailedAttempt:
    code: str
    outcome: str  # why it was rejected, or the failure it produced


def _fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text.rstrip()}\n```"


def _failures(tests: list[FailingTest]) -> str:
    parts = []
    for test in tests:
        parts.append(f"Failing test:\n{_fence(test.source, 'python')}\nError:\n{_fence(test.error)}")
    return "\n\n".join(parts)


def _target(target: Target) -> str:
    what = f"`{target.name}`" if target.name else "the module-level code"
    text = f"The code to fix is {what} in `{target.path}`:\n{_fence(target.source, 'python')}"
    if target.context.strip():
        text += f"\nIt uses these definitions of the module:\n{_fence(target.context, 'python')}"
    for note in target.notes:
        text += f"\nNote: {note}"
    if target.values:
        text += f"\n{target.values}"
    return text


def _history(attempts: list[FailedAttempt]) -> str:
    return "\n\n".join(
        f"A previous attempt:\n{_fence(a.code, 'python')}\nIt was wrong: {a.outcome}" for a in attempts
    )


def _request(
    tests: list[FailingTest], target: Target, diagnosis: str, attempts: list[FailedAttempt]
) -> list[str]:
    parts = [_failures(tests), _target(target)]
    if diagnosis.strip():
        parts.append(f"Diagnosis: {diagnosis.strip()}")
    if attempts:
        parts.append(_history(attempts))
    return parts


def diagnosis_messages(tests: list[FailingTest], target: Target) -> list[Message]:
    parts = [_failures(tests), _target(target)]
    parts.append("In one or two sentences, what is the bug in the code? Do not write code.")
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def edit_messages(
    tests: list[FailingTest], target: Target, diagnosis: str, attempts: list[FailedAttempt]
) -> list[Message]:
    parts = _request(tests, target, diagnosis, attempts)
    parts.append(
        f"The test fails because `{target.name}` has a bug. Write the whole corrected "
        f"`{target.name}` in one ```python block, and nothing else."
    )
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def search_replace_messages(
    tests: list[FailingTest], target: Target, diagnosis: str, attempts: list[FailedAttempt]
) -> list[Message]:
    parts = _request(tests, target, diagnosis, attempts)
    parts.append(
        "Fix the bug with one search/replace block in exactly this form, the SEARCH lines copied "
        "exactly from the code:\n"
        "<<<<<<< SEARCH\n<the lines as they are now>\n=======\n<the corrected lines>\n>>>>>>> REPLACE"
    )
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def refactor_messages(target: Target) -> list[Message]:
    user = (
        f"This function in `{target.path}` works and passes every test:\n"
        f"{_fence(target.source, 'python')}\n\n"
        "Make it tidier without changing what it does: keep its name, signature, docstring and "
        "behaviour. If it is already clean, return it unchanged. Reply with the whole function "
        f"`{target.name}` in one ```python block and nothing else."
    )
    return [Message("system", SYSTEM), Message("user", user)]
