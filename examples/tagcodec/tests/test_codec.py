import pytest

from tagcodec import decode_tags, encode_tags, normalize_tags


def test_plain_tags_are_joined_by_commas():
    assert encode_tags(["python", "web"]) == "python,web"


def test_empty_text_holds_no_tags():
    assert decode_tags("") == []


def test_empty_tag_is_rejected():
    with pytest.raises(ValueError):
        encode_tags(["ok", ""])


def test_comma_inside_a_tag_is_escaped():
    assert encode_tags(["c,d", "x"]) == "c\\,d,x"


def test_escaped_comma_is_decoded():
    assert decode_tags("c\\,d,x") == ["c,d", "x"]


def test_round_trip_with_commas_and_backslashes():
    tags = ["dir\\", ",lead", "a,b,c", "plain"]
    assert decode_tags(encode_tags(tags)) == tags


def test_normalize_tags():
    assert normalize_tags(["  Web ", "web", "", "Machine   Learning"]) == ["web", "machine learning"]
