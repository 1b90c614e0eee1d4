"""CodeMap: definition ranges, enclosing lookups, the repo map and syntax checks."""

from __future__ import annotations

import pytest
from tool_repos import write_files

from kog.tools.codemap import CodeMap, is_valid_python, parse_definitions, parse_errors

SHAPES = '''import functools


@functools.lru_cache
@staticmethod
def cached(a,
           b):
    def inner():
        return a

    return inner() + b


class Shape(Base):
    """A shape."""

    sides = 0

    @property
    def area(self):
        return 0

    async def fetch(self):
        pass

    class Meta:
        def describe(self):
            return "meta"


def last():
    x = 1
    # a comment at the end of the body
'''


@pytest.fixture
def codemap(tmp_path):
    write_files(
        tmp_path,
        {"pkg/shapes.py": SHAPES, "pkg/empty.py": "X = 1\n", "tests/test_s.py": "def test_a():\n    pass\n"},
    )
    return CodeMap.build(tmp_path)


def ranges(codemap, path):
    return {d.qualname: (d.kind, d.start_line, d.end_line, d.indent) for d in codemap.definitions(path)}


def test_ranges_of_functions_methods_classes(codemap):
    assert ranges(codemap, "pkg/shapes.py") == {
        "cached": ("function", 4, 11, 0),
        "cached.inner": ("function", 8, 9, 4),
        "Shape": ("class", 14, 28, 0),
        "Shape.area": ("method", 19, 21, 4),
        "Shape.fetch": ("method", 23, 24, 4),
        "Shape.Meta": ("class", 26, 28, 4),
        "Shape.Meta.describe": ("method", 27, 28, 8),
        "last": ("function", 31, 33, 0),
    }
    assert [d.path for d in codemap.definitions()] == ["pkg/shapes.py"] * 8 + ["tests/test_s.py"]


def test_source_includes_decorators(codemap):
    (cached,) = codemap.find("cached")
    assert codemap.source(cached).startswith("@functools.lru_cache\n@staticmethod\ndef cached(a,\n")
    assert codemap.source(cached).endswith("    return inner() + b\n")
    assert cached.signature == "def cached(a, b):"


def test_enclosing_prefers_innermost_function(codemap):
    path = "pkg/shapes.py"
    assert codemap.enclosing(path, 9).qualname == "cached.inner"
    assert codemap.enclosing(path, 11).qualname == "cached"
    assert codemap.enclosing(path, 4).qualname == "cached"  # a decorator line
    assert codemap.enclosing(path, 17).qualname == "Shape"  # class body, outside methods
    assert codemap.enclosing(path, 28).qualname == "Shape.Meta.describe"
    assert codemap.enclosing(path, 1) is None
    assert codemap.enclosing("pkg/empty.py", 1) is None


def test_find_by_qualname_then_name(codemap):
    assert [d.qualname for d in codemap.find("Shape.area")] == ["Shape.area"]
    assert [d.qualname for d in codemap.find("describe")] == ["Shape.Meta.describe"]
    assert codemap.find("describe", path="tests/test_s.py") == []
    assert codemap.find("missing") == []


def test_repo_map_lists_signatures_with_ranges(codemap):
    text = codemap.repo_map()
    assert text.startswith("pkg/shapes.py\n  def cached(a, b):  [4-11]\n    def inner():  [8-9]\n")
    assert "  class Shape(Base):  [14-28]\n    def area(self):  [19-21]\n" in text
    assert "      def describe(self):  [27-28]\n" in text
    assert "tests/test_s.py\n  def test_a():  [1-2]\n" in text
    assert "pkg/empty.py" not in text
    short = codemap.repo_map(max_chars=60)
    assert len(short) <= 60 and short.endswith(("more file\n", "more files\n"))


def test_definitions_recovered_from_broken_file():
    defs = parse_definitions("def good():\n    return 1\n\ndef bad(:\n    pass\n", "m.py")
    assert [(d.name, d.start_line, d.end_line) for d in defs][0] == ("good", 1, 2)


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("def f():\n    return 1\n", []),
        ("def f(:\n    return 1\n", [1]),
        ("x = 1\ny = (\n", [2]),
        ("def f():\nreturn 1\n", [2]),
        ("x = 1\nreturn 2\n", [2]),  # tree-sitter accepts it; compile() does not
        ("def f():\n    x = 1\n      y = 2\n", [3]),
    ],
)
def test_parse_errors(source, lines):
    assert parse_errors(source) == lines
    assert is_valid_python(source) is (not lines)
