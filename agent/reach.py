"""Which repository code a test can reach, found statically by following names from the test body.

Names are matched by spelling, not resolved by type: `invoice.total()` reaches every `total`
defined in the repository. For the small libraries the agent repairs that over-approximation
is cheap, and ranking (see localize.py) sorts the reached definitions.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import defaultdict, deque

from kog.tools.codemap import Definition

_TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")
_CONSTRUCTORS = ("__init__", "__post_init__", "__new__")


def is_test_path(path: str) -> bool:
    return bool(_TEST_FILE.search(path))


def definition_key(defn: Definition) -> str:
    return f"{defn.path}::{defn.qualname}"


def assigned_names(stmt: ast.stmt) -> set[str]:
    """The names a module-level assignment binds (none for any other statement)."""
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    else:
        return set()
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def referenced_names(source: str) -> set[str]:
    """Every bare name and attribute name a piece of code mentions, parameters included."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_]\w*", source))
    return _names(tree)


def _names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)  # fixtures arrive as parameters
    return names


class ReachIndex:
    def __init__(self, definitions: list[Definition], sources: dict[str, str]) -> None:
        self.definitions = definitions
        self._lines = {path: text.splitlines() for path, text in sources.items()}
        self._repo_by_name: dict[str, list[Definition]] = defaultdict(list)
        self._test_by_name: dict[str, list[Definition]] = defaultdict(list)
        for defn in definitions:
            if is_test_path(defn.path):
                self._test_by_name[defn.name].append(defn)
            else:
                self._repo_by_name[defn.name].append(defn)
        for defn in definitions:  # calling a class runs its constructor
            if defn.kind == "method" and defn.name in _CONSTRUCTORS and not is_test_path(defn.path):
                class_name = defn.qualname.rsplit(".", 2)[-2]
                self._repo_by_name[class_name].append(defn)
        self._names: dict[str, set[str]] = {}

    def source(self, defn: Definition) -> str:
        return "\n".join(self._lines.get(defn.path, [])[defn.start_line - 1 : defn.end_line]) + "\n"

    def names_in(self, defn: Definition) -> set[str]:
        if definition_key(defn) not in self._names:
            body = self.source(defn)
            if defn.kind == "class":  # a class's own code, without its methods' bodies
                body = self._class_body(defn)
            self._names[definition_key(defn)] = referenced_names(body) - {defn.name}
        return self._names[definition_key(defn)]

    def _class_body(self, cls: Definition) -> str:
        lines = self._lines.get(cls.path, [])[cls.start_line - 1 : cls.end_line]
        for defn in self.definitions:
            if defn.path == cls.path and defn.start_line > cls.start_line and defn.end_line <= cls.end_line:
                for i in range(defn.start_line - cls.start_line, defn.end_line - cls.start_line + 1):
                    lines[i] = ""
        return "\n".join(lines)

    def find_test(self, path: str, qualname: str) -> Definition | None:
        for defn in self._test_by_name.get(qualname.rsplit(".", 1)[-1], []):
            if defn.path == path and defn.qualname == qualname:
                return defn
        return None

    def failing_names(self, test: Definition, line: int, follow: bool = True) -> set[str] | None:
        """The names the failing statement of a test depends on, following local assignments back
        (with `follow`; else the statement's own names).

        None when the line is not a statement of the test. The test's parameters (fixtures, set-up)
        are left out: the failure is usually in what the statement calls, not in what set it up.
        """
        try:
            func = ast.parse(textwrap.dedent(self.source(test))).body[0]
        except (SyntaxError, IndexError):
            return None
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        relative = line - test.start_line + 1
        index = next(
            (
                i
                for i, stmt in enumerate(func.body)
                if stmt.lineno <= relative <= (stmt.end_lineno or stmt.lineno)
            ),
            None,
        )
        if index is None:
            return None
        needed = _names(func.body[index])
        for earlier in reversed(func.body[:index] if follow else []):
            assigned = {
                n.id for n in ast.walk(earlier) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            if assigned & needed:
                needed |= _names(earlier)
        return needed - {arg.arg for arg in func.args.args}

    def reach(self, test: Definition, start: set[str] | None = None) -> dict[str, int]:
        """Repository definitions the test reaches (from the names in `start`, else its whole body),
        keyed by definition_key, with their call depth (1 = direct)."""
        depths: dict[str, int] = {}
        seen = {definition_key(test)}
        queue: deque[tuple[Definition | None, int]] = deque([(None if start is not None else test, 0)])
        while queue:
            defn, depth = queue.popleft()
            names = start if defn is None else self.names_in(defn)
            for name in sorted(names or ()):  # a set: sorted, so ties rank alike in every process
                # Helpers and fixtures of the test's own file (or a conftest) are see-through.
                for helper in self._test_by_name.get(name, []):
                    if definition_key(helper) not in seen and (
                        helper.path == test.path or helper.path.endswith("conftest.py")
                    ):
                        seen.add(definition_key(helper))
                        queue.appendleft((helper, depth))
                for callee in self._repo_by_name.get(name, []):
                    if definition_key(callee) not in seen:
                        seen.add(definition_key(callee))
                        depths[definition_key(callee)] = depth + 1
                        queue.append((callee, depth + 1))
        return depths

    def definition(self, key: str) -> Definition:
        for defn in self.definitions:
            if definition_key(defn) == key:
                return defn
        raise KeyError(key)
