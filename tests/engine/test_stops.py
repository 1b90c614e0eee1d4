"""StopMatcher: what it emits, what it holds back, and where it cuts, however the text arrives."""

from __future__ import annotations

import random

import pytest

from kog.engine.stops import StopMatcher


def run(stops: tuple[str, ...], deltas: list[str]) -> tuple[list[str], bool]:
    """Feed deltas until a stop hits; the emitted pieces (plus the flush when none hit) and whether one hit."""
    matcher, out = StopMatcher(stops), []
    for delta in deltas:
        text, hit = matcher.feed(delta)
        out.append(text)
        if hit:
            return out, True
    out.append(matcher.flush())
    return out, False


def reference(stops: tuple[str, ...], text: str) -> tuple[str, bool]:
    hits = [i for s in stops if (i := text.find(s)) >= 0]
    return (text[: min(hits)], True) if hits else (text, False)


def test_without_stops_everything_passes_at_once():
    matcher = StopMatcher(())
    assert matcher.feed("abc") == ("abc", False)
    assert matcher.feed("") == ("", False)
    assert matcher.feed("def") == ("def", False)
    assert matcher.flush() == ""


def test_a_possible_start_of_a_stop_is_held_back_until_it_is_decided():
    matcher = StopMatcher(("###",))
    assert matcher.feed("ab#") == ("ab", False)
    assert matcher.feed("#") == ("", False)
    assert matcher.feed("x") == ("##x", False)
    assert matcher.feed("##") == ("", False)
    assert matcher.flush() == "##"


def test_a_stop_spanning_deltas_cuts_before_it():
    assert run(("o wor",), ["he", "llo wo", "rld"]) == (["he", "ll", ""], True)


def test_a_stop_inside_one_delta():
    assert run(("STOP",), ["abcSTOPdef"]) == (["abc"], True)


def test_a_stop_at_the_very_start_gives_nothing():
    assert run(("<|end|>",), ["<|end|>tail"]) == ([""], True)
    assert run(("<|end|>",), ["<|", "end", "|>"]) == (["", "", ""], True)


def test_the_earliest_of_several_stops_wins():
    assert run(("END", "STOP"), ["aSTOPbEND"]) == (["a"], True)
    assert run(("END", "STOP"), ["aST", "OP"]) == (["a", ""], True)
    # One stop a prefix of another: the cut is at the earliest start.
    assert run(("abc", "ab"), ["xa", "bc"]) == (["x", ""], True)


def test_a_held_prefix_that_turns_out_not_to_be_a_stop_is_released():
    matcher = StopMatcher(("STOP",))
    assert matcher.feed("ST") == ("", False)
    assert matcher.feed("AR") == ("STAR", False)


def test_a_stop_whose_start_repeats():
    assert run(("aab",), ["a", "a", "a", "b", "c"]) == (["", "", "a", ""], True)
    assert run(("aab",), ["a", "a", "a", "c"]) == (["", "", "a", "aac", ""], False)


def test_the_longest_possible_stop_start_is_held():
    matcher = StopMatcher(("xyz", "y\n\n"))
    assert matcher.feed("axy") == ("a", False)  # "xy" might begin "xyz"
    assert matcher.feed("\n") == ("x", False)  # "y\n" might begin "y\n\n"
    assert matcher.feed("\n") == ("", True)


def test_a_stop_after_a_long_stream():
    deltas = ["word "] * 200 + ["the", " end"]
    out, hit = run(("the end",), deltas)
    assert hit and "".join(out) == "word " * 200


def random_case(seed: int, n_stops: int) -> tuple[str, tuple[str, ...], random.Random]:
    rng = random.Random(seed)
    alphabet = "ab\n "
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
    stops = tuple("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(n_stops))
    return text, stops, rng


@pytest.mark.parametrize("seed", range(300))
def test_any_split_of_the_text_gives_the_same_cut(seed):
    text, stops, rng = random_case(seed, 1)
    cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 8))))
    deltas = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    out, hit = run(stops, deltas)
    assert ("".join(out), hit) == reference(stops, text), (stops, deltas, out)


@pytest.mark.parametrize("seed", range(300))
def test_character_by_character_the_first_stop_to_complete_cuts(seed):
    text, stops, _ = random_case(seed, 3)
    ends = [(i + len(s), i) for s in stops for i in range(len(text)) if text.startswith(s, i)]
    expected = (
        (text[: min(start for end, start in ends if end == min(ends)[0])], True) if ends else (text, False)
    )
    out, hit = run(stops, list(text))
    assert ("".join(out), hit) == expected, (stops, text, out)
