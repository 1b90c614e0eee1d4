"""What the model is shown: the failing tests with their errors, and the suspect code in its module."""

from __future__ import annotations

import ast

from kog.agent.localize import Localizer, Suspect
from kog.agent.prompts import FailingTest, Target
from kog.tools.testrunner import TestCase

MAX_ERROR_LINES = 18
MAX_HELPER_LINES = 25


def error_text(case: TestCase) -> str:
    """The end of the failure report: the assertion or exception, with the lines that led to it."""
    text = case.traceback.strip() or case.message.strip() or f"{case.id} {case.outcome}"
    lines = text.splitlines()
    if len(lines) > MAX_ERROR_LINES:
        lines = ["..."] + lines[-MAX_ERROR_LINES:]
    return "\n".join(lines)


def failing_test(case: TestCase, localizer: Localizer) -> FailingTest:
    """The test's source, preceded by the short helpers and fixtures of its file that it uses."""
    test = localizer.test_definition(case.id)
    if test is None:
        return FailingTest(case.id, f"# source of {case.id} not found", error_text(case))
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
    return FailingTest(case.id, "\n\n".join(p.rstrip() for p in parts), error_text(case))


def _outline(source: str, skip: tuple[int, int] | None) -> str:
    """Imports, short constants and signatures of a module; the lines in `skip` are left out."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    lines = source.splitlines()
    out: list[str] = []
    for stmt in tree.body:
        end = stmt.end_lineno or stmt.lineno
        if skip and stmt.lineno <= skip[1] and end >= skip[0] and not isinstance(stmt, ast.ClassDef):
            continue
        if (
            isinstance(stmt, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign)
            and end - stmt.lineno < 3
        ):
            out.extend(lines[stmt.lineno - 1 : end])
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(lines[stmt.lineno - 1].rstrip() + " ...")
        elif isinstance(stmt, ast.ClassDef):
            out.append(lines[stmt.lineno - 1].rstrip())
            if skip and stmt.lineno >= skip[0] and end <= skip[1]:
                out.append("    # (the code under suspicion)")
                continue
            for item in stmt.body:
                inner_end = item.end_lineno or item.lineno
                if skip and item.lineno <= skip[1] and inner_end >= skip[0]:
                    out.append("    # (the code under suspicion)")
                elif isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    out.append(lines[item.lineno - 1].rstrip() + " ...")
                elif isinstance(item, ast.AnnAssign | ast.Assign) and inner_end == item.lineno:
                    out.append(lines[item.lineno - 1].rstrip())
    return "\n".join(out)


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


def target(suspect: Suspect, text: str) -> Target:
    """The suspect as the model sees it: its code, and the outline of the module around it."""
    defn = suspect.definition
    if defn is None:
        return Target(suspect.path, "", "<module>", module_level_code(text), _outline(text, None))
    source = "".join(text.splitlines(keepends=True)[defn.start_line - 1 : defn.end_line])
    return Target(
        suspect.path, defn.name, defn.qualname, source, _outline(text, (defn.start_line, defn.end_line))
    )
