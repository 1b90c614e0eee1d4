import pytest

from textfold import fill, indent, justify, shorten, split_paragraphs, wrap_paragraph, wrap_text

TEXT = """The quick brown fox
jumps over the lazy dog.

Pack my box with
five dozen   liquor jugs.
"""


def test_paragraphs_are_split_on_blank_lines():
    assert split_paragraphs(TEXT) == [
        "The quick brown fox jumps over the lazy dog.",
        "Pack my box with five dozen liquor jugs.",
    ]


def test_wrap_one_paragraph():
    assert wrap_paragraph("The quick brown fox jumps over the lazy dog.", 15) == [
        "The quick brown",
        "fox jumps over",
        "the lazy dog.",
    ]


def test_long_words_get_their_own_line():
    assert wrap_paragraph("see antidisestablishmentarianism here", 10) == [
        "see",
        "antidisestablishmentarianism",
        "here",
    ]


def test_wrap_text_gives_flat_lines():
    assert wrap_text(TEXT, 20) == [
        "The quick brown fox",
        "jumps over the lazy",
        "dog.",
        "",
        "Pack my box with",
        "five dozen liquor",
        "jugs.",
    ]


def test_fill_single_paragraph():
    assert fill("one two three four", width=9) == "one two\nthree\nfour"


def test_width_must_be_positive():
    with pytest.raises(ValueError):
        wrap_text("words", 0)


def test_indent_with_hanging_first_line():
    assert indent(["alpha", "", "beta"], "   ", first="-  ") == ["-  alpha", "", "   beta"]


def test_justify_spreads_spaces_from_the_left():
    assert justify("a bb cc", 10) == "a   bb  cc"
    assert justify("single", 8) == "single  "


def test_shorten_at_a_word_boundary():
    assert shorten("Hello   there, general Kenobi", 20) == "Hello there,..."
    assert shorten("short", 20) == "short"
