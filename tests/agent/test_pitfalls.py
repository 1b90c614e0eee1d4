from kog.agent.context import target, wrong_text_sources
from kog.agent.localize import Suspect
from kog.agent.pitfalls import pitfalls
from kog.agent.prompts import FailingTest, edit_messages
from kog.tools.codemap import CodeMap


def test_mutable_defaults_are_named_with_their_parameter():
    source = (
        "def f(a, b=[], c=None, *, d={}, e=(), g=dict(), h=collections.defaultdict(list), i=frozenset()):\n"
        "    return a\n"
    )
    notes = pitfalls(source)
    assert len(notes) == 4
    for name, default in [("b", "[]"), ("d", "{}"), ("g", "dict()"), ("h", "collections.defaultdict(list)")]:
        assert any(f"parameter `{name}` defaults to `{default}`" in n for n in notes)


def test_identity_against_a_literal_but_not_against_none_or_booleans():
    source = "def f(x, y):\n    return x is 'a' or y is not 3 or x is None or y is True or x is y\n"
    notes = pitfalls(source)
    assert len(notes) == 2
    assert any("`x is 'a'`" in n and "`is`" in n for n in notes)
    assert any("`y is not 3`" in n and "`is not`" in n for n in notes)


def test_clean_or_unparsable_code_has_no_notes():
    assert pitfalls("def f(x=0, y=(1, 2), z=None):\n    return x == 'a'\n") == []
    assert pitfalls("def f(:\n") == []


def test_the_edit_prompt_tells_the_pitfall_of_a_method(tmp_path):
    source = "class Box:\n    def add(self, item, into=[]):\n        into.append(item)\n        return into\n"
    (tmp_path / "box.py").write_text(source)
    [defn] = [d for d in CodeMap.build(tmp_path).definitions("box.py") if d.qualname == "Box.add"]
    shown = target(Suspect("box.py", defn, "test"), source)
    test = FailingTest("tests/test_box.py::test_add", "def test_add(): ...", "assert [1, 2] == [2]")
    [_, user] = edit_messages([test], shown, "", [])
    assert "Note: `add`'s parameter `into` defaults to `[]`" in user.content


def test_a_literal_that_is_the_wrong_part_of_a_string_comparison_is_pointed_at():
    source = 'def slug(words, sep="_"):\n    """Join as in "a-b"."""\n    return sep.join(words)\n'
    error = "assert slug(['a', 'b']) == 'a-b'\nAssertionError: assert 'a_b' == 'a-b'"
    [note] = wrong_text_sources([error], source)
    assert "got '_' where it wants '-'" in note
    assert 'def slug(words, sep="_"):' in note


def test_no_pointer_for_letters_missing_pieces_or_literals_everywhere():
    source = "def f(x):\n    return x + ', ' + 'b' + ', '.join(['a', 'b'])\n"
    assert wrong_text_sources(["assert 'ab' == 'a'"], source) == []  # a letter
    assert wrong_text_sources(["assert 'a' == 'a, b'"], source) == []  # the test wants more
    assert wrong_text_sources(["assert ', ' == ''"], "def f():\n    return ', ' + ', ' + ', '\n") == []
    assert wrong_text_sources(["assert 1 == 2"], source) == []
