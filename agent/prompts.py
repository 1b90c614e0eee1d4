"""The chat prompts of each step. Short and concrete: small models follow one clear request."""

from __future__ import annotations

from dataclasses import dataclass

from kog.engine.api import Message

SYSTEM = (
    "You are a careful Python developer. You fix bugs in existing code with the smallest correct "
    "change, keeping names, signatures and style."
)


@dataclass(frozen=True)
class FailingTest:
    test_id: str
    source: str  # the test function, possibly with the helpers and fixtures it uses
    error: str  # the assertion message or exception, with the last lines of the traceback


@dataclass(frozen=True)
class Target:
    path: str
    name: str  # the function or method name ("" for module-level code)
    qualname: str  # "Class.method" or "function"
    source: str  # the definition as it is in the file
    context: str  # the module's imports and the signatures around it


@dataclass(frozen=True)
class FailedAttempt:
    code: str
    outcome: str  # why it was rejected, or the failure it produced


def _fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text.rstrip()}\n```"


def _failures(tests: list[FailingTest]) -> str:
    parts = []
    for test in tests:
        parts.append(
            f"Test `{test.test_id}`:\n{_fence(test.source, 'python')}\nIt fails with:\n{_fence(test.error)}"
        )
    return "\n\n".join(parts)


def _target(target: Target) -> str:
    head = f"The code under suspicion, in `{target.path}`"
    if target.context.strip():
        head += f". The module around it, shortened:\n{_fence(target.context, 'python')}\n\nThe code"
    return f"{head}:\n{_fence(target.source, 'python')}"


def diagnosis_messages(tests: list[FailingTest], target: Target) -> list[Message]:
    user = (
        f"{_failures(tests)}\n\n{_target(target)}\n\n"
        "In two or three sentences, say what is wrong in the code and how to correct it. "
        "Do not write any code."
    )
    return [Message("system", SYSTEM), Message("user", user)]


def _history(attempts: list[FailedAttempt]) -> str:
    parts = []
    for attempt in attempts:
        parts.append(
            f"An earlier attempt:\n{_fence(attempt.code, 'python')}\nIt did not work: {attempt.outcome}"
        )
    return "\n\n".join(parts)


def edit_messages(
    tests: list[FailingTest], target: Target, diagnosis: str, attempts: list[FailedAttempt]
) -> list[Message]:
    parts = [_failures(tests), _target(target)]
    if diagnosis.strip():
        parts.append(f"Diagnosis: {diagnosis.strip()}")
    if attempts:
        parts.append(_history(attempts))
    parts.append(
        f"Rewrite the function `{target.name}` so that the test passes. Reply with the complete "
        f"corrected function `{target.name}` in one ```python code block, and nothing else."
    )
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def search_replace_messages(
    tests: list[FailingTest], target: Target, diagnosis: str, attempts: list[FailedAttempt]
) -> list[Message]:
    parts = [_failures(tests), _target(target)]
    if diagnosis.strip():
        parts.append(f"Diagnosis: {diagnosis.strip()}")
    if attempts:
        parts.append(_history(attempts))
    parts.append(
        "Correct the code with one search/replace block in exactly this form, copying the lines "
        "to change exactly as they are:\n"
        "<<<<<<< SEARCH\n<the lines as they are now>\n=======\n<the corrected lines>\n>>>>>>> REPLACE"
    )
    return [Message("system", SYSTEM), Message("user", "\n\n".join(parts))]


def refactor_messages(target: Target) -> list[Message]:
    user = (
        f"This function in `{target.path}` was just fixed and passes every test:\n"
        f"{_fence(target.source, 'python')}\n\n"
        "Tidy it for readability without changing what it does: keep its name, signature and "
        "behaviour. If it is already clean, return it unchanged. Reply with the complete function "
        f"`{target.name}` in one ```python code block, and nothing else."
    )
    return [Message("system", SYSTEM), Message("user", user)]
