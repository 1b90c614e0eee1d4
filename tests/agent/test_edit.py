import ast

import pytest

from kog.agent.edit import keep_docstring, propose_edit
from kog.agent.errors import NoChange, ReplyRejected
from kog.agent.localize import Suspect
from kog.tools.codemap import CodeMap

SOURCE = '''"""Shop arithmetic."""

import functools

RATE = 20


def cached(fn):
    return functools.lru_cache(fn)


class Cart:
    """A cart."""

    def __init__(self):
        self.items = []

    @cached
    def total(self, discount):
        """Sum minus the discount."""
        return sum(self.items) + discount

    def count(self):
        return len(self.items)


def tax(amount):
    return amount * RATE // 100
'''


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "shop.py").write_text(SOURCE)
    return tmp_path


def suspect(repo, qualname):
    [defn] = [d for d in CodeMap.build(repo).definitions("shop.py") if d.qualname == qualname]
    return Suspect("shop.py", defn, "test")


def test_method_rewrite_is_reindented_and_keeps_decorator_and_docstring(repo):
    reply = "```python\ndef total(self, discount):\n    return sum(self.items) - discount\n```"
    edit = propose_edit(SOURCE, suspect(repo, "Cart.total"), reply)
    expected = SOURCE.replace("sum(self.items) + discount", "sum(self.items) - discount")
    assert edit.new_text == expected
    assert edit.label == "Cart.total"
    assert "-        return sum(self.items) + discount" in edit.diff
    assert "+        return sum(self.items) - discount" in edit.diff


def test_new_imports_of_the_reply_are_added_once(repo):
    reply = (
        "```python\nimport math\nimport functools\n\ndef tax(amount):\n"
        "    return math.floor(amount * RATE / 100)\n```"
    )
    new_text = propose_edit(SOURCE, suspect(repo, "tax"), reply).new_text
    assert new_text.count("import functools") == 1
    assert "import functools\nimport math\n" in new_text
    ast.parse(new_text)


def test_a_reply_that_changes_nothing_is_rejected(repo):
    reply = "```python\ndef count(self):\n    return len(self.items)\n```"
    with pytest.raises(NoChange):
        propose_edit(SOURCE, suspect(repo, "Cart.count"), reply)


def test_an_edit_that_would_break_the_file_is_rejected(repo):
    # ast accepts it, the compiler does not: nothing for `nonlocal` to bind to.
    reply = "```python\ndef count(self):\n    nonlocal items\n    return 1\n```"
    with pytest.raises(ReplyRejected, match="would not parse"):
        propose_edit(SOURCE, suspect(repo, "Cart.count"), reply)


def test_module_level_code_is_edited_with_search_replace(repo):
    reply = "<<<<<<< SEARCH\nRATE = 20\n=======\nRATE = 19\n>>>>>>> REPLACE"
    edit = propose_edit(SOURCE, Suspect("shop.py", None, "constants"), reply)
    assert edit.label == "<module>"
    assert edit.new_text == SOURCE.replace("RATE = 20", "RATE = 19")


def test_docstring_is_put_back_when_the_rewrite_drops_or_changes_it():
    old = 'def f(x):\n    """Add one.\n\n    Long form.\n    """\n    return x\n'
    dropped = "def f(x):\n    return x + 1\n"
    changed = 'def f(x):\n    """Adds."""\n    return x + 1\n'
    expected = 'def f(x):\n    """Add one.\n\n    Long form.\n    """\n    return x + 1\n'
    assert keep_docstring(old, dropped) == expected
    assert keep_docstring(old, changed) == expected
    assert keep_docstring("def f(x):\n    return x\n", dropped) == dropped


def test_star_imports_and_imports_the_definition_does_not_use_are_left_out(repo):
    reply = (
        "```python\nfrom typing import *\nfrom collections import *\nimport json\nimport math\n\n"
        "def tax(amount):\n    return math.floor(amount * RATE / 100)\n```"
    )
    new_text = propose_edit(SOURCE, suspect(repo, "tax"), reply).new_text
    assert "import *" not in new_text and "import json" not in new_text
    assert new_text.count("import math\n") == 1
    ast.parse(new_text)


def test_an_attribute_of_a_module_is_not_a_use_of_a_name_imported_alone(repo):
    reply = (
        "```python\nfrom functools import lru_cache\n\ndef cached(fn):\n"
        "    return functools.lru_cache(maxsize=None)(fn)\n```"
    )
    new_text = propose_edit(SOURCE, suspect(repo, "cached"), reply).new_text
    assert "from functools import lru_cache" not in new_text
    assert "functools.lru_cache(maxsize=None)(fn)" in new_text


def test_the_same_code_written_differently_is_no_change(repo):
    """Other quotes, spacing or an unused import around the same definition cannot fix a test."""
    reply = (
        "```python\nfrom functools import wraps\n\ndef tax( amount ):\n"
        "    # the tax\n    return (amount * RATE) // 100\n```"
    )
    with pytest.raises(NoChange):
        propose_edit(SOURCE, suspect(repo, "tax"), reply)


def test_the_same_definition_with_an_import_the_file_lacks_is_an_edit(repo):
    """A definition that reads a module never imported is fixed by the import alone."""
    source = SOURCE.replace(
        "def tax(amount):\n    return amount * RATE // 100",
        "def tax(amount):\n    return math.floor(amount * RATE / 100)",
    )
    (repo / "shop.py").write_text(source)
    reply = "```python\nimport math\n\ndef tax(amount):\n    return math.floor(amount * RATE / 100)\n```"
    edit = propose_edit(source, suspect(repo, "tax"), reply)
    assert "import functools\nimport math\n" in edit.new_text


def test_names_the_module_already_binds_are_not_imported_again(repo):
    """`functools` is imported and `RATE` assigned already; of the second line only `ceil` is new."""
    reply = (
        "```python\nimport functools\nfrom shop import RATE\nfrom math import ceil, floor\n\n"
        "def tax(amount):\n    return ceil(functools.reduce(lambda a, b: a * b, [amount, RATE]) / 100)\n```"
    )
    new_text = propose_edit(SOURCE, suspect(repo, "tax"), reply).new_text
    assert new_text.count("import functools") == 1
    assert "from shop import" not in new_text
    assert "import functools\nfrom math import ceil\n" in new_text
