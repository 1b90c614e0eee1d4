"""What the model is shown: the failing tests with their errors, and the suspect code in its module."""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from collections.abc import Sequence

from kog.agent.localize import Localizer, Suspect
from kog.agent.pitfalls import pitfalls
from kog.agent.prompts import FailingTest, Target
from kog.agent.reach import assigned_names, referenced_names
from kog.tools.testrunner import TestCase

MAX_ERROR_LINES = 12
MAX_LINE_CHARS = 160
_LOCATION = re.compile(r"^[\w./\\-]+\.py:\d+: \w")
_COMPARISON = re.compile(r"^(?:AssertionError: )?assert (.+?) == (.+)$")
MAX_COMPARED_CHARS = 300
MAX_HELPER_LINES = 25
MAX_CONSTANT_LINES = 8


def error_text(case: TestCase) -> str:
    """The failure, compact: pytest's "E" lines (the assertion with its values, or the exception),
    the failing source line, and where it was raised."""
    text = case.traceback.strip() or case.message.strip() or f"{case.id} {case.outcome}"
    lines = text.splitlines()
    explained = [line[1:].strip() for line in lines if line.startswith("E ")]
    if not explained:
        return "\n".join(_clip(line) for line in lines[-MAX_ERROR_LINES:])
    failing_line = [line[1:].strip() for line in lines if line.startswith(">")][-1:]
    raised_at = [line for line in lines if _LOCATION.match(line)][-1:]
    note = [text for line in explained if (text := string_difference(line) or number_difference(line))][:1]
    return "\n".join(_clip(line) for line in failing_line + explained[:MAX_ERROR_LINES] + note + raised_at)


def _compared_literals(line: str) -> tuple[object, object] | None:
    """(got, wanted) of an assertion line `assert <literal> == <literal>`, else None."""
    match = _COMPARISON.match(line.strip())
    if not match:
        return None
    try:
        return ast.literal_eval(match.group(1)), ast.literal_eval(match.group(2))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _compared_strings(line: str) -> tuple[str, str] | None:
    """(got, wanted) of an assertion line comparing two different string literals, else None."""
    compared = _compared_literals(line)
    if compared is None:
        return None
    left, right = compared
    if not (isinstance(left, str) and isinstance(right, str)) or left == right:
        return None
    if len(left) > MAX_COMPARED_CHARS or len(right) > MAX_COMPARED_CHARS:
        return None
    return left, right


def _string_changes(left: str, right: str) -> list[tuple[str, str]]:
    """(left's piece, right's piece) of each difference; "" for a piece one side lacks."""
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    return [(left[a0:a1], right[b0:b1]) for op, a0, a1, b0, b1 in matcher.get_opcodes() if op != "equal"]


def string_difference(line: str) -> str:
    """For an assertion line comparing two string literals, which characters differ, spelled out
    ("'hello_world' has '_' where 'hello-world' has '-'"): a small model reads that more reliably
    than pytest's caret diff. Empty for anything else."""
    compared = _compared_strings(line)
    if compared is None:
        return ""
    left, right = compared
    changes = []
    for got, wanted in _string_changes(left, right):
        if got and wanted:
            changes.append(f"{got!r} where {right!r} has {wanted!r}")
        elif got:
            changes.append(f"an extra {got!r} that {right!r} lacks")
        else:
            changes.append(f"no {wanted!r} where {right!r} has it")
    if not changes or len(changes) > 3:
        return ""
    return f"Difference: {left!r} has " + "; and ".join(changes)


def number_difference(line: str) -> str:
    """For an assertion line comparing two different integers, by how much ("Difference: 2 is 1 less
    than 3"): off-by-one bugs show up this way, and a small model misreads bare numbers."""
    compared = _compared_literals(line)
    if compared is None:
        return ""
    got, wanted = compared
    if type(got) is not int or type(wanted) is not int or got == wanted:
        return ""
    return f"Difference: {got} is {abs(got - wanted)} {'less' if got < wanted else 'more'} than {wanted}"


def wrong_text_sources(errors: list[str], source: str) -> list[str]:
    """Where the wrong characters of a failed string comparison can come from: the string literals
    of `source` that are exactly such a piece ("the output's '_' where '-' is wanted: the literal
    '_' in `def slugify(title, separator='_'):`"). Pieces of letters alone are left out (too common
    to point anywhere), and so is a piece that more than two literals hold."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return []
    literals = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip(" ")
    ]
    lines = textwrap.dedent(source).splitlines()
    notes: list[str] = []
    for error in errors:
        for line in error.splitlines():
            compared = _compared_strings(line)
            if compared is None:
                continue
            for got, wanted in _string_changes(*compared):
                if not got or got.isalpha() or (got.isalnum() and len(got) < 2):
                    continue
                found = [node for node in literals if node.value == got]
                if not 1 <= len(found) <= 2:
                    continue
                for node in found:
                    where = lines[node.lineno - 1].strip()
                    note = (
                        f"The test got {got!r} where it wants {wanted!r}; the code has the literal "
                        f"{got!r} in this line: `{_clip(where)}`"
                    )
                    if note not in notes:
                        notes.append(note)
    return notes[:2]


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 3] + "..."


def failing_test(case: TestCase, localizer: Localizer) -> FailingTest:
    """The test's source, preceded by the short helpers and fixtures of its file that it uses."""
    test = localizer.test_definition(case.id)
    direct, reached = localizer.test_reach(case)
    if test is None:
        return FailingTest(case.id, f"# source of {case.id} not found", error_text(case), direct, reached)
    index = localizer.index
    names = index.names_in(test)
    helpers = [
        d
        for d in index.definitions
        if d.path == test.path
        and d.name in names
        and not d.name.startswith("test")
        and d.end_line - d.start_line < MAX_HELPER_LINES
    ]
    parts = [index.source(d) for d in helpers[:3]] + [index.source(test)]
    return FailingTest(case.id, "\n\n".join(p.rstrip() for p in parts), error_text(case), direct, reached)


def module_constants(source: str, definition: str) -> str:
    """The module's top-level assignments that a definition reads, and its UPPER_CASE constants."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    used = referenced_names(definition)
    lines = source.splitlines()
    kept = []
    for stmt in tree.body:
        names = assigned_names(stmt)
        end = stmt.end_lineno or stmt.lineno
        constant = bool(names) and all(n.isupper() and not n.startswith("__") for n in names)
        if (names & used or constant) and end - stmt.lineno < MAX_CONSTANT_LINES:
            kept.append("\n".join(lines[stmt.lineno - 1 : end]))
    return "\n".join(kept)


def module_level_code(source: str) -> str:
    """The module's own statements, verbatim, with every def and class left out."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines()
    kept = [
        "\n".join(lines[stmt.lineno - 1 : stmt.end_lineno])
        for stmt in tree.body
        if not isinstance(
            stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom
        )
        and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
    ]
    return "\n".join(kept)


def target(suspect: Suspect, text: str, tests: Sequence[FailingTest] = (), values: str = "") -> Target:
    """The suspect as the model sees it: its code, the module's constants that it reads, notes on it
    (pitfalls; literals that match the wrong part of a failing test's output) and `values`, what it
    did in a failing test (agent/values.py)."""
    errors = [test.error for test in tests]
    defn = suspect.definition
    if defn is None:
        code = module_level_code(text)
        notes = (*pitfalls(code), *wrong_text_sources(errors, code))
        return Target(suspect.path, "", "<module>", code, "", notes, values)
    source = "".join(text.splitlines(keepends=True)[defn.start_line - 1 : defn.end_line])
    notes = (*pitfalls(textwrap.dedent(source)), *wrong_text_sources(errors, source))
    return Target(
        suspect.path, defn.name, defn.qualname, source, module_constants(text, source), notes, values
    )
