import pytest

from rlecodec import compression_ratio, decode, decode_runs, encode, encode_runs, longest_run


def test_encode_runs():
    assert encode("aaabcc") == "3ab2c"
    assert encode("abc") == "abc"
    assert encode("") == ""
    assert encode("  xx") == "2 2x"


def test_digits_cannot_be_encoded():
    with pytest.raises(ValueError):
        encode("room 101")


def test_decode_simple_runs():
    assert decode("3ab2c") == "aaabcc"
    assert decode("abc") == "abc"


def test_decode_multi_digit_counts():
    assert decode("12x2y") == "x" * 12 + "yy"
    assert decode("a10-b") == "a" + "-" * 10 + "b"


def test_round_trip():
    text = "wwwwhyyyy   not!!"
    assert decode(encode(text)) == text


def test_trailing_count_is_rejected():
    with pytest.raises(ValueError):
        decode("3a4")


def test_runs_of_items():
    runs = encode_runs([1, 1, 2, 2, 2, 1])
    assert runs == [(1, 2), (2, 3), (1, 1)]
    assert decode_runs(runs) == [1, 1, 2, 2, 2, 1]
    assert longest_run("abbbcc") == ("b", 3)
    assert longest_run("") is None


def test_compression_ratio():
    assert compression_ratio("aaaaaaaaaa") == pytest.approx(0.3)
    assert compression_ratio("") == 1.0
