"""The speculative-decoding workload: the prompts the agent sends while repairing the examples.

For each example library: its first failing test (run for real, error text as the agent shows it), the
function that its reference fix changes, and from them the agent's own rewrite prompt (reply with the
whole corrected function) and diagnosis prompt. Free-generation prompts complete the set."""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from pathlib import Path

from kog.agent.context import error_text, module_constants
from kog.agent.prompts import FailingTest, Target, diagnosis_messages, edit_messages
from kog.tools.testrunner import resolve_test_command, run_tests

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES, FIXES = ROOT / "examples", ROOT / "tests" / "examples" / "fixes"
FREE_PROMPTS = (
    "Write a Python function that parses an ISO 8601 duration such as 'P3DT4H5M' into a timedelta.",
    "Explain in a short paragraph what a Python context manager is and when to write one.",
    "Write a small command-line tool in Python that counts the words of each file given as arguments.",
    "What are the trade-offs between threads and asyncio for an I/O-bound Python service?",
    "Write a Python class for an LRU cache with get and put, without using functools.",
    "Describe three ways to make a slow pytest suite faster.",
    "Write a function that merges overlapping intervals given as a list of (start, end) tuples.",
    "Give a commit message for a change that fixes an off-by-one error in pagination.",
)
MAX_TOKENS = {"rewrite": 320, "diagnosis": 96, "free": 160}


def changed_function(example: Path) -> tuple[str, ast.FunctionDef]:
    """(relative path, definition) of the first function that the reference fix changes."""
    patch = (FIXES / f"{example.name}.patch").read_text()
    path = re.search(r"^--- a/(\S+)", patch, re.M).group(1)
    hunk = re.search(r"^@@ -(\d+)", patch, re.M)
    body = patch[hunk.end() :].split("\n", 1)[1].splitlines()
    offset = next(i for i, line in enumerate(body) if line.startswith(("-", "+")))
    line = int(hunk.group(1)) + offset
    tree = ast.parse((example / path).read_text())
    inside = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno <= line <= node.end_lineno
    ]
    return path, min(inside, key=lambda n: n.end_lineno - n.lineno)  # the innermost


def qualified_name(tree: ast.Module, target: ast.AST) -> str:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and target in node.body:
            return f"{node.name}.{target.name}"
    return target.name


def first_failure(example: Path):
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(shutil.copytree(example, Path(scratch) / example.name))
        run = run_tests(copy, resolve_test_command(copy), timeout_s=120)
    return next(case for case in run.cases if case.outcome in ("failed", "error"))


def test_source(example: Path, test_id: str) -> str:
    path, _, name = test_id.partition("::")
    name = name.split("::")[-1].split("[")[0]
    source = (example / path).read_text()
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(source, node)


def example_rows(example: Path) -> list[dict]:
    path, node = changed_function(example)
    text = (example / path).read_text()
    lines = text.splitlines(keepends=True)
    start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    source = "".join(lines[start - 1 : node.end_lineno])
    target = Target(
        path, node.name, qualified_name(ast.parse(text), node), source, module_constants(text, source)
    )
    case = first_failure(example)
    test = FailingTest(case.id, test_source(example, case.id), error_text(case))
    rows = []
    for category, messages in (
        ("rewrite", edit_messages([test], target, "", [])),
        ("diagnosis", diagnosis_messages([test], target)),
    ):
        rows.append(
            {
                "id": f"{category}-{example.name}",
                "category": category,
                "messages": [{"role": m.role, "content": m.content} for m in messages],
                "max_tokens": MAX_TOKENS[category],
            }
        )
    return rows


def build_workload() -> list[dict]:
    examples = sorted(p.parent for p in EXAMPLES.glob("*/pyproject.toml"))
    rows = [row for example in examples for row in example_rows(example)]
    rows.sort(key=lambda r: r["category"] != "rewrite")  # rewrites first, then diagnoses
    for i, prompt in enumerate(FREE_PROMPTS):
        rows.append(
            {
                "id": f"free-{i + 1}",
                "category": "free",
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": MAX_TOKENS["free"],
            }
        )
    return rows
