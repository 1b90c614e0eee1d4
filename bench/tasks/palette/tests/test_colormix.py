import pytest

from colormix import Color, contrast_ratio, gradient, lighten, mix, parse_hex, parse_rgb, to_hex


def test_parse_long_and_short_forms():
    assert parse_hex("#1e90ff") == Color(30, 144, 255)
    assert parse_hex("19f") == Color(17, 153, 255)


def test_parse_rgb():
    assert parse_rgb("rgb(30, 144, 255)") == Color(30, 144, 255)


def test_to_hex_round_trip():
    assert to_hex(parse_hex("#A0522D")) == "#a0522d"


def test_mix_midpoint():
    assert mix(Color(0, 0, 0), Color(255, 255, 255), 0.5) == Color(128, 128, 128)


def test_mix_quarter_of_the_way():
    assert mix(Color(0, 0, 200), Color(200, 0, 0), 0.25) == Color(50, 0, 150)


def test_gradient_starts_and_ends_on_the_given_colours():
    steps = gradient(parse_hex("#ff0000"), parse_hex("#0000ff"), 5)
    assert to_hex(steps[0]) == "#ff0000"
    assert to_hex(steps[-1]) == "#0000ff"


def test_gradient_is_evenly_spaced():
    steps = gradient(Color(0, 0, 0), Color(90, 30, 0), 4)
    assert steps == [Color(0, 0, 0), Color(30, 10, 0), Color(60, 20, 0), Color(90, 30, 0)]


def test_lighten():
    assert to_hex(lighten(parse_hex("#000000"), 0.2)) == "#333333"


def test_gradient_needs_two_steps():
    with pytest.raises(ValueError):
        gradient(Color(0, 0, 0), Color(1, 1, 1), 1)


def test_black_on_white_contrast():
    assert contrast_ratio(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
