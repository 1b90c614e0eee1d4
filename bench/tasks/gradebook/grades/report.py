"""Reports over a whole class."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from grades.scores import letter_grade, weighted_average


@dataclass(frozen=True)
class StudentResult:
    """One student's final average (rounded to one decimal) and letter."""

    name: str
    average: float
    letter: str


def class_report(
    roster: Mapping[str, Mapping[str, int]],
    weights: Mapping[str, int],
) -> list[StudentResult]:
    """Final result of every student in ``roster``, best average first.

    Students with equal averages are listed by name.
    """
    results = []
    for name, scores in roster.items():
        average = weighted_average(scores, weights)
        results.append(StudentResult(name, round(average, 1), letter_grade(average)))
    results.sort(key=lambda result: (-result.average, result.name))
    return results


def grade_distribution(results: list[StudentResult]) -> dict[str, int]:
    """How many students got each letter, with every letter A-F present."""
    counts = Counter(result.letter for result in results)
    return {letter: counts.get(letter, 0) for letter in "ABCDF"}
