import pytest

from kog.agent.errors import ReplyRejected
from kog.agent.parse_reply import (
    SearchReplace,
    apply_search_replace,
    code_blocks,
    extract_definition,
    search_replace_blocks,
)

FIXED = "def page_count(n, per):\n    return (n + per - 1) // per\n"


def test_fenced_block_with_prose_around_it():
    reply = f"Here is the fix:\n\n```python\n{FIXED}```\n\nThis rounds up."
    assert extract_definition(reply, "page_count").source == FIXED


def test_missing_closing_fence_is_tolerated():
    reply = f"```python\n{FIXED}"
    assert extract_definition(reply, "page_count").source == FIXED


def test_no_fences_at_all_with_trailing_prose():
    reply = f"The bug is the rounding.\n{FIXED}\nThis now counts the partial page."
    assert extract_definition(reply, "page_count").source == FIXED


def test_other_function_name_is_rejected():
    reply = "```python\ndef count_pages(n, per):\n    return 1\n```"
    with pytest.raises(ReplyRejected, match="count_pages instead of page_count"):
        extract_definition(reply, "page_count")


def test_several_definitions_take_the_named_one_and_keep_imports():
    reply = (
        "```python\nimport math\n\ndef helper():\n    return 1\n\n"
        "def page_count(n, per):\n    return math.ceil(n / per)\n```"
    )
    got = extract_definition(reply, "page_count")
    assert got.source == "def page_count(n, per):\n    return math.ceil(n / per)\n"
    assert got.imports == ["import math"]


def test_method_inside_a_class_wrapper_is_dedented_without_decorators():
    reply = (
        "```python\nclass Invoice:\n    @property\n    def total(self):\n        return self.a - self.b\n```"
    )
    assert extract_definition(reply, "total").source == "def total(self):\n    return self.a - self.b\n"


def test_second_block_holding_the_target_wins_over_a_first_unrelated_one():
    reply = f"```\n$ pytest -q\n```\n\n```python\n{FIXED}```"
    assert extract_definition(reply, "page_count").source == FIXED


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "no code"),
        ("I think the function is right.", "no code"),
        ("```python\ndef page_count(n, per)\n    return n\n```", "does not parse"),
        ("```python\nx = = 1\n```", "does not parse"),
        ("```python\nx = 1\n```", "no function page_count"),
    ],
)
def test_unusable_replies_are_rejected_with_a_reason(reply, reason):
    with pytest.raises(ReplyRejected, match=reason):
        extract_definition(reply, "page_count")


def test_code_blocks_in_order():
    assert code_blocks("a\n```py\nx = 1\n```\nb\n```\ny = 2\n```\n") == ["x = 1\n", "y = 2\n"]


SOURCE = "RATE = 0.2\nLIMIT = 10\n\n\ndef f():\n    return RATE\n"


def test_search_replace_applies_once():
    reply = "<<<<<<< SEARCH\nLIMIT = 10\n=======\nLIMIT = 100\n>>>>>>> REPLACE\n"
    [block] = search_replace_blocks(reply)
    assert apply_search_replace(SOURCE, block) == SOURCE.replace("LIMIT = 10", "LIMIT = 100")


def test_search_replace_ignores_trailing_whitespace():
    block = SearchReplace(search="LIMIT = 10   \n", replace="LIMIT = 11\n")
    assert "LIMIT = 11\n" in apply_search_replace(SOURCE, block)


def test_search_text_not_found_or_ambiguous_is_rejected():
    with pytest.raises(ReplyRejected, match="nowhere"):
        apply_search_replace(SOURCE, SearchReplace("LIMIT = 99\n", "x\n"))
    with pytest.raises(ReplyRejected, match="2 times"):
        apply_search_replace("a = 1\nb\na = 1\n", SearchReplace("a = 1", "a = 2"))


def test_reply_without_search_block_is_rejected():
    with pytest.raises(ReplyRejected):
        search_replace_blocks("```python\nLIMIT = 100\n```")


def test_a_class_is_extracted_when_asked_for():
    reply = "```python\n@dataclass\nclass Config:\n    retries: int = 3\n```"
    assert extract_definition(reply, "Config", kind="class").source == "class Config:\n    retries: int = 3\n"
    with pytest.raises(ReplyRejected, match="no function Config"):
        extract_definition(reply, "Config")


def test_a_method_returned_at_its_class_indentation_is_dedented():
    reply = "```python\n    def total(self):\n        return self.a - self.b\n```"
    assert extract_definition(reply, "total").source == "def total(self):\n    return self.a - self.b\n"


def test_a_definition_is_cut_out_of_a_block_that_does_not_parse_as_a_whole():
    reply = "```python\nimport math\n    def total(self):\n        return math.floor(self.a)\n```"
    assert extract_definition(reply, "total").source == "def total(self):\n    return math.floor(self.a)\n"
