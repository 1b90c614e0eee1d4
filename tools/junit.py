"""Reading pytest's JUnit XML (xunit1 family) into test cases, and tracebacks into repository frames."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from kog.tools.files import SKIPPED_DIRS
from kog.tools.testresults import Frame, Outcome, TestCase

# pytest's own form: "pkg/mod.py:12: in compute", "tests/t.py:9: AssertionError", "tests/t.py:9: "
PYTEST_LOCATION = re.compile(
    r"^(?P<path>(?:[A-Za-z]:)?[^\s:][^:\n]*?\.pyw?):(?P<line>\d+):(?: (?P<rest>.*))?$"
)
# Python's own form, also inside pytest's "E" lines of a SyntaxError: 'File "x.py", line 3, in f'
PYTHON_LOCATION = re.compile(
    r'^(?:E\s+)?\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>\S+))?'
)
DEF_LINE = re.compile(r"^\s*>?\s*(?:async\s+)?def\s+(?P<name>\w+)")
SEPARATOR = re.compile(r"^(?:_ )+_?\s*$")
MESSAGE_LIMIT = 2000


def read_junit(xml_path: Path, root: Path) -> list[TestCase]:
    """The cases of a JUnit XML file written by pytest; an unreadable or partial file gives []."""
    try:
        tree = ElementTree.parse(xml_path)
    except (OSError, ElementTree.ParseError):
        return []
    cases: list[TestCase] = []
    for element in tree.iter("testcase"):
        name = element.get("name")
        if not name:
            continue  # the placeholder pytest leaves for a test interrupted mid-run
        outcome, message, text = _result(element)
        cases.append(
            TestCase(
                id=node_id(element.get("file", ""), element.get("classname", ""), name),
                outcome=outcome,
                message=message[:MESSAGE_LIMIT],
                traceback=text,
                frames=parse_frames(text, root) if outcome in ("failed", "error") else [],
            )
        )
    return cases


def node_id(file: str, classname: str, name: str) -> str:
    """The pytest node id rebuilt from JUnit's file, dotted classname and test name."""
    if not file:
        return f"{classname.replace('.', '/')}.py::{name}" if classname else name
    if not classname:
        return file  # a collection error: the name is the dotted module
    module = file.removesuffix(".py").replace("/", ".")
    if classname == module:
        classes: list[str] = []
    elif classname.startswith(module + "."):
        classes = classname[len(module) + 1 :].split(".")
    else:
        parts = classname.split(".")
        stem = Path(file).stem
        classes = parts[parts.index(stem) + 1 :] if stem in parts else []
    return "::".join([file, *classes, name])


def parse_frames(text: str, root: Path) -> list[Frame]:
    """Frames of a pytest (long, short or native) traceback that lie in files of the repository."""
    frames: list[Frame] = []
    lines = text.splitlines()
    block_start = 0
    for index, line in enumerate(lines):
        if SEPARATOR.match(line):
            block_start = index + 1
            continue
        found = PYTEST_LOCATION.match(line)
        if found:
            rest = found["rest"] or ""
            function = (
                rest[3:].strip() if rest.startswith("in ") else _block_function(lines[block_start:index])
            )
            block_start = index + 1
        else:
            found = PYTHON_LOCATION.match(line)
            if not found:
                continue
            function = found["function"] or "<module>"
        path = repo_relative(found["path"], root)
        frame = Frame(path=path, line=int(found["line"]), function=function) if path else None
        if frame is not None and (not frames or frames[-1] != frame):
            frames.append(frame)
    return frames


def repo_relative(path: str, root: Path) -> str | None:
    """``path`` relative to the repository, or None outside it or in a venv/cache/build folder."""
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        inside = resolved.relative_to(root)
    except ValueError:
        return None
    if any(part in SKIPPED_DIRS for part in inside.parts[:-1]) or not resolved.is_file():
        return None
    return inside.as_posix()


def _result(element: ElementTree.Element) -> tuple[Outcome, str, str]:
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        child = element.find(tag)
        if child is not None:
            return outcome, child.get("message", ""), child.text or ""  # type: ignore[return-value]
    return "passed", "", ""


def _block_function(block: list[str]) -> str:
    for line in block:
        found = DEF_LINE.match(line)
        if found:
            return found["name"]
    return "<module>"
