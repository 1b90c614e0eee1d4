import pytest

from grades import class_report, grade_distribution, letter_grade, weighted_average

WEIGHTS = {"homework": 20, "midterm": 30, "final": 50}


def test_equal_weights_give_plain_mean():
    assert weighted_average({"a": 80, "b": 90}, {"a": 1, "b": 1}) == 85


def test_weighted_average_keeps_fractions():
    assert weighted_average({"a": 90, "b": 85}, {"a": 1, "b": 2}) == pytest.approx(86.6667, abs=1e-3)


def test_missing_component_is_an_error():
    with pytest.raises(KeyError):
        weighted_average({"homework": 90}, WEIGHTS)


def test_letter_cutoffs_are_inclusive():
    assert [letter_grade(p) for p in (90, 89.9, 60, 59.5)] == ["A", "B", "D", "F"]


def test_class_report_sorted_best_first():
    roster = {
        "ana": {"homework": 100, "midterm": 80, "final": 90},
        "ben": {"homework": 70, "midterm": 75, "final": 64},
        "cy": {"homework": 100, "midterm": 80, "final": 90},
    }
    report = class_report(roster, WEIGHTS)
    assert [(r.name, r.average, r.letter) for r in report] == [
        ("ana", 89.0, "B"),
        ("cy", 89.0, "B"),
        ("ben", 68.5, "D"),
    ]


def test_report_average_has_one_decimal():
    roster = {"dee": {"homework": 93, "midterm": 86, "final": 92}}
    (result,) = class_report(roster, WEIGHTS)
    assert result.average == 90.4
    assert result.letter == "A"


def test_distribution_lists_every_letter():
    roster = {
        "ana": {"homework": 100, "midterm": 100, "final": 100},
        "ben": {"homework": 50, "midterm": 40, "final": 30},
    }
    assert grade_distribution(class_report(roster, WEIGHTS)) == {"A": 1, "B": 0, "C": 0, "D": 0, "F": 1}
