"""Which examples or tasks a variant alone repairs: no model, each of the buggy function's variants
(agent/variants.py, in the order the agent tries them) applied to the shipped code and its tests run.

The buggy function is the one the reference fix changes, so this measures the variants, not the
agent's localisation: what the loop's variant stage can reach once it has the right suspect.

    python bench/variant_check.py [--examples bench/tasks] [--fixes bench/task_fixes]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from kog.agent.variants import edit_variants, pitfall_variants
from kog.tools.codemap import parse_definitions

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 30


def buggy_function(task: Path, patch: str):
    """(file, definition) the patch's first hunk lies in (the innermost definition around it)."""
    path = re.search(r"^--- a/(\S+)", patch, re.MULTILINE).group(1)
    start, length = (int(n) for n in re.search(r"^@@ -(\d+),(\d+)", patch, re.MULTILINE).groups())
    middle = start + length // 2
    text = (task / path).read_text(encoding="utf-8")
    around = [d for d in parse_definitions(text, path) if d.start_line <= middle <= d.end_line]
    return path, text, min(around, key=lambda d: d.end_line - d.start_line) if around else None


def passes(task: Path, path: str, new_text: str) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / task.name
        shutil.copytree(task, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        (copy / path).write_text(new_text, encoding="utf-8")
        run = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
        try:  # a variant may loop for ever (a `while` test negated)
            return subprocess.run(run, cwd=copy, capture_output=True, timeout=TIMEOUT_S).returncode == 0
        except subprocess.TimeoutExpired:
            return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=ROOT / "bench" / "tasks")
    parser.add_argument("--fixes", type=Path, default=ROOT / "bench" / "task_fixes")
    args = parser.parse_args()
    reached = 0
    patches = sorted(args.fixes.glob("*.patch"))
    for patch in patches:
        task = args.examples / patch.stem
        path, text, defn = buggy_function(task, patch.read_text(encoding="utf-8"))
        if defn is None:
            print(f"{patch.stem:12} no definition around the fix")
            continue
        variants = pitfall_variants(text, defn) + edit_variants(text, defn, [])
        first = next((i for i, v in enumerate(variants) if passes(task, path, v.new_text)), None)
        found = f"variant {first + 1}: {variants[first].describe}" if first is not None else "none"
        reached += first is not None
        print(f"{patch.stem:12} {defn.qualname:28} {len(variants):3} variants, fixed by {found}", flush=True)
    print(f"== {reached} of {len(patches)} repaired by a variant of the function the fix changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
