"""The example repositories and the repair benchmark's tasks stay real: as shipped some of their
tests fail and some pass, and with the reference fix (tests/examples/fixes, bench/task_fixes) all of
them pass, the fix rewriting only the function that holds the bug."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
FIXES_DIR = Path(__file__).resolve().parent / "fixes"
EXAMPLES = sorted(path.parent.name for path in EXAMPLES_DIR.glob("*/pyproject.toml"))
# The benchmark's further tasks (bench/fix_examples.py --examples bench/tasks), held to the same rules.
TASKS_DIR, TASK_FIXES_DIR = REPO / "bench" / "tasks", REPO / "bench" / "task_fixes"
TASKS = sorted(path.parent.name for path in TASKS_DIR.glob("*/pyproject.toml"))
ALL = [pytest.param(EXAMPLES_DIR, FIXES_DIR, name, id=f"examples/{name}") for name in EXAMPLES] + [
    pytest.param(TASKS_DIR, TASK_FIXES_DIR, name, id=f"tasks/{name}") for name in TASKS
]
REQUIRED_BUG_KINDS = {
    "off-by-one",
    "wrong-operator",
    "wrong-variable",
    "missing-edge-case",
    "wrong-default",
    "exception-handling",
    "string-formatting",
    "recursion-base-case",
    "mutable-default",
    "two-function",
}
REVEALING_WORDS = re.compile(r"\b(bug|buggy|fixme|todo|xxx|hack|wrong|broken|oops)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    passed: int
    failed: int
    errors: int
    output: str


def metadata(name: str, folder: Path = EXAMPLES_DIR) -> dict:
    return tomllib.loads((folder / name / "pyproject.toml").read_text())


def package_dir(folder: Path, name: str) -> Path:
    (init,) = [p for p in (folder / name).glob("*/__init__.py") if p.parent.name != "tests"]
    return init.parent


def copy_example(folder: Path, name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(folder / name, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def run_tests(root: Path) -> Outcome:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    # NOTE: the examples need pytest alone; our own plugins would slow them down and change their output.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?)\b", output)}
    return Outcome(
        counts.get("passed", 0), counts.get("failed", 0), counts.get("error", counts.get("errors", 0)), output
    )


def apply_fix(fixes: Path, name: str, root: Path) -> None:
    patch = fixes / f"{name}.patch"
    subprocess.run(["git", "apply", str(patch)], cwd=root, check=True, capture_output=True, text=True)


def split_functions(source: str) -> tuple[dict[str, str], str]:
    """Each function's AST dump by qualified name, and the module's dump with functions blanked."""
    tree = ast.parse(source)
    functions: dict[str, str] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for index, node in enumerate(body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions[prefix + node.name] = ast.dump(node)
                body[index] = ast.Expr(ast.Constant(prefix + node.name))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return functions, ast.dump(tree)


def test_examples_cover_the_required_bug_kinds():
    kinds = [metadata(name)["tool"]["kog-example"]["bug-kind"] for name in EXAMPLES]
    assert len(EXAMPLES) >= 10
    assert REQUIRED_BUG_KINDS <= set(kinds)
    assert len(kinds) == len(set(kinds)), "each example shows a different kind of bug"


@pytest.mark.parametrize(("folder", "fixes", "name"), ALL)
def test_example_fails_until_the_reference_fix(folder, fixes, name, tmp_path):
    root = copy_example(folder, name, tmp_path)
    before = run_tests(root)
    assert before.errors == 0, before.output
    assert before.failed >= 1 and before.passed >= 1, before.output

    apply_fix(fixes, name, root)
    after = run_tests(root)
    assert (after.failed, after.errors) == (0, 0), after.output
    assert after.passed == before.passed + before.failed, after.output


@pytest.mark.parametrize(("folder", "fixes", "name"), ALL)
def test_reference_fix_rewrites_only_the_buggy_functions(folder, fixes, name, tmp_path):
    root = copy_example(folder, name, tmp_path)
    sources = sorted(root.rglob("*.py"))
    before = {path: path.read_text() for path in sources}
    apply_fix(fixes, name, root)

    changed: list[str] = []
    for path, old_source in before.items():
        old_functions, old_rest = split_functions(old_source)
        new_functions, new_rest = split_functions(path.read_text())
        assert old_rest == new_rest, f"{path.name}: the fix touches code outside functions"
        assert old_functions.keys() == new_functions.keys(), f"{path.name}: the fix adds or removes functions"
        changed += [f"{path.stem}.{fn}" for fn in old_functions if old_functions[fn] != new_functions[fn]]

    expected = 2 if metadata(name, folder)["tool"]["kog-example"]["bug-kind"] == "two-function" else 1
    assert len(changed) == expected, changed
    assert all(not fn.startswith("test_") for fn in changed), changed


@pytest.mark.parametrize(("folder", "fixes", "name"), ALL)
def test_example_is_a_small_plain_library(folder, fixes, name):
    meta = metadata(name, folder)
    project = meta["project"]
    assert project["name"] and project["version"]
    assert "\n" not in project["description"] and project["description"].endswith(")")
    assert project.get("dependencies", []) == []
    assert meta["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert meta["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]

    package = package_dir(folder, name)
    modules = [path for path in package.glob("*.py") if path.name != "__init__.py"]
    assert 1 <= len(modules) <= 3
    lines = sum(len(path.read_text().splitlines()) for path in modules)
    assert 30 <= lines <= (120 if folder == EXAMPLES_DIR else 250)

    tests = [
        node.name
        for path in (folder / name / "tests").glob("test_*.py")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    assert 3 <= len(tests) <= (8 if folder == EXAMPLES_DIR else 12)

    for path in [*package.glob("*.py"), *(folder / name / "tests").glob("*.py")]:
        assert not REVEALING_WORDS.search(path.read_text()), f"{path} gives the bug away"


def test_readme_lists_every_example():
    readme = (EXAMPLES_DIR / "README.md").read_text()
    for name in EXAMPLES:
        assert f"`{name}`" in readme
        assert metadata(name)["project"]["description"] in readme


def test_ci_workflow_runs_the_agent_and_keeps_its_output():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((EXAMPLES_DIR / "ci" / "kog-agent-repair.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "kog-agent ci --report report.json --patch fix.patch --json" in commands
    uploads = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and all(step.get("if") == "always()" for step in uploads)
    uploaded = "\n".join(step["with"]["path"] for step in uploads)
    assert "report.json" in uploaded and "fix.patch" in uploaded
